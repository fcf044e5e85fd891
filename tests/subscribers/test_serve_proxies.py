"""Who the client is: ``syndication serve`` believes X-Forwarded-For only from ``[serve] trusted_proxies``.

These tests start ``syndication serve`` as an operator does (its own process, the command line,
config.toml) and talk to it over loopback, the address uvicorn would trust by default.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from serve_process import PROJECT_ROOT, serve_process, settings_env
from sqlalchemy import Engine

from subscribers.store import SubscriberStore
from syndication.config import ServeConfig, load_settings
from syndication.errors import ConfigError

SECRET = "test-secret-key-0123456789abcdef"


def sign_up(http: httpx.Client, email: str, forwarded_for: str) -> httpx.Response:
    """The form's journey as a browser makes it, with a forged X-Forwarded-For on both requests."""
    headers = {"X-Forwarded-For": forwarded_for}
    page = http.get("/subscribe", headers=headers)
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token, "no form token on the page"
    return http.post("/subscribe", headers=headers,
                     data={"csrf": token.group(1), "email": email, "frequency": "daily"})


def requested_ip(engine: Engine, email: str) -> str | None:
    store = SubscriberStore(engine, SECRET)
    subscriber = store.get_by_email(email)
    assert subscriber is not None, f"{email} was not stored"
    return store.consent_records(subscriber.id)[0].ip


def test_forged_forwarded_for_neither_lifts_the_limit_nor_enters_consent(tmp_path: Path, engine: Engine) -> None:
    """By default a forged X-Forwarded-For from loopback is ignored: the 6th sign-up is refused, IPs are real."""
    with serve_process(tmp_path, settings_env(tmp_path)) as base_url, httpx.Client(base_url=base_url) as http:
        statuses = [sign_up(http, f"leser{i}@example.org", f"203.0.113.{i}").status_code for i in range(7)]
    assert [200] * 5 + [429] * 2 == statuses
    assert ["127.0.0.1"] * 5 == [requested_ip(engine, f"leser{i}@example.org") for i in range(5)]


def test_forwarded_for_from_a_trusted_proxy_is_the_client(tmp_path: Path, engine: Engine) -> None:
    """With trusted_proxies = ["127.0.0.1"] the forwarded address is the client: limited and recorded per reader."""
    env = settings_env(tmp_path, SYNDICATION_SERVE__TRUSTED_PROXIES='["127.0.0.1"]')
    with serve_process(tmp_path, env) as base_url, httpx.Client(base_url=base_url) as http:
        readers = [sign_up(http, f"leser{i}@example.org", f"198.51.100.7, 203.0.113.{i}").status_code
                   for i in range(7)]
        same_reader = [sign_up(http, f"viel{i}@example.org", "203.0.113.99").status_code for i in range(6)]
    assert ([200] * 7, [200] * 5 + [429]) == (readers, same_reader)
    # The proxy appends the address it saw; what the reader's side claimed before it is not believed.
    assert [f"203.0.113.{i}" for i in range(7)] == [requested_ip(engine, f"leser{i}@example.org") for i in range(7)]


@pytest.mark.parametrize("value", ["localhost", "10.0.0.0/33", "*"])
def test_trusted_proxies_must_be_addresses_or_networks(value: str) -> None:
    """A host name, a bad network or a wildcard in trusted_proxies is refused with a message naming it."""
    with pytest.raises(ValueError, match=re.escape(repr(value))):
        ServeConfig(trusted_proxies=(value,))


def test_trusted_proxies_error_names_the_key(tmp_path: Path) -> None:
    """In config.toml the error names [serve] trusted_proxies."""
    config = tmp_path / "config.toml"
    config.write_text('[serve]\ntrusted_proxies = ["nginx"]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="trusted_proxies"):
        load_settings(config, env={})


def test_serve_exits_non_zero_when_the_port_is_taken(tmp_path: Path) -> None:
    """A port already in use: serve logs uvicorn's reason and exits with status 3, not 0."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "syndication", "--config", str(PROJECT_ROOT / "config.toml"),
             "serve", "--port", str(port)],
            env={**os.environ, **settings_env(tmp_path)}, capture_output=True, text=True, timeout=60, check=False,
        )
    assert 3 == done.returncode, done.stderr[-500:]
