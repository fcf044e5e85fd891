"""`syndication partners push|push-secret|push-stop|replay|deliver|usage`: push endpoints, their secrets, usage."""

from __future__ import annotations

import json

import click

from syndication.app.partners import deliver_partner_pushes, endpoints, partner_store, version_log
from syndication.cli.summaries import push_summary
from syndication.cli.words import WholeNumber, _, ngettext, number
from syndication.errors import EXIT_SOME_FAILED
from syndication.i18n import N_
from syndication.partners.paging import decode_cursor, encode_cursor
from syndication.partners.usage import DayUsage, days_back, usage_by_day
from syndication.runtime import Runtime

_SECRET_NOTE = N_("Store this signing secret now: it is shown only once. Verify each push with it "
                  "(Standard Webhooks: webhook-id, webhook-timestamp, webhook-signature).")


def _print_secret(name: str, url: str, secret: str) -> None:
    # The secret alone on stdout (easy to capture in a script); the explanation on stderr.
    click.echo(_("Push endpoint of partner '%(name)s': %(url)s.", name=name, url=url) + " " + _(_SECRET_NOTE), err=True)
    click.echo(secret)


@click.command("push")
@click.argument("name")
@click.argument("url")
@click.pass_obj
def push(runtime: Runtime, name: str, url: str) -> None:
    """Send partner NAME every new version at URL (https) and print the signing secret (once).

    Registering again changes the URL and makes a new secret; versions already queued are kept.
    """
    made = endpoints(runtime).register(
        name, url, runtime.clock.now(), allow_loopback_http=runtime.settings.partners.push_allow_loopback_http
    )
    _print_secret(name, made.endpoint.url, made.secret)


@click.command("push-secret")
@click.argument("name")
@click.pass_obj
def push_secret(runtime: Runtime, name: str) -> None:
    """Give partner NAME's push endpoint a new signing secret and print it (once); the old one stops at once."""
    made = endpoints(runtime).rotate(name, runtime.clock.now())
    _print_secret(name, made.endpoint.url, made.secret)


@click.command("push-stop")
@click.argument("name")
@click.pass_obj
def push_stop(runtime: Runtime, name: str) -> None:
    """Stop pushing to partner NAME (its key and polling stay); `partners push NAME URL` starts again."""
    stopped = endpoints(runtime).stop(name, runtime.clock.now())
    click.echo(_("pushes to %(name)s stopped (%(url)s); what was not sent yet is not sent",
                 name=name, url=stopped.url))


@click.command("replay")
@click.argument("name")
@click.option("--since", "since", default="", help="A cursor (as the API gives it); none: from the beginning.")
@click.pass_obj
def replay(runtime: Runtime, name: str, since: str) -> None:
    """Push every version after the cursor --since to partner NAME again (new message ids)."""
    log = version_log(runtime)
    log.sync()
    position = decode_cursor(since).resolve(log)
    endpoints(runtime).replay(name, position)
    click.echo(_("replaying to %(name)s from %(cursor)s: the next `partners deliver` or scheduler run sends them",
                 name=name, cursor=encode_cursor(position)))


@click.command("deliver")
@click.pass_obj
def deliver(runtime: Runtime) -> None:
    """Record new versions and post the pushes that are due now (the scheduler does this every few seconds)."""
    report = deliver_partner_pushes(runtime)
    click.echo(_("partner pushes: %(summary)s", summary=push_summary(report)))
    if report.retried or report.failed:
        raise SystemExit(EXIT_SOME_FAILED)


@click.command("usage")
@click.argument("name")
@click.option("--days", type=WholeNumber(min=1, max=3660), default=30, show_default=True,
              help="How many days back, today included.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array, one object per day.")
@click.pass_obj
def usage(runtime: Runtime, name: str, days: int, as_json: bool) -> None:
    """Partner NAME's usage per day: requests, items delivered, pushes delivered and failed, 429s."""
    partner = partner_store(runtime).get(name)
    zone = runtime.settings.site.zone
    rows = usage_by_day(runtime.engine, partner.id, days_back(runtime.clock.now(), days, zone), zone)
    if as_json:
        click.echo(json.dumps([row.as_dict() for row in rows], ensure_ascii=False, indent=2))
        return
    headers = (_("day"), _("requests"), _("items"), _("pushed"), _("push failed"), "429")
    table = [(row.day.isoformat(), *(str(value) for value in _numbers(row))) for row in rows]
    widths = [max([len(header), *(len(line[i]) for line in table)]) for i, header in enumerate(headers)]
    click.echo("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
    for line in table:
        click.echo("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip())
    totals = [sum(values) for values in zip(*(_numbers(row) for row in rows), strict=True)] or [0] * 5
    click.echo(ngettext(
        "%(num)s day with use; total: %(requests)s requests, %(items)s items, %(pushed)s pushed, "
        "%(failed)s push failed, %(limited)s rate limited",
        "%(num)s days with use; total: %(requests)s requests, %(items)s items, %(pushed)s pushed, "
        "%(failed)s push failed, %(limited)s rate limited",
        len(rows), requests=number(totals[0]), items=number(totals[1]), pushed=number(totals[2]),
        failed=number(totals[3]), limited=number(totals[4]),
    ))


def _numbers(row: DayUsage) -> tuple[int, int, int, int, int]:
    return row.requests, row.items_delivered, row.pushes_delivered, row.pushes_failed, row.rate_limited


def add_push_commands(group: click.Group) -> None:
    for command in (push, push_secret, push_stop, replay, deliver, usage):
        group.add_command(command)
