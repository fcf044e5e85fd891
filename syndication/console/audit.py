"""The console's audit log: who changed what, when. Every action of the console (and ``admin add``) writes one row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, insert, select

from syndication.clock import Clock
from syndication.console.tables import console_audit


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    actor: str
    action: str
    target: str
    detail: str


class AuditLog:
    def __init__(self, engine: Engine, clock: Clock) -> None:
        self.engine = engine
        self.clock = clock

    def record(self, actor: str, action: str, target: str, detail: str = "") -> None:
        with self.engine.begin() as connection:
            connection.execute(insert(console_audit).values(
                at=self.clock.now(), actor=actor[:320], action=action[:60], target=target[:300], detail=detail))

    def recent(self, limit: int = 200) -> list[AuditEntry]:
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(console_audit).order_by(console_audit.c.id.desc()).limit(limit)).all()
        return [AuditEntry(row.at, row.actor, row.action, row.target, row.detail) for row in rows]

    def newest_ending(self, action: str, detail_end: str) -> AuditEntry | None:
        """The newest entry of ``action`` whose detail ends with ``detail_end``, however old (None: none)."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(console_audit)
                .where(console_audit.c.action == action, console_audit.c.detail.endswith(detail_end, autoescape=True))
                .order_by(console_audit.c.id.desc())
            )
            # SQLite's LIKE ignores the case of ASCII letters: the exact end is checked here.
            row = next((row for row in rows if row.detail.endswith(detail_end)), None)
        return None if row is None else AuditEntry(row.at, row.actor, row.action, row.target, row.detail)
