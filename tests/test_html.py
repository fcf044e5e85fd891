"""HTML to text: one function for one-line texts, one for a mail's text part."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urljoin

import nh3

from syndication import html
from syndication.html import html_to_text, normalise_quote, plain_text, quote_repeats, sanitize_html, web_url
from syndication.testing import OUTLOOK_TEXT


def test_plain_text_drops_markup_scripts_and_control_characters() -> None:
    """Markup goes, script bodies go, entities are decoded, control characters vanish."""
    assert "A & B 1 < 2" == plain_text("A\x00 &amp; <b>B</b><script>x()</script>\n 1 &lt; 2")


def test_plain_text_is_one_line_where_html_to_text_keeps_the_blocks() -> None:
    """A title or name is one line; a mail's text part keeps paragraphs and list items apart."""
    markup = "<p>Der Rat <em>tagt</em>.</p>\n<ul>\n<li>Eins</li>\n<li>Zwei &amp; drei</li>\n</ul>"
    assert ("Der Rat tagt. Eins Zwei & drei", "Der Rat tagt.\nEins\nZwei & drei") == (
        plain_text(markup), html_to_text(markup)
    )


def _reference_sanitize(markup: str, base_url: str | None) -> str:
    """sanitize_html as it was: an nh3.clean call with its options built per call."""
    def keep_absolute(tag: str, attribute: str, value: str) -> str | None:
        if (tag, attribute) in {("a", "href"), ("img", "src"), ("blockquote", "cite"), ("q", "cite")}:
            value = value.strip()
            return urljoin(base_url, value) if base_url and not value.split(":", 1)[0].isalpha() else value
        return value

    return nh3.clean(
        html.strip_xml_invalid(markup),
        tags=set(html.ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in html.ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(html.URL_SCHEMES),
        link_rel=None,
        strip_comments=True,
        attribute_filter=keep_absolute,
    ).strip()


def test_sanitize_html_with_one_cleaner_gives_what_a_cleaner_per_call_gave() -> None:
    """The shared cleaner keeps, drops and makes absolute what per-call options did."""
    samples = [
        '<p onclick="x()">A <a href="/b">b</a> <img src="c.jpg" alt="c"> <script>bad()</script></p>',
        '<blockquote cite="q.html"><p>Q<q cite="https://x.example/">r</q></p></blockquote><!-- note -->',
        '<table><tr><td colspan="2" style="x">1</td></tr></table><a href="javascript:alert(1)">j</a>',
        "<p>unclosed <em>emphasis <strong>and</p> stray </div> \x01 text</p>",
    ]
    base = "https://www.example.org/politik/artikel/"
    assert [_reference_sanitize(s, base) for s in samples] == [sanitize_html(s, base) for s in samples]
    assert [_reference_sanitize(s, None) for s in samples] == [sanitize_html(s) for s in samples]


def test_sanitize_html_makes_links_absolute_against_each_threads_own_base() -> None:
    """Calls in parallel threads each resolve relative links against their own article URL."""
    def run(number: int) -> str:
        return sanitize_html('<p><a href="quelle">q</a></p>' * 50, f"https://example.org/{number}/")

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(run, range(200)))
    assert [f'<p><a href="https://example.org/{n}/quelle">q</a></p>' * 50 for n in range(200)] == results


def test_quote_comparison_ignores_markup_quotes_and_spaces() -> None:
    """Loosely (the digest): „…“ quotes, <p> tags, case and extra whitespace do not make two texts different."""
    quoted = normalise_quote("„Weitere  Gespräche\nkönnten folgen.“")
    assert normalise_quote("<p>weitere Gespräche könnten folgen</p>") == quoted
    assert quote_repeats(f"„{OUTLOOK_TEXT}“", f"<p>{OUTLOOK_TEXT}</p>", contained=True)
    assert not quote_repeats("Etwas ganz anderes.", f"<p>{OUTLOOK_TEXT}</p>", contained=True)


def test_quote_repeats_word_for_word_sets_aside_only_spaces_case_and_the_marks_around() -> None:
    """Word for word (the feeds): spaces, case and „…“ around the quote aside, a shorter quote is not the outlook."""
    assert quote_repeats(f"„{OUTLOOK_TEXT.upper()}“", f"<p>{OUTLOOK_TEXT}</p>")
    assert not quote_repeats(OUTLOOK_TEXT[:40], f"<p>{OUTLOOK_TEXT}</p>")
    assert quote_repeats(OUTLOOK_TEXT[:40], f"<p>{OUTLOOK_TEXT}</p>", contained=True)


def test_web_url_refuses_non_web_schemes() -> None:
    """Relative URLs resolve against the base; javascript: and data: URLs are refused."""
    base = "https://example.org/a/b/"
    assert ["https://example.org/a/b/c.jpg", None, None] == [
        web_url("c.jpg", base), web_url("javascript:alert(1)", base), web_url("data:image/png;base64,AA", base)
    ]


def test_is_sanitized_only_for_what_sanitizing_leaves_as_it_is() -> None:
    """Sanitized HTML passes; a script, a relative link or a character XML forbids does not."""
    base = "https://example.de/a/"
    clean = sanitize_html('<p>Ein <a href="b">Link</a> &amp; mehr</p>', base)
    candidates = [clean, "<p>x</p><script>alert(1)</script>", '<p><a href="b">relativ</a></p>', "<p>a\x01b</p>"]
    assert [True, False, False, False] == [html.is_sanitized(markup, base) for markup in candidates]


def test_quote_comparison_reads_the_outlook_as_html_to_text_does() -> None:
    """Word for word, the outlook's text is html_to_text's: block ends, entities, odd spaces and
    empty lines give the same words (the comparison skips html_to_text's lines)."""
    samples = [
        "<p>Ein\xa0Satz</p><p>zwei&nbsp; Sätze\u2028drei</p>",
        "<ul><li> a </li><li>\tb\r\n</li></ul><br/>c&amp;d<br >e",
        "<p>\n\n  </p><blockquote>„Zitat“</blockquote>&#x201E;x&#x201C;<figure><figcaption>f</figcaption></figure>",
        "<p>a<b>b</b>c</p>&lt;p&gt;kein Tag&lt;/p&gt;\x0c\x0b",
    ]
    expected = [html._word_for_word(html_to_text(sample)) for sample in samples]
    assert expected == [html._word_for_word(html._text_of(sample)) for sample in samples]


def test_one_line_is_the_regular_expressions_space() -> None:
    """Runs of any space (as \\s matches it, no-break and line separators too) become one space, none around."""
    text = " \t a\xa0\xa0b\u2028\u3000c\n\x1c d \r\n"
    assert re.sub(r"\s+", " ", text).strip() == html._one_line(text)
