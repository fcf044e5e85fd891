"""Records of what the scheduler did: job runs and edition sends (one per edition, date, slot)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Engine, and_, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from syndication.delivery.brake import resume_edition
from syndication.scheduler.tables import edition_sends, job_runs


class SendStatus(StrEnum):
    RUNNING = "running"
    # [workers] queue: the send was deferred to the job queue; the worker's job settles the row.
    QUEUED = "queued"
    SENT = "sent"
    # A cron build job's key: the edition was built (the slots send it).
    BUILT = "built"
    SKIPPED = "skipped"
    FAILED = "failed"


# A slot in one of these states is done for its date: never built or sent again.
FINAL = (SendStatus.SENT, SendStatus.BUILT, SendStatus.SKIPPED)
# A slot in one of these states is not fired again: done, or in the job queue's hands.
SETTLED = (*FINAL, SendStatus.QUEUED)


class Outcome(StrEnum):
    RUNNING = "running"
    OK = "ok"
    SKIPPED = "skipped"
    FAILED = "failed"
    INTERRUPTED = "interrupted"


@dataclass(frozen=True)
class SendKey:
    edition_name: str
    edition_date: date
    slot: str

    def __str__(self) -> str:
        return f"{self.edition_name} {self.edition_date.isoformat()} {self.slot}"


@dataclass(frozen=True)
class SendRecord:
    key: SendKey
    edition_id: str | None
    status: SendStatus
    attempts: int
    sent: int
    failed: int
    detail: str | None
    started_at: datetime
    finished_at: datetime | None

    def as_json(self) -> dict[str, Any]:
        return {
            "edition": self.key.edition_name,
            "date": self.key.edition_date.isoformat(),
            "slot": self.key.slot,
            "edition_id": self.edition_id,
            "status": self.status.value,
            "attempts": self.attempts,
            "sent": self.sent,
            "failed": self.failed,
            "detail": self.detail,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
        }


@dataclass(frozen=True)
class JobRun:
    id: int
    job_id: str
    started_at: datetime
    finished_at: datetime | None
    duration_seconds: float | None
    outcome: Outcome
    counts: Mapping[str, Any]
    error: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "duration_seconds": self.duration_seconds,
            "outcome": self.outcome.value,
            "counts": dict(self.counts),
            "error": self.error,
        }


def _send_record(row: Any) -> SendRecord:
    return SendRecord(
        key=SendKey(row.edition_name, row.edition_date, row.slot),
        edition_id=row.edition_id,
        status=SendStatus(row.status),
        attempts=row.attempts,
        sent=row.sent,
        failed=row.failed,
        detail=row.detail,
        started_at=row.started_at,
        finished_at=row.finished_at,
    )


def _job_run(row: Any) -> JobRun:
    return JobRun(
        id=row.id,
        job_id=row.job_id,
        started_at=row.started_at,
        finished_at=row.finished_at,
        duration_seconds=row.duration_seconds,
        outcome=Outcome(row.outcome),
        counts=json.loads(row.counts),
        error=row.error,
    )


class SendLedger:
    """Claims (edition, date, slot) before building or sending, and records how it ended."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def claim(self, key: SendKey, now: datetime) -> SendRecord | None:
        """Take ``key`` for this caller; None when it is done already or someone else holds it.

        A new key is claimed with one INSERT (the unique constraint decides between two
        callers). A key that failed before is taken over with a compare-and-set UPDATE, so
        of two callers resuming it only one wins.
        """
        values = {
            "edition_name": key.edition_name,
            "edition_date": key.edition_date,
            "slot": key.slot,
            "status": SendStatus.RUNNING.value,
            "attempts": 1,
            "sent": 0,
            "failed": 0,
            "started_at": now,
        }
        try:
            with self.engine.begin() as connection:
                connection.execute(insert(edition_sends).values(**values))
        except IntegrityError:
            return self._resume(key, now)
        return self.get(key)

    def _resume(self, key: SendKey, now: datetime) -> SendRecord | None:
        existing = self.get(key)
        if existing is None or existing.status != SendStatus.FAILED:
            return None
        with self.engine.begin() as connection:
            taken = connection.execute(
                update(edition_sends)
                .where(self._where(key), edition_sends.c.status == SendStatus.FAILED.value)
                .values(
                    status=SendStatus.RUNNING.value,
                    attempts=edition_sends.c.attempts + 1,
                    started_at=now,
                    finished_at=None,
                )
            ).rowcount
        return self.get(key) if taken == 1 else None

    def take_over_running(self, key: SendKey, now: datetime) -> SendRecord | None:
        """Resume a key left ``running`` by a process that died (call only under the scheduler lock)."""
        with self.engine.begin() as connection:
            taken = connection.execute(
                update(edition_sends)
                .where(self._where(key), edition_sends.c.status == SendStatus.RUNNING.value)
                .values(attempts=edition_sends.c.attempts + 1, started_at=now, finished_at=None)
            ).rowcount
        return self.get(key) if taken == 1 else None

    def set_edition(self, key: SendKey, edition_id: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(update(edition_sends).where(self._where(key)).values(edition_id=edition_id))

    def finish(
        self,
        key: SendKey,
        status: SendStatus,
        now: datetime,
        *,
        sent: int = 0,
        failed: int = 0,
        detail: str | None = None,
    ) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                update(edition_sends)
                .where(self._where(key))
                .values(status=status.value, sent=sent, failed=failed, detail=detail, finished_at=now)
            )

    def mark_queued(self, key: SendKey) -> bool:
        """A running key's send is in the job queue now; False when a worker has settled it already."""
        with self.engine.begin() as connection:
            return connection.execute(
                update(edition_sends)
                .where(self._where(key), edition_sends.c.status == SendStatus.RUNNING.value)
                .values(status=SendStatus.QUEUED.value)
            ).rowcount == 1

    def settle(
        self, key: SendKey, status: SendStatus, now: datetime, *, sent: int = 0, failed: int = 0,
        detail: str | None = None,
    ) -> bool:
        """A send job's end: finish a key still ``queued`` or ``running`` (a finished one stays as it is)."""
        open_states = [SendStatus.QUEUED.value, SendStatus.RUNNING.value]
        with self.engine.begin() as connection:
            return connection.execute(
                update(edition_sends)
                .where(self._where(key), edition_sends.c.status.in_(open_states))
                .values(status=status.value, sent=sent, failed=failed, detail=detail, finished_at=now)
            ).rowcount == 1

    def get(self, key: SendKey) -> SendRecord | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(edition_sends).where(self._where(key))).first()
        return _send_record(row) if row is not None else None

    def for_date(self, edition_name: str, edition_date: date) -> list[SendRecord]:
        query = (
            select(edition_sends)
            .where(edition_sends.c.edition_name == edition_name, edition_sends.c.edition_date == edition_date)
            .order_by(edition_sends.c.slot)
        )
        with self.engine.connect() as connection:
            return [_send_record(row) for row in connection.execute(query)]

    def was_sent(self, edition_id: str, slot: str) -> bool:
        """Whether this edition already went out (or is going out) in this slot on any date."""
        query = select(func.count()).where(
            edition_sends.c.edition_id == edition_id,
            edition_sends.c.slot == slot,
            edition_sends.c.status.in_([SendStatus.SENT.value, SendStatus.RUNNING.value, SendStatus.QUEUED.value]),
        )
        with self.engine.connect() as connection:
            return bool(connection.execute(query).scalar_one())

    def latest(self, edition_name: str | None = None) -> SendRecord | None:
        query = select(edition_sends).order_by(edition_sends.c.started_at.desc(), edition_sends.c.id.desc())
        if edition_name is not None:
            query = query.where(edition_sends.c.edition_name == edition_name)
        with self.engine.connect() as connection:
            row = connection.execute(query.limit(1)).first()
        return _send_record(row) if row is not None else None

    @staticmethod
    def _where(key: SendKey) -> Any:
        return and_(
            edition_sends.c.edition_name == key.edition_name,
            edition_sends.c.edition_date == key.edition_date,
            edition_sends.c.slot == key.slot,
        )


class RunLog:
    """One row per job run: started (``running``), then finished with outcome and counts."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def start(self, job_id: str, now: datetime) -> int:
        with self.engine.begin() as connection:
            result = connection.execute(
                insert(job_runs).values(job_id=job_id, started_at=now, outcome=Outcome.RUNNING.value, counts="{}")
            )
            return int(result.inserted_primary_key[0])

    def finish(
        self,
        run_id: int,
        outcome: Outcome,
        now: datetime,
        duration_seconds: float,
        counts: Mapping[str, Any],
        error: str | None = None,
    ) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                update(job_runs)
                .where(job_runs.c.id == run_id)
                .values(
                    outcome=outcome.value,
                    finished_at=now,
                    duration_seconds=round(duration_seconds, 3),
                    counts=json.dumps(dict(counts), sort_keys=True, default=str),
                    error=error,
                )
            )

    def close_interrupted(self, now: datetime) -> int:
        """Mark runs a dead process left ``running`` as interrupted (call under the scheduler lock)."""
        with self.engine.begin() as connection:
            return connection.execute(
                update(job_runs)
                .where(job_runs.c.outcome == Outcome.RUNNING.value)
                .values(outcome=Outcome.INTERRUPTED.value, finished_at=now)
            ).rowcount

    def prune(self, before: datetime) -> int:
        """Forget finished runs that started before ``before``; the newest run of each job stays."""
        newest = select(func.max(job_runs.c.id)).group_by(job_runs.c.job_id)
        with self.engine.begin() as connection:
            return connection.execute(
                delete(job_runs).where(
                    job_runs.c.started_at < before,
                    job_runs.c.outcome != Outcome.RUNNING.value,
                    job_runs.c.id.not_in(newest.scalar_subquery()),
                )
            ).rowcount

    def last(self, job_id: str, *, outcome: Outcome | None = None) -> JobRun | None:
        query = select(job_runs).where(job_runs.c.job_id == job_id)
        if outcome is not None:
            query = query.where(job_runs.c.outcome == outcome.value)
        query = query.order_by(job_runs.c.started_at.desc(), job_runs.c.id.desc()).limit(1)
        with self.engine.connect() as connection:
            row = connection.execute(query).first()
        return _job_run(row) if row is not None else None

    def first_started(self) -> datetime | None:
        with self.engine.connect() as connection:
            return connection.execute(select(func.min(job_runs.c.started_at))).scalar_one_or_none()


def sends_to_resume(engine: Engine, edition_id: str) -> list[str]:
    """Release every paused run of the edition; the slots whose send is to continue or start now.

    Those are the sends that had started, and the sends held before they started whose time came
    while they were held: the scheduler found them paused and recorded them failed, and past the
    grace no retry of its own takes them up again, so readers would be skipped. A held send whose
    time is still to come is released and goes out at its time. The console's resume and
    ``digest resume`` both continue exactly these.
    """
    started, held = resume_edition(engine, edition_id)
    due: list[str] = []
    if held:
        with engine.connect() as connection:
            due = [str(slot) for slot in connection.execute(
                select(edition_sends.c.slot).where(
                    edition_sends.c.edition_id == edition_id, edition_sends.c.slot.in_(held),
                    edition_sends.c.status == SendStatus.FAILED.value,
                )
            ).scalars()]
    return sorted({*started, *due})
