"""Which articles each feed shows, read from the store by index; and which feeds a change touches.

A feed's items are its ``[feeds] limit`` newest published articles: for the main feed a walk
down the articles' (status, published, id) index, for a category, region or author feed one
walk down ``article_terms`` per name that makes the feed (names whose slugs collide share a
feed). Either way at most ``limit`` rows per name, whatever the size of the archive.

A rebuild starts from what the previous build saw: the store's change cursor (the highest
``change_seq``). Nothing past it: no article is read at all. Otherwise only the feeds the
changed articles are listed in, now or at the previous build, are selected again.
:func:`~syndication.feeds.catalog.plan_feeds` is the same selection over a list in memory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from syndication.config import Settings
from syndication.feeds.catalog import FeedSpec, slugify
from syndication.feeds.loading import load_articles
from syndication.feedwriter.formats import FeedFormat
from syndication.feedwriter.links import MAIN_KIND, site_feeds_title
from syndication.html import plain_text
from syndication.model import Article
from syndication.store.articles import ArticleStore, article_terms_of

FeedKey = tuple[str, str]
"""(kind, slug); the main feed is ("all", "all")."""

MAIN_KEY: FeedKey = (MAIN_KIND, MAIN_KIND)
_CHANGES_PAGE = 500
# Beyond this many changed articles (a first import, a re-collect after a parser change)
# selecting every feed afresh is cheaper than tracing each change to its feeds.
MAX_TRACED_CHANGES = 2000


@dataclass(frozen=True)
class FeedTerms:
    """A category, region or author feed: the names (as stored) whose slug it is."""

    kind: str
    slug: str
    name: str
    terms: tuple[str, ...]

    @property
    def key(self) -> FeedKey:
        return (self.kind, self.slug)


def feed_terms(kinds: Sequence[str], pairs: Iterable[tuple[str, str]]) -> list[FeedTerms]:
    """Group (kind, name) pairs into feeds, in catalog order (kinds as configured, then slug).

    The display name is the smallest of the names sharing a slug, as in ``plan_feeds``.
    """
    names: dict[FeedKey, str] = {}
    terms: dict[FeedKey, set[str]] = {}
    for kind, term in pairs:
        name = plain_text(term)
        slug = slugify(name)
        if kind not in kinds or not slug:
            continue
        key = (kind, slug)
        names[key] = min(names.get(key, name), name)
        terms.setdefault(key, set()).add(term)
    order = {kind: index for index, kind in enumerate(kinds)}
    return [
        FeedTerms(kind, slug, names[(kind, slug)], tuple(sorted(terms[(kind, slug)])))
        for kind, slug in sorted(names, key=lambda key: (order[key[0]], key[1]))
    ]


def _queries(kind: str | None, terms: Sequence[str]) -> list[tuple[str, str] | None]:
    """What :meth:`ArticleStore.newest` is asked for a feed: the main feed's one walk, or one per name."""
    return [None] if kind is None else [(kind, term) for term in terms]


def _ranked(found: Sequence[Sequence[tuple[object, str]]], limit: int) -> list[str]:
    """The ``limit`` newest of the (published, id) lists of a feed's names, newest first (ties: higher id)."""
    if len(found) == 1:
        # One walk is in this very order already.
        return [article_id for _, article_id in found[0]]
    newest: dict[str, object] = {}
    for rows in found:
        for published, article_id in rows:
            newest[article_id] = published
    ranked = sorted(newest.items(), key=lambda pair: (pair[1], pair[0]), reverse=True)
    return [article_id for article_id, _ in ranked[:limit]]


def load_specs(
    settings: Settings, store: ArticleStore, feeds: Sequence[FeedTerms], *, main: bool
) -> dict[FeedKey, FeedSpec]:
    """The specs of ``feeds`` (and of the main feed when ``main``) with their articles."""
    limit = settings.feeds.limit
    asked = [(MAIN_KEY, _queries(None, ()))] if main else []
    asked += [(feed.key, _queries(feed.kind, feed.terms)) for feed in feeds]
    # Every feed's walks through one connection, then each feed's ids from its own walks.
    found = iter(store.newest_many([query for _, queries in asked for query in queries], limit))
    wanted = {key: _ranked([next(found) for _ in queries], limit) for key, queries in asked}
    articles = {a.id: a for a in load_articles(store.engine, (i for ids in wanted.values() for i in ids))}
    specs: dict[FeedKey, FeedSpec] = {}
    if main:
        items = tuple(articles[i] for i in wanted[MAIN_KEY] if i in articles)
        specs[MAIN_KEY] = FeedSpec(MAIN_KIND, MAIN_KIND, site_feeds_title(settings), items)
    for feed in feeds:
        items = tuple(articles[i] for i in wanted[feed.key] if i in articles)
        specs[feed.key] = FeedSpec(feed.kind, feed.slug, feed.name, items)
    return specs


@dataclass(frozen=True)
class FeedPlan:
    """Every feed in catalog order; ``selected`` those whose articles were read (the rest are as built)."""

    specs: list[FeedSpec]
    selected: frozenset[FeedKey]
    change_seq: int
    terms: dict[FeedKey, tuple[str, ...]] = field(default_factory=dict)


def _key(spec: FeedSpec) -> FeedKey:
    return (spec.kind, spec.slug)


def _in_catalog_order(settings: Settings, specs: Iterable[FeedSpec], listed: set[FeedKey]) -> list[FeedSpec]:
    """Main, then the feeds with articles (kinds as configured, then slug), then the empty
    feeds kept from earlier builds (by kind and slug), as ``plan_feeds`` and ``_with_known`` order them."""
    order = {kind: index for index, kind in enumerate(settings.feeds.kinds)}
    specs = list(specs)
    main = [s for s in specs if s.is_main]
    rest = sorted((s for s in specs if _key(s) in listed), key=lambda s: (order[s.kind], s.slug))
    kept = sorted((s for s in specs if not s.is_main and _key(s) not in listed), key=_key)
    return main + rest + kept


def full_plan(settings: Settings, store: ArticleStore, known: Sequence[Mapping[str, str]]) -> FeedPlan:
    """Every feed selected afresh; feeds that once existed and have no article left stay, empty."""
    change_seq = store.max_change_seq()
    kinds = list(settings.feeds.kinds)
    feeds = feed_terms(kinds, store.terms(kinds))
    specs = load_specs(settings, store, feeds, main=True)
    for entry in known:
        key = (entry.get("kind", ""), entry.get("slug", ""))
        if key not in specs and key[0] in kinds and entry.get("name"):
            specs[key] = FeedSpec(key[0], key[1], entry["name"])
    return FeedPlan(
        specs=_in_catalog_order(settings, specs.values(), {feed.key for feed in feeds}),
        selected=frozenset(specs),
        change_seq=change_seq,
        terms={feed.key: feed.terms for feed in feeds},
    )


def _touched_by(store: ArticleStore, since: int, kinds: Sequence[str]) -> set[tuple[str, str]] | None:
    """The (kind, name) pairs of the articles changed after ``since``, as they are now and as
    they were at ``since``; None when more than MAX_TRACED_CHANGES changed."""
    pairs: set[tuple[str, str]] = set()
    cursor = since
    traced = 0
    while page := store.changes_since(cursor, _CHANGES_PAGE):
        traced += len(page)
        if traced > MAX_TRACED_CHANGES:
            return None
        for change in page:
            before: Article | None = store.version_at(change.article.id, since)
            for article in (change.article, before):
                if article is not None:
                    pairs.update(p for p in article_terms_of(article) if p[0] in kinds)
        cursor = page[-1].seq
    return pairs


def incremental_plan(
    settings: Settings,
    store: ArticleStore,
    since: int,
    terms: Mapping[FeedKey, Sequence[str]],
    known: Sequence[Mapping[str, str]],
    intact: Callable[[str], bool],
    change_seq: int,
) -> FeedPlan:
    """The feeds as the previous build left them (``since``, ``terms``, ``known``), with those
    that changes after ``since`` (up to the store's ``change_seq``) touch, or whose files are
    not ``intact``, selected afresh."""
    kinds = list(settings.feeds.kinds)
    current: dict[FeedKey, set[str]] = {key: set(values) for key, values in terms.items() if key[0] in kinds}
    names = {(k.get("kind", ""), k.get("slug", "")): k.get("name", "") for k in known}
    homes = {(k.get("kind", ""), k.get("slug", "")): k.get("home") for k in known}
    touched: set[FeedKey] = set()
    main_touched = False
    if change_seq != since:
        pairs = _touched_by(store, since, kinds)
        if pairs is None:
            return full_plan(settings, store, known)
        main_touched = True
        for kind, term in pairs:
            slug = slugify(plain_text(term))
            if slug:
                touched.add((kind, slug))
                current.setdefault((kind, slug), set()).add(term)
        in_use = store.terms_in_use((key[0], term) for key in touched for term in sorted(current[key]))
        for key in touched:
            current[key] = {term for term in current[key] if (key[0], term) in in_use}
    feeds: dict[FeedKey, FeedTerms] = {}
    for key, values in current.items():
        name = min((plain_text(term) for term in values), default=names.get(key, ""))
        if name:
            feeds[key] = FeedTerms(key[0], key[1], name, tuple(sorted(values)))
    for key, name in names.items():
        if key not in feeds and key[0] in kinds and name:
            feeds[key] = FeedTerms(key[0], key[1], name, ())
    all_specs = [FeedSpec(MAIN_KIND, MAIN_KIND, site_feeds_title(settings))] + [
        FeedSpec(f.kind, f.slug, f.name, home=homes.get(f.key)) for f in feeds.values()
    ]
    for spec in all_specs:
        if any(not intact(spec.path(feed_format)) for feed_format in FeedFormat):
            if spec.is_main:
                main_touched = True
            else:
                touched.add(_key(spec))
    selected = [feeds[key] for key in touched if key in feeds]
    fresh = load_specs(settings, store, selected, main=main_touched) if (selected or main_touched) else {}
    specs = [fresh.get(_key(spec), spec) for spec in all_specs]
    return FeedPlan(
        specs=_in_catalog_order(settings, specs, {key for key, feed in feeds.items() if feed.terms}),
        selected=frozenset(fresh),
        change_seq=change_seq,
        terms={key: feed.terms for key, feed in feeds.items() if feed.terms},
    )
