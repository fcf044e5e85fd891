"""The work the scheduler triggers, as typed seams: what each job is called with and what it returns.

The scheduler never does the work itself; it calls the functions bundled in :class:`Jobs`. The
composition root (:func:`syndication.scheduler.bound.real_jobs`) binds them to the same functions the CLI
commands call and turns each report into one of the outcomes below; tests pass fakes (see
:mod:`syndication.scheduler.testing`). The scheduler reads only these fields: nothing is probed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from syndication.scheduler.ledger import SendKey

# Numbers of a job run, for its log line and its job_runs row ("created": 3, "sent": 120, …).
Counts = Mapping[str, int | float]


@dataclass(frozen=True)
class EditionRef:
    """What the scheduler knows of a built edition."""

    id: str
    name: str
    edition_date: date
    built_at: datetime | None = None
    articles: int = 0


@dataclass(frozen=True)
class CollectOutcome:
    changed: bool
    counts: Counts = field(default_factory=dict)
    # Sources that could not be read at all (the run failed); broken single inputs are only counted.
    unavailable: tuple[str, ...] = ()


@dataclass(frozen=True)
class WorkOutcome:
    """What publishing the feeds, posting webhooks or polling the bounce mailbox did."""

    counts: Counts = field(default_factory=dict)


@dataclass(frozen=True)
class SendOutcome:
    """What one send of an (edition, slot) did; ``sent``/``failed`` are for the whole run."""

    sent: int = 0
    failed: int = 0
    pending: int = 0
    in_doubt: int = 0
    # Another sender is planning the same run; nothing was done.
    busy: bool = False
    # Ended between batches because the scheduler is stopping.
    stopped: bool = False
    errors: tuple[str, ...] = ()
    counts: Counts = field(default_factory=dict)
    # Why the run is paused (the brake, the console): held until resumed, so the slot is retried.
    paused: str | None = None
    # Cancelled by an editor: final, the slot is done with (skipped), never retried.
    cancelled: bool = False

    @property
    def unfinished(self) -> bool:
        """Work left undone: stopped early, batches pending or in doubt, another sender busy, or paused."""
        return bool(self.stopped or self.pending or self.in_doubt or self.busy or (self.paused and not self.cancelled))

    def failure_detail(self) -> str:
        parts = [f"{self.failed} failed"] if self.failed else []
        if self.pending:
            parts.append(f"{self.pending} pending")
        if self.in_doubt:
            parts.append(f"{self.in_doubt} in doubt")
        if self.busy:
            parts.append("another sender is planning this run")
        if self.paused and not self.cancelled:
            parts.append(f"paused: {self.paused}")
        if self.errors:
            parts.append("; ".join(self.errors)[:500])
        return ", ".join(parts) or "incomplete"


class Deferrals(Protocol):
    """[workers] queue: the jobs the leader defers instead of doing them (:class:`~.queue.Deferrer`).

    Each returns how many jobs it deferred now (0: one is waiting or running already).
    """

    def send(self, key: SendKey, edition_id: str) -> int: ...

    def partner_pushes(self) -> int: ...

    def webhooks(self) -> int: ...


@dataclass(frozen=True)
class Jobs:
    """The functions the scheduler calls; swap any of them for a fake in tests."""

    collect: Callable[[], CollectOutcome]
    publish_feeds: Callable[[], WorkOutcome]
    # build_edition(edition_name): the edition built now, or None when there is nothing new.
    build_edition: Callable[[str], EditionRef | None]
    latest_edition: Callable[[str], EditionRef | None]
    # send_edition(edition_id, slot, stop); ``stop`` is set when the scheduler is asked to stop:
    # end between batches.
    send_edition: Callable[[str, str, threading.Event], SendOutcome]
    # Post due outgoing webhooks; poll the bounce mailbox ([inbound] imap_url). None: not scheduled.
    deliver_webhooks: Callable[[], WorkOutcome] | None = None
    poll_inbound: Callable[[], WorkOutcome] | None = None
    # Record partner versions, queue and post partner pushes. None: not scheduled.
    deliver_partner_pushes: Callable[[], WorkOutcome] | None = None
    # [workers] queue: queue_send(key, edition_id) defers the slot's send to the job queue instead of
    # calling send_edition, and returns how many jobs it deferred (0: already queued). None: send here.
    queue_send: Callable[[SendKey, str], int] | None = None
    # slot_zone = "reader": reader_zones(newsletter) names the zones its readers set (unchecked; None or
    # an unknown name stands for the site's zone). None: every reader is in the site's zone.
    reader_zones: Callable[[str], Collection[str | None]] | None = None
    # edition_of(newsletter, date): its regular edition of that (site) date. None: found via latest_edition.
    edition_of: Callable[[str, date], EditionRef | None] | None = None
