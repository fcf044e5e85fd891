"""The console's catalogs (gettext domain ``console``): German translates every msgid the console uses."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

from syndication.console.core import words

ROOT = Path(__file__).resolve().parents[2]
LOCALE = ROOT / "syndication" / "locale"


def _extracted(tmp_path: Path) -> set[str]:
    pot = tmp_path / "console.pot"
    subprocess.run(
        [sys.executable, "-c", "from babel.messages.frontend import main; main()", "extract", "-F",
         "syndication/console/babel.cfg", "-k", "translate", "-k", "N_", "--no-location", "-o", str(pot), "."],
        cwd=ROOT, check=True, capture_output=True,
    )
    with pot.open("rb") as handle:
        return {str(message.id) for message in read_po(handle) if message.id}


def test_german_translates_every_msgid_and_english_lists_them(tmp_path: Path) -> None:
    """Every string of the console's code and templates is in both catalogs, translated in German."""
    wanted = _extracted(tmp_path)
    for language in ("de", "en"):
        with (LOCALE / language / "LC_MESSAGES" / "console.po").open("rb") as handle:
            catalog = read_po(handle)
        assert set() == wanted - {str(m.id) for m in catalog if m.id}, language
        if language == "de":
            assert [] == [m.id for m in catalog if m.id and (not m.string or m.fuzzy)]


def test_the_console_speaks_german() -> None:
    """The catalog is found and compiled: the overview is the „Übersicht“."""
    assert "Übersicht" == words("de").gettext("Overview")
    assert "Overview" == words("en").gettext("Overview")
