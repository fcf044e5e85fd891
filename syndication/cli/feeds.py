"""``syndication feeds build``: build every feed and the OPML, write the changed files, ping WebSub."""

from __future__ import annotations

import click

from syndication.errors import EXIT_OK, EXIT_SOME_FAILED
from syndication.runtime import Runtime


@click.group("feeds")
def feeds_group() -> None:
    """RSS, Atom and JSON feeds in public/feeds/."""


@feeds_group.command("build")
@click.pass_obj
def build_command(runtime: Runtime) -> int:
    """Build all feeds and publish the ones that changed."""
    from syndication.feeds.publish import build_and_publish

    report = build_and_publish(runtime)
    click.echo(
        f"feeds: {report.feeds} feeds, {len(report.written)} file(s) written, "
        f"{report.unchanged} unchanged ({report.skipped} not re-rendered) in {runtime.settings.public_dir}"
    )
    if report.websub is not None:
        outcome = report.websub
        line = f"websub: {len(outcome.announced)} announced to {outcome.hub}"
        if outcome.pending:
            line += f", {len(outcome.pending)} pending for the next run ({outcome.error})"
        click.echo(line)
    for problem in report.problems:
        click.echo(f"error: {problem}", err=True)
    if report.problems:
        # Every other feed is published; the exit code tells the operator something was left out.
        click.echo(f"feeds: {len(report.problems)} problem(s); every other item and feed was published", err=True)
        return EXIT_SOME_FAILED
    # A failing hub is not a failed build: the feeds are published and will be announced later.
    return EXIT_OK


def register(cli: click.Group) -> None:
    """Add this capability's commands to the root command."""
    cli.add_command(feeds_group)
