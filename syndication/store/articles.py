"""The article repository: upsert by (source, external id), revisions, selections, change cursor."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

import orjson
from sqlalchemy import Engine, Select, delete, func, insert, select, text, update
from sqlalchemy.engine import Connection

from syndication.model import Article, ArticleSelection, Status, article_to_dict, compute_content_hash
from syndication.store.sanitized import with_sanitized_mark, written_with_mark
from syndication.store.schema import article_revisions, article_terms, articles

# Names longer than this get no feed: a feed's file name is made from its name.
TERM_MAX_CHARS = 200
# Ids per IN (...) list: well under every dialect's parameter limit.
_IN_CHUNK = 500


class Outcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    RETRACTED = "retracted"


@dataclass(frozen=True)
class StoredChange:
    """An article as of one change, with the change's position in the global cursor."""

    seq: int
    article: Article


# Any constant: the key of the PostgreSQL advisory lock that serialises article writers.
_WRITERS_LOCK_KEY = 0x5359_4E44_4152_5449  # "SYNDARTI"


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """A write transaction in which revision ids are handed out in commit order.

    Readers page by revision id (partner cursors, edition watermarks) and must never see a
    lower id commit after a higher one. SQLite has one writer at a time anyway; on PostgreSQL
    two writers (a manual ``collect`` beside the scheduler's) take a transaction-level
    advisory lock first, so the second draws its ids only after the first has committed.
    """
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _WRITERS_LOCK_KEY})
        yield connection


# orjson: the stored JSON is written and read for every article a collect stores or a build shows;
# the standard library's json takes two to three times as long for the same text.
def _dumps(article: Article) -> str:
    return orjson.dumps(written_with_mark(article_to_dict(article), article)).decode("utf-8")


def _loads(data: str) -> Article:
    fields = orjson.loads(data)
    return with_sanitized_mark(Article.from_dict(fields), fields)


# What compute_content_hash leaves out (bookkeeping, not content).
_NOT_CONTENT = frozenset({"content_hash", "version", "updated"})


def _content_hash(fields: dict[str, object]) -> str:
    """compute_content_hash from the article's dict (made once for its hash and its stored JSON):
    the same canonical JSON (sorted keys, compact, UTF-8), so the same hash."""
    content = {key: value for key, value in fields.items() if key not in _NOT_CONTENT}
    return hashlib.sha256(orjson.dumps(content, option=orjson.OPT_SORT_KEYS)).hexdigest()


def _new_version(article: Article) -> tuple[Article, str]:
    """A new article as first stored (its content hash, version 1) and its stored JSON."""
    fields = article_to_dict(article)
    content_hash = _content_hash(fields)
    fields["content_hash"] = content_hash
    fields["version"] = 1
    written_with_mark(fields, article)
    return replace(article, content_hash=content_hash, version=1), orjson.dumps(fields).decode("utf-8")


def article_terms_of(article: Article) -> list[tuple[str, str]]:
    """(kind, name) of every category, region and author name a published article is listed under."""
    if article.status != Status.PUBLISHED:
        return []
    names = {
        "category": article.categories,
        "region": article.regions,
        "author": (article.author.name,) if article.author else (),
    }
    return [
        (kind, term)
        for kind, values in names.items()
        for term in dict.fromkeys(values)
        if term and len(term) <= TERM_MAX_CHARS
    ]


def _chunks(values: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(values), _IN_CHUNK):
        yield values[start : start + _IN_CHUNK]


class ArticleStore:
    """Reads and writes articles. Every write happens in one transaction per call."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # -- writing -----------------------------------------------------------------

    def upsert(self, article: Article, now: datetime, fingerprint: str | None = None) -> Outcome:
        """Store ``article``; an unchanged one is left alone, a changed one becomes a new version."""
        with writing(self.engine) as connection:
            return self._upsert(connection, article, now, fingerprint)

    def upsert_many(self, items: Iterable[tuple[Article, str | None]], now: datetime) -> dict[str, Outcome]:
        """Store many articles in one transaction; returns the outcome per article id.

        The same as :meth:`upsert` for each in turn (revision ids are handed out in the order
        given), but new articles are written with one multi-row statement per table.
        """
        items = list(items)
        outcomes: dict[str, Outcome] = {}
        with writing(self.engine) as connection:
            existing: dict[str, object] = {}
            for ids in _chunks(list(dict.fromkeys(article.id for article, _ in items))):
                for row in connection.execute(
                    select(
                        articles.c.id, articles.c.content_hash, articles.c.version, articles.c.updated,
                        articles.c.status,
                    ).where(articles.c.id.in_(ids))
                ):
                    existing[row.id] = row
            new: list[tuple[Article, str | None]] = []
            handled: set[str] = set()
            for article, fingerprint in items:
                if article.id in existing or article.id in handled:
                    self._insert_new(connection, new, now, outcomes)
                    outcomes[article.id] = self._upsert(connection, article, now, fingerprint)
                else:
                    new.append((article, fingerprint))
                handled.add(article.id)
            self._insert_new(connection, new, now, outcomes)
        return outcomes

    def _insert_new(
        self, connection: Connection, new: list[tuple[Article, str | None]], now: datetime, outcomes: dict[str, Outcome]
    ) -> None:
        """Insert articles not stored before: revisions, articles and terms, one statement each."""
        if not new:
            return
        versions = [_new_version(article) for article, _ in new]
        stored = [(article, fingerprint) for (article, _), (_, fingerprint) in zip(versions, new, strict=True)]
        data = [dumped for _, dumped in versions]
        revisions = [
            self._revision_row(article, now, dumped) for (article, _), dumped in zip(stored, data, strict=True)
        ]
        if len(revisions) == 1:
            seqs = [self._insert_revision(connection, revisions[0])]
        else:
            result = connection.execute(
                insert(article_revisions).returning(article_revisions.c.id, sort_by_parameter_order=True), revisions
            )
            seqs = [int(seq) for seq in result.scalars().all()]
        rows = []
        for (article, fingerprint), dumped, seq in zip(stored, data, seqs, strict=True):
            rows.append(
                {**self._columns(article, fingerprint, dumped), "change_seq": seq, "first_seq": seq, "first_seen": now}
            )
        connection.execute(insert(articles), rows)
        terms = [row for article, _ in stored for row in self._term_rows(article)]
        if terms:
            connection.execute(insert(article_terms), terms)
        for article, _ in stored:
            outcomes[article.id] = Outcome.CREATED
        new.clear()

    def _upsert(self, connection: Connection, article: Article, now: datetime, fingerprint: str | None) -> Outcome:
        content_hash = compute_content_hash(article)
        row = connection.execute(
            select(articles.c.content_hash, articles.c.version, articles.c.updated, articles.c.status).where(
                articles.c.id == article.id
            )
        ).first()
        if row is None:
            stored = replace(article, content_hash=content_hash, version=1)
            seq, data = self._record_revision(connection, stored, now)
            connection.execute(
                insert(articles).values(
                    **self._columns(stored, fingerprint, data),
                    change_seq=seq,
                    first_seq=seq,
                    first_seen=now,
                )
            )
            self._write_terms(connection, stored, replacing=False)
            return Outcome.CREATED
        if row.content_hash == content_hash and row.status == article.status.value:
            if fingerprint is not None:
                connection.execute(update(articles).where(articles.c.id == article.id).values(fingerprint=fingerprint))
            return Outcome.UNCHANGED
        # An edit without a newer time from the source is dated by when we saw it.
        updated = article.updated if article.updated > row.updated else max(now, row.updated)
        stored = replace(article, content_hash=content_hash, version=row.version + 1, updated=updated)
        seq, data = self._record_revision(connection, stored, now)
        connection.execute(
            update(articles)
            .where(articles.c.id == article.id)
            .values(**self._columns(stored, fingerprint, data), change_seq=seq)
        )
        self._write_terms(connection, stored, replacing=True)
        if article.status == Status.RETRACTED and row.status != Status.RETRACTED.value:
            return Outcome.RETRACTED
        return Outcome.UPDATED

    def retract(self, article_ids: Iterable[str], now: datetime) -> list[str]:
        """Mark articles retracted (never delete them); returns the ids that changed."""
        changed = []
        with writing(self.engine) as connection:
            for article_id in article_ids:
                current = self._get(connection, article_id)
                if current is None or current.status == Status.RETRACTED:
                    continue
                retracted = replace(current, status=Status.RETRACTED, updated=max(now, current.updated))
                self._upsert(connection, retracted, now, None)
                changed.append(article_id)
        return changed

    @staticmethod
    def _term_rows(article: Article) -> list[dict[str, object]]:
        return [
            {"kind": kind, "term": term, "published": article.published, "article_id": article.id}
            for kind, term in article_terms_of(article)
        ]

    def _write_terms(self, connection: Connection, article: Article, *, replacing: bool) -> None:
        if replacing:
            connection.execute(delete(article_terms).where(article_terms.c.article_id == article.id))
        rows = self._term_rows(article)
        if rows:
            connection.execute(insert(article_terms), rows)

    @staticmethod
    def _revision_row(article: Article, now: datetime, data: str) -> dict[str, object]:
        return {
            "article_id": article.id,
            "version": article.version,
            "content_hash": article.content_hash,
            "status": article.status.value,
            "recorded_at": now,
            "data": data,
        }

    @staticmethod
    def _insert_revision(connection: Connection, row: dict[str, object]) -> int:
        result = connection.execute(insert(article_revisions).values(**row))
        seq = result.inserted_primary_key[0] if result.inserted_primary_key else None
        if seq is None:  # pragma: no cover - every supported dialect returns the key
            raise RuntimeError("the database did not return the revision id")
        return int(seq)

    def _record_revision(self, connection: Connection, article: Article, now: datetime) -> tuple[int, str]:
        """The new revision's id and the article's stored JSON, made once for the revision and the article row
        (making it checks the article's HTML for the sanitizer mark)."""
        data = _dumps(article)
        return self._insert_revision(connection, self._revision_row(article, now, data)), data

    @staticmethod
    def _columns(article: Article, fingerprint: str | None, data: str) -> dict[str, object]:
        return {
            "id": article.id,
            "source": article.source,
            "external_id": article.external_id,
            "url": article.url,
            "title": article.title,
            "status": article.status.value,
            "published": article.published,
            "updated": article.updated,
            "author_name": article.author.name if article.author else None,
            "categories": json.dumps(list(article.categories), ensure_ascii=False),
            "regions": json.dumps(list(article.regions), ensure_ascii=False),
            "content_hash": article.content_hash,
            "version": article.version,
            "fingerprint": fingerprint,
            "data": data,
        }

    # -- reading -----------------------------------------------------------------

    @staticmethod
    def _get(connection: Connection, article_id: str) -> Article | None:
        data = connection.execute(select(articles.c.data).where(articles.c.id == article_id)).scalar()
        return None if data is None else _loads(data)

    def get(self, article_id: str) -> Article | None:
        with self.engine.connect() as connection:
            return self._get(connection, article_id)

    def get_many(self, article_ids: Iterable[str]) -> list[Article]:
        """The articles with these ids, in the order given (unknown ids are left out)."""
        wanted = list(article_ids)
        found: dict[str, Article] = {}
        with self.engine.connect() as connection:
            for ids in _chunks(list(dict.fromkeys(wanted))):
                rows = connection.execute(select(articles.c.id, articles.c.data).where(articles.c.id.in_(ids)))
                found.update((row.id, _loads(row.data)) for row in rows)
        return [found[i] for i in wanted if i in found]

    # -- feeds: newest items per name, by index --------------------------------------

    def terms(self, kinds: Iterable[str]) -> list[tuple[str, str]]:
        """Every (kind, name) of ``kinds`` that at least one published article is listed under."""
        query = (
            select(article_terms.c.kind, article_terms.c.term)
            .where(article_terms.c.kind.in_(list(kinds)))
            .distinct()
            .order_by(article_terms.c.kind, article_terms.c.term)
        )
        with self.engine.connect() as connection:
            return [(row.kind, row.term) for row in connection.execute(query)]

    def terms_in_use(self, candidates: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
        """Those of ``candidates`` (kind, name) that a published article is still listed under."""
        found: set[tuple[str, str]] = set()
        with self.engine.connect() as connection:
            for kind, term in dict.fromkeys(candidates):
                query = select(article_terms.c.article_id).where(
                    article_terms.c.kind == kind, article_terms.c.term == term
                )
                if connection.execute(query.limit(1)).first() is not None:
                    found.add((kind, term))
        return found

    def newest(self, term: tuple[str, str] | None, limit: int) -> list[tuple[datetime, str]]:
        """(published, id) of the ``limit`` newest published articles: all of them (``term`` None)
        or those listed under ``term`` (kind, name); newest first, ties by id, descending."""
        return self.newest_many([term], limit)[0]

    def newest_many(
        self, terms: Sequence[tuple[str, str] | None], limit: int
    ) -> list[list[tuple[datetime, str]]]:
        """:meth:`newest` of each of ``terms``, in order, read through one connection (a build selects
        every feed: a connection taken from the pool and given back per query cost as much as the queries)."""
        with self.engine.connect() as connection:
            return [
                [(row.published, row.id) for row in connection.execute(self.newest_query(term, limit))]
                for term in terms
            ]

    @staticmethod
    def newest_query(term: tuple[str, str] | None, limit: int) -> Select[Any]:
        """The query :meth:`newest` runs: a walk down an index in its order, at most ``limit`` rows."""
        if term is None:
            query = (
                select(articles.c.published, articles.c.id)
                .where(articles.c.status == Status.PUBLISHED.value)
                .order_by(articles.c.status.desc(), articles.c.published.desc(), articles.c.id.desc())
            )
        else:
            kind, name = term
            query = (
                select(article_terms.c.published, article_terms.c.article_id.label("id"))
                .where(article_terms.c.kind == kind, article_terms.c.term == name)
                .order_by(
                    article_terms.c.kind.desc(),
                    article_terms.c.term.desc(),
                    article_terms.c.published.desc(),
                    article_terms.c.article_id.desc(),
                )
            )
        return query.limit(limit)

    def version_at(self, article_id: str, seq: int) -> Article | None:
        """The article as it was once every change up to revision ``seq`` was stored (None: not yet)."""
        query = (
            select(article_revisions.c.data)
            .where(article_revisions.c.article_id == article_id, article_revisions.c.id <= seq)
            .order_by(article_revisions.c.id.desc())
            .limit(1)
        )
        with self.engine.connect() as connection:
            data = connection.execute(query).scalar()
        return None if data is None else _loads(data)

    def fingerprints(self, source: str) -> dict[str, str | None]:
        """external id → fingerprint for every stored article of ``source``."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(articles.c.external_id, articles.c.fingerprint).where(articles.c.source == source)
            )
            return {row.external_id: row.fingerprint for row in rows}

    def ids_by_external(self, source: str) -> dict[str, str]:
        """external id → article id for ``source`` (published and retracted)."""
        with self.engine.connect() as connection:
            rows = connection.execute(select(articles.c.external_id, articles.c.id).where(articles.c.source == source))
            return {row.external_id: row.id for row in rows}

    def all(self, selection: ArticleSelection | None = None) -> list[Article]:
        """Articles matching ``selection``, newest publication first."""
        selection = selection or ArticleSelection()
        query = select(articles.c.data).order_by(articles.c.published.desc(), articles.c.id.desc())
        if not selection.include_retracted:
            query = query.where(articles.c.status == Status.PUBLISHED.value)
        result: list[Article] = []
        with self.engine.connect() as connection:
            for (data,) in connection.execute(query):
                article = _loads(data)
                if selection.matches(article):
                    result.append(article)
                    if selection.limit is not None and len(result) >= selection.limit:
                        break
        return result

    def count(self) -> int:
        with self.engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(articles)).scalar_one())

    def published_topics(self) -> tuple[set[str], set[str]]:
        """(categories, regions) named by any published article."""
        categories: set[str] = set()
        regions: set[str] = set()
        query = select(articles.c.categories, articles.c.regions).where(articles.c.status == "published").distinct()
        with self.engine.connect() as connection:
            for row in connection.execute(query):
                categories.update(json.loads(row.categories or "[]"))
                regions.update(json.loads(row.regions or "[]"))
        return categories, regions

    def max_change_seq(self) -> int:
        with self.engine.connect() as connection:
            return int(connection.execute(select(func.coalesce(func.max(articles.c.change_seq), 0))).scalar_one())

    def changes_since(self, cursor: int, limit: int) -> list[StoredChange]:
        """Articles whose latest change comes after ``cursor``, oldest change first.

        An article changed twice since ``cursor`` appears once, in its newest version.
        """
        query = (
            select(articles.c.change_seq, articles.c.data)
            .where(articles.c.change_seq > cursor)
            .order_by(articles.c.change_seq)
            .limit(limit)
        )
        with self.engine.connect() as connection:
            return [StoredChange(seq=row.change_seq, article=_loads(row.data)) for row in connection.execute(query)]

    def first_seen_after(self, first_seq: int) -> Iterator[tuple[int, Article]]:
        """Published articles first stored after ``first_seq``, in that order (for editions)."""
        query = (
            select(articles.c.first_seq, articles.c.data)
            .where(articles.c.first_seq > first_seq, articles.c.status == Status.PUBLISHED.value)
            .order_by(articles.c.first_seq)
        )
        with self.engine.connect() as connection:
            rows = connection.execute(query).all()
        for row in rows:
            yield row.first_seq, _loads(row.data)

    def max_first_seq(self) -> int:
        with self.engine.connect() as connection:
            return int(connection.execute(select(func.coalesce(func.max(articles.c.first_seq), 0))).scalar_one())

    def revisions(self, article_id: str) -> list[Article]:
        """Every stored version of an article, oldest first."""
        query = (
            select(article_revisions.c.data)
            .where(article_revisions.c.article_id == article_id)
            .order_by(article_revisions.c.id)
        )
        with self.engine.connect() as connection:
            return [_loads(data) for (data,) in connection.execute(query)]
