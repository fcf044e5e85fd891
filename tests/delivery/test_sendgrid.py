"""The SendGrid backend against FakeSendGrid on loopback: request shape, retries, refusals."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import Engine

from syndication.config import Secrets, SendgridConfig, Settings
from syndication.delivery.backends import build_messenger
from syndication.delivery.ledger import Ledger
from syndication.delivery.send import deliver
from syndication.delivery.sendgrid import SendGridMessenger, retry_after_seconds
from syndication.delivery.testing import FakeSendGrid
from syndication.errors import ConfigError
from syndication.mail.base import Batch, DeliveryFailed, Sender

from .fakes import FakeMailer, FakeSubscribers, Sleeps, make_options

SENDER = Sender("newsletter@pfalz-rundschau.example", "Pfalz-Rundschau", "leserbriefe@pfalz-rundschau.example")


@pytest.fixture
def fake() -> FakeSendGrid:
    with FakeSendGrid(hang_seconds=4.0) as server:
        yield server


def _messenger(fake: FakeSendGrid, **config: object) -> SendGridMessenger:
    settings = SendgridConfig(api_url=fake.url, timeout=2.0, **config)  # type: ignore[arg-type]
    return SendGridMessenger(settings, fake.api_key, SENDER)


def _send_all(engine: Engine, fake: FakeSendGrid, count: int, sleeps: Sleeps, batch_size: int = 10):  # type: ignore[no-untyped-def]
    messenger = _messenger(fake)
    try:
        return deliver(Ledger(engine), FakeMailer(), FakeSubscribers.generated(count), messenger,
                       make_options(batch_size=batch_size, sleep=sleeps))
    finally:
        messenger.close()


def test_personalised_messages_arrive_with_headers_and_ids(engine: Engine, fake: FakeSendGrid) -> None:
    """Each recipient's message has its substitutions, unsubscribe headers, custom args and the categories."""
    report = _send_all(engine, fake, 3, Sleeps())
    message = fake.messages_for("leser2@example.org")[0]
    assert 3 == report.sent
    assert "Guten Morgen, Leser 2" in message.text and "token=t2" in message.html
    assert ("text/plain", "text/html") == message.content_types
    assert "<https://www.pfalz-rundschau.example/unsubscribe?token=t2>" in message.headers["List-Unsubscribe"]
    assert "List-Unsubscribe=One-Click" == message.headers["List-Unsubscribe-Post"]
    expected_args = {"edition_id": "daily-2026-11-24", "subscriber_id": "2", "run_id": "1", "variant": "all"}
    assert expected_args == message.custom_args
    assert ("edition-daily", "daily-2026-11-24") == message.categories


def test_provider_message_id_is_recorded_per_recipient(engine: Engine, fake: FakeSendGrid) -> None:
    """The X-Message-Id of the request is stored on every recipient row of its batch."""
    _send_all(engine, fake, 4, Sleeps())
    rows = Ledger(engine).sent_to("daily-2026-11-24")
    assert [fake.messages_for(email)[0].message_id for _, email, _ in rows] == [pid for _, _, pid in rows]


def test_payload_has_tracking_off_and_sandbox_from_config(fake: FakeSendGrid) -> None:
    """Open and click tracking are off unless configured; sandbox_mode follows config; reply_to is set."""
    mailer = FakeMailer()
    subscriber = FakeSubscribers.generated(1).by_id[1]
    batch = Batch("k", mailer.body("all"), (mailer.recipient(subscriber),), mailer.shared_headers())
    payload = _messenger(fake, sandbox_mode=True).payload(batch)
    assert {"enable": False} == payload["tracking_settings"]["open_tracking"]
    assert False is payload["tracking_settings"]["click_tracking"]["enable"]
    assert {"sandbox_mode": {"enable": True}} == payload["mail_settings"]
    assert {"email": "leserbriefe@pfalz-rundschau.example"} == payload["reply_to"]
    assert ["text/plain", "text/html"] == [part["type"] for part in payload["content"]]


@pytest.mark.parametrize("kind", ["429", "500", "hang"])
def test_transient_failures_are_retried_and_nobody_gets_two(engine: Engine, fake: FakeSendGrid, kind: str) -> None:
    """429 (with a reset header), 500 and a time-out are retried; every subscriber gets exactly one message."""
    fake.fail_next(2, kind)
    sleeps = Sleeps()
    report = _send_all(engine, fake, 25, sleeps)
    assert {f"leser{n}@example.org": 1 for n in range(1, 26)} == dict(fake.counts)
    assert (25, 0, 2) == (report.sent, report.failed, len(sleeps.calls))


def test_rate_limit_reset_header_sets_the_wait(engine: Engine, fake: FakeSendGrid) -> None:
    """After a 429 the retry waits at least until X-RateLimit-Reset."""
    fake.reset_seconds = 30
    fake.fail_next(1, "429")
    sleeps = Sleeps()
    _send_all(engine, fake, 5, sleeps)
    assert 28 <= sleeps.calls[0] <= 31


def test_400_fails_the_batch_with_the_providers_text(engine: Engine, fake: FakeSendGrid) -> None:
    """A 400 is not retried: its batch is failed with SendGrid's error text, the others are sent."""
    fake.fail_next(1, "400")
    sleeps = Sleeps()
    report = _send_all(engine, fake, 25, sleeps)
    assert (15, 10, 1, 1, []) == (report.sent, report.failed, report.batches_failed, report.exit_code, sleeps.calls)
    assert "from: The from address does not match a verified Sender Identity." in str(report.errors[0])


def test_reserved_headers_are_refused_before_sending(fake: FakeSendGrid) -> None:
    """A per-recipient header SendGrid reserves (e.g. Reply-To) is refused without a request."""
    mailer = FakeMailer()
    subscriber = FakeSubscribers.generated(1).by_id[1]
    recipient = mailer.recipient(subscriber)
    bad = type(recipient)(recipient.email, recipient.message_id, headers={"Reply-To": "x@example.org"})
    with pytest.raises(DeliveryFailed) as caught:
        _messenger(fake).send(Batch("k", mailer.body("all"), (bad,)))
    assert (False, 0) == (caught.value.retryable, fake.requests)


def test_fake_refuses_more_than_1000_personalizations(fake: FakeSendGrid) -> None:
    """The fake checks like SendGrid: 1001 personalizations are a 400 naming the limit."""
    mailer = FakeMailer()
    recipients = tuple(mailer.recipient(s) for s in FakeSubscribers.generated(1001).by_id.values())
    messenger = _messenger(fake)
    body = messenger.payload(Batch("k", mailer.body("all"), recipients[:1000]))
    body["personalizations"].append({"to": [{"email": "extra@example.org"}]})
    response = httpx.post(f"{fake.url}/v3/mail/send", json=body, headers={"Authorization": f"Bearer {fake.api_key}"})
    assert 400 == response.status_code
    assert "personalizations" == response.json()["errors"][0]["field"]


def test_fake_refuses_html_before_text(fake: FakeSendGrid) -> None:
    """The fake refuses content with text/html before text/plain."""
    mailer = FakeMailer()
    recipient = mailer.recipient(FakeSubscribers.generated(1).by_id[1])
    body = _messenger(fake).payload(Batch("k", mailer.body("all"), (recipient,)))
    body["content"].reverse()
    response = httpx.post(f"{fake.url}/v3/mail/send", json=body, headers={"Authorization": f"Bearer {fake.api_key}"})
    assert (400, "content") == (response.status_code, response.json()["errors"][0]["field"])


def test_wrong_api_key_is_a_permanent_failure(fake: FakeSendGrid) -> None:
    """401 is not retried."""
    mailer = FakeMailer()
    recipient = mailer.recipient(FakeSubscribers.generated(1).by_id[1])
    messenger = SendGridMessenger(SendgridConfig(api_url=fake.url), "SG.wrong", SENDER)
    with pytest.raises(DeliveryFailed) as caught:
        messenger.send(Batch("k", mailer.body("all"), (recipient,)))
    assert False is caught.value.retryable


def test_build_messenger_needs_the_api_key(settings: Settings) -> None:
    """backend = sendgrid without SENDGRID_API_KEY is a ConfigError."""
    delivery = settings.delivery.model_copy(update={"backend": "sendgrid"})
    sendgrid_settings = settings.model_copy(update={"delivery": delivery})
    with pytest.raises(ConfigError):
        build_messenger(sendgrid_settings, Secrets())


def test_retry_after_prefers_retry_after_then_reset() -> None:
    """Retry-After in seconds wins; else X-RateLimit-Reset minus now."""
    assert 12.0 == retry_after_seconds(httpx.Headers({"Retry-After": "12", "X-RateLimit-Reset": "1000"}), 0)
    assert 40.0 == retry_after_seconds(httpx.Headers({"X-RateLimit-Reset": "1040"}), 1000)
    assert None is retry_after_seconds(httpx.Headers({}), 0)
