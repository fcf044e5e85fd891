"""Polling the bounce mailbox over IMAP (imap-tools): unseen mails are processed, then flagged or moved."""

from __future__ import annotations

import contextlib
import logging
import ssl

from imap_tools import AND, BaseMailBox, MailBox, MailBoxStartTls, MailBoxUnencrypted, MailMessageFlags
from imap_tools.errors import MailboxLoginError

from syndication.config import InboundConfig
from syndication.errors import ConfigError, SourceUnavailable
from syndication.inbound.service import ImapTarget, InboundProcessor, InboundReport, imap_target

log = logging.getLogger(__name__)

_RECOGNISED = ("bounce", "deferred", "complaint", "unsubscribe", "duplicates")


def _connect(target: ImapTarget, timeout: float, ssl_context: ssl.SSLContext | None) -> BaseMailBox:
    if target.scheme == "imaps":
        return MailBox(target.host, target.port, timeout=timeout, ssl_context=ssl_context)
    if target.scheme == "imap+starttls":
        return MailBoxStartTls(target.host, target.port, timeout=timeout, ssl_context=ssl_context)
    return MailBoxUnencrypted(target.host, target.port, timeout=timeout)


def poll_mailbox(
    target: ImapTarget, password: str, processor: InboundProcessor, *, timeout: float = 30,
    processed_folder: str | None = None, ssl_context: ssl.SSLContext | None = None,
) -> InboundReport:
    """Process every unseen mail of the folder once; flag it seen (or move recognised ones)."""
    report = InboundReport()
    try:
        mailbox = _connect(target, timeout, ssl_context)
    except OSError as exc:
        raise SourceUnavailable(f"IMAP {target.host}:{target.port}", "cannot connect: %(exc)s", exc=exc) from None
    try:
        try:
            mailbox.login(target.username, password, initial_folder=target.folder)
        except MailboxLoginError:
            raise ConfigError(
                "IMAP %(host)s: login refused for the configured user (check SYNDICATION_IMAP_PASSWORD)",
                host=target.host,
            ) from None
        for message in mailbox.fetch(AND(seen=False), mark_seen=False, bulk=50):
            one = processor.process(message.obj.as_bytes())
            report.add(one)
            recognised = any(getattr(one, name) for name in _RECOGNISED)
            if processed_folder and recognised:
                mailbox.move(message.uid, processed_folder)
            else:
                mailbox.flag(message.uid, MailMessageFlags.SEEN, True)
    finally:
        # The connection may be gone already; nothing is lost by not saying goodbye.
        with contextlib.suppress(Exception):
            mailbox.logout()
    return report


def poll_imap(
    config: InboundConfig, username: str | None, password: str | None, processor: InboundProcessor, *,
    ssl_context: ssl.SSLContext | None = None,
) -> InboundReport:
    """``syndication inbound`` and the scheduler's inbound job: poll ``[inbound] imap_url`` once.

    ``username`` and ``password`` come from the environment (SYNDICATION_IMAP_USERNAME/_PASSWORD).
    """
    if not config.imap_url:
        raise ConfigError("inbound.imap_url is not set: nothing to poll (or use `syndication inbound --listen`)")
    if not password:
        raise ConfigError("SYNDICATION_IMAP_PASSWORD is not set: the bounce mailbox's password comes from the "
                          "environment")
    target = imap_target(config.imap_url, username)
    report = poll_mailbox(target, password, processor, timeout=config.timeout,
                          processed_folder=config.processed_folder, ssl_context=ssl_context)
    log.info("inbound: %s", report.summary())
    return report
