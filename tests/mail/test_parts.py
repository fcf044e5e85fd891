"""Encoded parts: a value's quoted-printable form, and the prepared chunks against the line-by-line path."""

from __future__ import annotations

import quopri
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from syndication.mail.parts import Part, quoted_printable_piece

_CHARS = st.characters(codec="utf-8", exclude_categories=("Cs",))
_PLACEHOLDERS = re.compile("%%G%%|%%U%%")


@settings(max_examples=300, deadline=None)
@given(value=st.text(st.characters(codec="utf-8", exclude_categories=("Cs",), exclude_characters="\r\n"),
                     max_size=300),
       eol=st.sampled_from(["\n", "\r\n"]))
def test_a_value_decodes_to_itself_in_lines_of_at_most_76_characters(value: str, eol: str) -> None:
    """Any one-line value is valid quoted-printable: it decodes to itself, lines fit, none ends in white space."""
    encoded = quoted_printable_piece(value, eol)
    lines = encoded.split(eol)
    assert [] == [line for line in lines if len(line) > 76 or line.endswith((" ", "\t"))]
    assert value == quopri.decodestring(encoded.encode("ascii")).decode("utf-8")


@settings(max_examples=300, deadline=None)
@given(
    lines=st.lists(st.text(_CHARS, max_size=100) | st.sampled_from(["%%G%%", "a %%G%% b", "=%%U%%=", "x" * 999, ""]),
                   max_size=8),
    greeting=st.text(_CHARS.filter(lambda char: char not in "\r\n"), min_size=1, max_size=40),
    link=st.text(st.sampled_from("ab=?&/:"), min_size=1, max_size=200),
    eol=st.sampled_from(["\n", "\r\n"]),
)
def test_prepared_chunks_are_the_bytes_of_the_line_by_line_path(
    lines: list[str], greeting: str, link: str, eol: str
) -> None:
    """For values that are non-empty and break no line, the prepared chunks join to the line-by-line payload."""
    part = Part("\n".join(lines), "html", _PLACEHOLDERS, eol)
    values = {"%%G%%": greeting, "%%U%%": link}
    headers, chunks, _ = part.spliced(values, {})
    expected_headers, expected = part.payload(values, {}, breaks=False)
    assert (expected_headers, "".join(expected)) == (headers.decode("ascii"), b"".join(chunks).decode("ascii"))
