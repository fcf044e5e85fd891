"""The bytes of every message of a batch: the shared body encoded once, the personal parts spliced in.

A batch's recipients share one subject and body with placeholders. Building each message with
the ``email`` package costs milliseconds (a 75 KB body is re-encoded and every header parsed and
refolded per recipient); a send of a million would spend most of its time there. Here the parts
are encoded once per batch and only what differs is encoded per recipient:

- the text and HTML parts are encoded once (:mod:`syndication.mail.parts`): in the common case a
  part is a list of encoded chunks with slots for the recipient's values, and a message is one
  ``bytes.join`` of its header block and the two parts' chunks;
- headers shared by the batch (From, Subject, List-Id, …) are folded once by the ``email``
  package; a recipient's own headers take a fast path when they are plain printable ASCII that
  fits on one line (what the ``email`` package writes unchanged), and go through the ``email``
  package otherwise.

The result is the message :func:`syndication.mail.mime.build_message` describes, byte for byte,
with a multipart boundary derived from the Message-ID instead of a random one (the tests compare
both). Written by hand because no library splices into an encoded MIME body.
"""

from __future__ import annotations

import functools
import re
import zlib
from collections.abc import Callable, Mapping
from datetime import datetime
from email.headerregistry import Address
from email.policy import EmailPolicy
from email.utils import format_datetime

from syndication.mail.base import Batch, Recipient, Sender
from syndication.mail.parts import (
    MAX_LINE_LENGTH,
    SHARED_VALUE_LENGTH,
    SHARED_VALUES,
    Part,
    Plan,
    quoted_printable_piece,
)

# The longest quoted-printable line without a soft break (quoted_printable_piece cuts longer values).
_QP_LINE = 76
# A display name of RFC 5322 atext words separated by single spaces needs no quoting.
_ATOM_PHRASE = re.compile(r"[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+(?: [A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+)*")


def _boundary(message_id: str, parts: tuple[str | bytes, ...] = ()) -> str:
    """The email package's boundary shape, made from the Message-ID: the same message, the same bytes.

    ``parts``: the text that might hold it (7bit parts).
    """
    seed = message_id
    while True:
        # Two checksums, not a cryptographic hash: a boundary only has to stay out of the text (checked).
        data = seed.encode("utf-8", "surrogateescape")
        number = (zlib.crc32(data) << 32 | zlib.adler32(data)) % 10**19
        boundary = f"==============={number:019d}=="
        if not parts or not any(
            (boundary.encode("ascii") if isinstance(part, bytes) else boundary) in part for part in parts
        ):
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
        self._linesep_bytes = policy.linesep.encode("ascii")
        self._keys = _placeholder_keys(batch)
        self._placeholders, self._text, self._html = _encoded_parts(
            batch.body.text, batch.body.html, self._keys, self._linesep
        )
        self._subject_is_shared = self._placeholders is None or not self._placeholders.search(batch.body.subject)
        self._from = self._fold("From", format_address(sender.email, sender.name))
        self._reply_to = self._fold("Reply-To", sender.reply_to) if sender.reply_to else ""
        self._subject = self._fold("Subject", batch.body.subject) if self._subject_is_shared else ""
        self._dates: dict[datetime, str] = {}
        # Quoted-printable forms of short values (greetings, the archive link): readers share them.
        self._short_values: dict[str, bytes] = {}
        # The batch's own headers, written once for the recipients whose headers do not replace one.
        self._shared_names = frozenset(batch.headers)
        self._shared_headers = "".join(self._header(name, value) for name, value in batch.headers.items())
        self._shared_dotted = any(name.startswith(".") for name in batch.headers)
        # Names of readers' own headers seen not to start with a dot (see _dotted_name).
        self._plain_names: set[str] = set()
        # Per reader's name, what goes around the address in the To line (see _to_form).
        self._to_forms: dict[str | None, tuple[str, str] | tuple[()]] = {}
        # Header lines of short values (List-Unsubscribe-Post, …): every reader has the same ones.
        self._short_lines: dict[tuple[str, str], str] = {}
        self._both_quoted = _BothQuotedPrintable.of(self._text, self._html, self._linesep)

    def subject(self, recipient: Recipient) -> str:
        """The subject ``recipient`` sees (placeholders filled)."""
        if self._subject_is_shared or self._placeholders is None:
            return self._batch.body.subject
        return self._placeholders.sub(lambda match: recipient.substitutions[match.group(0)], self._batch.body.subject)

    def message_bytes(self, recipient: Recipient, now: datetime) -> bytes:
        """The message for ``recipient`` dated ``now``, ready for the wire or a file."""
        return b"".join(self.message_chunks(recipient, now)[0])

    def message_chunks(
        self, recipient: Recipient, now: datetime, *, data_form: bool = False
    ) -> tuple[list[bytes], Callable[[], bytes] | None]:
        """The message for ``recipient`` dated ``now`` as chunks to join, and maybe how SMTP DATA carries it.

        With ``data_form`` and CRLF line ends, the second item makes the message dot-stuffed and
        ended with ``.`` CRLF (RFC 5321 §4.5.2) from the body's literals stuffed once per batch, so
        that a message is never searched for dots; otherwise (or for a message not spliced) None.
        """
        values = recipient.substitutions
        if len(values) == len(self._keys) and self._keys.issuperset(values):
            joined = "".join(values.values())
            if "\n" not in joined and "\r" not in joined and all(values.values()):
                if self._both_quoted is not None:
                    # Most messages: see _spliced_quoted.
                    return self._spliced_quoted(recipient, values, now, data_form and self._linesep == "\r\n")
                return self._spliced(recipient, values, now, data_form and self._linesep == "\r\n")
        return [self._message_bytes(recipient, now)], None

    def _spliced(
        self, recipient: Recipient, values: Mapping[str, str], now: datetime, data_form: bool
    ) -> tuple[list[bytes], Callable[[], bytes] | None]:
        """``message_chunks`` in the common case: a value for every placeholder, none empty, none breaking a line.

        (A body quoted-printable in both parts takes :meth:`_spliced_quoted` instead: the same bytes, sooner.)
        """
        encoded: dict[str, bytes] = {}
        text = self._text
        html = self._html
        text_headers, text_body, text_may_hold = text.spliced(values, encoded, self._short_values)
        html_headers, html_body, html_may_hold = html.spliced(values, encoded, self._short_values)
        holding: tuple[bytes, ...] = ()
        if text_may_hold or html_may_hold:
            holding = tuple(b"".join(body) for body, may_hold in ((text_body, text_may_hold),
                                                                 (html_body, html_may_hold)) if may_hold)
        boundary = _boundary(recipient.message_id, holding)
        eol = self._linesep
        head = self._head(recipient, now)
        head.append(f'MIME-Version: 1.0{eol}Content-Type: multipart/alternative; boundary="{boundary}"{eol}'
                    f"{eol}--{boundary}{eol}")
        first = "".join(head).encode("utf-8", "surrogateescape") + text_headers + self._linesep_bytes
        middle = f"{eol}--{boundary}{eol}".encode("ascii") + html_headers + self._linesep_bytes
        last = f"{eol}--{boundary}--{eol}".encode("ascii")
        out = [first, *text_body, middle, *html_body, last]
        # A header never starts a line with a dot (names are ours, folded lines start with a space),
        # unless a header's own name does: such a message is stuffed whole by the caller.
        if not data_form or self._dotted_name(recipient):
            return out, None

        def data() -> bytes:
            return b"".join([first, *text.stuffed(text_headers, text_body), middle,
                             *html.stuffed(html_headers, html_body), last, b".\r\n"])

        return out, data

    def _spliced_quoted(
        self, recipient: Recipient, values: Mapping[str, str], now: datetime, data_form: bool
    ) -> tuple[list[bytes], Callable[[], bytes] | None]:
        """``_spliced`` for a body whose parts are both quoted-printable whatever the values (non-ASCII text).

        The same bytes as the general path, in one pass over both parts' slots with each value encoded
        once: this is most of a send's messages, and the per-part calls and list copies cost more than
        the splicing itself. Quoted-printable text never holds a boundary ("==" is "=3D=3D").
        """
        plan = self._both_quoted
        assert plan is not None
        out = plan.chunks.copy()
        chunks = []
        short_values = self._short_values
        for key, indexes, _ in plan.slots:
            value = values[key]
            # Greetings and the archive link repeat across readers: their encoding is looked up.
            chunk = short_values.get(value) if len(value) <= SHARED_VALUE_LENGTH else None
            if chunk is None:
                chunk = self._quoted_printable(value)
            chunks.append(chunk)
            for index in indexes:
                out[index] = chunk
        boundary = _boundary(recipient.message_id)
        eol = self._linesep
        head = self._head(recipient, now)
        head.append(
            f'MIME-Version: 1.0{eol}Content-Type: multipart/alternative; boundary="{boundary}"{eol}'
            f"{eol}--{boundary}{eol}"
        )
        out[0] = "".join(head).encode("utf-8", "surrogateescape") + plan.text_headers
        out[plan.middle] = f"{eol}--{boundary}{eol}".encode("ascii") + plan.html_headers
        out[-1] = f"{eol}--{boundary}--{eol}".encode("ascii")
        if not data_form or self._dotted_name(recipient):
            return out, None

        stuffed_literals = plan.stuffed_literals
        assert stuffed_literals is not None  # data_form: CRLF line ends

        def data() -> bytes:
            # The message's chunks with the few literals that hold a line starting with a dot replaced
            # by their stuffed form (made once per body, Plan.stuffing); only the values are looked at,
            # and one rarely needs stuffing.
            wire = out.copy()
            for index, literal in stuffed_literals:
                wire[index] = literal
            for chunk, (_, indexes, line_starts) in zip(chunks, plan.slots, strict=True):
                # A value breaks no line itself (message_chunks checks), so only the soft breaks of one
                # longer than a quoted-printable line can start a line. Tested with find(), not `in`:
                # ``bytes in bytes`` first tries the needle as an int and clears a TypeError each time.
                if (len(chunk) > _QP_LINE and chunk.find(b"\n.") != -1) or (line_starts and chunk[:1] == b"."):
                    chunk = chunk.replace(b"\n.", b"\n..")
                    for index in indexes:
                        wire[index] = chunk
                    if line_starts and chunk[:1] == b".":
                        for index in line_starts:
                            wire[index] = b"." + chunk
            wire.append(b".\r\n")
            return b"".join(wire)

        return out, data

    def _quoted_printable(self, value: str) -> bytes:
        """A value quoted-printable, as :meth:`Part.spliced` encodes it (short ones kept for the other messages)."""
        if len(value) > SHARED_VALUE_LENGTH:
            return quoted_printable_piece(value, self._linesep).encode("ascii")
        chunk = self._short_values.get(value)
        if chunk is None:
            chunk = quoted_printable_piece(value, self._linesep).encode("ascii")
            if len(self._short_values) < SHARED_VALUES:
                self._short_values[value] = chunk
        return chunk

    def _dotted_name(self, recipient: Recipient) -> bool:
        """Whether a header of ``recipient``'s message has a name starting with a dot (none of ours does)."""
        names = recipient.headers.keys()
        # Readers have the same header names: once a set of them is known to be plain, a set test says so.
        if self._plain_names.issuperset(names):
            return self._shared_dotted
        if any(name.startswith(".") for name in names):
            return True
        if len(self._plain_names) < SHARED_VALUES:
            self._plain_names.update(names)
        return self._shared_dotted

    def _message_bytes(self, recipient: Recipient, now: datetime) -> bytes:
        """``message_bytes`` for any recipient: values missing, empty or holding line breaks."""
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
        head = self._head(recipient, now)
        eol = self._linesep
        head.append(f"MIME-Version: 1.0{eol}")
        head.append(f'Content-Type: multipart/alternative; boundary="{boundary}"{eol}')
        head.append(f"{eol}--{boundary}{eol}{text_headers}{eol}")
        head.extend(text_body)
        head.append(f"{eol}--{boundary}{eol}{html_headers}{eol}")
        head.extend(html_body)
        head.append(f"{eol}--{boundary}--{eol}")
        return "".join(head).encode("utf-8", "surrogateescape")

    def _head(self, recipient: Recipient, now: datetime) -> list[str]:
        """The message's header lines, from From to its last own header (MIME headers follow)."""
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
        own = recipient.headers
        if self._shared_names.isdisjoint(own):
            head.append(self._shared_headers)
            short_lines = self._short_lines
            for name, value in own.items():
                if len(value) > SHARED_VALUE_LENGTH:
                    head.append(self._header(name, value))
                    continue
                line = short_lines.get((name, value))
                if line is None:
                    line = self._header(name, value)
                    if len(short_lines) < SHARED_VALUES:
                        short_lines[name, value] = line
                head.append(line)
        else:
            for name, value in {**self._batch.headers, **own}.items():
                head.append(self._header(name, value))
        return head

    def _to(self, recipient: Recipient) -> str:
        name = recipient.name
        email = recipient.email
        if _is_plain_email(email):
            # Readers share first names: how a name is written around the address is kept per name.
            around = self._to_forms.get(name)
            if around is None:
                around = _to_form(name)
                if len(self._to_forms) < SHARED_VALUES:
                    self._to_forms[name] = around
            if around:
                line = f"{around[0]}{email}{around[1]}"
                if len(line) <= MAX_LINE_LENGTH:
                    return line + self._linesep
        return self._header("To", format_address(recipient.email, name), address=True)

    def _header(self, name: str, value: str, *, address: bool = False) -> str:
        line_length = len(name) + 2 + len(value)
        if _is_plain(value) and line_length <= MAX_LINE_LENGTH and (not address or _plain_address(value)):
            return f"{name}: {value}{self._linesep}"
        return self._fold(name, value)

    def _fold(self, name: str, value: str) -> str:
        """``name: value`` folded by the email package."""
        header = self._policy.header_store_parse(name, value)[1]
        return self._policy.fold_binary(name, header).decode("utf-8", "surrogateescape")


# RFC 2047 §5(3): the characters an encoded-word in a phrase may carry as they are.
_Q_LITERAL = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!*+-/")


# Each UTF-8 byte as an encoded-word writes it: literal characters are ASCII, so a byte decides.
_Q_BYTES = tuple(
    "_" if byte == 0x20 else chr(byte) if chr(byte) in _Q_LITERAL else f"={byte:02X}" for byte in range(256)
)


def _encoded_word(text: str) -> str:
    """``text`` as one RFC 2047 "Q" encoded-word of UTF-8."""
    return f"=?utf-8?q?{''.join(map(_Q_BYTES.__getitem__, text.encode()))}?="


def _to_form(name: str | None) -> tuple[str, str] | tuple[()]:
    """What goes before and after a plain address in the To line of a reader called ``name``; () when it is folded."""
    if not name:
        # What format_address and the email package write for a bare address …
        return ("To: ", "")
    if _ATOM_PHRASE.fullmatch(name):
        # … or a plain name.
        return (f"To: {name} <", ">")
    if not name.isascii():
        # One encoded-word for the whole name, on one line as the email package writes it with
        # this policy (RFC 5322's 998, not RFC 2047's 76): readers of either get the same name.
        return (f"To: {_encoded_word(name)} <", ">")
    return ()


def _is_plain(value: str) -> bool:
    """Whether the email package writes a header value as it is.

    Printable ASCII (exactly \\x20-\\x7e) without a leading or trailing space, and no encoded-word
    marker ("=?" would be decoded and re-encoded). String methods, not a regex: this runs for every
    header of every message.
    """
    return (
        value.isascii() and value.isprintable() and value != ""
        and value[0] != " " and value[-1] != " " and "=?" not in value
    )


def _is_plain_email(email: str) -> bool:
    """Whether an address is one the email package writes as it is: printable ASCII without spaces, an "@" inside."""
    return email.isascii() and email.isprintable() and " " not in email and "@" in email[1:-1]


def _plain_address(value: str) -> bool:
    """Whether an address header value is one the email package writes unchanged."""
    if "<" not in value:
        return _is_plain_email(value)
    name, _, rest = value.partition(" <")
    return rest.endswith(">") and _ATOM_PHRASE.fullmatch(name) is not None and bool(
        _is_plain_email(rest[:-1])
    )


class _BothQuotedPrintable:
    """A body's text and HTML parts, both always quoted-printable, as one list of chunks with slots.

    ``chunks``: ``b""`` at index 0 (the header block and the text part's headers), at ``middle`` (the
    boundary and the HTML part's headers), at the end (the closing boundary) and at every slot;
    ``slots``: per placeholder, the indexes of its slots, and those of them that start a line.
    ``stuffed_literals``: for CRLF line ends, the literals that SMTP DATA carries otherwise (a line
    starting with a dot, doubled: :meth:`Plan.stuffing`), by index; None for other line ends.
    """

    def __init__(self, text: Part, html: Part, text_plan: Plan, html_plan: Plan, eol: str) -> None:
        self.middle = 1 + len(text_plan.chunks)
        self.chunks = [b"", *text_plan.chunks, b"", *html_plan.chunks, b""]
        eol_bytes = eol.encode("ascii")
        self.text_headers = text.header_qp_bytes + eol_bytes
        self.html_headers = html.header_qp_bytes + eol_bytes
        self.stuffed_literals: tuple[tuple[int, bytes], ...] | None = None
        places: dict[str, tuple[list[int], list[int]]] = {}
        if eol == "\r\n":
            text_literals, text_starts = text_plan.stuffing()
            html_literals, html_starts = html_plan.stuffing()
            stuffed = [b"", *text_literals, b"", *html_literals, b""]
            self.stuffed_literals = tuple(
                (index, literal) for index, (literal, chunk) in enumerate(zip(stuffed, self.chunks, strict=True))
                if literal != chunk
            )
        else:
            # No DATA form for other line ends: no slot is said to start a line.
            text_starts = (False,) * len(text_plan.slots)
            html_starts = (False,) * len(html_plan.slots)
        for offset, plan, line_starts in ((1, text_plan, text_starts), (self.middle + 1, html_plan, html_starts)):
            for (index, key), at_line_start in zip(plan.slots, line_starts, strict=True):
                indexes, starting = places.setdefault(key, ([], []))
                indexes.append(offset + index)
                if at_line_start:
                    starting.append(offset + index)
        # Few values start a line: the others need no look at their first byte when stuffed.
        self.slots = tuple((key, tuple(indexes), tuple(starting)) for key, (indexes, starting) in places.items())

    @classmethod
    def of(cls, text: Part, html: Part, eol: str) -> _BothQuotedPrintable | None:
        """The plan of ``text`` and ``html`` when both are always quoted-printable, else None."""
        text_plan = text.quoted_printable_plan
        html_plan = html.quoted_printable_plan
        if text_plan is None or html_plan is None:
            return None
        return cls(text, html, text_plan, html_plan, eol)


def format_address(email: str, name: str | None) -> str:
    """``Name <local@domain>`` (quoted where the name needs it), or the bare address without a name."""
    local, _, domain = email.rpartition("@")
    return str(Address(display_name=name or "", username=local, domain=domain))


def _placeholder_keys(batch: Batch) -> frozenset[str]:
    keys: set[str] = set()
    for recipient in batch.recipients:
        keys.update(recipient.substitutions)
    return frozenset(keys)


@functools.lru_cache(maxsize=16)
def _encoded_parts(text: str, html: str, keys: frozenset[str], eol: str) -> tuple[re.Pattern[str] | None, Part, Part]:
    """The placeholder pattern and the encoded text and HTML parts of a body (parts are never changed).

    A send makes one factory per batch of up to 1,000 recipients, and a variant's batches share
    its body: encoding a 90 KB body costs about as much as splicing a thousand messages, so it is
    done once per body and line ending.
    """
    placeholders = (
        re.compile("|".join(re.escape(key) for key in sorted(keys, key=len, reverse=True))) if keys else None
    )
    return placeholders, Part(text, "plain", placeholders, eol), Part(html, "html", placeholders, eol)
