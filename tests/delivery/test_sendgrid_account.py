"""The SendGrid account calls through the official ``sendgrid`` client, against FakeSendGrid on loopback."""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import Engine, select

from subscribers.model import SubscriberStatus
from subscribers.store import SubscriberStore
from subscribers.tables import subscribers, suppressions
from syndication.clock import FixedClock
from syndication.delivery.sendgrid_account import AccessForbidden, SendGridAccount
from syndication.delivery.sendgrid_check import Expectations, check_account, raise_for_errors
from syndication.delivery.sendgrid_suppressions import sync_suppressions
from syndication.delivery.testing import FakeSendGrid
from syndication.delivery.testing_account import webhook_settings
from syndication.errors import ConfigError, DeliveryError

SECRET = "test-secret-key-0123456789abcdef"
NOW = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)
SITE_HOOK = "https://www.pfalz-rundschau.example/webhooks/sendgrid"


@pytest.fixture
def fake() -> Iterator[FakeSendGrid]:
    with FakeSendGrid() as server:
        yield server


def _account(fake: FakeSendGrid, **options: object) -> SendGridAccount:
    return SendGridAccount(fake.api_key, host=fake.url, timeout=2, clock=FixedClock(NOW), **options)  # type: ignore[arg-type]


def _public_key() -> str:
    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode("ascii")


def _expect(public_key: str | None = None, backend: str = "sendgrid") -> Expectations:
    return Expectations(backend=backend, from_email="newsletter@pfalz-rundschau.example",
                        from_name="Pfalz-Rundschau", webhook_url=SITE_HOOK, webhook_public_key=public_key)


def _ready(fake: FakeSendGrid) -> str:
    key = _public_key()
    fake.account.event_webhook = webhook_settings(SITE_HOOK)
    fake.account.signed_public_key = key
    fake.account.domains = [{"id": 1, "domain": "pfalz-rundschau.example", "subdomain": "em42", "valid": True}]
    return key


# -- the client --------------------------------------------------------------------------


def test_the_official_client_sends_the_key_and_reads_the_scopes(fake: FakeSendGrid) -> None:
    """The sendgrid SDK, pointed at the fake with host=, authenticates with the key and gets the scopes."""
    scopes = _account(fake).scopes()
    assert {"mail.send", "suppression.bounces.read"} <= scopes
    assert ["/v3/scopes"] == fake.account.requested


def test_a_refused_key_is_a_config_error_naming_the_variable(fake: FakeSendGrid) -> None:
    """401 from SendGrid: ConfigError (exit code 2) that names SENDGRID_API_KEY and never shows the key."""
    with pytest.raises(ConfigError) as caught:
        SendGridAccount("SG.revoked-key", host=fake.url, timeout=2).scopes()
    assert 2 == caught.value.exit_code
    assert "SENDGRID_API_KEY was refused" in str(caught.value) and "SG.revoked" not in str(caught.value)


def test_unreachable_api_is_a_delivery_error() -> None:
    """Nothing listening: DeliveryError naming the call, not a traceback from urllib."""
    with pytest.raises(DeliveryError) as caught:
        SendGridAccount("SG.key", host="http://127.0.0.1:9", timeout=1).scopes()
    assert "/v3/scopes" in str(caught.value) and "not reachable" in str(caught.value)


def test_a_missing_scope_is_access_forbidden(fake: FakeSendGrid) -> None:
    """403 for a call the key may not make: AccessForbidden, a DeliveryError the callers can degrade on."""
    fake.account.scopes = {"mail.send"}
    with pytest.raises(AccessForbidden):
        _account(fake).event_webhook()


def test_rate_limit_is_waited_out(fake: FakeSendGrid) -> None:
    """A 429 is retried after the wait X-RateLimit-Reset asks for (capped), through the injected sleep."""
    waits: list[float] = []
    fake.reset_seconds = 0
    fake.fail_next(1, "429")
    assert "mail.send" in _account(fake, sleep=waits.append, max_wait_seconds=5).scopes()
    assert 1 == len(waits) and 1.0 <= waits[0] <= 5.0


def test_suppression_list_is_read_page_by_page(fake: FakeSendGrid) -> None:
    """limit/offset paging until a short page: 5 entries in pages of 2 are 3 requests."""
    for number in range(5):
        fake.account.add_suppression("bounces", f"leser{number}@example.org", reason="550 no such user")
    pages = list(_account(fake).suppression_pages("bounces", page_size=2))
    assert [2, 2, 1] == [len(page) for page in pages]
    assert ["/v3/suppression/bounces?limit=2&offset=0", "/v3/suppression/bounces?limit=2&offset=2",
            "/v3/suppression/bounces?limit=2&offset=4"] == fake.account.requested


# -- delivery check ------------------------------------------------------------------------


def test_check_of_a_ready_account_has_no_warnings(fake: FakeSendGrid) -> None:
    """Key works, mail.send granted, domain authenticated, webhook enabled here, signed with our key."""
    key = _ready(fake)
    findings = check_account(_account(fake), _expect(key))
    assert {"ok"} == {finding.level for finding in findings}
    assert ["api key", "sending", "sender", "event webhook", "webhook signing", "suppression lists"] == [
        finding.topic for finding in findings]
    raise_for_errors(findings)


def test_check_reports_a_key_without_mail_send_as_an_error(fake: FakeSendGrid) -> None:
    """A key lacking mail.send: an error finding, and raise_for_errors gives a ConfigError naming it."""
    fake.account.scopes.discard("mail.send")
    findings = check_account(_account(fake), _expect(_ready(fake)))
    sending = next(finding for finding in findings if finding.topic == "sending")
    assert ("error", True) == (sending.level, "lacks the mail.send scope" in sending.text)
    with pytest.raises(ConfigError, match="sending"):
        raise_for_errors(findings)


def test_check_degrades_where_the_key_may_not_look(fake: FakeSendGrid) -> None:
    """A send-only key: webhook, domains and lists are 'not checked' with the scope named, not errors."""
    fake.account.scopes = {"mail.send"}
    findings = {finding.topic: finding for finding in check_account(_account(fake), _expect())}
    assert "warning" == findings["event webhook"].level
    assert "lacks user.webhooks.event.settings.read" in findings["event webhook"].text
    assert "lacks whitelabel.read" in findings["sender"].text
    assert "cannot read bounces (needs suppression.bounces.read)" in findings["suppression lists"].text
    assert "webhook signing" not in findings
    raise_for_errors(list(findings.values()))


def test_check_finds_a_signing_key_other_than_ours(fake: FakeSendGrid) -> None:
    """SendGrid signs with another key than config has: every event would be refused, so an error."""
    _ready(fake)
    signing = next(f for f in check_account(_account(fake), _expect(_public_key())) if f.topic == "webhook signing")
    assert "error" == signing.level and "another key" in signing.text


def test_check_warns_about_a_disabled_webhook_and_an_unauthenticated_domain(fake: FakeSendGrid) -> None:
    """Webhook off and no authenticated domain: warnings saying what follows, exit stays 0."""
    findings = {f.topic: f for f in check_account(_account(fake), _expect(backend="smtp"))}
    assert ("warning", "warning") == (findings["event webhook"].level, findings["sender"].level)
    assert "disabled" in findings["event webhook"].text and "no authenticated domain" in findings["sender"].text
    assert "backend is 'smtp'" in findings["sending"].text


def test_check_names_events_the_webhook_does_not_send(fake: FakeSendGrid) -> None:
    """An enabled webhook without spam_report and processed events is reported with those names."""
    key = _ready(fake)
    fake.account.event_webhook = webhook_settings(SITE_HOOK, spam_report=False, processed=False)
    texts = [f.text for f in check_account(_account(fake), _expect(key)) if f.level == "warning"]
    assert ["does not send processed, spam_report events (the bounce policy and the in-doubt check need them)"] \
        == texts


# -- sync-suppressions with the real store -------------------------------------------------


def _lists(fake: FakeSendGrid) -> None:
    fake.account.add_suppression("bounces", "Bounced@Example.org", reason="550 5.1.1 unknown user", status="5.1.1")
    fake.account.add_suppression("spam_reports", "complainer@example.org", ip="10.0.0.1")
    fake.account.add_suppression("invalid_emails", "not-an-address", reason="Mail domain mentioned is invalid")
    fake.account.add_suppression("unsubscribes", "gone@example.org")
    fake.account.add_suppression("blocks", "blocked@example.org", reason="IP listed")


def _hashes(engine: Engine) -> dict[str, str]:
    with engine.connect() as connection:
        return dict(connection.execute(select(suppressions.c.email_hash, suppressions.c.reason)).all())


def test_sync_suppresses_what_sendgrid_knows_and_a_second_run_changes_nothing(
    any_engine: Engine, fake: FakeSendGrid
) -> None:
    """Bounces, spam reports, unsubscribes land on the list; the invalid entry is skipped; then all 'already'."""
    _lists(fake)
    store = SubscriberStore(any_engine, SECRET)
    first = sync_suppressions(_account(fake), store, now=NOW)
    assert {"bounced": 1, "complained": 1, "unsubscribed": 1} == {
        name: list(_hashes(any_engine).values()).count(name) for name in ("bounced", "complained", "unsubscribed")}
    assert (3, 0) == (first.new, first.already)
    assert 1 == next(result for result in first.lists if result.name == "invalid_emails").unusable
    assert "bounced" == store.suppression_reason("bounced@example.org")
    assert store.suppression_reason("blocked@example.org") is None
    before = _hashes(any_engine)
    second = sync_suppressions(_account(fake), store, now=NOW)
    assert (0, 3) == (second.new, second.already)
    assert before == _hashes(any_engine)


def test_sync_never_lifts_or_weakens_and_erased_stays_erased(any_engine: Engine, fake: FakeSendGrid) -> None:
    """An erased address stays 'forgotten' (no row comes back); a complained reader stays complained."""
    store = SubscriberStore(any_engine, SECRET)
    store.add("erased@example.org", now=NOW, status=SubscriberStatus.ACTIVE)
    store.forget("erased@example.org", now=NOW)
    complainer = store.add("angry@example.org", now=NOW, status=SubscriberStatus.ACTIVE)
    store.set_status(complainer.id, SubscriberStatus.COMPLAINED, now=NOW)
    store.suppress("angry@example.org", "complained", now=NOW)
    fake.account.add_suppression("bounces", "erased@example.org")
    fake.account.add_suppression("unsubscribes", "angry@example.org")
    report = sync_suppressions(_account(fake), store, now=NOW)
    assert (0, 2) == (report.new, report.already)
    assert ("forgotten", "complained") == (store.suppression_reason("erased@example.org"),
                                           store.suppression_reason("angry@example.org"))
    with any_engine.connect() as connection:
        emails = list(connection.execute(select(subscribers.c.email)).scalars())
        rows = list(connection.execute(select(subscribers.c.status)).scalars())
    assert (["angry@example.org"], ["complained"]) == (emails, rows)


def test_sync_gives_existing_subscribers_the_status(any_engine: Engine, fake: FakeSendGrid) -> None:
    """An active reader SendGrid lists as bounced becomes bounced, and an outgoing webhook event is queued."""
    store = SubscriberStore(any_engine, SECRET)
    reader = store.add("bounced@example.org", now=NOW, status=SubscriberStatus.ACTIVE)
    fake.account.add_suppression("bounces", "BOUNCED@example.org")
    told: list[tuple[str, int]] = []

    class Recorder:
        def notify(self, event_type: str, data: dict[str, object], **_: object) -> None:
            told.append((event_type, int(data["subscriber_id"])))  # type: ignore[call-overload]

    report = sync_suppressions(_account(fake), store, now=NOW, notifier=Recorder())
    changed = store.get(reader.id)
    assert changed is not None
    assert (SubscriberStatus.BOUNCED, "sendgrid bounces") == (changed.status, changed.unsubscribe_reason)
    assert [("subscriber.bounced", reader.id)] == told
    assert 1 == report.lists[1].subscribers_changed
    again = sync_suppressions(_account(fake), store, now=NOW, notifier=Recorder())
    assert (0, 1) == (sum(r.subscribers_changed for r in again.lists), len(told))


def test_blocks_only_on_request(any_engine: Engine, fake: FakeSendGrid) -> None:
    """Blocks are often temporary: read only when asked for, then suppressed as 'blocked'."""
    _lists(fake)
    store = SubscriberStore(any_engine, SECRET)
    report = sync_suppressions(_account(fake), store, now=NOW, lists=["blocks"])
    assert (["blocks"], 1) == ([result.name for result in report.lists], report.new)
    assert "blocked" == store.suppression_reason("blocked@example.org")


def test_a_list_the_key_may_not_read_is_reported_and_the_rest_goes_on(engine: Engine, fake: FakeSendGrid) -> None:
    """Without suppression.spam_reports.read that list is 'forbidden'; bounces are still imported."""
    _lists(fake)
    fake.account.scopes.discard("suppression.spam_reports.read")
    report = sync_suppressions(_account(fake), SubscriberStore(engine, SECRET), now=NOW)
    assert ["spam_reports"] == [result.name for result in report.forbidden]
    assert 2 == report.new


def test_no_address_reaches_the_log(engine: Engine, fake: FakeSendGrid, caplog: pytest.LogCaptureFixture) -> None:
    """Counts are logged, addresses and the API key never (the SDK's HTTP client logs both at DEBUG)."""
    _lists(fake)
    fake.account.scopes.discard("suppression.unsubscribes.read")
    with caplog.at_level(logging.DEBUG):
        sync_suppressions(_account(fake), SubscriberStore(engine, SECRET), now=NOW)
    assert caplog.records and "@" not in caplog.text and fake.api_key not in caplog.text
