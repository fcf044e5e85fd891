"""Log lines as text (default) or as one JSON object per line, each with the run id it belongs to.

``[logging] format = "json"`` (or ``SYNDICATION_LOGGING__FORMAT=json``) makes every line a JSON object
``{"time", "level", "logger", "message", "run_id", …}`` for a log shipper. The run id names one
process's run (``syndication run``, ``serve``, a command) and, inside the scheduler, one job run
(``<process run>/job-<job_runs id>``), so the lines of one send can be picked out of many machines.

No personal data: the message and any traceback pass through :func:`syndication.redact.redact`
(every e-mail address becomes ``<address>``) before they are written, whatever the format.
"""

from __future__ import annotations

import json
import logging
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import TextIO

from syndication.redact import redact

PROCESS_RUN_ID = uuid.uuid4().hex[:12]
_RUN_ID: ContextVar[str] = ContextVar("syndication_run_id", default=PROCESS_RUN_ID)
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(run_id)s] %(message)s"
# Attributes every LogRecord has: anything else was passed as ``extra=`` and goes into the JSON object.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "run_id"}


def current_run_id() -> str:
    return _RUN_ID.get()


@contextmanager
def bound_run(run_id: str) -> Iterator[str]:
    """Lines logged inside the block (in this thread or task) carry ``run_id``."""
    token = _RUN_ID.set(run_id)
    try:
        yield run_id
    finally:
        _RUN_ID.reset(token)


class RunIdFilter(logging.Filter):
    """Puts the current run id on every record (``%(run_id)s`` in the text format)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.run_id = _RUN_ID.get()
        return True


class RedactingFormatter(logging.Formatter):
    """The text format, with the message and traceback redacted."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per line; message, traceback and extra string values redacted."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact(record.getMessage()),
            "run_id": getattr(record, "run_id", _RUN_ID.get()),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                line[key] = redact(value) if isinstance(value, str) else value
        if record.exc_info:
            line["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(line, ensure_ascii=False, default=str)


def configure_logging(log_format: str, level: int, stream: TextIO | None = None) -> logging.Handler | None:
    """One root handler writing ``log_format`` ("text" or "json") to stderr, like ``logging.basicConfig``.

    As basicConfig, it leaves a root logger alone that someone else has equipped (a test runner's
    capture); a handler of its own from an earlier call is replaced.
    """
    root = logging.getLogger()
    for old in [handler for handler in root.handlers if getattr(handler, "_syndication", False)]:
        root.removeHandler(old)
    if root.handlers:
        return None
    handler = logging.StreamHandler(stream or sys.stderr)
    handler._syndication = True  # type: ignore[attr-defined]
    handler.addFilter(RunIdFilter())
    handler.setFormatter(JsonFormatter() if log_format == "json" else RedactingFormatter(TEXT_FORMAT))
    root.addHandler(handler)
    root.setLevel(level)
    return handler
