"""Mail to a subscribed address carries RFC 2369/8058 unsubscribe headers; the confirmation mail does not."""

from __future__ import annotations

import email
import re
from datetime import timedelta
from email import policy
from email.message import EmailMessage

from live_server import LiveServer

from subscribers.model import Frequency, SubscriberStatus
from subscribers.service import Consent, SubscriptionService
from syndication.app import App

ONE_CLICK = re.compile(
    r"<(https?://[^>]+/unsubscribe\?token=[A-Za-z0-9._-]+)>, "
    r"<mailto:[^>]+\?subject=unsubscribe%20[0-9a-z]+\._\.[a-z2-7]{16}>"
)


def _outbox(live: LiveServer) -> list[EmailMessage]:
    paths = sorted(live.outbox.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns)
    return [email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in paths]  # type: ignore[misc]


def _sign_up_and_confirm(service: SubscriptionService, address: str) -> None:
    confirm = service.request(address, topics=(), frequency=Frequency.DAILY, consent=Consent(form="test"))
    assert confirm is not None and service.deliver(confirm)
    token = confirm.context["confirm_url"].split("token=", 1)[1]
    _, welcome = service.confirm(token, Consent(form="test"))
    assert welcome is not None and service.deliver(welcome)


def test_welcome_mail_has_working_one_click_unsubscribe(live: LiveServer) -> None:
    """The welcome mail's List-Unsubscribe URL, POSTed as RFC 8058 says, unsubscribes the reader."""
    service = App(live.runtime).subscription_service()
    _sign_up_and_confirm(service, "willkommen@example.org")
    confirmation, welcome = _outbox(live)
    assert (None, None) == (confirmation["List-Unsubscribe"], confirmation["List-Unsubscribe-Post"])
    assert "List-Unsubscribe=One-Click" == welcome["List-Unsubscribe-Post"]
    found = ONE_CLICK.fullmatch(str(welcome["List-Unsubscribe"]))
    assert found is not None, welcome["List-Unsubscribe"]
    path = found.group(1).split("://", 1)[1].split("/", 1)[1]
    response = live.client.post(f"/{path}", data={"List-Unsubscribe": "One-Click"})
    assert 200 == response.status_code
    assert SubscriberStatus.UNSUBSCRIBED == service.store.get_by_email("willkommen@example.org").status


def test_reminder_to_an_active_address_carries_the_headers(live: LiveServer) -> None:
    """A second sign-up of an active address gets a welcome reminder, with the unsubscribe headers too."""
    service = App(live.runtime).subscription_service()
    _sign_up_and_confirm(service, "wieder@example.org")
    live.runtime.clock.advance(timedelta(minutes=11))  # type: ignore[attr-defined]
    again = service.request("wieder@example.org", topics=(), frequency=Frequency.DAILY, consent=Consent(form="test"))
    assert again is not None and "welcome" == again.template
    assert service.deliver(again)
    reminder = _outbox(live)[-1]
    assert ONE_CLICK.fullmatch(str(reminder["List-Unsubscribe"]))
    assert "List-Unsubscribe=One-Click" == reminder["List-Unsubscribe-Post"]
