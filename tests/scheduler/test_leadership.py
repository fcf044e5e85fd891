"""The scheduler's lease on SQLite and PostgreSQL: one leader, takeover a lease after its silence, resignation."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from syndication.clock import FixedClock
from syndication.errors import LockHeld
from syndication.scheduler.leadership import LeaderLease

LEASE = timedelta(seconds=60)


def _lease(engine: Engine, holder: str, clock: FixedClock) -> LeaderLease:
    return LeaderLease(engine, holder, clock, LEASE)


def test_one_of_two_leads_while_the_leader_renews(any_engine: Engine) -> None:
    """The first takes the lease; the second cannot while the first renews within the lease."""
    clock = FixedClock(datetime(2026, 11, 24, 5, 59, tzinfo=UTC))
    first, second = _lease(any_engine, "a/1/x", clock), _lease(any_engine, "b/2/y", clock)
    took = first.try_take()
    clock.advance(timedelta(seconds=50))
    renewed = first.renew()
    clock.advance(timedelta(seconds=50))
    assert (True, True, False) == (took, renewed, second.try_take())
    assert "a/1/x" == (first.current() or pytest.fail("no lease row")).holder


def test_a_silent_leader_is_replaced_a_lease_later_and_cannot_renew(any_engine: Engine) -> None:
    """60 s without renewal: the standby takes over; the old leader's renewal then fails, so it stops firing."""
    clock = FixedClock(datetime(2026, 11, 24, 5, 59, tzinfo=UTC))
    first, second = _lease(any_engine, "a/1/x", clock), _lease(any_engine, "b/2/y", clock)
    first.try_take()
    clock.advance(timedelta(seconds=59))
    too_early = second.try_take()
    clock.advance(timedelta(seconds=1))
    assert (False, True, False, False) == (too_early, second.try_take(), first.renew(), first.alive())


def test_a_resigning_leader_hands_over_at_once(any_engine: Engine) -> None:
    """release() frees the lease: a standby takes it at its next try, without waiting for the lease."""
    clock = FixedClock(datetime(2026, 11, 24, 5, 59, tzinfo=UTC))
    first, second = _lease(any_engine, "a/1/x", clock), _lease(any_engine, "b/2/y", clock)
    first.try_take()
    first.release()
    assert (True, False) == (second.try_take(), first.renew())


def test_take_now_refuses_while_another_leads(any_engine: Engine) -> None:
    """`run --once` takes the lease at once or raises LockHeld naming the leader."""
    clock = FixedClock(datetime(2026, 11, 24, 5, 59, tzinfo=UTC))
    _lease(any_engine, "a/1/x", clock).try_take()
    with pytest.raises(LockHeld) as refused:
        _lease(any_engine, "b/2/y", clock).take_now()
    assert "a/1/x" in str(refused.value)


def test_only_one_of_many_standbys_takes_a_lapsed_lease(any_engine: Engine) -> None:
    """Eight standbys try at once after the leader went silent: exactly one wins the conditional UPDATE."""
    clock = FixedClock(datetime(2026, 11, 24, 5, 59, tzinfo=UTC))
    _lease(any_engine, "dead/1/x", clock).try_take()
    clock.advance(timedelta(minutes=5))
    standbys = [_lease(any_engine, f"s/{n}/t", clock) for n in range(8)]
    barrier = threading.Barrier(len(standbys))
    won: list[str] = []

    def attempt(lease: LeaderLease) -> None:
        barrier.wait()
        if lease.try_take():
            won.append(lease.holder)

    threads = [threading.Thread(target=attempt, args=[lease]) for lease in standbys]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert 1 == len(won)


def test_stand_by_returns_false_when_stopped(any_engine: Engine) -> None:
    """A standby asked to stop returns without leading."""
    clock = FixedClock(datetime(2026, 11, 24, 5, 59, tzinfo=UTC))
    _lease(any_engine, "a/1/x", clock).try_take()
    stop = threading.Event()
    stop.set()
    assert False is _lease(any_engine, "b/2/y", clock).stand_by(stop)
