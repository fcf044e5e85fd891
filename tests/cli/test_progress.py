"""Long jobs draw progress on stderr when it is a terminal, and print none when piped or asked not to."""

from __future__ import annotations

import csv
import io
import logging
import re
import sys
from pathlib import Path

import pytest

from subscribers.exporter import EXPORT_COLUMNS
from syndication.cli.progress import progress_bar
from tests.cli.site import Site, Terminal, make_site

SAMPLES = 14  # files under content/ (one of them retracted)


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Site:
    return make_site(tmp_path, monkeypatch)


def _readers(site: Site, count: int) -> Path:
    path = site.root / "leser.csv"
    rows = "".join(f"leser{n}@example.org,Leser {n}\n" for n in range(count))
    path.write_text("email,name\n" + rows, encoding="utf-8")
    return path


def test_a_bar_is_drawn_on_a_terminal() -> None:
    """Three steps of a known total end as 3/3 on the terminal stream."""
    terminal = Terminal()
    with progress_bar("job", "items", stream=terminal) as advance:
        for _ in range(3):
            advance(1, 3)
    assert "3/3" in terminal.getvalue()


def test_nothing_is_drawn_on_a_pipe() -> None:
    """A stream that is not a terminal gets nothing at all."""
    pipe = io.StringIO()
    with progress_bar("job", "items", stream=pipe) as advance:
        advance(5, 5)
    assert "" == pipe.getvalue()


def test_disabled_draws_nothing_on_a_terminal() -> None:
    """enabled=False (--no-progress) is silent even on a terminal."""
    terminal = Terminal()
    with progress_bar("job", "items", enabled=False, stream=terminal) as advance:
        advance(5, 5)
    assert "" == terminal.getvalue()


def test_a_warning_logged_mid_run_gets_its_own_line(monkeypatch: pytest.MonkeyPatch) -> None:
    """A log line to stderr while the bar is drawn starts at the line's beginning, not after the bar."""
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    handler = logging.StreamHandler(sys.stderr)
    logging.root.addHandler(handler)
    try:
        with progress_bar("feeds", "files") as advance:
            advance(1, 2)
            logging.getLogger("syndication.feeds").warning("feeds: an item was left out")
            advance(1, 2)
    finally:
        logging.root.removeHandler(handler)
    assert "\rfeeds: an item was left out\n" in terminal.getvalue()


def test_collect_shows_progress_on_stderr_only(site: Site) -> None:
    """On a terminal, collect counts the items it read on stderr; stdout has only the summary line."""
    code, out, err = site.on_terminal("collect")
    assert (0, f"collected: {SAMPLES} new, 0 updated, 0 retracted, 0 unchanged, 0 errors\n", True) == (
        code,
        out,
        f"collect: {SAMPLES} items" in err,
    )


def test_collect_piped_prints_no_progress(site: Site) -> None:
    """Through a pipe (CliRunner), collect writes nothing to stderr."""
    result = site.invoke("collect")
    assert (0, "", True) == (result.exit_code, result.stderr, result.stdout.startswith("collected: "))


def test_no_progress_silences_the_terminal(site: Site) -> None:
    """--no-progress: nothing on stderr even on a terminal."""
    code, _, err = site.on_terminal("collect", "--no-progress")
    assert (0, "") == (code, err)


def test_feeds_build_counts_every_file(site: Site) -> None:
    """feeds build on a terminal ends at files/files (three formats per feed); piped it is silent."""
    assert 0 == site.invoke("collect").exit_code
    code, out, err = site.on_terminal("feeds", "build")
    feeds = int(re.match(r"feeds: (\d+) feeds", out).group(1))  # type: ignore[union-attr]
    piped = site.invoke("feeds", "build")
    assert (0, True, "\r" in out, "") == (code, f"{3 * feeds}/{3 * feeds}" in err, False, piped.stderr)


def test_import_counts_lines_and_confirmation_mails(site: Site) -> None:
    """An import without --consented shows its lines and then the confirmation mails it sends."""
    code, out, err = site.on_terminal("subscribers", "import", str(_readers(site, 3)))
    assert (0, True, True, True) == (
        code,
        out.endswith("3 imported (pending), 0 already present, 0 rejected\n"),
        "4/4" in err.split("confirmation mails")[0],
        "3/3" in err.split("confirmation mails")[-1],
    )


def test_import_piped_prints_no_progress(site: Site) -> None:
    """Piped, an import with nothing rejected leaves stderr empty."""
    result = site.invoke("subscribers", "import", "--consented", str(_readers(site, 3)))
    assert (0, "") == (result.exit_code, result.stderr)


def test_export_to_stdout_keeps_the_csv_clean(site: Site) -> None:
    """Exporting to '-' on a terminal: the bar and the count on stderr, a CSV with nothing else on stdout."""
    site.invoke("subscribers", "import", "--consented", str(_readers(site, 3)))
    code, out, err = site.on_terminal("subscribers", "export", "-")
    rows = list(csv.reader(io.StringIO(out)))
    assert (0, list(EXPORT_COLUMNS), 4, True, True) == (
        code,
        rows[0],
        len(rows),
        "3/3" in err,
        err.endswith("exported 3 subscribers\n"),
    )


def test_digest_send_shows_progress_on_a_terminal(site: Site) -> None:
    """digest send draws its messages on a terminal and stays quiet when piped."""
    site.invoke("collect")
    for email in ("anna@example.org", "ben@example.org"):
        assert 0 == site.invoke("subscribers", "add", email, "--confirmed").exit_code
    assert 0 == site.invoke("digest", "build").exit_code
    code, out, err = site.on_terminal("digest", "send")
    assert (0, True, True) == (code, "2/2" in err, "2 sent (2 now)" in out)


def test_digest_send_piped_prints_no_progress(site: Site) -> None:
    """Through a pipe the send's summary is all there is (no bar on stderr)."""
    site.invoke("collect")
    site.invoke("subscribers", "add", "anna@example.org", "--confirmed")
    site.invoke("digest", "build")
    result = site.invoke("digest", "send")
    assert (0, "") == (result.exit_code, result.stderr)
