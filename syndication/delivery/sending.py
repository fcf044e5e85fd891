"""One batch at a time: build it (one bad recipient or variant fails alone), send it, record each outcome.

Every outcome is written to the ledger as the backend reports it: the moment the request is
handed over, each message accepted (SMTP: one row per message, so a crash leaves at most the
one message in flight unknown) and each recipient refused. What a crash leaves in ``sending``
is resolved by :func:`resolve_abandoned` from exactly that record.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from syndication.delivery.ledger import BatchRow, Ledger, ReceiptWriter, RunRow, Worker, claim_is_live
from syndication.delivery.retry import send_with_retries
from syndication.delivery.statuses import BatchStatus, RecipientStatus
from syndication.errors import Message
from syndication.mail.base import Batch, DeliveryFailed, Messenger, Receipt, Recipient, Refusal, recipient_problem
from syndication.redact import redact
from syndication.subscriber import Subscriber

if TYPE_CHECKING:
    from syndication.delivery.send import Mailer, RecipientsSource, SendOptions

log = logging.getLogger(__name__)


class Bounces(Protocol):
    """Where a hard bounce goes: the subscriber list suppresses the address (the real one wraps the store)."""

    def hard_bounce(self, subscriber_id: int, email: str, reason: str, now: datetime) -> None: ...


@dataclass(frozen=True)
class Member:
    """A recipient row of the batch being sent."""

    row_id: int
    subscriber_id: int


@dataclass(frozen=True)
class Built:
    batch: Batch
    members: Mapping[str, Member]
    # (subscriber id, reason) of recipients failed while building.
    failed: tuple[tuple[int, Message], ...] = ()


def batch_key(options: SendOptions, number: int) -> str:
    return f"{options.edition_id}/{options.slot}/{number}"


def build_batch(
    ledger: Ledger, batch: BatchRow, mailer: Mailer, source: RecipientsSource, options: SendOptions,
) -> Built:
    """The batch's still-pending recipients as they are now.

    The unreachable ones are marked skipped; one whose message cannot be made is marked failed
    with the reason (the rest goes on). A variant whose body cannot be made fails every
    recipient of the batch (raises VariantFailed).
    """
    rows = ledger.pending_recipients(batch.id)
    current = source.receivable([row.subscriber_id for row in rows]) if rows else {}
    ledger.mark_skipped([row.id for row in rows if row.subscriber_id not in current])
    try:
        body = mailer.body(batch.variant)
    except Exception as exc:
        raise VariantFailed(Message("variant %(variant)s: the message could not be made: %(error)s: %(reason)s",
                                    variant=batch.variant, error=type(exc).__name__,
                                    reason=redact(str(exc))[:300])) from exc
    recipients: list[Recipient] = []
    members: dict[str, Member] = {}
    failed: list[tuple[int, Message]] = []
    for row in rows:
        subscriber = current.get(row.subscriber_id)
        if subscriber is None:
            continue
        problem = _recipient_for(mailer, subscriber)
        if isinstance(problem, Message):
            ledger.mark_outcome(row.id, RecipientStatus.FAILED, str(problem))
            failed.append((row.subscriber_id, problem))
            log.error("subscriber %s: no message: %s", row.subscriber_id, problem)
            continue
        # The run and variant ride along, so that the provider's events map to their slot and variant.
        problem = replace(problem, custom_args={**problem.custom_args, "run_id": str(batch.run_id),
                                                "variant": batch.variant})
        recipients.append(problem)
        members[problem.email] = Member(row.id, row.subscriber_id)
    built = Batch(
        key=batch_key(options, batch.number), body=body, recipients=tuple(recipients),
        headers=dict(mailer.shared_headers()), categories=options.categories,
    )
    return Built(built, members, tuple(failed))


def _recipient_for(mailer: Mailer, subscriber: Subscriber) -> Recipient | Message:
    try:
        recipient = mailer.recipient(subscriber)
    except Exception as exc:
        return Message("the message could not be made (%(error)s)", error=type(exc).__name__)
    problem = recipient_problem(recipient)
    return recipient if problem is None else Message(problem)


class VariantFailed(Exception):
    """The body of a batch's variant cannot be made (a template error); its recipients fail."""


class ClaimLost(Exception):
    """The batch is no longer this worker's (its claim lapsed and was given back): it must not be handed."""


class LedgerObserver:
    """Writes each outcome the backend reports to the ledger as it happens."""

    def __init__(
        self, ledger: Ledger, batch_id: int, members: Mapping[str, Member], options: SendOptions,
        *, per_message: bool, bounces: Bounces | None, claimed_by: str | None = None,
    ) -> None:
        self.ledger = ledger
        self.batch_id = batch_id
        self.claimed_by = claimed_by
        self.members = members
        self.options = options
        self.per_message = per_message
        self.bounces = bounces
        self.was_handed = False
        self.accepted_count = 0
        self.refusals: list[tuple[int, RecipientStatus, str]] = []
        self._writer: ReceiptWriter | None = None

    def handed(self) -> None:
        if not self.was_handed:
            if not self.ledger.mark_handed(self.batch_id, self.options.clock.now(), self.claimed_by):
                raise ClaimLost(f"batch {self.batch_id} is claimed by another worker now")
            self.was_handed = True

    def accepted(self, receipt: Receipt) -> None:
        self.accepted_count += 1
        member = self.members.get(receipt.email)
        if self.per_message and member is not None:
            # One short transaction per message: the receipt is durable before the next message starts.
            if self._writer is None:
                self._writer = self.ledger.receipt_writer()
            self._writer.write(member.row_id, receipt.provider_id, self.options.clock.now())

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def refused(self, refusal: Refusal) -> None:
        member = self.members.get(refusal.email)
        if member is None:
            return
        status = RecipientStatus.FAILED if refusal.permanent else RecipientStatus.DEFERRED
        if refusal.bounce:
            status = RecipientStatus.BOUNCED
        self.ledger.mark_outcome(member.row_id, status, refusal.reason)
        self.refusals.append((member.subscriber_id, status, redact(refusal.reason)))
        log.warning("subscriber %s: %s: %s", member.subscriber_id, status, redact(refusal.reason))
        if refusal.bounce and self.bounces is not None:
            self.bounces.hard_bounce(member.subscriber_id, refusal.email, redact(refusal.reason),
                                     self.options.clock.now())


def record(ledger: Ledger, receipts: Sequence[Receipt], members: Mapping[str, Member], options: SendOptions) -> None:
    ledger.record_sent(
        [(members[r.email].row_id, r.provider_id) for r in receipts if r.email in members], options.clock.now()
    )


def send_batch(
    ledger: Ledger, batch: BatchRow, messenger: Messenger, mailer: Mailer, source: RecipientsSource,
    options: SendOptions, bounces: Bounces | None,
) -> tuple[int, list[Message]]:
    """Send one claimed batch; return (messages accepted, error lines: English as ``str()``, translated where the
    command line shows them)."""
    observer: LedgerObserver | None = None
    try:
        try:
            built = build_batch(ledger, batch, mailer, source, options)
        except VariantFailed as failure:
            reason = str(failure)
            ledger.mark_outcomes([row.id for row in ledger.pending_recipients(batch.id)], RecipientStatus.FAILED,
                                 reason)
            ledger.finish_batch(batch.id, BatchStatus.FAILED, options.clock.now(), error=reason)
            log.error("batch %s failed: %s", batch_key(options, batch.number), reason)
            return 0, [Message("batch %(number)s: %(reason)s", number=batch.number, reason=failure.args[0])]
        errors = [Message("subscriber %(id)s: failed: %(reason)s", id=sid, reason=reason)
                  for sid, reason in built.failed]
        if not built.batch.recipients:
            ledger.finish_batch(batch.id, BatchStatus.FAILED if built.failed else BatchStatus.SENT, options.clock.now(),
                                error=f"{len(built.failed)} recipient(s) failed" if built.failed else None)
            return 0, errors
        options.throttle.acquire(len(built.batch.recipients))
        per_message = bool(getattr(messenger, "receipts_per_message", False))
        observer = LedgerObserver(ledger, batch.id, built.members, options, per_message=per_message,
                                  bounces=bounces, claimed_by=batch.claimed_by)
        try:
            receipts = send_with_retries(messenger, built.batch, options.policy, observer)
        except ClaimLost:
            # Another worker has the batch now and sends it; nothing of it went out from here.
            log.warning("batch %s: claim lapsed before sending; left to the worker that holds it", built.batch.key)
            return 0, errors
        except DeliveryFailed as failure:
            if not per_message:
                record(ledger, failure.accepted, built.members, options)
            error = redact(str(failure))
            ledger.finish_batch(batch.id, BatchStatus.FAILED, options.clock.now(), error=error)
            log.error("batch %s failed: %s", built.batch.key, error)
            return len(failure.accepted), [
                *errors, *_refusal_lines(observer),
                Message("batch %(number)s: %(reason)s", number=batch.number, reason=error),
            ]
        if not per_message:
            record(ledger, receipts, built.members, options)
        provider_ids = {receipt.provider_id for receipt in receipts}
        retry_later = [r for r in observer.refusals if r[1] in (RecipientStatus.FAILED, RecipientStatus.DEFERRED)]
        if built.failed or retry_later:
            ledger.finish_batch(
                batch.id, BatchStatus.FAILED, options.clock.now(),
                error=f"{len(built.failed) + len(retry_later)} recipient(s) failed or deferred; the others were sent",
            )
        else:
            ledger.finish_batch(
                batch.id, BatchStatus.SENT, options.clock.now(),
                provider_id=provider_ids.pop() if len(provider_ids) == 1 else None,
            )
        log.debug("batch %s sent: %d messages", built.batch.key, len(receipts))
        return len(receipts), [*errors, *_refusal_lines(observer)]
    except BaseException:
        if observer is None or not observer.was_handed:
            # Nothing reached the backend: give the batch back rather than leave it in doubt.
            ledger.release(batch)
        raise
    finally:
        if observer is not None:
            observer.close()


def _refusal_lines(observer: LedgerObserver) -> list[Message]:
    # The status is a ledger value (as `digest report` names it) and the reason the server's own words: data.
    return [Message("subscriber %(id)s: %(status)s: %(reason)s", id=sid, status=str(status), reason=reason)
            for sid, status, reason in observer.refusals]


def resolve_abandoned(
    ledger: Ledger, run: RunRow, worker: Worker, messenger: Messenger, mailer: Mailer,
    source: RecipientsSource, options: SendOptions,
) -> None:
    """Decide about batches a crashed worker left in ``sending`` (see the README, "After a crash").

    Never handed over: back to pending. The outbox: reconciled exactly. SMTP (a receipt per
    message): the first recipient without an outcome may have been in flight and is in doubt;
    the rest go back to pending. SendGrid (one request): those with a provider event are sent,
    the others are in doubt.
    """
    reconcile = getattr(messenger, "reconcile", None)
    per_message = bool(getattr(messenger, "receipts_per_message", False)) and messenger.name == run.backend
    for batch in ledger.batches(run, [BatchStatus.SENDING]):
        now = options.clock.now()
        key = batch_key(options, batch.number)
        if claim_is_live(batch.claimed_by, batch.claimed_at, now, options.lease, ledger.beat_of(batch.claimed_by)):
            continue
        if batch.handed_at is None:
            ledger.release(batch)
            log.warning("batch %s: abandoned before sending; requeued", key)
            continue
        if not ledger.take_over(batch, worker, now):
            continue
        mine = replace(batch, claimed_by=str(worker))
        if reconcile is not None:
            built = build_batch(ledger, batch, mailer, source, options)
            accepted = reconcile(built.batch)
            record(ledger, accepted, built.members, options)
            ledger.release(mine)
            log.warning("batch %s: abandoned while sending; %d of %d found delivered by %s, the rest requeued",
                        key, len(accepted), len(built.batch.recipients), messenger.name)
            continue
        pending = ledger.pending_recipients(batch.id)
        if per_message:
            in_flight = pending[:1]
            for row in in_flight:
                ledger.mark_outcome(row.id, RecipientStatus.IN_DOUBT, f"the process sending it stopped while "
                                    f"{messenger.name} had it; the server may have accepted it")
            ledger.release(mine)
            log.warning("batch %s: abandoned while sending; %d message in doubt, %d requeued",
                        key, len(in_flight), len(pending) - len(in_flight))
            continue
        reason = (f"the process sending it stopped after handing it to {messenger.name}; the provider may "
                  "have accepted it, so it is not resent without evidence (see `digest doubt`)")
        ledger.mark_outcomes([row.id for row in pending], RecipientStatus.IN_DOUBT, reason)
        ledger.finish_batch(batch.id, BatchStatus.IN_DOUBT, now, error=reason)
        log.error("batch %s: in doubt (crash while sending): %d messages", key, len(pending))
