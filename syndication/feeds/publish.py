"""Build every feed and write the ones whose bytes changed; then announce them via WebSub.

Rendering is pure (:mod:`syndication.feeds.render`); this module is the edge that touches
files, through a :class:`Writer`. A small state file (``var/feeds-state.json``) remembers,
per file, a signature of what it was built from (feed metadata, each article's id,
version, content hash and times, and the renderer's own code: see
:mod:`~syndication.feeds.signatures`). A feed whose signature and file are unchanged is
not rendered again, so a rebuild after one new article renders only the feeds that contain
it. The state also keeps feeds the hub has not yet accepted, and the feeds that once
existed: a category whose articles were all retracted keeps its URL, now as an empty
feed, so the retracted articles leave it too.

One item never stops a build: when a feed cannot be rendered (an article too large for
the XML parser, say), each of its articles is rendered alone; those that fail are left out
and reported, and the feed is published without them. Such a feed's signature is not
remembered, so the next build tries (and reports) again.
"""

from __future__ import annotations

import gc
import json
import logging
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import asdict, dataclass, field

import httpx
from sqlalchemy import Engine

from syndication.config import Settings
from syndication.feeds import render
from syndication.feeds.catalog import (
    FeedSpec,
    feed_meta,
    feed_url,
    plan_feeds,
    render_extension_docs,
    render_opml,
)
from syndication.feeds.render import JSON_EXTENSION_DOCS, render_feed
from syndication.feeds.selection import FeedPlan, full_plan, incremental_plan
from syndication.feeds.signatures import articles_signature, config_fingerprint, feed_signature, file_digest
from syndication.feeds.websub import WebsubOutcome, announce
from syndication.feedwriter.formats import FeedFormat
from syndication.feedwriter.fragments import FragmentCache, SharedFragments
from syndication.feedwriter.links import OPML_PATH
from syndication.model import Article
from syndication.store.articles import ArticleStore
from syndication.writers import AtomicFileWriter, Writer

log = logging.getLogger(__name__)

__all__ = [
    "STATE_FILE",
    "FeedsReport",
    "FeedsState",
    "build_and_publish",
    "build_files",
    "publish_feeds",
    "publish_specs",
]

STATE_FILE = "feeds-state.json"


@dataclass(frozen=True)
class FeedsReport:
    """What a build did: files written, files left as they were, what the hub was told.

    ``left_out`` names each article a feed was published without (it could not be rendered);
    ``failed`` each file that could not be built at all (its previous version stays).
    """

    feeds: int
    written: tuple[str, ...]
    unchanged: int
    rendered: int
    skipped: int
    websub: WebsubOutcome | None = None
    left_out: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()

    @property
    def problems(self) -> tuple[str, ...]:
        return (*self.left_out, *self.failed)


@dataclass
class FeedsState:
    """Remembered between runs (see module docstring)."""

    signatures: dict[str, str] = field(default_factory=dict)
    digests: dict[str, str] = field(default_factory=dict)
    known: list[dict[str, str]] = field(default_factory=list)
    websub_pending: list[str] = field(default_factory=list)
    # The store's change cursor the feeds were last selected at, what they were built with
    # (code and settings), and the stored names each feed is made of ("kind/slug" → names).
    change_seq: int | None = None
    config: str = ""
    terms: dict[str, list[str]] = field(default_factory=dict)
    # Size and modification time of each file as last verified: an unchanged stamp spares reading it.
    stamps: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, data: bytes | None) -> FeedsState:
        if not data:
            return cls()
        try:
            raw = json.loads(data)
            change_seq = raw.get("change_seq")
            return cls(
                signatures=dict(raw.get("signatures", {})),
                digests=dict(raw.get("digests", {})),
                known=[dict(k) for k in raw.get("known", [])],
                websub_pending=list(raw.get("websub_pending", [])),
                change_seq=int(change_seq) if change_seq is not None else None,
                config=str(raw.get("config", "")),
                terms={str(key): [str(t) for t in values] for key, values in raw.get("terms", {}).items()},
                stamps={str(key): str(value) for key, value in raw.get("stamps", {}).items()},
            )
        except (ValueError, TypeError, AttributeError) as exc:
            # A broken state file only costs a full rebuild.
            log.warning("feeds: ignoring unreadable %s (%s); rebuilding every feed", STATE_FILE, exc)
            return cls()

    def dump(self) -> bytes:
        return (json.dumps(asdict(self), ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode("utf-8")


@dataclass(frozen=True)
class BuiltFile:
    path: str
    signature: str
    data: bytes | None
    """None when the file was up to date and not rendered, or could not be built (``error``)."""
    left_out: tuple[str, ...] = ()
    error: str | None = None


def _reason(error: Exception) -> str:
    return " ".join(f"{type(error).__name__}: {error}".split())[:300]


def _left_out(path: str, article: Article, reason: str) -> str:
    return f"{path}: left out article {article.id} ({article.url}): {reason}"


# Articles' feed items and rendered entries kept from one build to the next in this process (the
# scheduler's), by content fingerprint: a rebuild renders only the articles that changed.
STORED_FRAGMENTS = SharedFragments(capacity=4096)


def stored_fingerprint(article: Article) -> tuple[str, int, str, str] | None:
    """What an article as the store holds it is made of: its content hash covers every field but
    its version and time of change, which are added. None for an article without a content hash."""
    if not article.content_hash:
        return None
    return (article.id, article.version, article.content_hash, article.updated.isoformat())


class _GuardedRenderer:
    """Renders feeds; an article that cannot be rendered is left out, not the build.

    Whether an article renders alone is remembered per format and content, so an article
    in many feeds (main, category, region, author) is tried once.
    """

    def __init__(self, fragments: FragmentCache | None = None) -> None:
        self.verdicts: dict[tuple[str, str, str, int], str | None] = {}
        # Each article's rendered entry, shared by every feed of the build that shows it.
        self.fragments = fragments or FragmentCache()

    def _verdict(self, feed_format: FeedFormat, meta: render.FeedMeta, article: Article) -> str | None:
        key = (feed_format.extension, article.id, article.content_hash, article.version)
        if key not in self.verdicts:
            try:
                render_feed(feed_format, meta, [article], cache=self.fragments)
                self.verdicts[key] = None
            except Exception as exc:  # whatever one article breaks, the others are published
                self.verdicts[key] = _reason(exc)
        return self.verdicts[key]

    def render(
        self, path: str, feed_format: FeedFormat, meta: render.FeedMeta, articles: Sequence[Article]
    ) -> BuiltFile:
        try:
            return BuiltFile(path, "", render_feed(feed_format, meta, articles, cache=self.fragments))
        except Exception:  # find the article(s) at fault below
            log.debug("feeds: %s cannot be rendered whole; rendering its articles one by one", path, exc_info=True)
        kept: list[Article] = []
        left_out: list[str] = []
        for article in articles:
            reason = self._verdict(feed_format, meta, article)
            if reason is None:
                kept.append(article)
            else:
                left_out.append(_left_out(path, article, reason))
        try:
            return BuiltFile(path, "", render_feed(feed_format, meta, kept, cache=self.fragments), tuple(left_out))
        except Exception as exc:  # this file fails; every other file is still published
            return BuiltFile(path, "", None, tuple(left_out), f"{path}: not built: {_reason(exc)}")


def build_files(
    settings: Settings,
    specs: Sequence[FeedSpec],
    is_current: Callable[[str, str], bool] = lambda _p, _s: False,
    progress: Callable[[int, int | None], None] = lambda _step, _total: None,
    *,
    fragments: FragmentCache | None = None,
) -> list[BuiltFile]:
    """Render every feed of ``specs`` in every format, except those ``is_current(path, signature)``.

    ``progress(1, total)`` is called once per file, current or rendered. ``fragments``: what
    earlier builds prepared (articles read from the store); by default each build starts afresh.
    """
    built = []
    renderer = _GuardedRenderer(fragments)
    total = len(specs) * len(FeedFormat)
    written: dict[int, tuple[Article, str]] = {}
    for spec in specs:
        articles = articles_signature(spec, written)
        for feed_format in FeedFormat:
            progress(1, total)
            path = spec.path(feed_format)
            meta = feed_meta(settings, spec, feed_format)
            signature = feed_signature(settings, spec, feed_format, articles, meta)
            if is_current(path, signature):
                built.append(BuiltFile(path, signature, None))
                continue
            result = renderer.render(path, feed_format, meta, spec.articles)
            built.append(BuiltFile(path, signature, result.data, result.left_out, result.error))
    return built


def _with_known(settings: Settings, specs: list[FeedSpec], known: Iterable[dict[str, str]]) -> list[FeedSpec]:
    planned = {(s.kind, s.slug) for s in specs}
    kinds = set(settings.feeds.kinds)
    kept = [
        FeedSpec(k["kind"], k["slug"], k["name"])
        for k in known
        if (k.get("kind"), k.get("slug")) not in planned and k.get("kind") in kinds and k.get("name")
    ]
    return specs + sorted(kept, key=lambda s: (s.kind, s.slug))


def publish_feeds(
    settings: Settings,
    articles: Sequence[Article],
    writer: Writer,
    state: FeedsState,
    progress: Callable[[int, int | None], None] = lambda _step, _total: None,
) -> tuple[FeedsReport, list[str]]:
    """Build and write every feed and the OPML; returns the report and the changed feeds' URLs."""
    specs = _with_known(settings, plan_feeds(settings, articles), state.known)
    return publish_specs(settings, specs, writer, state, progress=progress)


def _stamp(writer: Writer, path: str) -> str | None:
    stamp = getattr(writer, "stamp", None)
    return stamp(path) if stamp is not None else None


def _batch(writer: Writer) -> AbstractContextManager[object]:
    """The writer's batch (changed files put in place together at its end), when it has one."""
    batch = getattr(writer, "batch", None)
    return batch() if batch is not None else nullcontext()


def _intact(writer: Writer, state: FeedsState) -> Callable[[str], bool]:
    def intact(path: str) -> bool:
        # Built completely last time, and still on disk as written.
        if path not in state.signatures:
            return False
        stamp = _stamp(writer, path)
        if stamp is not None and state.stamps.get(path) == stamp:
            return True
        existing = writer.read(path)
        if existing is None or file_digest(existing) != state.digests.get(path):
            return False
        if stamp is not None:
            state.stamps[path] = stamp
        return True

    return intact


def plan_from_store(settings: Settings, store: ArticleStore, state: FeedsState, writer: Writer) -> FeedPlan:
    """The feeds to publish: all selected afresh on a first build or a change of code or settings;
    otherwise only those that changes since the previous build touch (none: no article is read)."""
    config = config_fingerprint(settings)
    change_seq = store.max_change_seq() if state.change_seq is not None and state.config == config else None
    if change_seq is None or state.change_seq is None or change_seq < state.change_seq:
        plan = full_plan(settings, store, state.known)
    else:
        pairs = (key.partition("/") for key in state.terms)
        terms = {(kind, slug): state.terms[f"{kind}/{slug}"] for kind, _, slug in pairs if slug}
        plan = incremental_plan(
            settings, store, state.change_seq, terms, state.known, _intact(writer, state), change_seq
        )
    state.config = config
    return plan


def _known(settings: Settings, spec: FeedSpec) -> dict[str, str]:
    known = {"kind": spec.kind, "slug": spec.slug, "name": spec.name}
    if spec.kind == "author":
        home = feed_meta(settings, spec, FeedFormat.RSS).alternate_url
        if home != f"{settings.site.url.rstrip('/')}/":
            known["home"] = home
    return known


def publish_specs(
    settings: Settings,
    specs: Sequence[FeedSpec],
    writer: Writer,
    state: FeedsState,
    selected: Collection[tuple[str, str]] | None = None,
    progress: Callable[[int, int | None], None] = lambda _step, _total: None,
    *,
    fragments: FragmentCache | None = None,
) -> tuple[FeedsReport, list[str]]:
    """Publish ``specs``; those not ``selected`` (None: all are) are as the previous build left them."""
    fresh = [s for s in specs if selected is None or (s.kind, s.slug) in selected]
    as_built = len(specs) - len(fresh)

    def is_current(path: str, signature: str) -> bool:
        if state.signatures.get(path) != signature:
            return False
        existing = writer.read(path)
        return existing is not None and file_digest(existing) == state.digests.get(path)

    built = build_files(settings, fresh, is_current, progress, fragments=fragments)
    written: list[str] = []
    changed_urls: list[str] = []
    left_out = [line for item in built for line in item.left_out]
    failed = [item.error for item in built if item.error]
    rendered: list[str] = []
    with _batch(writer):
        for item in built:
            if item.data is None:
                if item.error:
                    state.signatures.pop(item.path, None)
                continue
            rendered.append(item.path)
            if writer.write(item.path, item.data):
                written.append(item.path)
                changed_urls.append(feed_url(settings, item.path))
            if item.left_out:
                # Not remembered as current: the next build tries these articles again.
                state.signatures.pop(item.path, None)
            else:
                state.signatures[item.path] = item.signature
            state.digests[item.path] = file_digest(item.data)
        if writer.write(OPML_PATH, render_opml(settings, specs)):
            written.append(OPML_PATH)
        if writer.write(JSON_EXTENSION_DOCS, render_extension_docs(settings)):
            written.append(JSON_EXTENSION_DOCS)
    # Stamped once in place (a batch puts the files there at its end).
    for path in rendered:
        stamp = _stamp(writer, path)
        if stamp is not None:
            state.stamps[path] = stamp
    for line in (*left_out, *failed):
        log.warning("feeds: %s", line)
    state.known = [_known(settings, s) for s in specs if not s.is_main]
    untouched = as_built * len(FeedFormat)
    total = len(built) + untouched + 2
    report = FeedsReport(
        feeds=len(specs),
        written=tuple(written),
        unchanged=total - len(written) - len(failed),
        rendered=len(rendered),
        skipped=len(built) + untouched - len(rendered) - len(failed),
        left_out=tuple(left_out),
        failed=tuple(failed),
    )
    return report, changed_urls


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused while inside (unless it was paused already).

    A full build makes a few hundred thousand objects that live until it ends (the articles,
    their feed items, feedgen's entries) and makes no garbage cycles: their allocations set the
    collector off again and again, each time walking the whole heap (and the build's growing
    part of it) to find nothing, a seventh of a full build's time. Garbage without cycles is
    still freed at once; cycles other threads make meanwhile wait for the build's end.
    """
    was_running = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_running:
            gc.enable()


def _publish_from_store(
    settings: Settings,
    engine: Engine,
    writer: Writer,
    state: FeedsState,
    progress: Callable[[int, int | None], None],
) -> tuple[FeedsReport, list[str]]:
    """Select, render and write the feeds; ``state`` is updated to what was published.

    A function of its own so that the build's articles, items and entries are freed when it
    returns, before the collector runs again: it then finds the few objects kept for the next
    build, not the whole build's (an eighth of a build's time when it ran with them alive).
    """
    plan = plan_from_store(settings, ArticleStore(engine), state, writer)
    fragments = FragmentCache(STORED_FRAGMENTS, stored_fingerprint)
    published = publish_specs(settings, plan.specs, writer, state, plan.selected, progress, fragments=fragments)
    state.change_seq = plan.change_seq
    state.terms = {f"{kind}/{slug}": list(terms) for (kind, slug), terms in plan.terms.items()}
    return published


def build_and_publish(
    settings: Settings,
    engine: Engine,
    *,
    writer: Writer | None = None,
    state_writer: Writer | None = None,
    http_client: httpx.Client | None = None,
    progress: Callable[[int, int | None], None] = lambda _step, _total: None,
) -> FeedsReport:
    """Build all feeds and the OPML from the store, write the changed files, announce them.

    A hub that fails is logged; its feeds are announced again next run. Publishing
    itself never waits on the hub's success.
    """
    writer = writer or AtomicFileWriter(settings.public_dir)
    state_writer = state_writer or AtomicFileWriter(settings.resolve(settings.site.var_dir))
    state = FeedsState.parse(state_writer.read(STATE_FILE))
    with collector_paused():
        report, changed_urls = _publish_from_store(settings, engine, writer, state, progress)
    hub = settings.feeds.websub_hub
    outcome: WebsubOutcome | None = None
    if hub:
        urls = list(dict.fromkeys([*state.websub_pending, *changed_urls]))
        if urls:
            client = http_client or httpx.Client(timeout=10.0, headers={"User-Agent": "syndication-websub"})
            try:
                outcome = announce(hub, urls, client)
            finally:
                if http_client is None:
                    client.close()
            state.websub_pending = list(outcome.pending)
        else:
            outcome = WebsubOutcome(hub=hub)
    else:
        state.websub_pending = []
    state_writer.write(STATE_FILE, state.dump())
    log.info(
        "feeds: %d feeds, %d file(s) written, %d unchanged (%d not re-rendered)",
        report.feeds, len(report.written), report.unchanged, report.skipped,
    )
    return FeedsReport(
        feeds=report.feeds,
        written=report.written,
        unchanged=report.unchanged,
        rendered=report.rendered,
        skipped=report.skipped,
        websub=outcome,
        left_out=report.left_out,
        failed=report.failed,
    )
