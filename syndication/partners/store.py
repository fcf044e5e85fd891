"""The partner repository: add, list, revoke, rotate, authenticate, and the request log."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, func, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError

from syndication.errors import UsageError
from syndication.i18n import N_
from syndication.partners.keys import KeyHasher, generate_key, key_prefix, looks_like_key
from syndication.partners.model import Partner
from syndication.partners.tables import partner_requests, partners

MAX_NAME_LENGTH = 100
_NO_PREFIX = "synd_!!!!!!!!"


@dataclass(frozen=True)
class _Unmatchable:
    """Stands in for a row when no key has the prefix, so that one hash is compared all the same."""

    key_hash: str = "0" * 64


_DUMMY_ROW = _Unmatchable()


class PartnerNotFound(UsageError):
    """No partner has this name."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(N_("no partner named %(name)r (see: syndication partners list)"), name=name)


@dataclass(frozen=True)
class NewKey:
    """A partner together with its freshly issued key: the only time the key exists in clear."""

    partner: Partner
    key: str


@dataclass(frozen=True)
class Authentication:
    """The outcome of checking a presented key: the partner it belongs to, if any."""

    partner: Partner | None

    @property
    def ok(self) -> bool:
        return self.partner is not None and self.partner.active


@dataclass(frozen=True)
class UsageSummary:
    """How much a partner has used the API."""

    requests: int
    items_served: int
    last_request: datetime | None


def _clean_list(values: Iterable[str]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for value in values:
        stripped = value.strip()
        if stripped:
            seen.setdefault(stripped, None)
    return tuple(seen)


def _partner(row: Row) -> Partner:  # type: ignore[type-arg]
    return Partner(
        id=row.id,
        name=row.name,
        key_prefix=row.key_prefix,
        categories=tuple(json.loads(row.categories)),
        regions=tuple(json.loads(row.regions)),
        embargo_minutes=row.embargo_minutes,
        summary_only=bool(row.summary_only),
        rights_text=row.rights_text,
        licence_url=row.licence_url,
        attribution=row.attribution,
        created_at=row.created_at,
        key_created_at=row.key_created_at,
        revoked_at=row.revoked_at,
        reuse_days=row.reuse_days,
    )


class PartnerStore:
    """Reads and writes partners. ``secret_key`` peppers the key hashes."""

    def __init__(self, engine: Engine, secret_key: str) -> None:
        self.engine = engine
        self._hasher = KeyHasher(secret_key)

    def add(
        self,
        name: str,
        now: datetime,
        *,
        categories: Iterable[str] = (),
        regions: Iterable[str] = (),
        embargo_minutes: int = 0,
        summary_only: bool = False,
        rights_text: str | None = None,
        licence_url: str | None = None,
        attribution: str | None = None,
        reuse_days: int | None = None,
    ) -> NewKey:
        """Store a new partner and return it with its key (shown once, only its hash is kept)."""
        name = name.strip()
        if not name or len(name) > MAX_NAME_LENGTH:
            raise UsageError("partner name: 1 to %(most)s characters, not %(name)r", most=MAX_NAME_LENGTH, name=name)
        if embargo_minutes < 0:
            raise UsageError(
                "--embargo: minutes after publication (0 or more), not %(embargo_minutes)s",
                embargo_minutes=embargo_minutes,
            )
        if reuse_days is not None and reuse_days < 1:
            raise UsageError(
                "--reuse-days: days after publication (1 or more), not %(reuse_days)s", reuse_days=reuse_days
            )
        key = generate_key()
        values = {
            "name": name,
            "key_prefix": key_prefix(key),
            "key_hash": self._hasher.hash(key),
            "categories": json.dumps(list(_clean_list(categories)), ensure_ascii=False),
            "regions": json.dumps(list(_clean_list(regions)), ensure_ascii=False),
            "embargo_minutes": embargo_minutes,
            "summary_only": summary_only,
            "rights_text": rights_text,
            "licence_url": licence_url,
            "attribution": attribution,
            "created_at": now,
            "key_created_at": now,
            "revoked_at": None,
            "reuse_days": reuse_days,
        }
        try:
            with self.engine.begin() as connection:
                connection.execute(insert(partners).values(**values))
        except IntegrityError:
            raise UsageError("a partner named %(name)r exists already", name=name) from None
        return NewKey(self.get(name), key)

    def get(self, name: str) -> Partner:
        with self.engine.connect() as connection:
            row = connection.execute(select(partners).where(partners.c.name == name)).first()
        if row is None:
            raise PartnerNotFound(name)
        return _partner(row)

    def all(self) -> list[Partner]:
        """Every partner, active and revoked, by name."""
        with self.engine.connect() as connection:
            return [_partner(row) for row in connection.execute(select(partners).order_by(partners.c.name))]

    def revoke(self, name: str, now: datetime) -> bool:
        """Revoke the partner's key; False when it was revoked already."""
        partner = self.get(name)
        if not partner.active:
            return False
        with self.engine.begin() as connection:
            connection.execute(
                update(partners).where(partners.c.id == partner.id, partners.c.revoked_at.is_(None))
                .values(revoked_at=now)
            )
        return True

    def rotate(self, name: str, now: datetime) -> NewKey:
        """Issue a new key for an active partner; the old key stops working at once."""
        partner = self.get(name)
        if not partner.active:
            raise UsageError("partner %(name)r is revoked; add a new partner to give access again", name=name)
        key = generate_key()
        with self.engine.begin() as connection:
            connection.execute(
                update(partners)
                .where(partners.c.id == partner.id)
                .values(key_prefix=key_prefix(key), key_hash=self._hasher.hash(key), key_created_at=now)
            )
        return NewKey(self.get(name), key)

    def authenticate(self, key: str | None) -> Authentication:
        """The partner whose key ``key`` is (revoked partners included: the caller refuses them).

        Every presented value, a missing or malformed one included, costs one lookup and at least one
        hash comparison, so the time taken tells nothing about why a key is refused.
        """
        presented = key if key and looks_like_key(key) else None
        # A prefix no stored key has (keys never contain "!"), so a malformed key runs the same query.
        prefix = key_prefix(presented) if presented else _NO_PREFIX
        with self.engine.connect() as connection:
            rows = connection.execute(select(partners).where(partners.c.key_prefix == prefix)).all()
        found = None
        # Every candidate is compared, so the time taken does not depend on which one matches.
        for row in rows or (_DUMMY_ROW,):
            if self._hasher.matches(presented or "", row.key_hash) and row is not _DUMMY_ROW:
                found = row
        return Authentication(None if found is None else _partner(found))

    # -- request log -------------------------------------------------------------

    def log_request(self, partner_id: int, now: datetime, endpoint: str, status: int, items_served: int) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                insert(partner_requests).values(
                    partner_id=partner_id,
                    requested_at=now,
                    endpoint=endpoint,
                    status=status,
                    items_served=items_served,
                )
            )

    def log_requests(self, rows: list[tuple[int, datetime, str, int, int]]) -> None:
        """Log many requests (partner id, time, endpoint, status, items served) in one transaction."""
        if not rows:
            return
        with self.engine.begin() as connection:
            connection.execute(
                insert(partner_requests),
                [
                    {"partner_id": partner_id, "requested_at": at, "endpoint": endpoint, "status": status,
                     "items_served": items}
                    for partner_id, at, endpoint, status, items in rows
                ],
            )

    def requests(self, partner_id: int) -> list[tuple[datetime, str, int, int]]:
        """(time, endpoint, status, items served) of every logged request, oldest first."""
        query = (
            select(
                partner_requests.c.requested_at,
                partner_requests.c.endpoint,
                partner_requests.c.status,
                partner_requests.c.items_served,
            )
            .where(partner_requests.c.partner_id == partner_id)
            .order_by(partner_requests.c.id)
        )
        with self.engine.connect() as connection:
            return [tuple(row) for row in connection.execute(query)]  # type: ignore[misc]

    def usage(self) -> dict[int, UsageSummary]:
        """Per partner id: number of requests, items served and the last request time."""
        query = select(
            partner_requests.c.partner_id,
            func.count(),
            func.coalesce(func.sum(partner_requests.c.items_served), 0),
            func.max(partner_requests.c.requested_at),
        ).group_by(partner_requests.c.partner_id)
        with self.engine.connect() as connection:
            rows = connection.execute(query).all()
        return {
            partner_id: UsageSummary(int(count), int(items), last) for partner_id, count, items, last in rows
        }
