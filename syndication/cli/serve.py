"""``syndication serve``: the web app (public/ feeds, subscriber pages, partner API) under uvicorn."""

from __future__ import annotations

import copy
import logging
import re
from typing import Any

import click

from syndication.runtime import Runtime

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
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["redact_tokens"] = {"()": f"{__name__}.RedactQueryTokens"}
    config["loggers"]["uvicorn.access"]["filters"] = ["redact_tokens"]
    return config


@click.command("serve")
@click.option("--host", default=None, help="Address to listen on (default: [serve] host).")
@click.option("--port", type=int, default=None, help="Port to listen on (default: [serve] port).")
@click.pass_obj
def serve_command(runtime: Runtime, host: str | None, port: int | None) -> None:
    """Serve public/ and the app's routes until interrupted."""
    import uvicorn

    from syndication.web import create_app

    # Subscriber pages sign every link: refuse to start rather than answer them with errors.
    runtime.secrets.require_secret_key()
    settings = runtime.settings
    uvicorn.run(
        create_app(runtime),
        host=host or settings.serve.host,
        port=port if port is not None else settings.serve.port,
        proxy_headers=True,
        log_level="info",
        log_config=log_config(),
    )


def register(cli: click.Group) -> None:
    """Add this capability's commands to the root command."""
    cli.add_command(serve_command)
