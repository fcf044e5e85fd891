"""The command line with newsletters: add --newsletter, list --json, import's newsletters column, segments,
digest special (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import Invoke

from syndication.errors import ConfigError


def newsletters_of(store_cli: Invoke) -> dict[str, dict[str, str]]:
    result = store_cli("subscribers", "list", "--json")
    assert 0 == result.return_value, result.output
    return {item["email"]: item["newsletters"] for item in json.loads(result.stdout)}


def test_add_import_list_and_segments_with_newsletters(store_cli: Invoke, tmp_path: Path) -> None:
    """--newsletter (repeatable) and the import's newsletters column subscribe; list --json shows them; an
    unknown newsletter is refused with the configured names; a segment counts its readers live."""
    assert 0 == store_cli("subscribers", "add", "anna@example.org", "--newsletter", "daily", "--newsletter", "weekly",
                          "--confirmed").return_value
    unknown = store_cli("subscribers", "add", "ben@example.org", "--newsletter", "fck", "--confirmed")
    assert isinstance(unknown.exception, ConfigError) and "configured: daily, weekly" in str(unknown.exception)
    source = tmp_path / "leser.csv"
    source.write_text("email,newsletters\ncem@example.org,weekly\ndora@example.org,weekly|gibtsnicht\n"
                      "emil@example.org,\n", encoding="utf-8")
    imported = store_cli("subscribers", "import", str(source), "--consented", "--no-progress")
    assert 1 == imported.return_value and "leser.csv:3: unknown newsletter gibtsnicht" in imported.output
    assert {
        "anna@example.org": {"daily": "active", "weekly": "active"},
        "cem@example.org": {"weekly": "active"},
        "emil@example.org": {"daily": "active"},
    } == newsletters_of(store_cli)
    saved = store_cli("subscribers", "segment", "save", "woche", "--newsletter", "weekly")
    assert 0 == saved.return_value and "segment woche: 2 readers now" in saved.output


def test_digest_special_sends_the_chosen_article_at_once(store_cli: Invoke, tmp_path: Path) -> None:
    """`digest special --newsletter daily --articles ID` sends one message to each daily reader now; the
    regular daily edition is still built afterwards."""
    assert 0 == store_cli("collect", "--no-progress").return_value
    articles = json.loads(store_cli("articles", "list", "--json").stdout)
    store_cli("subscribers", "add", "anna@example.org", "--newsletter", "daily", "--confirmed")
    store_cli("subscribers", "add", "woche@example.org", "--newsletter", "weekly", "--confirmed")
    special = store_cli("digest", "special", "--newsletter", "daily", "--articles", articles[0]["id"])
    assert 0 == special.return_value, special.output
    assert "1 sent" in special.output
    mails = list((tmp_path / "outbox").glob("*.eml"))
    assert 1 == len(mails) and "anna@example.org" in mails[0].read_text(encoding="utf-8")
    built = store_cli("digest", "build", "--newsletter", "daily")
    assert 0 == built.return_value and "built daily-2026-11-24" in built.output
