"""`syndication subscribers add|list|import|export|remove|forget|seed-demo`."""

from __future__ import annotations

import json
import sys
from datetime import datetime, timedelta
from pathlib import Path

import click

from subscribers.exporter import export_csv
from subscribers.importer import import_csv
from subscribers.model import ConsentRecord, Frequency, SubscriberStatus
from subscribers.segments import SegmentConditions, SegmentStore
from subscribers.service import Consent, SubscriptionService
from subscribers.store import SubscriberStore
from syndication.app import App
from syndication.cli.progress import Progress, no_progress, progress_bar, progress_option
from syndication.cli.words import WholeNumber, _, ngettext, number, problem, value
from syndication.errors import EXIT_OK, EXIT_SOME_FAILED, InputError, UsageError
from syndication.runtime import Runtime


@click.group("subscribers")
def subscribers_group() -> None:
    """Newsletter subscribers: add, list, import, export, remove, erase."""


def _topics(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(t.strip() for value in values for t in value.replace("|", ",").split(",") if t.strip())


@subscribers_group.command("add")
@click.argument("email")
@click.option("--topics", multiple=True, help="Categories/regions (repeat or separate with commas); none = all.")
@click.option("--frequency", type=click.Choice(["daily", "weekly"]), default="daily", show_default=True)
@click.option("--name", default=None, help="Name for the greeting.")
@click.option("--slot", default=None, help="Send time of the edition (HH:MM); default: its first slot.")
@click.option("--timezone", default=None, metavar="ZONE",
              help="The reader's IANA time zone (America/New_York) for slot_zone = \"reader\"; default: the site's.")
@click.option("--confirmed", is_flag=True, help="Consent is already given: add as active, no confirmation mail.")
@click.option("--newsletter", "newsletters", multiple=True, metavar="NAME",
              help="Subscribe to this newsletter (repeat for several); default: the newsletters of --frequency.")
@click.pass_obj
def add(
    runtime: Runtime, email: str, topics: tuple[str, ...], frequency: str, name: str | None, slot: str | None,
    confirmed: bool, newsletters: tuple[str, ...], timezone: str | None,
) -> int:
    """Add EMAIL. Without --confirmed it is pending and gets a confirmation mail (double opt-in)."""
    service = App(runtime).subscription_service()
    store = service.store
    for newsletter in newsletters:
        runtime.settings.newsletter(newsletter)  # an unknown name names the configured ones
    chosen = Frequency(frequency)
    names = list(dict.fromkeys(newsletters)) or service.default_newsletters(chosen)
    offered = service.edition_slots(chosen)
    if slot is not None and slot not in offered:
        raise UsageError(_("--slot %(slot)s: the %(frequency)s edition sends at %(times)s", slot=slot,
                           frequency=frequency, times=", ".join(offered) or _("no time")))
    now = runtime.clock.now()
    subscriber = store.add(
        email,
        now=now,
        status=SubscriberStatus.ACTIVE if confirmed else SubscriberStatus.PENDING,
        frequency=chosen,
        topics=_topics(topics),
        name=name,
        slot=service.clean_slot(chosen, slot),
        language=runtime.settings.site.language,
        newsletters=names,
        timezone=timezone,
    )
    if confirmed:
        for newsletter in names or [None]:
            store.record_consent(
                ConsentRecord(
                    subscriber_id=subscriber.id,
                    action="added",
                    recorded_at=now,
                    form="cli:add --confirmed",
                    wording_version=runtime.settings.subscribers.consent_wording_version,
                    newsletter=newsletter,
                )
            )
        click.echo(_("added subscriber %(id)s (%(email)s) as active; newsletters: %(newsletters)s", id=subscriber.id,
                     email=subscriber.email, newsletters=", ".join(names) or _("(none)")))
        return EXIT_OK
    outgoing = service.request(
        subscriber.email, topics=subscriber.topics, frequency=chosen, consent=Consent(form="cli:add"), name=name,
        newsletters=names,
    )
    sent = service.deliver(outgoing) if outgoing else False
    added = {"id": subscriber.id, "email": subscriber.email}
    if sent:
        click.echo(_("added subscriber %(id)s (%(email)s) as pending; confirmation mail sent", **added))
    else:
        click.echo(_("added subscriber %(id)s (%(email)s) as pending; confirmation mail NOT sent (see log)", **added))
    return EXIT_OK if sent else EXIT_SOME_FAILED


@subscribers_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON array of objects.")
@click.option(
    "--status",
    type=click.Choice(["pending", "active", "unsubscribed", "bounced", "complained"]),
    default=None,
    help="Only subscribers with this status.",
)
@click.pass_obj
def list_subscribers(runtime: Runtime, as_json: bool, status: str | None) -> int:
    """List subscribers (email, status, frequency, topics)."""
    store = SubscriberStore(runtime.engine)
    wanted = SubscriberStatus(status) if status else None
    if as_json:
        out = sys.stdout
        out.write("[")
        first = True
        for batch in store.iter_all(status=wanted):
            subscribed = store.subscriptions_of([s.id for s in batch])
            for s in batch:
                item = {
                    "id": s.id,
                    "email": s.email,
                    "status": s.status.value,
                    "frequency": s.frequency.value,
                    "topics": list(s.topics),
                    "name": s.name,
                    "slot": s.slot,
                    "timezone": s.timezone,
                    # Newsletter → pending | active | unsubscribed.
                    "newsletters": {name: state.value for name, state in subscribed.get(s.id, {}).items()},
                }
                out.write(("\n  " if first else ",\n  ") + json.dumps(item, ensure_ascii=False))
                first = False
        out.write("\n]\n" if not first else "]\n")
        return EXIT_OK
    count = 0
    for batch in store.iter_all(status=wanted):
        for s in batch:
            topics = ", ".join(s.topics) or _("(all)")
            click.echo(f"{s.id}\t{s.email}\t{value(s.status.value)}\t{value(s.frequency.value)}\t{topics}")
            count += 1
    click.echo(ngettext("%(num)s subscriber", "%(num)s subscribers", count), err=True)
    return EXIT_OK


@subscribers_group.command("import")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--consented", is_flag=True, help="Every row has given provable consent: import as active.")
@progress_option
@click.pass_obj
def import_subscribers(runtime: Runtime, file: Path, consented: bool, progress: bool) -> int:
    """Import FILE.csv (columns email/e-mail/E-Mail-Adresse, name, topics with ; or |, frequency, newsletters).

    A file from `subscribers export` keeps status, consent step, slot and timestamps.
    Without --consented, new addresses without a consent step of their own are pending and
    each gets a confirmation mail. Addresses already in the list are left as they are;
    erased, bounced and complained addresses are refused. Every rejected row is listed with
    its line number; exit code 1 if any was rejected.
    """
    service = App(runtime).subscription_service()
    with progress_bar(_("import"), _("lines"), enabled=progress) as advance:
        report = import_csv(
            service.store,
            file,
            now=runtime.clock.now(),
            consented=consented,
            wording_version=runtime.settings.subscribers.consent_wording_version,
            progress=advance,
            newsletters=[newsletter.name for newsletter in runtime.settings.all_newsletters],
        )
    for rejected in report.rejected:
        click.echo(f"{file}:{rejected.line}: {problem(rejected)}", err=True)
    with progress_bar(_("confirmation mails"), _("mails"), enabled=progress and bool(report.pending)) as advance:
        mails_failed = _send_confirmations(service, file, report.pending, advance)
    counts = {"file": file, "imported": number(report.imported), "present": number(report.already_present),
              "rejected": number(len(report.rejected))}
    if consented:
        line = _("%(file)s: %(imported)s imported (active), %(present)s already present, %(rejected)s rejected",
                 **counts)
    else:
        line = _("%(file)s: %(imported)s imported (pending), %(present)s already present, %(rejected)s rejected",
                 **counts)
    if mails_failed:
        line += ", " + ngettext("%(num)s confirmation mail not sent", "%(num)s confirmation mails not sent",
                                mails_failed)
    click.echo(line)
    return EXIT_SOME_FAILED if report.rejected or mails_failed else EXIT_OK


def _send_confirmations(
    service: SubscriptionService, file: Path, emails: tuple[str, ...], progress: Progress = no_progress
) -> int:
    """Mail a confirmation link to each address this import added as pending (not to those present before)."""
    failed = 0
    for email in emails:
        progress(1, len(emails))
        subscriber = service.store.get_by_email(email)
        if subscriber is None or subscriber.status != SubscriberStatus.PENDING:
            continue
        outgoing = service.request(
            subscriber.email,
            topics=subscriber.topics,
            frequency=subscriber.frequency,
            consent=Consent(form=f"import:{file.name}"),
            name=subscriber.name,
            # The newsletters the row asked for (already pending), not the defaults on top.
            newsletters=[name for name, state in service.store.subscriptions(subscriber.id).items()
                         if state != "unsubscribed"] or None,
        )
        if outgoing is not None and not service.deliver(outgoing):
            failed += 1
    return failed


@subscribers_group.command("export")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, allow_dash=True))
@progress_option
@click.pass_obj
def export(runtime: Runtime, file: Path, progress: bool) -> int:
    """Write every subscriber to FILE.csv ("-" for standard output); re-importable without loss.

    Status, consent step (when, how, wording version), slot and timestamps are included.
    Cells that a spreadsheet would run as a formula (starting with = + - @) get a leading '.
    """
    store = SubscriberStore(runtime.engine)
    handle = sys.stdout if str(file) == "-" else file.open("w", encoding="utf-8", newline="")
    try:
        with progress_bar(_("export"), _("subscribers"), enabled=progress) as advance:
            count = export_csv(store, handle, advance)
    finally:
        if handle is not sys.stdout:
            handle.close()
    click.echo(ngettext("exported %(num)s subscriber", "exported %(num)s subscribers", count), err=True)
    return EXIT_OK


@subscribers_group.command("remove")
@click.argument("email")
@click.pass_obj
def remove(runtime: Runtime, email: str) -> int:
    """Unsubscribe EMAIL (the record and its consent trail stay; use `forget` to erase)."""
    store = App(runtime).subscriber_store()
    subscriber = store.get_by_email(email)
    if subscriber is None:
        raise InputError(email, _("no such subscriber"))
    store.set_status(subscriber.id, SubscriberStatus.UNSUBSCRIBED, now=runtime.clock.now(), reason="removed via CLI")
    click.echo(_("subscriber %(id)s unsubscribed", id=subscriber.id))
    return EXIT_OK


@subscribers_group.command("forget")
@click.argument("email")
@click.pass_obj
def forget(runtime: Runtime, email: str) -> int:
    """Erase EMAIL (GDPR Art. 17) everywhere: subscriber, consent trail, send ledger, outbox.

    A keyed hash keeps the address suppressed (no import brings it back).
    """
    found = App(runtime).subscription_service().forget(email)
    click.echo(_("erased; the address stays suppressed") if found
               else _("no such subscriber; the address is now suppressed"))
    return EXIT_OK


@subscribers_group.command("purge-pending")
@click.option("--days", type=WholeNumber(min=1), default=30, show_default=True,
              help="Delete sign-ups not confirmed within this many days.")
@click.pass_obj
def purge_pending(runtime: Runtime, days: int) -> int:
    """Delete sign-ups that were never confirmed (data minimisation)."""
    purged = SubscriberStore(runtime.engine).purge_pending(runtime.clock.now() - timedelta(days=days))
    click.echo(ngettext("%(num)s unconfirmed sign-up older than %(days)s days deleted",
                        "%(num)s unconfirmed sign-ups older than %(days)s days deleted", purged, days=number(days)))
    return EXIT_OK


@subscribers_group.command("seed-demo")
@click.pass_obj
def seed_demo(runtime: Runtime) -> int:
    """Add a few active demo subscribers (example.org) with different topics, frequencies and slots."""
    seeded = App(runtime).seed_demo_subscribers()
    click.echo(ngettext("%(num)s demo subscriber present", "%(num)s demo subscribers present", len(seeded)))
    return EXIT_OK


@subscribers_group.group("segment")
def segment_group() -> None:
    """Segments: saved conditions over subscriber attributes; `digest send|special --segment NAME` uses them."""


@segment_group.command("save")
@click.argument("name")
@click.option("--topic", "topics", multiple=True, help="Chose this topic (repeat: any).")
@click.option("--frequency", type=click.Choice(["daily", "weekly"]), default=None)
@click.option("--language", default=None)
@click.option("--source", default=None, help="Consent form starts with this, e.g. web:/subscribe, import:, cli:.")
@click.option("--signed-up-from", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Signed up on or after.")
@click.option("--signed-up-before", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Signed up before.")
@click.option("--newsletter", default=None, help="Subscribed to this newsletter.")
@click.option("--clicked-within-days", type=WholeNumber(min=1), default=None,
              help="Clicked in a digest within so many days ([tracking] clicks and per_subscriber).")
@click.pass_obj
def segment_save(
    runtime: Runtime, name: str, topics: tuple[str, ...], frequency: str | None, language: str | None,
    source: str | None, signed_up_from: datetime | None, signed_up_before: datetime | None,
    newsletter: str | None, clicked_within_days: int | None,
) -> int:
    """Save (or replace) the segment NAME and print how many readers it holds now."""
    if newsletter is not None:
        runtime.settings.newsletter(newsletter)
    conditions = SegmentConditions(
        topics=_topics(topics), frequency=frequency, language=language, source=source,
        signed_up_from=signed_up_from.date() if signed_up_from else None,
        signed_up_before=signed_up_before.date() if signed_up_before else None,
        newsletter=newsletter, clicked_within_days=clicked_within_days,
    )
    store = SegmentStore(runtime.engine)
    now = runtime.clock.now()
    segment = store.save(name, conditions, now=now)
    click.echo(ngettext("segment %(name)s: %(num)s reader now (%(conditions)s)",
                        "segment %(name)s: %(num)s readers now (%(conditions)s)",
                        store.count(segment.conditions, now=now), name=segment.name,
                        conditions=segment.conditions.describe()))
    return EXIT_OK


@segment_group.command("list")
@click.pass_obj
def segment_list(runtime: Runtime) -> int:
    """Every saved segment with its live count (active, not suppressed readers who match now)."""
    store = SegmentStore(runtime.engine)
    now = runtime.clock.now()
    for segment in store.list():
        click.echo(f"{segment.name}\t{store.count(segment.conditions, now=now)}\t{segment.conditions.describe()}")
    return EXIT_OK


@segment_group.command("delete")
@click.argument("name")
@click.pass_obj
def segment_delete(runtime: Runtime, name: str) -> int:
    """Delete the segment NAME (the readers stay as they are)."""
    if not SegmentStore(runtime.engine).delete(name):
        raise InputError("segment", _("no segment named '%(name)s'", name=name))
    click.echo(_("segment %(name)s deleted", name=name))
    return EXIT_OK


def register(cli: click.Group) -> None:
    """Add this capability's commands to the root command."""
    cli.add_command(subscribers_group)
