"""The SMTP backend: one personalised MIME message per recipient over one reused connection.

Each recipient gets a message built for them alone (``build_message``), sent to exactly
their address (the envelope has one RCPT TO), so nobody sees anybody else's address or
links. The connection is opened once and reused for every message of every batch; when
the server drops it, the messenger reconnects once and carries on.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Callable, Sequence

from syndication.clock import Clock
from syndication.config import Secrets, SmtpConfig
from syndication.delivery.base import Batch, DeliveryFailed, Receipt, Recipient, Sender
from syndication.delivery.mime import SMTP_POLICY, build_message

log = logging.getLogger(__name__)


class SmtpMessenger:
    """Sends each message of a batch over SMTP (STARTTLS, implicit TLS or plain)."""

    name = "smtp"

    def __init__(
        self,
        config: SmtpConfig,
        sender: Sender,
        clock: Clock,
        *,
        secrets: Secrets | None = None,
        ssl_context: ssl.SSLContext | None = None,
        connect: Callable[[], smtplib.SMTP] | None = None,
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

    def _transmit(self, recipient: Recipient, data: bytes) -> str:
        connection = self._connection_now()
        code, reply = connection.mail(self.sender.email)
        if code != 250:
            connection.rset()
            raise smtplib.SMTPSenderRefused(code, reply, self.sender.email)
        code, reply = connection.rcpt(recipient.email)
        if code not in (250, 251):
            connection.rset()
            raise smtplib.SMTPRecipientsRefused({recipient.email: (code, reply)})
        code, reply = connection.data(data)
        if code != 250:
            raise smtplib.SMTPDataError(code, reply)
        return reply.decode("utf-8", "replace")

    def _send_one(self, recipient: Recipient, data: bytes) -> str:
        try:
            return self._transmit(recipient, data)
        except (smtplib.SMTPServerDisconnected, ConnectionError):
            # A server closes idle connections; one fresh connection is worth a try.
            self._drop()
            log.info("SMTP connection to %s:%s dropped; reconnecting", self.config.host, self.config.port)
            return self._transmit(recipient, data)

    def send(self, batch: Batch) -> Sequence[Receipt]:
        now = self.clock.now()
        receipts: list[Receipt] = []
        for number, recipient in enumerate(batch.recipients):
            # CRLF line ends: smtplib passes bytes through unchanged.
            data = build_message(self.sender, batch, recipient, now).as_bytes(policy=SMTP_POLICY)
            try:
                reply = self._send_one(recipient, data)
            except smtplib.SMTPAuthenticationError as exc:
                self._drop()
                raise DeliveryFailed(
                    f"SMTP {self.config.host}: login refused ({exc.smtp_code})", retryable=False, accepted=receipts
                ) from exc
            except smtplib.SMTPRecipientsRefused as exc:
                code, reply_bytes = next(iter(exc.recipients.values()))
                raise DeliveryFailed(
                    f"SMTP {self.config.host}: recipient {number + 1} of batch {batch.key} refused: "
                    f"{code} {reply_bytes.decode('utf-8', 'replace')}",
                    retryable=400 <= code < 500,
                    accepted=receipts,
                ) from exc
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
            receipts.append(Receipt(recipient.email, reply))
        return receipts

    def close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.quit()
            except (smtplib.SMTPException, OSError):
                pass
            finally:
                self._connection = None
