"""`syndication digest build|preview|list`: editions, their web archive and previews.

`digest send` is added to this group by syndication/cli/send.py (registered after this module).
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from subscribers.model import Subscriber, SubscriberStatus
from subscribers.store import SubscriberStore
from syndication.app import App
from syndication.app.editions import build_edition, draft_edition
from syndication.app.publishing import public_writer
from syndication.digest.archive import publish_archive
from syndication.digest.edition_store import edition_articles, get_edition, latest_edition, list_editions
from syndication.digest.editions import edition_id
from syndication.errors import EXIT_OK, InputError, UsageError
from syndication.mail.base import Batch, personalise
from syndication.mail.mime import build_message, encoded_body
from syndication.runtime import Runtime

SAMPLE_SUBSCRIBER = Subscriber(
    id=0, email="leserin@example.org", status=SubscriberStatus.ACTIVE, name="Anna Beispiel"
)


@click.group()
def digest() -> None:
    """Email digests: build editions, preview them, look at the archive."""


@digest.command("build")
@click.option("--edition", "edition_name", default="daily", show_default=True, help="Configured edition name.")
@click.pass_obj
def build(runtime: Runtime, edition_name: str) -> int:
    """Build the next edition (articles new since the previous one) and write its web archive page."""
    settings = runtime.settings
    settings.edition(edition_name)  # an unknown name is a usage error before anything happens
    writer = public_writer(settings)
    edition = build_edition(runtime, edition_name, publish=False)
    if edition is None:
        today = runtime.clock.now().astimezone(settings.site.zone).date()
        existing = get_edition(runtime.engine, edition_id(edition_name, today))
        if existing is not None:
            click.echo(f"{existing.id}: already built today with {len(existing.article_ids)} articles; nothing to do")
        else:
            previous = latest_edition(runtime.engine, edition_name)
            since = f" since {previous.id}" if previous else ""
            click.echo(f"{edition_name}: no new articles{since}; no edition built")
        # Re-publishing repairs a missing archive page; unchanged files are not touched.
        report = publish_archive(runtime.settings, runtime.engine, writer, existing)
    else:
        click.echo(
            f"built {edition.id}: {len(edition.article_ids)} articles "
            f"({edition.new_article_count} new since the previous edition)"
        )
        report = publish_archive(runtime.settings, runtime.engine, writer, edition)
    for path in report.written:
        click.echo(f"archived: {settings.public_dir / path}")
    return EXIT_OK


def _find_subscriber(runtime: Runtime, email: str) -> Subscriber:
    # Reading needs no secret key: a preview works before one is set.
    found = SubscriberStore(runtime.engine).get_by_email(email)
    if found is None:
        raise InputError("--subscriber", "no subscriber with this address")
    return found


@digest.command("preview")
@click.option("--edition", "edition_name", default="daily", show_default=True, help="Configured edition name.")
@click.option("--subscriber", "email", default=None, help="Preview as this subscriber (default: a sample reader).")
@click.option(
    "--out", "out_dir", type=click.Path(path_type=Path, file_okay=False), required=True, help="Folder to write to."
)
@click.pass_obj
def preview(runtime: Runtime, edition_name: str, email: str | None, out_dir: Path) -> int:
    """Write .html, .txt and .eml of one personalised message without sending anything.

    Uses today's edition when it is built, else a draft of the next one (not stored),
    else the latest edition.
    """
    settings = runtime.settings
    settings.edition(edition_name)
    today = runtime.clock.now().astimezone(settings.site.zone).date()
    edition = (
        get_edition(runtime.engine, edition_id(edition_name, today))
        or draft_edition(runtime, edition_name)
        or latest_edition(runtime.engine, edition_name)
    )
    if edition is None:
        raise UsageError(f"{edition_name}: no edition and no articles to preview; run `syndication collect` first")
    subscriber = _find_subscriber(runtime, email) if email else SAMPLE_SUBSCRIBER
    mailer = App(runtime).edition_mailer(edition, edition_articles(runtime.engine, edition))
    variant = mailer.variant_key(subscriber)
    if variant is None:
        click.echo(f"{edition.id}: nothing in this edition matches the subscriber's topics; no message")
        return EXIT_OK
    body = mailer.body(variant)
    recipient = mailer.recipient(subscriber)
    personal = personalise(body, recipient)
    batch = Batch(key=f"preview-{edition.id}", body=body, recipients=(recipient,), headers=mailer.shared_headers())
    message = build_message(mailer.sender(), batch, recipient, runtime.clock.now())
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"{edition.id}-{subscriber.id}"
    files = {
        out_dir / f"{stem}.html": personal.html.encode("utf-8"),
        out_dir / f"{stem}.txt": personal.text.encode("utf-8"),
        out_dir / f"{stem}.eml": message.as_bytes(),
    }
    for path, data in files.items():
        path.write_bytes(data)
        click.echo(f"wrote {path}")
    # The budget counts the HTML part as sent (quoted-printable), as Gmail's clip does.
    size = len(encoded_body(personal.html))
    click.echo(f"subject: {personal.subject}")
    click.echo(f"html: {size} bytes as sent (budget {settings.digest.size_budget_bytes}); variant {variant}")
    return EXIT_OK


@digest.command("list")
@click.option("--edition", "edition_name", default=None, help="Only this edition name.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of edition objects.")
@click.pass_obj
def list_command(runtime: Runtime, edition_name: str | None, as_json: bool) -> None:
    """List built editions, newest first."""
    editions = list_editions(runtime.engine, edition_name)
    if as_json:
        click.echo(json.dumps([
            {"id": e.id, "name": e.name, "title": e.title, "edition_date": e.edition_date.isoformat(),
             "built_at": e.built_at.isoformat(), "article_ids": list(e.article_ids),
             "new_articles": e.new_article_count}
            for e in editions
        ], ensure_ascii=False, indent=2))
        return
    zone = runtime.settings.site.zone
    for edition in editions:
        built = edition.built_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
        click.echo(f"{edition.id}  built {built}  {len(edition.article_ids)} articles")
    click.echo(f"{len(editions)} editions")


def register(cli: click.Group) -> None:
    """Add the `digest` group to the root command."""
    cli.add_command(digest)
