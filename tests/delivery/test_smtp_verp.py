"""The SMTP backend's envelope sender (VERP) and DKIM signature, against aiosmtpd on 127.0.0.1."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from machine import running_smtp

from syndication.clock import FixedClock
from syndication.config import DkimConfig, Secrets, SmtpConfig
from syndication.delivery.dkim import DkimSigner
from syndication.delivery.smtp import SmtpMessenger
from syndication.errors import ConfigError
from syndication.mail.base import Batch
from syndication.mail.verp import MAX_LOCAL_PART, VerpCodec, VerpId

from .fakes import FakeMailer, FakeSubscribers
from .test_smtp import SENDER, Collecting

SECRET = "test-secret-key-0123456789abcdef"
BOUNCES = "bounces@pfalz-rundschau.example"


@pytest.fixture
def smtp_server() -> Iterator[tuple[Collecting, int]]:
    handler = Collecting()
    with running_smtp(handler) as port:
        yield handler, port


def _key_pair() -> tuple[str, bytes]:
    """A fresh RSA key: the private key as PEM text, the public key as the DNS record's p= value."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")
    public = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return private, base64.b64encode(public)


def _messenger(port: int, *, bounce_address: str | None = None, dkim_config: DkimConfig | None = None,
               private_key: str | None = None) -> SmtpMessenger:
    config = SmtpConfig(host="127.0.0.1", port=port, security="none", timeout=5, bounce_address=bounce_address)
    secrets = Secrets(secret_key=SECRET, dkim_private_key=private_key)
    return SmtpMessenger(config, SENDER, FixedClock(), secrets=secrets, dkim=dkim_config)


def _send(messenger: SmtpMessenger, count: int) -> None:
    mailer = FakeMailer()
    subscribers = FakeSubscribers.generated(count)
    recipients = tuple(mailer.recipient(subscribers.by_id[n]) for n in range(1, count + 1))
    messenger.send(Batch("k", mailer.body("all"), recipients, mailer.shared_headers()))
    messenger.close()


def test_each_message_has_its_own_signed_envelope_sender(smtp_server: tuple[Collecting, int]) -> None:
    """MAIL FROM is bounces+<signed id>@domain per recipient; it reads back as that subscriber and edition."""
    handler, port = smtp_server
    _send(_messenger(port, bounce_address=BOUNCES), 3)
    codec = VerpCodec(SECRET, BOUNCES)
    senders = [mail_from for mail_from, _, _ in handler.envelopes]
    assert [VerpId(n, "daily-2026-11-24") for n in (1, 2, 3)] == [codec.read(sender) for sender in senders]
    assert all(sender.startswith("bounces+") and sender.endswith("@pfalz-rundschau.example") for sender in senders)
    assert 3 == len(set(senders))


def test_verp_address_fits_a_local_part_and_survives_lower_and_upper_case() -> None:
    """The local part is at most 64 characters even for large ids; case changes by relays do not break it."""
    codec = VerpCodec(SECRET, BOUNCES)
    address = codec.address(10**15, "weekly-2026-11-28")
    assert address is not None
    assert len(address.partition("@")[0]) <= MAX_LOCAL_PART
    assert VerpId(10**15, "weekly-2026-11-28") == codec.read(address.upper())
    assert VerpId(7, None) == codec.read(codec.address(7, None) or "")


def test_forged_or_foreign_verp_addresses_are_not_read() -> None:
    """A changed id, another key or another domain gives nothing: nobody can forge a bounce for someone else."""
    codec = VerpCodec(SECRET, BOUNCES)
    genuine = codec.address(42, "daily-2026-11-24") or ""
    local, _, domain = genuine.partition("@")
    tag, _, signature = local.rpartition(".")
    forged = f"{tag.replace('+16.', '+17.')}.{signature}@{domain}"
    assert [None, None, None, None] == [
        codec.read(forged),
        VerpCodec("another-secret-key-0123456789", BOUNCES).read(genuine),
        codec.read(genuine.replace("pfalz-rundschau.example", "evil.example")),
        codec.read("bounces@pfalz-rundschau.example"),
    ]


def test_edition_ids_that_cannot_be_carried_fall_back_to_the_plain_bounce_address() -> None:
    """An edition id with characters a local part cannot carry safely gets the plain bounce address, not an error."""
    codec = VerpCodec(SECRET, BOUNCES)
    assert (None, None) == (codec.address(1, "Täglich-2026"), codec.address(1, "x" * 41))


def test_dkim_signature_verifies_against_the_public_key(smtp_server: tuple[Collecting, int]) -> None:
    """The message as the server received it verifies with dkimpy against the published key; a changed body fails."""
    handler, port = smtp_server
    private, public = _key_pair()
    config = DkimConfig(selector="mail2026", domain="pfalz-rundschau.example")
    _send(_messenger(port, dkim_config=config, private_key=private), 1)
    received = handler.envelopes[0][2]
    lookups: list[bytes] = []

    def dns(name: bytes, timeout: int = 5) -> bytes:
        lookups.append(name)
        return b"v=DKIM1; k=rsa; p=" + public

    assert received.startswith(b"DKIM-Signature:")
    assert dkim.verify(received, dnsfunc=dns)
    assert [b"mail2026._domainkey.pfalz-rundschau.example."] == lookups
    assert not dkim.verify(received.replace(b"Ausgabe all", b"Ausgabe ALL"), dnsfunc=dns)
    header = received.split(b"\r\n\r\n", 1)[0].decode().replace("\r\n", "")
    covered = header.split(" h=", 1)[1].split(";", 1)[0].replace(" ", "").lower().split(":")
    assert {"from", "subject", "list-id", "list-unsubscribe", "list-unsubscribe-post"} <= set(covered)


def test_dkim_key_from_the_environment_as_one_line(smtp_server: tuple[Collecting, int]) -> None:
    """A key given as its bare base64 body (one environment line) signs as well as the PEM."""
    handler, port = smtp_server
    private, public = _key_pair()
    body = "".join(line for line in private.splitlines() if not line.startswith("-----"))
    _send(_messenger(port, dkim_config=DkimConfig(selector="s1"), private_key=body), 1)
    assert dkim.verify(handler.envelopes[0][2], dnsfunc=lambda name, timeout=5: b"v=DKIM1; k=rsa; p=" + public)


def test_dkim_without_a_key_or_with_a_bad_key_is_a_config_error() -> None:
    """A selector without SYNDICATION_DKIM_PRIVATE_KEY, or a key that is not one, is refused naming the variable."""
    config = DkimConfig(selector="s1")
    with pytest.raises(ConfigError, match="SYNDICATION_DKIM_PRIVATE_KEY is not set"):
        DkimSigner(config, None, "pfalz-rundschau.example")
    with pytest.raises(ConfigError, match="SYNDICATION_DKIM_PRIVATE_KEY: not an RSA private key"):
        DkimSigner(config, "not a key", "pfalz-rundschau.example")
