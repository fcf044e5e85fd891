"""``syndication serve`` started as users start it: its own process, command line and config, on loopback."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx
from machine import free_port

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def serve_process(tmp_path: Path, env: Mapping[str, str]) -> Iterator[str]:
    """Runs ``python -m syndication serve`` with the project's config.toml and ``env``; yields its base URL.

    ``env`` is added to the environment (the ``SYNDICATION_…`` overrides of the test's settings).
    """
    port = free_port()
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "syndication", "--config", str(PROJECT_ROOT / "config.toml"),
             "serve", "--host", "127.0.0.1", "--port", str(port)],
            env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise AssertionError(f"serve exited with {process.returncode}: {log_path.read_text()[-2000:]}")
            try:
                httpx.get(f"{base_url}/healthz", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise AssertionError(f"serve did not answer: {log_path.read_text()[-2000:]}") from None
                time.sleep(0.1)
        yield base_url
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def settings_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    """The environment that gives ``serve`` the same folders (and database) as the ``settings`` fixture."""
    return {
        "SYNDICATION_SITE__PUBLIC_DIR": str(tmp_path / "public"),
        "SYNDICATION_SITE__OUTBOX_DIR": str(tmp_path / "outbox"),
        "SYNDICATION_SITE__VAR_DIR": str(tmp_path / "var"),
        "SYNDICATION_SECRET_KEY": os.environ["SYNDICATION_SECRET_KEY"],
        **overrides,
    }
