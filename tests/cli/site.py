"""A site in a temporary folder for command-line tests: config, sample content, two ways to run commands."""

from __future__ import annotations

import io
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from syndication.cli import CliContext, cli, main
from syndication.clock import FixedClock

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CONFIG = """[site]
var_dir = "var"
public_dir = "public"
outbox_dir = "outbox"

[[sources]]
name = "content"
type = "folder"
path = "content"
"""


class Terminal(io.StringIO):
    """Standard error as an interactive terminal would be, minus the screen."""

    def isatty(self) -> bool:
        return True


@dataclass(frozen=True)
class Site:
    root: Path
    env: dict[str, str]

    @property
    def config(self) -> Path:
        return self.root / "config.toml"

    def invoke(self, *argv: str) -> Result:
        """Run a command as a pipe sees it (CliRunner's streams are not terminals)."""
        return CliRunner().invoke(
            cli, ["--config", str(self.config), *argv], env=self.env, obj=CliContext(clock=FixedClock())
        )

    def on_terminal(self, *argv: str) -> tuple[int, str, str]:
        """Run a command with standard error a terminal and standard output a pipe; (exit code, out, err)."""
        out, err = io.StringIO(), Terminal()
        with pytest.MonkeyPatch.context() as patch:
            for name, value in self.env.items():
                patch.setenv(name, value)
            patch.setattr(sys, "stdout", out)
            patch.setattr(sys, "stderr", err)
            with pytest.raises(SystemExit) as exited:
                main(["--config", str(self.config), *argv], clock=FixedClock())
        return int(exited.value.code or 0), out.getvalue(), err.getvalue()


def make_site(root: Path, monkeypatch: pytest.MonkeyPatch, store_url: str | None = None, extra: str = "") -> Site:
    """Config and a copy of the sample articles under ``root``; no SYNDICATION_ variable from outside leaks in."""
    for name in list(os.environ):
        if name.startswith("SYNDICATION_") and name != "SYNDICATION_SECRET_KEY" and "_TEST_" not in name:
            monkeypatch.delenv(name)
    shutil.copytree(PROJECT_ROOT / "content", root / "content")
    (root / "config.toml").write_text(CONFIG + extra, encoding="utf-8")
    # English, whatever the machine's locale (the tests of the German output set "de").
    env = {"SYNDICATION_SECRET_KEY": os.environ["SYNDICATION_SECRET_KEY"], "SYNDICATION_LANGUAGE": "en"}
    if store_url is not None:
        env["SYNDICATION_STORE__URL"] = store_url
    return Site(root, env)
