"""What the pages and the CLI do with subscribers: sign-up, confirmation, preferences, unsubscribe.

HTTP-free, so that routes stay thin and the CLI shares the same rules. Mails are described by
:class:`Outgoing` and sent by :meth:`SubscriptionService.deliver`, so the web layer can send
them after the answer has gone out (the answer must not reveal whether a mail was sent).

Depends on the core only. What it needs of other features (rendering and sending a mail, the send
ledger's copy of an address, the signed ``mailto:`` unsubscribe address, the topics of published
articles) it declares below as Protocols; the composition root (``syndication.app``) plugs them in.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

from subscribers.model import ConsentRecord, Frequency, Subscriber, SubscriberStatus
from subscribers.store import FORGOTTEN, UNCHANGED, AlreadySubscribed, SubscriberStore, _Unchanged
from subscribers.subscriptions import SubscriptionStatus
from syndication.clock import Clock
from syndication.config import EditionConfig, SiteConfig, SubscribersConfig
from syndication.config.newsletters import known_zone
from syndication.errors import SyndicationError
from syndication.i18n import N_
from syndication.mail.addresses import normalise_email
from syndication.notify import NoNotifier, Notifier
from syndication.redact import redact
from syndication.tokens import Purpose, TokenClaims, TokenInvalid, TokenSigner

log = logging.getLogger(__name__)

# A repeated sign-up of one address mails it at most once in this interval.
RESEND_INTERVAL = timedelta(minutes=10)

# msgids: pages and mails show them in their language (syndication.i18n).
FREQUENCY_LABELS = {Frequency.DAILY: N_("daily"), Frequency.WEEKLY: N_("once a week")}


@dataclass(frozen=True)
class Outgoing:
    """A transactional mail to send: template name (confirm/welcome), its context, the subscriber."""

    template: str
    subscriber_id: int
    email: str
    name: str | None
    context: dict[str, Any] = field(default_factory=dict)
    # Headers of this mail (List-Unsubscribe for mails to subscribed addresses).
    headers: Mapping[str, str] = field(default_factory=dict)
    # The reader's language (their sign-up page's); empty: the site's.
    language: str = ""


@dataclass(frozen=True)
class Consent:
    """Where a consent step came from."""

    form: str
    ip: str | None = None
    user_agent: str | None = None


class TransactionalMail(Protocol):
    """Renders and sends one transactional mail now (the real one: the digest templates and a delivery backend).

    Raises SyndicationError when the mail could not be sent.
    """

    def send(self, outgoing: Outgoing) -> None: ...


class DeliveryRecords(Protocol):
    """Where delivery keeps addresses besides the subscriber list (the send ledger, the outbox)."""

    def erase(self, subscriber_id: int | None, email: str) -> None:
        """Take ``email`` (and the rows of ``subscriber_id``) out of them."""
        ...


class ListUnsubscribe(Protocol):
    """The signed ``mailto:`` of the List-Unsubscribe header (``syndication inbound`` reads it back)."""

    def mailto(self, subscriber_id: int) -> str: ...


class ArticleTopics(Protocol):
    """The topics readers can choose from when none are configured (the real one: the article store)."""

    def published_topics(self) -> tuple[set[str], set[str]]:
        """(categories, regions) named by published articles."""
        ...


def edition_slots(editions: Sequence[EditionConfig], frequency: Frequency) -> tuple[str, ...]:
    """The send times offered for ``frequency`` (those of the first edition of that frequency)."""
    for edition in editions:
        if edition.frequency == frequency.value:
            return tuple(edition.slots)
    return ()


def offers_reader_zones(editions: Sequence[EditionConfig]) -> bool:
    """Whether a reader's own zone matters: some newsletter sends its slots on the reader's clock. Only then
    do the pages ask for it (and the sign-up keep the browser's): elsewhere it would change nothing."""
    return any(getattr(config, "in_reader_zones", False) for config in editions)


class SubscriptionService:
    def __init__(
        self,
        store: SubscriberStore,
        signer: TokenSigner,
        *,
        site: SiteConfig,
        config: SubscribersConfig,
        editions: Sequence[EditionConfig],
        clock: Clock,
        topics: ArticleTopics,
        mail: TransactionalMail,
        delivery_records: DeliveryRecords,
        list_unsubscribe: ListUnsubscribe,
        notifier: Notifier | None = None,
    ) -> None:
        self.store = store
        self.signer = signer
        self.site = site
        self.config = config
        self.editions = tuple(editions)
        self.clock = clock
        self.topics = topics
        self.mail = mail
        self.delivery_records = delivery_records
        self.list_unsubscribe = list_unsubscribe
        self.notifier = notifier or NoNotifier()

    # -- what a reader may choose --------------------------------------------------

    def known_topics(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(categories, regions) a reader may choose; config's ``[subscribers] topics`` wins when set."""
        if self.config.topics:
            return tuple(self.config.topics), ()
        categories, regions = self.topics.published_topics()
        return tuple(sorted(categories, key=str.casefold)), tuple(sorted(regions - categories, key=str.casefold))

    def edition_slots(self, frequency: Frequency) -> tuple[str, ...]:
        return edition_slots(self.editions, frequency)

    def offers_reader_zones(self) -> bool:
        return offers_reader_zones(self.editions)

    # -- links -------------------------------------------------------------------

    def url(self, path: str, purpose: Purpose, subscriber: Subscriber) -> str:
        token = self.signer.make(purpose, subscriber.id, subscriber.email)
        return f"{self.site.url.rstrip('/')}{path}?token={token}"

    def links(self, subscriber: Subscriber) -> dict[str, str]:
        return {
            "confirm_url": self.url("/confirm", Purpose.CONFIRM, subscriber),
            "preferences_url": self.url("/preferences", Purpose.PREFERENCES, subscriber),
            "unsubscribe_url": self.url("/unsubscribe", Purpose.UNSUBSCRIBE, subscriber),
        }

    def subscriber_for(self, purpose: Purpose, token: str) -> tuple[Subscriber, TokenClaims]:
        """The subscriber a link token belongs to; TokenInvalid if it is bad or the address changed."""
        claims = self.signer.read(purpose, token or "")
        subscriber = self.store.get(claims.subscriber_id)
        if subscriber is None or not claims.matches(subscriber.email):
            raise TokenInvalid("invalid")
        return subscriber, claims

    # -- sign-up -----------------------------------------------------------------

    def clean_topics(self, chosen: Iterable[str]) -> tuple[str, ...]:
        categories, regions = self.known_topics()
        allowed = set(categories) | set(regions)
        return tuple(topic for topic in dict.fromkeys(chosen) if topic in allowed)

    def clean_slot(self, frequency: Frequency, slot: str | None) -> str | None:
        """The slot if the edition of ``frequency`` offers it; the first slot is stored as None."""
        slots = self.edition_slots(frequency)
        if not slot or slot not in slots or slot == slots[0]:
            return None
        return slot

    def request(
        self,
        email: str,
        *,
        topics: Sequence[str],
        frequency: Frequency,
        consent: Consent,
        name: str | None = None,
        newsletters: Sequence[str] | None = None,
        language: str | None = None,
        timezone: str | None = None,
    ) -> Outgoing | None:
        """A sign-up: store or refresh a pending subscriber; the mail to send, if any.

        ``language``: the reader's (the sign-up page's), kept for their mails; None: the site's.
        ``timezone``: the zone the reader's browser reported, kept while some newsletter sends on the reader's
        clock; one that names no zone here is dropped (the reader typed nothing: the site's zone then applies,
        and the preferences page can set it).

        Whatever the address's state, the caller answers the same. An active address is not
        changed (anybody can type it in) but gets a reminder with its preferences link, or, when it
        asks for a newsletter it does not get yet, a confirmation link for that one (each newsletter
        has its own opt-in). ``newsletters`` None: the scheduled newsletters of ``frequency``.
        """
        address = normalise_email(email)
        now = self.clock.now()
        zone = timezone.strip() if timezone and known_zone(timezone) and self.offers_reader_zones() else None
        names = self.clean_newsletters(newsletters) if newsletters is not None else self.default_newsletters(frequency)
        subscriber = self.store.get_by_email(address)
        if subscriber is None:
            try:
                subscriber = self.store.add(
                    address,
                    now=now,
                    frequency=frequency,
                    topics=topics,
                    name=name,
                    language=language or self.site.language,
                    timezone=zone,
                    # A forgotten address may come back only this way: by confirming again.
                    allow_suppressed=True,
                    newsletters=names,
                )
            except AlreadySubscribed:
                subscriber = self.store.get_by_email(address)
                if subscriber is None:
                    return None
        elif subscriber.status != SubscriberStatus.ACTIVE:
            subscriber = self.store.update_preferences(
                subscriber.id, topics=topics, frequency=frequency, name=name or subscriber.name,
                timezone=zone or subscriber.timezone,
            ) or subscriber
        asked = [name for name in names if self.store.subscriptions(subscriber.id).get(name)
                 != SubscriptionStatus.ACTIVE]
        if asked:
            self.store.subscribe(subscriber.id, asked, now=now, status=SubscriptionStatus.PENDING)
        if subscriber.status != SubscriberStatus.ACTIVE or asked:
            for record in self._consents(subscriber.id, "requested", consent, asked or [None]):
                self.store.record_consent(record)
        last = self.store.link_sent(subscriber.id)
        if last is not None and now - last < RESEND_INTERVAL:
            log.info("sign-up for subscriber %s: link sent recently, not again", subscriber.id)
            return None
        self.store.mark_link_sent(subscriber.id, now)
        if subscriber.status == SubscriberStatus.ACTIVE and not asked:
            return self._welcome(subscriber, again=True)
        # The name is whatever the (anonymous) form said: it goes into no mail, not even the
        # To header, before the owner of the address confirmed, so the form cannot carry a
        # stranger's text or links to any address.
        # No List-Unsubscribe either: the address is on no list yet, so there is nothing to
        # unsubscribe from. RFC 8058 one-click is for list mail (RFC 2369), and mailbox
        # providers that follow the link or POST to it automatically would then act on a
        # mere request; an unconfirmed sign-up simply lapses (purge-pending) if ignored.
        return Outgoing(
            template="confirm",
            subscriber_id=subscriber.id,
            email=subscriber.email,
            name=None,
            language=subscriber.language,
            context={
                "confirm_url": self.url("/confirm", Purpose.CONFIRM, subscriber),
                "expiry_hours": self.config.confirm_expiry_hours,
                "name": None,
            },
        )

    def _consent(
        self, subscriber_id: int, action: str, consent: Consent, newsletter: str | None = None
    ) -> ConsentRecord:
        return ConsentRecord(
            subscriber_id=subscriber_id,
            action=action,
            recorded_at=self.clock.now(),
            form=consent.form,
            wording_version=self.config.consent_wording_version,
            ip=consent.ip,
            user_agent=consent.user_agent,
            newsletter=newsletter,
        )

    def _consents(
        self, subscriber_id: int, action: str, consent: Consent, newsletters: Sequence[str | None]
    ) -> list[ConsentRecord]:
        """One consent step per newsletter (each has its own record)."""
        return [self._consent(subscriber_id, action, consent, name) for name in newsletters]

    def confirm(self, token: str, consent: Consent) -> tuple[Subscriber, Outgoing | None]:
        """Activate the subscriber of a confirmation link; the welcome mail on first confirmation."""
        subscriber, claims = self.subscriber_for(Purpose.CONFIRM, token)
        if subscriber.status == SubscriberStatus.ACTIVE:
            # A newsletter asked for by an active reader is confirmed by its own link.
            added = self.store.confirm_subscriptions(subscriber.id, self.clock.now())
            for record in self._consents(subscriber.id, "confirmed", consent, added):
                self.store.record_consent(record)
            return subscriber, (self._welcome(subscriber, again=False) if added else None)
        # A link from before an unsubscribe must not undo it: consent is given anew or not at all.
        if subscriber.unsubscribed and claims.issued and claims.issued < subscriber.unsubscribed.replace(microsecond=0):
            raise TokenInvalid("expired")
        now = self.clock.now()
        if self.store.suppression_reason(subscriber.email) is not None:
            # The owner proved control of the mailbox and asked again: bounce, complaint or
            # erasure no longer stand in the way.
            self.store.lift_suppression(subscriber.email)
        activated = self.store.set_status(subscriber.id, SubscriberStatus.ACTIVE, now=now) or subscriber
        added = self.store.confirm_subscriptions(subscriber.id, now)
        for record in self._consents(subscriber.id, "confirmed", consent, added or [None]):
            self.store.record_consent(record)
        log.info("subscriber %s confirmed", subscriber.id)
        self.notifier.notify(
            "subscriber.confirmed", {"subscriber_id": subscriber.id, "email": activated.email}
        )
        return activated, self._welcome(activated, again=False)

    def unsubscribe_headers(self, unsubscribe_url: str, subscriber_id: int) -> dict[str, str]:
        """RFC 2369 and RFC 8058 headers for a mail to a subscribed address, as digests carry them."""
        signed_mailto = self.list_unsubscribe.mailto(subscriber_id)
        return {
            # The HTTPS URI accepts a POST of exactly "List-Unsubscribe=One-Click" (see routes); the
            # mailto subject carries the subscriber's signed id (`syndication inbound` acts on it).
            "List-Unsubscribe": f"<{unsubscribe_url}>, <{signed_mailto}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }

    def _welcome(self, subscriber: Subscriber, *, again: bool) -> Outgoing:
        links = self.links(subscriber)
        slot = subscriber.slot or (self.edition_slots(subscriber.frequency) or (None,))[0]
        return Outgoing(
            template="welcome",
            subscriber_id=subscriber.id,
            email=subscriber.email,
            name=subscriber.name,
            language=subscriber.language,
            headers=self.unsubscribe_headers(links["unsubscribe_url"], subscriber.id),
            context={
                "name": subscriber.name,
                "again": again,
                "frequency_label": FREQUENCY_LABELS[subscriber.frequency],
                "topics": list(subscriber.topics),
                "slot": slot,
                "preferences_url": links["preferences_url"],
                "unsubscribe_url": links["unsubscribe_url"],
                "newsletters": [self.newsletter_title(name) for name in self.store.active_newsletters(subscriber.id)],
            },
        )

    # -- changes -----------------------------------------------------------------

    def save_preferences(
        self,
        subscriber: Subscriber,
        *,
        topics: Sequence[str],
        frequency: Frequency,
        name: str | None,
        slot: str | None,
        newsletters: Sequence[str] | None = None,
        consent: Consent | None = None,
        timezone: str | _Unchanged | None = UNCHANGED,
    ) -> Subscriber:
        """Save what the reader chose on the preferences page (reached by a signed link: the reader controls
        the mailbox). ``newsletters`` None leaves the subscriptions as they are; else exactly these are
        subscribed (each newly chosen one gets its consent record). ``timezone``: an IANA name or empty (the
        site's zone); InputError for a name of no zone, before anything is saved."""
        updated = self.store.update_preferences(
            subscriber.id,
            topics=self.clean_topics(topics),
            frequency=frequency,
            name=name,
            slot=self.clean_slot(frequency, slot),
            timezone=timezone,
        )
        if newsletters is not None and subscriber.status == SubscriberStatus.ACTIVE:
            now = self.clock.now()
            chosen = self.clean_newsletters(newsletters)
            current = set(self.store.active_newsletters(subscriber.id))
            known = {config.name for config in self.editions}
            self.store.end_subscriptions(
                subscriber.id, now=now, reason="preferences", newsletters=sorted((current & known) - set(chosen))
            )
            added = self.store.subscribe(subscriber.id, chosen, now=now, status=SubscriptionStatus.ACTIVE)
            for record in self._consents(subscriber.id, "preferences", consent or Consent(form="web:/preferences"),
                                         added):
                self.store.record_consent(record)
        log.info("subscriber %s changed preferences", subscriber.id)
        return updated or subscriber

    # -- newsletters ---------------------------------------------------------------

    def offered_newsletters(self) -> list[tuple[str, str, str]]:
        """(name, title, description) of every newsletter a reader may choose."""
        return [(config.name, config.title, getattr(config, "description", "")) for config in self.editions]

    def newsletter_title(self, name: str) -> str:
        for config in self.editions:
            if config.name == name:
                return config.title
        return name

    def clean_newsletters(self, chosen: Iterable[str]) -> list[str]:
        """The configured newsletters among ``chosen`` (unknown names are dropped)."""
        known = {config.name for config in self.editions}
        return [name for name in dict.fromkeys(chosen) if name in known]

    def default_newsletters(self, frequency: Frequency) -> list[str]:
        """What a sign-up without a choice of newsletters gets: the scheduled newsletters of ``frequency``."""
        return [config.name for config in self.editions
                if config.frequency == frequency.value and getattr(config, "scheduled", True)]

    def audience_of(self, newsletter: str) -> tuple[str, ...]:
        """The subscription names that bring ``newsletter`` (its own and its ``readers_of``)."""
        for config in self.editions:
            if config.name == newsletter:
                return tuple(getattr(config, "audience", (newsletter,)))
        return (newsletter,)

    def leave(self, subscriber: Subscriber, newsletter: str, reason: str) -> Subscriber:
        """End one newsletter (its ``List-Unsubscribe``); the others stay. Idempotent."""
        ended = self.store.end_subscriptions(
            subscriber.id, now=self.clock.now(), reason=reason, newsletters=self.audience_of(newsletter)
        )
        if ended:
            log.info("subscriber %s left newsletter %s (%s)", subscriber.id, newsletter, reason)
        return subscriber

    def unsubscribe(self, subscriber: Subscriber, reason: str, newsletter: str | None = None) -> Subscriber:
        """Unsubscribe from ``newsletter``, or (None) from everything (idempotent: a second click changes
        nothing and still succeeds)."""
        if newsletter is not None and newsletter in {config.name for config in self.editions}:
            return self.leave(subscriber, newsletter, reason)
        # No newsletter, or one not configured (any more): the reader wanted out, so out of everything.
        if subscriber.status in (SubscriberStatus.ACTIVE, SubscriberStatus.PENDING):
            subscriber = (
                self.store.set_status(
                    subscriber.id, SubscriberStatus.UNSUBSCRIBED, now=self.clock.now(), reason=reason
                )
                or subscriber
            )
            log.info("subscriber %s unsubscribed (%s)", subscriber.id, reason)
            self.notifier.notify(
                "subscriber.unsubscribed", {"subscriber_id": subscriber.id, "email": subscriber.email, "reason": reason}
            )
        return subscriber

    def forget(self, email: str) -> bool:
        """GDPR erasure of ``email`` everywhere: subscriber, consent trail, send ledger, outbox.

        Only the keyed hash stays (it keeps the address suppressed). Deleted rows are then
        scrubbed from the SQLite files. Logs name the subscriber id, never the address.
        Returns whether a subscriber was found.
        """
        address = normalise_email(email)
        subscriber_id = self.store.erase(address, now=self.clock.now())
        self.delivery_records.erase(subscriber_id, address)
        if subscriber_id is not None:
            # The id alone; the webhooks' outbox also takes the address out of the subscriber's earlier
            # events. Before the scrub, so that no old copy of those rows stays in the database file.
            self.notifier.notify("subscriber.erased", {"subscriber_id": subscriber_id})
        if not self.store.scrub_deleted():
            log.warning("erasure: the database log could not be emptied while another process reads it; "
                        "run forget again when nothing else uses the database")
        log.info("subscriber %s erased", subscriber_id if subscriber_id is not None else "(none)")
        return subscriber_id is not None

    # -- mail --------------------------------------------------------------------

    def deliver(self, outgoing: Outgoing) -> bool:
        """Render and send one transactional mail; a failure is logged (without the address), not raised."""
        try:
            self.mail.send(outgoing)
        except SyndicationError as exc:
            # Provider messages may quote addresses; none may reach the log.
            reason = redact(str(exc))
            log.error("%s mail to subscriber %s not sent: %s", outgoing.template, outgoing.subscriber_id, reason)
            return False
        return True


__all__ = [
    "FORGOTTEN", "ArticleTopics", "Consent", "DeliveryRecords", "ListUnsubscribe", "Outgoing", "SubscriptionService",
    "TransactionalMail", "edition_slots",
]
