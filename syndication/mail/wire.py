"""The bytes of every message of a batch: the shared body encoded once, the personal parts spliced in.

A batch's recipients share one subject and body with placeholders. Building each message with
the ``email`` package costs milliseconds (a 75 KB body is re-encoded and every header parsed and
refolded per recipient); a send of a million would spend most of its time there. Here the parts
are encoded once per batch and only what differs is encoded per recipient:

- quoted-printable encodes line by line (RFC 2045 §6.7: soft breaks stay inside a line), so the
  lines without a placeholder are encoded once, and a recipient's lines with a placeholder are
  encoded alone; the choice of ``7bit`` or ``quoted-printable`` is made per recipient, as
  :func:`syndication.mail.mime.transfer_encoding` makes it for the whole text;
- headers shared by the batch (From, Subject, List-Id, …) are folded once by the ``email``
  package; a recipient's own headers take a fast path when they are plain printable ASCII that
  fits on one line (what the ``email`` package writes unchanged), and go through the ``email``
  package otherwise.

The result is the message :func:`syndication.mail.mime.build_message` describes, byte for byte,
with a multipart boundary derived from the Message-ID instead of a random one (the tests compare
both). Written by hand because no library splices into an encoded MIME body.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from datetime import datetime
from email import quoprimime
from email.headerregistry import Address
from email.policy import EmailPolicy
from email.utils import format_datetime

from syndication.mail.base import Batch, Recipient, Sender

# RFC 5322 §2.1.1: no line of a message may be longer than 998 characters.
_MAX_LINE_LENGTH = 998
# A header value the email package writes as it is: printable ASCII, no leading or trailing
# space, no encoded-word marker ("=?" would be decoded and re-encoded).
_PLAIN_VALUE = re.compile(r"[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?")
# A display name of RFC 5322 atext words separated by single spaces needs no quoting.
_ATOM_PHRASE = re.compile(r"[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+(?: [A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+)*")
_PLAIN_ADDRESS = re.compile(r"[\x21-\x7e]+@[\x21-\x7e]+")
_LINE_BREAKS = re.compile(r"\r\n|\r|\n")
# What str.splitlines breaks at (transfer_encoding() measures lines with it).
_ANY_BREAK = re.compile("[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")


def _lines(text: str) -> list[str]:
    """``text`` split where the email package splits a body (CRLF, CR, LF), without a final empty line."""
    lines = _LINE_BREAKS.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def _fits_7bit(line: str) -> bool:
    # str.splitlines, as transfer_encoding() uses it: ASCII form feeds and file separators split too.
    return line.isascii() and all(len(piece) <= _MAX_LINE_LENGTH for piece in line.splitlines())


def _quoted_printable_piece(piece: str, eol: str) -> str:
    """Part of a line quoted-printable, its lines at most 75 characters, so that a soft break ("=") still fits."""
    if not piece:
        return ""
    if piece.isascii() and piece.isprintable() and not piece.endswith(" "):
        # Links and greetings: only "=" needs escaping, so skip the email package's per-character table.
        encoded = piece.replace("=", "=3D")
        if len(encoded) <= 75:
            return encoded
        lines = []
        start = 0
        while len(encoded) - start > 75:
            end = start + 74
            # Never cut an "=3D" apart.
            end -= 1 if encoded[end - 1] == "=" else 2 if encoded[end - 2] == "=" else 0
            lines.append(encoded[start:end])
            start = end
        lines.append(encoded[start:])
        return ("=" + eol).join(lines)
    return quoprimime.body_encode(piece.encode("utf-8").decode("latin-1"), 75, eol)


def _quoted_printable(line: str, eol: str) -> str:
    """One body line quoted-printable encoded as the email package encodes it."""
    return quoprimime.body_encode(line.encode("utf-8").decode("latin-1"), 76, eol) if line else ""


class _Template:
    """One line with placeholders: the literal pieces between the placeholders' keys, raw and encoded."""

    def __init__(self, pieces: tuple[str, ...], keys: tuple[str, ...], eol: str) -> None:
        self.pieces = pieces
        self.keys = keys
        self.eol = eol
        self.encoded_pieces = tuple(_quoted_printable_piece(piece, eol) for piece in pieces)
        self.literal_length = sum(len(piece) for piece in pieces)
        self.ascii = all(piece.isascii() for piece in pieces)
        # Form feeds and the like end a line for str.splitlines (transfer_encoding() measures with it).
        self.other_breaks = any(_ANY_BREAK.search(piece) for piece in pieces)

    def fill(self, values: Mapping[str, str]) -> str:
        out = [self.pieces[0]]
        for key, piece in zip(self.keys, self.pieces[1:], strict=True):
            out.append(values.get(key, key))
            out.append(piece)
        return "".join(out)

    def fits_7bit(self, values: Mapping[str, str]) -> bool | None:
        """Whether the filled line is 7bit material; None when a value breaks the line (CR or LF)."""
        fits = self.ascii
        length = self.literal_length
        for key in self.keys:
            value = values.get(key, key)
            if "\n" in value or "\r" in value:
                return None
            fits = fits and value.isascii()
            length += len(value)
        if not fits:
            return False
        if self.other_breaks or any(_ANY_BREAK.search(values.get(key, key)) for key in self.keys):
            return _fits_7bit(self.fill(values))
        return length <= _MAX_LINE_LENGTH

    def quoted_printable(self, values: Mapping[str, str], encoded: dict[str, str], out: list[str]) -> None:
        """Appends the filled line quoted-printable to ``out``: pieces and values between soft breaks.

        ``encoded`` keeps each value's encoding for the message's other part.
        """
        soft_break = "=" + self.eol
        pending = self.encoded_pieces[0]
        for key, encoded_piece in zip(self.keys, self.encoded_pieces[1:], strict=True):
            value = encoded.get(key)
            if value is None:
                value = encoded[key] = _quoted_printable_piece(values.get(key, key), self.eol)
            for chunk in (value, encoded_piece):
                if chunk:
                    if pending:
                        out.append(pending)
                        out.append(soft_break)
                    pending = chunk
        out.append(pending)


class _Part:
    """One text part of the shared body, encoded once; ``payload`` splices a recipient's values in."""

    def __init__(self, content: str, subtype: str, placeholders: re.Pattern[str] | None, eol: str) -> None:
        self.eol = eol
        self.header_7bit = f'Content-Type: text/{subtype}; charset="utf-8"{eol}Content-Transfer-Encoding: 7bit{eol}'
        self.header_qp = (
            f'Content-Type: text/{subtype}; charset="utf-8"{eol}Content-Transfer-Encoding: quoted-printable{eol}'
        )
        # Runs of static lines (raw and encoded) alternate with templates of lines holding placeholders.
        self._items: list[tuple[str, str] | _Template] = []
        self._static_7bit = True
        # A value ending in a line break adds an empty line, unless it ends the text (the email package
        # drops the text's final line break).
        self._last_line_ends_text = not content.endswith(("\n", "\r"))
        run: list[str] = []
        for line in _lines(content):
            if placeholders is None or not placeholders.search(line):
                run.append(line)
                continue
            self._close_run(run)
            run = []
            keys = tuple(match.group(0) for match in placeholders.finditer(line))
            self._items.append(_Template(tuple(placeholders.split(line)), keys, eol))
        self._close_run(run)

    def _close_run(self, run: list[str]) -> None:
        if not run:
            return
        self._static_7bit = self._static_7bit and all(_fits_7bit(line) for line in run)
        eol = self.eol
        self._items.append((eol.join(run), eol.join(_quoted_printable(line, eol) for line in run)))

    def payload(self, values: Mapping[str, str], encoded: dict[str, str], breaks: bool) -> tuple[str, list[str]]:
        """(part headers, pieces of the encoded body) for one recipient's ``values``.

        ``breaks``: whether a value holds a line break (CR or LF).
        """
        eol = self.eol
        if not self._static_7bit and not breaks:
            # Text that is not 7bit is quoted-printable whatever the values: no line needs measuring.
            fits: list[bool | None] = []
        else:
            fits = [item.fits_7bit(values) for item in self._items if isinstance(item, _Template)]
        last = self._items[-1] if self._items else None
        # A final line without line break that fills to nothing vanishes, as in the email package.
        vanishing = (
            self._last_line_ends_text and isinstance(last, _Template) and not last.literal_length
            and not last.fill(values)
        )
        if None in fits or vanishing:
            headers, body = self._payload_with_breaks(values)
            return headers, [body]
        # The common case: no value breaks a line, so a line's length is the sum of its pieces'.
        if self._static_7bit and all(fits):
            body = eol.join(item[0] if isinstance(item, tuple) else item.fill(values) for item in self._items)
            return self.header_7bit, [body, eol]
        out: list[str] = []
        for item in self._items:
            if isinstance(item, tuple):
                out.append(item[1])
            else:
                item.quoted_printable(values, encoded, out)
            out.append(eol)
        return self.header_qp, out

    def _payload_with_breaks(self, values: Mapping[str, str]) -> tuple[str, str]:
        """``payload`` when a value holds line breaks: the filled lines are split and encoded one by one."""
        eol = self.eol
        # Each item: a static run as (raw, encoded), or a filled template's lines.
        filled: list[tuple[str, str] | list[str]] = []
        seven_bit = self._static_7bit
        last = len(self._items) - 1
        for index, item in enumerate(self._items):
            if isinstance(item, _Template):
                lines = _LINE_BREAKS.split(item.fill(values))
                if index == last and self._last_line_ends_text and lines[-1] == "":
                    lines.pop()
                if not lines:
                    continue
                seven_bit = seven_bit and all(_fits_7bit(line) for line in lines)
                filled.append(lines)
            else:
                filled.append(item)
        if seven_bit:
            body = eol.join(item[0] if isinstance(item, tuple) else eol.join(item) for item in filled)
            return self.header_7bit, body + eol
        encoded = eol.join(
            item[1] if isinstance(item, tuple) else eol.join(_quoted_printable(line, eol) for line in item)
            for item in filled
        )
        return self.header_qp, encoded + eol


def _boundary(message_id: str, parts: tuple[str, ...]) -> str:
    """The email package's boundary shape, made from the Message-ID: the same message, the same bytes."""
    seed = message_id
    while True:
        number = int.from_bytes(hashlib.sha256(seed.encode("utf-8", "surrogateescape")).digest()[:8]) % 10**19
        boundary = f"{'=' * 15}{number:019d}=="
        if not any(boundary in part for part in parts):
            return boundary
        seed += "."


class MessageFactory:
    """The complete messages of one batch, as ``policy`` (line ends, folding) writes them.

    ``recipient`` values must have passed :func:`syndication.mail.base.clean_recipient` and the
    batch :func:`syndication.mail.base.clean_batch_headers`, as for ``build_message``.
    """

    def __init__(self, sender: Sender, batch: Batch, policy: EmailPolicy) -> None:
        self._sender = sender
        self._batch = batch
        self._policy = policy
        self._linesep = policy.linesep
        keys = _placeholder_keys(batch)
        self._keys = frozenset(keys)
        self._placeholders = (
            re.compile("|".join(re.escape(key) for key in sorted(keys, key=len, reverse=True))) if keys else None
        )
        self._text = _Part(batch.body.text, "plain", self._placeholders, self._linesep)
        self._html = _Part(batch.body.html, "html", self._placeholders, self._linesep)
        self._subject_is_shared = self._placeholders is None or not self._placeholders.search(batch.body.subject)
        self._from = self._fold("From", format_address(sender.email, sender.name))
        self._reply_to = self._fold("Reply-To", sender.reply_to) if sender.reply_to else ""
        self._subject = self._fold("Subject", batch.body.subject) if self._subject_is_shared else ""
        self._dates: dict[datetime, str] = {}

    def subject(self, recipient: Recipient) -> str:
        """The subject ``recipient`` sees (placeholders filled)."""
        if self._subject_is_shared or self._placeholders is None:
            return self._batch.body.subject
        return self._placeholders.sub(lambda match: recipient.substitutions[match.group(0)], self._batch.body.subject)

    def message_bytes(self, recipient: Recipient, now: datetime) -> bytes:
        """The message for ``recipient`` dated ``now``, ready for the wire or a file."""
        values = recipient.substitutions
        if not self._keys.issuperset(values):
            alone = Batch(self._batch.key, self._batch.body, (recipient,), self._batch.headers, self._batch.categories)
            return MessageFactory(self._sender, alone, self._policy).message_bytes(recipient, now)
        encoded: dict[str, str] = {}
        breaks = any("\n" in value or "\r" in value for value in values.values())
        text_headers, text_body = self._text.payload(values, encoded, breaks)
        html_headers, html_body = self._html.payload(values, encoded, breaks)
        # Quoted-printable text never holds "==" (a literal "=" is "=3D"): only 7bit text can hold a boundary.
        boundary = _boundary(
            recipient.message_id,
            tuple("".join(body) for headers, body in ((text_headers, text_body), (html_headers, html_body))
                  if headers is self._text.header_7bit or headers is self._html.header_7bit),
        )
        date = self._dates.get(now)
        if date is None:
            date = self._dates.setdefault(now, self._fold("Date", format_datetime(now)))
        head = [
            self._from,
            self._to(recipient),
            self._reply_to,
            self._subject or self._fold("Subject", self.subject(recipient)),
            date,
            self._header("Message-ID", recipient.message_id),
        ]
        for name, value in {**self._batch.headers, **recipient.headers}.items():
            head.append(self._header(name, value))
        eol = self._linesep
        head.append(f"MIME-Version: 1.0{eol}")
        head.append(f'Content-Type: multipart/alternative; boundary="{boundary}"{eol}')
        head.append(f"{eol}--{boundary}{eol}{text_headers}{eol}")
        head.extend(text_body)
        head.append(f"{eol}--{boundary}{eol}{html_headers}{eol}")
        head.extend(html_body)
        head.append(f"{eol}--{boundary}--{eol}")
        return "".join(head).encode("utf-8", "surrogateescape")

    def _to(self, recipient: Recipient) -> str:
        name = recipient.name
        email = recipient.email
        if _PLAIN_ADDRESS.fullmatch(email) and (not name or _ATOM_PHRASE.fullmatch(name)):
            # What format_address and the email package write for a bare address or a plain name.
            line = f"To: {name} <{email}>" if name else f"To: {email}"
            if len(line) <= _MAX_LINE_LENGTH:
                return line + self._linesep
        if name and not name.isascii() and _PLAIN_ADDRESS.fullmatch(email):
            # One encoded-word for the whole name, on one line as the email package writes it with
            # this policy (RFC 5322's 998, not RFC 2047's 76): readers of either get the same name.
            line = f"To: {_encoded_word(name)} <{recipient.email}>"
            if len(line) <= _MAX_LINE_LENGTH:
                return line + self._linesep
        return self._header("To", format_address(recipient.email, name), address=True)

    def _header(self, name: str, value: str, *, address: bool = False) -> str:
        line_length = len(name) + 2 + len(value)
        plain = _PLAIN_VALUE.fullmatch(value) is not None and "=?" not in value
        if plain and line_length <= _MAX_LINE_LENGTH and (not address or _plain_address(value)):
            return f"{name}: {value}{self._linesep}"
        return self._fold(name, value)

    def _fold(self, name: str, value: str) -> str:
        """``name: value`` folded by the email package."""
        header = self._policy.header_store_parse(name, value)[1]
        return self._policy.fold_binary(name, header).decode("utf-8", "surrogateescape")


# RFC 2047 §5(3): the characters an encoded-word in a phrase may carry as they are.
_Q_LITERAL = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!*+-/")


def _encoded_word(text: str) -> str:
    """``text`` as one RFC 2047 "Q" encoded-word of UTF-8."""
    pieces = [
        "_" if char == " " else char if char in _Q_LITERAL else "".join(f"={byte:02X}" for byte in char.encode())
        for char in text
    ]
    return f"=?utf-8?q?{''.join(pieces)}?="


def _plain_address(value: str) -> bool:
    """Whether an address header value is one the email package writes unchanged."""
    if "<" not in value:
        return _PLAIN_ADDRESS.fullmatch(value) is not None
    name, _, rest = value.partition(" <")
    return rest.endswith(">") and _ATOM_PHRASE.fullmatch(name) is not None and bool(
        _PLAIN_ADDRESS.fullmatch(rest[:-1])
    )


def format_address(email: str, name: str | None) -> str:
    """``Name <local@domain>`` (quoted where the name needs it), or the bare address without a name."""
    local, _, domain = email.rpartition("@")
    return str(Address(display_name=name or "", username=local, domain=domain))


def _placeholder_keys(batch: Batch) -> set[str]:
    keys: set[str] = set()
    for recipient in batch.recipients:
        keys.update(recipient.substitutions)
    return keys
