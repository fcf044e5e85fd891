"""The life of an edition across features: draft and freeze it (digest), write its archive page
(digest archive), send it to its subscribers (delivery over the subscriber store), tell the webhooks.

The CLI, the scheduler and the tests call these; none of the features they join imports another's
services for it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.exc import IntegrityError

from subscribers.segments import SegmentStore
from subscribers.store import SubscriberStore
from subscribers.subscriptions import in_zone_group
from subscribers.zones import canonical_zone
from syndication.app.adapters import StoreBounces
from syndication.app.publishing import public_writer
from syndication.config import NewsletterConfig, Settings
from syndication.config.newsletters import reader_zone_groups, split_slot_label
from syndication.delivery.backends import build_messenger
from syndication.delivery.brake import Brake
from syndication.delivery.ledger import Ledger
from syndication.delivery.send import SendReport, deliver, options_for
from syndication.delivery.statuses import RecipientStatus
from syndication.delivery.tables import delivery_recipients
from syndication.digest.archive import publish_archive
from syndication.digest.edition_store import (
    edition_articles,
    editions_on,
    get_edition,
    insert_edition,
    latest_edition,
)
from syndication.digest.editions import (
    SPECIAL,
    Edition,
    edition_id,
    special_edition_id,
    special_edition_name,
)
from syndication.digest.ordering import order_for_digest
from syndication.digest.personalize import EditionMailer
from syndication.errors import SyndicationError, UsageError
from syndication.events.brake import CounterBrake
from syndication.mail.base import Messenger
from syndication.runtime import Runtime
from syndication.store.articles import ArticleStore
from syndication.subscriber import Frequency, Subscriber

log = logging.getLogger(__name__)


def draft_edition(runtime: Runtime, edition_name: str) -> Edition | None:
    """What ``build_edition`` would freeze now, without storing it (for previews).

    The newsletter's selection (include, exclude) picks among the articles new since its previous edition.
    """
    settings = runtime.settings
    config = settings.edition(edition_name)
    now = runtime.clock.now()
    local_date = now.astimezone(settings.site.zone).date()
    previous = latest_edition(runtime.engine, edition_name)
    since = previous.watermark if previous else 0
    every = list(ArticleStore(runtime.engine).first_seen_after(since))
    new = [(seq, article) for seq, article in every if config.selects(
        article.categories, article.regions, article.author.name if article.author else None
    )]
    if not new:
        return None
    ordered = order_for_digest((article for _, article in new), settings.digest.category_priority)
    return Edition(
        id=edition_id(edition_name, local_date),
        name=edition_name,
        title=config.title,
        edition_date=local_date,
        built_at=now,
        article_ids=tuple(article.id for article in ordered[: config.max_articles]),
        previous_watermark=since,
        # Past every new article, chosen or not: what this newsletter left out is not looked at again.
        watermark=max(seq for seq, _ in every),
        new_article_count=len(new),
        newsletter=edition_name,
    )


def build_edition(runtime: Runtime, edition_name: str, *, publish: bool = True) -> Edition | None:
    """Freeze the next edition of ``edition_name`` and (``publish``) write its archive page.

    None when nothing is new since the previous edition, or when this (name, local date)
    already has its edition (building twice a day never duplicates). The archive page is
    written here so that every caller (CLI, scheduler) leaves a working view-in-browser
    link; a failure to write it is logged and does not undo the edition.
    """
    settings = runtime.settings
    engine = runtime.engine
    local_date = runtime.clock.now().astimezone(settings.site.zone).date()
    if get_edition(engine, edition_id(edition_name, local_date)) is not None:
        return None
    edition = draft_edition(runtime, edition_name)
    if edition is None:
        return None
    return _freeze(runtime, edition, publish=publish)


def _freeze(runtime: Runtime, edition: Edition, *, publish: bool) -> Edition | None:
    """Store ``edition`` with its ``edition.built`` event; None when its (name, date) exists already."""
    settings = runtime.settings
    engine = runtime.engine
    try:
        with engine.begin() as connection:
            insert_edition(connection, edition)
            # In the edition's own transaction: the event exists if and only if the edition does.
            runtime.notifier.notify(
                "edition.built",
                {"edition_id": edition.id, "name": edition.name, "edition_date": edition.edition_date.isoformat(),
                 "articles": len(edition.article_ids)},
                key=edition.id, connection=connection,
            )
    except IntegrityError:
        # Another process built the same (name, date) edition a moment ago.
        return None
    if publish:
        try:
            publish_archive(settings, runtime.engine, public_writer(settings), edition)
        except (OSError, SyndicationError) as exc:
            log.error("edition %s built, but its archive page was not written: %s", edition.id, exc)
    return edition


def build_special_edition(
    runtime: Runtime, newsletter_name: str, article_ids: Sequence[str], *, publish: bool = True
) -> Edition:
    """Freeze a special edition of ``newsletter_name`` from the chosen articles, in the order given.

    It is an edition of its own (kind ``special``, its own id and name), so the newsletter's regular
    editions keep their watermark and their one-a-day rule. UsageError when an article is unknown or
    not published.
    """
    settings = runtime.settings
    config = settings.newsletter(newsletter_name)
    chosen = list(dict.fromkeys(article_ids))
    if not chosen:
        raise UsageError("--articles: choose at least one article")
    found = {article.id: article for article in ArticleStore(runtime.engine).get_many(chosen)}
    missing = [article_id for article_id in chosen if article_id not in found or not found[article_id].is_published]
    if missing:
        raise UsageError("--articles: no published article %(missing)s", missing=', '.join(missing))
    now = runtime.clock.now()
    local = now.astimezone(settings.site.zone)
    edition = Edition(
        id=special_edition_id(config.name, local),
        name=special_edition_name(config.name, local),
        title=config.title,
        edition_date=local.date(),
        built_at=now,
        article_ids=tuple(chosen[: config.max_articles]),
        previous_watermark=0,
        watermark=0,
        new_article_count=len(chosen),
        newsletter=config.name,
        kind=SPECIAL,
    )
    frozen = _freeze(runtime, edition, publish=publish)
    if frozen is None:
        raise UsageError(
            "%(id)s: a special edition of %(name)s was built this very second; try again",
            id=edition.id,
            name=config.name,
        )
    return frozen


def complaint_brake(runtime: Runtime) -> Brake | None:
    """The brake of ``[delivery] complaint_brake``/``bounce_brake``, over the event counters; None when off."""
    delivery = runtime.settings.delivery
    if not delivery.complaint_brake and not delivery.bounce_brake:
        return None
    return CounterBrake(runtime.engine, complaint_brake=delivery.complaint_brake, bounce_brake=delivery.bounce_brake,
                        min_messages=delivery.brake_min_messages)


def send_edition(
    runtime: Runtime,
    edition_id: str,
    slot: str | None = None,
    *,
    dry_run: bool = False,
    progress: bool = False,
    resend_in_doubt: bool = False,
    stop: threading.Event | None = None,
    messenger: Messenger | None = None,
    echo: Callable[[str], None] = print,
    segment: str | None = None,
) -> SendReport:
    """Send edition ``edition_id`` to its newsletter's readers of ``slot`` (default: the first slot).

    Safe to call again at any time: what is sent is never sent again. ``stop`` (set by a
    signal handler) ends the run between batches. ``segment`` limits the send to a saved segment's
    readers (fixed when the run is planned).
    """
    settings = runtime.settings
    engine = runtime.engine
    edition = get_edition(engine, edition_id)
    if edition is None:
        raise UsageError("no edition %(edition_id)r has been built", edition_id=edition_id)
    edition_config = settings.edition(edition.newsletter_name)
    options = options_for(
        edition_config, settings.delivery, runtime.clock, edition.id, slot, brake=complaint_brake(runtime),
        progress=progress, resend_in_doubt=resend_in_doubt, stop=stop, echo=echo,
        lease=timedelta(seconds=settings.workers.lease_seconds),
    )
    received = {} if edition_config.repeat_articles else already_received(runtime, edition)
    mailer = EditionMailer(
        edition, edition_articles(engine, edition), settings, runtime.secrets.require_secret_key(), runtime.clock,
        slot=options.slot, received=received,
    )
    store = SubscriberStore(engine, runtime.secrets.require_secret_key())
    condition = None
    if segment is not None:
        condition = SegmentStore(engine).get(segment).conditions.condition(runtime.clock.now())
    # A special edition goes to every reader at once, whatever their slot.
    source = NewsletterRecipients(store, edition_config, condition=condition, every_slot=edition.special,
                                  site_zone=settings.site.timezone)
    owns_messenger = messenger is None
    messenger = messenger or build_messenger(newsletter_settings(settings, edition_config), runtime.secrets,
                                             clock=runtime.clock)
    try:
        report = deliver(Ledger(engine), mailer, source, messenger, options, dry_run=dry_run,
                         bounces=StoreBounces(store, runtime.notifier))
    finally:
        if owns_messenger:
            messenger.close()
    if report.sent_now and not (report.pending or report.in_doubt or report.busy):
        # Queued only (the webhooks are posted elsewhere); keyed, so a rerun is the same event.
        runtime.notifier.notify(
            "edition.sent",
            {"edition_id": report.edition_id, "slot": report.slot, "sent": report.sent, "failed": report.failed,
             "skipped": report.skipped, "bounced": report.bounced},
            key=f"{report.edition_id}:{report.slot}",
        )
    if report.paused:
        # Keyed: asking a paused run again is the same fact, one event.
        runtime.notifier.notify(
            "edition.paused",
            {"edition_id": report.edition_id, "slot": report.slot, "reason": report.paused, "sent": report.sent,
             "pending": report.pending},
            key=f"{report.edition_id}:{report.slot}:paused",
        )
    return report


def send_special(
    runtime: Runtime, newsletter_name: str, article_ids: Sequence[str], *, segment: str | None = None,
    messenger: Messenger | None = None, echo: Callable[[str], None] = print, progress: bool = False,
) -> tuple[Edition, SendReport]:
    """``digest special``: build a special edition from the chosen articles and send it now, through the ledger."""
    if segment is not None:
        SegmentStore(runtime.engine).get(segment)  # an unknown segment fails before anything is built
    edition = build_special_edition(runtime, newsletter_name, article_ids)
    report = send_edition(runtime, edition.id, None, segment=segment, messenger=messenger, echo=echo,
                          progress=progress)
    return edition, report


class NewsletterRecipients:
    """Delivery's ``RecipientsSource``: the newsletter's readers (subscribed, active, not suppressed).

    ``condition`` (a segment's) narrows them; ``every_slot`` takes every reader whatever their slot.
    A slot labelled with a zone (``"06:00 Asia/Tokyo"``) takes that zone's readers; with ``slot_zone =
    "reader"`` the plain slot takes the site's zone's (``site_zone``): those with no other valid zone.
    Re-checked before each batch: a reader who left the newsletter since planning is skipped.
    """

    def __init__(
        self, store: SubscriberStore, newsletter: NewsletterConfig, *, condition: Any = None,
        every_slot: bool = False, site_zone: str = "Europe/Berlin",
    ) -> None:
        self.store = store
        self.newsletter = newsletter
        self.condition = condition
        self.every_slot = every_slot
        self.site_zone = site_zone

    def iter_active(
        self, frequency: Frequency, slot: str | None, first_slot: str, batch_size: int
    ) -> Iterator[list[Subscriber]]:
        condition = self.condition
        if slot is not None and not self.every_slot:
            slot, zone = split_slot_label(slot)
            if zone is not None or self.newsletter.in_reader_zones:
                # Zones under their current IANA names, as the scheduler keys them; each alias readers stored
                # ("Asia/Calcutta", "Europe/Berlin ") goes with the zone it names.
                stored = self.store.reader_zones(self.newsletter.audience)
                site = canonical_zone(self.site_zone) or self.site_zone
                zones = reader_zone_groups(site, [canonical_zone(name) for name in stored])
                zone = canonical_zone(zone)
                in_group = in_zone_group(None if zone == site else zone, [name for name in zones if name is not None],
                                         stored)
                condition = in_group if condition is None else and_(condition, in_group)
        return self.store.iter_readers(
            self.newsletter.audience, None if self.every_slot else slot, first_slot, batch_size,
            slots=self.newsletter.slots, condition=condition,
        )

    def receivable(self, subscriber_ids: Sequence[int]) -> Mapping[int, Subscriber]:
        return self.store.readers_among(subscriber_ids, self.newsletter.audience)


def newsletter_settings(settings: Settings, newsletter: NewsletterConfig) -> Settings:
    """``settings`` with the newsletter's sender as ``[delivery]``'s From (the messenger's sender)."""
    if not (newsletter.sender_email or newsletter.sender_name):
        return settings
    delivery = settings.delivery.model_copy(update={
        "from_email": newsletter.sender_email or settings.delivery.from_email,
        "from_name": newsletter.sender_name or settings.delivery.from_name,
    })
    return settings.model_copy(update={"delivery": delivery})


# Ledger states in which a reader has (or is about to have) the message.
_RECEIVED = [RecipientStatus.PENDING.value, RecipientStatus.SENT.value, RecipientStatus.IN_DOUBT.value]


def already_received(runtime: Runtime, edition: Edition) -> dict[int, frozenset[str]]:
    """Which of ``edition``'s articles each reader got today from another edition, by subscriber id.

    For a special edition, from any other edition of the day; for a regular one, from the day's special
    editions (so the special does not come again in the next regular edition). Only editions that share
    articles with this one are read.
    """
    ours = set(edition.article_ids)
    sharing = {
        other.id: frozenset(other.article_ids) & ours
        for other in editions_on(runtime.engine, edition.edition_date)
        if other.id != edition.id and (edition.special or other.special) and ours & set(other.article_ids)
    }
    if not sharing:
        return {}
    received: dict[int, frozenset[str]] = {}
    query = select(delivery_recipients.c.edition_id, delivery_recipients.c.subscriber_id).where(
        delivery_recipients.c.edition_id.in_(list(sharing)), delivery_recipients.c.status.in_(_RECEIVED)
    )
    with runtime.engine.connect() as connection:
        for row in connection.execute(query):
            received[row.subscriber_id] = received.get(row.subscriber_id, frozenset()) | sharing[row.edition_id]
    return received
