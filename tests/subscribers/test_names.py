"""Names are cleaned of control characters and cut to 200 characters on every way in."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from live_server import LiveServer, form_token
from sqlalchemy import Engine
from test_subscriber_routes import subscribe

from subscribers.importer import import_csv
from subscribers.model import SubscriberStatus, clean_name
from subscribers.store import NewSubscriber, SubscriberStore
from syndication.app import App
from syndication.cli import CliContext, cli
from syndication.clock import FixedClock
from syndication.tokens import Purpose

KEY = "test-secret-key-0123456789abcdef"
NOW = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)
CONFIG = Path(__file__).resolve().parents[2] / "config.toml"
POISON = "Eve\r\nBcc: victim@example.net\x00\x1b[31m\x85\u2028 Ende\t"
CLEAN = "Eve Bcc: victim@example.net [31m Ende"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (POISON, CLEAN),
        ("  Anna \n Maria  ", "Anna Maria"),
        ("\r\n\t\x7f", None),
        (None, None),
        ("Ä" * 300, "Ä" * 200),
        ("Zoë 🙂 Müller", "Zoë 🙂 Müller"),
    ],
)
def test_clean_name(raw: str | None, expected: str | None) -> None:
    """C0, DEL, C1 and Unicode line separators become spaces; white space shrinks; 200 characters at most."""
    assert expected == clean_name(raw)


def test_store_cleans_names_on_add_bulk_add_and_preferences(engine: Engine) -> None:
    """Whatever calls the store (API of the package), a stored name is clean."""
    store = SubscriberStore(engine, KEY)
    added = store.add("a@example.org", now=NOW, name=POISON)
    store.add_many([NewSubscriber("b@example.org", name=POISON)], now=NOW, status=SubscriberStatus.PENDING,
                   consent_form="test", wording_version="1")
    changed = store.update_preferences(added.id, name="X\r\nY")
    assert (CLEAN, "X Y") == (store.get_by_email("b@example.org").name, changed.name)


def test_subscribe_form_cleans_the_name(live: LiveServer) -> None:
    """A name with CR/LF typed into the sign-up form is stored on one line."""
    assert 200 == subscribe(live, "form@example.org", name=POISON, topics=[]).status_code
    stored = App(live.runtime).subscriber_store().get_by_email("form@example.org")
    assert CLEAN == stored.name


def test_preferences_page_cleans_the_name(live: LiveServer) -> None:
    """A name with CR/LF saved on the preferences page is stored on one line."""
    service = App(live.runtime).subscription_service()
    store = service.store
    reader = store.add("prefs@example.org", now=NOW, status=SubscriberStatus.ACTIVE)
    path = "/preferences?" + service.url("/preferences", Purpose.PREFERENCES, reader).split("?", 1)[1]
    page = live.client.get(path)
    saved = live.client.post(
        path, data={"csrf": form_token(page.text), "name": POISON, "frequency": "daily", "topics": []}
    )
    assert 200 == saved.status_code
    assert CLEAN == store.get(reader.id).name


def test_csv_import_cleans_the_name(engine: Engine, tmp_path: Path) -> None:
    """Control characters inside a CSV name cell (tab, NUL, NEL, U+2028) are not stored."""
    store = SubscriberStore(engine, KEY)
    path = tmp_path / "names.csv"
    path.write_text('email,name\nimport@example.org,"Eve\tBcc:\x0b victim\x85\u2028 Ende"\n', encoding="utf-8")
    report = import_csv(store, path, now=NOW, consented=True, wording_version="1")
    assert () == report.rejected
    assert "Eve Bcc: victim Ende" == store.get_by_email("import@example.org").name


def test_cli_add_cleans_the_name(tmp_path: Path, engine: Engine) -> None:
    """`subscribers add --name` with a line break stores the name on one line."""
    env = {
        "SYNDICATION_SITE__VAR_DIR": str(tmp_path / "var"),
        "SYNDICATION_SITE__PUBLIC_DIR": str(tmp_path / "public"),
        "SYNDICATION_SITE__OUTBOX_DIR": str(tmp_path / "outbox"),
        "SYNDICATION_SECRET_KEY": KEY,
    }
    for address, confirmed in (("cli@example.org", ["--confirmed"]), ("cli-pending@example.org", [])):
        result = CliRunner().invoke(
            cli, ["--config", str(CONFIG), "subscribers", "add", address, "--name", POISON, *confirmed],
            env=env, obj=CliContext(clock=FixedClock(NOW)), standalone_mode=False,
        )
        assert result.exception is None, result.output
    store = SubscriberStore(engine, KEY)
    assert (CLEAN, CLEAN) == (store.get_by_email("cli@example.org").name,
                              store.get_by_email("cli-pending@example.org").name)
