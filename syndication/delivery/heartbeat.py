"""A worker's heartbeat: how claims show, across machines, that their worker is still at work.

While a worker plans or sends a run it refreshes one row (``delivery_workers``) every third of
the lease, from a daemon thread, with the time of the injected Clock. Whoever finds a claim
(a batch in ``sending``, a run in ``planning``) asks :func:`last_beats` when its worker was last
heard of; silent for longer than ``[workers] lease_seconds``, the claim is abandoned, whatever
machine the worker ran on. Deleting the row when the worker is done leaves its claims aged by
their own time.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from datetime import datetime, timedelta
from types import TracebackType

from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from syndication.clock import Clock
from syndication.delivery.claims import Worker
from syndication.delivery.tables import delivery_workers

log = logging.getLogger(__name__)


def beat(engine: Engine, worker: Worker | str, now: datetime) -> None:
    """Record that ``worker`` is alive at ``now`` (one UPDATE, or the first INSERT)."""
    name = str(worker)
    with engine.begin() as connection:
        updated = connection.execute(
            update(delivery_workers).where(delivery_workers.c.worker == name).values(beat_at=now)
        ).rowcount
        if updated:
            return
    try:
        with engine.begin() as connection:
            connection.execute(insert(delivery_workers).values(worker=name, beat_at=now))
    except IntegrityError:  # our own thread inserted it between the two transactions
        beat(engine, name, now)


def forget(engine: Engine, worker: Worker | str) -> None:
    """The worker is done: its row goes (claims it left behind age by their own time)."""
    with engine.begin() as connection:
        connection.execute(delete(delivery_workers).where(delivery_workers.c.worker == str(worker)))


def last_beats(engine: Engine, workers: Iterable[str | None]) -> dict[str, datetime]:
    """When each of these workers last beat (workers without a row are left out)."""
    names = sorted({name for name in workers if name})
    if not names:
        return {}
    with engine.connect() as connection:
        rows = connection.execute(
            select(delivery_workers.c.worker, delivery_workers.c.beat_at).where(delivery_workers.c.worker.in_(names))
        )
        return {row.worker: row.beat_at for row in rows}


class Heartbeat:
    """``with Heartbeat(engine, worker, clock, lease):`` beats at once, then every third of the lease.

    The thread only writes a timestamp; a failed write (the database away for a moment) is logged
    and tried again at the next beat: a worker that cannot reach the database for a whole lease
    loses its claims, which is what the lease is for.
    """

    def __init__(self, engine: Engine, worker: Worker, clock: Clock, lease: timedelta) -> None:
        self.engine = engine
        self.worker = worker
        self.clock = clock
        self.interval = max(lease.total_seconds() / 3, 0.05)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"heartbeat-{worker.token}", daemon=True)
        self.beats = 0

    def beat(self) -> None:
        beat(self.engine, self.worker, self.clock.now())
        self.beats += 1

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.beat()
            except Exception as exc:  # the next beat tries again; a lease of silence gives the claims up
                log.warning("worker heartbeat failed: %s", type(exc).__name__)

    def __enter__(self) -> Heartbeat:
        self.beat()
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join()
        try:
            forget(self.engine, self.worker)
        except Exception as exc:  # the row then ages out like a crashed worker's
            log.warning("worker heartbeat row not removed: %s", type(exc).__name__)
