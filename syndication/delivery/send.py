"""Sending: one transactional mail, or an edition to its subscribers through the ledger.

``send_edition`` works in two phases. Planning streams the edition's subscribers from the
database page by page, buckets them by the mailer's variant key (every recipient of a
batch must share one body) and writes the batches to the ledger. Sending then takes the
pending batches one by one (an atomic claim each), re-checks every recipient against the
subscriber list (unsubscribed, bounced, complained or suppressed since planning → skipped),
hands the batch to the backend with retries, and records the outcome.

The core, :func:`deliver`, is written against two small interfaces declared here —
:class:`RecipientsSource` and :class:`Mailer` — so that it can be tested with fakes; the
composition root (``syndication.app.editions.send_edition``) plugs in the real subscriber
store and edition mailer.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Protocol

from tqdm import tqdm

from syndication.clock import Clock
from syndication.config import DeliveryConfig, EditionConfig
from syndication.config.newsletters import split_slot_label
from syndication.delivery.brake import Brake, EditionTally, pause_reason, pause_run
from syndication.delivery.doubt import settle
from syndication.delivery.ledger import DEFAULT_LEASE, Ledger, RunRow, Worker
from syndication.delivery.retry import RetryPolicy, send_with_retries
from syndication.delivery.sending import Bounces, resolve_abandoned, send_batch
from syndication.delivery.statuses import BatchStatus, RecipientStatus, RunStatus
from syndication.errors import DeliveryError, Message, UsageError
from syndication.mail.base import Batch, DeliveryFailed, MessageBody, Messenger, Receipt, Recipient
from syndication.redact import redact
from syndication.subscriber import Frequency, Subscriber

log = logging.getLogger(__name__)

# How many planned batches are written per transaction.
_PLAN_FLUSH_BATCHES = 20


class RecipientsSource(Protocol):
    """Where an edition's subscribers come from (the real one wraps ``SubscriberStore``)."""

    def iter_active(
        self, frequency: Frequency, slot: str | None, first_slot: str, batch_size: int
    ) -> Iterator[list[Subscriber]]:
        """ACTIVE, non-suppressed subscribers of the slot, page by page, ordered by id."""
        ...

    def receivable(self, subscriber_ids: Sequence[int]) -> Mapping[int, Subscriber]:
        """Of these subscribers, those who may get mail *now* (active, not suppressed), as they are now."""
        ...


class Mailer(Protocol):
    """Bodies and recipients of one edition (the real one is ``digest.personalize.EditionMailer``)."""

    def variant_key(self, subscriber: Subscriber) -> str | None: ...

    def body(self, variant_key: str) -> MessageBody: ...

    def recipient(self, subscriber: Subscriber) -> Recipient: ...

    def shared_headers(self) -> Mapping[str, str]: ...


class Throttle:
    """At most ``rate`` messages per second on average (a token bucket one second deep).

    Not :mod:`syndication.ratelimit`, on purpose: that one answers "may this request in, and if not,
    when?" for requests from outside; this one paces our own sending by sleeping, and spends a whole
    batch at once (1,000 recipients at 100/s), a weight that library's buckets refuse as "never fits".
    """

    def __init__(
        self,
        rate: float | None,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.rate = rate
        self._monotonic = monotonic
        self._sleep = sleep
        self._available = rate or 0.0
        self._last = monotonic()

    def acquire(self, count: int) -> None:
        if not self.rate:
            return
        now = self._monotonic()
        self._available = min(max(self.rate, count), self._available + (now - self._last) * self.rate)
        self._last = now
        self._available -= count
        if self._available < 0:
            self._sleep(-self._available / self.rate)
            self._last = self._monotonic()
            self._available = 0.0


@dataclass(frozen=True)
class SendReport:
    """What a send did. ``sent``/``failed``/``skipped`` are for the whole (edition, slot) run."""

    edition_id: str
    slot: str
    backend: str
    dry_run: bool = False
    planned: int = 0
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    in_doubt: int = 0
    pending: int = 0
    # Recipients whose address was refused for good (suppressed since).
    bounced: int = 0
    # Messages handed to the backend by this invocation.
    sent_now: int = 0
    batches: int = 0
    batches_failed: int = 0
    batches_in_doubt: int = 0
    # English as str(); the command line shows them translated (syndication.cli.words.problem).
    errors: tuple[Message, ...] = ()
    # Another worker is planning this run right now; nothing was done.
    busy: bool = False
    # Why the complaint brake paused the run (it waits for `digest resume`), or why it was cancelled.
    paused: str | None = None
    # Cancelled by an editor ("cancel the rest"): final, never sent, resumed or retried.
    cancelled: bool = False

    @property
    def exit_code(self) -> int:
        return 1 if (self.failed or self.in_doubt or self.bounced or self.paused) else 0

    def summary(self) -> str:
        if self.dry_run:
            return f"{self.edition_id} ({self.slot}): dry run, {self.planned} would be sent, {self.skipped} skipped"
        if self.busy:
            return f"{self.edition_id} ({self.slot}): another process is planning this send; nothing done"
        text = (
            f"{self.edition_id} ({self.slot}) via {self.backend}: {self.sent} sent ({self.sent_now} now), "
            f"{self.failed} failed, {self.skipped} skipped"
        )
        if self.bounced:
            text += f", {self.bounced} bounced (suppressed)"
        if self.in_doubt:
            text += f", {self.in_doubt} in doubt (not resent; see `digest doubt {self.edition_id}`)"
        if self.pending:
            text += f", {self.pending} not yet sent"
        if self.cancelled:
            text += f"; CANCELLED: {self.paused}"
        elif self.paused:
            text += f"; PAUSED: {self.paused} (continue with `syndication digest resume {self.edition_id}`)"
        return text


@dataclass
class SendOptions:
    edition_id: str
    slot: str
    first_slot: str
    frequency: Frequency
    batch_size: int
    categories: tuple[str, ...]
    policy: RetryPolicy
    throttle: Throttle
    clock: Clock
    progress: bool = False
    resend_in_doubt: bool = False
    stop: threading.Event | None = None
    lease: timedelta = DEFAULT_LEASE
    echo: Callable[[str], None] = field(default=print)
    # How long a message in doubt waits for the provider's events before it is sent again.
    in_doubt_wait: timedelta = timedelta(minutes=30)
    # Asked before every batch; a reason pauses the run (issue 14: the complaint brake).
    brake: Brake | None = None


def _unplanned_variants(
    ledger: Ledger,
    edition_id: str,
    mailer: Mailer,
    source: RecipientsSource,
    options: SendOptions,
    *,
    check_taken: bool,
) -> Iterator[tuple[Subscriber, str | None]]:
    """Each subscriber of the slot not yet planned for the edition (in another slot), with its variant.

    The variant is None when nothing in the edition matches the subscriber's topics.
    """
    for page in source.iter_active(options.frequency, options.slot, options.first_slot, options.batch_size):
        taken = ledger.already_planned(edition_id, [s.id for s in page]) if check_taken else set()
        for subscriber in page:
            if subscriber.id not in taken:
                yield subscriber, mailer.variant_key(subscriber)


def _plan(ledger: Ledger, run: RunRow, mailer: Mailer, source: RecipientsSource, options: SendOptions) -> RunRow:
    """Fix the run's recipients in batches, one body (variant) per batch."""
    buckets: dict[str, list[tuple[int, str]]] = {}
    full: list[tuple[str, list[tuple[int, str]]]] = []
    number = 1
    skipped = 0
    candidates = _unplanned_variants(
        ledger, run.edition_id, mailer, source, options, check_taken=ledger.other_runs_of_edition(run)
    )
    for subscriber, key in candidates:
        if key is None:
            skipped += 1
            continue
        bucket = buckets.setdefault(key, [])
        bucket.append((subscriber.id, subscriber.email))
        if len(bucket) >= options.batch_size:
            full.append((key, bucket))
            buckets[key] = []
            if len(full) >= _PLAN_FLUSH_BATCHES:
                number = ledger.add_batches(run, number, full)
                full = []
    full.extend((key, members) for key, members in buckets.items() if members)
    if full:
        ledger.add_batches(run, number, full)
    return ledger.finish_planning(run, skipped, options.clock.now())


def _dry_run(
    ledger: Ledger, mailer: Mailer, source: RecipientsSource, options: SendOptions, backend: str
) -> SendReport:
    would = skipped = 0
    for subscriber, key in _unplanned_variants(ledger, options.edition_id, mailer, source, options, check_taken=True):
        if key is None:
            skipped += 1
            continue
        would += 1
        options.echo(f"{subscriber.email}\t{key}\t{mailer.body(key).subject}")
    return SendReport(options.edition_id, options.slot, backend, dry_run=True, planned=would, skipped=skipped)


def deliver(
    ledger: Ledger,
    mailer: Mailer,
    source: RecipientsSource,
    messenger: Messenger,
    options: SendOptions,
    *,
    dry_run: bool = False,
    bounces: Bounces | None = None,
) -> SendReport:
    """Plan (once) and send the (edition, slot) run; resumable at any point.

    ``bounces`` gets every hard bounce (a permanent refusal of one address) to suppress it.
    """
    if dry_run:
        return _dry_run(ledger, mailer, source, options, messenger.name)
    with Worker.current() as worker, ledger.heartbeat(worker, options.clock, options.lease):
        now = options.clock.now()
        held = _held_new_run(ledger, options, messenger.name, now)
        if held is not None:
            return _paused_report(ledger, held, messenger.name)
        run, must_plan = ledger.open_run(options.edition_id, options.slot, messenger.name, worker, now, options.lease)
        if must_plan:
            run = _plan(ledger, run, mailer, source, options)
        elif run.status == "planning":
            return SendReport(options.edition_id, options.slot, messenger.name, busy=True)
        if run.status in (RunStatus.PAUSED, RunStatus.CANCELLED):
            return _paused_report(ledger, run, messenger.name)
        # A run resumed after a pause is not braked again: resuming was the editor's decision, for the
        # whole edition (a reader zone's run that starts after the resume is not braked for the counts
        # that paused another zone's).
        brake = options.brake if not ledger.edition_was_paused(run.edition_id) else None
        resolve_abandoned(ledger, run, worker, messenger, mailer, source, options)
        settle(ledger, run, options.clock.now(), options.in_doubt_wait,
               events_expected=messenger.name == "sendgrid" and run.backend == "sendgrid")
        failed_before = [batch.id for batch in ledger.batches(run, [BatchStatus.FAILED])]
        ledger.requeue(failed_before, BatchStatus.FAILED)
        ledger.reopen(run, [RecipientStatus.FAILED, RecipientStatus.DEFERRED])
        if options.resend_in_doubt:
            ledger.reopen(run, [RecipientStatus.IN_DOUBT])
            in_doubt = [batch.id for batch in ledger.batches(run, [BatchStatus.IN_DOUBT])]
            ledger.requeue(in_doubt, BatchStatus.IN_DOUBT)
        counts = ledger.counts(run)
        bar = tqdm(
            total=counts.pending, unit="msg", desc=options.edition_id,
            disable=not (options.progress and sys.stderr.isatty()),
        )
        sent_now = 0
        errors: list[Message] = []
        last_number = 0
        tally = EditionTally(ledger.engine, run.edition_id, options.clock)
        paused: str | None = None
        cancelled = False
        try:
            while not (options.stop is not None and options.stop.is_set()):
                if brake is not None:
                    paused = _pull_brake(ledger, run, brake, options, tally)
                    if paused:
                        break
                batch = ledger.next_pending(run, last_number)
                if batch is None:
                    break
                last_number = batch.number
                claimed_batch = replace(batch, claimed_by=str(worker))
                if not ledger.claim(batch, worker, options.clock.now()):
                    halted = _halted(ledger, run)
                    if halted is not None:
                        # Paused or cancelled by another process (the console, another machine's brake).
                        paused, cancelled = halted
                        break
                    continue
                accepted, lines = send_batch(ledger, claimed_batch, messenger, mailer, source, options, bounces)
                if brake is not None:
                    tally.add_batch(batch.id)
                sent_now += accepted
                errors.extend(lines)
                bar.update(batch.size)
        finally:
            bar.close()
        ledger.finish_run(run, options.clock.now())
        counts = ledger.counts(run)
    report = SendReport(
        edition_id=options.edition_id, slot=options.slot, backend=messenger.name,
        planned=counts.planned, sent=counts.sent, failed=counts.failed, in_doubt=counts.in_doubt,
        bounced=counts.bounced,
        skipped=counts.skipped + run.skipped_at_planning, pending=counts.pending, sent_now=sent_now,
        batches=counts.batches, batches_failed=counts.batches_failed, batches_in_doubt=counts.batches_in_doubt,
        errors=tuple(errors), paused=paused, cancelled=cancelled,
    )
    log.info(
        "send %s slot %s via %s: sent=%d (now %d) failed=%d skipped=%d in_doubt=%d pending=%d",
        report.edition_id, report.slot, report.backend, report.sent, report.sent_now, report.failed,
        report.skipped, report.in_doubt, report.pending,
    )
    return report


def _held_new_run(ledger: Ledger, options: SendOptions, backend: str, now: datetime) -> RunRow | None:
    """The run of a send not started yet, written held when the edition is cancelled or paused; else None.

    A cancel or pause covers the edition's sends that had not started (a later slot, a reader zone whose
    slot is still to come, one whose first reader signed up since): the scheduler's retry, a resume or a
    new send finds the run held and sends nothing.
    """
    if ledger.get_run(options.edition_id, options.slot) is not None:
        return None
    hold = ledger.edition_hold(options.edition_id)
    if hold is None:
        return None
    status, reason = hold
    return ledger.hold_run(options.edition_id, options.slot, status, reason, backend, now)


def _halted(ledger: Ledger, run: RunRow) -> tuple[str, bool] | None:
    """(why, whether cancelled) when the run is paused or cancelled now; None while it may go on."""
    current = ledger.get_run(run.edition_id, run.slot)
    if current is None or current.status not in (RunStatus.PAUSED, RunStatus.CANCELLED):
        return None
    return _stop_reason(ledger, current), current.status == RunStatus.CANCELLED


def _stop_reason(ledger: Ledger, run: RunRow) -> str:
    """Why a paused or cancelled run stopped: the reason written with it, else its status."""
    return pause_reason(ledger.engine, run.id) or ("cancelled" if run.status == RunStatus.CANCELLED else "paused")


def _pull_brake(ledger: Ledger, run: RunRow, brake: Brake, options: SendOptions, tally: EditionTally) -> str | None:
    # The whole edition's counts: its reader zones' runs are each too small to reach the brake's minimum.
    sent, bounced = tally.counts()
    reason = brake.reason(run.edition_id, run.slot, sent, bounced)
    if reason is None or not pause_run(ledger.engine, run.id, reason, options.clock.now()):
        return None
    log.warning("send %s slot %s PAUSED by the complaint brake: %s", run.edition_id, run.slot, reason)
    return reason


def _paused_report(ledger: Ledger, run: RunRow, backend: str) -> SendReport:
    counts = ledger.counts(run)
    cancelled = run.status == RunStatus.CANCELLED
    return SendReport(
        edition_id=run.edition_id, slot=run.slot, backend=backend, planned=counts.planned, sent=counts.sent,
        failed=counts.failed, in_doubt=counts.in_doubt, bounced=counts.bounced, pending=counts.pending,
        skipped=counts.skipped + run.skipped_at_planning,
        paused=_stop_reason(ledger, run), cancelled=cancelled,
    )


def options_for(
    edition_config: EditionConfig, delivery: DeliveryConfig, clock: Clock, edition_id: str, slot: str | None, *,
    brake: Brake | None = None, progress: bool = False, resend_in_doubt: bool = False,
    stop: threading.Event | None = None, sleep: Callable[[float], None] | None = None,
    echo: Callable[[str], None] = print, lease: timedelta = DEFAULT_LEASE,
) -> SendOptions:
    first_slot = edition_config.slots[0]
    slot = slot or first_slot
    # A slot may name the reader zone it goes to ("06:00 Asia/Tokyo", slot_zone = "reader").
    if split_slot_label(slot)[0] not in edition_config.slots:
        raise UsageError(
            "--slot %(slot)s: edition %(edition)r goes out at %(slots)s",
            slot=slot, edition=edition_config.name, slots=", ".join(edition_config.slots),
        )
    return SendOptions(
        edition_id=edition_id,
        slot=slot,
        first_slot=first_slot,
        frequency=Frequency(edition_config.frequency),
        batch_size=delivery.batch_size,
        categories=(f"edition-{edition_config.name}", edition_id),
        policy=RetryPolicy.from_config(delivery, sleep=sleep),
        throttle=Throttle(delivery.rate_per_second, sleep=sleep or time.sleep),
        clock=clock,
        progress=progress,
        resend_in_doubt=resend_in_doubt,
        stop=stop,
        echo=echo,
        in_doubt_wait=timedelta(minutes=delivery.in_doubt_wait),
        brake=brake,
        lease=lease,
    )


def send_single(messenger: Messenger, policy: RetryPolicy, body: MessageBody, recipient: Recipient) -> Receipt:
    """Send one transactional mail (confirmation, welcome) now, with retries; no ledger.

    Raises DeliveryError when the backend refuses it or keeps failing.
    """
    # No List-Id here: a confirmation or welcome mail is not a list message; the caller puts
    # any headers it needs on the recipient.
    batch = Batch(key=f"single:{recipient.message_id}", body=body, recipients=(recipient,))
    try:
        receipts = send_with_retries(messenger, batch, policy)
    except DeliveryFailed as failure:
        raise DeliveryError(
            "%(backend)s: the message %(message)s was not sent: %(reason)s",
            backend=messenger.name, message=recipient.message_id, reason=redact(str(failure)),
        ) from None
    log.info("sent transactional message %s via %s", recipient.message_id, messenger.name)
    return receipts[0]
