"""`syndication demo`: the main job once on embedded defaults, and every edition sent to the demo readers.

`make demo` runs this. It is `syndication run --once` plus what a first look needs
whatever the time of day: demo subscribers, and each edition built and sent to every
slot now (through the same ledgered send, so running it twice sends nothing twice).
"""

from __future__ import annotations

import dataclasses

import click

from syndication.app import App
from syndication.app.editions import build_edition, send_edition
from syndication.cli.summaries import send_summary
from syndication.cli.words import _, ngettext
from syndication.config import Settings, SourceConfig
from syndication.digest.edition_store import latest_edition
from syndication.errors import EXIT_OK, EXIT_SOME_FAILED
from syndication.paths import SAMPLE_CONTENT_DIR
from syndication.runtime import Runtime
from syndication.scheduler.bound import real_jobs
from syndication.scheduler.runner import run_once


def _files(folder, pattern: str) -> int:  # type: ignore[no-untyped-def]
    return sum(1 for _path in folder.rglob(pattern)) if folder.exists() else 0


def with_sample_content(settings: Settings) -> Settings | None:
    """The settings with the bundled sample articles as the only source, when there is nothing else to show.

    That is when every configured source is a folder that does not exist (a fresh, empty directory).
    """
    folders = [source.path for source in settings.sources if source.type == "folder" and source.path is not None]
    if len(folders) != len(settings.sources) or any(settings.resolve(folder).exists() for folder in folders):
        return None
    sample = SourceConfig(name="content", type="folder", path=SAMPLE_CONTENT_DIR)
    return settings.model_copy(update={"sources": (sample,)})


@click.command()
@click.pass_obj
def demo(runtime: Runtime) -> int:
    """Seed demo subscribers, run the main job once, send every edition to the outbox."""
    sample = with_sample_content(runtime.settings)
    if sample is None:
        return _demo(runtime)
    click.echo(_("demo: no content folder here; using the bundled sample articles in %(folder)s",
                 folder=SAMPLE_CONTENT_DIR))
    sampled = dataclasses.replace(runtime, settings=sample)
    try:
        return _demo(sampled)
    finally:
        sampled.close()


def _demo(runtime: Runtime) -> int:
    settings = runtime.settings
    seeded = App(runtime).seed_demo_subscribers()
    click.echo(ngettext("demo: %(num)s demo subscriber", "demo: %(num)s demo subscribers", len(seeded)))
    code = run_once(runtime, real_jobs(runtime))
    failed = code != EXIT_OK
    for config in settings.digest.editions:
        edition = build_edition(runtime, config.name) or latest_edition(runtime.engine, config.name)
        if edition is None:
            click.echo(_("demo: edition %(name)s: no articles", name=config.name))
            continue
        for slot in config.slots:
            report = send_edition(runtime, edition.id, slot)
            failed = failed or bool(report.failed)
            click.echo(_("demo: edition %(edition)s slot %(slot)s: %(summary)s", edition=edition.id, slot=slot,
                         summary=send_summary(report)))
    public, outbox = settings.public_dir, settings.outbox_dir
    click.echo("")
    feeds, archive = public / "feeds", public / "archive"
    rows = [
        (_("Database:"), settings.store_url),
        (_("Feeds:"), ngettext("%(num)s file in %(folder)s", "%(num)s files in %(folder)s", _files(feeds, "*.*"),
                               folder=feeds)),
        (_("Archive:"), ngettext("%(num)s page in %(folder)s", "%(num)s pages in %(folder)s",
                                 _files(archive, "*.html"), folder=archive)),
        (_("Outbox:"), ngettext("%(num)s message in %(folder)s", "%(num)s messages in %(folder)s",
                                _files(outbox, "*.eml"), folder=outbox)),
    ]
    width = max(len(label) for label, _value in rows) + 2
    for label, value in rows:
        click.echo(f"{label:<{width}}{value}")
    site = f"http://{settings.serve.host}:{settings.serve.port}"
    click.echo(_("Look at them: `syndication serve` and open %(feed)s and %(form)s", feed=f"{site}/feeds/all.atom",
                 form=f"{site}/subscribe"))
    return EXIT_SOME_FAILED if failed else EXIT_OK


def register(cli: click.Group) -> None:
    cli.add_command(demo)
