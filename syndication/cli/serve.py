"""``syndication serve``: the web app (public/ feeds, subscriber pages, partner API) under uvicorn."""

from __future__ import annotations

import copy
import logging
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click
import uvicorn
from uvicorn.config import LOGGING_CONFIG

from syndication.cli.words import WholeNumber
from syndication.runtime import Runtime
from syndication.web import create_app

# Query parameters that carry a credential: subscriber link tokens (unsubscribe links never expire).
_SECRET_QUERY = re.compile(r"(?i)([?&](?:token|key|api_key|access_token)=)[^&#\s]*")


def redact_query(path: str) -> str:
    """``path`` with the values of credential-bearing query parameters replaced."""
    return _SECRET_QUERY.sub(r"\1[redacted]", path)


class RedactQueryTokens(logging.Filter):
    """Keeps link tokens out of uvicorn's access log, whose third argument is the path with its query."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], redact_query(args[2]), *args[3:])
        return True


def log_config() -> dict[str, Any]:
    """uvicorn's logging configuration with the access log's tokens redacted."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["redact_tokens"] = {"()": f"{__name__}.RedactQueryTokens"}
    config["loggers"]["uvicorn.access"]["filters"] = ["redact_tokens"]
    return config


def server_config(runtime: Runtime, host: str | None = None, port: int | None = None) -> uvicorn.Config:
    """uvicorn's configuration for ``serve``: the app, the address, the access log and proxy trust.

    ``X-Forwarded-For`` and ``X-Forwarded-Proto`` are believed only from ``[serve] trusted_proxies``;
    with none configured they are ignored, whoever sends them (uvicorn alone would trust loopback).
    """
    settings = runtime.settings
    trusted = list(settings.serve.trusted_proxies)
    return uvicorn.Config(
        create_app(runtime),
        host=host or settings.serve.host,
        port=port if port is not None else settings.serve.port,
        proxy_headers=bool(trusted),
        forwarded_allow_ips=trusted or None,
        log_level="info",
        log_config=log_config(),
    )


@contextmanager
def background_server(runtime: Runtime, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """``serve``'s server (same configuration) in a thread; yields its base URL, stops on exit.

    Port 0 takes a free port. For tests and for embedding the app in another process.
    """
    runtime.secrets.require_secret_key()
    server = uvicorn.Server(server_config(runtime, host, port))
    thread = threading.Thread(target=server.run, name="syndication-serve", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    try:
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("the server did not start")
            time.sleep(0.01)
        bound = server.servers[0].sockets[0].getsockname()
        yield f"http://{bound[0]}:{bound[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@click.command("serve")
@click.option("--host", default=None, help="Address to listen on (default: [serve] host).")
@click.option("--port", type=WholeNumber(), default=None, help="Port to listen on (default: [serve] port).")
@click.pass_obj
def serve_command(runtime: Runtime, host: str | None, port: int | None) -> None:
    """Serve public/ and the app's routes until interrupted."""
    # Subscriber pages sign every link: refuse to start rather than answer them with errors.
    runtime.secrets.require_secret_key()
    server = uvicorn.Server(server_config(runtime, host, port))
    server.run()
    if not server.started:
        # uvicorn has logged why (the port is taken, say); the exit code tells a supervisor.
        raise SystemExit(3)


def register(cli: click.Group) -> None:
    """Add this capability's commands to the root command."""
    cli.add_command(serve_command)
