"""One personalised message as a MIME email: multipart/alternative, text/plain first.

Bodies are sent 7bit when they are plain ASCII with short lines and quoted-printable
otherwise, with encoded lines of at most 76 characters (RFC 2045 §6.7): never 8bit, so a
message needs no 8BITMIME from the server, and never the 998-character QP lines that
content filters score (SpamAssassin's MIME_QP_LONG_LINE).
"""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage, MIMEPart
from email.policy import SMTP, default
from email.utils import format_datetime

from syndication.mail.base import Batch, Recipient, Sender, personalise
from syndication.mail.wire import format_address

# Headers fold at RFC 5322's hard limit, not at 78: Python would otherwise RFC 2047-encode a
# long List-Unsubscribe URL, and RFC 2369/8058 readers need it as a plain <https://…>.
MAIL_POLICY = default.clone(max_line_length=998)
# The same for the wire: CRLF line ends.
SMTP_POLICY = SMTP.clone(max_line_length=998)
# RFC 2045 §6.7: an encoded quoted-printable line is at most 76 characters.
QP_LINE_LENGTH = 76
# RFC 5322 §2.1.1: no line of a message may be longer than 998 characters.
MAX_LINE_LENGTH = 998
# Python's content manager takes the QP line length from the part's policy.
_BODY_POLICY = default.clone(max_line_length=QP_LINE_LENGTH)


def transfer_encoding(content: str) -> str:
    """``7bit`` for ASCII text whose lines all fit, else ``quoted-printable``."""
    if content.isascii() and all(len(line) <= MAX_LINE_LENGTH for line in content.splitlines()):
        return "7bit"
    return "quoted-printable"


def encoded_body(content: str, charset: str = "utf-8") -> bytes:
    """``content`` exactly as its part carries it in a message (LF line ends).

    The size budget of a digest counts these bytes: Gmail clips on what is sent, and
    quoted-printable makes German HTML about 5 % larger than its decoded form.
    """
    payload = _part(content, "plain", charset).get_payload()
    return payload.encode("ascii")


def _part(content: str, subtype: str, charset: str = "utf-8") -> MIMEPart:
    part = MIMEPart(policy=_BODY_POLICY)
    part.set_content(content, subtype=subtype, charset=charset, cte=transfer_encoding(content))
    return part


def build_message(sender: Sender, batch: Batch, recipient: Recipient, now: datetime) -> EmailMessage:
    """The complete email for ``recipient`` as the local backends send and store it."""
    body = personalise(batch.body, recipient)
    message = EmailMessage(policy=MAIL_POLICY)
    message["From"] = format_address(sender.email, sender.name)
    message["To"] = format_address(recipient.email, recipient.name)
    if sender.reply_to:
        message["Reply-To"] = sender.reply_to
    message["Subject"] = body.subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = recipient.message_id
    for name, value in {**batch.headers, **recipient.headers}.items():
        message[name] = value
    message["MIME-Version"] = "1.0"
    message["Content-Type"] = "multipart/alternative"
    # text/plain first: clients show the last alternative they understand, i.e. the HTML.
    message.attach(_part(body.text, "plain"))
    message.attach(_part(body.html, "html"))
    return message
