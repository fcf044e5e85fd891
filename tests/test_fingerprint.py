"""Settings fingerprints: stable across runs and key order, changed by any value."""

from __future__ import annotations

from syndication.fingerprint import settings_fingerprint


def test_the_fingerprint_is_canonical_json_hashed_so_stored_values_stay_valid() -> None:
    """The digest is SHA-256 of sorted, unescaped JSON: fingerprints stored by earlier versions still match."""
    assert "88b2160eda19" == settings_fingerprint({"site": {"language": "de"}, "parser": "2"}, 12)


def test_key_order_does_not_count_but_every_value_does() -> None:
    """The same settings in another order give the same digest; another value gives another one."""
    first = settings_fingerprint({"a": 1, "b": {"x": "Ä", "y": [1, 2]}})
    assert (64, first, True) == (
        len(first),
        settings_fingerprint({"b": {"y": [1, 2], "x": "Ä"}, "a": 1}),
        first != settings_fingerprint({"a": 1, "b": {"x": "A", "y": [1, 2]}}),
    )
