"""Special editions from the console (``digest special`` with a form): choose a newsletter, articles among the
newest and optionally a saved segment; a confirmation step shows the subject and how many readers it goes
to; confirmed, the edition is built and sent at once in the background, then its page shows the progress.

The same services as the CLI's ``send_special``, in its two steps (:func:`build_special_edition`, then
``send_edition`` with the segment, which the console's :class:`SendControl` runs in a thread): the page
must know the new edition's id before the send starts, to show its progress. A confirmation carries a
one-time token written to the audit log with the send, so posting it twice sends once.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, text
from starlette.datastructures import FormData, ImmutableMultiDict
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from subscribers.segments import SegmentStore, UnknownSegment
from syndication.app.editions import NewsletterRecipients, build_special_edition
from syndication.config import NewsletterConfig
from syndication.console.accounts import Account
from syndication.console.core import Console, page, redirect, words
from syndication.digest.editions import SPECIAL, Edition, special_edition_id, special_edition_name
from syndication.digest.personalize import ALL_ARTICLES
from syndication.errors import SyndicationError
from syndication.mail.base import personalise
from syndication.model import Article
from syndication.store.articles import ArticleStore
from syndication.subscriber import Frequency, Subscriber, SubscriberStatus

RECENT = 50
AUDIT_ACTION = "edition.special"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_IDS = re.compile(r"[\s,;]+")
# One confirmation at a time in this process: the check "was this token sent?" and the send belong together.
_confirming = threading.Lock()


@dataclass(frozen=True)
class Choice:
    """A checked choice: a configured newsletter, published articles in order, a saved segment or None."""

    newsletter: NewsletterConfig
    articles: tuple[Article, ...]
    segment: str | None


def N_(message: str) -> str:
    """Marks a msgid for extraction (the gettext convention); translated where it is shown."""
    return message


def _newsletters(console: Console) -> tuple[NewsletterConfig, ...]:
    return console.settings.all_newsletters


def _recent(console: Console) -> list[Article]:
    store = ArticleStore(console.runtime.engine)
    ids = [article_id for _published, article_id in store.newest(None, RECENT)]
    found = {article.id: article for article in store.get_many(ids)}
    return [found[article_id] for article_id in ids if article_id in found]


def _segments(console: Console) -> list[tuple[str, int]]:
    store = SegmentStore(console.runtime.engine)
    now = console.clock.now()
    return [(segment.name, store.count(segment.conditions, now=now)) for segment in store.list()]


def _chosen_ids(form: ImmutableMultiDict[str, Any]) -> list[str]:
    ticked = [str(value) for value in form.getlist("article")]
    typed = [part for part in _IDS.split(str(form.get("ids") or "")) if part]
    return list(dict.fromkeys([*ticked, *typed]))


def _check(console: Console, form: FormData, translate: Callable[[str], str]) -> tuple[Choice | None, list[str]]:
    """The form's choice, or the messages saying what is wrong with it (all of them at once)."""
    problems: list[str] = []
    name = str(form.get("newsletter") or "")
    newsletter = next((n for n in _newsletters(console) if n.name == name), None)
    if newsletter is None:
        problems.append(translate(N_("The newsletter “%(name)s” is not configured.")) % {"name": name})
    ids = _chosen_ids(form)
    articles: list[Article] = []
    if not ids:
        problems.append(translate(N_("Choose at least one article.")))
    else:
        found = {a.id: a for a in ArticleStore(console.runtime.engine).get_many(ids) if a.is_published}
        missing = [article_id for article_id in ids if article_id not in found]
        if missing:
            problems.append(translate(N_("No published article has the id %(ids)s.")) % {"ids": ", ".join(missing)})
        articles = [found[article_id] for article_id in ids if article_id in found]
    segment = str(form.get("segment") or "") or None
    if segment is not None:
        try:
            SegmentStore(console.runtime.engine).get(segment)
        except UnknownSegment:
            problems.append(translate(N_("There is no segment named “%(name)s”.")) % {"name": segment})
    if problems or newsletter is None:
        return None, problems
    return Choice(newsletter, tuple(articles), segment), []


def _recipients(console: Console, choice: Choice) -> int:
    """How many readers the send would reach now (those who had all its articles today are skipped then)."""
    condition = None
    if choice.segment is not None:
        segment = SegmentStore(console.runtime.engine).get(choice.segment)
        condition = segment.conditions.condition(console.clock.now())
    # The send's own source of readers, so the figure is the one the ledger will plan.
    source = NewsletterRecipients(
        console.app.subscriber_store(),
        choice.newsletter,
        condition=condition,
        every_slot=True,
        site_zone=console.settings.site.timezone,
    )
    return sum(len(batch) for batch in source.iter_active(Frequency.DAILY, None, choice.newsletter.slots[0], 5000))


def _subject(console: Console, choice: Choice, account: Account) -> str:
    """The subject the edition will have, from an unsaved copy of it (built for real only when confirmed)."""
    now = console.clock.now()
    local = now.astimezone(console.settings.site.zone)
    draft = Edition(
        id=special_edition_id(choice.newsletter.name, local),
        name=special_edition_name(choice.newsletter.name, local),
        title=choice.newsletter.title,
        edition_date=local.date(),
        built_at=now,
        article_ids=tuple(a.id for a in choice.articles[: choice.newsletter.max_articles]),
        previous_watermark=0,
        watermark=0,
        new_article_count=len(choice.articles),
        newsletter=choice.newsletter.name,
        kind=SPECIAL,
    )
    mailer = console.app.edition_mailer(draft, list(choice.articles))
    reader = Subscriber(id=0, email=account.email, status=SubscriberStatus.ACTIVE)
    return personalise(mailer.body(ALL_ARTICLES), mailer.recipient(reader)).subject


def _form_page(
    console: Console,
    request: Request,
    account: Account,
    form: ImmutableMultiDict[str, Any] | None,
    problems: list[str],
    status: int = 200,
) -> Response:
    newsletters = _newsletters(console)
    chosen: ImmutableMultiDict[str, Any] = form or ImmutableMultiDict()
    context: dict[str, Any] = {
        "newsletters": newsletters,
        "articles": _recent(console),
        "segments": _segments(console),
        "problems": problems,
        "chosen_newsletter": str(chosen.get("newsletter") or (newsletters[0].name if newsletters else "")),
        "chosen_articles": set(_chosen_ids(chosen)) if form else set(),
        "typed_ids": str(chosen.get("ids") or ""),
        "chosen_segment": str(chosen.get("segment") or ""),
    }
    return console.render(request, "console/special.html.j2", context, account=account, status=status)


def choose(console: Console, request: Request, account: Account, _form: FormData | None) -> Response:
    # "Change the choice" on the confirmation comes back here with the choice in the query.
    return _form_page(console, request, account, request.query_params or None, [])


def review(console: Console, request: Request, account: Account, form: FormData | None) -> Response:
    """The confirmation step: nothing is built or sent here."""
    assert form is not None
    choice, problems = _check(console, form, words(account.language).gettext)
    if choice is None:
        return _form_page(console, request, account, form, problems, status=400)
    return console.render(
        request,
        "console/special_confirm.html.j2",
        {
            "choice": choice,
            "subject": _subject(console, choice, account),
            "recipients": _recipients(console, choice),
            "token": secrets.token_urlsafe(18),
        },
        account=account,
    )


def _sent_with(console: Console, token: str) -> str | None:
    """The edition a confirmation token was sent as already, from the audit log (however long ago)."""
    entry = console.audit.newest_ending(AUDIT_ACTION, f"confirmation {token}")
    return None if entry is None else entry.target


@contextmanager
def _one_confirmation_at_a_time(engine: Engine, token: str) -> Iterator[None]:
    """While inside, no other request with ``token`` is inside, in this process or, on PostgreSQL, any other.

    A double click posts the same confirmation twice, possibly to two ``serve`` processes: the check "was
    this token sent?" and the build and audit entry that answer it must not interleave. PostgreSQL: a lock
    of the transaction held open meanwhile, keyed by the token (the audit entry is committed before it ends).
    SQLite is one machine's store; the process lock covers a ``serve`` of one process.
    """
    with _confirming:
        if engine.dialect.name != "postgresql":
            yield
            return
        key = int.from_bytes(hashlib.sha256(token.encode()).digest()[:8], "big", signed=True)
        with engine.begin() as connection:
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
            yield


def send(console: Console, request: Request, account: Account, form: FormData | None) -> Response:
    """Build the special edition and start its send; the same confirmation again only shows that edition."""
    assert form is not None
    translate = words(account.language).gettext
    token = str(form.get("token") or "")
    if not _TOKEN.match(token):
        return _form_page(
            console, request, account, form, [translate(N_("The confirmation has expired. Choose again."))], status=400
        )
    with _one_confirmation_at_a_time(console.runtime.engine, token):
        sent = _sent_with(console, token)
        if sent is not None:
            return redirect(f"/admin/editions/{sent}?done=special")
        choice, problems = _check(console, form, translate)
        if choice is None:
            return _form_page(console, request, account, form, problems, status=400)
        try:
            edition = build_special_edition(console.runtime, choice.newsletter.name, [a.id for a in choice.articles])
        except SyndicationError as exc:
            return _form_page(console, request, account, form, [str(exc)], status=400)
        console.audit.record(
            account.email,
            AUDIT_ACTION,
            edition.id,
            f"newsletter {choice.newsletter.name}, articles {', '.join(edition.article_ids)}, "
            f"segment {choice.segment or '-'}, confirmation {token}",
        )
    console.sends.start(edition.id, choice.newsletter.slots[0], segment=choice.segment)
    return redirect(f"/admin/editions/{edition.id}?done=special")


def routes(console: Console) -> list[Route]:
    # Before the editions' routes: "/editions/special" is not an edition's id.
    return [
        Route("/editions/special", page(console, choose)),
        Route("/editions/special", page(console, review), methods=["POST"]),
        Route("/editions/special/send", page(console, send), methods=["POST"]),
    ]
