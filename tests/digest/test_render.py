"""Rendering: Jinja then MJML, the shared layout, and template errors that say where."""

from __future__ import annotations

from pathlib import Path

import pytest

from syndication.config import Settings
from syndication.digest.render import TEMPLATES_DIR, compile_mjml, render_mjml_pair, render_transactional
from syndication.errors import TemplateError
from syndication.runtime import Runtime

CHILD_MJML = """{% extends "email/layout.mjml.j2" %}
{% set subject = "Willkommen bei " ~ site.name %}
{% block content %}
    <mj-section css-class="dm-card"><mj-column>
      <mj-text>Hallo {{ who }}</mj-text>
      <mj-button href="{{ action_url }}">Los</mj-button>
    </mj-column></mj-section>
{% endblock %}
"""
CHILD_TEXT = """{% extends "email/layout.txt.j2" %}
{% block content %}
Hallo {{ who }}
Los: {{ action_url }}
{% endblock %}
"""


def _templates(tmp_path: Path, mjml: str = CHILD_MJML, text: str = CHILD_TEXT) -> tuple[Path, ...]:
    folder = tmp_path / "templates"
    (folder / "email").mkdir(parents=True)
    (folder / "email" / "hello.mjml.j2").write_text(mjml, encoding="utf-8")
    (folder / "email" / "hello.txt.j2").write_text(text, encoding="utf-8")
    return (folder, TEMPLATES_DIR)


def test_transactional_mail_uses_the_layout(runtime: Runtime, tmp_path: Path) -> None:
    """A transactional mail gets the masthead, the footer with address and imprint, and its subject."""
    body = render_transactional(
        "hello",
        {"who": "Anna", "action_url": "https://example.org/go", "preferences_url": "https://example.org/p"},
        runtime.settings,
        search_path=_templates(tmp_path),
    )
    assert "Willkommen bei Pfalz-Rundschau" == body.subject
    assert "Musterstraße 1, 67655 Kaiserslautern" in body.html
    assert 'href="http://localhost:8000/impressum"' in body.html
    assert "Einstellungen ändern: https://example.org/p" in body.text
    assert "Los: https://example.org/go" in body.text


def test_html_is_autoescaped_but_text_is_not(runtime: Runtime, tmp_path: Path) -> None:
    """Values are escaped in the HTML part and kept literal in the plain-text part."""
    body = render_transactional(
        "hello", {"who": "<b>Anna & Ben</b>", "action_url": "https://example.org/"}, runtime.settings,
        search_path=_templates(tmp_path),
    )
    assert "&lt;b&gt;Anna &amp; Ben&lt;/b&gt;" in body.html
    assert "<b>Anna" not in body.html
    assert "Hallo <b>Anna & Ben</b>" in body.text


def test_layout_is_german_dark_mode_ready_and_without_web_fonts(runtime: Runtime, tmp_path: Path) -> None:
    """lang="de", a color-scheme meta, and no web font or tracking pixel by default."""
    values = {"who": "A", "action_url": "x"}
    html = render_transactional("hello", values, runtime.settings, search_path=_templates(tmp_path)).html
    assert '<html lang="de"' in html
    assert '<meta name="color-scheme" content="light dark"' in html
    assert "fonts.googleapis.com" not in html
    assert 'width="1"' not in html


def test_web_fonts_can_be_switched_on(settings: Settings, tmp_path: Path) -> None:
    """With [digest] web_fonts the web font is linked and named first in the font stack."""
    fonts_on = settings.model_copy(update={"digest": settings.digest.model_copy(update={"web_fonts": True})})
    body = render_mjml_pair(
        "hello", {"who": "A", "action_url": "x"}, fonts_on, search_path=_templates(tmp_path)
    )
    assert "fonts.googleapis.com/css2?family=Lato" in body.html
    assert "font-family:Lato, -apple-system" in body.html


def test_jinja_syntax_error_names_template_and_line(runtime: Runtime, tmp_path: Path) -> None:
    """A broken tag is reported with the template's name, its line and the cause."""
    broken = CHILD_MJML.replace("Hallo {{ who }}", "Hallo {{ who }")
    with pytest.raises(TemplateError) as caught:
        values = {"who": "A", "action_url": "x"}
        render_transactional("hello", values, runtime.settings, search_path=_templates(tmp_path, broken))
    assert str(caught.value).startswith("template email/hello.mjml.j2, line 5: ")


def test_undefined_value_names_template_and_line(runtime: Runtime, tmp_path: Path) -> None:
    """A value the template needs but nobody passed is reported with its line."""
    with pytest.raises(TemplateError) as caught:
        render_transactional("hello", {"who": "A"}, runtime.settings, search_path=_templates(tmp_path))
    message = str(caught.value)
    assert message.startswith("template email/hello.mjml.j2, line 6: ")
    assert "'action_url' is undefined" in message


def test_unbalanced_mjml_names_the_line() -> None:
    """MJML that does not compile is reported with the template name and the line of the bad tag."""
    source = "<mjml>\n<mj-body>\n<mj-section>\n<mj-column>\n<mj-text>x</mj-column>\n</mj-section>\n</mj-body>\n</mjml>"
    with pytest.raises(TemplateError) as caught:
        compile_mjml(source, "email/broken.mjml.j2")
    assert "template email/broken.mjml.j2, line 5 of its rendered MJML" in str(caught.value)
