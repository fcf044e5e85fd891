"""Short, stable digests of settings.

A stored fingerprint that includes one goes stale when those settings change, so that
what they shape (an article read from a source, say) is made again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any


def settings_fingerprint(values: Mapping[str, Any], length: int | None = None) -> str:
    """SHA-256 (hex, the first ``length`` digits) of ``values`` in canonical JSON: key order does not count."""
    canonical = json.dumps(values, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:length]
