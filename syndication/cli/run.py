"""`syndication run [--once]` and `syndication status`: the scheduler and what it did."""

from __future__ import annotations

import json

import click

from syndication.cli.words import _, ngettext
from syndication.runtime import Runtime
from syndication.scheduler.bound import real_jobs, uses_queue
from syndication.scheduler.jobs import Deferrals
from syndication.scheduler.plan import build_plan
from syndication.scheduler.runner import run_once, run_scheduler
from syndication.scheduler.status import Health, gather


@click.command("run")
@click.option(
    "--once",
    is_flag=True,
    help="Collect, publish the feeds, send every edition slot that is due now, then exit.",
)
@click.pass_obj
def run_command(runtime: Runtime, once: bool) -> int:
    """Run the scheduler: collect, publish feeds and send editions on time, until stopped.

    SIGTERM or SIGINT lets running jobs finish their batch, then exits 0. Several `run` processes
    may share one database: one leads, the others stand by. With [workers] queue = true
    (PostgreSQL) the leader defers edition sends, partner pushes and webhooks to `syndication worker`.
    """
    jobs = real_jobs(runtime, _deferrer(runtime) if uses_queue(runtime) else None)
    if once:
        return run_once(runtime, jobs)
    return run_scheduler(runtime, jobs)


def _deferrer(runtime: Runtime) -> Deferrals:
    """[workers] queue: the leader's side of the job queue."""
    # Lazy: procrastinate takes over a second to import; only `run` with the queue on needs it.
    from syndication.scheduler.queue import Deferrer

    return Deferrer(runtime)


def _when(value: str | None) -> str:
    return value or "-"


def format_status(health: Health) -> str:
    now = health.now.isoformat(timespec="seconds")
    if health.healthy:
        lines = [_("status: ok  (now %(now)s)", now=now)]
    else:
        lines = [_("status: FAILING  (now %(now)s)", now=now)]
    lines += ["  " + _("problem: %(problem)s", problem=problem) for problem in health.problems]
    lines.append("")
    headers = _("job"), _("last run"), _("outcome"), _("duration"), _("next run")
    lines.append("{:<24} {:<27} {:<12} {:>9}  {}".format(*headers))
    for job in health.jobs:
        last = job.last
        started = last.started_at.isoformat(timespec="seconds") if last else _("never")
        outcome = last.outcome.value if last else "-"
        duration = f"{last.duration_seconds:.2f}s" if last and last.duration_seconds is not None else "-"
        following = job.next_run.isoformat(timespec="seconds") if job.next_run else job.schedule
        lines.append(f"{job.id:<24} {started:<27} {outcome:<12} {duration:>9}  {following}")
    lines.append("")
    for edition in health.editions:
        if edition.edition_id:
            built = ngettext("%(edition)s of %(date)s (%(num)s article)", "%(edition)s of %(date)s (%(num)s articles)",
                             edition.articles, edition=edition.edition_id, date=edition.edition_date)
        else:
            built = edition.note or _("none built yet")
        lines.append(_("edition %(name)s: last built %(built)s", name=edition.name, built=built))
        send = edition.last_send
        if send is not None:
            lines.append("  " + _(
                "last send: %(date)s %(slot)s %(status)s (sent %(sent)s, failed %(failed)s)",
                date=send.key.edition_date, slot=send.key.slot, status=send.status.value, sent=send.sent,
                failed=send.failed,
            ) + (": " + send.detail if send.detail else ""))
    return "\n".join(lines)


@click.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print the facts /healthz serves, as JSON.")
@click.pass_obj
def status_command(runtime: Runtime, as_json: bool) -> int:
    """Last and next run of every job and the last edition of each kind; exit 1 when failing."""
    health = gather(runtime, real_jobs(runtime), build_plan(runtime.settings))
    if as_json:
        click.echo(json.dumps(health.as_json(), indent=2, ensure_ascii=False))
    else:
        click.echo(format_status(health))
    return 0 if health.healthy else 1


def register(cli: click.Group) -> None:
    """Add `run` and `status` to the root command."""
    cli.add_command(run_command)
    cli.add_command(status_command)
