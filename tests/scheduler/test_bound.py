"""The scheduler's real jobs: reports become typed outcomes, and the scheduler reads only those."""

from __future__ import annotations

from datetime import UTC, date, datetime

from syndication.delivery.send import SendReport
from syndication.digest.editions import Edition
from syndication.scheduler.bound import counts_of, edition_ref, send_outcome
from syndication.scheduler.jobs import SendOutcome
from syndication.sources.collect import CollectReport


def test_a_send_report_becomes_an_outcome_with_its_numbers() -> None:
    """Sent, failed, pending and errors carry over; the counts are the report's numbers, flags and text left out."""
    report = SendReport("daily-2026-11-24", "06:00", "outbox", planned=5, sent=3, failed=1, pending=1,
                        errors=("batch 2: refused",))
    outcome = send_outcome(report)
    assert (3, 1, 1, ("batch 2: refused",)) == (outcome.sent, outcome.failed, outcome.pending, outcome.errors)
    assert 5 == outcome.counts["planned"] and 1 == outcome.counts["errors"]
    assert not {"edition_id", "slot", "backend", "dry_run", "busy", "paused"} & set(outcome.counts)


def test_a_send_left_unfinished_says_why() -> None:
    """Pending or in-doubt messages, a busy run or a stop make the send unfinished, and the detail names them."""
    outcome = send_outcome(SendReport("e", "06:00", "smtp", sent=2, failed=1, pending=3, in_doubt=2))
    assert outcome.unfinished
    assert "1 failed, 3 pending, 2 in doubt" == outcome.failure_detail()
    assert SendOutcome(busy=True).unfinished and SendOutcome(stopped=True).unfinished
    assert not send_outcome(SendReport("e", "06:00", "smtp", sent=2)).unfinished


def test_collect_counts_lists_by_length() -> None:
    """A collect report is counted as the scheduler logs it: lists by their length."""
    report = CollectReport(created=["a", "b"], updated=["c"], unchanged=4)
    assert {"created": 2, "updated": 1, "retracted": 0, "unchanged": 4, "errors": 0} == dict(counts_of(report))


def test_an_edition_is_known_by_reference() -> None:
    """The scheduler gets the edition's id, name, date, build time and number of articles."""
    built = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)
    edition = Edition("daily-2026-11-24", "daily", "Der Morgen", date(2026, 11, 24), built, ("a", "b", "c"), 0, 9, 7)
    ref = edition_ref(edition)
    assert ref is not None
    assert ("daily-2026-11-24", "daily", date(2026, 11, 24), built, 3) == (
        ref.id, ref.name, ref.edition_date, ref.built_at, ref.articles
    )
    assert edition_ref(None) is None
