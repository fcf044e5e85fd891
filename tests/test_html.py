"""HTML to text: one function for one-line texts, one for a mail's text part."""

from __future__ import annotations

from syndication.html import html_to_text, plain_text


def test_plain_text_drops_markup_scripts_and_control_characters() -> None:
    """Markup goes, script bodies go, entities are decoded, control characters vanish."""
    assert "A & B 1 < 2" == plain_text("A\x00 &amp; <b>B</b><script>x()</script>\n 1 &lt; 2")


def test_plain_text_is_one_line_where_html_to_text_keeps_the_blocks() -> None:
    """A title or name is one line; a mail's text part keeps paragraphs and list items apart."""
    markup = "<p>Der Rat <em>tagt</em>.</p>\n<ul>\n<li>Eins</li>\n<li>Zwei &amp; drei</li>\n</ul>"
    assert ("Der Rat tagt. Eins Zwei & drei", "Der Rat tagt.\nEins\nZwei & drei") == (
        plain_text(markup), html_to_text(markup)
    )
