"""Log lines as JSON objects with a run id; e-mail addresses never reach a log line."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from syndication.app.logs import (
    PROCESS_RUN_ID,
    JsonFormatter,
    RedactingFormatter,
    RunIdFilter,
    bound_run,
    configure_logging,
    current_run_id,
)


@pytest.fixture
def captured() -> Iterator[tuple[logging.Logger, io.StringIO, logging.Handler]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RunIdFilter())
    logger = logging.getLogger("tests.app.logs")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    yield logger, stream, handler
    logger.removeHandler(handler)
    logger.propagate = True


def test_a_json_line_carries_level_logger_message_run_id_and_extras(captured) -> None:  # type: ignore[no-untyped-def]
    """One JSON object per line: the process's run id outside any job, the bound one inside, extras as keys."""
    logger, stream, handler = captured
    handler.setFormatter(JsonFormatter())
    logger.info("collect done: %d new", 3)
    with bound_run("run-42"):
        logger.warning("send paused", extra={"edition_id": "daily-2026-11-24"})
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert ("info", "tests.app.logs", "collect done: 3 new", PROCESS_RUN_ID) == (
        first["level"], first["logger"], first["message"], first["run_id"])
    assert ("warning", "run-42", "daily-2026-11-24") == (second["level"], second["run_id"], second["edition_id"])
    assert PROCESS_RUN_ID == current_run_id()


def test_addresses_are_redacted_in_message_extras_and_traceback(captured) -> None:  # type: ignore[no-untyped-def]
    """An address in the message, an extra value or an exception text becomes <address> in the JSON line."""
    logger, stream, handler = captured
    handler.setFormatter(JsonFormatter())
    try:
        raise ValueError("refused anna@example.org")
    except ValueError:
        logger.exception("mail to %s failed", "ben@example.org", extra={"to": "carla@example.org"})
    assert "@example.org" not in stream.getvalue()
    line = json.loads(stream.getvalue())
    assert ("mail to <address> failed", "<address>") == (line["message"], line["to"])
    assert "refused <address>" in line["exception"]


def test_the_text_format_is_redacted_and_names_the_run(captured) -> None:  # type: ignore[no-untyped-def]
    """The readable format shows the run id and no address."""
    logger, stream, handler = captured
    handler.setFormatter(RedactingFormatter("%(levelname)s [%(run_id)s] %(message)s"))
    with bound_run("r1"):
        logger.info("bounce from dora@example.org")
    assert "INFO [r1] bounce from <address>\n" == stream.getvalue()


def test_configure_logging_leaves_an_equipped_root_logger_alone() -> None:
    """Like basicConfig: with a handler already on the root logger (a test runner's), nothing is added."""
    root = logging.getLogger()
    foreign = logging.NullHandler()
    root.addHandler(foreign)
    try:
        assert None is configure_logging("json", logging.INFO, io.StringIO())
    finally:
        root.removeHandler(foreign)
