"""Where the project's bundled files are: templates, sample content, static assets.

The repository keeps them at its root (``templates/``, ``content/``, ``static/``); ``setup.py`` maps them into the
wheel as package data under ``syndication/_templates`` and so on. They are found as package resources
(:mod:`importlib.resources`) of the installed package; an editable install in the repository has no such copy, so
there the repository's own folders are used.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from syndication.config import Settings

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_DIR.parent

# Folder at the repository root → the package-data folder it becomes in a wheel (see setup.py).
BUNDLED = {"templates": "_templates", "content": "_content", "static": "_static"}


def bundled_dir(name: str) -> Path:
    """The installed copy of the bundled folder ``name`` ("templates", "content" or "static")."""
    packaged = files("syndication").joinpath(BUNDLED[name])
    if packaged.is_dir():
        # Wheels install unpacked, so the resource is a real folder (Jinja's loader needs one).
        return Path(str(packaged))
    return PROJECT_ROOT / name


TEMPLATES_DIR = bundled_dir("templates")
SAMPLE_CONTENT_DIR = bundled_dir("content")
STATIC_DIR = bundled_dir("static")


def template_search_path(settings: Settings, base: tuple[Path, ...] = (TEMPLATES_DIR,)) -> tuple[Path, ...]:
    """Where templates are looked up: the publisher's ``[site] templates_dir`` first, then ``base``.

    A file in ``templates_dir`` replaces the bundled template of the same relative name
    (``email/partials/footer.mjml.j2``, ``web/subscribers/subscribe.html.j2``…), like a Pelican theme folder.
    """
    override = settings.site.templates_dir
    if override is None:
        return base
    return (settings.resolve(override), *base)
