"""The console's pause and cancel of an edition in reader zones (``slot_zone = "reader"``): they cover the zone
sends not started yet, and the page and the audit log say so (real store, SQLite)."""

from __future__ import annotations

import lxml.html
import pytest
from sqlalchemy import update
from starlette.testclient import TestClient

from subscribers.tables import subscribers
from syndication.app.editions import send_edition
from syndication.config import Settings
from syndication.console.audit import AuditLog
from syndication.runtime import Runtime
from tests.console.conftest import GatedMessenger, csrf_of


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The project's settings with the daily newsletter (06:00, 12:00, 18:00) on each reader's clock."""
    newsletters = tuple(
        config.model_copy(update={"slot_zone": "reader"}) if config.name == "daily" else config
        for config in settings.digest.editions
    )
    return settings.model_copy(update={"digest": settings.digest.model_copy(update={"editions": newsletters})})


def _zones(runtime: Runtime) -> None:
    """Two readers in New York, one stored under the old alias of Kolkata's zone; the rest on the site's clock."""
    with runtime.engine.begin() as connection:
        for email, zone in (
            ("leser1@example.org", "America/New_York"),
            ("leser2@example.org", "America/New_York"),
            ("leser3@example.org", "Asia/Calcutta"),
        ):
            connection.execute(update(subscribers).where(subscribers.c.email == email).values(timezone=zone))


def _progress(editor: TestClient, edition: str) -> list[str]:
    page = lxml.html.fragment_fromstring(editor.get(f"/admin/editions/{edition}/progress").text, create_parent=True)
    return [" ".join(item.text_content().split()) for item in page.cssselect("li strong")]


def test_cancel_covers_the_zone_sends_not_started_and_says_which(
    editor: TestClient, edition: str, recording: GatedMessenger, runtime: Runtime
) -> None:
    """Cancelled before any send, every slot's send in every reader zone is cancelled: the audit names them as
    not started, the page lists each as cancelled before it started, and a later send of one sends nothing."""
    _zones(runtime)
    csrf = csrf_of(editor.get(f"/admin/editions/{edition}").text)
    assert 303 == editor.post(f"/admin/editions/{edition}/cancel", data={"csrf": csrf}).status_code
    labels = [
        f"{slot}{zone}" for slot in ("06:00", "12:00", "18:00") for zone in ("", " America/New_York", " Asia/Kolkata")
    ]
    entry = AuditLog(runtime.engine, runtime.clock).recent()[0]
    assert ("edition.cancel", "slots none; not started yet: " + ", ".join(labels)) == (entry.action, entry.detail)
    page = editor.get(f"/admin/editions/{edition}/progress").text
    assert [f"Slot {label}:" for label in labels] == _progress(editor, edition)
    assert 9 == page.count("cancelled (before it started)")

    report = send_edition(runtime, edition, "06:00 America/New_York", messenger=recording, echo=lambda _: None)
    assert ([], True, "cancelled in the console by redaktion@example.org") == (
        recording.batches,
        report.cancelled,
        report.paused,
    )


def test_pause_holds_the_zone_sends_not_started_and_resume_lets_them_go_at_their_time(
    editor: TestClient, edition: str, recording: GatedMessenger, runtime: Runtime
) -> None:
    """Paused before any send, each zone's send is held and the page says so; resumed, the holds are gone and
    nothing is sent at once (none of their times came while paused): the scheduler sends each at its time."""
    _zones(runtime)
    csrf = csrf_of(editor.get(f"/admin/editions/{edition}").text)
    editor.post(f"/admin/editions/{edition}/pause", data={"csrf": csrf})
    held = editor.get(f"/admin/editions/{edition}/progress").text
    paused_report = send_edition(runtime, edition, "12:00 America/New_York", messenger=recording, echo=lambda _: None)
    editor.post(f"/admin/editions/{edition}/resume", data={"csrf": csrf})
    actions = [(e.action, e.detail) for e in AuditLog(runtime.engine, runtime.clock).recent()[:2]]
    assert (9, "paused in the console by redaktion@example.org") == (
        held.count("paused (before it started)"),
        paused_report.paused,
    )
    assert ([], [], False) == (recording.batches, _progress(editor, edition), paused_report.cancelled)
    assert [("edition.resume", "slots none"), ("edition.pause", actions[1][1])] == actions
    assert actions[1][1].startswith("slots none; not started yet: 06:00, 06:00 America/New_York, ")
