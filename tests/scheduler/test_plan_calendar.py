"""How newsletters' schedules become slots: special-only newsletters have none, quiet days and hours are skipped."""

from __future__ import annotations

from datetime import UTC, datetime

from syndication.config import NewsletterConfig, Settings
from syndication.scheduler.plan import build_plan, fire_times


def test_quiet_days_skip_the_regular_edition_and_the_next_goes_out_on_time() -> None:
    """With 24–26 December quiet, the 06:00 daily edition fires on the 23rd and next on the 27th at 06:00."""
    settings = Settings.model_validate({"calendar": {"quiet_days": ["12-24", "12-25", "12-26"]}})
    job = build_plan(settings).job("edition:daily:06:00")
    moments = fire_times(job.trigger, datetime(2026, 12, 23, tzinfo=UTC), datetime(2026, 12, 28, tzinfo=UTC))
    assert ["2026-12-23T06:00:00+01:00", "2026-12-27T06:00:00+01:00"] == [m.isoformat() for m in moments]


def test_quiet_hours_leave_out_a_slot_inside_them() -> None:
    """A 22:00 slot inside quiet hours 21:30–06:00 never fires; the 18:00 slot does."""
    newsletter = NewsletterConfig(name="abend", title="Abend", slots=("18:00", "22:00"))
    settings = Settings.model_validate({"newsletters": [newsletter.model_dump()],
                                        "calendar": {"quiet_hours": ["21:30-06:00"]}})
    plan = build_plan(settings)
    start, end = datetime(2026, 11, 24, tzinfo=UTC), datetime(2026, 11, 26, tzinfo=UTC)
    late = list(fire_times(plan.job("edition:abend:22:00").trigger, start, end))
    early = list(fire_times(plan.job("edition:abend:18:00").trigger, start, end))
    assert (0, 2) == (len(late), len(early))


def test_a_newsletter_without_schedule_has_no_jobs() -> None:
    """schedule = "none" (special editions only) puts nothing on the timer."""
    settings = Settings.model_validate({"newsletters": [
        {"name": "morgen", "title": "Der Morgen"}, {"name": "eilmeldung", "title": "Eilmeldung", "schedule": "none"},
    ]})
    assert ["edition:morgen:06:00"] == [job.id for job in build_plan(settings).slot_jobs]
