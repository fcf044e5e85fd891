"""DKIM signing (RFC 6376) of outgoing messages, with dkimpy.

The private key comes from the environment (``SYNDICATION_DKIM_PRIVATE_KEY``), the selector
and domain from ``[delivery.dkim]``. Mailbox providers want bulk mail signed by the From
domain (Gmail's and Yahoo's sender rules, 2024).
"""

from __future__ import annotations

import textwrap

import dkim

from syndication.config import DkimConfig
from syndication.errors import ConfigError

_ARMOUR = ("-----BEGIN PRIVATE KEY-----", "-----END PRIVATE KEY-----")


def pem_from_env(value: str) -> bytes:
    """A PEM key as environment variables carry it: with real or ``\\n`` line breaks, or its bare body."""
    text = value.strip().replace("\\n", "\n")
    if "-----BEGIN" not in text:
        body = "".join(text.split())
        text = "\n".join((_ARMOUR[0], *textwrap.wrap(body, 64), _ARMOUR[1]))
    return text.encode("ascii") + b"\n"


class DkimSigner:
    """Signs a message's bytes (CRLF line ends) and returns them with the DKIM-Signature header first."""

    def __init__(self, config: DkimConfig, private_key: str | None, from_domain: str) -> None:
        if not config.selector:
            raise ConfigError("delivery.dkim.selector is not set")
        if not private_key:
            raise ConfigError(
                "SYNDICATION_DKIM_PRIVATE_KEY is not set: [delivery.dkim] selector is set, so the SMTP backend "
                "signs every message and needs the private key (PEM) in the environment"
            )
        self.selector = config.selector.encode("ascii")
        self.domain = (config.domain or from_domain).encode("ascii")
        self.headers = [name.encode("ascii") for name in config.headers]
        try:
            self._key = pem_from_env(private_key)
            dkim.crypto.parse_pem_private_key(self._key)
        except (UnicodeError, dkim.crypto.UnparsableKeyError, ValueError) as exc:
            raise ConfigError("SYNDICATION_DKIM_PRIVATE_KEY: not an RSA private key in PEM: %(exc)s", exc=exc) from None

    def sign(self, message: bytes) -> bytes:
        signature = dkim.sign(
            message, self.selector, self.domain, self._key, include_headers=self.headers, linesep=b"\r\n"
        )
        return signature + message
