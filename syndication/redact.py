"""Addresses kept out of logs and stored texts.

A provider's refusal or a failed request often quotes the address it was about; what is
logged or stored (a recipient's error, an event's reason, a webhook attempt) never may.
"""

from __future__ import annotations

import re

# What a stored reason keeps at most (it is for people, not for matching).
REASON_MAX_CHARS = 500
# Brackets, quotes and separators end an address: "<anna@example.org>:" keeps its punctuation.
_ADDRESS = re.compile(r"[^\s<>()\[\]{}'\",;:]+@[^\s<>()\[\]{}'\",;:]+")


def redact(text: str) -> str:
    """``text`` with every e-mail address replaced by ``<address>``."""
    return _ADDRESS.sub("<address>", text)


def redacted_reason(text: str | None, limit: int = REASON_MAX_CHARS) -> str | None:
    """One line for a stored reason: addresses redacted, control characters as spaces, cut to ``limit``.

    None for no text or text that is nothing but space.
    """
    if text is None:
        return None
    cleaned = redact(str(text))
    cleaned = "".join(" " if ord(char) < 32 or ord(char) == 127 else char for char in cleaned).strip()
    return cleaned[:limit] or None
