"""One leader among any number of ``syndication run`` processes: a lease row in the store.

Every ``run`` process tries to take the row ``scheduler`` of ``scheduler_leases``; the one
that holds it fires the schedule and renews it every third of ``[workers] lease_seconds``.
The others stand by and try again as often. A leader that dies (SIGKILL, a machine gone, its
network cut) stops renewing, and a lease later one conditional UPDATE — of two standbys only
one matches — makes another process the leader, which then fires what is due.

A lease row rather than a PostgreSQL advisory lock: it works the same on SQLite, its time comes
from the injected Clock (tests move it), and it expires after a known time even when the dead
leader's database session lingers (a machine gone without closing its TCP connection keeps an
advisory lock until the server's keepalive gives up, often hours). A leader that cannot renew
(its row was taken, or the database is out of reach) stops firing: the send ledger's claims
make anything it still had running harmless.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from syndication.clock import Clock
from syndication.errors import LockHeld
from syndication.scheduler.tables import scheduler_leases

log = logging.getLogger("syndication.scheduler")

LEADER = "scheduler"
# As in the send ledger's claims (syndication.delivery.claims): this machine's name, else the hostname.
HOST_ENV = "SYNDICATION_HOST_ID"


def holder_name() -> str:
    """This process's name as a lease holder: ``host/pid/token``."""
    return f"{os.environ.get(HOST_ENV) or socket.gethostname()}/{os.getpid()}/{uuid.uuid4().hex[:12]}"


@dataclass(frozen=True)
class Leader:
    holder: str | None
    renewed_at: datetime
    taken_at: datetime


class LeaderLease:
    """The scheduler's lease for one holder; also the runner's lock (``alive`` renews, ``release`` resigns)."""

    def __init__(
        self, engine: Engine, holder: str, clock: Clock, lease: timedelta, name: str = LEADER
    ) -> None:
        self.engine = engine
        self.holder = holder
        self.clock = clock
        self.lease = lease
        self.name = name

    @property
    def description(self) -> str:
        return f"scheduler lease held by {self.holder} (lapses {self.lease.total_seconds():g} s after its last renewal)"

    @property
    def interval(self) -> float:
        """Seconds between renewals (and between a standby's tries): a third of the lease."""
        return self.lease.total_seconds() / 3

    def try_take(self) -> bool:
        """Become the leader if nobody is, or the leader let the lease lapse; True when this holder leads."""
        now = self.clock.now()
        try:
            with self.engine.begin() as connection:
                connection.execute(
                    insert(scheduler_leases).values(name=self.name, holder=self.holder, renewed_at=now, taken_at=now)
                )
            return True
        except IntegrityError:
            pass
        with self.engine.begin() as connection:
            taken = connection.execute(
                update(scheduler_leases)
                .where(
                    scheduler_leases.c.name == self.name,
                    or_(scheduler_leases.c.holder.is_(None), scheduler_leases.c.holder == self.holder,
                        scheduler_leases.c.renewed_at <= now - self.lease),
                )
                .values(holder=self.holder, renewed_at=now, taken_at=now)
            ).rowcount
        return bool(taken)

    def renew(self) -> bool:
        """Extend the lease; False when another process has taken it (this one must stop firing)."""
        with self.engine.begin() as connection:
            return bool(
                connection.execute(
                    update(scheduler_leases)
                    .where(scheduler_leases.c.name == self.name, scheduler_leases.c.holder == self.holder)
                    .values(renewed_at=self.clock.now())
                ).rowcount
            )

    def alive(self) -> bool:
        """Renew; a failure to reach the database counts as lost (the lease may lapse meanwhile)."""
        try:
            return self.renew()
        except Exception as exc:  # any failure: this process can no longer be sure it leads
            log.warning("scheduler lease not renewed: %s", type(exc).__name__)
            return False

    def release(self) -> None:
        """Resign (a graceful stop): a standby takes over at its next try instead of a lease later."""
        try:
            with self.engine.begin() as connection:
                connection.execute(
                    update(scheduler_leases)
                    .where(scheduler_leases.c.name == self.name, scheduler_leases.c.holder == self.holder)
                    .values(holder=None)
                )
        except Exception as exc:  # the lease then lapses on its own
            log.warning("scheduler lease not released: %s", type(exc).__name__)

    def current(self) -> Leader | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(scheduler_leases).where(scheduler_leases.c.name == self.name)).first()
        return None if row is None else Leader(row.holder, row.renewed_at, row.taken_at)

    def take_now(self) -> LeaderLease:
        """Take the lease or raise LockHeld at once (``run --once``)."""
        if self.try_take():
            return self
        leader = self.current()
        raise LockHeld(
            "another `syndication run` leads the schedule of this database (%(holder)s); "
            "`run --once` runs only when no scheduler does",
            holder=leader.holder if leader and leader.holder else "?",
        )

    def stand_by(self, stop: threading.Event) -> bool:
        """Try every third of the lease until this process leads (True) or ``stop`` is set (False)."""
        announced = False
        while not stop.is_set():
            if self.try_take():
                return True
            if not announced:
                leader = self.current()
                log.info("standing by: %s leads the schedule", leader.holder if leader else "another process")
                announced = True
            stop.wait(self.interval)
        return False
