"""The composition root: builds every service from the runtime's settings and wires the features together.

In the role of listmonk's ``cmd/`` init code. Entry points (``syndication.cli``, ``syndication.scheduler``,
``syndication.web``) hold a :class:`~syndication.runtime.Runtime` (settings, secrets, clock, database) and
ask :class:`App` for their services; each service gets only what it uses (a ``SiteConfig``, a
``TokenSigner``, a store, a ``Clock``, a ``Notifier``…). Where a feature needs another's work it declares
a Protocol; the adapters in :mod:`syndication.app.adapters` implement them and only this package plugs
them in. Edition orchestration lives in :mod:`syndication.app.editions`, the scheduler's jobs in
:mod:`syndication.scheduler.bound`.
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from subscribers.demo import seed_demo_subscribers
from subscribers.model import Subscriber
from subscribers.service import SubscriptionService
from subscribers.store import SubscriberStore
from syndication.app.adapters import (
    DeliveryErasure,
    InboundPolicy,
    LazyOutbox,
    MailedUnsubscribes,
    StoreArticleLinks,
    TransactionalMailer,
    VerpListUnsubscribe,
)
from syndication.clock import Clock
from syndication.config import Secrets, Settings
from syndication.delivery.backends import build_messenger
from syndication.delivery.places import LedgerPlaces
from syndication.digest.editions import Edition
from syndication.digest.personalize import EditionMailer
from syndication.digest.render import render_transactional
from syndication.events.clicks import ClickRedirect
from syndication.events.policy import BouncePolicy, SubscriberSuppressions
from syndication.events.store import EventStore
from syndication.inbound.imap import poll_imap
from syndication.inbound.service import InboundProcessor, InboundReport
from syndication.mail.base import MessageBody, Messenger
from syndication.mail.clicks import ClickTokens
from syndication.mail.verp import UNSUBSCRIBE_SALT, VerpCodec
from syndication.model import Article
from syndication.runtime import Runtime
from syndication.store.articles import ArticleStore
from syndication.tokens import TokenSigner, signer_for
from syndication.webhooks.delivery import DeliveryReport, WebhookDeliverer


def runtime_for(settings: Settings, secrets: Secrets, clock: Clock) -> Runtime:
    """The runtime of a process, with the webhooks' outbox as its notifier.

    Always the outbox, even without ``[[webhooks]]``: an erasure must scrub old payloads.
    """
    runtime = Runtime(settings=settings, secrets=secrets, clock=clock)
    return with_outbox(runtime)


def with_outbox(runtime: Runtime) -> Runtime:
    """Give ``runtime`` the webhooks' outbox as its notifier (opened on first use)."""
    runtime.notifier = LazyOutbox(lambda: runtime.engine, runtime.settings.webhooks, runtime.clock)
    return runtime


class App:
    """The services of one runtime. Cheap to make: each service is built when asked for."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.settings = runtime.settings
        self.clock = runtime.clock

    # -- subscribers -----------------------------------------------------------------

    def signer(self) -> TokenSigner:
        return signer_for(self.settings.subscribers, self.runtime.secrets.require_secret_key(), self.clock)

    def subscriber_store(self) -> SubscriberStore:
        return SubscriberStore(self.runtime.engine, self.runtime.secrets.require_secret_key())

    def seed_demo_subscribers(self) -> list[Subscriber]:
        """``make demo``'s readers, added as active (idempotent)."""
        settings = self.settings
        return seed_demo_subscribers(
            self.subscriber_store(), self.clock.now(), language=settings.site.language,
            wording_version=settings.subscribers.consent_wording_version,
        )

    def subscription_service(self) -> SubscriptionService:
        runtime = self.runtime
        settings = self.settings
        return SubscriptionService(
            self.subscriber_store(),
            self.signer(),
            site=settings.site,
            config=settings.subscribers,
            editions=settings.digest.editions,
            clock=self.clock,
            topics=ArticleStore(runtime.engine),
            mail=TransactionalMailer(self.render_transactional, self.messenger, settings.delivery),
            delivery_records=DeliveryErasure(runtime.engine, settings.outbox_dir),
            list_unsubscribe=VerpListUnsubscribe(
                runtime.secrets.require_secret_key(), settings.delivery.unsubscribe_mailto
            ),
            notifier=runtime.notifier,
        )

    # -- digests ---------------------------------------------------------------------

    def edition_mailer(
        self, edition: Edition, articles: Sequence[Article], *, slot: str | None = None
    ) -> EditionMailer:
        """The bodies and recipients of one edition, with this runtime's settings, secret key and clock."""
        secret_key = self.runtime.secrets.require_secret_key()
        return EditionMailer(edition, articles, self.settings, secret_key, self.clock, slot=slot)

    # -- delivery --------------------------------------------------------------------

    def messenger(self) -> Messenger:
        """A new messenger of ``[delivery] backend``; the caller closes it."""
        return build_messenger(self.settings, self.runtime.secrets, clock=self.clock)

    def render_transactional(self, template: str, context: Mapping[str, Any], locale: str | None = None) -> MessageBody:
        """A confirmation or welcome mail in ``locale`` (the reader's), else the site's language."""
        return render_transactional(template, context, self.settings, locale=locale)

    # -- events, inbound mail, webhooks ------------------------------------------------

    def event_store(self) -> EventStore:
        """The event store of this runtime's database and settings (the SendGrid webhook, inbound
        bounces and the click redirect hand it their events)."""
        runtime = self.runtime
        delivery = self.settings.delivery
        return EventStore(
            runtime.engine,
            suppressions=SubscriberSuppressions(
                SubscriberStore(runtime.engine, runtime.secrets.secret_key), runtime.notifier
            ),
            places=LedgerPlaces(),
            policy=BouncePolicy(delivery.soft_bounce_limit, delivery.soft_bounce_days),
            per_subscriber=self.settings.tracking.per_subscriber,
            articles=StoreArticleLinks(),
        )

    def click_tokens(self) -> ClickTokens:
        return ClickTokens(self.runtime.secrets.require_secret_key(), self.clock, self.settings.tracking.link_days)

    def click_redirect(self) -> ClickRedirect:
        """The ``/r/<token>`` redirect of ``[tracking] clicks``; its parts are made per request (no secret key
        is needed to start the site)."""
        runtime = self.runtime
        return ClickRedirect(
            self.click_tokens, lambda: ArticleStore(runtime.engine), self.event_store,
            site_url=self.settings.site.url, per_subscriber=self.settings.tracking.per_subscriber, clock=self.clock,
        )

    def inbound_processor(self) -> InboundProcessor:
        settings = self.settings
        secret_key = self.runtime.secrets.require_secret_key()
        bounce_address = settings.delivery.smtp.bounce_address
        bounces = VerpCodec(secret_key, bounce_address) if bounce_address else None
        unsubscribes = VerpCodec(secret_key, settings.delivery.unsubscribe_mailto, salt=UNSUBSCRIBE_SALT)
        events = self.event_store()
        # Mailed unsubscribes end one newsletter, applied by MailedUnsubscribes; the store keeps and counts them.
        events.policy = InboundPolicy(settings.delivery.soft_bounce_limit, settings.delivery.soft_bounce_days)
        unsubscriber = MailedUnsubscribes(self.subscription_service(), self.runtime.engine)
        return InboundProcessor(bounces, unsubscribes, events, self.clock, unsubscriber)

    def poll_inbound(self, *, ssl_context: ssl.SSLContext | None = None) -> InboundReport:
        """``syndication inbound`` and the scheduler's inbound job: poll ``[inbound] imap_url`` once."""
        secrets = self.runtime.secrets
        return poll_imap(self.settings.inbound, secrets.imap_username, secrets.imap_password,
                         self.inbound_processor(), ssl_context=ssl_context)

    def deliver_webhooks(self, client: httpx.Client | None = None) -> DeliveryReport:
        """Post the outgoing webhooks that are due (the scheduler job and ``syndication webhooks deliver``)."""
        runtime = self.runtime
        deliverer = WebhookDeliverer(
            runtime.engine, self.settings.webhooks, runtime.secrets.webhook_secrets, self.clock, client=client
        )
        return deliverer.deliver_due()


__all__ = ["App", "runtime_for", "with_outbox"]
