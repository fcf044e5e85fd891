"""`syndication digest send`: send the latest built edition of a kind to its subscribers."""

from __future__ import annotations

import click

from syndication.errors import UsageError
from syndication.runtime import Runtime


@click.command("send")
@click.option("--edition", "edition_name", default="daily", show_default=True, help="Configured edition name.")
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
    edition_name: str,
    slot: str | None,
    edition_id: str | None,
    dry_run: bool,
    resend_in_doubt: bool,
    progress: bool,
) -> int:
    """Send the latest built edition of a kind (resumable: what is sent is never sent again)."""
    from syndication.delivery.send import send_edition
    from syndication.digest.editions import latest_edition

    runtime.settings.edition(edition_name)  # unknown names fail before anything happens
    if edition_id is None:
        edition = latest_edition(runtime.engine, edition_name)
        if edition is None:
            raise UsageError(f"no {edition_name!r} edition has been built yet; run: syndication digest build "
                             f"--edition {edition_name}")
        edition_id = edition.id
    report = send_edition(
        runtime, edition_id, slot, dry_run=dry_run, progress=progress, resend_in_doubt=resend_in_doubt,
        echo=click.echo,
    )
    click.echo(report.summary(), err=dry_run)
    for error in report.errors:
        click.echo(f"  {error}", err=True)
    return report.exit_code


def register(cli: click.Group) -> None:
    """Add the send command to the `digest` group (created by syndication/cli/digest.py)."""
    group = cli.commands.get("digest")
    if not isinstance(group, click.Group):
        @cli.group("digest")
        def digest_group() -> None:
            """Email digests."""

        group = digest_group
    group.add_command(send)
