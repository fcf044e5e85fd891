"""Who holds a claim on a run or batch, and whether that worker may still be working.

A claim names its worker as ``host/pid/token``. A worker refreshes a heartbeat while it plans
or sends (:mod:`syndication.delivery.heartbeat`); a claim whose worker was silent for longer
than the lease is abandoned, whatever machine it ran on. On this machine a dead worker is known
at once (its process is gone; in this process, its run has ended).
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

_ACTIVE_TOKENS: set[str] = set()
# Names this machine in claims instead of its hostname: containers that share one hostname, or
# tests that play several machines on one (then only heartbeats tell whether a claim is live).
HOST_ENV = "SYNDICATION_HOST_ID"


def host_identity() -> str:
    """This machine's name in claims: ``$SYNDICATION_HOST_ID``, else the hostname."""
    return os.environ.get(HOST_ENV) or socket.gethostname()


@dataclass(frozen=True)
class Worker:
    """Who holds a claim: ``host/pid/token``. The token tells runs in one process apart."""

    host: str
    pid: int
    token: str

    @classmethod
    def current(cls) -> Worker:
        return cls(host_identity(), os.getpid(), uuid.uuid4().hex[:12])

    def __str__(self) -> str:
        return f"{self.host}/{self.pid}/{self.token}"

    def __enter__(self) -> Worker:
        _ACTIVE_TOKENS.add(self.token)
        return self

    def __exit__(self, *_: object) -> None:
        _ACTIVE_TOKENS.discard(self.token)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def claim_is_live(
    owner: str | None, claimed_at: datetime | None, now: datetime, lease: timedelta,
    beat_at: datetime | None = None,
) -> bool:
    """Whether the worker that claimed something may still be working on it.

    Live while the worker's last sign of life (its heartbeat ``beat_at``, or the claim itself)
    is younger than ``lease``, on any machine. On this machine a dead worker is known sooner:
    its process is gone, or, in this process, that run is no longer going.
    """
    if not owner:
        return False
    host, _, rest = owner.partition("/")
    pid_text, _, token = rest.partition("/")
    if host == host_identity() and pid_text.isdigit():
        pid = int(pid_text)
        if pid == os.getpid():
            return token in _ACTIVE_TOKENS
        if not _pid_alive(pid):
            return False
    signs = [moment for moment in (claimed_at, beat_at) if moment is not None]
    return bool(signs) and now - max(signs) < lease
