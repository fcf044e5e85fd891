"""CSV import in the console: a preview of what would change, then the importer the CLI uses."""

from __future__ import annotations

from starlette.testclient import TestClient

from syndication.app import App
from syndication.console.audit import AuditLog
from syndication.runtime import Runtime
from syndication.subscriber import SubscriberStatus
from tests.console.conftest import csrf_of

CSV = "email,name\nneu@example.org,Neu\nda@example.org,Da\nkeine-adresse\nneu@example.org,Doppelt\n"


def test_preview_then_import(admin: TestClient, runtime: Runtime) -> None:
    """The preview counts new, present and bad rows and changes nothing; the import adds the new reader as
    pending, mails the confirmation and reports every rejected row with its line."""
    store = App(runtime).subscriber_store()
    store.add("da@example.org", now=runtime.clock.now(), status=SubscriberStatus.ACTIVE)
    csrf = csrf_of(admin.get("/admin/subscribers/import").text)
    shown = admin.post("/admin/subscribers/import/preview", data={"csrf": csrf},
                       files={"file": ("leser.csv", CSV.encode(), "text/csv")})
    assert 200 == shown.status_code
    assert "New: 1" in shown.text
    assert "Already present, left as they are: 1" in shown.text
    assert "Line 4:" in shown.text
    assert store.get_by_email("neu@example.org") is None
    token = shown.text.split('name="token" value="')[1].split('"')[0]
    done = admin.post("/admin/subscribers/import/run", data={"csrf": csrf, "token": token})
    assert 200 == done.status_code
    assert "1 imported, 1 already present, 2 rejected." in done.text
    assert SubscriberStatus.PENDING == store.get_by_email("neu@example.org").status
    # The confirmation goes out as the CLI's does: through the subscription service's mailer ([delivery]: the outbox).
    assert "neu@example.org" in (runtime.settings.outbox_dir / "index.jsonl").read_text(encoding="utf-8")
    assert "subscribers.import" == AuditLog(runtime.engine, runtime.clock).recent()[0].action
    again = admin.post("/admin/subscribers/import/run", data={"csrf": csrf, "token": token})
    assert 400 == again.status_code


def test_an_editor_cannot_import(editor: TestClient) -> None:
    """Import is for administrators."""
    assert 403 == editor.get("/admin/subscribers/import").status_code
