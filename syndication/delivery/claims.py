"""Who holds a claim on a run or batch, and whether that worker may still be working.

A claim names its worker as ``host/pid/token``; on this machine whether it is live is exact
(the process exists; in this process, the run is still going), from another machine only
time tells.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

_ACTIVE_TOKENS: set[str] = set()


@dataclass(frozen=True)
class Worker:
    """Who holds a claim: ``host/pid/token``. The token tells runs in one process apart."""

    host: str
    pid: int
    token: str

    @classmethod
    def current(cls) -> Worker:
        return cls(socket.gethostname(), os.getpid(), uuid.uuid4().hex[:12])

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


def claim_is_live(owner: str | None, claimed_at: datetime | None, now: datetime, lease: timedelta) -> bool:
    """Whether the worker that claimed something may still be working on it.

    On this machine the answer is exact (is the process alive; in this process, is that
    run still going). For another machine only time tells: a claim older than ``lease``
    is taken as abandoned.
    """
    if not owner:
        return False
    host, _, rest = owner.partition("/")
    pid_text, _, token = rest.partition("/")
    if host == socket.gethostname() and pid_text.isdigit():
        pid = int(pid_text)
        if pid == os.getpid():
            return token in _ACTIVE_TOKENS
        return _pid_alive(pid)
    return claimed_at is not None and now - claimed_at < lease


