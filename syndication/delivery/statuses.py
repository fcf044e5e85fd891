"""Where a send run, each of its batches and each recipient stands in the ledger.

String-valued enums: the ledger stores their values (``"pending"``, ``"sent"``…) in its
status columns, so stored rows read back as members and compare equal to their text.
"""

from __future__ import annotations

from enum import StrEnum


class RunStatus(StrEnum):
    # Being planned: recipients and batches are written before anything is sent.
    PLANNING = "planning"
    # Planned; batches are being (or waiting to be) sent.
    READY = "ready"
    # Stopped by the complaint brake or the console; `digest resume` continues it. A run of the edition not
    # started yet is held paused too (no batches: it is planned when its send comes after the resume).
    PAUSED = "paused"
    # Every batch is sent.
    DONE = "done"
    # Ended by an editor ("cancel the rest"): final; its pending recipients are never sent, resume or not.
    # It covers the edition's runs not started yet (later slots, reader zones), written cancelled unplanned.
    CANCELLED = "cancelled"


class BatchStatus(StrEnum):
    """``pending → sending → sent | failed | in_doubt``, each step one conditional UPDATE."""

    PENDING = "pending"
    # Claimed by a worker, which is handing it to the provider.
    SENDING = "sending"
    SENT = "sent"
    # Refused or not sent; a later send retries it.
    FAILED = "failed"
    # The worker stopped while the provider may have accepted it: settled from provider events.
    IN_DOUBT = "in_doubt"


class RecipientStatus(StrEnum):
    """One recipient's outcome; the batch goes on without those refused on their own."""

    PENDING = "pending"
    SENT = "sent"
    # Found suppressed (unsubscribed, bounced, erased…) when the batch was sent.
    SKIPPED = "skipped"
    FAILED = "failed"
    # Refused permanently: the address is suppressed.
    BOUNCED = "bounced"
    # Refused for now: a later send retries it.
    DEFERRED = "deferred"
    IN_DOUBT = "in_doubt"
