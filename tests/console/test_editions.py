"""Editions in the console: previews, a test send, and send / pause / resume / cancel through the ledger."""

from __future__ import annotations

import threading
import time

import lxml.html
from starlette.testclient import TestClient

from syndication.console import Console
from syndication.console.audit import AuditLog
from syndication.console.editions import forced_scheme
from syndication.delivery.ledger import Ledger
from syndication.runtime import Runtime
from tests.console.conftest import READERS, GatedMessenger, csrf_of


def _wait_idle(console: Console, edition: str, slot: str) -> None:
    deadline = time.monotonic() + 60
    while console.sends.running(edition, slot):
        assert time.monotonic() < deadline, "the send did not finish"
        time.sleep(0.05)


def _sent_to(recording: GatedMessenger) -> list[str]:
    return sorted(r.email for batch in recording.batches if not batch.key.startswith("test:")
                  for r in batch.recipients)


def test_dark_rules_are_forced_on_or_off() -> None:
    """The preview in dark applies the mail's dark-mode rules always; in light, never."""
    html = "<style>@media (prefers-color-scheme: dark) { body { color: #fff } }</style>"
    assert "<style>@media all { body { color: #fff } }</style>" == forced_scheme(html, "dark")
    assert "<style>@media not all { body { color: #fff } }</style>" == forced_scheme(html, "light")


def test_the_editions_list_finds_an_edition(editor: TestClient, edition: str) -> None:
    """The list shows the edition; searching by its id finds it."""
    page = editor.get("/admin/editions", params={"q": edition})
    assert 200 == page.status_code
    assert f'href="/admin/editions/{edition}"' in page.text


def test_the_edition_page_shows_articles_subject_text_and_previews(editor: TestClient, edition: str) -> None:
    """Articles in order, the subject, the plain text and an iframe preview of the variant."""
    page = editor.get(f"/admin/editions/{edition}")
    assert 200 == page.status_code
    assert 'id="subject"' in page.text
    assert f'src="/admin/editions/{edition}/preview/all?scheme=light"' in page.text
    assert '<pre class="text"' in page.text
    dark = editor.get(f"/admin/editions/{edition}/preview/all", params={"scheme": "dark"})
    assert 200 == dark.status_code
    assert "prefers-color-scheme" not in dark.text
    assert "frame-ancestors 'self'" in dark.headers["content-security-policy"]


def test_a_test_send_goes_to_the_address_given(
    editor: TestClient, edition: str, recording: GatedMessenger, runtime: Runtime
) -> None:
    """"Send a test" mails the variant to the address, marked as a test, and the audit log records it."""
    csrf = csrf_of(editor.get(f"/admin/editions/{edition}").text)
    done = editor.post(f"/admin/editions/{edition}/test", data={"csrf": csrf, "address": "Pruefung@Example.org"})
    assert 303 == done.status_code
    assert [["pruefung@example.org"]] == [[r.email for r in b.recipients] for b in recording.batches]
    assert recording.batches[0].body.subject.startswith("[Test] ")
    assert ("redaktion@example.org", "edition.test", edition) == next(
        (e.actor, e.action, e.target) for e in AuditLog(runtime.engine, runtime.clock).recent())


def test_send_pause_resume_reaches_everyone_once(
    editor: TestClient, edition: str, recording: GatedMessenger, console: Console, runtime: Runtime
) -> None:
    """A send paused after its first batch stops there; resumed, it reaches every reader exactly once."""
    csrf = csrf_of(editor.get(f"/admin/editions/{edition}").text)
    recording.gate.clear()
    assert 303 == editor.post(f"/admin/editions/{edition}/send", data={"csrf": csrf, "slot": "06:00"}).status_code
    assert recording.waiting.wait(30)
    threading.Timer(0.3, recording.gate.set).start()
    assert 303 == editor.post(f"/admin/editions/{edition}/pause", data={"csrf": csrf}).status_code
    run = Ledger(runtime.engine).get_run(edition, "06:00")
    assert run is not None
    assert "paused" == run.status
    assert 2 == len(_sent_to(recording))
    progress = editor.get(f"/admin/editions/{edition}/progress")
    assert "2 of 5 sent" in progress.text
    assert 303 == editor.post(f"/admin/editions/{edition}/resume", data={"csrf": csrf}).status_code
    _wait_idle(console, edition, "06:00")
    assert [f"leser{n}@example.org" for n in range(1, READERS + 1)] == _sent_to(recording)
    report = editor.get(f"/admin/editions/{edition}/report")
    assert 200 == report.status_code
    assert "5 of 5 sent" in report.text
    listing = lxml.html.fromstring(editor.get("/admin/editions", params={"q": edition}).text)
    [row] = [tr for tr in listing.cssselect("tbody tr") if tr.cssselect("a")[0].text_content() == edition]
    assert ["06:00: done", "5", "0", "0", "0"] == [td.text_content() for td in row.cssselect("td")[-5:]]
    actions = [e.action for e in AuditLog(runtime.engine, runtime.clock).recent()]
    assert ["edition.resume", "edition.pause", "edition.send"] == actions[:3]


def test_cancel_the_rest_stops_the_send_for_good(
    editor: TestClient, edition: str, recording: GatedMessenger, console: Console, runtime: Runtime
) -> None:
    """Cancelling leaves the rest unsent and says so; nothing more goes out, not after a resume nor a new send."""
    csrf = csrf_of(editor.get(f"/admin/editions/{edition}").text)
    recording.gate.clear()
    editor.post(f"/admin/editions/{edition}/send", data={"csrf": csrf, "slot": "06:00"})
    assert recording.waiting.wait(30)
    threading.Timer(0.3, recording.gate.set).start()
    assert 303 == editor.post(f"/admin/editions/{edition}/cancel", data={"csrf": csrf}).status_code
    _wait_idle(console, edition, "06:00")
    assert 2 == len(_sent_to(recording))
    assert "cancelled" in editor.get(f"/admin/editions/{edition}/progress").text

    editor.post(f"/admin/editions/{edition}/resume", data={"csrf": csrf})
    editor.post(f"/admin/editions/{edition}/send", data={"csrf": csrf, "slot": "06:00"})
    _wait_idle(console, edition, "06:00")
    assert 2 == len(_sent_to(recording))
    assert "cancelled" in editor.get(f"/admin/editions/{edition}/progress").text
