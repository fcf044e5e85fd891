"""Helpers for the subscriber tests: the real app served on loopback, the outbox, links and form tokens."""

from __future__ import annotations

import base64
import email
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from syndication.config import Settings
from syndication.runtime import Runtime
from syndication.testing import live_server
from syndication.web import create_app

TEST_KEY = "test-secret-key-0123456789abcdef"


def with_subscribers(settings: Settings, **values: object) -> Settings:
    """``settings`` with some ``[subscribers]`` keys changed."""
    return settings.model_copy(update={"subscribers": settings.subscribers.model_copy(update=values)})





def public_key_b64(private_key: ec.EllipticCurvePrivateKey) -> str:
    der = private_key.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode("ascii")





@dataclass
class LiveServer:
    base_url: str
    runtime: Runtime
    client: httpx.Client

    @property
    def outbox(self) -> Path:
        return self.runtime.settings.outbox_dir

    def mails(self) -> list[email.message.Message]:
        if not self.outbox.exists():
            return []
        return [email.message_from_bytes(path.read_bytes()) for path in sorted(self.outbox.glob("*.eml"))]

    def wait_for_mails(self, count: int, timeout: float = 10.0) -> list[email.message.Message]:
        """The outbox's messages once there are ``count`` (mails go out after the answer)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.mails()
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(f"expected {count} mails in the outbox, found {len(self.mails())}")


def text_part(message: email.message.Message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            return payload.decode(part.get_content_charset() or "utf-8")
    raise AssertionError("no text/plain part")


def link_in(message: email.message.Message, path: str) -> str:
    """The first link to ``path`` in the message's text part, as path + query."""
    found = re.search(r"https?://[^/\s]+(" + re.escape(path) + r"\?token=[A-Za-z0-9._-]+)", text_part(message))
    assert found, f"no {path} link in the message"
    return found.group(1)


def form_token(html: str, name: str = "csrf", nth: int = 0) -> str:
    """The value of the ``nth`` hidden field ``name`` in the page."""
    found = re.findall(rf'name="{name}" value="([^"]+)"', html)
    assert len(found) > nth, f"no {name} field number {nth} in the page"
    return found[nth]


def serve(runtime: Runtime) -> Iterator[LiveServer]:
    with live_server(create_app(runtime)) as base_url, httpx.Client(
        base_url=base_url, timeout=10, follow_redirects=False
    ) as client:
        yield LiveServer(base_url=base_url, runtime=runtime, client=client)
