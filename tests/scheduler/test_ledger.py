"""The send ledger claims each (edition, date, slot) once; the run log records job runs."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Engine

from syndication.scheduler.ledger import Outcome, RunLog, SendKey, SendLedger, SendStatus

NOW = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)
KEY = SendKey("daily", date(2026, 11, 24), "06:00")


def test_a_key_is_claimed_once(any_engine: Engine) -> None:
    """The first claim wins; a second claim of the same key gets nothing."""
    ledger = SendLedger(any_engine)
    first = ledger.claim(KEY, NOW)
    second = ledger.claim(KEY, NOW + timedelta(seconds=1))
    assert (SendStatus.RUNNING, 1, None) == (first.status, first.attempts, second)


def test_a_finished_key_is_never_claimed_again(any_engine: Engine) -> None:
    """Once sent, the key stays done, with its counts."""
    ledger = SendLedger(any_engine)
    ledger.claim(KEY, NOW)
    ledger.set_edition(KEY, "ed-1")
    ledger.finish(KEY, SendStatus.SENT, NOW, sent=2)
    again = ledger.claim(KEY, NOW)
    record = ledger.get(KEY)
    assert (None, SendStatus.SENT, 2, "ed-1") == (again, record.status, record.sent, record.edition_id)


def test_a_failed_key_is_resumed_by_one_caller(any_engine: Engine) -> None:
    """A failed key can be taken over once (compare-and-set), counting the attempt."""
    ledger = SendLedger(any_engine)
    ledger.claim(KEY, NOW)
    ledger.finish(KEY, SendStatus.FAILED, NOW, detail="provider down")
    resumed = ledger.claim(KEY, NOW + timedelta(minutes=5))
    competing = ledger.claim(KEY, NOW + timedelta(minutes=5))
    assert (SendStatus.RUNNING, 2, None) == (resumed.status, resumed.attempts, competing)


def test_a_running_key_of_a_dead_process_is_taken_over(any_engine: Engine) -> None:
    """take_over_running resumes a key left running; a finished key is not taken."""
    ledger = SendLedger(any_engine)
    ledger.claim(KEY, NOW)
    taken = ledger.take_over_running(KEY, NOW + timedelta(minutes=1))
    ledger.finish(KEY, SendStatus.SENT, NOW)
    assert (2, None) == (taken.attempts, ledger.take_over_running(KEY, NOW))


def test_was_sent_looks_at_edition_and_slot(any_engine: Engine) -> None:
    """An edition counts as sent in a slot once a sent row names it there."""
    ledger = SendLedger(any_engine)
    ledger.claim(KEY, NOW)
    ledger.set_edition(KEY, "ed-1")
    ledger.finish(KEY, SendStatus.SENT, NOW)
    assert (True, False, False) == (
        ledger.was_sent("ed-1", "06:00"),
        ledger.was_sent("ed-1", "12:00"),
        ledger.was_sent("ed-2", "06:00"),
    )


def test_run_log_keeps_outcome_counts_and_marks_dead_runs(any_engine: Engine) -> None:
    """A finished run keeps outcome, duration and counts; one left running is marked interrupted."""
    runs = RunLog(any_engine)
    done = runs.start("collect", NOW)
    runs.finish(done, Outcome.OK, NOW + timedelta(seconds=2), 2.0, {"created": 3})
    runs.start("collect", NOW + timedelta(minutes=10))
    closed = runs.close_interrupted(NOW + timedelta(minutes=11))
    last = runs.last("collect")
    last_ok = runs.last("collect", outcome=Outcome.OK)
    assert (1, Outcome.INTERRUPTED) == (closed, last.outcome)
    assert (2.0, {"created": 3}, NOW) == (last_ok.duration_seconds, dict(last_ok.counts), last_ok.started_at)
    assert NOW == runs.first_started()


def test_prune_forgets_old_runs_but_keeps_each_jobs_newest(any_engine: Engine) -> None:
    """Runs older than the cut-off go, except the newest run of each job (status still shows it)."""
    runs = RunLog(any_engine)
    for job_id, started in (("collect", NOW), ("collect", NOW + timedelta(days=1)), ("feeds", NOW)):
        runs.finish(runs.start(job_id, started), Outcome.OK, started, 0.1, {})
    pruned = runs.prune(NOW + timedelta(days=40))
    assert (1, NOW + timedelta(days=1), NOW) == (pruned, runs.last("collect").started_at, runs.last("feeds").started_at)
