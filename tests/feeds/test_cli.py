"""`syndication feeds build` and `syndication serve` from the command line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import Engine

from syndication.cli import CliContext, cli
from syndication.clock import FixedClock
from syndication.config import Settings
from syndication.store.articles import ArticleStore
from syndication.testing import make_article

PROJECT_CONFIG = Path(__file__).resolve().parents[2] / "config.toml"


def _env(settings: Settings) -> dict[str, str]:
    return {
        "SYNDICATION_SITE__PUBLIC_DIR": str(settings.public_dir),
        "SYNDICATION_SITE__VAR_DIR": str(settings.resolve(settings.site.var_dir)),
    }


def test_feeds_build_prints_counts_and_writes_files(settings: Settings, engine: Engine, clock: FixedClock) -> None:
    """The command builds from the store, prints how many files it wrote, and writes nothing the second time."""
    ArticleStore(engine).upsert(make_article(1), clock.now())
    runner = CliRunner()
    args = ["--config", str(PROJECT_CONFIG), "feeds", "build"]
    first = runner.invoke(cli, args, env=_env(settings), obj=CliContext(clock=clock))
    second = runner.invoke(cli, args, env=_env(settings), obj=CliContext(clock=clock))
    assert (0, 0, True) == (first.exit_code, second.exit_code, (settings.public_dir / "feeds/all.atom").is_file())
    assert first.output.startswith("feeds: 5 feeds, 17 file(s) written, 0 unchanged")
    assert second.output.startswith("feeds: 5 feeds, 0 file(s) written, 17 unchanged (15 not re-rendered)")


def test_serve_has_host_and_port_options() -> None:
    """`syndication serve --help` offers --host and --port."""
    result = CliRunner().invoke(cli, ["--config", str(PROJECT_CONFIG), "serve", "--help"])
    assert (0, True, True) == (result.exit_code, "--host" in result.output, "--port" in result.output)


def test_serve_access_log_has_no_link_tokens(settings: Settings) -> None:
    """Under `syndication serve`'s logging setup, the access log shows requests with their tokens redacted."""
    import logging
    import socket
    import threading
    import time

    import httpx
    import uvicorn

    from syndication.cli.serve import log_config
    from syndication.runtime import Runtime
    from syndication.web import create_app

    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    config = uvicorn.Config(create_app(Runtime(settings=settings)), log_level="info", log_config=log_config(),
                            lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    collect = Collect()
    try:
        while not server.started:
            time.sleep(0.01)
        logging.getLogger("uvicorn.access").addHandler(collect)
        base = f"http://127.0.0.1:{listener.getsockname()[1]}"
        httpx.get(f"{base}/unsubscribe?token=geheim.TOKEN-1&x=1")
        httpx.get(f"{base}/preferences?a=1&token=geheim.TOKEN-2")
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        listener.close()
        logging.getLogger("uvicorn.access").removeHandler(collect)
    paths = [line.split('"')[1] for line in lines]
    assert ["GET /unsubscribe?token=[redacted]&x=1 HTTP/1.1", "GET /preferences?a=1&token=[redacted] HTTP/1.1"] == paths


def test_serve_refuses_to_start_without_a_secret_key(settings: Settings) -> None:
    """On an https site without SYNDICATION_SECRET_KEY `serve` exits 2 naming the variable (no local key there)."""
    env = {key: value for key, value in os.environ.items() if key != "SYNDICATION_SECRET_KEY"}
    env.update(_env(settings))
    env["SYNDICATION_SITE__URL"] = "https://www.pfalz-rundschau.example"
    done = subprocess.run(
        [sys.executable, "-m", "syndication", "--config", str(PROJECT_CONFIG), "serve", "--port", "0"],
        env=env, capture_output=True, text=True, timeout=60,
    )
    assert (2, True) == (done.returncode, "SYNDICATION_SECRET_KEY is not set" in done.stderr)
