"""`syndication delivery check|sync-suppressions`: the SendGrid account behind delivery.

Both use the official ``sendgrid`` client (``syndication.delivery.sendgrid_account``); sending
itself does not (see docs/developers/dependencies.md).
"""

from __future__ import annotations

import click

from syndication.app import App
from syndication.cli.words import _, ngettext, number
from syndication.delivery.sendgrid_account import SendGridAccount
from syndication.delivery.sendgrid_check import WEBHOOK_PATH, Expectations, check_account, raise_for_errors
from syndication.delivery.sendgrid_suppressions import DEFAULT_LISTS, sync_suppressions
from syndication.errors import EXIT_OK, EXIT_SOME_FAILED
from syndication.runtime import Runtime

_LISTS = ("spam_reports", "bounces", "invalid_emails", "unsubscribes", "blocks")


@click.group("delivery")
def delivery_group() -> None:
    """The SendGrid account behind delivery: check the API key, import its suppression lists."""


@delivery_group.command("check")
@click.pass_obj
def check(runtime: Runtime) -> int:
    """Check SENDGRID_API_KEY: scopes, sender identity, Event Webhook and its signing key.

    Exit code 0 when sending can work (warnings are printed), 2 when the key is missing or
    refused or something sending depends on is wrong, 1 when SendGrid could not be reached.
    """
    settings = runtime.settings
    account = SendGridAccount.from_config(
        runtime.settings.delivery.sendgrid, runtime.secrets.sendgrid_api_key, runtime.clock
    )
    expected = Expectations(
        backend=settings.delivery.backend,
        from_email=settings.delivery.from_email,
        from_name=settings.delivery.from_name,
        webhook_url=settings.site.url.rstrip("/") + WEBHOOK_PATH,
        webhook_public_key=settings.subscribers.sendgrid_webhook_public_key,
    )
    findings = check_account(account, expected)
    for finding in findings:
        click.echo(f"{finding.level:<8}{finding.topic}: {finding.text}")
    raise_for_errors(findings)
    return EXIT_OK


@delivery_group.command("sync-suppressions")
@click.option(
    "--list", "lists", multiple=True, type=click.Choice(_LISTS),
    help="Only these SendGrid lists (repeat); default: all but blocks.",
)
@click.option(
    "--include-blocks", is_flag=True,
    help="Also suppress SendGrid's blocks (refusals about one message or the sending IP, often temporary).",
)
@click.pass_obj
def sync_suppressions_command(runtime: Runtime, lists: tuple[str, ...], include_blocks: bool) -> int:
    """Suppress every address SendGrid lists as bounced, invalid, spam-reporting or unsubscribed.

    Nothing is ever un-suppressed; erased addresses stay erased; a second run changes nothing.
    Counts only, never addresses. Exit code 1 if the key may not read one of the lists.
    """
    chosen = set(lists or DEFAULT_LISTS)
    if include_blocks:
        chosen.add("blocks")
    account = SendGridAccount.from_config(
        runtime.settings.delivery.sendgrid, runtime.secrets.sendgrid_api_key, runtime.clock
    )
    store = App(runtime).subscriber_store()
    report = sync_suppressions(account, store, now=runtime.clock.now(), lists=chosen, notifier=runtime.notifier)
    for result in report.lists:
        if result.forbidden:
            click.echo(_("%(list)s: not read: the API key lacks its scope", list=result.name), err=True)
            continue
        line = _("%(list)s: %(listed)s listed, %(new)s new, %(already)s already suppressed", list=result.name,
                 listed=number(result.listed), new=number(result.new), already=number(result.already))
        if result.unusable:
            line += ", " + ngettext("%(num)s not a valid address (skipped)", "%(num)s not valid addresses (skipped)",
                                    result.unusable)
        if result.subscribers_changed:
            line += ", " + ngettext("%(num)s subscriber's status changed", "%(num)s subscribers' status changed",
                                    result.subscribers_changed)
        click.echo(line)
    click.echo(_("%(new)s addresses newly suppressed, %(already)s already suppressed", new=number(report.new),
                 already=number(report.already)))
    if "blocks" not in chosen:
        click.echo(_("blocks were not read (often temporary; --include-blocks to suppress them too)"), err=True)
    return EXIT_SOME_FAILED if report.forbidden else EXIT_OK


def register(cli: click.Group) -> None:
    cli.add_command(delivery_group)
