"""`syndication feeds build` and `syndication serve` from the command line."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import Engine

from syndication.cli import cli
from syndication.clock import FixedClock
from syndication.config import Settings
from syndication.store.articles import ArticleStore
from syndication.testing import make_article

PROJECT_CONFIG = Path(__file__).resolve().parents[2] / "config.toml"


def _env(settings: Settings) -> dict[str, str]:
    return {
        "SYNDICATION_SITE__PUBLIC_DIR": str(settings.public_dir),
        "SYNDICATION_SITE__VAR_DIR": str(settings.resolve(settings.site.var_dir)),
    }


def test_feeds_build_prints_counts_and_writes_files(settings: Settings, engine: Engine, clock: FixedClock) -> None:
    """The command builds from the store, prints how many files it wrote, and writes nothing the second time."""
    ArticleStore(engine).upsert(make_article(1), clock.now())
    runner = CliRunner()
    first = runner.invoke(cli, ["--config", str(PROJECT_CONFIG), "feeds", "build"], env=_env(settings))
    second = runner.invoke(cli, ["--config", str(PROJECT_CONFIG), "feeds", "build"], env=_env(settings))
    assert (0, 0, True) == (first.exit_code, second.exit_code, (settings.public_dir / "feeds/all.atom").is_file())
    assert first.output.startswith("feeds: 5 feeds, 16 file(s) written, 0 unchanged")
    assert second.output.startswith("feeds: 5 feeds, 0 file(s) written, 16 unchanged (15 not re-rendered)")


def test_serve_has_host_and_port_options() -> None:
    """`syndication serve --help` offers --host and --port."""
    result = CliRunner().invoke(cli, ["--config", str(PROJECT_CONFIG), "serve", "--help"])
    assert (0, True, True) == (result.exit_code, "--host" in result.output, "--port" in result.output)
