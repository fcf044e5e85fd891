"""One personalised message as MIME: parts in order, headers as mail clients must read them."""

from __future__ import annotations

import email
from datetime import UTC, datetime
from email.policy import default

from syndication.mail.base import Batch, MessageBody, Recipient, Sender
from syndication.mail.mime import SMTP_POLICY, build_message, encoded_body

UNSUBSCRIBE = (
    "<https://www.pfalz-rundschau.example/unsubscribe?token=WzEsIjhiMjhkMWViMzRlNjBjODAiXQ.awX1fQ."
    "I7aaxPYZJ7QckRhwCsK9QpzySx4>, <mailto:unsubscribe@pfalz-rundschau.example?subject=unsubscribe>"
)


def message_bytes(*, smtp: bool) -> bytes:
    batch = Batch(
        "daily-2026-11-24/06:00/1",
        MessageBody("Der Morgen: Gespräche über Wohnraum", "<p>Hallo %%m:name%%</p>", "Hallo %%m:name%%"),
        (),
        {"List-Id": "Pfalz-Rundschau Newsletter <newsletter.pfalz-rundschau.example>"},
    )
    recipient = Recipient(
        "anna@example.org",
        "<daily-2026-11-24.1@pfalz-rundschau.example>",
        "Anna",
        substitutions={"%%m:name%%": "Anna"},
        headers={"List-Unsubscribe": UNSUBSCRIBE, "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
    )
    sender = Sender("newsletter@pfalz-rundschau.example", "Pfalz-Rundschau")
    message = build_message(sender, batch, recipient, datetime(2026, 11, 24, 5, 0, tzinfo=UTC))
    return message.as_bytes(policy=SMTP_POLICY) if smtp else message.as_bytes()


def test_long_list_unsubscribe_stays_plain_on_the_wire() -> None:
    """A long List-Unsubscribe is written as plain <https://…>, <mailto:…>, never RFC 2047-encoded."""
    for smtp in (False, True):
        raw = message_bytes(smtp=smtp)
        assert f"List-Unsubscribe: {UNSUBSCRIBE}".encode() in raw
        assert b"=?utf-8?q?=3Chttp" not in raw


def test_parts_are_text_then_html_with_substitutions() -> None:
    """multipart/alternative with text/plain first; the personal parts are filled in."""
    parsed = email.message_from_bytes(message_bytes(smtp=True), policy=default)
    parts = [(part.get_content_type(), part.get_content().strip()) for part in parsed.iter_parts()]
    assert [("text/plain", "Hallo Anna"), ("text/html", "<p>Hallo Anna</p>")] == parts
    assert "Der Morgen: Gespräche über Wohnraum" == parsed["Subject"]


def test_long_html_lines_are_quoted_printable_within_76_characters() -> None:
    """MJML's one-line HTML and umlauts go out quoted-printable, every encoded line at most 76 characters."""
    html = "<p>" + "Grüße aus der Pfalz " * 200 + "</p>"
    batch = Batch("k", MessageBody("Betreff", html, "Hallo Anna"), ())
    recipient = Recipient("anna@example.org", "<x.1@pfalz-rundschau.example>", "Anna")
    sender = Sender("newsletter@pfalz-rundschau.example", "Pfalz-Rundschau")
    message = build_message(sender, batch, recipient, datetime(2026, 11, 24, 5, 0, tzinfo=UTC))
    parsed = email.message_from_bytes(message.as_bytes(policy=SMTP_POLICY), policy=default)
    html_part, text_part = parsed.get_body(("html",)), parsed.get_body(("plain",))
    encodings = (html_part["Content-Transfer-Encoding"], text_part["Content-Transfer-Encoding"])
    assert ("quoted-printable", "7bit") == encodings
    assert 76 == max(len(line) for line in html_part.get_payload().splitlines())
    assert html == html_part.get_content().replace("\r\n", "\n").removesuffix("\n")
    assert len(encoded_body(html)) == len(html_part.get_payload().replace("\r\n", "\n").encode())
