"""The secret key of a laptop install: generated once in var_dir, never where production runs."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

import pytest

from syndication.config import Secrets, Settings
from syndication.errors import ConfigError


def _local(settings: Settings, tmp_path: Path, **site: str) -> Settings:
    updated = settings.site.model_copy(update={"var_dir": tmp_path / "var", **site})
    return settings.model_copy(update={"site": updated})


def test_without_the_variable_a_local_key_is_generated_once_with_mode_0600(
    settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The first use writes var/secret_key readable by its owner only; later uses (new processes) read the same key."""
    local = _local(settings, tmp_path)
    with caplog.at_level(logging.WARNING, logger="syndication.local_key"):
        first = Secrets.for_settings(local, env={}).require_secret_key()
    second = Secrets.for_settings(local, env={}).require_secret_key()
    path = tmp_path / "var" / "secret_key"
    assert (first, 0o600, True) == (second, stat.S_IMODE(path.stat().st_mode), len(first) >= 32)
    assert "production must set it" in caplog.text


def test_the_environment_wins_over_the_local_key(settings: Settings, tmp_path: Path) -> None:
    """With SYNDICATION_SECRET_KEY set no file is written and the variable's key is used."""
    local = _local(settings, tmp_path)
    key = Secrets.for_settings(local, env={"SYNDICATION_SECRET_KEY": "from-the-environment-0123"}).require_secret_key()
    assert ("from-the-environment-0123", False) == (key, (tmp_path / "var" / "secret_key").exists())


@pytest.mark.parametrize(
    ("store_url", "site_url"),
    [("postgresql://postgres@db/news", "http://localhost:8000"), (None, "https://www.pfalz-rundschau.example")],
)
def test_production_needs_the_key_from_the_environment(
    settings: Settings, tmp_path: Path, store_url: str | None, site_url: str
) -> None:
    """Where the store is PostgreSQL or the site is https, a missing variable is a config error, as before."""
    local = _local(settings, tmp_path, url=site_url)
    local = local.model_copy(update={"store": local.store.model_copy(update={"url": store_url})})
    with pytest.raises(ConfigError, match="SYNDICATION_SECRET_KEY is not set"):
        Secrets.for_settings(local, env={}).require_secret_key()
    assert not (tmp_path / "var" / "secret_key").exists()


def test_a_damaged_key_file_is_named(settings: Settings, tmp_path: Path) -> None:
    """A truncated key file is refused with its path, not silently replaced (links signed with it would break)."""
    local = _local(settings, tmp_path)
    (tmp_path / "var").mkdir()
    (tmp_path / "var" / "secret_key").write_text("short\n", encoding="ascii")
    with pytest.raises(ConfigError, match="secret_key: the local secret key is too short"):
        Secrets.for_settings(local, env={}).require_secret_key()
