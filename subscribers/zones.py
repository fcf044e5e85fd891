"""The time zones readers choose from (preferences page), their canonical names, and the script that tells the
sign-up forms the browser's."""

from __future__ import annotations

import base64
import hashlib
import zoneinfo
from functools import lru_cache
from importlib import resources
from pathlib import Path
from zoneinfo import available_timezones

# Fills the sign-up forms' hidden ``timezone`` field with the browser's zone. Without it (no JavaScript, an old
# browser) the field stays empty and the site's zone applies. Allowed by its hash alone: no other script runs.
ZONE_SCRIPT = (
    'try{document.getElementById("timezone").value=Intl.DateTimeFormat().resolvedOptions().timeZone||""}catch(e){}'
)
ZONE_SCRIPT_HASH = base64.b64encode(hashlib.sha256(ZONE_SCRIPT.encode()).digest()).decode()
_ZONE_AREAS = (
    "Africa/",
    "America/",
    "Antarctica/",
    "Arctic/",
    "Asia/",
    "Atlantic/",
    "Australia/",
    "Europe/",
    "Indian/",
    "Pacific/",
)


def _data_file(name: str) -> str:
    """A file of the IANA data zoneinfo reads its zones from: the system's (``zoneinfo.TZPATH``) first, then
    the ``tzdata`` package's, in zoneinfo's own order; empty when neither has it."""
    for folder in zoneinfo.TZPATH:
        path = Path(folder) / name
        if path.is_file():
            return path.read_text(encoding="utf-8")
    try:
        return resources.files("tzdata").joinpath("zoneinfo", name).read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        return ""


@lru_cache(maxsize=1)
def _links_and_places() -> tuple[dict[str, str], frozenset[str]]:
    """(alias → target of every IANA link, the names zone.tab gives a country's clock).

    ``tzdata.zi`` is the compiled IANA source zoneinfo's binary files are made of: its ``L target alias``
    lines are the links (``Asia/Calcutta`` → ``Asia/Kolkata``, ``US/Eastern`` → ``America/New_York``).
    ``zoneinfo`` itself offers no way to tell a link from a zone (both load as the same clock), and Babel's
    CLDR aliases are CLDR's (it keeps ``Asia/Calcutta`` as its own name). A link is followed only from a name
    zone.tab does not list: since 2022 the IANA data also *merges* places with the same clocks since 1970
    (``Europe/Amsterdam`` → ``Europe/Brussels``), and a Dutch reader's own city is no alias to be renamed.
    """
    links: dict[str, str] = {}
    for line in _data_file("tzdata.zi").splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] == "L":
            links[parts[2]] = parts[1]
    places = frozenset(
        parts[2]
        for line in _data_file("zone.tab").splitlines()
        if not line.startswith("#") and len(parts := line.split("\t")) >= 3
    )
    return links, places


def canonical_zone(name: str | None) -> str | None:
    """A reader's zone under its one current IANA name (None: no zone): surrounding blanks dropped and an old
    alias (a link not listed in zone.tab) followed to the zone it names, so that ``"Europe/Berlin "`` and
    ``Europe/Berlin``, or ``Asia/Calcutta`` and ``Asia/Kolkata``, are one zone and one send. A name of no zone
    comes back stripped, unchecked (the callers check and refuse it, or read it as the site's zone)."""
    text = (name or "").strip()
    if not text:
        return None
    links, places = _links_and_places()
    # A chain of links is short (an alias of an alias); the bound only guards against a loop in odd data.
    for _ in range(8):
        if text in places or text not in links:
            break
        text = links[text]
    return text


# The zones a reader may pick: the IANA areas' zones under their current names (not the old aliases such as
# "US/Eastern", "EST5EDT" or "Asia/Calcutta", which name the same clocks again); a reader's stored zone is
# offered too, whatever it is.
READER_ZONES = tuple(
    sorted(zone for zone in available_timezones() if zone.startswith(_ZONE_AREAS) and canonical_zone(zone) == zone)
)


def zone_choices(current: str | None) -> tuple[str, ...]:
    """The zones offered on the preferences page: the IANA areas' zones, and the reader's own if it is none of them."""
    if current and current not in READER_ZONES:
        return tuple(sorted((*READER_ZONES, current)))
    return READER_ZONES


def zone_groups(current: str | None) -> list[tuple[str, tuple[str, ...]]]:
    """The preferences page's zone list in groups, (region, its zones), the regions sorted, for a ``<select>``
    of ``<optgroup>``s that a phone can page through. The reader's own zone is left out: the page lists it
    first, after the site's (the empty choice), as the one selected."""
    groups: dict[str, list[str]] = {}
    for zone in zone_choices(current):
        if zone != current:
            groups.setdefault(zone.partition("/")[0] if "/" in zone else zone, []).append(zone)
    return [(region, tuple(zones)) for region, zones in sorted(groups.items())]
