"""The feed view of an article: plain texts, the full content HTML, the image disclosure."""

from __future__ import annotations

from syndication.feeds.content import (
    content_html,
    feed_item,
    image_caption,
    labels_for,
)
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
