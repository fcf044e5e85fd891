"""The SMTP backend: one personalised MIME message per recipient over one reused connection.

Each recipient gets a message built for them alone (``MessageFactory``), sent to exactly
their address (the envelope has one RCPT TO), so nobody sees anybody else's address or
links. The connection is opened once and reused for every message of every batch; when
the server drops it, the messenger reconnects once and carries on.

With ``[delivery.smtp] bounce_address`` each message has its own envelope sender (VERP, see
:mod:`syndication.mail.verp`), so that ``syndication inbound`` maps a bounce back to its
edition and subscriber; with ``[delivery.dkim] selector`` each message is DKIM-signed.
"""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
from collections.abc import Callable, Iterator, Sequence
from email.errors import MessageError

from syndication.clock import Clock
from syndication.config import DkimConfig, Secrets, SmtpConfig
from syndication.delivery.dkim import DkimSigner
from syndication.mail.base import (
    Batch,
    DeliveryFailed,
    Receipt,
    Recipient,
    Refusal,
    Sender,
    SendObserver,
    clean_batch_headers,
    clean_recipient,
    refuse_one,
)
from syndication.mail.mime import SMTP_POLICY
from syndication.mail.verp import VerpCodec
from syndication.mail.wire import MessageFactory
from syndication.redact import redact

log = logging.getLogger(__name__)


class _DataRefused(smtplib.SMTPDataError):
    """The server refused the message after DATA: with one recipient per envelope, that recipient's."""


def dot_stuffed(data: bytes) -> bytes:
    """``data`` as DATA carries it (RFC 5321 4.5.2): a dot doubled at the start of every line, then CRLF.CRLF.

    Byte for byte what :meth:`smtplib.SMTP.data` sends. Written here because smtplib stuffs with a
    multi-line regex, 0.8 ms for a 90 KB digest (more than building the message); ``bytes.replace``
    over ``\n.`` finds the same line starts (the regex's ``^`` follows ``\n`` only) in a tenth of that.
    """
    stuffed = data.replace(b"\n.", b"\n..")
    if stuffed.startswith(b"."):
        stuffed = b"." + stuffed
    if not stuffed.endswith(b"\r\n"):
        stuffed += b"\r\n"
    return stuffed + b".\r\n"


def send_data(connection: smtplib.SMTP, data: bytes) -> tuple[int, bytes]:
    """The DATA command with :func:`dot_stuffed` bytes: smtplib's own steps, as ``SMTP.data`` takes them."""
    return send_stuffed(connection, dot_stuffed(data))


def send_stuffed(connection: smtplib.SMTP, stuffed: bytes) -> tuple[int, bytes]:
    """The DATA command with bytes already as DATA carries them (dot-stuffed, ended by CRLF.CRLF)."""
    connection.putcmd("data")
    code, reply = connection.getreply()
    if code != 354:
        raise smtplib.SMTPDataError(code, reply)
    connection.send(stuffed)
    return connection.getreply()


class Prepared:
    """One message ready for the server: its recipient, envelope sender (MAIL FROM) and bytes.

    ``data`` is the message (RFC 5322, CRLF) and ``wire`` what DATA carries (dot-stuffed, ended by
    CRLF.CRLF). Each is joined from the spliced chunks when first asked for: a send needs only
    ``wire``, made from chunks stuffed once per batch, so a 90 KB message is never searched for
    dots (``bytes.replace`` over it costs more than making it).
    """

    __slots__ = ("_chunks", "_data", "_data_form", "_wire", "envelope", "recipient")

    def __init__(
        self, recipient: Recipient, envelope: str, chunks: list[bytes], data_form: Callable[[], bytes] | None = None
    ) -> None:
        self.recipient = recipient
        self.envelope = envelope
        self._chunks = chunks
        self._data_form = data_form
        self._data: bytes | None = None
        self._wire: bytes | None = None

    @property
    def data(self) -> bytes:
        if self._data is None:
            self._data = b"".join(self._chunks)
        return self._data

    @property
    def wire(self) -> bytes:
        if self._wire is None:
            self._wire = dot_stuffed(self.data) if self._data_form is None else self._data_form()
        return self._wire


class SmtpMessenger:
    """Sends each message of a batch over SMTP (STARTTLS, implicit TLS or plain)."""

    name = "smtp"
    receipts_per_message = True

    def __init__(
        self,
        config: SmtpConfig,
        sender: Sender,
        clock: Clock,
        *,
        secrets: Secrets | None = None,
        ssl_context: ssl.SSLContext | None = None,
        connect: Callable[[], smtplib.SMTP] | None = None,
        dkim: DkimConfig | None = None,
    ) -> None:
        self.config = config
        self.sender = sender
        self.clock = clock
        secrets = secrets or Secrets()
        self._username = secrets.smtp_username or config.username
        self._password = secrets.smtp_password
        self._ssl_context = ssl_context
        self._connect_override = connect
        self._connection: smtplib.SMTP | None = None
        self._verp = VerpCodec(secrets.require_secret_key(), config.bounce_address) if config.bounce_address else None
        from_domain = sender.email.rpartition("@")[2]
        self._dkim = DkimSigner(dkim, secrets.dkim_private_key, from_domain) if dkim and dkim.selector else None

    def envelope_sender(self, recipient: Recipient) -> str:
        """MAIL FROM for ``recipient``: its VERP address when bounces are configured, else the sender."""
        if self._verp is None:
            return self.sender.email
        subscriber = recipient.custom_args.get("subscriber_id", "")
        if subscriber.isascii() and subscriber.isdigit():
            address = self._verp.address(int(subscriber), recipient.custom_args.get("edition_id"))
            if address is not None:
                return address
        return f"{self._verp.local}@{self._verp.domain}"

    def _context(self) -> ssl.SSLContext:
        return self._ssl_context or ssl.create_default_context()

    def _open(self) -> smtplib.SMTP:
        if self._connect_override is not None:
            return self._connect_override()
        config = self.config
        connection: smtplib.SMTP
        if config.security == "tls":
            connection = smtplib.SMTP_SSL(config.host, config.port, timeout=config.timeout, context=self._context())
        else:
            connection = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
        try:
            connection.ehlo()
            if config.security == "starttls":
                connection.starttls(context=self._context())
                connection.ehlo()
            if self._username and self._password:
                connection.login(self._username, self._password)
        except BaseException:
            connection.close()
            raise
        return connection

    def _connection_now(self) -> smtplib.SMTP:
        if self._connection is None:
            self._connection = self._open()
        return self._connection

    def _drop(self) -> None:
        if self._connection is not None:
            try:
                self._connection.close()
            finally:
                self._connection = None

    def _transmit(self, recipient: Recipient, envelope: str, stuffed: bytes) -> str:
        connection = self._connection_now()
        code, reply = connection.mail(envelope)
        if code != 250:
            connection.rset()
            raise smtplib.SMTPSenderRefused(code, reply, envelope)
        code, reply = connection.rcpt(recipient.email)
        if code not in (250, 251):
            connection.rset()
            raise smtplib.SMTPRecipientsRefused({recipient.email: (code, reply)})
        code, reply = send_stuffed(connection, stuffed)
        if code != 250:
            raise _DataRefused(code, reply)
        return reply.decode("utf-8", "replace")

    def _send_one(self, message: Prepared) -> str:
        try:
            return self._transmit(message.recipient, message.envelope, message.wire)
        except (smtplib.SMTPServerDisconnected, ConnectionError):
            # A server closes idle connections; one fresh connection is worth a try.
            self._drop()
            log.info("SMTP connection to %s:%s dropped; reconnecting", self.config.host, self.config.port)
            return self._transmit(message.recipient, message.envelope, message.wire)

    def _refusal(self, code: int, reply: bytes | str, stage: str, recipient: Recipient) -> Refusal:
        text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
        # At RCPT a 5xx refuses the mailbox. At DATA (one recipient per envelope) a 5xx may also
        # refuse the content (size, policy): only a mailbox status (5.1.x, 5.2.1, 5.2.2) bounces then.
        mailbox = stage == "RCPT" or bool(re.match(r"5\.(1\.\d+|2\.[12])\b", text))
        permanent = code >= 500
        return Refusal(
            recipient.email,
            redact(f"SMTP {self.config.host}: refused at {stage}: {code} {text}"),
            permanent=permanent,
            bounce=permanent and mailbox,
        )

    def prepared(self, batch: Batch) -> Iterator[Prepared | Refusal]:
        """Each recipient's message as ``send`` hands it to the server, or why it cannot be made.

        The bytes have CRLF line ends (smtplib passes bytes through unchanged) and are DKIM-signed
        when configured; the envelope sender is the recipient's VERP address when bounces are.
        """
        now = self.clock.now()
        batch = clean_batch_headers(batch)
        messages = MessageFactory(self.sender, batch, SMTP_POLICY)
        dkim = self._dkim
        envelope_sender = self.envelope_sender
        for recipient in batch.recipients:
            try:
                chunks, data_form = messages.message_chunks(clean_recipient(recipient), now, data_form=dkim is None)
                if dkim is not None:
                    chunks = [dkim.sign(b"".join(chunks))]
            except (ValueError, TypeError, UnicodeError, MessageError) as exc:
                yield Refusal(recipient.email, f"the message could not be built ({type(exc).__name__})", permanent=True)
                continue
            yield Prepared(recipient, envelope_sender(recipient), chunks, data_form)

    def send(self, batch: Batch, observer: SendObserver | None = None) -> Sequence[Receipt]:
        receipts: list[Receipt] = []
        handed = False
        for number, message in enumerate(self.prepared(batch)):
            if isinstance(message, Refusal):
                refuse_one(observer, message, f"batch {batch.key}: recipient {number + 1}", accepted=receipts)
                continue
            recipient = message.recipient
            if observer is not None and not handed:
                observer.handed()
                handed = True
            try:
                reply = self._send_one(message)
            except smtplib.SMTPAuthenticationError as exc:
                self._drop()
                raise DeliveryFailed(
                    f"SMTP {self.config.host}: login refused ({exc.smtp_code})", retryable=False, accepted=receipts
                ) from exc
            except (smtplib.SMTPRecipientsRefused, _DataRefused) as exc:
                if isinstance(exc, _DataRefused):
                    refusal = self._refusal(exc.smtp_code, exc.smtp_error, "DATA", recipient)
                else:
                    code, reply_bytes = next(iter(exc.recipients.values()))
                    refusal = self._refusal(code, reply_bytes, "RCPT", recipient)
                refuse_one(observer, refusal, f"batch {batch.key}: recipient {number + 1}", accepted=receipts)
                continue
            except smtplib.SMTPResponseException as exc:
                raw = exc.smtp_error
                text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
                raise DeliveryFailed(
                    f"SMTP {self.config.host}: {exc.smtp_code} {text}",
                    retryable=400 <= exc.smtp_code < 500,
                    accepted=receipts,
                ) from exc
            except (smtplib.SMTPException, OSError) as exc:
                self._drop()
                raise DeliveryFailed(
                    f"SMTP {self.config.host}:{self.config.port}: {type(exc).__name__}: {exc}",
                    retryable=True,
                    accepted=receipts,
                ) from exc
            receipt = Receipt(recipient.email, reply)
            receipts.append(receipt)
            if observer is not None:
                observer.accepted(receipt)
        return receipts

    def close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.quit()
            except (smtplib.SMTPException, OSError):
                pass
            finally:
                self._connection = None
