"""`syndication digest report|resume`: what happened to an edition's sends, and continuing a paused one."""

from __future__ import annotations

import json

import click

from syndication.app.editions import send_edition
from syndication.cli.summaries import send_summary
from syndication.cli.words import _, problem
from syndication.delivery.places import recipients_by_slot
from syndication.digest.edition_store import get_edition
from syndication.errors import UsageError
from syndication.events.report import build_reports, render_text
from syndication.runtime import Runtime
from syndication.scheduler.ledger import sends_to_resume


@click.command("report")
@click.argument("edition_id")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object with the edition's counts.")
@click.option("--slot", default=None, metavar="HH:MM", help="Only this delivery slot (same keys with --json).")
@click.pass_obj
def report(runtime: Runtime, edition_id: str, as_json: bool, slot: str | None) -> int:
    """Recipients, sent, delivered, deferred, bounces, complaints, unsubscribes and clicks of EDITION_ID.

    Per edition and per slot, each with its rate (of sent; complaints, unsubscribes and clicks of
    delivered). The numbers are sums kept up to date as the provider's events arrive.
    """
    engine = runtime.engine
    if get_edition(engine, edition_id) is None:
        raise UsageError(_("no edition '%(edition)s' has been built", edition=edition_id))
    with engine.connect() as connection:
        edition, slots = build_reports(
            connection, edition_id, recipients_by_slot(connection, edition_id), opens=runtime.settings.tracking.opens
        )
    chosen = edition
    if slot is not None:
        if slot not in slots:
            known = ", ".join(sorted(name for name in slots if name)) or _("none yet")
            raise UsageError(_("--slot %(slot)s: edition %(edition)s has no send in that slot (slots: %(known)s)",
                               slot=slot, edition=edition_id, known=known))
        chosen = slots[slot]
    if as_json:
        click.echo(json.dumps(chosen.as_json(), indent=2, ensure_ascii=False))
        return 0
    shown = {slot: slots[slot]} if slot is not None else slots
    for line in render_text(chosen, shown if slot is None else {}):
        click.echo(line)
    return 0


@click.command("resume")
@click.argument("edition_id")
@click.option("--progress/--no-progress", default=True, show_default=True, help="Progress bar on a terminal.")
@click.pass_obj
def resume(runtime: Runtime, edition_id: str, progress: bool) -> int:
    """Continue the sends of EDITION_ID the complaint brake or the console paused, exactly where they stopped.

    Nothing already sent is sent again and nobody is skipped: a send held before it started whose
    time came while it was paused goes out now, one still to come at its time. The brake does not
    pull again for a resumed send (resuming is the decision to finish it).
    """
    if get_edition(runtime.engine, edition_id) is None:
        raise UsageError(_("no edition '%(edition)s' has been built", edition=edition_id))
    slots = sends_to_resume(runtime.engine, edition_id)
    if not slots:
        raise UsageError(_("%(edition)s: no paused send to resume (see `syndication status`)", edition=edition_id))
    code = 0
    for slot in slots:
        result = send_edition(runtime, edition_id, slot, progress=progress, echo=click.echo)
        click.echo(send_summary(result))
        for error in result.errors:
            click.echo(f"  {problem(error)}", err=True)
        code = max(code, result.exit_code)
    return code


def register(cli: click.Group) -> None:
    """Add report and resume to the `digest` group (created by syndication/cli/digest.py)."""
    group = cli.commands.get("digest")
    if not isinstance(group, click.Group):
        raise RuntimeError("syndication.cli.report registers after syndication.cli.digest")
    group.add_command(report)
    group.add_command(resume)
