"""Partners' push endpoints: register, rotate the signing secret, replay, and queue new versions.

A partner has at most one endpoint. Its Standard Webhooks secret (``whsec_`` + base64 of 32 random
bytes) is shown once when it is made and stored encrypted (Fernet, with a key derived from
``SYNDICATION_SECRET_KEY``): the signer needs it in clear, a copy of the database alone does not give it.

Queuing follows the same paging as the cursor endpoint (:func:`~syndication.partners.paging.read_page`),
from the endpoint's own cursor: polling and push deliver the same versions, in the same order, with the
same scope and embargo. A replay sets that cursor back; what comes again gets new message ids.
"""

from __future__ import annotations

import base64
import ipaddress
import secrets
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.engine import Connection

from syndication.errors import ConfigError, UsageError
from syndication.partners.model import Partner
from syndication.partners.paging import read_page
from syndication.partners.store import PartnerStore
from syndication.partners.tables import partner_endpoints, partner_pushes
from syndication.partners.versions import VersionLog
from syndication.sealing import SealBroken, SecretBox

PENDING = "pending"
SENDING = "sending"
DELIVERED = "delivered"
FAILED = "failed"
# Open pushes of an endpoint whose cursor was set back: the replay sends them again.
REPLACED = "replaced"
# Pushes not yet sent when the endpoint was stopped.
STOPPED = "stopped"
_FERNET_CONTEXT = b"syndication partner push secrets v1"
# Versions queued per endpoint and run at most (the rest wait for the next run).
QUEUE_LIMIT = 2000


def generate_secret() -> str:
    """A new Standard Webhooks secret: ``whsec_`` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def check_url(url: str, *, allow_loopback_http: bool = False) -> str:
    """``url`` if it may receive pushes: https, or http on a loopback address where that is allowed."""
    parts = urlsplit(url.strip())
    if parts.scheme == "https" and parts.hostname:
        return url.strip()
    if parts.scheme == "http" and parts.hostname and allow_loopback_http:
        host = parts.hostname
        try:
            loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if loopback:
            return url.strip()
    raise UsageError("push endpoint: an https:// URL, not %(url)r", url=url[:100])


def has_endpoints(engine: Engine) -> bool:
    """Whether any partner has a push endpoint that is not stopped (one read; no secret key needed)."""
    with engine.connect() as connection:
        query = select(partner_endpoints.c.id).where(partner_endpoints.c.stopped_at.is_(None)).limit(1)
        return connection.execute(query).first() is not None


def endpoints_by_partner(engine: Engine) -> dict[int, Endpoint]:
    """Every push endpoint, stopped or not, by its partner's id (secrets stay sealed; no key needed)."""
    with engine.connect() as connection:
        return {row.partner_id: _endpoint(row) for row in connection.execute(select(partner_endpoints))}


@dataclass(frozen=True)
class Endpoint:
    """A partner's push endpoint (the secret stays sealed until it signs)."""

    id: int
    partner_id: int
    url: str
    sealed_secret: str
    cursor: int
    generation: int
    created_at: datetime
    secret_created_at: datetime
    # When the newsroom stopped the pushes (None: they go on).
    stopped_at: datetime | None = None


@dataclass(frozen=True)
class NewSecret:
    """An endpoint with its freshly made secret: the only time the secret is shown."""

    endpoint: Endpoint
    secret: str


def message_id(partner_id: int, position: int, generation: int) -> str:
    """The webhook-id of one version for one partner: the same for every attempt, new for a replay."""
    suffix = f"_r{generation}" if generation else ""
    return f"msg_p{partner_id}_v{position}{suffix}"


def _endpoint(row: object) -> Endpoint:
    return Endpoint(
        id=row.id, partner_id=row.partner_id, url=row.url, sealed_secret=row.secret,  # type: ignore[attr-defined]
        cursor=row.cursor, generation=row.generation, created_at=row.created_at,  # type: ignore[attr-defined]
        secret_created_at=row.secret_created_at, stopped_at=row.stopped_at,  # type: ignore[attr-defined]
    )


class _Moved(Exception):
    """Another process queued this endpoint's versions meanwhile: this run's queuing is undone."""


class Endpoints:
    """Reads and writes push endpoints and queues versions for them."""

    def __init__(self, engine: Engine, partners: PartnerStore, versions: VersionLog, secret_key: str) -> None:
        self.engine = engine
        self.partners = partners
        self.versions = versions
        self.box = SecretBox(secret_key, _FERNET_CONTEXT)

    def register(self, name: str, url: str, now: datetime, *, allow_loopback_http: bool = False) -> NewSecret:
        """Give partner ``name`` the endpoint ``url`` with a new secret; new versions from now on go there.

        A stopped endpoint starts again as a new one would: with the versions recorded from now on (what
        came while it was stopped is sent only by a replay), under new message ids.
        """
        partner = self.partners.get(name)
        if not partner.active:
            raise UsageError("partner %(name)r is revoked", name=name)
        url = check_url(url, allow_loopback_http=allow_loopback_http)
        secret = generate_secret()
        with self.engine.begin() as connection:
            existing = self._find(connection, partner.id)
            if existing is None:
                connection.execute(
                    insert(partner_endpoints).values(
                        partner_id=partner.id, url=url, secret=self.box.seal(secret), created_at=now,
                        secret_created_at=now, cursor=self.versions.head(), generation=0,
                    )
                )
            elif existing.stopped_at is not None:
                connection.execute(
                    update(partner_endpoints).where(partner_endpoints.c.id == existing.id)
                    .values(url=url, secret=self.box.seal(secret), secret_created_at=now, stopped_at=None,
                            cursor=self.versions.head(), generation=existing.generation + 1)
                )
            else:
                connection.execute(
                    update(partner_endpoints).where(partner_endpoints.c.id == existing.id)
                    .values(url=url, secret=self.box.seal(secret), secret_created_at=now)
                )
            endpoint = self._find(connection, partner.id)
        assert endpoint is not None
        return NewSecret(endpoint, secret)

    def rotate(self, name: str, now: datetime) -> NewSecret:
        """A new secret for partner ``name``'s endpoint; the old one stops signing at once."""
        partner = self.partners.get(name)
        secret = generate_secret()
        with self.engine.begin() as connection:
            endpoint = self._require(connection, partner)
            connection.execute(
                update(partner_endpoints).where(partner_endpoints.c.id == endpoint.id)
                .values(secret=self.box.seal(secret), secret_created_at=now)
            )
            endpoint = self._require(connection, partner)
        return NewSecret(endpoint, secret)

    def stop(self, name: str, now: datetime) -> Endpoint:
        """End partner ``name``'s pushes: nothing more is queued, open pushes are not sent (``stopped``).

        The endpoint and its pushes stay (the partner's usage keeps its history); a push being posted
        right now finishes. Stopping a stopped endpoint changes nothing; registering again starts it.
        """
        partner = self.partners.get(name)
        with self.engine.begin() as connection:
            endpoint = self._require(connection, partner)
            if endpoint.stopped_at is not None:
                return endpoint
            connection.execute(
                update(partner_endpoints).where(partner_endpoints.c.id == endpoint.id).values(stopped_at=now)
            )
            connection.execute(
                update(partner_pushes)
                .where(partner_pushes.c.endpoint_id == endpoint.id, partner_pushes.c.status == PENDING)
                .values(status=STOPPED, finished_at=now)
            )
            return self._require(connection, partner)

    def replay(self, name: str, position: int) -> Endpoint:
        """Push every version after ``position`` again (with new message ids); open pushes are replaced."""
        partner = self.partners.get(name)
        with self.engine.begin() as connection:
            endpoint = self._require(connection, partner)
            if endpoint.stopped_at is not None:
                raise UsageError(
                    "partner %(name)r's pushes are stopped: register the endpoint again first "
                    "(syndication partners push NAME URL)", name=partner.name
                )
            connection.execute(
                update(partner_pushes)
                .where(partner_pushes.c.endpoint_id == endpoint.id, partner_pushes.c.status.in_([PENDING, SENDING]))
                .values(status=REPLACED)
            )
            connection.execute(
                update(partner_endpoints).where(partner_endpoints.c.id == endpoint.id)
                .values(cursor=position, generation=endpoint.generation + 1)
            )
            return self._require(connection, partner)

    def get(self, name: str) -> Endpoint | None:
        partner = self.partners.get(name)
        with self.engine.connect() as connection:
            return self._find(connection, partner.id)

    def secret_of(self, endpoint: Endpoint) -> str:
        try:
            return self.box.open(endpoint.sealed_secret)
        except SealBroken:
            raise ConfigError(
                "a partner push secret cannot be read: SYNDICATION_SECRET_KEY changed since it was made "
                "(run `syndication partners push NAME URL` again)"
            ) from None

    def all(self) -> list[tuple[Endpoint, Partner]]:
        """Every endpoint of an active partner that is not stopped, with its partner."""
        by_id = {partner.id: partner for partner in self.partners.all() if partner.active}
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(partner_endpoints).where(partner_endpoints.c.stopped_at.is_(None))
                .order_by(partner_endpoints.c.id)
            ).all()
        return [(_endpoint(row), by_id[row.partner_id]) for row in rows if row.partner_id in by_id]

    def queue(self, now: datetime) -> int:
        """Queue, for every endpoint, the versions its partner may see now; how many were queued."""
        queued = 0
        for endpoint, partner in self.all():
            try:
                queued += self._queue_one(endpoint, partner, now)
            except _Moved:
                continue
        return queued

    def _queue_one(self, endpoint: Endpoint, partner: Partner, now: datetime) -> int:
        cursor = endpoint.cursor
        rows = []
        while len(rows) < QUEUE_LIMIT:
            page = read_page(self.versions, partner, cursor, 500, now)
            rows += [
                {
                    "endpoint_id": endpoint.id, "partner_id": partner.id, "version_id": version.position,
                    "article_id": version.article_id,
                    "message_id": message_id(partner.id, version.position, endpoint.generation),
                    "status": PENDING, "attempts": 0, "created_at": now, "next_attempt_at": now,
                }
                for version in page.changes
            ]
            cursor = page.cursor
            if not page.has_more:
                break
        if cursor == endpoint.cursor:
            return 0
        with self.engine.begin() as connection:
            moved = connection.execute(
                update(partner_endpoints)
                .where(partner_endpoints.c.id == endpoint.id, partner_endpoints.c.cursor == endpoint.cursor,
                       partner_endpoints.c.generation == endpoint.generation)
                .values(cursor=cursor)
            ).rowcount
            if moved != 1:
                raise _Moved()
            if rows:
                connection.execute(insert(partner_pushes), rows)
        return len(rows)

    @staticmethod
    def _find(connection: Connection, partner_id: int) -> Endpoint | None:
        row = connection.execute(
            select(partner_endpoints).where(partner_endpoints.c.partner_id == partner_id)
        ).first()
        return None if row is None else _endpoint(row)

    def _require(self, connection: Connection, partner: Partner) -> Endpoint:
        endpoint = self._find(connection, partner.id)
        if endpoint is None:
            raise UsageError(
                "partner %(name)r has no push endpoint (syndication partners push NAME URL)", name=partner.name
            )
        return endpoint
