"""The SendGrid Event Webhook: ECDSA signatures, staleness, de-duplication, status changes."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from live_server import LiveServer
from sqlalchemy import select

from subscribers.model import SubscriberStatus
from subscribers.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER
from syndication.app import App
from syndication.events.tables import send_events
from syndication.mail.events import event_key
from syndication.webhook_keys import load_public_key


def signed(key: ec.EllipticCurvePrivateKey, body: bytes, timestamp: int) -> dict[str, str]:
    signature = key.sign(str(timestamp).encode("ascii") + body, ec.ECDSA(hashes.SHA256()))
    return {
        SIGNATURE_HEADER: base64.b64encode(signature).decode("ascii"),
        TIMESTAMP_HEADER: str(timestamp),
        "Content-Type": "application/json",
    }


def events_body(*events: dict[str, object]) -> bytes:
    return json.dumps(list(events)).encode("utf-8")


def now_ts(live: LiveServer) -> int:
    return int(live.runtime.clock.now().timestamp())


def setup_subscribers(live: LiveServer) -> dict[str, int]:
    store = App(live.runtime).subscriber_store()
    now = live.runtime.clock.now()
    return {
        name: store.add(f"{name}@example.org", now=now, status=SubscriberStatus.ACTIVE).id
        for name in ("bounce", "spam", "abmelden", "gruppe", "dropped", "blocked")
    }


def statuses(live: LiveServer, ids: dict[str, int]) -> dict[str, SubscriberStatus]:
    store = App(live.runtime).subscriber_store()
    return {name: store.get(subscriber_id).status for name, subscriber_id in ids.items()}  # type: ignore[union-attr]


def test_signed_events_change_statuses_and_suppress(live: LiveServer, webhook_key: ec.EllipticCurvePrivateKey) -> None:
    """A correctly signed post applies bounce, dropped, spamreport, unsubscribe, group_unsubscribe."""
    ids = setup_subscribers(live)
    body = events_body(
        {"event": "bounce", "email": "bounce@example.org", "sg_event_id": "e1", "type": "bounce"},
        {"event": "spamreport", "email": "someone-else@example.org", "subscriber_id": str(ids["spam"]),
         "sg_event_id": "e2"},
        {"event": "unsubscribe", "email": "ABMELDEN@example.org", "sg_event_id": "e3"},
        {"event": "group_unsubscribe", "email": "gruppe@example.org", "sg_event_id": "e4", "asm_group_id": 1},
        {"event": "dropped", "email": "dropped@example.org", "sg_event_id": "e5", "reason": "Bounced Address"},
        {"event": "bounce", "email": "blocked@example.org", "sg_event_id": "e6", "type": "blocked"},
        {"event": "delivered", "email": "bounce@example.org", "sg_event_id": "e7"},
    )
    response = live.client.post("/webhooks/sendgrid", content=body, headers=signed(webhook_key, body, now_ts(live)))
    assert 200 == response.status_code
    assert {"applied": 4, "duplicates": 0, "ignored": 2, "unmatched": 1} == response.json()
    expected = {
        "bounce": SubscriberStatus.BOUNCED,
        # The subscriber_id did not belong to the event's address: nothing was changed for it.
        "spam": SubscriberStatus.ACTIVE,
        "abmelden": SubscriberStatus.UNSUBSCRIBED,
        "gruppe": SubscriberStatus.UNSUBSCRIBED,
        "dropped": SubscriberStatus.BOUNCED,
        "blocked": SubscriberStatus.ACTIVE,
    }
    assert expected == statuses(live, ids)
    store = App(live.runtime).subscriber_store()
    assert (True, True, False) == (
        store.is_suppressed("bounce@example.org"),
        store.is_suppressed("dropped@example.org"),
        store.is_suppressed("abmelden@example.org"),
    )


def test_events_map_by_custom_args_subscriber_id(live: LiveServer, webhook_key: ec.EllipticCurvePrivateKey) -> None:
    """An event carrying our subscriber_id (custom_args) finds the subscriber; spamreport → complained."""
    ids = setup_subscribers(live)
    body = events_body({"event": "spamreport", "email": "spam@example.org", "subscriber_id": str(ids["spam"]),
                        "sg_event_id": "s1"})
    live.client.post("/webhooks/sendgrid", content=body, headers=signed(webhook_key, body, now_ts(live)))
    assert SubscriberStatus.COMPLAINED == statuses(live, ids)["spam"]


def test_replayed_events_count_once(live: LiveServer, webhook_key: ec.EllipticCurvePrivateKey) -> None:
    """The same sg_event_id posted again (a retry or a replay) is not applied twice."""
    ids = setup_subscribers(live)
    body = events_body({"event": "unsubscribe", "email": "abmelden@example.org", "sg_event_id": "r1"})
    first = live.client.post("/webhooks/sendgrid", content=body, headers=signed(webhook_key, body, now_ts(live)))
    store = App(live.runtime).subscriber_store()
    # Re-subscribed in between: a replay of the old event must not unsubscribe again.
    store.set_status(ids["abmelden"], SubscriberStatus.ACTIVE, now=live.runtime.clock.now())
    live.runtime.clock.advance(timedelta(seconds=30))
    again = live.client.post("/webhooks/sendgrid", content=body, headers=signed(webhook_key, body, now_ts(live)))
    assert (1, 0) == (first.json()["applied"], first.json()["duplicates"])
    assert (0, 1) == (again.json()["applied"], again.json()["duplicates"])
    assert SubscriberStatus.ACTIVE == statuses(live, ids)["abmelden"]


def test_unsigned_request_is_refused(live: LiveServer) -> None:
    """Without signature headers: 403 and nothing changes."""
    ids = setup_subscribers(live)
    body = events_body({"event": "bounce", "email": "bounce@example.org", "sg_event_id": "u1"})
    response = live.client.post("/webhooks/sendgrid", content=body, headers={"Content-Type": "application/json"})
    assert 403 == response.status_code
    assert SubscriberStatus.ACTIVE == statuses(live, ids)["bounce"]


def test_wrongly_signed_request_is_refused(live: LiveServer, webhook_key: ec.EllipticCurvePrivateKey) -> None:
    """Signed by another key, or a body changed after signing: 403."""
    ids = setup_subscribers(live)
    body = events_body({"event": "bounce", "email": "bounce@example.org", "sg_event_id": "w1"})
    other_key = ec.generate_private_key(ec.SECP256R1())
    by_other = live.client.post("/webhooks/sendgrid", content=body, headers=signed(other_key, body, now_ts(live)))
    changed = body.replace(b"w1", b"w2")
    tampered = live.client.post(
        "/webhooks/sendgrid", content=changed, headers=signed(webhook_key, body, now_ts(live))
    )
    assert (403, 403) == (by_other.status_code, tampered.status_code)
    assert SubscriberStatus.ACTIVE == statuses(live, ids)["bounce"]


def test_stale_request_is_refused(live: LiveServer, webhook_key: ec.EllipticCurvePrivateKey) -> None:
    """A correctly signed request older than webhook_max_age_seconds (600) is refused with 403."""
    ids = setup_subscribers(live)
    body = events_body({"event": "bounce", "email": "bounce@example.org", "sg_event_id": "o1"})
    stale = live.client.post("/webhooks/sendgrid", content=body, headers=signed(webhook_key, body, now_ts(live) - 601))
    fresh = live.client.post("/webhooks/sendgrid", content=body, headers=signed(webhook_key, body, now_ts(live) - 599))
    assert (403, 200) == (stale.status_code, fresh.status_code)
    assert SubscriberStatus.BOUNCED == statuses(live, ids)["bounce"]


def test_public_key_in_pem_or_base64_der(webhook_key: ec.EllipticCurvePrivateKey) -> None:
    """The verification key may be configured as SendGrid shows it (base64 DER) or as PEM."""
    public = webhook_key.public_key()
    der = base64.b64encode(public.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)).decode()
    pem = public.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()
    assert load_public_key(der).public_numbers() == load_public_key(pem).public_numbers()


def test_events_are_kept_and_a_late_replay_is_still_a_duplicate(
    live: LiveServer, webhook_key: ec.EllipticCurvePrivateKey
) -> None:
    """Events are facts kept in send_events (by SHA-256 of the id): a replay weeks later counts as a duplicate."""
    setup_subscribers(live)
    body = events_body({"event": "unsubscribe", "email": "abmelden@example.org", "sg_event_id": "p1"})
    live.client.post("/webhooks/sendgrid", content=body, headers=signed(webhook_key, body, now_ts(live)))
    live.runtime.clock.advance(timedelta(days=30))
    again = live.client.post("/webhooks/sendgrid", content=body, headers=signed(webhook_key, body, now_ts(live)))
    with live.runtime.engine.connect() as connection:
        kept = connection.execute(select(send_events.c.event_key)).scalars().all()
    assert [event_key("p1")] == kept
    assert 1 == again.json()["duplicates"]


def test_malformed_signed_bodies_are_answered_without_server_errors(
    live: LiveServer, webhook_key: ec.EllipticCurvePrivateKey
) -> None:
    """Signed but hostile bodies (deep nesting, odd ids) get 400 or are counted unmatched, never a 500."""
    setup_subscribers(live)
    bodies = [
        b"[" * 50_000 + b"]" * 50_000,
        events_body({"event": "bounce", "subscriber_id": "\u00b2"}),
        events_body({"event": "bounce", "subscriber_id": "9" * 30}),
        events_body({"event": "bounce", "custom_args": {"subscriber_id": 10**30}}),
        events_body({"event": "bounce", "subscriber_id": True, "email": ["bounce@example.org"]}),
    ]
    answers = [
        live.client.post("/webhooks/sendgrid", content=body, headers=signed(webhook_key, body, now_ts(live)))
        for body in bodies
    ]
    expected = [400, 200, 200, 200, 200]
    assert expected == [answer.status_code for answer in answers]
    assert [1, 1, 1, 1] == [answer.json()["unmatched"] for answer in answers[1:]]


def test_oversized_body_is_refused_before_it_is_read(live: LiveServer) -> None:
    """A body over MAX_WEBHOOK_BODY_BYTES gets 413, declared or streamed without a length."""
    from subscribers.routes import MAX_WEBHOOK_BODY_BYTES

    oversized = b"[" + b" " * MAX_WEBHOOK_BODY_BYTES + b"]"

    def chunks():  # type: ignore[no-untyped-def]
        for start in range(0, len(oversized), 65536):
            yield oversized[start : start + 65536]

    declared = live.client.post("/webhooks/sendgrid", content=oversized)
    streamed = live.client.post("/webhooks/sendgrid", content=chunks())
    assert (413, 413) == (declared.status_code, streamed.status_code)


def test_long_event_ids_sharing_a_prefix_count_as_two_events(
    live: LiveServer, webhook_key: ec.EllipticCurvePrivateKey
) -> None:
    """Two event ids longer than 100 characters that share their first 100 are two events, not one duplicate."""
    ids = setup_subscribers(live)
    prefix = "x" * 100
    body = events_body(
        {"event": "unsubscribe", "email": "abmelden@example.org", "sg_event_id": prefix + "-first"},
        {"event": "bounce", "email": "bounce@example.org", "sg_event_id": prefix + "-second", "type": "bounce"},
    )
    response = live.client.post("/webhooks/sendgrid", content=body, headers=signed(webhook_key, body, now_ts(live)))
    again = live.client.post("/webhooks/sendgrid", content=body, headers=signed(webhook_key, body, now_ts(live)))
    assert {"applied": 2, "duplicates": 0, "ignored": 0, "unmatched": 0} == response.json()
    assert {"applied": 0, "duplicates": 2, "ignored": 0, "unmatched": 0} == again.json()
    assert (SubscriberStatus.UNSUBSCRIBED, SubscriberStatus.BOUNCED) == (
        statuses(live, ids)["abmelden"], statuses(live, ids)["bounce"]
    )
