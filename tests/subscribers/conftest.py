"""Fixtures for the subscriber tests: a runtime on a fixed clock, and the real app on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from live_server import TEST_KEY, LiveServer, public_key_b64, serve, with_subscribers

from syndication.clock import FixedClock
from syndication.config import Secrets, Settings
from syndication.runtime import Runtime


@pytest.fixture
def webhook_key() -> ec.EllipticCurvePrivateKey:
    """A fresh P-256 key pair standing in for SendGrid's signing key."""
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture
def runtime(settings: Settings, clock: FixedClock, webhook_key: ec.EllipticCurvePrivateKey) -> Iterator[Runtime]:
    """A runtime on the fixed clock, with the test webhook key configured."""
    configured = with_subscribers(settings, sendgrid_webhook_public_key=public_key_b64(webhook_key))
    created = Runtime(settings=configured, secrets=Secrets(secret_key=TEST_KEY), clock=clock)
    yield created
    created.close()


@pytest.fixture
def live(runtime: Runtime) -> Iterator[LiveServer]:
    """The real app (syndication.web.create_app) served by uvicorn on a free loopback port."""
    yield from serve(runtime)
