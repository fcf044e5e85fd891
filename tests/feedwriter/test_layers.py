"""The shared pieces of publishing sit in the core; the archive, the front page and the partner feed use them
without importing another feature (read from the source: every import, also inside functions)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import syndication

ROOT = Path(syndication.__file__).resolve().parent
FEATURES = (
    "syndication.feeds", "syndication.digest", "syndication.partners", "syndication.delivery",
    "syndication.sources", "syndication.events", "syndication.inbound", "syndication.webhooks",
    "syndication.scheduler", "syndication.cli", "syndication.app", "syndication.runtime", "syndication.web",
    "subscribers",
)
CORE = sorted(
    [*(ROOT / "feedwriter").glob("*.py"), ROOT / "writers.py", ROOT / "static.py", ROOT / "http_caching.py"]
)
# Each feature module of this step and the features it must not import.
FEATURE_USERS = {
    "digest/archive.py": ("syndication.feeds", "syndication.partners"),
    "digest/home.py": ("syndication.feeds", "syndication.partners"),
    "partners/atom.py": ("syndication.feeds", "syndication.digest"),
    "partners/routes.py": ("syndication.feeds", "syndication.digest"),
}


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return found


def _within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for prefix in prefixes)


def _function_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    functions = [node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)]
    return [
        f"{path.name}:{node.lineno}"
        for function in functions
        for node in ast.walk(function)
        if isinstance(node, ast.Import | ast.ImportFrom)
    ]


@pytest.mark.parametrize("path", CORE, ids=lambda path: str(path.relative_to(ROOT)))
def test_core_pieces_import_no_feature(path: Path) -> None:
    """The feed writer, the file writers, static serving and HTTP caching depend on the core only."""
    assert [] == sorted(name for name in _imports(path) if _within(name, FEATURES))


@pytest.mark.parametrize("module", sorted(FEATURE_USERS))
def test_archive_home_and_partner_feed_import_no_other_feature(module: str) -> None:
    """What they need of another feature's work comes in as a value or through a Protocol, not an import."""
    assert [] == sorted(name for name in _imports(ROOT / module) if _within(name, FEATURE_USERS[module]))


def test_no_import_inside_a_function() -> None:
    """The modules of this step import at the top: a dependency is visible, not hidden in a function."""
    paths = [*CORE, *(ROOT / "feeds").glob("*.py"), *(ROOT / module for module in FEATURE_USERS)]
    assert [] == [where for path in sorted(paths) for where in _function_imports(path)]
