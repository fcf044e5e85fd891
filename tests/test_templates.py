"""The one template environment: mails, public pages and subscriber pages render alike."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from syndication.clock import FixedClock
from syndication.config import Secrets, Settings
from syndication.errors import TemplateError
from syndication.paths import TEMPLATES_DIR
from syndication.runtime import Runtime
from syndication.templates import render_template
from syndication.web import create_app


def _folder(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / "own" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return tmp_path / "own"


def test_markup_is_escaped_but_plain_text_parts_are_not(tmp_path: Path) -> None:
    """HTML templates escape values; ``*.txt.j2`` keeps them as written (no entities in a text mail)."""
    own = _folder(tmp_path, {"page.html.j2": "{{ v }}|{{ d | german_date }}", "mail.txt.j2": "{{ v }}\n"})
    values = {"v": "Fisch & <Chips>", "d": date(2026, 11, 24)}
    assert ("Fisch &amp; &lt;Chips&gt;|Dienstag, 24. November 2026", "Fisch & <Chips>\n") == (
        render_template("page.html.j2", values, (own, TEMPLATES_DIR)),
        render_template("mail.txt.j2", values, (own, TEMPLATES_DIR)),
    )


def test_an_undefined_value_is_an_error_naming_template_and_line(tmp_path: Path) -> None:
    """A missing value is never rendered as empty: the error names the template and its line."""
    own = _folder(tmp_path, {"broken.html.j2": "<p>\n{{ missing.name }}</p>"})
    with pytest.raises(TemplateError, match=r"^template broken\.html\.j2, line 2: UndefinedError: 'missing'"):
        render_template("broken.html.j2", {}, (own, TEMPLATES_DIR))


def test_subscriber_pages_render_in_the_same_environment(settings: Settings, tmp_path: Path, clock: FixedClock) -> None:
    """A mistake in a publisher's subscriber page is a TemplateError naming page and line, as in a mail."""
    own = _folder(tmp_path, {"web/subscribers/subscribe.html.j2": "<h1>{{ title }}</h1>\n{{ no_such_value.x }}"})
    runtime = Runtime(
        settings=settings.model_copy(update={"site": settings.site.model_copy(update={"templates_dir": own})}),
        secrets=Secrets(secret_key="test-secret-key-0123456789abcdef"),
        clock=clock,
    )
    expected = r"^template web/subscribers/subscribe\.html\.j2, line 2: "
    with TestClient(create_app(runtime)) as client, pytest.raises(TemplateError, match=expected):
        client.get("/subscribe")
    runtime.close()


def test_words_follow_the_locale_of_the_render(tmp_path: Path) -> None:
    """One template, two languages: ``locale=``, else the context's ``lang``; plurals and numbers by Babel."""
    own = _folder(tmp_path, {"words.html.j2": (
        '{{ _("Read more") }}|{{ ngettext("%(num)s more article", "%(num)s more articles", n, num=n | number(lang)) }}'
        '|{{ day | german_date(lang) }}'
    )})
    values = {"n": 1234, "day": date(2026, 11, 24)}
    assert [
        "Weiterlesen|1.234 weitere Artikel|Dienstag, 24. November 2026",
        "Read more|1,234 more articles|Tuesday, November 24, 2026",
        "Read more|1,234 more articles|Tuesday, November 24, 2026",
    ] == [
        render_template("words.html.j2", {**values, "lang": "de"}, (own, TEMPLATES_DIR)),
        render_template("words.html.j2", {**values, "lang": "en"}, (own, TEMPLATES_DIR)),
        render_template("words.html.j2", {**values, "lang": "de"}, (own, TEMPLATES_DIR), locale="en"),
    ]


def test_translated_words_are_markup_but_their_values_are_escaped(tmp_path: Path) -> None:
    """A catalog's text is the template's own markup; the values put into it are escaped as any value is,
    and plain-text parts stay unescaped."""
    own = _folder(tmp_path, {
        "hello.html.j2": '{{ _("Hello %(name)s,", name=name) }}',
        "hello.txt.j2": '{{ _("Hello %(name)s,", name=name) }}',
    })
    values = {"name": "Fisch & <Chips>", "lang": "de"}
    assert ["Hallo Fisch &amp; &lt;Chips&gt;,", "Hallo Fisch & <Chips>,"] == [
        render_template("hello.html.j2", values, (own, TEMPLATES_DIR)),
        render_template("hello.txt.j2", values, (own, TEMPLATES_DIR)),
    ]
