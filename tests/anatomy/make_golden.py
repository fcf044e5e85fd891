"""Write ``golden_bodies.json``: article bodies and what ``parse_body`` makes of them, for ``test_golden.py``.

    .venv/bin/python tests/anatomy/make_golden.py [captured.jsonl ...]

The bodies are those already in the file, those in the given files (one JSON list per line:
html, anatomy settings, base URL, author, as recorded from every ``parse_body`` call of the
tests), the sample articles, three benchmark articles and a seeded batch of generated ones.
Rerun it only when the anatomy is meant to read something differently, and say why.
"""

from __future__ import annotations

import dataclasses
import json
import random
import sys
from pathlib import Path
from typing import Any

import frontmatter

from syndication.anatomy import ParsedBody, parse_body
from syndication.config import AnatomyConfig

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
GOLDEN = HERE / "golden_bodies.json"
BASE = "https://www.pfalz-rundschau.example/2026/11/17/artikel/"
GENERATED = 120
DEFAULTS = AnatomyConfig().model_dump(mode="json")


def as_json(parsed: ParsedBody) -> Any:
    """``parsed`` as JSON values (tuples as lists, roles and kinds as their strings)."""
    return json.loads(json.dumps(dataclasses.asdict(parsed), ensure_ascii=False))


def anatomy_of(overrides: dict[str, Any]) -> AnatomyConfig:
    return AnatomyConfig.model_validate({**DEFAULTS, **overrides})


def _case(html: str, overrides: dict[str, Any], base_url: str, author: str | None) -> dict[str, Any]:
    return {"html": html, "anatomy": overrides, "base_url": base_url, "author": author}


def _inputs(captured: list[Path]) -> list[dict[str, Any]]:
    cases = [
        {key: case[key] for key in ("html", "anatomy", "base_url", "author")}
        for case in (json.loads(GOLDEN.read_text(encoding="utf-8")) if GOLDEN.exists() else [])
    ]
    for path in captured:
        for line in path.read_text(encoding="utf-8").splitlines():
            html, settings, base_url, author = json.loads(line)
            overrides = {key: value for key, value in settings.items() if DEFAULTS.get(key) != value}
            cases.append(_case(html, overrides, base_url, author))
    for path in sorted((ROOT / "content").rglob("*.*")):
        post = frontmatter.loads(path.read_text(encoding="utf-8"))
        author = post.get("author")
        name = author.get("name") if isinstance(author, dict) else author
        if path.suffix == ".html":
            cases.append(_case(post.content, {}, BASE, name))
    # Beside this file and in benchmarks/: run as a script, not imported by the tests.
    sys.path[:0] = [str(HERE), str(ROOT / "benchmarks")]
    import collect as bench
    from bodies import random_body

    from syndication.sources.folder import _markdown

    for number in (0, 5, 7):
        cases.append(_case(_markdown(frontmatter.loads(bench.article_text(number)).content), {}, BASE, None))
    for seed in range(GENERATED):
        rng = random.Random(seed)
        author = rng.choice(("Marc Fuchs", None, "Jemand Anderes"))
        cases.append(_case(random_body(rng, author), {}, BASE, author))
    unique = {json.dumps(case, sort_keys=True, ensure_ascii=False): case for case in cases}
    return list(unique.values())


def main() -> None:
    cases = _inputs([Path(arg) for arg in sys.argv[1:]])
    for case in cases:
        anatomy = anatomy_of(case["anatomy"])
        case["expected"] = as_json(parse_body(case["html"], anatomy, case["base_url"], author=case["author"]))
    # One body a line: a change shows as the lines of the bodies it touches.
    lines = ",\n".join(json.dumps(case, ensure_ascii=False) for case in cases)
    GOLDEN.write_text(f"[\n{lines}\n]\n", encoding="utf-8")
    print(f"{len(cases)} bodies written to {GOLDEN}")


if __name__ == "__main__":
    main()
