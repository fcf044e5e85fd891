"""The direction of dependencies the composition root makes possible, read from the source (every import,
also those inside functions and under TYPE_CHECKING)."""

from __future__ import annotations

import ast
import tomllib
from collections.abc import Iterator
from pathlib import Path

import syndication

ROOT = Path(syndication.__file__).resolve().parent.parent
PACKAGES = ("syndication", "subscribers")
# What subscribers/ may use: the core, the last layer of the import contract in pyproject.toml (one list).
CORE = tuple(
    name.strip()
    for name in tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"][0][
        "layers"][-1].split(":")
)
# Modules of this step, which import nothing inside a function unless a comment says why.
COMPOSED = (
    "syndication.app", "syndication.scheduler", "syndication.web", "syndication.runtime", "subscribers.service",
    "subscribers.demo", "subscribers.store", "subscribers.webhook", "syndication.delivery.send",
    "syndication.digest.editions", "syndication.digest.edition_store", "syndication.digest.ordering",
    "syndication.inbound", "syndication.events.clicks",
)


def _modules() -> Iterator[tuple[str, Path]]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if "migrations" in parts:
                continue
            yield ".".join(parts[:-1] if parts[-1] == "__init__" else parts), path


def _imports(path: Path, *, inside_functions: bool = False) -> set[str]:
    found: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    scopes = [tree]
    if inside_functions:
        scopes = [node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)]
    for scope in scopes:
        for node in ast.walk(scope):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.add(node.module)
                found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in found if name.split(".")[0] in PACKAGES}


GRAPH = {name: _imports(path) for name, path in _modules()}


def _reachable(start: str) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        for target in GRAPH.get(todo.pop(), ()):
            if target in GRAPH and target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def _within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == prefix or name.startswith(prefix + ".") for prefix in prefixes)


def test_subscribers_depend_only_on_the_core() -> None:
    """subscribers/ imports the core and itself, never delivery, digest, events' services, the runtime or the app."""
    wrong = {
        (module, target)
        for module, targets in GRAPH.items()
        if module.startswith("subscribers")
        for target in targets
        if target in GRAPH and not _within(target, ("subscribers", *CORE))
    }
    assert set() == wrong


def test_the_subscriber_send_and_edition_cycle_is_gone() -> None:
    """Sending does not lead back to the subscriber service, nor the subscriber service to sending or digests."""
    from_service = _reachable("subscribers.service")
    assert "subscribers.service" not in _reachable("syndication.delivery.send")
    assert set() == {name for name in from_service if _within(name, ("syndication.delivery", "syndication.digest"))}


def test_editions_do_not_reach_the_archive() -> None:
    """The edition value, its order and its store never import the archive (the archive needs editions)."""
    for module in ("syndication.digest.editions", "syndication.digest.ordering", "syndication.digest.edition_store"):
        assert "syndication.digest.archive" not in _reachable(module), module


def test_features_do_not_import_the_composition_or_the_entry_points() -> None:
    """Arrows point down: only the entry points (cli, console, scheduler, web) import syndication.app."""
    edges = ("syndication.app", "syndication.cli", "syndication.console", "syndication.scheduler", "syndication.web")
    importers = {
        module
        for module, targets in GRAPH.items()
        if any(_within(target, ("syndication.app",)) for target in targets)
    }
    assert set() == {module for module in importers if not _within(module, edges)}


def test_no_imports_inside_functions_in_the_composed_modules() -> None:
    """Imports are at the top of the module, so the dependencies above are all visible there."""
    lazy = {
        name
        for name, path in _modules()
        if _within(name, COMPOSED) and _imports(path, inside_functions=True)
    }
    assert set() == lazy


def _unexplained_lazy_imports(path: Path) -> list[int]:
    lines = path.read_text(encoding="utf-8").splitlines()
    tree = ast.parse("\n".join(lines))
    functions = [node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)]
    found = {
        node.lineno
        for function in functions
        for node in ast.walk(function)
        if isinstance(node, ast.Import | ast.ImportFrom)
    }
    return sorted(
        line for line in found if "#" not in lines[line - 1] and not lines[line - 2].lstrip().startswith("#")
    )


def test_an_import_inside_a_function_says_why() -> None:
    """Every import inside a function body has a comment (same line or the line above) saying why it is lazy."""
    unexplained = {
        f"{path.relative_to(ROOT)}:{line}" for _, path in _modules() for line in _unexplained_lazy_imports(path)
    }
    assert set() == unexplained


def test_the_lazy_import_check_finds_one(tmp_path: Path) -> None:
    """A function importing without a comment is found; the same import with a comment above is not."""
    module = tmp_path / "module.py"
    module.write_text("def f():\n    import json\n\n\ndef g():\n    # why: optional dependency\n    import csv\n")
    assert [2] == _unexplained_lazy_imports(module)


def test_no_module_is_over_500_lines() -> None:
    """Small modules: none under syndication/ or subscribers/ has more than 500 lines."""
    long = {
        str(path.relative_to(ROOT)): count
        for _, path in _modules()
        if (count := len(path.read_text(encoding="utf-8").splitlines())) > 500
    }
    assert {} == long
