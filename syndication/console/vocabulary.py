"""Words the console shows that come from stored values (statuses, counters, kinds): marked here so that
extraction finds them; the templates translate them where they are shown (``_(status)``)."""

from __future__ import annotations

from syndication.i18n import N_

STORED_VALUES = (
    # subscriber statuses and frequencies
    N_("pending"), N_("active"), N_("unsubscribed"), N_("bounced"), N_("complained"), N_("daily"), N_("weekly"),
    # send runs and recipients
    N_("planning"), N_("ready"), N_("paused"), N_("done"), N_("sent"), N_("skipped"), N_("failed"),
    N_("deferred"), N_("in_doubt"),
    # report counters
    N_("recipients"), N_("delivered"), N_("bounced_hard"), N_("bounced_soft"), N_("complaints"),
    N_("unsubscribes"), N_("unique_clicks"),
    # provider events
    N_("processed"), N_("bounce"), N_("dropped"), N_("complaint"), N_("unsubscribe"), N_("click"), N_("open"),
    # consent steps
    N_("requested"), N_("confirmed"), N_("imported"), N_("added"),
    # roles
    N_("admin"), N_("editor"),
    # parse warnings (syndication.console.pages.parse_warnings)
    N_("no outlook found"), N_("no author quote"), N_("AI-generated image without alt text"), N_("unknown heading"),
)
