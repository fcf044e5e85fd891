"""`syndication status` and GET /healthz: last and next runs, last editions, 503 on failure or delay."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from starlette.applications import Starlette
from starlette.testclient import TestClient

from syndication.cli.run import format_status
from syndication.clock import FixedClock
from syndication.runtime import Runtime
from syndication.scheduler.ledger import Outcome, RunLog
from syndication.scheduler.plan import build_plan
from syndication.scheduler.routes import routes
from syndication.scheduler.service import SchedulerService
from syndication.scheduler.status import gather
from syndication.scheduler.testing import FakeNewsroom

BERLIN = ZoneInfo("Europe/Berlin")


def local(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=BERLIN)


def healthz(runtime: Runtime, newsroom: FakeNewsroom) -> tuple[int, dict]:
    client = TestClient(Starlette(routes=routes(runtime, newsroom.jobs())))
    response = client.get("/healthz")
    return response.status_code, response.json()


def test_healthy_after_collect_and_send(
    runtime: Runtime, service: SchedulerService, newsroom: FakeNewsroom, clock: FixedClock
) -> None:
    """After a good collect and the 06:00 send, /healthz answers 200 with last and next runs and the last edition."""
    clock.set(local(2026, 11, 24, 6, 0))
    service.collect()
    service.run_slot("edition:daily:06:00")
    clock.set(local(2026, 11, 24, 6, 5))
    status, body = healthz(runtime, newsroom)
    jobs = {job["id"]: job for job in body["jobs"]}
    daily = body["editions"][0]
    assert (200, "ok", []) == (status, body["status"], body["problems"])
    assert ("ok", local(2026, 11, 24, 6, 10).isoformat()) == (
        jobs["collect"]["last_run"]["outcome"],
        datetime.fromisoformat(jobs["collect"]["next_run"]).astimezone(BERLIN).isoformat(),
    )
    assert local(2026, 11, 24, 12, 0) == datetime.fromisoformat(jobs["edition:daily:12:00"]["next_run"])
    assert ("2026-11-24", 2, "sent", 2) == (
        daily["last_edition"]["date"],
        daily["last_edition"]["articles"],
        daily["last_send"]["status"],
        daily["last_send"]["sent"],
    )


def test_unhealthy_when_no_collect_ran(runtime: Runtime, newsroom: FakeNewsroom) -> None:
    """Without any successful collect, /healthz answers 503 and says so."""
    status, body = healthz(runtime, newsroom)
    assert (503, ["no collect has succeeded yet: is `syndication run` running?"]) == (status, body["problems"])


def test_unhealthy_when_collect_is_overdue(
    runtime: Runtime, service: SchedulerService, newsroom: FakeNewsroom, clock: FixedClock
) -> None:
    """No successful collect within interval × collect_overdue_factor (10 min × 3) → 503."""
    clock.set(local(2026, 11, 24, 5, 0))
    service.collect()
    clock.set(local(2026, 11, 24, 5, 29))
    early, _ = healthz(runtime, newsroom)
    clock.set(local(2026, 11, 24, 5, 31))
    late, body = healthz(runtime, newsroom)
    assert (200, 503) == (early, late)
    assert body["problems"][0].startswith("collect is overdue")


def test_unhealthy_when_the_last_collect_failed(
    runtime: Runtime, service: SchedulerService, newsroom: FakeNewsroom, clock: FixedClock
) -> None:
    """A collect that raised makes /healthz answer 503 naming the error."""
    clock.set(local(2026, 11, 24, 5, 0))
    service.collect()
    newsroom.collect = _raise  # type: ignore[method-assign]
    service.jobs = newsroom.jobs()
    clock.set(local(2026, 11, 24, 5, 10))
    service.collect()
    status, body = healthz(runtime, newsroom)
    assert 503 == status
    expected = "the last collect (2026-11-24T04:10:00+00:00) failed: OSError: content folder unreadable"
    assert [expected] == body["problems"]


def _raise() -> None:
    raise OSError("content folder unreadable")


def test_unhealthy_when_the_last_send_failed(
    runtime: Runtime, service: SchedulerService, newsroom: FakeNewsroom, clock: FixedClock
) -> None:
    """A failed send makes /healthz answer 503."""
    clock.set(local(2026, 11, 24, 6, 0))
    service.collect()
    newsroom.send_failures = 1
    service.run_slot("edition:daily:06:00")
    status, body = healthz(runtime, newsroom)
    assert (503, ["the last send (daily 2026-11-24 06:00) failed: ConnectionError: provider unreachable"]) == (
        status,
        body["problems"],
    )


def test_unhealthy_when_a_slot_did_not_run(
    runtime: Runtime, service: SchedulerService, newsroom: FakeNewsroom, clock: FixedClock
) -> None:
    """A slot whose grace has passed without any record (scheduler stuck) is reported."""
    clock.set(local(2026, 11, 24, 5, 0))
    service.collect()
    clock.set(local(2026, 11, 24, 8, 30))
    service.collect()
    status, body = healthz(runtime, newsroom)
    assert (503, ["daily 2026-11-24 06:00 did not run (due 2026-11-24T06:00:00+01:00)"]) == (status, body["problems"])


def test_status_text_lists_jobs_and_editions(
    runtime: Runtime, service: SchedulerService, newsroom: FakeNewsroom, clock: FixedClock
) -> None:
    """The text status names each job with its last outcome and each edition with its last send."""
    clock.set(local(2026, 11, 24, 6, 0))
    service.collect()
    service.run_slot("edition:daily:06:00")
    text = format_status(gather(runtime, newsroom.jobs(), build_plan(runtime.settings)))
    lines = text.splitlines()
    assert lines[0].startswith("status: ok")
    assert [True, True] == [
        any(line.startswith("collect ") and " ok " in line for line in lines),
        any(line.startswith("edition:daily:06:00") and " ok " in line for line in lines),
    ]
    assert "  last send: 2026-11-24 06:00 sent (sent 2, failed 0)" in lines
    assert Outcome.OK == RunLog(runtime.engine).last("edition:daily:06:00").outcome
