"""Cards and the digest body: outlook and quote, clean cards, size budget."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from syndication.app import App
from syndication.config import Settings
from syndication.digest import compose
from syndication.digest.compose import make_card
from syndication.digest.personalize import ALL_ARTICLES
from syndication.digest.render import TEMPLATES_DIR
from syndication.errors import TemplateError
from syndication.mail.base import personalise
from syndication.mail.mime import encoded_body
from syndication.runtime import Runtime
from syndication.testing import make_article
from tests.digest.conftest import make_edition, sample_articles, subscriber

OUTLOOK_START = "Ob aus dem Treffen in Florida unmittelbare Fortschritte"


def _body(runtime: Runtime, articles: list, who=None):  # type: ignore[no-untyped-def]
    mailer = App(runtime).edition_mailer(make_edition(articles), articles)
    reader = who or subscriber()
    return personalise(mailer.body(mailer.variant_key(reader)), mailer.recipient(reader))


def test_reference_article_shows_outlook_and_quote_text_once(runtime: Runtime) -> None:
    """The reference article's quote repeats its outlook: the text appears once, with the author."""
    body = _body(runtime, [make_article(1)])
    assert 1 == body.html.count(OUTLOOK_START)
    assert 1 == body.text.count(OUTLOOK_START)
    assert "Ausblick" in body.html
    assert "Marc Fuchs" in body.html
    assert 'alt="Marc Fuchs Portrait"' in body.html


def test_distinct_quote_is_shown_beside_the_outlook(runtime: Runtime) -> None:
    """An author quote that says something else appears in its own block with name and portrait."""
    article = make_article(1, author_quote="Dialog ist besser als Stillstand.")
    body = _body(runtime, [article])
    assert 1 == body.html.count(OUTLOOK_START)
    assert "„Dialog ist besser als Stillstand.“" in body.html
    assert "„Dialog ist besser als Stillstand.“ – Marc Fuchs" in body.text
    assert "autoren/marc-fuchs.jpg" in body.html


def test_card_has_image_label_key_facts_and_read_more(runtime: Runtime) -> None:
    """Lead image with alt text and the AI label, at most three key facts and a „Weiterlesen“ link."""
    body = _body(runtime, [make_article(1)])
    assert 'alt="Zwei Delegationen an einem Konferenztisch"' in body.html
    assert "KI-generiertes Bild" in body.html
    assert "Jared Kushner als voraussichtlicher Teilnehmer" in body.html
    assert "Weiterlesen" in body.html
    assert "Weiterlesen: https://www.pfalz-rundschau.example/2026/11/artikel-1/" in body.text


def test_card_without_image_portrait_or_outlook_is_clean(runtime: Runtime, settings: Settings) -> None:
    """Missing pieces leave no empty image, no empty quote and no empty outlook block."""
    bare = make_article(
        1,
        image=None,
        author=replace(make_article(1).author, portrait=None),  # type: ignore[type-var]
        sections=tuple(s for s in make_article(1).sections if s.role.value != "outlook"),
        author_quote=None,
    )
    card = make_card(bare, settings)
    assert (None, None, None, None) == (card.image_url, card.portrait_url, card.outlook_html, card.quote)
    body = _body(runtime, [bare])
    assert "Ausblick" not in body.html
    assert "KI-generiertes Bild" not in body.html
    assert "<img" not in body.html.split("Weiterlesen")[0].split(bare.title)[1]
    assert "Weiterlesen" in body.html


def test_every_image_has_alt_text(runtime: Runtime) -> None:
    """No <img> without an alt attribute, even when the source image has no alt text."""
    article = make_article(1, image=replace(make_article(1).image, alt="", caption=""))  # type: ignore[type-var]
    html = _body(runtime, [article]).html
    images = re.findall(r"<img\b[^>]*>", html)
    assert images
    assert [] == [tag for tag in images if not re.search(r'\balt="[^"]+"', tag)]


def test_subject_names_lead_story_and_german_date(runtime: Runtime) -> None:
    """„Der Morgen, Dienstag, 24. November 2026: <lead title>“."""
    articles = sample_articles(3)
    assert f"Der Morgen, Dienstag, 24. November 2026: {articles[0].title}" == _body(runtime, articles).subject


def test_preheader_is_the_lead_teaser(runtime: Runtime) -> None:
    """The hidden preview text starts with the lead story's teaser."""
    articles = sample_articles(2)
    assert "display:none" in _body(runtime, articles).html
    assert articles[0].teaser[:40] in _body(runtime, articles).html.split("<body")[1][:1500]


@pytest.mark.parametrize("count", [10, 40])
def test_size_budget(runtime: Runtime, count: int) -> None:
    """Every message stays under the budget; what does not fit is a „N weitere Artikel“ link."""
    articles = sample_articles(count)
    html = _body(runtime, articles, subscriber(name="Anna")).html
    shown = html.count("Weiterlesen")
    # Counted as the message carries it (quoted-printable), the way Gmail counts.
    assert len(encoded_body(html)) < runtime.settings.digest.size_budget_bytes
    if shown < count:
        assert f"{count - shown} weitere Artikel im Web lesen" in html
        assert "http://localhost:8000/archive/daily-2026-11-24.html" in html
    else:
        assert "weitere Artikel" not in html
    if count == 10:
        assert 10 == shown
    else:
        assert 10 <= shown < 40


def test_broken_partial_stops_the_edition_with_template_and_line(
    runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A typo in a partial raises TemplateError naming partial and line; no body is produced to send."""
    folder = tmp_path / "templates" / "email" / "partials"
    folder.mkdir(parents=True)
    original = (TEMPLATES_DIR / "email" / "partials" / "card.mjml.j2").read_text(encoding="utf-8")
    (folder / "card.mjml.j2").write_text(original.replace("card.teaser", "card.teasr"), encoding="utf-8")
    monkeypatch.setattr(compose, "DIGEST_SEARCH_PATH", (tmp_path / "templates", TEMPLATES_DIR))
    articles = sample_articles(2)
    mailer = App(runtime).edition_mailer(make_edition(articles), articles)
    line = 1 + original.splitlines().index(next(x for x in original.splitlines() if "card.teaser" in x))
    with pytest.raises(TemplateError) as caught:
        mailer.body(ALL_ARTICLES)
    assert str(caught.value).startswith(f"template email/partials/card.mjml.j2, line {line}: UndefinedError: ")
    assert "has no attribute 'teasr'" in str(caught.value)


def test_hostile_article_html_and_links_are_cleaned_in_mail_and_archive(runtime: Runtime) -> None:
    """Scripts, handlers, iframes, SVG and javascript:/data: URLs in an article never reach mail or archive."""
    from syndication.digest.archive import render_edition_page
    from syndication.model import Author, Image, ListItem, SectionRole

    hostile = (
        '<script>alert(1)</script><img src="x" onerror="alert(2)"><a href="javascript:alert(3)">j</a>'
        '<iframe src="https://evil.example/"></iframe><svg onload="alert(4)"></svg>'
        '<p style="width:expression(alert(5))">s</p><a href="data:text/html,x">d</a><b>offen'
    )
    base = make_article(1)
    sections = tuple(
        replace(section, html=hostile, items=(ListItem(hostile, "Fakt"),))
        if section.role in (SectionRole.KEY_FACTS, SectionRole.OUTLOOK)
        else section
        for section in base.sections
    )
    article = replace(
        base,
        title="<b>Titel</b> {{ 7*7 }} {% if true %}wahr{% endif %}",
        url="javascript:alert(6)",
        sections=sections,
        image=Image(url="javascript:alert(7)", alt="Bild", caption="Bild", credit="Agentur"),
        author=Author(name="Marc Fuchs", url="javascript:alert(8)", portrait=Image(url="data:image/png,x", alt="P")),
    ).with_hash()
    mail = _body(runtime, [article]).html
    page = render_edition_page(make_edition([article]), [article], runtime.settings)
    dangerous = ("<script", "onerror", "onload", "javascript:", "<iframe", "<svg", "expression(", "data:")
    assert [] == [(where, needle) for where, html in (("mail", mail), ("archive", page))
                  for needle in dangerous if needle in html.lower()]
    assert "&lt;b&gt;Titel&lt;/b&gt; {{ 7*7 }} {% if true %}wahr{% endif %}" in mail
