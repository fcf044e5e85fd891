"""The life of an edition across features: draft and freeze it (digest), write its archive page
(digest archive), send it to its subscribers (delivery over the subscriber store), tell the webhooks.

The CLI, the scheduler and the tests call these; none of the features they join imports another's
services for it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy.exc import IntegrityError

from subscribers.store import SubscriberStore
from syndication.app.adapters import StoreBounces, StoreRecipients
from syndication.app.publishing import public_writer
from syndication.delivery.backends import build_messenger
from syndication.delivery.brake import Brake
from syndication.delivery.ledger import Ledger
from syndication.delivery.send import SendReport, deliver, options_for
from syndication.digest.archive import publish_archive
from syndication.digest.edition_store import edition_articles, get_edition, insert_edition, latest_edition
from syndication.digest.editions import Edition, edition_id
from syndication.digest.ordering import order_for_digest
from syndication.digest.personalize import EditionMailer
from syndication.errors import SyndicationError, UsageError
from syndication.events.brake import CounterBrake
from syndication.mail.base import Messenger
from syndication.runtime import Runtime
from syndication.store.articles import ArticleStore

log = logging.getLogger(__name__)


def draft_edition(runtime: Runtime, edition_name: str) -> Edition | None:
    """What ``build_edition`` would freeze now, without storing it (for previews)."""
    settings = runtime.settings
    config = settings.edition(edition_name)
    now = runtime.clock.now()
    local_date = now.astimezone(settings.site.zone).date()
    previous = latest_edition(runtime.engine, edition_name)
    since = previous.watermark if previous else 0
    new = list(ArticleStore(runtime.engine).first_seen_after(since))
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
        watermark=max(seq for seq, _ in new),
        new_article_count=len(new),
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
) -> SendReport:
    """Send edition ``edition_id`` to the subscribers of ``slot`` (default: the edition's first slot).

    Safe to call again at any time: what is sent is never sent again. ``stop`` (set by a
    signal handler) ends the run between batches.
    """
    settings = runtime.settings
    engine = runtime.engine
    edition = get_edition(engine, edition_id)
    if edition is None:
        raise UsageError(f"no edition {edition_id!r} has been built")
    edition_config = settings.edition(edition.name)
    options = options_for(
        edition_config, settings.delivery, runtime.clock, edition.id, slot, brake=complaint_brake(runtime),
        progress=progress, resend_in_doubt=resend_in_doubt, stop=stop, echo=echo,
        lease=timedelta(seconds=settings.workers.lease_seconds),
    )
    mailer = EditionMailer(
        edition, edition_articles(engine, edition), settings, runtime.secrets.require_secret_key(), runtime.clock,
        slot=options.slot,
    )
    store = SubscriberStore(engine, runtime.secrets.require_secret_key())
    source = StoreRecipients(store, edition_config.slots)
    owns_messenger = messenger is None
    messenger = messenger or build_messenger(settings, runtime.secrets, clock=runtime.clock)
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
