"""The SMTP path end to end: aiosmtpd refuses one recipient, bounces and a mailto: unsubscribe land in a
real Dovecot, and `syndication inbound` applies each of them once, even when every mail is read twice."""

from __future__ import annotations

import email
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from email.policy import default
from pathlib import Path

import pytest
from click.testing import CliRunner
from imap_tools import MailBoxUnencrypted, MailMessageFlags
from machine import running_smtp

from subscribers.model import SubscriberStatus
from subscribers.subscriptions import SubscriptionStatus
from syndication.app import App
from syndication.app.editions import build_edition, send_edition
from syndication.cli import CliContext, cli
from syndication.clock import FixedClock
from syndication.config import Secrets, load_settings
from syndication.runtime import Runtime
from syndication.sources.collect import run_collect
from syndication.store.articles import ArticleStore
from tests.delivery.test_smtp import Collecting

from . import mails
from .dovecot import Dovecot, running_dovecot

CONFIG = Path(__file__).resolve().parents[2] / "config.toml"
NOW = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)
READERS = ["leser1@example.org", "leser2@example.org", "leser3@example.org", "leser4@example.org",
           "leser5@example.org", "refused1@example.org"]


@pytest.fixture
def dovecot() -> Iterator[Dovecot]:
    with running_dovecot() as server:
        yield server


@pytest.fixture
def smtp() -> Iterator[tuple[Collecting, int]]:
    handler = Collecting()
    with running_smtp(handler) as port:
        yield handler, port


def _env(tmp_path: Path, smtp_port: int, dovecot: Dovecot) -> dict[str, str]:
    return {
        "SYNDICATION_SECRET_KEY": "test-secret-key-0123456789abcdef",
        "SYNDICATION_SITE__VAR_DIR": str(tmp_path / "var"),
        "SYNDICATION_SITE__PUBLIC_DIR": str(tmp_path / "public"),
        "SYNDICATION_SITE__OUTBOX_DIR": str(tmp_path / "outbox"),
        "SYNDICATION_DELIVERY__BACKEND": "smtp",
        "SYNDICATION_DELIVERY__SMTP__HOST": "127.0.0.1",
        "SYNDICATION_DELIVERY__SMTP__PORT": str(smtp_port),
        "SYNDICATION_DELIVERY__SMTP__SECURITY": "none",
        "SYNDICATION_DELIVERY__SMTP__BOUNCE_ADDRESS": "bounces@pfalz-rundschau.example",
        "SYNDICATION_INBOUND__IMAP_URL": dovecot.url,
        "SYNDICATION_IMAP_PASSWORD": dovecot.password,
    }


def _counts(summary: str) -> list[int]:
    return [int(found) for found in re.findall(r"\d+", summary)]


def _statuses(runtime: Runtime) -> dict[str, SubscriberStatus]:
    store = App(runtime).subscriber_store()
    found = {address: store.get_by_email(address) for address in READERS}
    return {address: subscriber.status for address, subscriber in found.items() if subscriber is not None}


def test_bounces_and_mailto_unsubscribes_through_dovecot_are_applied_once(
    tmp_path: Path, smtp: tuple[Collecting, int], dovecot: Dovecot, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Hard DSN and qmail bounce suppress, a soft DSN does not (yet), the mailto ends the newsletter of its mail
    (daily; the reader stays), a forged bounce and a reader's reply do nothing; a second read of every mail
    (flags reset) changes nothing."""
    handler, port = smtp
    env = _env(tmp_path, port, dovecot)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = load_settings(CONFIG, env=env)
    runtime = Runtime(settings=settings, secrets=Secrets.from_env(env), clock=FixedClock(NOW))
    run_collect(settings, ArticleStore(runtime.engine), runtime.clock)
    store = App(runtime).subscriber_store()
    for address in READERS:
        store.add(address, now=NOW, status=SubscriberStatus.ACTIVE)
    edition = build_edition(runtime, "daily")
    assert edition is not None
    report = send_edition(runtime, edition.id, "06:00", echo=lambda _line: None)
    assert (5, 1) == (report.sent, report.bounced)

    sent = {rcpts[0]: (mail_from, email.message_from_bytes(raw, policy=default))
            for mail_from, rcpts, raw in handler.envelopes}
    verp = {address: mail_from for address, (mail_from, _) in sent.items()}
    local, _, domain = verp["leser5@example.org"].partition("@")
    forged = f"{local[:-1]}{'b' if local[-1] == 'a' else 'a'}@{domain}"
    hard = mails.dsn(verp["leser1@example.org"], "leser1@example.org", "5.1.1")
    inbound = [
        hard,
        hard,  # the same bounce twice in the mailbox (a retried delivery)
        mails.dsn(verp["leser2@example.org"], "leser2@example.org", "4.2.2",
                  diagnostic="smtp; 452 4.2.2 Mailbox full"),
        mails.qmail_bounce(verp["leser3@example.org"], "leser3@example.org"),
        mails.mailto_unsubscribe(str(sent["leser4@example.org"][1]["List-Unsubscribe"]), "leser4@example.org"),
        mails.dsn(forged, "leser5@example.org", "5.1.1"),
        mails.plain("leser5@example.org", "unsubscribe@pfalz-rundschau.example", "Re: Der Morgen"),
    ]
    with MailBoxUnencrypted("127.0.0.1", dovecot.port, timeout=10).login(dovecot.user, dovecot.password) as box:
        for raw in inbound:
            box.append(raw, "INBOX")

    invoke = CliRunner().invoke
    first = invoke(cli, ["--config", str(CONFIG), "inbound"], obj=CliContext(clock=FixedClock(NOW)))
    assert 0 == first.exit_code, first.output
    # read, bounce, deferred, complaint, unsubscribe, unmatched, ignored, duplicates (in the CLI's words)
    assert [7, 3, 0, 0, 1, 1, 1, 1] == _counts(first.stdout)
    statuses = _statuses(runtime)
    counts = App(runtime).event_store().counts(edition.id)
    assert {
        "leser1@example.org": SubscriberStatus.BOUNCED,
        "leser2@example.org": SubscriberStatus.ACTIVE,
        "leser3@example.org": SubscriberStatus.BOUNCED,
        "leser4@example.org": SubscriberStatus.ACTIVE,
        "leser5@example.org": SubscriberStatus.ACTIVE,
        "refused1@example.org": SubscriberStatus.BOUNCED,
    } == statuses
    assert (1, 1) == (counts["bounced_soft"], counts["unsubscribes"])
    leser4 = App(runtime).subscriber_store().get_by_email("leser4@example.org")
    assert leser4 is not None
    assert {"daily": SubscriptionStatus.UNSUBSCRIBED} == App(runtime).subscriber_store().subscriptions(leser4.id)

    with MailBoxUnencrypted("127.0.0.1", dovecot.port, timeout=10).login(dovecot.user, dovecot.password) as box:
        box.flag([message.uid for message in box.fetch(mark_seen=False)], MailMessageFlags.SEEN, False)
    second = invoke(cli, ["--config", str(CONFIG), "inbound"], obj=CliContext(clock=FixedClock(NOW)))
    assert 0 == second.exit_code, second.output
    assert [7, 0, 0, 0, 0, 1, 1, 5] == _counts(second.stdout)
    assert statuses == _statuses(runtime)
    assert counts == App(runtime).event_store().counts(edition.id)
    third = invoke(cli, ["--config", str(CONFIG), "inbound"], obj=CliContext(clock=FixedClock(NOW)))
    assert 0 == _counts(third.stdout)[0]
    runtime.close()
