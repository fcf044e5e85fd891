"""Retrying a batch: exponential backoff with jitter, honouring the provider's Retry-After."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from syndication.config import DeliveryConfig
from syndication.mail.base import Batch, DeliveryFailed, Messenger, Receipt, Refusal, SendObserver
from syndication.redact import redact

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a retryable failure is tried again."""

    max_retries: int = 5
    base_seconds: float = 1.0
    max_seconds: float = 60.0
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)
    random: Callable[[], float] = field(default=random.random, compare=False)

    @classmethod
    def from_config(cls, delivery: DeliveryConfig, *, sleep: Callable[[float], None] | None = None) -> RetryPolicy:
        return cls(
            max_retries=delivery.max_retries,
            base_seconds=delivery.backoff_base_seconds,
            max_seconds=delivery.backoff_max_seconds,
            sleep=sleep or time.sleep,
        )

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """Seconds to wait before retry number ``attempt`` (1-based).

        "Full jitter" (a random share of the exponential step) keeps many workers that
        failed together from retrying together; a provider's Retry-After is a floor.
        """
        step = min(self.max_seconds, self.base_seconds * (2 ** (attempt - 1)))
        jittered = step / 2 + self.random() * step / 2
        return jittered if retry_after is None else max(jittered, retry_after)


class _Tracking:
    """Passes each report on to the caller's observer and remembers whom it concerned."""

    def __init__(self, observer: SendObserver | None) -> None:
        self.observer = observer
        self.done: set[str] = set()

    def handed(self) -> None:
        if self.observer is not None:
            self.observer.handed()

    def accepted(self, receipt: Receipt) -> None:
        self.done.add(receipt.email)
        if self.observer is not None:
            self.observer.accepted(receipt)

    def refused(self, refusal: Refusal) -> None:
        self.done.add(refusal.email)
        if self.observer is not None:
            self.observer.refused(refusal)


def send_with_retries(
    messenger: Messenger, batch: Batch, policy: RetryPolicy, observer: SendObserver | None = None
) -> Sequence[Receipt]:
    """Send ``batch``; retry retryable failures; raise the last DeliveryFailed when out of tries.

    Recipients a local backend had already accepted (or refused, reported to ``observer``)
    before failing are not sent again; accepted ones' receipts are part of the result (or of
    the final exception's ``accepted``).
    """
    tracking = _Tracking(observer) if observer is not None else None
    accepted: list[Receipt] = []
    attempt = 0
    pending = batch
    while True:
        try:
            if tracking is None:
                return [*accepted, *messenger.send(pending)]
            return [*accepted, *messenger.send(pending, tracking)]
        except DeliveryFailed as failure:
            accepted.extend(failure.accepted)
            done = {receipt.email for receipt in failure.accepted} | (tracking.done if tracking else set())
            if done:
                remaining = tuple(r for r in pending.recipients if r.email not in done)
                pending = Batch(pending.key, pending.body, remaining, pending.headers, pending.categories)
            attempt += 1
            if not failure.retryable or attempt > policy.max_retries or not pending.recipients:
                if not pending.recipients:
                    return accepted
                raise DeliveryFailed(
                    str(failure), retryable=failure.retryable, retry_after=failure.retry_after, accepted=accepted
                ) from failure
            wait = policy.delay(attempt, failure.retry_after)
            log.warning(
                "batch %s: %s; retry %d of %d in %.1fs",
                batch.key, redact(str(failure)), attempt, policy.max_retries, wait,
            )
            policy.sleep(wait)
