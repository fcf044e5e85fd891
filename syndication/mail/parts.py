"""A text part of a batch's shared body, encoded once; each recipient's values spliced into it.

Quoted-printable encodes line by line (RFC 2045 §6.7: soft breaks stay inside a line), so the
lines without a placeholder are encoded once, and a recipient's lines with a placeholder are
encoded alone; the choice of ``7bit`` or ``quoted-printable`` is made per recipient, as
:func:`syndication.mail.mime.transfer_encoding` makes it for the whole text.

In the common case (every value non-empty, none holding a line break) a part is a fixed list of
encoded chunks with slots for the values (:class:`Plan`), made once per part: a message is then
one ``bytes.join``. Anything else takes the line-by-line path, which handles every text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from email import quoprimime

# RFC 5322 §2.1.1: no line of a message may be longer than 998 characters.
MAX_LINE_LENGTH = 998
_LINE_BREAKS = re.compile(r"\r\n|\r|\n")
# What str.splitlines breaks at (transfer_encoding() measures lines with it).
_ANY_BREAK = re.compile("[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
# Values up to this length (greetings, shared links) are worth remembering encoded across messages;
# longer ones are signed links, unique to a reader.
SHARED_VALUE_LENGTH = 80
SHARED_VALUES = 4096
# An email package boundary starts with 15 "=": text without such a run cannot hold one.
_BOUNDARY_RUN = "=" * 15


def _lines(text: str) -> list[str]:
    """``text`` split where the email package splits a body (CRLF, CR, LF), without a final empty line."""
    lines = _LINE_BREAKS.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def _fits_7bit(line: str) -> bool:
    # str.splitlines, as transfer_encoding() uses it: ASCII form feeds and file separators split too.
    return line.isascii() and all(len(piece) <= MAX_LINE_LENGTH for piece in line.splitlines())


# Each UTF-8 byte as quoted-printable writes it inside a line: printable ASCII but "=" as it is
# (RFC 2045 §6.7 (2)), the space too (a trailing one is escaped below), everything else "=XX".
_QP_BYTES = tuple(
    chr(byte) if 0x20 <= byte <= 0x7E and byte != 0x3D else f"={byte:02X}" for byte in range(256)
)


def quoted_printable_piece(piece: str, eol: str) -> str:
    """Part of a line quoted-printable, its lines at most 75 characters, so that a soft break ("=") still fits.

    By hand rather than with ``quoprimime.body_encode``: this runs for every personal value of every
    message, and a value is one line (no CR or LF reaches here), so a byte table and a cut every
    74 characters (never inside an escape) do it.
    """
    if not piece:
        return ""
    if piece.isascii() and piece.isprintable():
        # Links and greetings: only "=" needs escaping.
        encoded = piece.replace("=", "=3D")
    else:
        encoded = "".join(map(_QP_BYTES.__getitem__, piece.encode("utf-8")))
    if encoded[-1] == " ":
        # RFC 2045 §6.7 (3): no white space at the end of an encoded line.
        encoded = encoded[:-1] + "=20"
    if len(encoded) <= 75:
        return encoded
    lines = []
    start = 0
    while len(encoded) - start > 75:
        end = start + 74
        # Never cut an escape ("=XX") apart.
        end -= 1 if encoded[end - 1] == "=" else 2 if encoded[end - 2] == "=" else 0
        lines.append(encoded[start:end])
        start = end
    lines.append(encoded[start:])
    return ("=" + eol).join(lines)


def _quoted_printable(line: str, eol: str) -> str:
    """One body line quoted-printable encoded as the email package encodes it."""
    return quoprimime.body_encode(line.encode("utf-8").decode("latin-1"), 76, eol) if line else ""


class _Template:
    """One line with placeholders: the literal pieces between the placeholders' keys, raw and encoded."""

    def __init__(self, pieces: tuple[str, ...], keys: tuple[str, ...], eol: str) -> None:
        self.pieces = pieces
        self.keys = keys
        self.eol = eol
        self.encoded_pieces = tuple(quoted_printable_piece(piece, eol) for piece in pieces)
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
        return length <= MAX_LINE_LENGTH

    def quoted_printable(self, values: Mapping[str, str], encoded: dict[str, str], out: list[str]) -> None:
        """Appends the filled line quoted-printable to ``out``: pieces and values between soft breaks.

        ``encoded`` keeps each value's encoding for the message's other part.
        """
        soft_break = "=" + self.eol
        pending = self.encoded_pieces[0]
        for key, encoded_piece in zip(self.keys, self.encoded_pieces[1:], strict=True):
            value = encoded.get(key)
            if value is None:
                value = encoded[key] = quoted_printable_piece(values.get(key, key), self.eol)
            for chunk in (value, encoded_piece):
                if chunk:
                    if pending:
                        out.append(pending)
                        out.append(soft_break)
                    pending = chunk
        out.append(pending)


class Plan:
    """An encoded part as literal chunks (bytes) with slots for the values, for values that are all non-empty.

    ``chunks`` holds ``b""`` at each slot; ``slots`` says which value goes where.
    """

    def __init__(self, tokens: list[tuple[bool, str]]) -> None:
        chunks: list[str] = []
        slots: list[tuple[int, str]] = []
        literal = False
        for is_slot, text in tokens:
            if is_slot:
                slots.append((len(chunks), text))
                chunks.append("")
                literal = False
            elif literal:
                chunks[-1] += text
            else:
                chunks.append(text)
                literal = True
        slotted = {index for index, _ in slots}
        self.literals = tuple(chunk for index, chunk in enumerate(chunks) if index not in slotted)
        self.chunks = [chunk.encode("ascii") for chunk in chunks]
        self.slots = tuple(slots)
        self._stuffing: tuple[list[bytes], tuple[bool, ...]] | None = None

    def stuffing(self) -> tuple[list[bytes], tuple[bool, ...]]:
        """The chunks dot-stuffed as SMTP DATA carries them (RFC 5321 §4.5.2), and per slot whether it starts a line.

        The part's body starts a line. A spliced value is never empty and never ends a line (no CR
        or LF in it; its quoted-printable soft breaks are inside it), so what follows a slot does not
        start a line, and a literal's stuffing never depends on a recipient: it is done once here.
        """
        if self._stuffing is None:
            slotted = {index for index, _ in self.slots}
            stuffed: list[bytes] = []
            line_starts: list[bool] = []
            at_line_start = True
            for index, chunk in enumerate(self.chunks):
                if index in slotted:
                    line_starts.append(at_line_start)
                    stuffed.append(b"")
                    at_line_start = False
                elif chunk:
                    stuffed.append(dot_stuffed_chunk(chunk, at_line_start))
                    at_line_start = chunk.endswith(b"\n")
                else:
                    stuffed.append(chunk)
            self._stuffing = (stuffed, tuple(line_starts))
        return self._stuffing


def dot_stuffed_chunk(chunk: bytes, at_line_start: bool) -> bytes:
    """``chunk`` with a dot doubled at the start of each of its lines (the first only ``at_line_start``)."""
    if b"\n." in chunk:
        chunk = chunk.replace(b"\n.", b"\n..")
    return b"." + chunk if at_line_start and chunk.startswith(b".") else chunk


def _raw_plan(items: list[tuple[str, str] | _Template], eol: str) -> Plan:
    """The 7bit body: lines as they are, each followed by ``eol`` (an empty text is one ``eol``)."""
    if not items:
        return Plan([(False, eol)])
    tokens: list[tuple[bool, str]] = []
    for item in items:
        if isinstance(item, tuple):
            tokens.append((False, item[0]))
        else:
            tokens.append((False, item.pieces[0]))
            for key, piece in zip(item.keys, item.pieces[1:], strict=True):
                tokens.append((True, key))
                tokens.append((False, piece))
        tokens.append((False, eol))
    return Plan(tokens)


def _quoted_printable_plan(items: list[tuple[str, str] | _Template], eol: str) -> Plan:
    """The quoted-printable body as :meth:`_Template.quoted_printable` writes it when no value is empty.

    A template line's non-empty chunks (encoded pieces and values) are joined by soft breaks.
    """
    soft_break = "=" + eol
    tokens: list[tuple[bool, str]] = []
    for item in items:
        if isinstance(item, tuple):
            tokens.append((False, item[1]))
        else:
            chunks: list[tuple[bool, str]] = [(False, item.encoded_pieces[0])]
            for key, piece in zip(item.keys, item.encoded_pieces[1:], strict=True):
                chunks.append((True, key))
                chunks.append((False, piece))
            present = [chunk for chunk in chunks if chunk[0] or chunk[1]]
            for index, chunk in enumerate(present):
                if index:
                    tokens.append((False, soft_break))
                tokens.append(chunk)
        tokens.append((False, eol))
    return Plan(tokens)


class Part:
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
        self._templates = tuple(item for item in self._items if isinstance(item, _Template))
        self._qp_plan = _quoted_printable_plan(self._items, eol)
        # A line whose own text is not ASCII is never 7bit: no raw plan then.
        seven_bit_possible = self._static_7bit and all(template.ascii for template in self._templates)
        self._raw_plan = _raw_plan(self._items, eol) if seven_bit_possible else None
        self._raw_holds_boundary_run = self._raw_plan is not None and any(
            _BOUNDARY_RUN in literal for literal in self._raw_plan.literals
        )
        self.header_7bit_bytes = self.header_7bit.encode("ascii")
        self.header_qp_bytes = self.header_qp.encode("ascii")

    @property
    def quoted_printable_plan(self) -> Plan | None:
        """The quoted-printable plan when every recipient's values take it (no 7bit plan), else None.

        Then :meth:`spliced` needs no per-recipient choice, and a factory may splice both parts in one pass.
        """
        return self._qp_plan if self._raw_plan is None else None

    def _close_run(self, run: list[str]) -> None:
        if not run:
            return
        self._static_7bit = self._static_7bit and all(_fits_7bit(line) for line in run)
        eol = self.eol
        self._items.append((eol.join(run), eol.join(_quoted_printable(line, eol) for line in run)))

    def spliced(
        self,
        values: Mapping[str, str],
        encoded: dict[str, bytes],
        shared: dict[str, bytes] | None = None,
    ) -> tuple[bytes, list[bytes], bool]:
        """(part headers, chunks of the encoded body, whether the body may hold a boundary) for ``values``.

        Only for values that are all non-empty and hold no CR or LF, one for every placeholder;
        the result is the bytes of :meth:`payload`. ``encoded`` keeps each value's quoted-printable
        form for the message's other part; ``shared`` keeps those of short values (up to
        ``SHARED_VALUE_LENGTH`` characters, at most ``SHARED_VALUES``) for other messages.
        """
        raw = self._raw_plan
        if raw is not None and all(template.fits_7bit(values) for template in self._templates):
            out = raw.chunks.copy()
            equals = self._raw_holds_boundary_run
            for index, key in raw.slots:
                value = values[key]
                equals = equals or "=" in value
                out[index] = value.encode("ascii")
            return self.header_7bit_bytes, out, equals
        plan = self._qp_plan
        out = plan.chunks.copy()
        eol = self.eol
        for index, key in plan.slots:
            chunk = encoded.get(key)
            if chunk is None:
                value = values[key]
                if shared is not None and len(value) <= SHARED_VALUE_LENGTH:
                    chunk = shared.get(value)
                    if chunk is None:
                        chunk = quoted_printable_piece(value, eol).encode("ascii")
                        if len(shared) < SHARED_VALUES:
                            shared[value] = chunk
                else:
                    chunk = quoted_printable_piece(value, eol).encode("ascii")
                encoded[key] = chunk
            out[index] = chunk
        # Quoted-printable text never holds "==" (a literal "=" is "=3D").
        return self.header_qp_bytes, out, False

    def stuffed(self, headers: bytes, chunks: list[bytes]) -> list[bytes]:
        """The body :meth:`spliced` made (``headers``, ``chunks``) as SMTP DATA carries it: dot-stuffed.

        The literals were stuffed once (:meth:`Plan.stuffing`); only the values are looked at.
        """
        plan = self._raw_plan if headers is self.header_7bit_bytes else self._qp_plan
        assert plan is not None
        literals, line_starts = plan.stuffing()
        body = literals.copy()
        for (index, _), at_line_start in zip(plan.slots, line_starts, strict=True):
            chunk = chunks[index]
            # find(), not `in`: ``bytes in bytes`` first tries the needle as an int and clears a TypeError.
            if chunk.find(b"\n.") != -1:
                chunk = chunk.replace(b"\n.", b"\n..")
            body[index] = b"." + chunk if at_line_start and chunk.startswith(b".") else chunk
        return body

    def payload(self, values: Mapping[str, str], encoded: dict[str, str], breaks: bool) -> tuple[str, list[str]]:
        """(part headers, pieces of the encoded body) for one recipient's ``values``.

        ``breaks``: whether a value holds a line break (CR or LF).
        """
        eol = self.eol
        if not self._static_7bit and not breaks:
            # Text that is not 7bit is quoted-printable whatever the values: no line needs measuring.
            fits: list[bool | None] = []
        else:
            fits = [item.fits_7bit(values) for item in self._templates]
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

