"""One personalised message as a MIME email: multipart/alternative, text/plain first."""

from __future__ import annotations

from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP, default
from email.utils import format_datetime

from syndication.delivery.base import Batch, Recipient, Sender, personalise

# Headers fold at RFC 5322's hard limit, not at 78: Python would otherwise RFC 2047-encode a
# long List-Unsubscribe URL, and RFC 2369/8058 readers need it as a plain <https://…>.
MAIL_POLICY = default.clone(max_line_length=998)
# The same for the wire: CRLF line ends.
SMTP_POLICY = SMTP.clone(max_line_length=998)


def _address(email: str, name: str | None) -> str:
    local, _, domain = email.rpartition("@")
    return str(Address(display_name=name or "", username=local, domain=domain))


def build_message(sender: Sender, batch: Batch, recipient: Recipient, now: datetime) -> EmailMessage:
    """The complete email for ``recipient`` as the local backends send and store it."""
    body = personalise(batch.body, recipient)
    message = EmailMessage(policy=MAIL_POLICY)
    message["From"] = _address(sender.email, sender.name)
    message["To"] = _address(recipient.email, recipient.name)
    if sender.reply_to:
        message["Reply-To"] = sender.reply_to
    message["Subject"] = body.subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = recipient.message_id
    for name, value in {**batch.headers, **recipient.headers}.items():
        message[name] = value
    # text/plain first: clients show the last alternative they understand, i.e. the HTML.
    message.set_content(body.text, subtype="plain", charset="utf-8")
    message.add_alternative(body.html, subtype="html", charset="utf-8")
    return message
