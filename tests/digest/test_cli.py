"""`syndication digest build|preview|list` on the test database."""

from __future__ import annotations

import email
from collections.abc import Callable
from email import policy
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine

from syndication.cli import CliContext, cli
from syndication.clock import FixedClock
from syndication.errors import ConfigError, InputError
from syndication.store.articles import ArticleStore
from syndication.testing import make_article

Invoke = Callable[..., Result]
CONFIG = Path(__file__).resolve().parents[2] / "config.toml"


@pytest.fixture
def run(tmp_path: Path, engine: Engine, clock: FixedClock) -> Invoke:
    """Runs the command line on the same database and public folder as the fixtures."""
    env = {
        "SYNDICATION_SITE__VAR_DIR": str(tmp_path / "var"),
        "SYNDICATION_SITE__PUBLIC_DIR": str(tmp_path / "public"),
        "SYNDICATION_SECRET_KEY": "test-secret-key-0123456789abcdef",
    }

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(
            cli, ["--config", str(CONFIG), "digest", *args], env=env, obj=CliContext(clock=clock)
        )

    return invoke


def _store(engine: Engine, clock: FixedClock, count: int) -> None:
    store = ArticleStore(engine)
    for number in range(1, count + 1):
        store.upsert(make_article(number), clock.now())


def test_build_without_articles_exits_zero(run: Invoke) -> None:
    """Nothing new is not an error: exit 0 and say so."""
    result = run("build", "--edition", "daily")
    assert 0 == result.exit_code, result.output
    assert "daily: no new articles; no edition built" in result.output


def test_build_archives_and_second_build_does_nothing(
    run: Invoke, engine: Engine, clock: FixedClock, tmp_path: Path
) -> None:
    """build freezes the edition and writes its archive page; a second build the same day only reports."""
    _store(engine, clock, 3)
    first = run("build", "--edition", "daily")
    assert 0 == first.exit_code, first.output
    assert "3 articles (3 new since the previous edition)" in first.output
    pages = sorted(p.name for p in (tmp_path / "public" / "archive").iterdir())
    assert 3 == len(pages) and "editions.atom" in pages and "index.html" in pages
    second = run("build", "--edition", "daily")
    assert 0 == second.exit_code
    assert "already built today with 3 articles; nothing to do" in second.output
    assert 1 == run("list").output.count("built ")


def test_preview_writes_html_text_and_eml(run: Invoke, engine: Engine, clock: FixedClock, tmp_path: Path) -> None:
    """preview writes three files for a sample reader; the .eml has text/plain first and one-click headers."""
    _store(engine, clock, 2)
    out = tmp_path / "preview"
    result = run("preview", "--edition", "daily", "--out", str(out))
    assert 0 == result.exit_code, result.output
    files = sorted(p.suffix for p in out.iterdir())
    assert [".eml", ".html", ".txt"] == files
    eml = next(out.glob("*.eml"))
    message = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert "List-Unsubscribe=One-Click" == message["List-Unsubscribe-Post"]
    assert ["text/plain", "text/html"] == [part.get_content_type() for part in message.iter_parts()]
    assert "Guten Morgen, Anna Beispiel" in next(out.glob("*.txt")).read_text(encoding="utf-8")
    html_part = message.get_body(("html",))
    assert f"html: {len(html_part.get_payload().encode('ascii'))} bytes as sent" in result.output
    # A preview stores nothing: the edition can still be built afterwards.
    assert "built " in run("build").output


def test_preview_of_unknown_subscriber_is_an_error(
    run: Invoke, engine: Engine, clock: FixedClock, tmp_path: Path
) -> None:
    """--subscriber with an address nobody subscribed with names the problem and exits 1."""
    pytest.importorskip("subscribers.store")
    _store(engine, clock, 1)
    result = run("preview", "--subscriber", "niemand@example.org", "--out", str(tmp_path / "p"))
    assert isinstance(result.exception, InputError)
    assert 1 == result.exception.exit_code
    assert "--subscriber: no subscriber with this address" == str(result.exception)


def test_unknown_edition_is_a_usage_error(run: Invoke) -> None:
    """An edition name that is not configured is a configuration error (exit 2) listing the configured ones."""
    result = run("build", "--edition", "monthly")
    assert isinstance(result.exception, ConfigError)
    assert 2 == result.exception.exit_code
    assert "no edition named 'monthly'; configured: daily, weekly" in str(result.exception)
