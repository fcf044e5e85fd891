"""The partners' version log: every change of an article, as partners see it, in order.

A collect that changed something tells the log (:meth:`VersionLog.articles_changed`, the collect's
``ChangeListener``); the log then records one version per stored revision it has not seen yet, so
nothing written to the store is ever missed, whoever wrote it:

- a published revision is ``usable``; one whose publication time is still ahead is ``withheld``
  until then (``embargoed_until``), and once that time has passed the next sync records the same
  content again as a new ``usable`` version ("embargo lifted");
- a retracted revision (the file removed, or ``status: withdrawn``/``killed``) is ``canceled``;
- the source's editorial note (front matter ``note``) goes with the newest version of its article.

The log's id is the partner cursor's position; ``version`` counts 1, 2, 3 … per article. Writes
happen in :func:`~syndication.store.articles.writing`, so on PostgreSQL a sync and a collect never
interleave their ids.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, and_, exists, func, insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from syndication.clock import Clock
from syndication.model import Article, Status
from syndication.partners.tables import partner_versions
from syndication.store.articles import writing
from syndication.store.schema import article_revisions

log = logging.getLogger(__name__)

USABLE = "usable"
WITHHELD = "withheld"
CANCELED = "canceled"
# Revisions read per query while syncing.
_CHUNK = 500
MAX_NOTE_CHARS = 2000


@dataclass(frozen=True)
class ItemVersion:
    """One version of an item: its position in the log, its number and status, and its content."""

    position: int
    article: Article
    version: int
    pub_status: str
    version_created: datetime
    note: str | None = None
    embargoed_until: datetime | None = None

    @property
    def article_id(self) -> str:
        return self.article.id


def _status_of(article: Article, now: datetime) -> tuple[str, datetime | None]:
    if article.status == Status.RETRACTED:
        return CANCELED, None
    if article.published > now:
        return WITHHELD, article.published
    return USABLE, None


def _clean_note(note: str | None) -> str | None:
    if note is None:
        return None
    text = " ".join(note.split())
    return text[:MAX_NOTE_CHARS] or None


def _lock_sqlite(connection: Connection) -> None:
    """On SQLite, take the write lock before the sync's first read, as ``writing`` does on PostgreSQL.

    The sqlite3 driver begins its transaction only at the first write, so the watermark and each
    article's last version would be read outside it: two readers catching up at once (long-polling
    partners when a collect stored something) both read the old watermark, and the one that reads
    the last versions after the other committed records the same revision again as the next version,
    which every partner then gets twice.
    """
    driver = connection.connection.driver_connection
    if connection.dialect.name == "sqlite" and driver is not None and not driver.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


class VersionLog:
    """Records and reads the partners' version log."""

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self.engine = engine
        self.clock = clock

    # -- recording -------------------------------------------------------------------

    def articles_changed(self, notes: Mapping[str, str]) -> None:
        """What a collect calls when it is done: record the new versions (``notes`` by article id)."""
        recorded = self.sync(notes)
        if recorded:
            log.info("partner versions: %d recorded", recorded)

    def sync(self, notes: Mapping[str, str] | None = None) -> int:
        """Record a version for every revision not in the log yet, and lift embargoes that have passed.

        Returns how many versions were recorded.
        """
        notes = notes or {}
        for attempt in range(3):
            now = self.clock.now()
            try:
                with writing(self.engine) as connection:
                    _lock_sqlite(connection)
                    recorded = self._record_revisions(connection, notes, now)
                    recorded += self._lift_embargoes(connection, now)
                return recorded
            except IntegrityError:
                # Another writer recorded the same versions first (writers are serialised on both databases,
                # see _lock_sqlite; this is the last guard). Read the watermark again.
                if attempt == 2:
                    raise
        return 0

    def behind(self) -> bool:
        """Whether a revision is not in the log yet, or a withheld version's time has come (cheap reads)."""
        now = self.clock.now()
        recorded = select(func.coalesce(func.max(partner_versions.c.revision_id), 0)).scalar_subquery()
        stored = select(func.coalesce(func.max(article_revisions.c.id), 0)).scalar_subquery()
        due = exists().where(partner_versions.c.pub_status == WITHHELD, partner_versions.c.embargoed_until <= now)
        with self.engine.connect() as connection:
            row = connection.execute(select(recorded, stored, due)).one()
        return bool(row[1] > row[0] or row[2])

    def catch_up(self) -> int:
        """Sync when the log is behind the store (a writer that told nobody, an embargo whose time has come).

        For readers (the API, the long-poll check): usually one cheap read and nothing to write.
        """
        if not self.behind():
            return 0
        return self.sync()

    def _record_revisions(self, connection: Connection, notes: Mapping[str, str], now: datetime) -> int:
        watermark = connection.execute(select(func.coalesce(func.max(partner_versions.c.revision_id), 0))).scalar_one()
        recorded = 0
        while True:
            rows = connection.execute(
                select(article_revisions.c.id, article_revisions.c.article_id, article_revisions.c.data)
                .where(article_revisions.c.id > watermark)
                .order_by(article_revisions.c.id)
                .limit(_CHUNK)
            ).all()
            if not rows:
                return recorded
            ids = list(dict.fromkeys(row.article_id for row in rows))
            latest = dict(
                connection.execute(
                    select(partner_versions.c.article_id, func.max(partner_versions.c.version))
                    .where(partner_versions.c.article_id.in_(ids))
                    .group_by(partner_versions.c.article_id)
                ).all()
            )
            last_row_of = {row.article_id: row.id for row in rows}
            values = []
            for row in rows:
                article = Article.from_dict(json.loads(row.data))
                pub_status, embargoed_until = _status_of(article, now)
                version = int(latest.get(row.article_id) or 0) + 1
                latest[row.article_id] = version
                # A note belongs to the newest revision of its article that this collect stored.
                note = notes.get(row.article_id) if last_row_of[row.article_id] == row.id else None
                values.append(
                    {
                        "article_id": row.article_id,
                        "version": version,
                        "revision_id": row.id,
                        "pub_status": pub_status,
                        "note": _clean_note(note),
                        "version_created": article.updated,
                        "embargoed_until": embargoed_until,
                        "recorded_at": now,
                    }
                )
            connection.execute(insert(partner_versions), values)
            recorded += len(values)
            watermark = rows[-1].id

    def _lift_embargoes(self, connection: Connection, now: datetime) -> int:
        later = aliased(partner_versions)
        newest_withheld = select(partner_versions).where(
            partner_versions.c.pub_status == WITHHELD,
            partner_versions.c.embargoed_until <= now,
            ~exists().where(
                and_(later.c.article_id == partner_versions.c.article_id, later.c.version > partner_versions.c.version)
            ),
        ).order_by(partner_versions.c.id)
        rows = connection.execute(newest_withheld).all()
        for row in rows:
            connection.execute(
                insert(partner_versions).values(
                    article_id=row.article_id,
                    version=row.version + 1,
                    revision_id=row.revision_id,
                    pub_status=USABLE,
                    note=None,
                    version_created=row.embargoed_until,
                    embargoed_until=None,
                    recorded_at=now,
                )
            )
        return len(rows)

    # -- reading ---------------------------------------------------------------------

    def head(self) -> int:
        """The newest position in the log (0 when empty): the cheap "anything new?" check."""
        with self.engine.connect() as connection:
            return int(connection.execute(select(func.coalesce(func.max(partner_versions.c.id), 0))).scalar_one())

    def since(self, position: int, limit: int) -> list[ItemVersion]:
        """Up to ``limit`` versions after ``position``, oldest first."""
        query = (
            select(partner_versions, article_revisions.c.data)
            .join(article_revisions, article_revisions.c.id == partner_versions.c.revision_id)
            .where(partner_versions.c.id > position)
            .order_by(partner_versions.c.id)
            .limit(limit)
        )
        with self.engine.connect() as connection:
            return [_version(row) for row in connection.execute(query)]

    def of_article(self, article_id: str) -> list[ItemVersion]:
        """Every version of one article, oldest first."""
        query = (
            select(partner_versions, article_revisions.c.data)
            .join(article_revisions, article_revisions.c.id == partner_versions.c.revision_id)
            .where(partner_versions.c.article_id == article_id)
            .order_by(partner_versions.c.id)
        )
        with self.engine.connect() as connection:
            return [_version(row) for row in connection.execute(query)]

    def get(self, positions: list[int]) -> Iterator[ItemVersion]:
        """The versions at ``positions`` (unknown ones left out), in log order."""
        if not positions:
            return iter(())
        query = (
            select(partner_versions, article_revisions.c.data)
            .join(article_revisions, article_revisions.c.id == partner_versions.c.revision_id)
            .where(partner_versions.c.id.in_(positions))
            .order_by(partner_versions.c.id)
        )
        with self.engine.connect() as connection:
            return iter([_version(row) for row in connection.execute(query)])

    def position_after_revision(self, revision_id: int) -> int:
        """Where a cursor of the first API version (a revision id) continues in the log."""
        query = select(func.coalesce(func.max(partner_versions.c.id), 0)).where(
            partner_versions.c.revision_id <= revision_id
        )
        with self.engine.connect() as connection:
            return int(connection.execute(query).scalar_one())


def _version(row: object) -> ItemVersion:
    return ItemVersion(
        position=row.id,  # type: ignore[attr-defined]
        article=Article.from_dict(json.loads(row.data)),  # type: ignore[attr-defined]
        version=row.version,  # type: ignore[attr-defined]
        pub_status=row.pub_status,  # type: ignore[attr-defined]
        version_created=row.version_created,  # type: ignore[attr-defined]
        note=row.note,  # type: ignore[attr-defined]
        embargoed_until=row.embargoed_until,  # type: ignore[attr-defined]
    )
