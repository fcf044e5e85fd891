"""Core: secrets the application must use in clear, kept encrypted in the database.

Partners' push signing secrets and console accounts' TOTP secrets are needed in clear (to sign, to
check a code), so they cannot be hashed like keys and passwords. They are stored sealed with Fernet
(cryptography), under a key derived from ``SYNDICATION_SECRET_KEY`` and a purpose: a copy of the
database alone gives none of them, and a value sealed for one purpose does not open for another.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken


class SealBroken(ValueError):
    """A sealed value that does not open with this key: the secret key changed since it was sealed."""


class SecretBox:
    """Seals and opens secrets for one ``purpose`` with a key derived from the application's secret key."""

    def __init__(self, secret_key: str, purpose: bytes) -> None:
        derived = hmac.new(secret_key.encode("utf-8"), purpose, hashlib.sha256).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(derived))

    def seal(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode("utf-8")).decode("ascii")

    def open(self, sealed: str) -> str:
        try:
            return self._fernet.decrypt(sealed.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeEncodeError):
            raise SealBroken("the value was sealed with another key") from None
