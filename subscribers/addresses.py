"""Email addresses: masks and keyed hashes (no personal data in clear where avoidable).

Normalisation is core mail: :func:`syndication.mail.addresses.normalise_email`.
"""

from __future__ import annotations

import hashlib
import hmac

from syndication.errors import ConfigError


def mask_email(email: str) -> str:
    """For operator output only: ``a***@example.org``."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


class KeyedHasher:
    """HMAC-SHA256 with a key derived from the secret key, one derivation label per use.

    A changed SYNDICATION_SECRET_KEY changes every hash: suppressed addresses would no
    longer be recognised, so the key must be kept (see the README, "Data protection").
    """

    def __init__(self, secret_key: str | None, label: str) -> None:
        self._key = (
            hmac.new(secret_key.encode("utf-8"), label.encode("utf-8"), hashlib.sha256).digest()
            if secret_key
            else None
        )
        self._label = label

    def __call__(self, value: str) -> str:
        if self._key is None:
            raise ConfigError(
                "SYNDICATION_SECRET_KEY is not set: %(label)s needs it to hash addresses "
                "(the composition root, syndication.app.App, builds the store with it)",
                label=self._label,
            )
        return hmac.new(self._key, value.encode("utf-8"), hashlib.sha256).hexdigest()


def suppression_hasher(secret_key: str | None) -> KeyedHasher:
    return KeyedHasher(secret_key, "syndication.subscribers.suppression")


def client_hasher(secret_key: str | None) -> KeyedHasher:
    return KeyedHasher(secret_key, "syndication.subscribers.client")
