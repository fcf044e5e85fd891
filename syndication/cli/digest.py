"""`syndication digest build|preview|list`: editions, their web archive and previews.

`digest send` is added to this group by syndication/cli/send.py (registered after this module).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from subscribers.model import Subscriber, SubscriberStatus
from subscribers.store import SubscriberStore
from syndication.app import App
from syndication.app.editions import build_edition, draft_edition, send_special
from syndication.app.publishing import public_writer
from syndication.cli.summaries import send_summary
from syndication.cli.words import _, ngettext, number, problem
from syndication.digest.archive import publish_archive
from syndication.digest.compose import newsletter_budget
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


def newsletter_option(function: Any) -> Any:
    """``--newsletter NAME`` and its older spelling ``--edition NAME`` (default: daily)."""
    function = click.option(
        "--edition", "edition_name", default=None, hidden=True, help="Older name of --newsletter."
    )(function)
    return click.option(
        "--newsletter", "newsletter_name", default=None, metavar="NAME",
        help="Configured newsletter ([[newsletters]] or [[digest.editions]]); default: daily.",
    )(function)


def chosen_newsletter(newsletter_name: str | None, edition_name: str | None) -> str:
    """The newsletter of ``--newsletter`` or ``--edition`` (they must agree when both are given)."""
    if newsletter_name and edition_name and newsletter_name != edition_name:
        raise UsageError(_("--newsletter %(newsletter)s and --edition %(edition)s: choose one",
                           newsletter=newsletter_name, edition=edition_name))
    return newsletter_name or edition_name or "daily"


@digest.command("build")
@newsletter_option
@click.pass_obj
def build(runtime: Runtime, newsletter_name: str | None, edition_name: str | None) -> int:
    """Build the next edition (articles new since the previous one) and write its web archive page."""
    edition_name = chosen_newsletter(newsletter_name, edition_name)
    settings = runtime.settings
    settings.edition(edition_name)  # an unknown name is a usage error before anything happens
    writer = public_writer(settings)
    edition = build_edition(runtime, edition_name, publish=False)
    if edition is None:
        today = runtime.clock.now().astimezone(settings.site.zone).date()
        existing = get_edition(runtime.engine, edition_id(edition_name, today))
        if existing is not None:
            click.echo(ngettext("%(edition)s: already built today with %(num)s article; nothing to do",
                                "%(edition)s: already built today with %(num)s articles; nothing to do",
                                len(existing.article_ids), edition=existing.id))
        else:
            previous = latest_edition(runtime.engine, edition_name)
            if previous:
                click.echo(_("%(name)s: no new articles since %(previous)s; no edition built", name=edition_name,
                             previous=previous.id))
            else:
                click.echo(_("%(name)s: no new articles; no edition built", name=edition_name))
        # Re-publishing repairs a missing archive page; unchanged files are not touched.
        report = publish_archive(runtime.settings, runtime.engine, writer, existing)
    else:
        click.echo(ngettext("built %(edition)s: %(num)s article (%(new)s new since the previous edition)",
                            "built %(edition)s: %(num)s articles (%(new)s new since the previous edition)",
                            len(edition.article_ids), edition=edition.id, new=number(edition.new_article_count)))
        report = publish_archive(runtime.settings, runtime.engine, writer, edition)
    for path in report.written:
        click.echo(_("archived: %(path)s", path=settings.public_dir / path))
    return EXIT_OK


def _find_subscriber(runtime: Runtime, email: str) -> Subscriber:
    # Reading needs no secret key: a preview works before one is set.
    found = SubscriberStore(runtime.engine).get_by_email(email)
    if found is None:
        raise InputError("--subscriber", _("no subscriber with this address"))
    return found


@digest.command("preview")
@newsletter_option
@click.option("--subscriber", "email", default=None, help="Preview as this subscriber (default: a sample reader).")
@click.option(
    "--out", "out_dir", type=click.Path(path_type=Path, file_okay=False), required=True, help="Folder to write to."
)
@click.pass_obj
def preview(
    runtime: Runtime, newsletter_name: str | None, edition_name: str | None, email: str | None, out_dir: Path
) -> int:
    """Write .html, .txt and .eml of one personalised message without sending anything.

    Uses today's edition when it is built, else a draft of the next one (not stored),
    else the latest edition.
    """
    edition_name = chosen_newsletter(newsletter_name, edition_name)
    settings = runtime.settings
    settings.edition(edition_name)
    today = runtime.clock.now().astimezone(settings.site.zone).date()
    edition = (
        get_edition(runtime.engine, edition_id(edition_name, today))
        or draft_edition(runtime, edition_name)
        or latest_edition(runtime.engine, edition_name)
    )
    if edition is None:
        raise UsageError(_("%(name)s: no edition and no articles to preview; run `syndication collect` first",
                           name=edition_name))
    subscriber = _find_subscriber(runtime, email) if email else SAMPLE_SUBSCRIBER
    mailer = App(runtime).edition_mailer(edition, edition_articles(runtime.engine, edition))
    variant = mailer.variant_key(subscriber)
    if variant is None:
        click.echo(_("%(edition)s: nothing in this edition matches the subscriber's topics; no message",
                     edition=edition.id))
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
        click.echo(_("wrote %(path)s", path=path))
    # The budget counts the HTML part as sent (quoted-printable), as Gmail's clip does.
    size = len(encoded_body(personal.html))
    click.echo(_("subject: %(subject)s", subject=personal.subject))
    # Byte counts as digits alone (scripts compare them with the file sizes).
    click.echo(_("html: %(size)s bytes as sent (budget %(budget)s); variant %(variant)s", size=size,
                 budget=newsletter_budget(edition, settings), variant=variant))
    return EXIT_OK


@digest.command("list")
@click.option("--edition", "edition_name", default=None, help="Only this edition name.")
@click.option("--newsletter", "newsletter_name", default=None, help="Only this newsletter's editions (specials too).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of edition objects.")
@click.pass_obj
def list_command(runtime: Runtime, edition_name: str | None, newsletter_name: str | None, as_json: bool) -> None:
    """List built editions, newest first."""
    editions = list_editions(runtime.engine, edition_name, newsletter=newsletter_name)
    if as_json:
        click.echo(json.dumps([
            {"id": e.id, "name": e.name, "newsletter": e.newsletter_name, "kind": e.kind, "title": e.title,
             "edition_date": e.edition_date.isoformat(),
             "built_at": e.built_at.isoformat(), "article_ids": list(e.article_ids),
             "new_articles": e.new_article_count}
            for e in editions
        ], ensure_ascii=False, indent=2))
        return
    zone = runtime.settings.site.zone
    for edition in editions:
        built = edition.built_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
        click.echo(ngettext("%(edition)s  built %(built)s  %(num)s article",
                            "%(edition)s  built %(built)s  %(num)s articles",
                            len(edition.article_ids), edition=edition.id, built=built))
    click.echo(ngettext("%(num)s edition", "%(num)s editions", len(editions)))


@digest.command("special")
@click.option("--newsletter", "newsletter_name", required=True, metavar="NAME",
              help="The newsletter, e.g. eilmeldung.")
@click.option("--articles", "article_ids", required=True, multiple=True, metavar="ID",
              help="Article ids, in the order shown (repeat, or several after one --articles).")
@click.option("--segment", default=None, metavar="NAME", help="Only the readers of this saved segment.")
@click.argument("more_ids", nargs=-1, metavar="[ID]...")
@click.pass_obj
def special(
    runtime: Runtime, newsletter_name: str, article_ids: tuple[str, ...], segment: str | None,
    more_ids: tuple[str, ...],
) -> int:
    """Build a special edition from chosen articles and send it now (the regular schedule is not touched).

    Goes through the send ledger like every edition: running it again never sends twice. A reader does
    not get an article again that another edition brought them today, unless the newsletter allows it
    (``repeat_articles``).
    """
    edition, report = send_special(
        runtime, newsletter_name, [*article_ids, *more_ids], segment=segment, echo=click.echo
    )
    click.echo(ngettext("built %(edition)s: %(num)s article", "built %(edition)s: %(num)s articles",
                        len(edition.article_ids), edition=edition.id))
    click.echo(send_summary(report))
    for error in report.errors:
        click.echo(f"  {problem(error)}", err=True)
    return report.exit_code


def register(cli: click.Group) -> None:
    """Add the `digest` group to the root command."""
    cli.add_command(digest)
