"""`syndication init` and `syndication --version`."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

from click.testing import CliRunner

from syndication.cli import CliContext, cli
from syndication.clock import FixedClock
from syndication.config import load_settings
from syndication.errors import UsageError
from syndication.model import SectionRole
from syndication.sources.base import SourceContext
from syndication.sources.folder import FolderSource

NOW = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)


def _init(tmp_path: Path, *args: str) -> object:
    runner = CliRunner()
    return runner.invoke(cli, ["init", *args], obj=CliContext(clock=FixedClock(NOW)), catch_exceptions=False)


def test_init_writes_a_valid_commented_config_and_an_example_article(tmp_path: Path) -> None:
    """init DIR writes config.toml (which loads, with comments) and one article dated now in the site's zone."""
    site = tmp_path / "zeitung"
    result = _init(tmp_path, str(site), "--name", 'Der "Bote"')
    assert 0 == result.exit_code, result.output
    config = site / "config.toml"
    settings = load_settings(config, env={})
    article = site / "content" / "2026" / "11" / "willkommen.md"
    assert ('Der "Bote"', "outbox", True) == (settings.site.name, settings.delivery.backend, article.exists())
    assert config.read_text(encoding="utf-8").count("\n#") > 10
    assert "published: 2026-11-24T06:00:00+01:00" in article.read_text(encoding="utf-8")


def test_init_prints_the_next_three_commands(tmp_path: Path) -> None:
    """The output ends with the three commands to run next, the first one changing into the new folder."""
    site = tmp_path / "zeitung"
    result = _init(tmp_path, str(site))
    commands = [line.split("#")[0].strip() for line in result.output.splitlines() if line.startswith("  ")]
    assert [f"cd {site} && syndication demo", "syndication serve", "syndication run"] == commands


def test_init_leaves_existing_files_alone(tmp_path: Path) -> None:
    """A second init in the same folder refuses, names the file, and changes nothing."""
    site = tmp_path / "zeitung"
    _init(tmp_path, str(site))
    (site / "config.toml").write_text("# mine\n", encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(cli, ["init", str(site)], obj=CliContext(clock=FixedClock(NOW)))
    assert (UsageError, "# mine\n") == (type(result.exception), (site / "config.toml").read_text(encoding="utf-8"))
    assert (2, f"{site / 'config.toml'}: already exists") == (
        result.exception.exit_code,
        str(result.exception).split(";")[0],
    )


def test_the_example_article_follows_the_house_anatomy(tmp_path: Path) -> None:
    """The folder source reads the example article with every section role of the house anatomy."""
    site = tmp_path / "zeitung"
    _init(tmp_path, str(site))
    settings = load_settings(site / "config.toml", env={})
    source = FolderSource(settings.sources[0], settings.base_dir)
    context = SourceContext(known={}, now=NOW, site=settings.site, anatomy=settings.anatomy)
    path = site / "content" / "2026" / "11" / "willkommen.md"
    article = source.read(path, "2026/11/willkommen.md", context)
    assert article is not None
    assert [role for role in SectionRole if role != SectionRole.OTHER] == [section.role for section in article.sections]
    assert (("Musterstadt",), 2) == (article.regions, len(article.section(SectionRole.CHANCES_RISKS).items))


def test_version_prints_the_installed_version() -> None:
    """`syndication --version` prints the distribution's version without reading any configuration."""
    result = CliRunner().invoke(cli, ["--version"], env={"SYNDICATION_CONFIG": os.devnull + "-missing"})
    assert (0, f"syndication {version('syndication')}\n") == (result.exit_code, result.output)
