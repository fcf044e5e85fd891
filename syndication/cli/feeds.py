"""``syndication feeds build|list``: build every feed and the OPML, write the changed files, ping WebSub."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import click

from syndication.app.publishing import public_writer
from syndication.cli.progress import progress_bar, progress_option
from syndication.cli.words import _, ngettext, number
from syndication.errors import EXIT_OK, EXIT_SOME_FAILED
from syndication.feeds.catalog import feed_title, feed_url, plan_feeds
from syndication.feeds.publish import build_and_publish
from syndication.feedwriter.formats import FeedFormat
from syndication.runtime import Runtime
from syndication.store.articles import ArticleStore


@click.group("feeds")
def feeds_group() -> None:
    """RSS, Atom and JSON feeds in public/feeds/."""


@feeds_group.command("build")
@progress_option
@click.pass_obj
def build_command(runtime: Runtime, progress: bool) -> int:
    """Build all feeds and publish the ones that changed."""
    with progress_bar(_("feeds"), _("files"), enabled=progress) as advance:
        report = build_and_publish(runtime.settings, runtime.engine, writer=public_writer(runtime.settings),
                                   progress=advance)
    click.echo(_(
        "feeds: %(feeds)s, %(written)s, %(unchanged)s unchanged (%(skipped)s not re-rendered) in %(where)s",
        feeds=ngettext("%(num)s feed", "%(num)s feeds", report.feeds),
        # English keeps "file(s)", which scripts and tests match; other languages inflect.
        written=ngettext("%(num)s file(s) written", "%(num)s file(s) written", len(report.written)),
        unchanged=number(report.unchanged), skipped=number(report.skipped),
        where=runtime.settings.publish.url or runtime.settings.public_dir,
    ))
    if report.websub is not None:
        outcome = report.websub
        line = _("websub: %(num)s announced to %(hub)s", num=number(len(outcome.announced)), hub=outcome.hub)
        if outcome.pending:
            line += ", " + _("%(num)s pending for the next run (%(error)s)", num=number(len(outcome.pending)),
                             error=outcome.error)
        click.echo(line)
    for problem in report.problems:
        click.echo(_("error: %(problem)s", problem=problem), err=True)
    if report.problems:
        # Every other feed is published; the exit code tells the operator something was left out.
        click.echo(ngettext("feeds: %(num)s problem; every other item and feed was published",
                            "feeds: %(num)s problems; every other item and feed was published",
                            len(report.problems)), err=True)
        return EXIT_SOME_FAILED
    # A failing hub is not a failed build: the feeds are published and will be announced later.
    return EXIT_OK


def describe_feeds(runtime: Runtime) -> list[dict[str, Any]]:
    """Every feed a build makes from the stored articles, as `feeds list --json` prints it."""
    settings = runtime.settings
    public = settings.public_dir
    rows = []
    for spec in plan_feeds(settings, ArticleStore(runtime.engine).all()):
        newest = spec.articles[0].published.isoformat() if spec.articles else None
        rows.append({
            "kind": spec.kind,
            "slug": spec.slug,
            "name": spec.name,
            "title": feed_title(settings, spec),
            "articles": len(spec.articles),
            "newest": newest,
            "files": {
                feed_format.extension: {
                    "path": spec.path(feed_format),
                    "url": feed_url(settings, spec.path(feed_format)),
                    "built": (public / spec.path(feed_format)).is_file(),
                }
                for feed_format in FeedFormat
            },
        })
    return rows


@feeds_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of feed objects.")
@click.option("--kind", default=None, help="Only feeds of this kind (all, category, region, author).")
@click.pass_obj
def list_command(runtime: Runtime, as_json: bool, kind: str | None) -> None:
    """List the feeds a build makes from the stored articles, with their URLs."""
    rows = describe_feeds(runtime)
    if kind is not None:
        kinds = sorted({"all", *runtime.settings.feeds.kinds})
        if kind not in kinds:
            raise click.BadParameter(_("'%(kind)s' is not one of %(kinds)s", kind=kind, kinds=", ".join(kinds)),
                                     param_hint="'--kind'")
        rows = [row for row in rows if row["kind"] == kind]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    zone = runtime.settings.site.zone
    table = [
        (
            row["kind"],
            row["name"],
            str(row["articles"]),
            datetime.fromisoformat(row["newest"]).astimezone(zone).strftime("%Y-%m-%d %H:%M") if row["newest"] else "-",
            row["files"]["atom"]["url"] + ("" if row["files"]["atom"]["built"] else "  " + _("(not built yet)")),
        )
        for row in rows
    ]
    headers = (_("kind"), _("name"), _("articles"), _("newest"), "atom")
    widths = [max([len(h), *(len(line[i]) for line in table)]) for i, h in enumerate(headers[:-1])]
    click.echo("  ".join(h.ljust(w) for h, w in zip(headers[:-1], widths, strict=True)) + "  " + headers[-1])
    for line in table:
        click.echo("  ".join(c.ljust(w) for c, w in zip(line[:-1], widths, strict=True)) + "  " + line[-1])
    click.echo(ngettext("%(num)s feed", "%(num)s feeds", len(table)))


def register(cli: click.Group) -> None:
    """Add this capability's commands to the root command."""
    cli.add_command(feeds_group)
