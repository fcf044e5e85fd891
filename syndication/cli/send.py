"""`syndication digest send`: send the latest built edition of a kind to its subscribers."""

from __future__ import annotations

import json
from datetime import timedelta

import click

from syndication.app.editions import send_edition
from syndication.cli.digest import chosen_newsletter, newsletter_option
from syndication.cli.summaries import send_summary
from syndication.cli.words import _, ngettext, problem
from syndication.delivery.doubt import doubts, settle
from syndication.delivery.ledger import Ledger
from syndication.digest.edition_store import get_edition, latest_edition
from syndication.errors import UsageError
from syndication.runtime import Runtime


@click.command("send")
@newsletter_option
@click.option("--segment", default=None, metavar="NAME", help="Only the readers of this saved segment.")
@click.option("--slot", default=None, metavar="HH:MM", help="Delivery slot (default: the edition's first slot).")
@click.option("--edition-id", default=None, help="Send this edition instead of the latest of its kind.")
@click.option("--dry-run", is_flag=True, help="Print who would get what (address, variant, subject); send nothing.")
@click.option(
    "--resend-in-doubt",
    is_flag=True,
    help="Also resend batches a crash left in doubt (the provider may already have them: possible duplicates).",
)
@click.option("--progress/--no-progress", default=True, show_default=True, help="Progress bar on a terminal.")
@click.pass_obj
def send(
    runtime: Runtime,
    newsletter_name: str | None,
    edition_name: str | None,
    segment: str | None,
    slot: str | None,
    edition_id: str | None,
    dry_run: bool,
    resend_in_doubt: bool,
    progress: bool,
) -> int:
    """Send the latest built edition of a newsletter (resumable: what is sent is never sent again)."""
    edition_name = chosen_newsletter(newsletter_name, edition_name)
    runtime.settings.edition(edition_name)  # unknown names fail before anything happens
    if edition_id is None:
        edition = latest_edition(runtime.engine, edition_name)
        if edition is None:
            raise UsageError(_("no '%(name)s' edition has been built yet; run: syndication digest build "
                               "--newsletter %(name)s", name=edition_name))
        edition_id = edition.id
    report = send_edition(
        runtime, edition_id, slot, dry_run=dry_run, progress=progress, resend_in_doubt=resend_in_doubt,
        echo=click.echo,
    )
    click.echo(send_summary(report), err=dry_run)
    for error in report.errors:
        click.echo(f"  {problem(error)}", err=True)
    return report.exit_code


@click.command("doubt")
@click.argument("edition_id")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option(
    "--resend-in-doubt",
    is_flag=True,
    help="Send exactly the messages still in doubt again (a reader may get a second copy).",
)
@click.pass_obj
def doubt(runtime: Runtime, edition_id: str, as_json: bool, resend_in_doubt: bool) -> int:
    """List the messages of EDITION_ID a crash left in doubt (by subscriber id), after settling by evidence.

    Exits with 1 while anything is in doubt.
    """
    edition = get_edition(runtime.engine, edition_id)
    if edition is None:
        raise UsageError(_("no edition '%(edition)s' has been built", edition=edition_id))
    ledger = Ledger(runtime.engine)
    wait = timedelta(minutes=runtime.settings.delivery.in_doubt_wait)
    for slot in runtime.settings.edition(edition.newsletter_name).slots:
        run = ledger.get_run(edition_id, slot)
        if run is not None:
            settle(ledger, run, runtime.clock.now(), wait, events_expected=run.backend == "sendgrid")
    found = doubts(runtime.engine, edition_id)
    if resend_in_doubt and found:
        for slot in sorted({item.slot for item in found}):
            report = send_edition(runtime, edition_id, slot, resend_in_doubt=True, echo=click.echo)
            click.echo(send_summary(report), err=as_json)
        found = doubts(runtime.engine, edition_id)
    zone = runtime.settings.site.zone
    if as_json:
        click.echo(json.dumps({
            "edition_id": edition_id,
            "in_doubt": len(found),
            "messages": [
                {"subscriber_id": item.subscriber_id, "slot": item.slot, "batch": item.batch,
                 "since": item.since.isoformat() if item.since else None}
                for item in found
            ],
        }, indent=2))
    else:
        for item in found:
            since = item.since.astimezone(zone).strftime("%Y-%m-%d %H:%M") if item.since else "?"
            click.echo(_("subscriber %(id)s\tslot %(slot)s\tbatch %(batch)s\tsince %(since)s", id=item.subscriber_id,
                         slot=item.slot, batch=item.batch, since=since))
        # English keeps "message(s)", which scripts and tests match; other languages inflect.
        click.echo(ngettext("%(edition)s: %(num)s message(s) in doubt", "%(edition)s: %(num)s message(s) in doubt",
                            len(found), edition=edition_id))
    return 1 if found else 0


def register(cli: click.Group) -> None:
    """Add the send and doubt commands to the `digest` group (created by syndication/cli/digest.py)."""
    group = cli.commands.get("digest")
    if not isinstance(group, click.Group):
        @cli.group("digest")
        def digest_group() -> None:
            """Email digests."""

        group = digest_group
    group.add_command(send)
    group.add_command(doubt)
