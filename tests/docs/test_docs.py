"""The docs site: the strict MkDocs build passes, and the configuration reference covers every setting."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from pydantic import Field

from syndication.config import Section, Settings
from syndication.settings_reference import (
    load_descriptions,
    render_reference,
    settings_info,
    stale,
    undocumented,
)

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DESCRIPTIONS = PROJECT_ROOT / "docs" / "settings.toml"


def test_every_setting_has_documentation() -> None:
    """Each key of the settings model has a text in docs/settings.toml, and no text names a key that is gone."""
    descriptions = load_descriptions(DESCRIPTIONS)
    assert ([], []) == (undocumented(descriptions), stale(descriptions))


def test_a_new_setting_without_text_is_reported() -> None:
    """Adding a field to a section without documenting it makes the check name it."""

    class Extended(Section):
        brand_new: int = Field(default=1)

    class WithExtra(Settings):
        extra: Extended = Extended()

    assert ["extra.brand_new"] == undocumented(load_descriptions(DESCRIPTIONS), WithExtra)


def test_the_reference_shows_type_default_and_environment_variable() -> None:
    """Rows carry what the model says: type, default and the variable that overrides the key."""
    reference = render_reference(load_descriptions(DESCRIPTIONS))
    row = "| `backend` | one of `outbox`, `smtp`, `sendgrid` | `\"outbox\"` | `SYNDICATION_DELIVERY__BACKEND` |"
    assert row in reference
    assert "### `[[digest.editions]]`" in reference
    assert len(settings_info()) == reference.count("\n| `")


def test_mkdocs_build_strict_passes(tmp_path: Path) -> None:
    """`mkdocs build --strict` (every link resolves, every page is in the nav) succeeds and publishes the API."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120, env=env,
    )
    assert 0 == done.returncode, done.stderr[-3000:]
    reference = (tmp_path / "site" / "operating" / "configuration" / "index.html").read_text(encoding="utf-8")
    assert ("SYNDICATION_SITE__TEMPLATES_DIR" in reference, True) == (
        True,
        (tmp_path / "site" / "openapi.json").is_file(),
    )
