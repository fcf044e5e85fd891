"""The complaint brake's judgement, from the report counters of the run's whole edition (all its slots and zones)."""

from __future__ import annotations

from sqlalchemy import Engine, func, select

from syndication.events.tables import send_report_counts


class CounterBrake:
    """Pulls when complaints pass ``complaint_brake`` of delivered, or hard bounces ``bounce_brake`` of sent.

    Neither pulls before ``min_messages`` were delivered (complaints) or sent (bounces): a few
    early events must not stop a send. A limit of 0 turns that brake off.
    """

    def __init__(self, engine: Engine, *, complaint_brake: float, bounce_brake: float, min_messages: int) -> None:
        self.engine = engine
        self.complaint_brake = complaint_brake
        self.bounce_brake = bounce_brake
        self.min_messages = min_messages

    def reason(self, edition_id: str, slot: str, sent: int, bounced: int) -> str | None:
        # The whole edition's counters, every slot's and reader zone's (and events placed in no slot): one
        # zone's run alone is often below min_messages, and the ledger's ``sent``/``bounced`` are the edition's.
        with self.engine.connect() as connection:
            row = connection.execute(
                select(func.coalesce(func.sum(send_report_counts.c.delivered), 0),
                       func.coalesce(func.sum(send_report_counts.c.complaints), 0),
                       func.coalesce(func.sum(send_report_counts.c.bounced_hard), 0))
                .where(send_report_counts.c.edition_id == edition_id)
            ).first()
        delivered, complaints, hard = (int(row[0]), int(row[1]), int(row[2])) if row is not None else (0, 0, 0)
        # Synchronous refusals (SMTP 5xx) are in the ledger; the provider's bounces in the counters.
        hard = max(hard, bounced)
        if self.complaint_brake and delivered >= self.min_messages and complaints / delivered > self.complaint_brake:
            return (f"complaint rate {complaints / delivered:.2%} ({complaints} of {delivered} delivered) "
                    f"passed [delivery] complaint_brake {self.complaint_brake:.2%}")
        if self.bounce_brake and sent >= self.min_messages and hard / sent > self.bounce_brake:
            return (f"hard-bounce rate {hard / sent:.2%} ({hard} of {sent} sent) "
                    f"passed [delivery] bounce_brake {self.bounce_brake:.2%}")
        return None
