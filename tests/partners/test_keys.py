"""Partner API keys: random, shown once, stored as a peppered hash."""

from __future__ import annotations

from syndication.partners.keys import KEY_MARKER, PREFIX_LENGTH, KeyHasher, generate_key, key_prefix, looks_like_key


def test_keys_are_random_and_recognisable() -> None:
    """Each key is new, starts with the marker and carries 256 random bits."""
    keys = {generate_key() for _ in range(100)}
    assert 100 == len(keys)
    assert all(key.startswith(KEY_MARKER) and len(key) == len(KEY_MARKER) + 43 for key in keys)
    assert all(looks_like_key(key) for key in keys)


def test_prefix_is_the_start_of_the_key() -> None:
    """The stored lookup prefix is the marker and the first random characters only."""
    key = generate_key()
    assert (key[:PREFIX_LENGTH], PREFIX_LENGTH) == (key_prefix(key), len(key_prefix(key)))


def test_hash_matches_only_the_same_key_and_secret() -> None:
    """A hash verifies its own key; another key or another application secret does not match."""
    key = generate_key()
    hasher = KeyHasher("secret-one-0123456789")
    stored = hasher.hash(key)
    assert (True, False, False) == (
        hasher.matches(key, stored),
        hasher.matches(generate_key(), stored),
        KeyHasher("secret-two-0123456789").matches(key, stored),
    )
    assert key not in stored


def test_malformed_candidates_are_not_keys() -> None:
    """Empty, foreign or oversized strings are refused before any lookup."""
    assert [False, False, False, False] == [
        looks_like_key(candidate) for candidate in ("", "Bearer", "synd_kurz", KEY_MARKER + "x" * 200)
    ]
