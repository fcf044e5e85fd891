"""Inbound mails become events for the subscriber and edition of a signed id, and for nobody else."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from syndication.inbound.parse import parse
from syndication.mail.events import BounceType, EventKind
from syndication.mail.verp import UNSUBSCRIBE_SALT, VerpCodec, mailto_unsubscribe

from . import mails

SECRET = "test-secret-key-0123456789abcdef"
NOW = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)
BOUNCES = VerpCodec(SECRET, "bounces@pfalz-rundschau.example")
UNSUBSCRIBES = VerpCodec(SECRET, "unsubscribe@pfalz-rundschau.example", salt=UNSUBSCRIBE_SALT)
VERP = BOUNCES.address(12, "daily-2026-11-24") or ""


def _one(raw: bytes):  # type: ignore[no-untyped-def]
    parsed = parse(raw, BOUNCES, UNSUBSCRIBES, NOW)
    assert 1 == len(parsed.events), parsed
    return parsed.events[0]


@pytest.mark.parametrize(("status", "expected"), [("5.1.1", BounceType.HARD), ("4.2.2", BounceType.SOFT)])
def test_dsn_maps_to_hard_or_soft_by_status(status: str, expected: BounceType) -> None:
    """An RFC 3464 DSN to our VERP address is a bounce of that subscriber and edition; 5.x.x hard, 4.x.x soft."""
    event = _one(mails.dsn(VERP, "leser12@example.org", status))
    assert (EventKind.BOUNCE, expected, status, 12, "daily-2026-11-24") == (
        event.kind, event.bounce_type, event.smtp_status, event.subscriber_id, event.edition_id)
    assert "leser12@example.org" not in (event.reason or "") and "x@example.org" not in (event.reason or "")


def test_delayed_dsn_is_a_deferral_not_a_bounce() -> None:
    """Action: delayed is a deferral: nothing is suppressed for it."""
    event = _one(mails.dsn(VERP, "leser12@example.org", "4.4.1", action="delayed"))
    assert (EventKind.DEFERRED, None) == (event.kind, event.bounce_type)


def test_non_standard_bounce_is_recognised_by_flufl_bounce() -> None:
    """A qmail plain-text bounce (no DSN) is a hard bounce by its #5.1.1."""
    event = _one(mails.qmail_bounce(VERP, "leser12@example.org"))
    assert (EventKind.BOUNCE, BounceType.HARD, 12) == (event.kind, event.bounce_type, event.subscriber_id)


def test_abuse_report_is_a_complaint_of_the_quoted_messages_subscriber() -> None:
    """An ARF report maps through the quoted message's Return-Path (our VERP address)."""
    event = _one(mails.arf(VERP, "leser12@example.org"))
    assert (EventKind.COMPLAINT, 12, "daily-2026-11-24") == (event.kind, event.subscriber_id, event.edition_id)


def test_mailto_unsubscribe_reads_the_signed_subject_whoever_sends_it() -> None:
    """The List-Unsubscribe mailto subject names the subscriber; the From address does not matter."""
    uri = mailto_unsubscribe(SECRET, "unsubscribe@pfalz-rundschau.example", 31, "daily-2026-11-24")
    header = f"<https://x.example/unsubscribe?token=t>, <{uri}>"
    event = _one(mails.mailto_unsubscribe(header, "alias@forwarder.example"))
    assert (EventKind.UNSUBSCRIBE, 31, "daily-2026-11-24") == (event.kind, event.subscriber_id, event.edition_id)


def test_forged_and_foreign_mails_give_no_event() -> None:
    """A bounce to a VERP address with a wrong signature is unmatched; an unsigned unsubscribe or a reply is ignored."""
    forged = VERP.replace("+c.", "+d.")
    assert forged != VERP
    outcomes = [
        parse(mails.dsn(forged, "leser13@example.org", "5.1.1"), BOUNCES, UNSUBSCRIBES, NOW),
        parse(mails.plain("leser@example.org", "unsubscribe@pfalz-rundschau.example", "unsubscribe"),
              BOUNCES, UNSUBSCRIBES, NOW),
        parse(mails.plain("leser@example.org", "leserbriefe@pfalz-rundschau.example", "Re: Der Morgen"),
              BOUNCES, UNSUBSCRIBES, NOW),
    ]
    assert [((), "unmatched"), ((), "ignored"), ((), "ignored")] == [(p.events, p.outcome) for p in outcomes]


def test_the_same_mail_has_the_same_event_id() -> None:
    """Dedup key: the bounce mail's Message-ID, so a mail read twice is one event."""
    raw = mails.dsn(VERP, "leser12@example.org", "5.1.1")
    assert _one(raw).provider_event_id == _one(raw).provider_event_id
    assert _one(raw).provider_event_id != _one(mails.dsn(VERP, "leser12@example.org", "5.1.1")).provider_event_id


@pytest.mark.parametrize(
    "edition_id", ["daily-2026-11-24", "eilmeldung_westpfalz-2026-11-24-s101500", "a" * 40 + "-2026-11-24-s101500"]
)
def test_mailto_unsubscribe_carries_any_edition_id(edition_id: str) -> None:
    """Every edition id (a newsletter's "_", a special edition's 60 characters) travels in the mailto token, so
    that the unsubscribe ends that edition's newsletter, not every one."""
    uri = mailto_unsubscribe(SECRET, "unsubscribe@pfalz-rundschau.example", 7, edition_id)
    event = _one(mails.mailto_unsubscribe(f"<{uri}>", "leser7@example.org"))
    assert (7, edition_id) == (event.subscriber_id, event.edition_id)


def test_a_forged_unsubscribe_token_is_unmatched_and_says_why() -> None:
    """A token with a wrong signature gives no event: unmatched, with the reason for the log; a request without
    any token is ignored, also with its reason."""
    uri = mailto_unsubscribe(SECRET, "unsubscribe@pfalz-rundschau.example", 7, "fck-2026-11-24")
    forged = uri[:-1] + ("b" if uri[-1] == "a" else "a")
    parsed = [
        parse(mails.mailto_unsubscribe(f"<{forged}>", "x@example.org"), BOUNCES, UNSUBSCRIBES, NOW),
        parse(mails.plain("x@example.org", "unsubscribe@pfalz-rundschau.example", "abmelden"), BOUNCES,
              UNSUBSCRIBES, NOW),
    ]
    assert [((), "unmatched", True), ((), "ignored", True)] == [
        (p.events, p.outcome, p.mail_id.startswith("mid:<") and "token" in (p.problem or "")) for p in parsed
    ]
