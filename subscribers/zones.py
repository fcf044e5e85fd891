"""The time zones readers choose from (preferences page) and the script that tells the sign-up forms the browser's."""

from __future__ import annotations

import base64
import hashlib
from zoneinfo import available_timezones

# Fills the sign-up forms' hidden ``timezone`` field with the browser's zone. Without it (no JavaScript, an old
# browser) the field stays empty and the site's zone applies. Allowed by its hash alone: no other script runs.
ZONE_SCRIPT = (
    'try{document.getElementById("timezone").value=Intl.DateTimeFormat().resolvedOptions().timeZone||""}catch(e){}'
)
ZONE_SCRIPT_HASH = base64.b64encode(hashlib.sha256(ZONE_SCRIPT.encode()).digest()).decode()
# The zones a reader may pick: the IANA areas' zones (not the old aliases such as "US/Eastern" or "EST5EDT",
# which name the same clocks again); a reader's stored zone is offered too, whatever it is.
_ZONE_AREAS = ("Africa/", "America/", "Antarctica/", "Arctic/", "Asia/", "Atlantic/", "Australia/", "Europe/",
               "Indian/", "Pacific/")
READER_ZONES = tuple(sorted(zone for zone in available_timezones() if zone.startswith(_ZONE_AREAS)))


def zone_choices(current: str | None) -> tuple[str, ...]:
    """The zones offered on the preferences page: the IANA areas' zones, and the reader's own if it is none of them."""
    if current and current not in READER_ZONES:
        return tuple(sorted((*READER_ZONES, current)))
    return READER_ZONES
