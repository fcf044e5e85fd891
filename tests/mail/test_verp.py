"""VERP tags: the signature is the first 80 bits of the HMAC in lower-case base32, and reads back."""

from __future__ import annotations

import base64
import hashlib
import hmac

from hypothesis import given, settings
from hypothesis import strategies as st
from itsdangerous import Signer

from syndication.mail.verp import SALT, VerpCodec, VerpId, mailto_unsubscribe, mailto_unsubscriber

KEY = "test-secret-key-0123456789abcdef"


@settings(max_examples=200, deadline=None)
@given(subscriber_id=st.integers(min_value=0, max_value=36**13 - 1),
       edition_id=st.none() | st.from_regex(r"[a-z0-9][a-z0-9-]{0,20}", fullmatch=True))
def test_tags_carry_the_truncated_hmac_in_base32_and_read_back(subscriber_id: int, edition_id: str | None) -> None:
    """A tag's signature is base32 of HMAC-SHA256's first ten bytes (as addresses already sent carry it)."""
    codec = VerpCodec(KEY, "bounces@example.org")
    tag = codec.tag(subscriber_id, edition_id)
    assert tag is not None
    unsigned, _, signature = tag.rpartition(".")
    key = Signer(KEY, salt=SALT, key_derivation="hmac").derive_key()
    expected = base64.b32encode(hmac.new(key, unsigned.encode(), hashlib.sha256).digest()[:10]).decode().lower()
    assert expected == signature
    assert f"bounces+{tag}@example.org" == codec.address(subscriber_id, edition_id)
    assert VerpId(subscriber_id, edition_id) == codec.read(f"bounces+{tag}@example.org")


def test_no_tag_for_a_local_part_over_64_characters() -> None:
    """An edition id that makes the local part longer than RFC 5321 allows gets no tag and no address."""
    codec = VerpCodec(KEY, "a-long-bounce-mailbox-name@example.org")
    edition = "e" * 30
    assert (None, None) == (codec.tag(10**12, edition), codec.address(10**12, edition))


def test_tags_are_the_same_whether_the_editions_tagger_was_kept_or_not() -> None:
    """A codec keeps the tag makers of a bounded number of editions; past them, tags are still the same."""
    codec = VerpCodec(KEY, "bounces@example.org")
    made = {f"e{number}": codec.tag(7, f"e{number}") for number in range(100)}
    again = {edition: codec.tag(7, edition) for edition in reversed(made)}
    fresh = VerpCodec(KEY, "bounces@example.org")
    assert made == again == {edition: fresh.tag(7, edition) for edition in made}


def test_a_mailto_link_for_an_edition_without_a_tag_carries_the_subscriber_alone() -> None:
    """An edition id a tag cannot carry gives the tag of every newsletter, as a welcome mail's."""
    mailto = "abmelden@example.org"
    expected = mailto_unsubscribe(KEY, mailto, 42, None)
    assert expected == mailto_unsubscriber(KEY, mailto, "Not An Edition")(42)
    assert expected.startswith(f"mailto:{mailto}?subject=unsubscribe%2016._.")
