"""`syndication collect` and `syndication articles list`."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import click

from syndication.app.partners import version_log
from syndication.cli.progress import progress_bar, progress_option
from syndication.cli.summaries import collect_summary
from syndication.cli.words import _, ngettext, problem, value
from syndication.errors import EXIT_OK, EXIT_SOME_FAILED
from syndication.model import Article, ArticleSelection, Status
from syndication.runtime import Runtime
from syndication.sources.collect import run_collect
from syndication.store.articles import ArticleStore


@click.command()
@progress_option
@click.pass_obj
def collect(runtime: Runtime, progress: bool) -> int:
    """Read every configured source and store what is new or changed."""
    with progress_bar(_("collect"), _("items"), enabled=progress) as advance:
        report = run_collect(runtime.settings, ArticleStore(runtime.engine), runtime.clock, progress=advance,
                             listener=version_log(runtime))
    for error in report.errors:
        click.echo(_("error: %(problem)s", problem=problem(error)), err=True)
    click.echo(_("collected: %(summary)s", summary=collect_summary(report)))
    return EXIT_SOME_FAILED if report.failed else EXIT_OK


class LocalDateTime(click.ParamType):
    """An ISO 8601 date or date-time; without an offset it is read in the site's zone (by the command)."""

    name = "DATE"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> date | datetime:
        if isinstance(value, date):
            return value
        text = str(value).strip()
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            self.fail(_("'%(value)s' is not an ISO 8601 date or date-time (e.g. 2026-11-23 or 2026-11-23T06:30)",
                        value=text), param, ctx)


def _moment(value: date | datetime, zone: ZoneInfo, *, end_of_day: bool) -> datetime:
    """``value`` as an aware instant; a plain date is the start of that day, or (``end_of_day``) of the next."""
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=zone)
    day = value + timedelta(days=1) if end_of_day else value
    return datetime.combine(day, time(0), tzinfo=zone)


def _matches(
    article: Article,
    sources: Sequence[str],
    categories: Sequence[str],
    status: str | None,
    since: datetime | None,
    until: datetime | None,
    until_exclusive: bool,
) -> bool:
    if sources and article.source not in sources:
        return False
    if categories and not {c.casefold() for c in categories} & {c.casefold() for c in article.categories}:
        return False
    if status is not None and article.status.value != status:
        return False
    if since is not None and article.published < since:
        return False
    if until is None:
        return True
    return article.published < until if until_exclusive else article.published <= until


@click.group()
def articles() -> None:
    """Look at the stored articles."""


@articles.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of full article objects.")
@click.option("--all", "include_retracted", is_flag=True, help="Include retracted articles.")
@click.option("--source", "sources", multiple=True, metavar="NAME", help="Only from this source (repeatable).")
@click.option("--category", "categories", multiple=True, metavar="NAME",
              help="Only with this category, any case (repeatable: any of them).")
@click.option("--status", type=click.Choice([s.value for s in Status]), default=None,
              help="Only with this status (retracted implies --all).")
@click.option("--since", type=LocalDateTime(), default=None,
              help="Published at or after DATE (ISO 8601; without an offset, in the site's zone).")
@click.option("--until", type=LocalDateTime(), default=None,
              help="Published at or before DATE (a plain date includes that whole day).")
@click.pass_obj
def list_articles(
    runtime: Runtime,
    as_json: bool,
    include_retracted: bool,
    sources: tuple[str, ...],
    categories: tuple[str, ...],
    status: str | None,
    since: date | datetime | None,
    until: date | datetime | None,
) -> None:
    """List stored articles, newest first (filters combine; dates are ISO 8601 in the site's zone)."""
    zone = runtime.settings.site.zone
    start = _moment(since, zone, end_of_day=False) if since is not None else None
    end = _moment(until, zone, end_of_day=True) if until is not None else None
    # A plain --until date ends where the next day starts; a date-time is the last moment included.
    until_exclusive = until is not None and not isinstance(until, datetime)
    if start is not None and end is not None and (start >= end if until_exclusive else start > end):
        raise click.BadParameter(_("%(until)s is before --since %(since)s", until=until, since=since),
                                param_hint="'--until'")
    store = ArticleStore(runtime.engine)
    every = store.all(ArticleSelection(include_retracted=include_retracted or status is not None))
    known = _source_names(runtime, every)
    unknown = [name for name in sources if name not in known]
    if unknown:
        raise click.BadParameter(
            _("no source named '%(name)s' (known: %(known)s)", name=unknown[0],
              known=", ".join(sorted(known)) or _("none")),
            param_hint="'--source'",
        )
    found = [a for a in every if _matches(a, sources, categories, status, start, end, until_exclusive)]
    if as_json:
        click.echo(json.dumps([a.to_dict() for a in found], ensure_ascii=False, indent=2))
        return
    rows = [
        (
            a.published.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            value(a.status.value),
            ", ".join(a.categories),
            a.author.name if a.author else "",
            a.title,
        )
        for a in found
    ]
    headers = (_("published"), _("status"), _("categories"), _("author"), _("title"))
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers[:-1])]
    line = "  ".join(h.ljust(w) for h, w in zip(headers[:-1], widths, strict=True)) + "  " + headers[-1]
    click.echo(line)
    for row in rows:
        click.echo("  ".join(c.ljust(w) for c, w in zip(row[:-1], widths, strict=True)) + "  " + row[-1])
    click.echo(ngettext("%(num)s article", "%(num)s articles", len(rows)))


def _source_names(runtime: Runtime, stored: Sequence[Article]) -> set[str]:
    """Configured sources and those stored articles came from (a source removed from the config included)."""
    return {source.name for source in runtime.settings.sources} | {a.source for a in stored}


def register(cli: click.Group) -> None:
    cli.add_command(collect)
    cli.add_command(articles)
