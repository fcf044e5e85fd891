"""Long-polling: many partners wait for the next version without a thread or a connection each.

One :class:`ChangeWatcher` per process. While anybody waits, one asyncio task asks the database for
the version log's head (``SELECT max(id)``, one indexed read) every ``check_seconds``, in one worker
thread at a time; this works across processes (a collect run by the scheduler, a second ``serve``)
on SQLite and PostgreSQL alike. When the head moves the task reads the new versions once into a
short in-memory tail and wakes every waiter by setting one :class:`asyncio.Event`. A woken
partner's next page is then cut from that tail (no query) when its cursor is within it.

Waiters hold only a coroutine and a reference to the event: 500 waiting partners cost 500 small
coroutines, one task and one query per check.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence

from starlette.concurrency import run_in_threadpool

from syndication.partners.versions import ItemVersion, VersionLog

# Versions kept in memory for woken waiters; a cursor further behind reads the database.
TAIL_SIZE = 1000


class CachedLog:
    """The version log with the newest versions answered from memory: what a woken waiter reads."""

    def __init__(self, log: VersionLog) -> None:
        self.log = log
        # (first position covered, versions after it in order); replaced whole, never changed in place.
        self._tail: tuple[int, tuple[ItemVersion, ...]] = (0, ())
        self._covered = False

    def reset(self, head: int) -> None:
        self._tail = (head, ())
        self._covered = True

    def extend(self, versions: Sequence[ItemVersion]) -> None:
        start, tail = self._tail
        combined = (*tail, *versions)
        if len(combined) > TAIL_SIZE:
            dropped = combined[: len(combined) - TAIL_SIZE]
            start, combined = dropped[-1].position, combined[len(combined) - TAIL_SIZE :]
        self._tail = (start, combined)

    def covers(self, position: int) -> bool:
        """Whether everything after ``position`` that is known is in memory."""
        return self._covered and position >= self._tail[0]

    def since(self, position: int, limit: int) -> list[ItemVersion]:
        start, tail = self._tail
        if not self._covered or position < start:
            return self.log.since(position, limit)
        return [version for version in tail if version.position > position][:limit]


class ChangeWatcher:
    """Wakes long-polling requests when the version log grows (one shared task per process)."""

    def __init__(self, log: VersionLog, check_seconds: float = 0.5) -> None:
        self.log = log
        self.cached = CachedLog(log)
        self.check_seconds = check_seconds
        self.head = -1
        self._waiters = 0
        self._event: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()

    @property
    def waiting(self) -> int:
        """How many requests wait now."""
        return self._waiters

    def _start(self) -> asyncio.Event:
        loop = asyncio.get_running_loop()
        if self._loop is not loop or self._event is None:
            # A new event loop (tests start one per client): nothing of the old one can be used.
            self._loop, self._event, self._task = loop, asyncio.Event(), None
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._watch(), name="partner-long-poll")
        return self._event

    async def wait_beyond(self, baseline: int, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds until the log's head passes ``baseline``; whether it did."""
        self._waiters += 1
        try:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + timeout
            while self.head <= baseline:
                event = self._start()
                remaining = deadline - loop.time()
                if remaining <= 0:
                    return False
                try:
                    await asyncio.wait_for(event.wait(), remaining)
                except TimeoutError:
                    return self.head > baseline
            return True
        finally:
            self._waiters -= 1

    async def _watch(self) -> None:
        try:
            while self._waiters > 0:
                await self.check()
                await asyncio.sleep(self.check_seconds)
        finally:
            self._task = None

    def _head(self) -> int:
        # Versions of a writer that told nobody (or an embargo now over) are recorded here, for every waiter.
        self.log.catch_up()
        return self.log.head()

    async def check(self) -> None:
        """Read the head once; when it moved, read the new versions and wake every waiter."""
        head = await run_in_threadpool(self._head)
        if head == self.head:
            return
        if self.head < 0 or head < self.head or head - self.head > TAIL_SIZE:
            self.cached.reset(head)
        else:
            new = await run_in_threadpool(self.log.since, self.head, head - self.head)
            self.cached.extend([version for version in new if version.position <= head])
        self.head = head
        if self._event is not None:
            event, self._event = self._event, asyncio.Event()
            event.set()
