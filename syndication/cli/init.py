"""``syndication init [DIR]``: a new site folder with a commented config.toml and one example article.

Also adds ``--version`` to the root command (this module registers last).
"""

from __future__ import annotations

import shlex
from datetime import datetime, tzinfo
from pathlib import Path

import click

from syndication.cli.words import _
from syndication.errors import UsageError
from syndication.runtime import Runtime

CONFIG_TEMPLATE = """\
# syndication: configuration of {name}.
# Every key can also be set in the environment as SYNDICATION_<SECTION>__<KEY>, e.g.
#   SYNDICATION_DELIVERY__BACKEND=sendgrid
# The full list of keys, with their defaults, is in the operating guide's configuration reference.
#
# Secrets never go in this file; they come from the environment:
#   SYNDICATION_SECRET_KEY   signs subscriber links. Unset on a laptop, a key is generated once in var/secret_key;
#                            production (PostgreSQL or an https url) must set it.
#   SENDGRID_API_KEY         for [delivery] backend = "sendgrid"
#   SYNDICATION_SMTP_USERNAME / SYNDICATION_SMTP_PASSWORD   for backend = "smtp"

[site]
name = {name_toml}
# The public address of `syndication serve` (or of the web server in front of it).
url = "http://localhost:8000"
language = "de"
timezone = "Europe/Berlin"
description = "Nachrichten aus der Region"
publisher_address = "Musterverlag GmbH, Musterstraße 1, 12345 Musterstadt"
imprint_url = "http://localhost:8000/impressum"
# Where feeds and archive pages are written, where the outbox backend puts mail, where the database lives.
public_dir = "public"
outbox_dir = "outbox"
var_dir = "var"
# A folder of your own templates: a file here replaces the bundled template of the same name,
# e.g. templates/email/partials/footer.mjml.j2.
# templates_dir = "templates"

[store]
# Empty: a SQLite file in var/. PostgreSQL: url = "postgresql://user@host/dbname"
auto_migrate = true

# Where articles come from. A folder of Markdown/HTML files in the house anatomy:
[[sources]]
name = "content"
type = "folder"
path = "content"

# A WordPress site (REST API):
# [[sources]]
# name = "website"
# type = "wordpress"
# url = "https://www.example.de"

# An RSS/Atom feed:
# [[sources]]
# name = "agency"
# type = "feed"
# url = "https://agency.example/feed.atom"

[feeds]
kinds = ["category", "region", "author"]
limit = 50

# The newsletters, their articles (include/exclude) and local send times.
[[newsletters]]
name = "daily"
title = "Der Morgen"
schedule = "daily"
slots = ["06:00"]

[[newsletters]]
name = "weekly"
title = "Die Woche"
schedule = "weekly"
weekday = "sat"
slots = ["07:00"]

[delivery]
# "outbox" writes .eml files to outbox_dir; "smtp" and "sendgrid" send for real.
backend = "outbox"
from_email = "newsletter@example.org"
from_name = {name_toml}
unsubscribe_mailto = "unsubscribe@example.org"
list_id = "Newsletter <newsletter.example.org>"

[serve]
host = "127.0.0.1"
port = 8000
"""

ARTICLE_TEMPLATE = """\
---
title: Willkommen – so sieht ein Artikel in der Hausanatomie aus
published: {published}
url: http://localhost:8000/{year}/{month:02d}/willkommen/
author:
  name: Redaktion
categories: [Lokales]
regions: [Musterstadt]
author_quote: „Jeder Abschnitt hat eine feste Überschrift; daran erkennt syndication seine Rolle.“
---
Der erste Absatz ist der Vorspann: er erscheint als Teaser in Feeds und Newslettern.

## Worum es geht

Was passiert ist, mit Links zu den [Quellen](https://example.org/quelle).

## Wichtigste Fakten

- Eine Liste mit drei Punkten
- Jeder Punkt ein Fakt
- Im Newsletter erscheinen die ersten drei

## Hintergrund

Der Zusammenhang, in dem die Nachricht steht.

## Bedeutung für Musterstadt

Warum die Nachricht hier wichtig ist; die Überschrift nennt die Region.

## Chancen & Risiken

- Chance: Was gut werden kann.
- Risiko: Was schiefgehen kann.

## Ausblick

Was als Nächstes kommt.

## Quellen

- [Die Quelle des Artikels](https://example.org/quelle)
"""


def _toml_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _write_new(path: Path, text: str) -> None:
    try:
        with path.open("x", encoding="utf-8") as file:
            file.write(text)
    except FileExistsError:
        raise _already_exists(path) from None
    except OSError as exc:
        raise UsageError(_("%(path)s: cannot write: %(reason)s", path=path, reason=exc.strerror)) from exc


def _already_exists(path: Path) -> UsageError:
    return UsageError(_("%(path)s: already exists; init leaves existing files alone", path=path))


def write_site(folder: Path, name: str, now: datetime, zone: tzinfo) -> list[Path]:
    """Write config.toml and content/<year>/<month>/willkommen.md under ``folder``; refuse to overwrite.

    The example article is published ``now`` (in ``zone``), so the first demo's editions include it.
    """
    config = folder / "config.toml"
    local = now.astimezone(zone)
    article = folder / "content" / f"{local.year}" / f"{local.month:02d}" / "willkommen.md"
    for path in (config, article):
        if path.exists():
            raise _already_exists(path)
    article.parent.mkdir(parents=True, exist_ok=True)
    _write_new(config, CONFIG_TEMPLATE.format(name=name, name_toml=_toml_string(name)))
    published = local.replace(microsecond=0).isoformat()
    _write_new(article, ARTICLE_TEMPLATE.format(published=published, year=local.year, month=local.month))
    return [config, article]


@click.command("init")
@click.argument("directory", type=click.Path(path_type=Path, file_okay=False), default=".")
@click.option("--name", default="Musterstadt-Nachrichten", show_default=True, help="The site's name.")
@click.pass_obj
def init_command(runtime: Runtime, directory: Path, name: str) -> None:
    """Create a site in DIRECTORY: a commented config.toml and content/ with one example article."""
    directory.mkdir(parents=True, exist_ok=True)
    written = write_site(directory, name, runtime.clock.now(), runtime.settings.site.zone)
    for path in written:
        click.echo(_("wrote %(path)s", path=path))
    here = directory.resolve() == Path.cwd().resolve()
    prefix = "" if here else f"cd {shlex.quote(str(directory))} && "
    click.echo("")
    click.echo(_("Next:"))
    demo = _("collect, build feeds and archive, send each edition to outbox/")
    serve = _("then open http://127.0.0.1:8000/subscribe and /feeds/all.atom")
    run = _("the scheduler: collects, builds and sends on the configured times")
    click.echo(f"  {prefix}syndication demo    # {demo}")
    click.echo(f"  syndication serve    # {serve}")
    click.echo(f"  syndication run      # {run}")


def register(cli: click.Group) -> None:
    cli.add_command(init_command)
    click.version_option(package_name="syndication", prog_name="syndication", message="%(prog)s %(version)s")(cli)
