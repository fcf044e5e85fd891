"""Golden files for one edition's compiled HTML and text (UPDATE_GOLDEN=1 regenerates them)."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest

from syndication.app import App
from syndication.digest.ordering import order_for_digest
from syndication.digest.personalize import ALL_ARTICLES
from syndication.mail.base import MessageBody
from syndication.model import Article
from syndication.runtime import Runtime
from syndication.testing import make_article
from tests.digest.conftest import make_edition

GOLDEN_DIR = Path(__file__).resolve().parent.parent / "golden" / "digest"


def golden_articles() -> list[Article]:
    """Four cards: the reference article, one with its own quote, one without image/portrait/outlook, one Sport."""
    reference = make_article(1)
    own_quote = make_article(2, categories=("Wirtschaft",), author_quote="Dialog ist besser als Stillstand.")
    bare = make_article(
        3,
        image=None,
        author=replace(reference.author, portrait=None),  # type: ignore[type-var]
        sections=tuple(s for s in reference.sections if s.role.value != "outlook"),
        author_quote=None,
        title="Ein Artikel ohne Bild & ohne Ausblick <kurz>",
    )
    sport = make_article(4, categories=("Sport",), regions=("Mainz",))
    return order_for_digest([reference, own_quote, bare, sport], ("Politik", "Wirtschaft"))


def golden_body(runtime: Runtime) -> MessageBody:
    articles = golden_articles()
    mailer = App(runtime).edition_mailer(make_edition(articles), articles)
    body = mailer.body(ALL_ARTICLES)
    # The marker depends on the secret key: blank it so the golden files do not.
    return MessageBody(
        subject=body.subject,
        html=body.html.replace(mailer.marker, "MARKER"),
        text=body.text.replace(mailer.marker, "MARKER"),
    )


def _check(name: str, actual: str) -> None:
    path = GOLDEN_DIR / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
    if not path.exists():
        pytest.fail(f"{path} is missing; run with UPDATE_GOLDEN=1 to create it")
    assert path.read_text(encoding="utf-8") == actual


def test_edition_html_matches_golden(runtime: Runtime) -> None:
    """The compiled HTML of the golden edition is exactly the reviewed one."""
    _check("edition.html", golden_body(runtime).html)


def test_edition_text_matches_golden(runtime: Runtime) -> None:
    """The plain-text part of the golden edition is exactly the reviewed one."""
    body = golden_body(runtime)
    _check("edition.txt", f"Subject: {body.subject}\n\n{body.text}")
