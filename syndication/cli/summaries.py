"""The one-line summaries the commands print after a job, in the command line's language.

The reports' own ``summary()`` stays English: it goes into the log, which operators grep and tickets quote.
"""

from __future__ import annotations

from dataclasses import fields

from syndication.cli.words import _, ngettext, number
from syndication.delivery.send import SendReport
from syndication.i18n import N_
from syndication.inbound.service import InboundReport
from syndication.partners.push import PushReport
from syndication.sources.collect import CollectReport
from syndication.webhooks.delivery import DeliveryReport


def collect_summary(report: CollectReport) -> str:
    return _(
        "%(new)s new, %(updated)s updated, %(retracted)s retracted, %(unchanged)s unchanged, %(errors)s",
        new=number(len(report.created)),
        updated=number(len(report.updated)),
        retracted=number(len(report.retracted)),
        unchanged=number(report.unchanged),
        errors=ngettext("%(num)s error", "%(num)s errors", len(report.errors)),
    )


def send_summary(report: SendReport) -> str:
    where = {"edition": report.edition_id, "slot": report.slot}
    if report.dry_run:
        return _(
            "%(edition)s (%(slot)s): dry run, %(planned)s would be sent, %(skipped)s skipped",
            planned=number(report.planned),
            skipped=number(report.skipped),
            **where,
        )
    if report.busy:
        return _("%(edition)s (%(slot)s): another process is planning this send; nothing done", **where)
    parts = [
        _(
            "%(edition)s (%(slot)s) via %(backend)s: %(sent)s sent (%(now)s now), %(failed)s failed, "
            "%(skipped)s skipped",
            backend=report.backend,
            sent=number(report.sent),
            now=number(report.sent_now),
            failed=number(report.failed),
            skipped=number(report.skipped),
            **where,
        )
    ]
    if report.bounced:
        parts.append(_("%(num)s bounced (suppressed)", num=number(report.bounced)))
    if report.in_doubt:
        parts.append(
            _(
                "%(num)s in doubt (not resent; see `digest doubt %(edition)s`)",
                num=number(report.in_doubt),
                edition=report.edition_id,
            )
        )
    if report.pending:
        parts.append(_("%(num)s not yet sent", num=number(report.pending)))
    text = ", ".join(parts)
    if report.paused:
        text += "; " + _(
            "PAUSED: %(reason)s (continue with `syndication digest resume %(edition)s`)",
            reason=report.paused,
            edition=report.edition_id,
        )
    return text


def push_summary(report: PushReport) -> str:
    return _(
        "%(queued)s queued, %(delivered)s delivered, %(retried)s to retry, %(failed)s given up, "
        "%(postponed)s postponed",
        queued=number(report.queued),
        delivered=number(report.delivered),
        retried=number(report.retried),
        failed=number(report.failed),
        postponed=number(report.postponed),
    )


def webhook_summary(report: DeliveryReport) -> str:
    return _(
        "%(delivered)s delivered, %(retried)s to retry, %(failed)s given up, %(postponed)s postponed",
        delivered=number(report.delivered),
        retried=number(report.retried),
        failed=number(report.failed),
        postponed=number(report.postponed),
    )


# Each count of an inbound run ("3 bounces"); a count added later is shown by its field's name until it has one.
INBOUND_COUNTS = {
    "read": N_("%(num)s read"),
    "bounce": N_("%(num)s bounces"),
    "deferred": N_("%(num)s deferred"),
    "complaint": N_("%(num)s complaints"),
    "unsubscribe": N_("%(num)s unsubscribes"),
    "unmatched": N_("%(num)s unmatched"),
    "ignored": N_("%(num)s ignored"),
    "duplicates": N_("%(num)s duplicates"),
}


def inbound_summary(report: InboundReport) -> str:
    parts = []
    for field in fields(report):
        value = number(getattr(report, field.name))
        label = INBOUND_COUNTS.get(field.name)
        parts.append(_(label, num=value) if label else f"{value} {field.name.replace('_', ' ')}")
    return ", ".join(parts)
