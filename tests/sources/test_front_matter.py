"""The front matter fast path gives exactly YAML's values (types included), or leaves the document to YAML."""

from __future__ import annotations

import random
import sys
from pathlib import Path
from typing import Any

import frontmatter
import pytest
import yaml

from syndication.sources.front_matter import load_plain

ROOT = Path(__file__).resolve().parents[2]
HANDLER = frontmatter.YAMLHandler()


def _yaml(front: str) -> Any:
    return yaml.load(front, Loader=yaml.CSafeLoader)


def _typed(value: Any) -> Any:
    """``value`` with every type spelt out: True is not 1, 1.0 is not 1, a date is not a datetime."""
    if isinstance(value, dict):
        return ("dict", [(_typed(key), _typed(item)) for key, item in value.items()])
    if isinstance(value, list):
        return ("list", [_typed(item) for item in value])
    return (type(value).__name__, repr(value))


def _fronts(paths: list[Path]) -> list[str]:
    return [HANDLER.split(path.read_text(encoding="utf-8"))[0] for path in paths]


def test_every_sample_front_matter_takes_the_fast_path_with_yamls_values() -> None:
    """Each bundled sample's front matter: the fast path reads it, to the same values and types as YAML."""
    fronts = _fronts(sorted((ROOT / "content").rglob("*.*")))
    assert [_typed(_yaml(front)) for front in fronts] == [_typed(load_plain(front)) for front in fronts]


def test_benchmark_front_matter_takes_the_fast_path_with_yamls_values() -> None:
    """The benchmark's generated front matter (nested mappings, lists, dates, booleans): YAML's values."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import collect as bench  # benchmarks/ is no package
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    fronts = [HANDLER.split(bench.article_text(number))[0] for number in range(10)]
    assert [_typed(_yaml(front)) for front in fronts] == [_typed(load_plain(front)) for front in fronts]


REFUSED = [
    'title: "quoted"',
    "title: 'quoted'",
    "title: Nummer #1",
    "# a comment\ntitle: x",
    "title: x # comment",
    "categories:\n  - Politik",
    "categories:\n- Politik",
    "title: &anchor x\nother: *anchor",
    "title: !!str 1",
    "title: |\n  block",
    "title: >\n  folded",
    "title: first line\n  continued",
    "title:\tx",
    "title: a: b",
    "title: a:",
    "title: [a, [b]]",
    "title: [a, b",
    "title: {a: b}",
    "title: [a: b]",
    "title: x\ntitle: y",
    "author:\n   name: three spaces",
    "author:\n  name: x\n foo: y",
    " title: indented",
    "title : spaced key",
    "yes: key that is a boolean",
    "title: x\n---",
    "title: -5",
    "title: ~",
    "title: <<",
    "title: line\u2028break",
    "title: nel\x85",
    "title: \ufeffbom",
    "title: emoji \U0001f600",
    "<<: *base",
    "",
    "just text",
]


@pytest.mark.parametrize("front", REFUSED)
def test_anything_but_plain_front_matter_is_left_to_yaml(front: str) -> None:
    """Quotes, comments, block lists, anchors, tags, block scalars, tabs, odd indentation: None."""
    assert None is load_plain(front)


KEYS = ("title", "id", "author", "image", "url", "name", "alt", "categories", "yes", "Null", "priority", "a_b", "x")
SCALARS = (
    "Meldung aus Mainz", "„Zitat“ mit Komma, und Punkt.", "https://www.example.org/a?b=1&c=2#frag", "yes", "No",
    "ON", "off", "true", "False", "null", "NULL", "~", "0", "7", "-3", "+4", "012", "0x1F", "0b101", "1_000",
    "1:30", "190:20:30", "1.5", "-.5", ".inf", "-.Inf", ".NaN", "1e5", "6.02e+23", "2026-11-10",
    "2026-11-10T08:30:00+01:00", "2026-11-10 08:30:00", "2026-11-10t08:30:00Z", "2026-1-1",
    "2026-11-10T08:30:00.123456789+01:00", "12:30", "a # b", "a#b", "a: b", "a:b", "a:", "x: ", "[a, b]", "[]",
    "[ ]", "[a,b , c]", "[1, yes, null, 2026-11-10]", "[a, ]", "[, a]", "[a b, c  d]", "[a:b]", "[#a]", "[a, [b]]",
    "{a: 1}", "'q'", '"q"', "'", "a'b", 'a"b', "&a", "*a", "!t x", "|", ">", "%x", "@x", "`x", "-x", "- x", "?x",
    "? x", ",x", "=", "<<", "<a>", "a  b", "a\tb", "ä ö ü ß", "\xa0", "a\xa0", "\xa0a", "a\u2028b", "a\x85b",
    "a\ufeffb", "a\x7fb", "😀", "a\\b", "Meldung [Update]", "a]", "a,b", "a}", "x--", "...", "---", "- - -", "a ...",
    "0.", "._", "1__0", "0o17", "+.inf", "1_0.5",
)  # fmt: skip


def _random_front(rng: random.Random, depth: int = 0) -> str:
    lines = []
    for _ in range(rng.randint(1, 5)):
        key = rng.choice(KEYS)
        indent = "  " * depth
        if depth < 2 and rng.random() < 0.2:
            lines.append(f"{indent}{key}:{rng.choice(('', ' ', '  '))}")
            lines.append(_random_front(rng, depth + 1))
        else:
            space, trailing = rng.choice((" ", "  ", "")), rng.choice(("", " ", "  "))
            lines.append(f"{indent}{key}:{space}{rng.choice(SCALARS)}{trailing}")
        if rng.random() < 0.05:
            lines.append(rng.choice(("", "   ", " " * (2 * depth + 1) + "x: y", "# c")))
    return "\n".join(lines)


def test_generated_front_matter_the_fast_path_takes_has_yamls_values() -> None:
    """Of 10,000 generated front matters (values chosen to change meaning), every one the fast path
    reads has YAML's values and types; YAML accepts each of them; a fair share take the fast path."""
    rng = random.Random(19)
    taken = 0
    for _ in range(10_000):
        front = _random_front(rng)
        fast = load_plain(front)
        if fast is None:
            continue
        taken += 1
        assert (front, _typed(_yaml(front))) == (front, _typed(fast))
    assert taken >= 500
