"""The feed view of an article: plain texts, the full content HTML, the image disclosure."""

from __future__ import annotations

from dataclasses import replace

from syndication.feeds.content import (
    content_html,
    feed_item,
    image_caption,
    labels_for,
)
from syndication.html import SANITIZER_POLICY, sanitize_html
from syndication.model import Article, Section, SectionRole, SourceLink
from syndication.testing import OUTLOOK_TEXT, make_article


def test_quote_repeating_the_outlook_appears_once() -> None:
    """The reference article's author quote repeats the outlook: the text appears once, as the quote."""
    html = feed_item(make_article(1), "de").content_html
    assert (1, 1) == (html.count(OUTLOOK_TEXT), html.count('<blockquote class="author-quote">'))


def test_distinct_quote_gets_its_own_block() -> None:
    """A quote that differs from the outlook gets its own attributed blockquote after the sections."""
    html = feed_item(make_article(1, author_quote="Das bleibt spannend."), "de").content_html
    expected = ('<blockquote class="author-quote"><p>Das bleibt spannend.</p>'
                "<footer>— <cite>Marc Fuchs</cite></footer></blockquote>")
    # As on the page, the author box (with the quote) comes after the sources.
    assert (1, html.rindex("</section>") + len("</section>")) == (html.count(OUTLOOK_TEXT), html.index(expected))


def test_sections_are_marked_with_their_role_in_order() -> None:
    """Every section becomes <section class="role"> with its heading, in page order."""
    html = feed_item(make_article(1), "de").content_html
    classes = ["summary", "key-facts", "background", "regional-relevance", "chances-risks", "outlook", "sources"]
    positions = [html.index(f'<section class="{name}"><h2>') for name in classes]
    assert sorted(positions) == positions


def test_ai_caption_says_so_once() -> None:
    """The AI label is appended to the caption, not repeated when the caption already says it."""
    labels = labels_for("de-DE")
    assert ("Foto (KI-generiertes Bild)", "KI-generiertes Bild: Foto", "KI-generiertes Bild", "Foto") == (
        image_caption("Foto", True, labels),
        image_caption("KI-generiertes Bild: Foto", True, labels),
        image_caption("", True, labels),
        image_caption("Foto", False, labels),
    )


def test_english_article_gets_english_labels() -> None:
    """An English article's AI image is disclosed in English."""
    item = feed_item(make_article(1, language="en"), "de")
    assert "Gespräche in Florida (AI-generated image)" == item.image.caption  # type: ignore[union-attr]


def test_article_without_sections_uses_its_sanitized_body() -> None:
    """An article without recognised sections shows its body, sanitized with absolute links."""
    article = make_article(1, sections=(), body_html='<p>Text <a href="/x">x</a><script>y</script></p>',
                           author_quote=None, sources=(), image=None)
    expected = ('<p class="lead">' + article.teaser + '</p><p>Text '
                '<a href="https://www.pfalz-rundschau.example/x">x</a></p>')
    assert expected == content_html(article, labels_for("de"), None)


def _marked(article: Article, policy: str) -> Article:
    # As the store's reads set it (the mark is no constructor argument).
    object.__setattr__(article, "html_sanitized_by", policy)
    return article


def test_html_the_store_vouches_for_gives_the_same_content_as_sanitizing_it() -> None:
    """An article whose clean HTML carries the current policy's mark (text fields holding characters
    XML forbids) gets the very content it gets when its HTML is sanitized again."""
    article = replace(
        make_article(1, title="Titel\x01", author_quote="Zitat\x02"),
        teaser="Anriss\x0b",
        sources=(SourceLink(title="Quelle\x1f", url="https://example.org/q\x01"),),
    )
    clean = replace(article, sections=tuple(
        replace(section, heading=section.heading + "\x01", html=sanitize_html(section.html, article.url))
        for section in article.sections
    ))  # fmt: skip
    unmarked = feed_item.__wrapped__(clean, "de")
    marked = feed_item.__wrapped__(_marked(replace(clean), SANITIZER_POLICY), "de")
    assert unmarked == marked


def test_html_marked_under_another_policy_is_sanitized() -> None:
    """A mark from another sanitizer policy (an older version, other allowed tags) vouches for nothing."""
    section = Section(role=SectionRole.SUMMARY, heading="", html="<p>a</p><script>x()</script>")
    article = replace(make_article(1), sections=(section,))
    html = content_html(_marked(article, "another-policy"), labels_for("de"), None)
    section_html = html[html.index("<section") : html.index("</section>") + len("</section>")]
    assert '<section class="summary"><p>a</p></section>' == section_html
