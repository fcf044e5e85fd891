"""Per-recipient envelope senders (VERP): ``bounces+<subscriber>.<edition>.<signature>@domain``.

A bounce comes back to the envelope sender of the message it is about, so an address
unique to the message says whom and what it was about without parsing the bounce for the
recipient's address (which forwarding, aliases and non-standard bounces garble). The id is
signed so that nobody can forge a bounce that suppresses someone else's address.

It must fit in a local part (64 characters, RFC 5321 §4.5.3.1.1) and survive mail servers
that lower-case local parts, so it is a truncated HMAC in base32, not an itsdangerous token
with its base64: the key is still derived by itsdangerous from the secret key with a salt of
its own. 80 bits of signature are far beyond guessing by sending bounces. The same form, with a
key of its own, is the signed id of the ``mailto:`` unsubscribe; in a subject it has no length limit.
"""

from __future__ import annotations

import functools
import hmac
import re
from collections.abc import Callable
from dataclasses import dataclass

from itsdangerous import Signer

from syndication.tokens import KeyedHmac

# The salt keeps the module's first name: a new one would invalidate every VERP address already sent.
SALT = "syndication.delivery.verp"
# The token in the List-Unsubscribe mailto: subject (the same form, its own key).
UNSUBSCRIBE_SALT = "syndication.delivery.mailto-unsubscribe"
# RFC 5321 §4.5.3.1.1.
MAX_LOCAL_PART = 64
# Bytes of HMAC-SHA256 kept: 80 bits, 16 base32 characters.
_SIGNATURE_BYTES = 10
# Editions whose tagger a codec keeps (a send has one; a long-lived codec must not grow without end).
_KEPT_TAGGERS = 64
# No edition: a transactional mail (confirmation, welcome).
NO_EDITION = "_"
# Any edition id (a newsletter's name may have "_"; a special edition's id is up to 60 characters): the
# mailto: unsubscribe resolves its newsletter from it. Tags of the old, narrower form still read.
_EDITION = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
_TAG = re.compile(
    r"(?P<subscriber>[0-9a-z]{1,13})\.(?P<edition>_|[a-z0-9][a-z0-9_-]{0,63})\.(?P<signature>[a-z2-7]{16})"
)
_TAG_ANYWHERE = re.compile(
    r"(?<![0-9a-z._-])[0-9a-z]{1,13}\.(?:_|[a-z0-9][a-z0-9_-]{0,63})\.[a-z2-7]{16}(?![0-9a-z])"
)


@dataclass(frozen=True)
class VerpId:
    """What a VERP address carries: the subscriber and the edition (None for a transactional mail)."""

    subscriber_id: int
    edition_id: str | None


# RFC 4648 §6 base32, lower case, two characters (ten bits) at a time.
_BASE32_PAIRS = tuple(a + b for a in "abcdefghijklmnopqrstuvwxyz234567" for b in "abcdefghijklmnopqrstuvwxyz234567")


def _base32_80(data: bytes) -> str:
    """Ten bytes as 16 lower-case base32 characters (``base64.b32encode(data).lower()``, a few times faster)."""
    n = int.from_bytes(data)
    pairs = _BASE32_PAIRS
    return (
        pairs[n >> 70] + pairs[n >> 60 & 1023] + pairs[n >> 50 & 1023] + pairs[n >> 40 & 1023]
        + pairs[n >> 30 & 1023] + pairs[n >> 20 & 1023] + pairs[n >> 10 & 1023] + pairs[n & 1023]
    )


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text = ""
    while True:
        number, rest = divmod(number, 36)
        text = digits[rest] + text
        if number == 0:
            return text


class VerpCodec:
    """Makes and reads the VERP addresses of one bounce address (``bounces@example.org``)."""

    def __init__(
        self, secret_key: str, bounce_address: str, *, salt: str = SALT, max_local_part: int | None = MAX_LOCAL_PART
    ) -> None:
        local, _, domain = bounce_address.rpartition("@")
        self.local = local
        self.domain = domain
        # None: tags are not made for a local part (the mailto: unsubscribe puts them in the subject).
        self.max_local_part = max_local_part
        # Keyed once (a fresh HMAC re-hashes the key every time).
        self._mac = KeyedHmac(Signer(secret_key, salt=salt, key_derivation="hmac").derive_key(), "sha256")
        # Per edition id, its tags as a function of the subscriber: a send tags every reader of one edition.
        self._taggers: dict[str | None, Callable[[int], str | None]] = {}

    def _signature(self, tag: str) -> str:
        return _base32_80(self._mac.digest(tag.encode("ascii"))[:_SIGNATURE_BYTES])

    def address(self, subscriber_id: int, edition_id: str | None) -> str | None:
        """The envelope sender for this subscriber and edition; None when it cannot be made.

        (An edition id outside ``[a-z0-9-]`` or too long for a local part: such a message goes
        out with the plain bounce address, and its bounce is matched by its Message-ID.)
        """
        tag = self.tagger(edition_id)(subscriber_id)
        return f"{self.local}+{tag}@{self.domain}" if tag is not None else None

    def tag(self, subscriber_id: int, edition_id: str | None) -> str | None:
        """The signed id alone (``<subscriber>.<edition>.<signature>``), e.g. for a mail subject.

        None when the address would not be made (see :meth:`address`).
        """
        return self.tagger(edition_id)(subscriber_id)

    def tagger(self, edition_id: str | None) -> Callable[[int], str | None]:
        """:meth:`tag` for one edition, as a function of the subscriber id (kept per edition).

        A send tags every reader of one edition: the edition's check, the tag's fixed part and the
        room left in the local part are worked out once here, not for every reader.
        """
        found = self._taggers.get(edition_id)
        if found is not None:
            return found
        if edition_id is not None and not _edition_is_valid(edition_id):
            def made(subscriber_id: int) -> str | None:
                return None
        else:
            suffix = "." + (NO_EDITION if edition_id is None else edition_id)
            room = None if self.max_local_part is None else self.max_local_part - len(self.local) - 1
            digest = self._mac.digest

            def made(subscriber_id: int) -> str | None:
                if subscriber_id < 0:
                    return None
                tag = _base36(subscriber_id) + suffix
                signed = f"{tag}.{_base32_80(digest(tag.encode('ascii'))[:_SIGNATURE_BYTES])}"
                return None if room is not None and len(signed) > room else signed

        if len(self._taggers) < _KEPT_TAGGERS:
            self._taggers[edition_id] = made
        return made

    def read_tag(self, text: str) -> VerpId | None:
        """The ids of the first validly signed tag anywhere in ``text`` (a subject, a local part)."""
        for match in _TAG_ANYWHERE.finditer(text.lower()):
            found = self.read(f"{self.local}+{match.group(0)}@{self.domain}")
            if found is not None:
                return found
        return None

    def read(self, address: str) -> VerpId | None:
        """The ids of a VERP address of ours with a valid signature; None for anything else."""
        local, _, domain = address.strip().strip("<>").rpartition("@")
        if domain.lower() != self.domain.lower():
            return None
        base, plus, tag_text = local.lower().partition("+")
        if not plus or base != self.local.lower():
            return None
        match = _TAG.fullmatch(tag_text)
        if match is None:
            return None
        tag = f"{match['subscriber']}.{match['edition']}"
        if not hmac.compare_digest(self._signature(tag), match["signature"]):
            return None
        edition = match["edition"]
        return VerpId(int(match["subscriber"], 36), None if edition == NO_EDITION else edition)


def has_tag(text: str) -> bool:
    """Whether ``text`` carries something shaped like a tag, validly signed or not (a forged unsubscribe)."""
    return _TAG_ANYWHERE.search(text.lower()) is not None


@functools.lru_cache(maxsize=64)
def _edition_is_valid(edition_id: str) -> bool:
    # A send asks for every reader of the same edition.
    return _EDITION.fullmatch(edition_id) is not None


@functools.lru_cache(maxsize=8)
def _unsubscribe_codec(secret_key: str, mailto: str) -> VerpCodec:
    # A send makes one link per reader with the same secret and address: derive the key once.
    return unsubscribe_codec(secret_key, mailto)


def unsubscribe_codec(secret_key: str, mailto: str) -> VerpCodec:
    """The codec of the signed id in a ``mailto:`` unsubscribe's subject (no local-part limit: it is no address)."""
    return VerpCodec(secret_key, mailto, salt=UNSUBSCRIBE_SALT, max_local_part=None)


def mailto_unsubscribe(secret_key: str, mailto: str, subscriber_id: int, edition_id: str | None) -> str:
    """The List-Unsubscribe ``mailto:`` URI whose subject carries the subscriber's and the edition's signed id.

    A mail client sends it as it is; ``syndication inbound`` reads the subject and ends, for
    exactly that subscriber (whatever address the mail comes from: forwarders, aliases), the
    newsletter the edition belongs to. ``edition_id`` None (a welcome mail), or a token from a mail
    sent before newsletters without one: every newsletter.
    """
    return mailto_unsubscriber(secret_key, mailto, edition_id)(subscriber_id)


def mailto_unsubscriber(secret_key: str, mailto: str, edition_id: str | None) -> Callable[[int], str]:
    """:func:`mailto_unsubscribe` for one edition, as a function of the subscriber id (a send's per-reader step)."""
    codec = _unsubscribe_codec(secret_key, mailto)
    for_edition = codec.tagger(edition_id)
    for_any = codec.tagger(None)
    prefix = f"mailto:{mailto}?subject=unsubscribe%20"

    def uri(subscriber_id: int) -> str:
        return f"{prefix}{for_edition(subscriber_id) or for_any(subscriber_id)}"

    return uri
