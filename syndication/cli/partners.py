"""`syndication partners add|list|revoke|rotate|push|push-secret|push-stop|replay|deliver|usage`: partners, pushes."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime

import click

from syndication.cli.partners_push import add_push_commands
from syndication.cli.words import WholeNumber, _, ngettext
from syndication.i18n import N_
from syndication.partners.endpoints import Endpoint, endpoints_by_partner
from syndication.partners.model import Partner
from syndication.partners.store import PartnerStore, UsageSummary
from syndication.runtime import Runtime

_KEY_NOTE = N_("Store this key now: it is shown only once and cannot be recovered (only its hash is kept).")


def _store(runtime: Runtime) -> PartnerStore:
    return PartnerStore(runtime.engine, runtime.secrets.require_secret_key())


def _split(values: Iterable[str]) -> tuple[str, ...]:
    """Options may be repeated or comma-separated: ``--categories Politik,Wirtschaft``."""
    return tuple(part.strip() for value in values for part in value.split(",") if part.strip())


def _print_key(name: str, key: str) -> None:
    # The key alone on stdout (easy to capture in a script); the explanation on stderr.
    click.echo(_("API key for partner '%(name)s'.", name=name) + " " + _(_KEY_NOTE), err=True)
    click.echo(key)


@click.group()
def partners() -> None:
    """Partners that receive full-content syndication (ninjs and Atom) with their own API key."""


@partners.command("add")
@click.argument("name")
@click.option("--categories", multiple=True, help="Allowed categories (repeat or comma-separate; none: all).")
@click.option("--regions", multiple=True, help="Allowed regions (repeat or comma-separate; none: all).")
@click.option("--embargo", "embargo_minutes", type=WholeNumber(min=0), default=0, show_default=True,
              help="Minutes after publication before an article becomes visible to the partner.")
@click.option("--summary-only", is_flag=True, help="Send the teaser and a link instead of the full text.")
@click.option("--rights", "rights_text", default=None, help="Rights statement (default: [partners] rights_text).")
@click.option("--licence-url", default=None, help="Licence URL (default: [partners] licence_url).")
@click.option("--attribution", default=None, help="Required attribution (default: [partners] attribution).")
@click.option("--reuse-days", type=WholeNumber(min=1), default=None,
              help="Days after publication the partner may keep an item online (ninjs expires); none: no limit.")
@click.pass_obj
def add(
    runtime: Runtime,
    name: str,
    categories: tuple[str, ...],
    regions: tuple[str, ...],
    embargo_minutes: int,
    summary_only: bool,
    rights_text: str | None,
    licence_url: str | None,
    attribution: str | None,
    reuse_days: int | None,
) -> None:
    """Add partner NAME and print its new API key (once)."""
    created = _store(runtime).add(
        name,
        runtime.clock.now(),
        categories=_split(categories),
        regions=_split(regions),
        embargo_minutes=embargo_minutes,
        summary_only=summary_only,
        rights_text=rights_text,
        licence_url=licence_url,
        attribution=attribution,
        reuse_days=reuse_days,
    )
    _print_key(created.partner.name, created.key)


def _describe(
    partner: Partner, runtime: Runtime, usage: UsageSummary | None, endpoint: Endpoint | None
) -> dict[str, object]:
    terms = partner.terms(runtime.settings.partners, runtime.settings.site)
    push = None if endpoint is None else ("stopped" if endpoint.stopped_at is not None else "on")
    return {
        "name": partner.name,
        "status": "active" if partner.active else "revoked",
        "key_prefix": partner.key_prefix,
        "categories": list(partner.categories),
        "regions": list(partner.regions),
        "embargo_minutes": partner.embargo_minutes,
        "summary_only": partner.summary_only,
        "rights_text": terms.rights_text,
        "licence_url": terms.licence_url,
        "attribution": terms.attribution,
        "created_at": partner.created_at.isoformat() if partner.created_at else None,
        "key_created_at": partner.key_created_at.isoformat() if partner.key_created_at else None,
        "revoked_at": partner.revoked_at.isoformat() if partner.revoked_at else None,
        "requests": usage.requests if usage else 0,
        "items_served": usage.items_served if usage else 0,
        "last_request": usage.last_request.isoformat() if usage and usage.last_request else None,
        # The push endpoint: "on", "stopped" or None (none registered), and its URL.
        "push": push,
        "push_url": endpoint.url if endpoint is not None else None,
    }


@partners.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array (never any key).")
@click.pass_obj
def list_partners(runtime: Runtime, as_json: bool) -> None:
    """List partners with their terms and usage (keys are never shown)."""
    store = _store(runtime)
    usage = store.usage()
    pushes = endpoints_by_partner(runtime.engine)
    rows = [_describe(partner, runtime, usage.get(partner.id), pushes.get(partner.id)) for partner in store.all()]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    zone = runtime.settings.site.zone

    def local(value: object) -> str:
        if not value:
            return "-"
        return datetime.fromisoformat(str(value)).astimezone(zone).strftime("%Y-%m-%d %H:%M")

    table = [
        (
            str(row["name"]),
            _("active") if row["status"] == "active" else _("revoked"),
            str(row["key_prefix"]) + "…",
            ", ".join(row["categories"]) or _("all"),  # type: ignore[arg-type]
            ", ".join(row["regions"]) or _("all"),  # type: ignore[arg-type]
            _("%(minutes)s min", minutes=row["embargo_minutes"]),
            _("summary") if row["summary_only"] else _("full"),
            str(row["requests"]),
            local(row["last_request"]),
            {"on": _("on"), "stopped": _("stopped")}.get(str(row["push"]), "-"),
        )
        for row in rows
    ]
    headers = (_("name"), _("status"), _("key"), _("categories"), _("regions"), _("embargo"), _("content"),
               _("requests"), _("last request"), _("push"))
    widths = [max([len(header), *(len(line[i]) for line in table)]) for i, header in enumerate(headers)]
    click.echo("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
    for line in table:
        click.echo("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip())
    click.echo(ngettext("%(num)s partner", "%(num)s partners", len(table)))


@partners.command("revoke")
@click.argument("name")
@click.pass_obj
def revoke(runtime: Runtime, name: str) -> None:
    """Revoke partner NAME's key at once (the partner and its request log are kept)."""
    if _store(runtime).revoke(name, runtime.clock.now()):
        click.echo(_("revoked: %(name)s", name=name))
    else:
        click.echo(_("already revoked: %(name)s", name=name))


@partners.command("rotate")
@click.argument("name")
@click.pass_obj
def rotate(runtime: Runtime, name: str) -> None:
    """Give partner NAME a new key and print it (once); the old key stops working at once."""
    rotated = _store(runtime).rotate(name, runtime.clock.now())
    _print_key(rotated.partner.name, rotated.key)


def register(cli: click.Group) -> None:
    """Add this capability's commands to the root command."""
    add_push_commands(partners)
    cli.add_command(partners)
