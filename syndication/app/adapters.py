"""Where one feature needs another's work: the real implementations of the Protocols features declare.

Each class here plugs one feature into a Protocol another declares (delivery's ``RecipientsSource``
and ``Bounces`` over the subscriber store, the subscribers' ``TransactionalMail`` over the digest
templates and a delivery backend, the event store's ``ArticleLinks`` over the articles, the
runtime's ``Notifier`` over the webhooks' outbox). Only the composition root builds them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import make_msgid
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.engine import Connection

from subscribers.model import Frequency, Subscriber, SubscriberStatus
from subscribers.service import Outgoing, SubscriptionService
from subscribers.store import BOUNCED, SubscriberStore
from syndication.clock import Clock
from syndication.config import DeliveryConfig, WebhookConfig
from syndication.delivery.erasure import erase_from_delivery
from syndication.delivery.retry import RetryPolicy
from syndication.delivery.send import send_single
from syndication.digest.edition_store import get_edition
from syndication.events.policy import Action, BouncePolicy
from syndication.events.store import forget_subscriber
from syndication.inbound.parse import PROVIDER_MAILTO
from syndication.inbound.service import Ended
from syndication.mail.base import MessageBody, Messenger, Recipient
from syndication.mail.events import EventKind, SendEvent
from syndication.mail.verp import mailto_unsubscribe
from syndication.notify import Notifier
from syndication.store.schema import articles
from syndication.webhooks.outbox import WebhookOutbox


class StoreRecipients:
    """``RecipientsSource`` over ``subscribers.store.SubscriberStore``.

    ``slots`` are the edition's configured slots: a reader whose chosen slot is no longer
    offered belongs to the first one instead of getting nothing.
    """

    def __init__(self, store: SubscriberStore, slots: Sequence[str] | None = None) -> None:
        self.store = store
        self.slots = tuple(slots) if slots is not None else None

    def iter_active(
        self, frequency: Frequency, slot: str | None, first_slot: str, batch_size: int
    ) -> Iterator[list[Subscriber]]:
        return self.store.iter_active(frequency, slot, first_slot, batch_size, slots=self.slots)

    def receivable(self, subscriber_ids: Sequence[int]) -> Mapping[int, Subscriber]:
        return self.store.active_among(subscriber_ids)


class StoreBounces:
    """``Bounces`` over the subscriber store: a hard bounce is suppressed like a SendGrid bounce."""

    def __init__(self, store: SubscriberStore, notifier: Notifier | None = None) -> None:
        self.store = store
        self.notifier = notifier

    def hard_bounce(self, subscriber_id: int, email: str, reason: str, now: datetime) -> None:
        self.store.set_status(subscriber_id, SubscriberStatus.BOUNCED, now=now, reason=f"smtp:{reason}"[:200])
        self.store.suppress(email, BOUNCED, now=now)
        if self.notifier is not None:
            self.notifier.notify("subscriber.bounced", {"subscriber_id": subscriber_id, "email": email,
                                                         "reason": f"smtp:{reason}"[:200]})


class TransactionalMailer:
    """The subscribers' ``TransactionalMail``: render a confirm/welcome mail, send it through a fresh messenger."""

    def __init__(
        self, render: Callable[[str, Mapping[str, Any], str | None], MessageBody], messenger: Callable[[], Messenger],
        delivery: DeliveryConfig,
    ) -> None:
        self.render = render
        self.messenger = messenger
        self.delivery = delivery

    def send(self, outgoing: Outgoing) -> None:
        domain = self.delivery.from_email.rpartition("@")[2] or None
        recipient = Recipient(
            email=outgoing.email,
            message_id=make_msgid(idstring=f"{outgoing.template}.{outgoing.subscriber_id}", domain=domain),
            name=outgoing.name,
            headers=dict(outgoing.headers),
            custom_args={"subscriber_id": str(outgoing.subscriber_id), "kind": outgoing.template},
        )
        body = self.render(outgoing.template, dict(outgoing.context), outgoing.language or None)
        messenger = self.messenger()
        try:
            send_single(messenger, RetryPolicy.from_config(self.delivery), body, recipient)
        finally:
            messenger.close()


class DeliveryErasure:
    """The subscribers' ``DeliveryRecords``: the send ledger and the outbox folder."""

    def __init__(self, engine: Engine, outbox_dir: Path | None) -> None:
        self.engine = engine
        self.outbox_dir = outbox_dir

    def erase(self, subscriber_id: int | None, email: str) -> None:
        erase_from_delivery(self.engine, subscriber_id, email, self.outbox_dir)
        if subscriber_id is not None:
            # Per-person events (clicks with [tracking] per_subscriber, bounces …) stop naming them.
            forget_subscriber(self.engine, subscriber_id)


class VerpListUnsubscribe:
    """The subscribers' ``ListUnsubscribe``: the signed ``mailto:`` that ``syndication inbound`` reads back."""

    def __init__(self, secret_key: str, mailto: str) -> None:
        self.secret_key = secret_key
        self.address = mailto

    def mailto(self, subscriber_id: int) -> str:
        # No edition: a welcome mail's mailto, like its one-click link, ends every newsletter.
        return mailto_unsubscribe(self.secret_key, self.address, subscriber_id, None)


# What a mailed unsubscribe leaves in the subscriptions' (and, for "all", the subscriber's) unsubscribe reason.
MAILTO_REASON = "mailto:unsubscribe"


class MailedUnsubscribes:
    """The inbound's ``Unsubscriber``: a mailed ``List-Unsubscribe`` ends what the one-click link of the same
    mail ends, through the same function (``SubscriptionService.unsubscribe``): the newsletter of the edition
    the signed token names (each subscription keeps its own unsubscribe date and reason). A token without an
    edition (a welcome mail's, or one from before newsletters), an edition that is not stored or a newsletter
    no longer configured: every newsletter, as the one-click link without a newsletter does."""

    def __init__(self, service: SubscriptionService, engine: Engine) -> None:
        self.service = service
        self.engine = engine

    def unsubscribe(self, subscriber_id: int, edition_id: str | None) -> Ended | None:
        subscriber = self.service.store.get(subscriber_id)
        if subscriber is None:
            return None
        newsletter, problem = self._newsletter(edition_id)
        self.service.unsubscribe(subscriber, MAILTO_REASON, newsletter)
        return Ended(newsletter, problem)

    def _newsletter(self, edition_id: str | None) -> tuple[str | None, str | None]:
        """(the newsletter to end, None for all; what is wrong when the token's edition names none)."""
        if edition_id is None:
            return None, None
        edition = get_edition(self.engine, edition_id)
        if edition is None:
            return None, f"edition {edition_id} of the token is not stored"
        name = edition.newsletter_name
        if name not in {config.name for config in self.service.editions}:
            return None, f"newsletter {name} of edition {edition_id} is not configured (any more)"
        return name, None


@dataclass(frozen=True)
class InboundPolicy(BouncePolicy):
    """The event policy of ``syndication inbound``: a mailed unsubscribe is applied by
    :class:`MailedUnsubscribes` (one newsletter), so the event store only keeps and counts it."""

    def immediate_action(self, event: SendEvent) -> Action | None:
        if event.kind == EventKind.UNSUBSCRIBE and event.provider == PROVIDER_MAILTO:
            return None
        return super().immediate_action(event)


class StoreArticleLinks:
    """The event store's ``ArticleLinks``: a clicked URL is the article whose URL it is (query and fragment
    included, as linked)."""

    def __init__(self) -> None:
        # One event store serves one webhook post: its clicks name a handful of URLs many times.
        self._known: dict[str, str | None] = {}

    def article_for(self, connection: Connection, url: str) -> str | None:
        if url not in self._known:
            found = connection.execute(select(articles.c.id).where(articles.c.url == url).limit(1)).scalar()
            self._known[url] = None if found is None else str(found)
        return self._known[url]


class LazyOutbox:
    """The webhooks' outbox as the runtime's ``Notifier``, opened on first use: commands that never
    notify do not open the database for it."""

    def __init__(self, engine: Callable[[], Engine], webhooks: Sequence[WebhookConfig], clock: Clock) -> None:
        self._engine = engine
        self._webhooks = webhooks
        self._clock = clock
        self._outbox: WebhookOutbox | None = None

    def notify(
        self, event_type: str, data: Mapping[str, Any], *, key: str | None = None,
        connection: Connection | None = None,
    ) -> None:
        if self._outbox is None:
            self._outbox = WebhookOutbox(self._engine(), self._webhooks, self._clock)
        self._outbox.notify(event_type, data, key=key, connection=connection)
