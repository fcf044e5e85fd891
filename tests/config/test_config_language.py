"""Config errors in the command line's language: our own words and pydantic's expectations (issue #16)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic_core._pydantic_core import list_all_errors

from syndication.config import load_settings
from syndication.config.pydantic_messages import PYDANTIC_MESSAGES, msgid_for
from syndication.errors import ConfigError
from syndication.i18n import translator


def test_every_pydantic_error_type_has_its_msgid() -> None:
    """Each error type pydantic_core knows has its template as a msgid (so in the catalogs, which
    tests/test_i18n.py checks); a pydantic upgrade with a new or reworded template fails here."""
    expected = {
        error["type"]: msgid
        for error in list_all_errors()
        if (msgid := msgid_for(error["message_template_python"])) is not None
    }
    assert expected == PYDANTIC_MESSAGES


def _error(tmp_path: Path, text: str) -> ConfigError:
    config = tmp_path / "config.toml"
    config.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_settings(config, env={})
    return raised.value


def test_a_bad_value_is_explained_in_german_naming_key_and_value_as_written(tmp_path: Path) -> None:
    """The key, the value and the file stay as written; what was expected is German, pydantic's words too."""
    error = _error(tmp_path, '[collect]\nmax_article_bytes = 5\n\n[site]\ntimezone = "Mars/Base"\nzone = 1\n')
    origin = str(tmp_path / "config.toml")
    assert [
        f"{origin}: site.timezone: ungültiger Wert 'Mars/Base': erwartet: eine IANA-Zeitzone wie 'Europe/Berlin', "
        "nicht 'Mars/Base'",
        f"{origin}: site.zone: unbekannter Schlüssel",
        f"{origin}: collect.max_article_bytes: ungültiger Wert 5: erwartet: größer als oder gleich 10000",
    ] == error.translated(translator("de")).split("; ")


def test_the_english_text_is_unchanged(tmp_path: Path) -> None:
    """``str()`` (logs, English) is the text it always was."""
    error = _error(tmp_path, '[delivery]\nbackend = "sendmail"\n')
    assert (
        (f"{tmp_path / 'config.toml'}: delivery.backend: bad value 'sendmail': expected 'outbox', 'smtp' or 'sendgrid'")
        == str(error)
        == error.translated(translator("en"))
    )
