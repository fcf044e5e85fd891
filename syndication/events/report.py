"""Per-edition and per-slot send reports, read from the counters (never from the events themselves).

Recipients and sent come from the send ledger, the rest from the counters the event store
increases as events arrive. Rates: delivered, deferred and bounces of sent; complaints,
unsubscribes and clicks of delivered (what mailbox providers measure).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from syndication.events.tables import send_click_counts, send_report_counts

# Which count each rate is taken of.
RATE_OF = {
    "sent": "recipients",
    "delivered": "sent",
    "deferred": "sent",
    "bounced_hard": "sent",
    "bounced_soft": "sent",
    "complaints": "delivered",
    "unsubscribes": "delivered",
    "unique_clicks": "delivered",
    "opens": "delivered",
}
COUNTS = ("recipients", "sent", "delivered", "deferred", "bounced_hard", "bounced_soft", "complaints",
          "unsubscribes", "unique_clicks")


@dataclass(frozen=True)
class ArticleClicks:
    article_id: str | None
    url: str
    clicks: int


@dataclass(frozen=True)
class SendReport:
    """One edition's report, or one slot's (``slot`` set)."""

    edition_id: str
    slot: str | None
    counts: Mapping[str, int]
    clicks_by_article: tuple[ArticleClicks, ...]
    opens: int | None = None

    def rate(self, name: str) -> float | None:
        base = self.counts.get(RATE_OF.get(name, ""), 0)
        value = self.opens if name == "opens" else self.counts.get(name, 0)
        return None if not base or value is None else value / base

    def article_rate(self, clicks: int) -> float | None:
        delivered = self.counts.get("delivered", 0)
        return clicks / delivered if delivered else None

    def as_json(self) -> dict[str, Any]:
        """Exactly the issue's keys: the counts, and the clicks per article (most clicked first)."""
        return {
            "edition_id": self.edition_id,
            **{name: int(self.counts.get(name, 0)) for name in COUNTS},
            "clicks_by_article": [
                {"article_id": item.article_id, "url": item.url, "clicks": item.clicks}
                for item in self.clicks_by_article
            ],
        }


def build_reports(
    connection: Connection, edition_id: str, ledger: Mapping[str, tuple[int, int]], *, opens: bool = False
) -> tuple[SendReport, dict[str, SendReport]]:
    """(the edition's report, slot → that slot's report). ``ledger``: slot → (recipients, sent)."""
    rows = connection.execute(select(send_report_counts).where(send_report_counts.c.edition_id == edition_id))
    per_slot: dict[str, dict[str, int]] = {}
    for row in rows:
        values = dict(row._mapping)
        slot = values.pop("slot")
        values.pop("edition_id")
        per_slot[slot] = {name: int(value) for name, value in values.items()}
    for slot, (recipients, sent) in ledger.items():
        per_slot.setdefault(slot, {}).update(recipients=recipients, sent=sent)
    clicks: dict[str, list[ArticleClicks]] = {}
    for row in connection.execute(select(send_click_counts).where(send_click_counts.c.edition_id == edition_id)):
        clicks.setdefault(row.slot, []).append(ArticleClicks(row.article_id or None, row.url, int(row.clicks)))
    total: dict[str, int] = {}
    for values in per_slot.values():
        for name, value in values.items():
            total[name] = total.get(name, 0) + value
    merged: dict[tuple[str | None, str], int] = {}
    for items in clicks.values():
        for item in items:
            merged[(item.article_id, item.url)] = merged.get((item.article_id, item.url), 0) + item.clicks

    def ranked(items: list[ArticleClicks]) -> tuple[ArticleClicks, ...]:
        return tuple(sorted(items, key=lambda item: (-item.clicks, item.article_id or "", item.url)))

    edition = SendReport(
        edition_id, None, total, ranked([ArticleClicks(a, u, n) for (a, u), n in merged.items()]),
        total.get("opens", 0) if opens else None,
    )
    slots = {
        slot: SendReport(edition_id, slot, values, ranked(clicks.get(slot, [])),
                         values.get("opens", 0) if opens else None)
        for slot, values in sorted(per_slot.items())
    }
    return edition, slots


LABELS = {
    "recipients": "recipients", "sent": "sent", "delivered": "delivered", "deferred": "deferred",
    "bounced_hard": "bounced (hard)", "bounced_soft": "bounced (soft)", "complaints": "complaints",
    "unsubscribes": "unsubscribes", "unique_clicks": "unique clicks", "opens": "opens*",
}


def _cell(report: SendReport, name: str) -> str:
    value = report.opens if name == "opens" else report.counts.get(name, 0)
    rate = report.rate(name)
    return f"{value}" if rate is None else f"{value} ({rate:.2%})"


def render_text(edition: SendReport, slots: Mapping[str, SendReport]) -> list[str]:
    """A table: one row per count, a column for the edition and one per slot; then clicks per article."""
    columns = [("edition", edition)] + [(slot or "(no slot)", report) for slot, report in slots.items()]
    names = list(COUNTS) + (["opens"] if edition.opens is not None else [])
    cells = [[LABELS[name]] + [_cell(report, name) for _, report in columns] for name in names]
    header = [edition.edition_id] + [title for title, _ in columns]
    widths = [max(len(row[index]) for row in [header, *cells]) for index in range(len(header))]
    lines = ["  ".join(text.ljust(widths[index]) if index == 0 else text.rjust(widths[index])
                       for index, text in enumerate(row)) for row in [header, *cells]]
    if edition.opens is not None:
        lines.append("* opens are inflated by Apple Mail Privacy Protection (it loads every image); "
                     "articles are ranked by clicks.")
    lines.append("")
    lines.append("clicks per article (rate of delivered):" if edition.clicks_by_article else "no clicks recorded")
    for item in edition.clicks_by_article:
        rate = edition.article_rate(item.clicks)
        shown = f" ({rate:.2%})" if rate is not None else ""
        lines.append(f"  {item.clicks:>6}{shown}  {item.article_id or '-'}  {item.url}")
    return lines
