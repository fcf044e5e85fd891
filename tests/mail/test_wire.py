"""The spliced messages of a batch against the email package's: same headers, same parts, same text."""

from __future__ import annotations

import re
import smtplib
from datetime import UTC, datetime
from email import message_from_bytes
from email.policy import default

from hypothesis import given, settings
from hypothesis import strategies as st

from syndication.mail.base import Batch, MessageBody, Recipient, Sender, clean_batch_headers, clean_recipient
from syndication.mail.mime import MAIL_POLICY, SMTP_POLICY, build_message
from syndication.mail.wire import MessageFactory

NOW = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)
SENDER = Sender("news@example.org", "Die Rheinpfalz", "leser@example.org")
HTML = (
    "<!doctype html>\n<html><body>\n<p>%%G%%</p>\n"
    + "<p>" + "Ausblick: Der Stadtrat berät im Dezember über den Haushalt. " * 30 + "</p>\n"
    + "<p>Trailing spaces   \n\n<a href=\"%%U%%\">Abbestellen</a> · <a href=\"%%P%%\">Einstellungen</a></p>\n"
    + "</body></html>\n"
)
TEXT = "%%G%%\n\nWeiterlesen: https://example.org/a\n\nAbbestellen: %%U%%\n"
HEADERS = {"List-Id": "Der Morgen <morgen.example.org>", "Feedback-ID": "daily-1:daily:morgen:example.org"}


def _recipient(number: int, name: str | None, greeting: str = "Guten Morgen", email: str | None = None) -> Recipient:
    unsubscribe = f"https://example.org/unsubscribe?token={'x' * 60}{number}"
    return Recipient(
        email=email or f"leser{number}@example.org",
        message_id=f"<daily-1.{number}@example.org>",
        name=name,
        substitutions={
            "%%G%%": greeting, "%%U%%": unsubscribe, "%%P%%": f"https://example.org/preferences?token=p{number}",
        },
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>, <mailto:unsubscribe@example.org?subject=u{number}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )


def _reference(batch: Batch, recipient: Recipient, policy: object, boundary: str) -> bytes:
    message = build_message(SENDER, batch, recipient, NOW)
    message.set_boundary(boundary)
    return message.as_bytes(policy=policy)  # type: ignore[arg-type]


def _headers(data: bytes) -> list[tuple[str, str]]:
    return [(name, str(value)) for name, value in message_from_bytes(data, policy=default).items()]


def _parts(data: bytes) -> list[tuple[str, str, str]]:
    message = message_from_bytes(data, policy=default)
    return [
        (part.get_content_type(), str(part["Content-Transfer-Encoding"]), part.get_content())
        for part in message.iter_parts()  # type: ignore[attr-defined]
    ]


def _assert_same(batch: Batch) -> None:
    """The same headers and parts (encoding and text); quoted-printable lines within 76 characters.

    Quoted-printable lines holding a personal value are broken around it (soft breaks) and
    non-ASCII names are encoded as whole words, so only those differ from the email package's
    bytes: 7bit messages to an ASCII name are the same bytes.
    """
    batch = clean_batch_headers(batch)
    for policy in (MAIL_POLICY, SMTP_POLICY):
        factory = MessageFactory(SENDER, batch, policy)
        linesep = policy.linesep.encode()
        for recipient in batch.recipients:
            recipient = clean_recipient(recipient)
            actual = factory.message_bytes(recipient, NOW)
            boundary = re.search(rb'boundary="([^"]+)"', actual).group(1).decode()  # type: ignore[union-attr]
            reference = _reference(batch, recipient, policy, boundary)
            assert _headers(reference) == _headers(actual)
            assert _parts(reference) == _parts(actual)
            if b"quoted-printable" not in actual and (recipient.name or "").isascii():
                assert reference == actual
            body_lines = actual.partition(linesep * 2)[2].split(linesep)
            assert [] == [line for line in body_lines if len(line) > 76 and line.endswith(b"=")]
            assert [] == [line for line in actual.split(linesep) if len(line) > 998]


def test_messages_equal_the_email_packages_for_every_kind_of_name() -> None:
    """Plain, quoted, non-ASCII, long and encoded-word-looking names all give the email package's bytes."""
    names = [
        None, "Anna", "Anna Schmidt", "Jürgen Müller", "Zoë O'Neil & Co", "Müller, Jürgen", "Dr. Anna Schmidt",
        "Anna  Schmidt", " Anna", "=?utf-8?q?Anna?=", "Ä" * 120, "Anna (Redaktion)", 'Anna "die Leserin"',
    ]
    recipients = tuple(_recipient(number, name) for number, name in enumerate(names, 1))
    _assert_same(Batch("k", MessageBody("Der Morgen: 24. November", HTML, TEXT), recipients, HEADERS))


def test_a_personal_greeting_with_umlauts_switches_only_that_message_to_quoted_printable() -> None:
    """An ASCII body stays 7bit for one reader and is quoted-printable for the reader whose greeting needs it."""
    body = MessageBody("Der Morgen", "<p>%%G%%</p>\n<p>Hello</p>\n", "%%G%%\nHello\n")
    recipients = (_recipient(1, "Anna", "Good morning, Anna"), _recipient(2, "Jürgen", "Good morning, Jürgen"))
    _assert_same(Batch("k", body, recipients, HEADERS))
    factory = MessageFactory(SENDER, Batch("k", body, recipients, HEADERS), SMTP_POLICY)
    encodings = [
        re.findall(rb"Content-Transfer-Encoding: (\S+)", factory.message_bytes(r, NOW)) for r in recipients
    ]
    assert [[b"7bit", b"7bit"], [b"quoted-printable", b"quoted-printable"]] == encodings


def test_subject_with_a_placeholder_long_headers_and_line_breaks_in_values() -> None:
    """Personal subjects, a header longer than a line, and a value with line breaks come out as the email package's."""
    body = MessageBody("Für %%P%%: Der Morgen", "<p>%%G%%</p>\n%%U%%", "%%G%%\n\n%%U%%")
    long_header = {"List-Unsubscribe": "<https://example.org/u?t=" + "y" * 1200 + ">"}
    recipients = (
        _recipient(1, "Anna", "Anna\nSchmidt"),
        _recipient(2, "Anna", "trailing\n"),
        Recipient(
            "leser3@example.org", "<daily-1.3@example.org>", None, {"%%G%%": "x", "%%U%%": "y", "%%P%%": "Zoë"},
            long_header,
        ),
    )
    _assert_same(Batch("k", body, recipients, HEADERS))


def test_a_recipient_outside_the_batch_gets_its_own_placeholders_filled() -> None:
    """A recipient whose placeholders the factory was not made for still gets a complete, correct message."""
    body = MessageBody("Der Morgen", "<p>%%G%% %%X%%</p>\n", "%%G%% %%X%%\n")
    factory = MessageFactory(SENDER, Batch("k", body, (_recipient(1, "Anna"),), HEADERS), MAIL_POLICY)
    stranger = Recipient("x@example.org", "<m.9@example.org>", None, {"%%G%%": "Hallo", "%%X%%": "Welt"})
    data = factory.message_bytes(stranger, NOW)
    boundary = re.search(rb'boundary="([^"]+)"', data).group(1).decode()  # type: ignore[union-attr]
    assert _reference(Batch("k", body, (stranger,), HEADERS), stranger, MAIL_POLICY, boundary) == data


def test_the_same_message_gives_the_same_bytes() -> None:
    """The boundary comes from the Message-ID: a message built twice is the same file."""
    batch = Batch("k", MessageBody("S", HTML, TEXT), (_recipient(1, "Anna"),), HEADERS)
    first = MessageFactory(SENDER, batch, MAIL_POLICY).message_bytes(batch.recipients[0], NOW)
    assert first == MessageFactory(SENDER, batch, MAIL_POLICY).message_bytes(batch.recipients[0], NOW)


_TEXT_CHARS = st.characters(codec="utf-8", exclude_categories=("Cs",))


@settings(max_examples=150, deadline=None)
@given(
    lines=st.lists(st.text(_TEXT_CHARS, max_size=120) | st.sampled_from(["%%G%%", "a %%G%% b", " ", "", "x" * 1000]),
                   max_size=8),
    greeting=st.text(_TEXT_CHARS, max_size=40),
    name=st.none() | st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=30),
    final_break=st.booleans(),
)
def test_any_body_and_values_give_the_email_packages_bytes(
    lines: list[str], greeting: str, name: str | None, final_break: bool
) -> None:
    """Whatever the text, line breaks, spaces and characters, the spliced message equals the email package's."""
    text = "\n".join(lines) + ("\n" if final_break else "")
    recipient = Recipient("leser@example.org", "<m.1@example.org>", name, {"%%G%%": greeting})
    _assert_same(Batch("k", MessageBody("Betreff", text, text), (recipient,), HEADERS))


@settings(max_examples=200, deadline=None)
@given(value=st.text(st.sampled_from("=a3D ~\t"), max_size=400), prefix=st.text(st.sampled_from("xü="), max_size=80))
def test_long_values_full_of_equals_signs_are_cut_between_escapes(value: str, prefix: str) -> None:
    """Links full of "=" are cut into lines of at most 76 characters, never inside an "=3D"."""
    body = MessageBody("Betreff", f"<p>{prefix}%%G%%{prefix}</p>\n", f"{prefix}%%G%%\n")
    recipient = Recipient("leser@example.org", "<m.1@example.org>", None, {"%%G%%": value})
    _assert_same(Batch("k", body, (recipient,), HEADERS))


def _smtplib_data(data: bytes) -> bytes:
    """What smtplib's ``SMTP.data`` sends for ``data``: its own dot-stuffing, then CRLF.CRLF."""
    quoted = smtplib._quote_periods(data)  # type: ignore[attr-defined]
    return (quoted if quoted.endswith(b"\r\n") else quoted + b"\r\n") + b".\r\n"


_DOTTED = st.sampled_from([".", "..", ". ", ".x", "a.", "x" * 73 + ".", "%%G%%", "%%G%%%%U%%", ".%%G%%", "%%G%%."])


@settings(max_examples=300, deadline=None)
@given(
    lines=st.lists(st.lists(_TEXT_CHARS | _DOTTED, max_size=12).map("".join) | _DOTTED
                   | st.sampled_from(["x" * 73 + ".%%G%%", "ü" * 30 + "." * 5 + "%%U%%", ""]), max_size=10),
    greeting=st.text(st.sampled_from(".aü= "), min_size=1, max_size=100),
    link=st.text(st.sampled_from("./=a"), min_size=1, max_size=300)
    | st.tuples(st.integers(70, 78), st.text(st.sampled_from("./=a"), max_size=80)).map(lambda cut: "a" * cut[0]
                                                                                        + "." + cut[1]),
    quoted_printable=st.booleans(),
    final_break=st.booleans(),
)
def test_the_data_form_is_smtplibs_stuffing_of_the_whole_message(
    lines: list[str], greeting: str, link: str, final_break: bool, quoted_printable: bool
) -> None:
    """The DATA bytes made from chunks stuffed once are smtplib's stuffing of the whole message, byte for byte.

    Lines of the body and personal values start with dots, placeholders start and end lines and
    sit side by side, and long values are cut so that a soft-broken line starts with a dot.
    """
    # A link at the start of a line, in a quoted-printable part or not.
    lines += ["%%U%%", "ü" if quoted_printable else "u"]
    text = "\n".join(lines) + ("\n" if final_break else "")
    recipient = Recipient("leser@example.org", "<m.1@example.org>", "Anna", {"%%G%%": greeting, "%%U%%": link},
                          {"List-Unsubscribe": f"<{link}>"})
    factory = MessageFactory(SENDER, Batch("k", MessageBody("Betreff", text, text), (recipient,), HEADERS),
                             SMTP_POLICY)
    chunks, data_form = factory.message_chunks(recipient, NOW, data_form=True)
    assert data_form is not None
    assert _smtplib_data(b"".join(chunks)) == data_form()


def test_a_personal_value_starting_a_line_with_a_dot_is_stuffed() -> None:
    """A value starting a line with a dot, and a soft-broken value whose next line starts with one, are doubled."""
    link = "https://example.org/unsubscribe/" + "a" * 42 + "." * 30
    body = MessageBody("Betreff", "<p>\n%%G%%</p>\n.Punkt ü\n%%U%%\n", "%%G%%\n%%U%%\n")
    recipient = Recipient("leser@example.org", "<m.1@example.org>", None, {"%%G%%": ".Anna", "%%U%%": link})
    factory = MessageFactory(SENDER, Batch("k", body, (recipient,), HEADERS), SMTP_POLICY)
    chunks, data_form = factory.message_chunks(recipient, NOW, data_form=True)
    data = b"".join(chunks)
    assert data_form is not None
    wire = data_form()
    assert (2, 2, 1) == (data.count(b"\r\n.Anna"), wire.count(b"\r\n..Anna"), wire.count(b"\r\n..Punkt"))
    assert b"=\r\n.." in data
    assert _smtplib_data(data) == wire


def test_the_data_form_is_made_only_for_crlf_messages() -> None:
    """Files (LF) have no DATA form; a message the factory does not splice is stuffed whole by the sender."""
    batch = Batch("k", MessageBody("S", HTML, TEXT), (_recipient(1, "Anna"),), HEADERS)
    in_file = MessageFactory(SENDER, batch, MAIL_POLICY).message_chunks(batch.recipients[0], NOW, data_form=True)
    assert in_file[1] is None
    stranger = Recipient("x@example.org", "<m.9@example.org>", None, {"%%G%%": "Hallo\n"})
    assert MessageFactory(SENDER, batch, SMTP_POLICY).message_chunks(stranger, NOW, data_form=True)[1] is None


@settings(max_examples=150, deadline=None)
@given(
    lines=st.lists(st.text(_TEXT_CHARS, max_size=120) | _DOTTED, max_size=8),
    greetings=st.lists(st.text(st.sampled_from(".aü= "), min_size=1, max_size=90), min_size=1, max_size=4),
    names=st.lists(st.none() | st.sampled_from(["Anna", "Jürgen Müller", "Dr. Anna", ""]), min_size=1, max_size=4),
)
def test_a_body_quoted_printable_in_both_parts_is_spliced_to_the_line_by_line_bytes(
    lines: list[str], greetings: list[str], names: list[str | None]
) -> None:
    """Spliced in one pass over both parts, each reader's message (repeated names and values too) is the same bytes.

    The reference is the factory's line-by-line path, the one a value holding a line break takes.
    """
    text = "ü\n%%G%%\n" + "\n".join(lines) + "\n%%U%%\n"
    readers = [
        Recipient(
            f"leser{number}@example.org",
            f"<m.{number}@example.org>",
            names[number % len(names)],
            {"%%G%%": greetings[number % len(greetings)], "%%U%%": f"https://example.org/u?t={number}" * 3},
            {"List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
        )
        for number in range(6)
    ]
    batch = Batch("k", MessageBody("Betreff", text, text), tuple(readers), HEADERS)
    for policy in (MAIL_POLICY, SMTP_POLICY):
        factory = MessageFactory(SENDER, batch, policy)
        for reader in readers:
            chunks, data_form = factory.message_chunks(reader, NOW, data_form=True)
            data = b"".join(chunks)
            assert factory._message_bytes(reader, NOW) == data
            if data_form is not None:
                assert _smtplib_data(data) == data_form()
