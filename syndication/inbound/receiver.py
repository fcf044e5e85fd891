"""``syndication inbound --listen``: an LMTP (or SMTP) receiver for mail servers that forward bounces.

Point the mail server's transport for the bounce and unsubscribe addresses at it (Postfix:
``transport_maps`` with ``lmtp:inet:127.0.0.1:2424``). A mail is acknowledged only after its
event is stored; if that fails the server is told to try again later (4xx), so nothing is lost.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP

from syndication.inbound.service import InboundProcessor

log = logging.getLogger(__name__)

# A bounce quoting a whole digest is ~150 KB; nothing legitimate here comes near this.
MAX_MESSAGE_BYTES = 10_000_000


class InboundHandler:
    def __init__(self, processor: InboundProcessor) -> None:
        self.processor = processor

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        data = raw if isinstance(raw, bytes) else str(raw).encode("utf-8", "surrogateescape")
        loop = asyncio.get_running_loop()
        try:
            # The database work is blocking: off the event loop, so other connections go on.
            report = await loop.run_in_executor(None, self.processor.process, data, list(envelope.rcpt_tos))
        except Exception:
            log.exception("inbound: a mail could not be processed; the sender is asked to retry")
            return "451 4.3.0 Temporary failure, please try again later"
        log.info("inbound: %s", report.summary())
        return "250 2.0.0 OK"


class InboundController(Controller):
    """aiosmtpd's threaded controller speaking LMTP (default) or SMTP."""

    def __init__(self, processor: InboundProcessor, host: str, port: int, *, protocol: str = "lmtp") -> None:
        super().__init__(InboundHandler(processor), hostname=host, port=port, data_size_limit=MAX_MESSAGE_BYTES)
        self.protocol = protocol

    def factory(self) -> SMTP:
        if self.protocol == "lmtp":
            return LMTP(self.handler, **self.SMTP_kwargs)
        return SMTP(self.handler, **self.SMTP_kwargs)


def serve(processor: InboundProcessor, host: str, port: int, stop: threading.Event, *, protocol: str = "lmtp") -> None:
    """Receive until ``stop`` is set (SIGTERM/SIGINT in the CLI)."""
    controller = InboundController(processor, host, port, protocol=protocol)
    controller.start()
    log.info("inbound: %s receiver listening on %s:%s", protocol.upper(), host, port)
    try:
        stop.wait()
    finally:
        controller.stop()
        log.info("inbound: receiver stopped")
