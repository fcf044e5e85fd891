"""The SendGrid Event Webhook's verification key, read from config (the webhook and ``delivery check`` use it)."""

from __future__ import annotations

import base64
import binascii

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_der_public_key, load_pem_public_key

from syndication.errors import ConfigError


def load_public_key(text: str) -> ec.EllipticCurvePublicKey:
    """The verification key from config: base64 DER (as SendGrid shows it) or PEM."""
    stripped = text.strip()
    try:
        if stripped.startswith("-----BEGIN"):
            key = load_pem_public_key(stripped.encode("ascii"))
        else:
            key = load_der_public_key(base64.b64decode("".join(stripped.split()), validate=True))
    except (ValueError, binascii.Error, TypeError) as exc:
        raise ConfigError("subscribers.sendgrid_webhook_public_key: not a public key: %(exc)s", exc=exc) from None
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise ConfigError("subscribers.sendgrid_webhook_public_key: not an elliptic-curve (ECDSA) key")
    return key
