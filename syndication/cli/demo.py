"""`syndication demo`: the main job once on embedded defaults, and every edition sent to the demo readers.

`make demo` runs this. It is `syndication run --once` plus what a first look needs
whatever the time of day: demo subscribers, and each edition built and sent to every
slot now (through the same ledgered send, so running it twice sends nothing twice).
"""

from __future__ import annotations

import click

from syndication.errors import EXIT_OK, EXIT_SOME_FAILED
from syndication.runtime import Runtime


def _files(folder, pattern: str) -> int:  # type: ignore[no-untyped-def]
    return sum(1 for _ in folder.rglob(pattern)) if folder.exists() else 0


@click.command()
@click.pass_obj
def demo(runtime: Runtime) -> int:
    """Seed demo subscribers, run the main job once, send every edition to the outbox."""
    from subscribers.demo import seed_demo_subscribers
    from syndication.delivery.send import send_edition
    from syndication.digest.editions import build_edition, latest_edition
    from syndication.scheduler import real_jobs, run_once

    settings = runtime.settings
    seeded = seed_demo_subscribers(runtime)
    click.echo(f"demo: {len(seeded)} demo subscribers")
    code = run_once(runtime, real_jobs())
    failed = code != EXIT_OK
    for config in settings.digest.editions:
        edition = build_edition(runtime, config.name) or latest_edition(runtime.engine, config.name)
        if edition is None:
            click.echo(f"demo: edition {config.name}: no articles")
            continue
        for slot in config.slots:
            report = send_edition(runtime, edition.id, slot)
            failed = failed or bool(report.failed)
            click.echo(f"demo: edition {edition.id} slot {slot}: {report.summary()}")
    public, outbox = settings.public_dir, settings.outbox_dir
    click.echo("")
    click.echo(f"Database:  {settings.store_url}")
    click.echo(f"Feeds:     {_files(public / 'feeds', '*.*')} files in {public / 'feeds'}")
    click.echo(f"Archive:   {_files(public / 'archive', '*.html')} pages in {public / 'archive'}")
    click.echo(f"Outbox:    {_files(outbox, '*.eml')} messages in {outbox}")
    click.echo("Look at them: `.venv/bin/syndication serve` and open http://127.0.0.1:8000/feeds/all.atom")
    return EXIT_SOME_FAILED if failed else EXIT_OK


def register(cli: click.Group) -> None:
    cli.add_command(demo)
