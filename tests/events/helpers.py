"""Shared by the event tests: a runtime whose webhook trusts a test key, and SendGrid-like signed posts."""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from syndication.config import Settings

SECRET = "test-secret-key-0123456789abcdef"


def public_key_b64(private_key: ec.EllipticCurvePrivateKey) -> str:
    der = private_key.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode("ascii")


def trusting(settings: Settings, key: ec.EllipticCurvePrivateKey) -> Settings:
    """``settings`` whose SendGrid webhook verifies with ``key``'s public half."""
    return settings.model_copy(update={"subscribers": settings.subscribers.model_copy(
        update={"sendgrid_webhook_public_key": public_key_b64(key)})})
