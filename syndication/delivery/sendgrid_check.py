"""``syndication delivery check``: does the configured SendGrid account do what sending needs?

The key must work and carry ``mail.send``; the rest is reported as it is found, each line a
:class:`Finding`: the sender identity (is its domain authenticated at SendGrid?), the Event
Webhook (enabled, posting here, the events the bounce policy needs, signed with the key this
site verifies), and which suppression lists ``delivery sync-suppressions`` may read. A scope the
key lacks makes its part "not checked", never a failure of the whole check.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from syndication.delivery.sendgrid_account import (
    DOMAINS_SCOPE,
    SEND_SCOPE,
    SUPPRESSION_SCOPES,
    WEBHOOK_SCOPE,
    AccessForbidden,
    SendGridAccount,
)
from syndication.errors import ConfigError
from syndication.webhook_keys import load_public_key

Level = Literal["ok", "info", "warning", "error"]

WEBHOOK_PATH: Final = "/webhooks/sendgrid"
# The Event Webhook events this project acts on: the bounce policy, and the in-doubt check (processed).
NEEDED_EVENTS: Final = ("processed", "delivered", "bounce", "dropped", "spam_report", "unsubscribe",
                        "group_unsubscribe")


@dataclass(frozen=True)
class Finding:
    """One line of the check: ``level`` ok, info, warning or error; ``topic`` what it is about."""

    level: Level
    topic: str
    text: str


@dataclass(frozen=True)
class Expectations:
    """What this site is configured for (from the settings)."""

    backend: str
    from_email: str
    from_name: str
    webhook_url: str
    webhook_public_key: str | None


def check_account(account: SendGridAccount, expected: Expectations) -> list[Finding]:
    """Every finding about the account; a refused key raises ConfigError, an unreachable API DeliveryError."""
    scopes = account.scopes()
    findings = [Finding("ok", "api key", f"accepted by {account.host} ({len(scopes)} scopes)")]
    findings.append(_sending(scopes, expected))
    findings.append(_sender(account, scopes, expected))
    findings.extend(_webhook(account, scopes, expected))
    findings.append(_suppression_lists(scopes))
    return findings


def raise_for_errors(findings: list[Finding]) -> None:
    """ConfigError naming the topics in error, if any (the command's exit code 2)."""
    errors = [finding.topic for finding in findings if finding.level == "error"]
    if errors:
        raise ConfigError(
            "the SendGrid account is not ready: %(problems)s (see above)", problems=", ".join(dict.fromkeys(errors))
        )


def _sending(scopes: frozenset[str], expected: Expectations) -> Finding:
    if SEND_SCOPE not in scopes:
        return Finding("error", "sending", f"the key lacks the {SEND_SCOPE} scope: SendGrid refuses every "
                       "edition (give the key Mail Send access)")
    note = "" if expected.backend == "sendgrid" else (
        f"; note: [delivery] backend is {expected.backend!r}, editions do not go through SendGrid")
    return Finding("ok", "sending", f"{SEND_SCOPE} granted{note}")


def _sender(account: SendGridAccount, scopes: frozenset[str], expected: Expectations) -> Finding:
    sender = f"{expected.from_name} <{expected.from_email}>"
    domain = expected.from_email.rpartition("@")[2].lower()
    if DOMAINS_SCOPE not in scopes:
        return Finding("info", "sender", f"{sender}; domain authentication not checked (the key lacks "
                       f"{DOMAINS_SCOPE})")
    try:
        domains = account.authenticated_domains()
    except AccessForbidden:
        return Finding("info", "sender", f"{sender}; domain authentication not checked (access forbidden)")
    covering = [
        entry for entry in domains
        if isinstance(entry.get("domain"), str)
        and (domain == entry["domain"].lower() or domain.endswith("." + entry["domain"].lower()))
    ]
    if any(entry.get("valid") is True for entry in covering):
        return Finding("ok", "sender", f"{sender}; domain {domain} is authenticated at SendGrid (DKIM, SPF)")
    if covering:
        return Finding("warning", "sender", f"{sender}; domain {domain} is set up at SendGrid but its DNS "
                       "records do not validate: mail goes out without the domain's DKIM signature")
    return Finding("warning", "sender", f"{sender}; no authenticated domain covers {domain}: SendGrid sends "
                   "only from a verified Single Sender then, and without the domain's DKIM signature")


def _webhook(account: SendGridAccount, scopes: frozenset[str], expected: Expectations) -> list[Finding]:
    if WEBHOOK_SCOPE not in scopes:
        return [Finding("warning", "event webhook", f"not checked: the key lacks {WEBHOOK_SCOPE}")]
    try:
        settings = account.event_webhook()
        signing_key = account.signed_webhook_key()
    except AccessForbidden:
        return [Finding("warning", "event webhook", "not checked: access forbidden")]
    findings = []
    url = str(settings.get("url") or "")
    if settings.get("enabled") is not True:
        findings.append(Finding("warning", "event webhook", "disabled: bounces, complaints and unsubscribes "
                                f"reach the suppression list only by `delivery sync-suppressions` (enable it "
                                f"for {expected.webhook_url})"))
    elif url.rstrip("/") != expected.webhook_url.rstrip("/"):
        findings.append(Finding("warning", "event webhook", f"enabled, but posts to {url or '(no URL)'}; this "
                                f"site receives events at {expected.webhook_url}"))
    else:
        findings.append(Finding("ok", "event webhook", f"enabled, posting to {url}"))
    missing = [name for name in NEEDED_EVENTS if settings.get(name) is not True]
    if settings.get("enabled") is True and missing:
        findings.append(Finding("warning", "event webhook", f"does not send {', '.join(missing)} events "
                                "(the bounce policy and the in-doubt check need them)"))
    findings.append(_signing(signing_key, expected, ours=settings.get("enabled") is True and url.rstrip("/")
                             == expected.webhook_url.rstrip("/")))
    return findings


def _signing(signing_key: str, expected: Expectations, *, ours: bool) -> Finding:
    if not signing_key:
        return Finding("error" if ours else "warning", "webhook signing",
                       f"off: {WEBHOOK_PATH} refuses unsigned posts, so every event would be lost (enable "
                       "Signed Event Webhook Requests)")
    if not expected.webhook_public_key:
        return Finding("error" if ours else "warning", "webhook signing",
                       "on, but this site has no key to verify with: set [subscribers] "
                       f'sendgrid_webhook_public_key = "{signing_key}"')
    if not _same_key(signing_key, expected.webhook_public_key):
        return Finding("error" if ours else "warning", "webhook signing",
                       "on, but SendGrid signs with another key than [subscribers] sendgrid_webhook_public_key: "
                       f'every event would be refused (set it to "{signing_key}")')
    return Finding("ok", "webhook signing", "on; the key matches [subscribers] sendgrid_webhook_public_key")


def _same_key(theirs: str, ours: str) -> bool:
    try:
        return load_public_key(theirs).public_numbers() == load_public_key(ours).public_numbers()
    except ConfigError:
        return False


def _suppression_lists(scopes: frozenset[str]) -> Finding:
    readable = [name for name, scope in SUPPRESSION_SCOPES.items() if scope in scopes]
    unreadable = [f"{name} (needs {scope})" for name, scope in SUPPRESSION_SCOPES.items() if scope not in scopes]
    if not unreadable:
        return Finding("ok", "suppression lists", f"sync-suppressions can read {', '.join(readable)}")
    can = f"can read {', '.join(readable)}; " if readable else ""
    return Finding("info", "suppression lists", f"sync-suppressions {can}cannot read {', '.join(unreadable)}")
