"""Sends started from the console: the same ``send_edition`` the CLI and the scheduler call, in a thread.

The ledger makes every action safe to repeat (nothing is sent twice, nobody skipped). What the console
adds is a stop signal per running send: "pause" stops the thread between batches (``send_edition``'s
``stop``) and then marks the run paused in the ledger, as the complaint brake does, so ``digest resume``
and the console's "resume" continue it exactly where it stopped. "Cancel the rest" ends the runs for good
(the ledger's ``cancelled``): no resume, send or scheduler retry takes them up again.

Both are of the edition: its sends that have not started yet (a later slot; with ``slot_zone = "reader"``
the zones whose slot is still to come) are written held, paused or cancelled, before they start
(:meth:`~syndication.delivery.ledger.Ledger.hold_run`); one that starts later still is held by
``deliver`` (:meth:`~syndication.delivery.ledger.Ledger.edition_hold`). A resume drops the paused holds:
their sends go out at their time, or at once when their time came during the pause.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from sqlalchemy import select

from subscribers.store import SubscriberStore
from subscribers.zones import canonical_zone
from syndication.app.editions import send_edition
from syndication.config.newsletters import reader_zone_groups, slot_label, split_slot_label
from syndication.delivery.brake import cancel_run, pause_reason, pause_run
from syndication.delivery.ledger import Ledger
from syndication.delivery.rows import RunRow
from syndication.delivery.statuses import RunStatus
from syndication.delivery.tables import delivery_runs
from syndication.digest.edition_store import get_edition
from syndication.mail.base import Messenger
from syndication.runtime import Runtime
from syndication.scheduler.ledger import sends_to_resume

log = logging.getLogger(__name__)

# How long "pause" waits for a running batch to finish before it marks the run paused anyway.
STOP_WAIT_SECONDS = 60.0


@dataclass(frozen=True)
class RunProgress:
    slot: str
    status: str
    planned: int
    sent: int
    failed: int
    pending: int
    skipped: int
    in_doubt: int
    pause_reason: str | None
    running: bool
    # False: held (paused or cancelled) before it started; nobody was planned for it.
    started: bool = True

    @property
    def cancelled(self) -> bool:
        return self.status == RunStatus.CANCELLED

    @property
    def percent(self) -> int:
        return round(100 * self.sent / self.planned) if self.planned else 0


class SendControl:
    """Starts, pauses, resumes and cancels the sends of this process."""

    def __init__(self, runtime: Runtime, messenger: Messenger | None = None) -> None:
        self.runtime = runtime
        # Tests hand in a recording messenger; otherwise each send builds [delivery] backend's.
        self.messenger = messenger
        self._lock = threading.Lock()
        self._running: dict[tuple[str, str], tuple[threading.Thread, threading.Event]] = {}

    def running(self, edition_id: str, slot: str) -> bool:
        with self._lock:
            entry = self._running.get((edition_id, slot))
        return entry is not None and entry[0].is_alive()

    def start(self, edition_id: str, slot: str, *, segment: str | None = None) -> bool:
        """Start (or continue) the send of (edition, slot) in a thread; False if one is running already.
        ``segment`` limits a new run to a saved segment's readers (``send_edition``'s, fixed at planning)."""
        with self._lock:
            entry = self._running.get((edition_id, slot))
            if entry is not None and entry[0].is_alive():
                return False
            stop = threading.Event()
            thread = threading.Thread(target=self._send, args=(edition_id, slot, stop, segment),
                                      name=f"console-send-{edition_id}-{slot}", daemon=True)
            self._running[(edition_id, slot)] = (thread, stop)
        thread.start()
        return True

    def _send(self, edition_id: str, slot: str, stop: threading.Event, segment: str | None = None) -> None:
        try:
            report = send_edition(self.runtime, edition_id, slot, stop=stop, messenger=self.messenger,
                                  echo=lambda _line: None, segment=segment)
            log.info("console send: %s", report.summary())
        except Exception:
            log.exception("console send of %s (%s) failed", edition_id, slot)

    def _stop(self, edition_id: str) -> None:
        with self._lock:
            entries = [entry for (edition, _slot), entry in self._running.items() if edition == edition_id]
        for _thread, stop in entries:
            stop.set()
        for thread, _stop in entries:
            thread.join(STOP_WAIT_SECONDS)

    def labels(self, edition_id: str, slots: tuple[str, ...]) -> list[str]:
        """Every send the edition has: one per slot, and with ``slot_zone = "reader"`` one per slot and zone
        readers set now (``"06:00 America/New_York"``; the site's zone keeps ``"06:00"``), as the scheduler
        keys them. A special edition goes out once, at its first slot, to every reader."""
        edition = get_edition(self.runtime.engine, edition_id)
        if edition is None or not slots:
            return list(slots)
        if edition.special:
            return [slots[0]]
        newsletter = self.runtime.settings.edition(edition.newsletter_name)
        if not newsletter.in_reader_zones:
            return list(slots)
        stored = SubscriberStore(self.runtime.engine).reader_zones(newsletter.audience)
        # Current IANA names, as the scheduler keys the zones' sends (an alias goes with the zone it names).
        site = canonical_zone(self.runtime.settings.site.timezone) or self.runtime.settings.site.timezone
        zones = reader_zone_groups(site, [canonical_zone(zone) for zone in stored])
        return sorted(slot_label(slot, zone) for slot in slots for zone in zones)

    def not_started(self, edition_id: str, slots: tuple[str, ...]) -> list[str]:
        """The edition's sends (:meth:`labels`) that have no run yet: planned by nobody, sent to nobody."""
        with self.runtime.engine.connect() as connection:
            begun = set(connection.execute(
                select(delivery_runs.c.slot).where(delivery_runs.c.edition_id == edition_id)
            ).scalars())
        return [label for label in self.labels(edition_id, slots) if label not in begun]

    def _hold(self, edition_id: str, slots: tuple[str, ...], status: RunStatus, reason: str) -> list[str]:
        ledger = Ledger(self.runtime.engine)
        backend = self.runtime.settings.delivery.backend
        held = []
        for label in self.not_started(edition_id, slots):
            run = ledger.hold_run(edition_id, label, status, reason, backend, self.runtime.clock.now())
            if run.status == status:
                held.append(label)
        return held

    def pause(self, edition_id: str, slots: tuple[str, ...], reason: str) -> list[str]:
        """Stop the edition's sends between batches and mark their runs paused, and hold those not started
        yet (later slots, reader zones still to come) until resumed; returns the sends paused or held."""
        self._stop(edition_id)
        paused = []
        for run in self.runs(edition_id, slots):
            if run.status in (RunStatus.READY, RunStatus.PLANNING) and pause_run(self.runtime.engine, run.id, reason,
                                                           self.runtime.clock.now()):
                paused.append(run.slot)
        return sorted([*paused, *self._hold(edition_id, slots, RunStatus.PAUSED, reason)])

    def cancel(self, edition_id: str, slots: tuple[str, ...], reason: str) -> list[str]:
        """Stop the edition's sends between batches and end their runs for good (the ledger's "cancelled":
        no resume, send or scheduler retry takes them up again), those not started yet too (a reader zone
        whose slot is still to come goes out to nobody); returns the sends cancelled."""
        self._stop(edition_id)
        cancelled = [run.slot for run in self.runs(edition_id, slots)
                     if cancel_run(self.runtime.engine, run.id, reason, self.runtime.clock.now())]
        return sorted([*cancelled, *self._hold(edition_id, slots, RunStatus.CANCELLED, reason)])

    def resume(self, edition_id: str) -> list[str]:
        """Release every paused run of the edition (the brake's and the console's) and continue it; a send
        held before it started goes out at its time, or now when its time came while it was held (the
        scheduler found it paused). Returns the sends continued or started."""
        slots = sends_to_resume(self.runtime.engine, edition_id)
        for slot in slots:
            self.start(edition_id, slot)
        return slots

    def runs(self, edition_id: str, slots: tuple[str, ...]) -> list[RunRow]:
        ledger = Ledger(self.runtime.engine)
        with self.runtime.engine.connect() as connection:
            labels = connection.execute(
                select(delivery_runs.c.slot).where(delivery_runs.c.edition_id == edition_id)
            ).scalars().all()
        # A slot's sends to reader zones are runs of their own ("06:00 Asia/Tokyo"): they go with their slot.
        found = []
        for label in sorted(labels):
            run = ledger.get_run(edition_id, label) if split_slot_label(label)[0] in slots else None
            if run is not None:
                found.append(run)
        return found

    def progress(self, edition_id: str, slots: tuple[str, ...]) -> list[RunProgress]:
        """Each run of the edition's slots, its reader zones' included, by label."""
        ledger = Ledger(self.runtime.engine)
        with self.runtime.engine.connect() as connection:
            planned = dict(connection.execute(
                select(delivery_runs.c.slot, delivery_runs.c.planned_at).where(delivery_runs.c.edition_id == edition_id)
            ).all())
        result = []
        for run in self.runs(edition_id, slots):
            counts = ledger.counts(run)
            result.append(RunProgress(
                slot=run.slot, status=str(run.status), planned=counts.planned, sent=counts.sent, failed=counts.failed,
                pending=counts.pending, skipped=counts.skipped + run.skipped_at_planning, in_doubt=counts.in_doubt,
                pause_reason=pause_reason(self.runtime.engine, run.id), running=self.running(edition_id, run.slot),
                started=planned.get(run.slot) is not None or run.status not in (RunStatus.PAUSED, RunStatus.CANCELLED),
            ))
        return result

    def close(self) -> None:
        """Stop every send of this process between batches (the ledger resumes them later)."""
        with self._lock:
            entries = list(self._running.values())
        for _thread, stop in entries:
            stop.set()
        for thread, _stop in entries:
            thread.join(STOP_WAIT_SECONDS)
