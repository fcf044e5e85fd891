"""`syndication collect` and `syndication articles list`."""

from __future__ import annotations

import json

import click

from syndication.collect import run_collect
from syndication.errors import EXIT_OK, EXIT_SOME_FAILED
from syndication.runtime import Runtime
from syndication.store.articles import ArticleStore


@click.command()
@click.pass_obj
def collect(runtime: Runtime) -> int:
    """Read every configured source and store what is new or changed."""
    report = run_collect(runtime.settings, ArticleStore(runtime.engine), runtime.clock)
    for error in report.errors:
        click.echo(f"error: {error}", err=True)
    click.echo(f"collected: {report.summary()}")
    return EXIT_SOME_FAILED if report.failed else EXIT_OK


@click.group()
def articles() -> None:
    """Look at the stored articles."""


@articles.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of full article objects.")
@click.option("--all", "include_retracted", is_flag=True, help="Include retracted articles.")
@click.pass_obj
def list_articles(runtime: Runtime, as_json: bool, include_retracted: bool) -> None:
    """List stored articles, newest first."""
    from syndication.model import ArticleSelection

    found = ArticleStore(runtime.engine).all(ArticleSelection(include_retracted=include_retracted))
    if as_json:
        click.echo(json.dumps([a.to_dict() for a in found], ensure_ascii=False, indent=2))
        return
    zone = runtime.settings.site.zone
    rows = [
        (
            a.published.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            a.status.value,
            ", ".join(a.categories),
            a.author.name if a.author else "",
            a.title,
        )
        for a in found
    ]
    headers = ("published", "status", "categories", "author", "title")
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers[:-1])]
    line = "  ".join(h.ljust(w) for h, w in zip(headers[:-1], widths, strict=True)) + "  " + headers[-1]
    click.echo(line)
    for row in rows:
        click.echo("  ".join(c.ljust(w) for c, w in zip(row[:-1], widths, strict=True)) + "  " + row[-1])
    click.echo(f"{len(rows)} articles")


def register(cli: click.Group) -> None:
    cli.add_command(collect)
    cli.add_command(articles)
