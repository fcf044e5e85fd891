"""The send ledger: who gets an edition, in which batch, and what became of each batch.

A run is one (edition, slot). Before anything is sent its recipients are fixed in the
database, in numbered batches. Each batch then moves ``pending → sending → sent | failed``
by one conditional UPDATE, so any number of workers can take batches without two taking
the same one. Each recipient row records the provider's message id once accepted.

Everything here is plain SQL through SQLAlchemy Core, bulk-inserted with executemany and
read by keyset, so that a million recipients cost neither ORM objects nor memory.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, and_, case, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from syndication.clock import Clock
from syndication.delivery.claims import Worker, claim_is_live
from syndication.delivery.heartbeat import Heartbeat, last_beats
from syndication.delivery.recipient_writes import ReceiptWriter, insert_recipients, record_receipts
from syndication.delivery.rows import BatchRow, RecipientRow, RunCounts, RunRow, as_batch, as_run
from syndication.delivery.statuses import BatchStatus, RecipientStatus, RunStatus
from syndication.delivery.tables import delivery_batches, delivery_recipients, delivery_runs
from syndication.redact import redact

__all__ = ["BatchRow", "Ledger", "ReceiptWriter", "RecipientRow", "RunCounts", "RunRow", "Worker", "claim_is_live"]

# A claim whose worker sent no heartbeat for this long is abandoned ([workers] lease_seconds).
DEFAULT_LEASE = timedelta(seconds=60)
# A batch put back to be taken again: unclaimed and never handed.
UNCLAIMED = {"status": BatchStatus.PENDING, "claimed_by": None, "claimed_at": None, "handed_at": None}


class Ledger:
    """Reads and writes the send ledger."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # -- liveness -------------------------------------------------------------------

    def heartbeat(self, worker: Worker, clock: Clock, lease: timedelta = DEFAULT_LEASE) -> Heartbeat:
        """``with ledger.heartbeat(worker, clock, lease):`` keeps the worker's claims live while it works."""
        return Heartbeat(self.engine, worker, clock, lease)

    def beat_of(self, worker: str | None) -> datetime | None:
        """When ``worker`` last refreshed its heartbeat (None: no heartbeat, or it has finished)."""
        return last_beats(self.engine, [worker]).get(worker or "")

    # -- runs ---------------------------------------------------------------------

    def get_run(self, edition_id: str, slot: str) -> RunRow | None:
        with self.engine.connect() as connection:
            row = connection.execute(
                select(delivery_runs).where(delivery_runs.c.edition_id == edition_id, delivery_runs.c.slot == slot)
            ).first()
        return None if row is None else as_run(row)

    def open_run(
        self, edition_id: str, slot: str, backend: str, worker: Worker, now: datetime,
        lease: timedelta = DEFAULT_LEASE,
    ) -> tuple[RunRow, bool]:
        """The run for (edition, slot), and whether ``worker`` must (re)plan it.

        The unique (edition_id, slot) makes creating the run the lock for planning it; a
        half-planned run whose planner is gone is taken over and planned from scratch
        (nothing of it has been sent: sending starts only once a run is ready).
        """
        try:
            with self.engine.begin() as connection:
                connection.execute(
                    insert(delivery_runs).values(
                        edition_id=edition_id, slot=slot, status=RunStatus.PLANNING, backend=backend, owner=str(worker),
                        created_at=now, skipped_at_planning=0,
                    )
                )
            run = self.get_run(edition_id, slot)
            assert run is not None
            return run, True
        except IntegrityError:
            pass
        run = self.get_run(edition_id, slot)
        assert run is not None
        if run.status != RunStatus.PLANNING:
            return run, False
        if claim_is_live(run.owner, run.created_at, now, lease, self.beat_of(run.owner)):
            return run, False
        with self.engine.begin() as connection:
            taken = connection.execute(
                update(delivery_runs)
                .where(delivery_runs.c.id == run.id, delivery_runs.c.status == RunStatus.PLANNING,
                       delivery_runs.c.owner == run.owner)
                .values(owner=str(worker), created_at=now)
            ).rowcount
            if taken:
                self._drop_plan(connection, run.id)
        run = self.get_run(edition_id, slot)
        assert run is not None
        return run, bool(taken)

    def hold_run(self, edition_id: str, slot: str, status: RunStatus, reason: str, backend: str,
                 now: datetime) -> RunRow:
        """A run of (edition, slot) that was never started, written ``paused`` or ``cancelled`` (never planned:
        no batches, no ``planned_at``); the existing run when there is one already (the unique key decides).

        The console's pause and "cancel the rest" hold the edition's sends that have not started yet (later
        slots, the reader zones whose morning is still to come) this way: :func:`deliver` finds the run held
        and sends nothing. A resume drops a held ``paused`` run, so that its send is planned when it comes.
        """
        try:
            with self.engine.begin() as connection:
                connection.execute(
                    insert(delivery_runs).values(
                        edition_id=edition_id, slot=slot, status=status, backend=backend, owner=None,
                        created_at=now, finished_at=now, skipped_at_planning=0, pause_reason=reason[:1000],
                    )
                )
        except IntegrityError:
            pass
        run = self.get_run(edition_id, slot)
        assert run is not None
        return run

    def edition_hold(self, edition_id: str) -> tuple[RunStatus, str] | None:
        """Why a send of the edition not started yet must not start: (cancelled, reason) when one of its runs
        is cancelled, else (paused, reason) when one is paused (by the console or the brake); None: free.

        An editor's cancel or pause is of the edition: a run that starts later (a reader zone whose 06:00
        comes after the cancel, a zone whose first reader signed up since) is held with the others.
        """
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(delivery_runs.c.status, delivery_runs.c.slot, delivery_runs.c.pause_reason)
                .where(delivery_runs.c.edition_id == edition_id,
                       delivery_runs.c.status.in_([RunStatus.CANCELLED.value, RunStatus.PAUSED.value]))
                .order_by(delivery_runs.c.id)
            ).all()
        for wanted in (RunStatus.CANCELLED, RunStatus.PAUSED):
            for status, slot, reason in rows:
                if status == wanted:
                    return wanted, str(reason or f"{slot} {wanted.value}")
        return None

    def edition_was_paused(self, edition_id: str) -> bool:
        """Whether a run of the edition was paused (and resumed) before: the editor chose to finish it."""
        with self.engine.connect() as connection:
            return bool(connection.execute(
                select(func.count()).select_from(delivery_runs)
                .where(delivery_runs.c.edition_id == edition_id, delivery_runs.c.pause_reason.is_not(None))
            ).scalar())

    @staticmethod
    def _drop_plan(connection: Connection, run_id: int) -> None:
        batch_ids = select(delivery_batches.c.id).where(delivery_batches.c.run_id == run_id).scalar_subquery()
        connection.execute(delete(delivery_recipients).where(delivery_recipients.c.batch_id.in_(batch_ids)))
        connection.execute(delete(delivery_batches).where(delivery_batches.c.run_id == run_id))

    def other_runs_of_edition(self, run: RunRow) -> bool:
        with self.engine.connect() as connection:
            return bool(
                connection.execute(
                    select(func.count()).select_from(delivery_runs).where(
                        delivery_runs.c.edition_id == run.edition_id, delivery_runs.c.id != run.id
                    )
                ).scalar()
            )

    def already_planned(self, edition_id: str, subscriber_ids: Sequence[int]) -> set[int]:
        """Which of these subscribers some run of this edition (another slot) already has."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(delivery_recipients.c.subscriber_id).where(
                    delivery_recipients.c.edition_id == edition_id,
                    delivery_recipients.c.subscriber_id.in_(list(subscriber_ids)),
                )
            )
            return {row.subscriber_id for row in rows}

    def add_batches(
        self, run: RunRow, first_number: int, batches: Sequence[tuple[str, Sequence[tuple[int, str]]]]
    ) -> int:
        """Store batches ``(variant, [(subscriber_id, email), …])`` numbered from ``first_number``."""
        with self.engine.begin() as connection:
            for offset, (variant, members) in enumerate(batches):
                batch_id = connection.execute(
                    insert(delivery_batches).values(
                        run_id=run.id, number=first_number + offset, variant=variant, size=len(members),
                        status=BatchStatus.PENDING, attempts=0,
                    )
                ).inserted_primary_key[0]
                rows = [(batch_id, run.edition_id, subscriber_id, email, RecipientStatus.PENDING)
                        for subscriber_id, email in members]
                insert_recipients(self.engine, connection, rows)
        return first_number + len(batches)

    def finish_planning(self, run: RunRow, skipped: int, now: datetime) -> RunRow:
        """The run is planned: ready, unless an editor paused or cancelled it while it was planned (it stays so;
        a resume makes the planned run ready)."""
        still_planning = delivery_runs.c.status == RunStatus.PLANNING.value
        with self.engine.begin() as connection:
            connection.execute(
                update(delivery_runs)
                .where(delivery_runs.c.id == run.id)
                .values(status=case((still_planning, RunStatus.READY.value), else_=delivery_runs.c.status),
                        planned_at=now, skipped_at_planning=skipped)
            )
        refreshed = self.get_run(run.edition_id, run.slot)
        assert refreshed is not None
        return refreshed

    def finish_run(self, run: RunRow, now: datetime) -> None:
        """Mark the run done once no batch is left to send."""
        with self.engine.begin() as connection:
            open_batches = connection.execute(
                select(func.count()).select_from(delivery_batches).where(
                    delivery_batches.c.run_id == run.id, delivery_batches.c.status != BatchStatus.SENT
                )
            ).scalar()
            if not open_batches:
                connection.execute(
                    update(delivery_runs).where(delivery_runs.c.id == run.id)
                    .values(status=RunStatus.DONE, finished_at=now)
                )

    # -- batches --------------------------------------------------------------------

    def batches(self, run: RunRow, statuses: Iterable[BatchStatus]) -> list[BatchRow]:
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(delivery_batches)
                .where(delivery_batches.c.run_id == run.id, delivery_batches.c.status.in_(list(statuses)))
                .order_by(delivery_batches.c.number)
            )
            return [as_batch(row) for row in rows]

    def requeue(self, batch_ids: Sequence[int], from_status: BatchStatus) -> int:
        """Put failed (or, deliberately, in-doubt) batches back to pending."""
        if not batch_ids:
            return 0
        with self.engine.begin() as connection:
            return connection.execute(
                update(delivery_batches)
                .where(delivery_batches.c.id.in_(list(batch_ids)), delivery_batches.c.status == from_status)
                .values(**UNCLAIMED, error=None)
            ).rowcount

    def _update_abandoned(self, batch: BatchRow, **values: object) -> bool:
        """Change a ``sending`` batch only if the claim seen in ``batch`` still holds (one caller wins)."""
        with self.engine.begin() as connection:
            return bool(
                connection.execute(
                    update(delivery_batches)
                    .where(delivery_batches.c.id == batch.id, delivery_batches.c.status == BatchStatus.SENDING,
                           delivery_batches.c.claimed_by == batch.claimed_by)
                    .values(**values)
                ).rowcount
            )

    def release(self, batch: BatchRow) -> bool:
        """An abandoned claim that never reached the backend: back to pending."""
        return self._update_abandoned(batch, **UNCLAIMED)

    def take_over(self, batch: BatchRow, worker: Worker, now: datetime) -> bool:
        """Claim an abandoned ``sending`` batch for reconciliation (only one worker wins)."""
        return self._update_abandoned(batch, claimed_by=str(worker), claimed_at=now)

    def next_pending(self, run: RunRow, after_number: int) -> BatchRow | None:
        with self.engine.connect() as connection:
            row = connection.execute(
                select(delivery_batches)
                .where(delivery_batches.c.run_id == run.id, delivery_batches.c.status == BatchStatus.PENDING,
                       delivery_batches.c.number > after_number)
                .order_by(delivery_batches.c.number)
                .limit(1)
            ).first()
        return None if row is None else as_batch(row)

    def claim(self, batch: BatchRow, worker: Worker, now: datetime) -> bool:
        """pending → sending, atomically: True only for the one worker whose UPDATE matched, and only while the
        run is ready: a pause or cancel written by any process (the console, another machine's brake) stops
        every worker sending the run before its next batch, in the same statement that would claim it."""
        ready = (
            select(delivery_runs.c.id)
            .where(delivery_runs.c.id == batch.run_id, delivery_runs.c.status == RunStatus.READY)
            .exists()
        )
        with self.engine.begin() as connection:
            return bool(
                connection.execute(
                    update(delivery_batches)
                    .where(delivery_batches.c.id == batch.id, delivery_batches.c.status == BatchStatus.PENDING, ready)
                    .values(status=BatchStatus.SENDING, claimed_by=str(worker), claimed_at=now, handed_at=None,
                            attempts=delivery_batches.c.attempts + 1)
                ).rowcount
            )

    def mark_handed(self, batch_id: int, now: datetime, claimed_by: str | None = None) -> bool:
        """The batch goes to the backend now; False (nothing written) when ``claimed_by`` holds it no more.

        The fence of a lease: a worker silent for a lease (a pause, a lost network) may find its batch
        given back and claimed by another; handing it then would send it twice.
        """
        query = update(delivery_batches).where(delivery_batches.c.id == batch_id)
        if claimed_by is not None:
            query = query.where(delivery_batches.c.status == BatchStatus.SENDING,
                                delivery_batches.c.claimed_by == claimed_by)
        with self.engine.begin() as connection:
            return bool(connection.execute(query.values(handed_at=now)).rowcount)

    def finish_batch(self, batch_id: int, status: BatchStatus, now: datetime, *, provider_id: str | None = None,
                     error: str | None = None) -> None:
        """sending → sent | failed | in_doubt."""
        with self.engine.begin() as connection:
            connection.execute(
                update(delivery_batches)
                .where(delivery_batches.c.id == batch_id, delivery_batches.c.status == BatchStatus.SENDING)
                .values(status=status, finished_at=now, provider_id=provider_id,
                        error=None if error is None else redact(error)[:2000])
            )

    # -- recipients -------------------------------------------------------------------

    def pending_recipients(self, batch_id: int) -> list[RecipientRow]:
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(delivery_recipients.c.id, delivery_recipients.c.subscriber_id, delivery_recipients.c.email)
                .where(delivery_recipients.c.batch_id == batch_id,
                       delivery_recipients.c.status == RecipientStatus.PENDING)
                .order_by(delivery_recipients.c.id)
            )
            return [RecipientRow(row.id, row.subscriber_id, row.email) for row in rows]

    def mark_skipped(self, recipient_ids: Sequence[int]) -> None:
        if not recipient_ids:
            return
        with self.engine.begin() as connection:
            connection.execute(
                update(delivery_recipients)
                .where(delivery_recipients.c.id.in_(list(recipient_ids)),
                       delivery_recipients.c.status == RecipientStatus.PENDING)
                .values(status=RecipientStatus.SKIPPED)
            )

    def record_sent(self, receipts: Sequence[tuple[int, str | None]], now: datetime) -> None:
        """Recipient rows ``(id, provider message id)`` accepted by the backend."""
        record_receipts(self.engine, receipts, now)

    def receipt_writer(self) -> ReceiptWriter:
        """A writer that makes each receipt durable on its own, cheaply (one held connection)."""
        return ReceiptWriter(self.engine)

    def mark_outcome(self, recipient_id: int, status: RecipientStatus, error: str | None) -> None:
        """A pending recipient failed, bounced, was deferred or is in doubt, on its own."""
        with self.engine.begin() as connection:
            connection.execute(
                update(delivery_recipients)
                .where(delivery_recipients.c.id == recipient_id,
                       delivery_recipients.c.status == RecipientStatus.PENDING)
                .values(status=status, error=None if error is None else redact(error)[:1000])
            )

    def mark_outcomes(self, recipient_ids: Sequence[int], status: RecipientStatus, error: str | None) -> int:
        """Pending recipients failed or in doubt together, in one transaction; how many.

        One statement for a batch: a crashed worker's 1,000 recipients put in doubt one commit each
        kept the batch's rest waiting for seconds on a busy database.
        """
        changed = 0
        with self.engine.begin() as connection:
            for start in range(0, len(recipient_ids), 900):
                changed += connection.execute(
                    update(delivery_recipients)
                    .where(delivery_recipients.c.id.in_(list(recipient_ids[start : start + 900])),
                           delivery_recipients.c.status == RecipientStatus.PENDING)
                    .values(status=status, error=None if error is None else redact(error)[:1000])
                ).rowcount or 0
        return changed

    def recipient_errors(
        self, batch_id: int, statuses: Sequence[RecipientStatus]
    ) -> list[tuple[int, RecipientStatus, str | None]]:
        """(subscriber id, status, reason) of the batch's recipients in ``statuses``."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(delivery_recipients.c.subscriber_id, delivery_recipients.c.status, delivery_recipients.c.error)
                .where(delivery_recipients.c.batch_id == batch_id, delivery_recipients.c.status.in_(list(statuses)))
                .order_by(delivery_recipients.c.id)
            )
            return [(row.subscriber_id, RecipientStatus(row.status), row.error) for row in rows]

    def reopen(self, run: RunRow, recipient_statuses: Sequence[RecipientStatus]) -> int:
        """Recipients of the run in ``recipient_statuses`` back to pending, with their batches.

        Failed and deferred recipients are tried again by every new run; in-doubt ones only
        on request. Batches being sent right now are left alone.
        """
        batch_ids = select(delivery_batches.c.id).where(delivery_batches.c.run_id == run.id).scalar_subquery()
        with self.engine.begin() as connection:
            affected = connection.execute(
                select(delivery_recipients.c.batch_id).distinct().where(
                    delivery_recipients.c.batch_id.in_(batch_ids),
                    delivery_recipients.c.status.in_(list(recipient_statuses)),
                )
            ).scalars().all()
            if not affected:
                return 0
            reopened = connection.execute(
                update(delivery_batches)
                .where(delivery_batches.c.id.in_(affected), delivery_batches.c.status != BatchStatus.SENDING)
                .values(**UNCLAIMED, error=None)
            ).rowcount
            open_ids = select(delivery_batches.c.id).where(
                delivery_batches.c.id.in_(affected), delivery_batches.c.status == BatchStatus.PENDING
            ).scalar_subquery()
            count = connection.execute(
                update(delivery_recipients)
                .where(delivery_recipients.c.batch_id.in_(open_ids),
                       delivery_recipients.c.status.in_(list(recipient_statuses)))
                .values(status=RecipientStatus.PENDING, error=None)
            ).rowcount
            if reopened:
                connection.execute(
                    update(delivery_runs).where(delivery_runs.c.id == run.id, delivery_runs.c.status == RunStatus.DONE)
                    .values(status=RunStatus.READY, finished_at=None)
                )
            return int(count or 0)

    # -- reporting ----------------------------------------------------------------------

    def counts(self, run: RunRow) -> RunCounts:
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(delivery_batches.c.status, delivery_recipients.c.status.label("rstatus"), func.count())
                .select_from(delivery_recipients.join(delivery_batches,
                                                      delivery_recipients.c.batch_id == delivery_batches.c.id))
                .where(delivery_batches.c.run_id == run.id)
                .group_by(delivery_batches.c.status, delivery_recipients.c.status)
            ).all()
            batch_rows = connection.execute(
                select(delivery_batches.c.status, func.count())
                .where(delivery_batches.c.run_id == run.id)
                .group_by(delivery_batches.c.status)
            ).all()
        by_batch = {status: count for status, count in batch_rows}
        planned = sent = skipped = pending = failed = in_doubt = bounced = 0
        for batch_status, recipient_status, count in rows:
            planned += count
            if recipient_status == RecipientStatus.SENT:
                sent += count
            elif recipient_status == RecipientStatus.SKIPPED:
                skipped += count
            elif recipient_status == RecipientStatus.BOUNCED:
                bounced += count
            elif batch_status == BatchStatus.FAILED or recipient_status in (
                RecipientStatus.FAILED, RecipientStatus.DEFERRED
            ):
                failed += count
            elif recipient_status == RecipientStatus.IN_DOUBT or batch_status == BatchStatus.IN_DOUBT:
                in_doubt += count
            else:
                pending += count
        return RunCounts(
            planned=planned, sent=sent, skipped=skipped, pending=pending, failed=failed, in_doubt=in_doubt,
            batches=sum(by_batch.values()), batches_failed=by_batch.get(BatchStatus.FAILED, 0),
            batches_in_doubt=by_batch.get(BatchStatus.IN_DOUBT, 0), bounced=bounced,
        )

    def sent_to(self, edition_id: str) -> list[tuple[int, str, str | None]]:
        """(subscriber id, email, provider id) of every recipient the edition reached (for tests, audits)."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(delivery_recipients.c.subscriber_id, delivery_recipients.c.email,
                       delivery_recipients.c.provider_id)
                .where(and_(delivery_recipients.c.edition_id == edition_id,
                            delivery_recipients.c.status == RecipientStatus.SENT))
                .order_by(delivery_recipients.c.subscriber_id)
            )
            return [(row.subscriber_id, row.email, row.provider_id) for row in rows]

