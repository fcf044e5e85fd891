"""`syndication webhooks secret|deliver|status`: outgoing webhooks ([[webhooks]] in config.toml)."""

from __future__ import annotations

import click
from sqlalchemy import func, select

from syndication.app import App
from syndication.cli.summaries import webhook_summary
from syndication.cli.words import _, number
from syndication.errors import EXIT_SOME_FAILED
from syndication.i18n import N_
from syndication.runtime import Runtime
from syndication.webhooks.delivery import generate_secret
from syndication.webhooks.tables import webhook_deliveries


@click.group()
def webhooks() -> None:
    """Signed POSTs (Standard Webhooks) to [[webhooks]] endpoints for subscriber and edition events."""


@webhooks.command("secret")
@click.argument("name")
def secret(name: str) -> None:
    """Make a new signing secret for endpoint NAME and print it as an environment line.

    Put the line in the service's environment and give the secret to the receiver; it is not
    stored anywhere else.
    """
    endpoint_env = f"SYNDICATION_WEBHOOK_{name.upper().replace('-', '_')}_SECRET"
    click.echo(_("Set this in the environment of syndication and give the secret to the receiver; it is shown once."),
               err=True)
    click.echo(f"{endpoint_env}={generate_secret()}")


@webhooks.command("deliver")
@click.pass_obj
def deliver(runtime: Runtime) -> None:
    """Post every queued webhook that is due now (the scheduler does this every few seconds)."""
    report = App(runtime).deliver_webhooks()
    click.echo(webhook_summary(report))
    if report.retried or report.failed:
        raise SystemExit(EXIT_SOME_FAILED)


@webhooks.command("status")
@click.pass_obj
def status(runtime: Runtime) -> None:
    """Messages per endpoint and state, and the last error of each endpoint."""
    table = webhook_deliveries
    with runtime.engine.connect() as connection:
        rows = connection.execute(
            select(table.c.endpoint, table.c.status, func.count()).group_by(table.c.endpoint, table.c.status)
            .order_by(table.c.endpoint, table.c.status)
        ).all()
        for endpoint in runtime.settings.webhooks:
            counts = ", ".join(_state(state, count) for name, state, count in rows if name == endpoint.name)
            click.echo(f"{endpoint.name}\t{endpoint.url}\t{counts or _('nothing queued')}")
            last = connection.execute(
                select(table.c.last_error, table.c.next_attempt_at).where(
                    table.c.endpoint == endpoint.name, table.c.last_error.is_not(None)
                ).order_by(table.c.id.desc()).limit(1)
            ).first()
            if last is not None:
                click.echo("  " + _("last error: %(error)s", error=last.last_error))


# A delivery's states (webhooks.tables); one added later is shown by its name until it has words here.
STATES = {
    "pending": N_("%(num)s pending"),
    "sending": N_("%(num)s sending"),
    "delivered": N_("%(num)s delivered"),
    "failed": N_("%(num)s failed"),
}


def _state(state: str, count: int) -> str:
    label = STATES.get(state)
    return _(label, num=number(count)) if label else f"{number(count)} {state}"


def register(cli: click.Group) -> None:
    cli.add_command(webhooks)
