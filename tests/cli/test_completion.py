"""Shell completion as docs/operating/commands.md documents it: `_SYNDICATION_COMPLETE=… syndication`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.site import PROJECT_ROOT

COMMANDS_DOC = PROJECT_ROOT / "docs" / "operating" / "commands.md"


def _syndication(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The installed `syndication` command (as a user runs it), or `python -m syndication` beside this Python."""
    installed = Path(sys.executable).parent / "syndication"
    argv = [str(installed)] if installed.exists() else [sys.executable, "-m", "syndication"]
    return subprocess.run(
        argv, env={**os.environ, **env}, capture_output=True, text=True, timeout=60, cwd=PROJECT_ROOT, check=False
    )


@pytest.mark.parametrize(
    ("shell", "marker"),
    [("bash", "complete -o nosort -F _syndication_completion syndication"),
     ("zsh", "compdef _syndication_completion syndication"),
     ("fish", "complete --no-files --command syndication")],
)
def test_the_documented_line_produces_a_completion_script(shell: str, marker: str) -> None:
    """The variable the docs name yields the shell's completion script, exit 0, nothing on stderr."""
    assert f"_SYNDICATION_COMPLETE={shell}_source syndication" in COMMANDS_DOC.read_text(encoding="utf-8")
    done = _syndication({"_SYNDICATION_COMPLETE": f"{shell}_source"})
    assert (0, True, "") == (done.returncode, marker in done.stdout, done.stderr)


def test_bash_completes_commands_and_choices() -> None:
    """What the bash script asks for: `syndication art` completes to articles, `--status ` to its choices."""
    command = _syndication(
        {"_SYNDICATION_COMPLETE": "bash_complete", "COMP_WORDS": "syndication art", "COMP_CWORD": "1"}
    )
    choice = _syndication({
        "_SYNDICATION_COMPLETE": "bash_complete",
        "COMP_WORDS": "syndication articles list --status ",
        "COMP_CWORD": "4",
    })
    assert (["plain,articles"], ["plain,published", "plain,retracted"]) == (
        command.stdout.split(),
        choice.stdout.split(),
    )
