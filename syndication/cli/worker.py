"""`syndication worker`: run one job-queue worker; `syndication worker send`: queue an edition's send.

Any number of workers run, on any machines, against one PostgreSQL store (see
:mod:`syndication.scheduler.queue`).
"""

from __future__ import annotations

import click

from syndication.cli.words import _
from syndication.digest.edition_store import get_edition
from syndication.errors import UsageError
from syndication.runtime import Runtime

# The queue's names; syndication.scheduler.queue itself is imported by the commands that use it.
QUEUES = ("send", "partners", "webhooks")


@click.group("worker", invoke_without_command=True)
@click.option("--concurrency", default=1, show_default=True, help="Jobs this worker runs at once.")
@click.option("--queue", "queues", multiple=True, type=click.Choice(QUEUES),
              help="Take jobs from these queues only (repeatable; default: all).")
@click.option("--burst", is_flag=True, help="Exit once no job is left instead of waiting for more.")
@click.pass_context
def worker_group(ctx: click.Context, concurrency: int, queues: tuple[str, ...], burst: bool) -> None:
    """Run one worker of the job queue (edition sends, partner pushes, webhooks) until SIGTERM.

    The scheduler defers these jobs when [workers] queue = true; a killed worker's job is taken up
    by another a lease after its heartbeat stopped.
    """
    if ctx.invoked_subcommand is not None:
        return
    # Lazy: procrastinate takes over a second to import; every other command would pay for it.
    from syndication.scheduler.queue import run_worker

    run_worker(ctx.obj, list(queues or QUEUES), concurrency, burst)


@worker_group.command("send")
@click.argument("edition_id")
@click.option("--slot", default=None, help="The slot to send (default: the edition's first).")
@click.option("--copies", default=1, show_default=True, help="Send jobs to queue: how many workers share the run.")
@click.pass_obj
def send_command(runtime: Runtime, edition_id: str, slot: str | None, copies: int) -> None:
    """Queue the send of EDITION_ID for the workers."""
    # Lazy: procrastinate takes over a second to import; every other command would pay for it.
    from syndication.scheduler.queue import enqueue_send, ensure_schema, queue_app

    app = queue_app(runtime)
    ensure_schema(runtime.engine, app)
    edition = get_edition(runtime.engine, edition_id)
    if edition is None:
        raise UsageError(_("no edition '%(edition)s' has been built", edition=edition_id))
    chosen = slot or runtime.settings.edition(edition.name).slots[0]
    with app.open():
        ids = enqueue_send(app, edition_id, chosen, copies)
    click.echo(_("queued %(num)s send job(s) for %(edition)s (%(slot)s)", num=len(ids), edition=edition_id,
                 slot=chosen))


def register(cli: click.Group) -> None:
    cli.add_command(worker_group)
