"""`syndication run` end to end: a real process on a temporary content folder, and `run --once`
with the real collect, feeds, editions and delivery on a controlled clock."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import frontmatter
import pytest

from subscribers.model import SubscriberStatus
from syndication.app import App
from syndication.clock import FixedClock
from syndication.config import Settings
from syndication.runtime import Runtime
from syndication.scheduler.bound import real_jobs
from syndication.scheduler.runner import run_once

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ARTICLES = sorted((PROJECT_ROOT / "content").rglob("*.md"))
BERLIN = ZoneInfo("Europe/Berlin")
RUN = "from syndication.cli import main; main()"

CONFIG = """
[site]
public_dir = "public"
outbox_dir = "outbox"
var_dir = "var"

[[sources]]
name = "content"
type = "folder"
path = "content"

[scheduler]
collect_interval_minutes = 10
"""


def wait_until(condition: Callable[[], bool], timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8") if path.exists() else ""


@pytest.mark.slow
def test_run_collects_publishes_refuses_run_once_and_stops_on_sigterm(tmp_path: Path) -> None:
    """A running scheduler puts a new article into the feeds, refuses a `run --once` (exit 2), exits 0 on SIGTERM."""
    content = tmp_path / "content"
    content.mkdir()
    for article in ARTICLES[:2]:
        shutil.copy(article, content / article.name)
    (tmp_path / "config.toml").write_text(CONFIG, encoding="utf-8")
    env = {**os.environ, "SYNDICATION_SCHEDULER__COLLECT_INTERVAL_SECONDS": "2", "SYNDICATION_CONFIG": "config.toml"}
    feed = tmp_path / "public" / "feeds" / "all.atom"
    new_article = ARTICLES[2]
    new_title = frontmatter.load(new_article)["title"]
    first = subprocess.Popen(
        [sys.executable, "-c", RUN, "run"], cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True
    )
    try:
        published = wait_until(lambda: feed.exists())
        title_before = new_title in read(feed)
        shutil.copy(new_article, content / new_article.name)
        updated = wait_until(lambda: new_title in read(feed))
        second = subprocess.run(
            [sys.executable, "-c", RUN, "run", "--once"], cwd=tmp_path, env=env, capture_output=True, text=True,
            timeout=60,
        )
        first.send_signal(signal.SIGTERM)
        _, log = first.communicate(timeout=60)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    assert (True, False, True) == (published, title_before, updated)
    assert 2 == second.returncode
    assert "another `syndication run`" in second.stderr
    assert 0 == first.returncode
    assert "scheduler stopped" in log


def test_run_once_sends_each_slot_once_with_the_real_pipeline(settings: Settings) -> None:
    """--once at 06:30 sends the morning edition to the 06:00 subscriber, again sends nothing, at 18:05 the
    18:00 subscriber gets the same edition."""
    clock = FixedClock(datetime(2026, 11, 24, 6, 30, tzinfo=BERLIN))
    runtime = Runtime(settings=settings, clock=clock)
    store = App(runtime).subscriber_store()
    store.add("morgen@example.org", now=clock.now(), status=SubscriberStatus.ACTIVE)
    store.add("abend@example.org", now=clock.now(), status=SubscriberStatus.ACTIVE, slot="18:00")
    outbox = settings.outbox_dir

    def messages() -> list[str]:
        return sorted(path.read_text(encoding="utf-8") for path in outbox.rglob("*.eml"))

    try:
        morning = run_once(runtime, real_jobs(runtime))
        after_morning = messages()
        clock.set(datetime(2026, 11, 24, 6, 40, tzinfo=BERLIN))
        again = run_once(runtime, real_jobs(runtime))
        after_again = messages()
        clock.set(datetime(2026, 11, 24, 18, 5, tzinfo=BERLIN))
        evening = run_once(runtime, real_jobs(runtime))
        after_evening = messages()
    finally:
        runtime.close()
    assert (0, 0, 0) == (morning, again, evening)
    assert (1, 1, 2) == (len(after_morning), len(after_again), len(after_evening))
    assert "To: morgen@example.org" in after_morning[0]
    evening_mail = next(mail for mail in after_evening if "abend@example.org" in mail)
    assert _subject(after_morning[0]) == _subject(evening_mail)


def _subject(mail: str) -> str:
    return next(line for line in mail.splitlines() if line.startswith("Subject:"))
