"""The console's other pages: the overview, articles with their parse warnings, feeds, accounts and the
audit log (the last two for administrators)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from subscribers.tables import subscribers as subscribers_table
from syndication.console.accounts import LANGUAGES, Account, Role
from syndication.console.core import Console, page, redirect
from syndication.console.signin import sign_in_url
from syndication.delivery.brake import paused_runs
from syndication.delivery.places import recipients_by_slot
from syndication.delivery.tables import delivery_runs
from syndication.digest.edition_store import list_editions
from syndication.errors import SyndicationError
from syndication.events.report import build_reports
from syndication.feeds.catalog import plan_feeds
from syndication.feedwriter.formats import FeedFormat
from syndication.model import Article, SectionRole
from syndication.scheduler.bound import real_jobs
from syndication.scheduler.plan import build_plan
from syndication.scheduler.status import Health, gather
from syndication.store.articles import ArticleStore
from syndication.subscriber import SubscriberStatus


def parse_warnings(article: Article) -> list[str]:
    """What the desk should fix at the article's source (msgids: translated in the template)."""
    warnings = []
    if article.section(SectionRole.OUTLOOK) is None:
        warnings.append("no outlook found")
    if article.author is not None and not article.author_quote:
        warnings.append("no author quote")
    if article.image is not None and article.image.ai_generated and not article.image.alt.strip():
        warnings.append("AI-generated image without alt text")
    if any(section.role == SectionRole.OTHER for section in article.sections):
        warnings.append("unknown heading")
    return warnings


def overview(console: Console, request: Request, account: Account, _form: FormData | None) -> Response:
    engine = console.runtime.engine
    store = console.app.subscriber_store()
    counts = {s.value: store.count(s) for s in SubscriberStatus}
    since = console.clock.now() - timedelta(days=30)
    with engine.connect() as connection:
        runs = connection.execute(select(delivery_runs).order_by(delivery_runs.c.id.desc()).limit(10)).all()
        day = func.date(subscribers_table.c.created)
        growth = connection.execute(
            select(day, func.count()).where(subscribers_table.c.created >= since).group_by(day).order_by(day)
        ).all()
    slots = console.sends
    progress = []
    for run in runs:
        progress.extend(slots.progress(run.edition_id, (run.slot,)))
    most = max((count for _day, count in growth), default=0)
    return console.render(request, "console/overview.html.j2", {
        "counts": counts, "runs": list(zip(runs, progress, strict=False)), "paused": paused_runs(engine),
        "editions": console.settings.digest.editions, "growth": growth, "most": most,
        "rates": _rates(console), "health": _health(console),
    }, account=account)


def _rates(console: Console) -> list[tuple[str, float | None, float | None]]:
    """(edition id, complaint rate of delivered, bounce rate of sent) of the last five editions."""
    result = []
    engine = console.runtime.engine
    for edition in list_editions(engine)[:5]:
        with engine.connect() as connection:
            report, _slots = build_reports(connection, edition.id, recipients_by_slot(connection, edition.id))
        counts = report.counts
        sent = counts.get("sent", 0)
        bounced = counts.get("bounced_hard", 0) + counts.get("bounced_soft", 0)
        result.append((edition.id, report.rate("complaints"), bounced / sent if sent else None))
    return result


def _health(console: Console) -> Health | None:
    """The scheduler's facts, as ``/healthz`` tells them (None when they cannot be read)."""
    runtime = console.runtime
    try:
        return gather(runtime, real_jobs(runtime), build_plan(runtime.settings))
    except (SQLAlchemyError, SyndicationError):
        return None


def articles(console: Console, request: Request, account: Account, _form: FormData | None) -> Response:
    found = ArticleStore(console.runtime.engine).all()
    found.sort(key=lambda a: a.published, reverse=True)
    only_warnings = request.query_params.get("warnings") == "1"
    rows = [(article, parse_warnings(article)) for article in found[:300]]
    if only_warnings:
        rows = [row for row in rows if row[1]]
    return console.render(request, "console/articles.html.j2", {"rows": rows, "only_warnings": only_warnings},
                          account=account)


def feed_check(path: Path) -> tuple[str, int | None]:
    """("valid" | "not built" | "invalid: …", entries read): the file as a feed reader parses it (feedparser,
    as the project's feed tests do); a reader that cannot parse a feed is what the desk must hear about."""
    if not path.is_file():
        return "not built", None
    parsed = feedparser.parse(path.read_bytes())
    if parsed.bozo:
        return f"invalid: {type(parsed.bozo_exception).__name__}", len(parsed.entries)
    return "valid", len(parsed.entries)


def feeds(console: Console, request: Request, account: Account, _form: FormData | None) -> Response:
    settings = console.settings
    specs = plan_feeds(settings, ArticleStore(console.runtime.engine).all())
    rows = []
    for spec in specs:
        for feed_format in FeedFormat:
            path = settings.public_dir / spec.path(feed_format)
            built = datetime.fromtimestamp(path.stat().st_mtime, UTC) if path.is_file() else None
            status, entries = feed_check(path)
            rows.append((spec.path(feed_format), len(spec.articles), built, status, entries))
    return console.render(request, "console/feeds.html.j2", {"rows": rows}, account=account)


def accounts(console: Console, request: Request, account: Account, _form: FormData | None) -> Response:
    return console.render(request, "console/accounts.html.j2", {
        "accounts": console.accounts.all(), "link": None, "roles": [r.value for r in Role], "languages": LANGUAGES,
        "error": request.query_params.get("error")}, account=account)


def add_account(console: Console, request: Request, account: Account, form: FormData | None) -> Response:
    assert form is not None
    role = str(form.get("role") or "editor")
    language = str(form.get("language") or "de")
    try:
        added = console.accounts.add(str(form.get("email") or ""), Role(role) if role in ("admin", "editor")
                                     else Role.EDITOR, language)
    except SyndicationError:
        return redirect("/admin/accounts?error=address")
    console.audit.record(account.email, "account.add", added.email, f"role {added.role}")
    link = sign_in_url(console.settings.site.url, console.accounts.issue_link(added))
    return console.render(request, "console/accounts.html.j2", {
        "accounts": console.accounts.all(), "link": (added.email, link), "roles": [r.value for r in Role],
        "languages": LANGUAGES, "error": None}, account=account)


def remove_account(console: Console, request: Request, account: Account, _form: FormData | None) -> Response:
    target = console.accounts.get(int(request.path_params["account_id"]))
    if target is not None and target.id != account.id and console.accounts.remove(target.id):
        console.audit.record(account.email, "account.remove", target.email, "")
    return redirect("/admin/accounts")


def language(console: Console, request: Request, account: Account, form: FormData | None) -> Response:
    assert form is not None
    chosen = str(form.get("language") or "")
    if chosen in LANGUAGES:
        console.accounts.set_language(account.id, chosen)
        console.audit.record(account.email, "account.language", account.email, chosen)
    back = str(form.get("back") or "/admin/")
    return redirect(back if back.startswith("/admin/") and not back.startswith("//") else "/admin/")


def audit(console: Console, request: Request, account: Account, _form: FormData | None) -> Response:
    return console.render(request, "console/audit.html.j2", {"entries": console.audit.recent()}, account=account)


def routes(console: Console) -> list[Route]:
    return [
        Route("/", page(console, overview)),
        Route("/articles", page(console, articles)),
        Route("/feeds", page(console, feeds)),
        Route("/language", page(console, language), methods=["POST"]),
        Route("/accounts", page(console, accounts, role=Role.ADMIN)),
        Route("/accounts/new", page(console, add_account, role=Role.ADMIN), methods=["POST"]),
        Route("/accounts/{account_id:int}/remove", page(console, remove_account, role=Role.ADMIN), methods=["POST"]),
        Route("/audit", page(console, audit, role=Role.ADMIN)),
    ]
