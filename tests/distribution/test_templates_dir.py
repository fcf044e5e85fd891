"""Bundled files are package resources, and `[site] templates_dir` overrides templates by name."""

from __future__ import annotations

from pathlib import Path

from starlette.testclient import TestClient

from syndication.clock import FixedClock
from syndication.config import Secrets, Settings
from syndication.paths import SAMPLE_CONTENT_DIR, TEMPLATES_DIR, bundled_dir, template_search_path
from syndication.runtime import Runtime
from syndication.web import create_app


def _with_templates_dir(settings: Settings, folder: Path) -> Settings:
    return settings.model_copy(update={"site": settings.site.model_copy(update={"templates_dir": folder})})


def test_bundled_folders_hold_the_templates_and_sample_articles() -> None:
    """The templates and the demo's sample articles are found where the installed package keeps them."""
    assert (True, True) == (
        (TEMPLATES_DIR / "email" / "digest.mjml.j2").is_file(),
        any(SAMPLE_CONTENT_DIR.rglob("*.md")),
    )
    assert TEMPLATES_DIR == bundled_dir("templates")


def test_templates_dir_comes_first_relative_to_the_config_file(settings: Settings) -> None:
    """A relative templates_dir is resolved against the config file's folder and searched before the bundle."""
    configured = _with_templates_dir(settings, Path("mytemplates"))
    assert (settings.base_dir / "mytemplates", TEMPLATES_DIR) == template_search_path(configured)
    assert (TEMPLATES_DIR,) == template_search_path(settings)


def test_a_template_of_the_same_name_replaces_a_page(settings: Settings, tmp_path: Path, clock: FixedClock) -> None:
    """A publisher's web/subscribers/message.html.j2 is used; the other pages still come from the bundle."""
    folder = tmp_path / "mytemplates" / "web" / "subscribers"
    folder.mkdir(parents=True)
    (folder / "message.html.j2").write_text("<p>Eigene Seite: {{ site.name }}</p>", encoding="utf-8")
    runtime = Runtime(
        settings=_with_templates_dir(settings, tmp_path / "mytemplates"),
        secrets=Secrets(secret_key="test-secret-key-0123456789abcdef"),
        clock=clock,
    )
    with TestClient(create_app(runtime)) as client:
        invalid = client.get("/confirm", params={"token": "not-a-token"})
        form = client.get("/subscribe")
    runtime.close()
    assert ("<p>Eigene Seite: Pfalz-Rundschau</p>", 200) == (invalid.text, form.status_code)


def test_the_front_page_comes_from_templates_dir(settings: Settings, tmp_path: Path, clock: FixedClock) -> None:
    """A publisher's web/home.html.j2 replaces the bundled front page."""
    folder = tmp_path / "mytemplates" / "web"
    folder.mkdir(parents=True)
    (folder / "home.html.j2").write_text("<h1>{{ title }}</h1>", encoding="utf-8")
    runtime = Runtime(
        settings=_with_templates_dir(settings, tmp_path / "mytemplates"),
        secrets=Secrets(secret_key="test-secret-key-0123456789abcdef"),
        clock=clock,
    )
    with TestClient(create_app(runtime)) as client:
        home = client.get("/")
    runtime.close()
    assert (200, "<h1>Pfalz-Rundschau</h1>") == (home.status_code, home.text)
