"""The layer contract in pyproject.toml ([tool.importlinter]) holds, and it speaks of every module."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import syndication

ROOT = Path(syndication.__file__).resolve().parent.parent
CONTRACTS = {
    contract["id"]: contract
    for contract in tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"][
        "contracts"
    ]
}


# In a process of its own: import-linter sets up logging, which would change what later tests capture.
_LINT = (
    "import sys; from importlinter.cli import lint_imports; "
    "sys.exit(lint_imports(config_filename=sys.argv[1], no_cache=True, no_logo=True))"
)


def lint_imports(config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", _LINT, str(config)], capture_output=True, text=True, timeout=120)


def _layer_modules(layer: str) -> list[str]:
    return [name.strip() for name in layer.replace("|", ":").split(":")]


def _top_level_modules() -> set[str]:
    found = {"subscribers"}
    for path in (ROOT / "syndication").iterdir():
        if path.name.startswith(("_", ".")) and path.name != "__main__.py":
            continue
        if path.suffix == ".py" or (path.is_dir() and (path / "__init__.py").exists()):
            found.add(f"syndication.{path.stem}")
    return found


def test_the_contracts_are_kept() -> None:
    """import-linter finds no import against the layers or the independence of the features."""
    result = lint_imports(ROOT / "pyproject.toml")
    assert 0 == result.returncode, result.stdout + result.stderr


def test_every_module_stands_in_exactly_one_layer() -> None:
    """A new module has to be placed in a layer: none is left out of the contract, none stands twice."""
    listed = [name for layer in CONTRACTS["layers"]["layers"] for name in _layer_modules(layer)]
    assert sorted(set(listed)) == sorted(listed)
    assert sorted(_top_level_modules()) == sorted(listed)


def test_the_independent_features_are_the_features_layer() -> None:
    """The independence contract covers exactly the modules of the features layer."""
    features = CONTRACTS["layers"]["layers"][2]
    assert sorted(_layer_modules(features)) == sorted(CONTRACTS["features"]["modules"])


def test_a_forbidden_import_breaks_the_contract(tmp_path: Path) -> None:
    """The check can fail: the same contract with a feature allowed nothing below it is broken."""
    config = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    core = CONTRACTS["layers"]["layers"][-1]
    broken = config.replace(f'  "{core}",\n', "", 1)
    assert broken != config
    composition = '"syndication.app : syndication.runtime",'
    broken = broken.replace(composition, f'{composition}\n  "{core}",')
    (tmp_path / "pyproject.toml").write_text(broken, encoding="utf-8")
    result = lint_imports(tmp_path / "pyproject.toml")
    assert (1, True) == (result.returncode, "BROKEN" in result.stdout)


def test_the_architecture_page_is_drawn_from_the_contract() -> None:
    """docs/developers/architecture.md shows the contract's layers: the page holds the marker the docs hook fills."""
    sys.path.insert(0, str(ROOT / "docs"))
    try:
        import hooks  # the docs hook lives beside the pages, not in the package
    finally:
        sys.path.remove(str(ROOT / "docs"))
    page = (ROOT / "docs" / "developers" / "architecture.md").read_text(encoding="utf-8")
    drawn = hooks.on_page_markdown(page, None, None, None)
    assert 1 == page.count("<!-- layers -->")
    for layer in CONTRACTS["layers"]["layers"]:
        row = " · ".join(f"`{module}`" for module in _layer_modules(layer))
        assert row in drawn
