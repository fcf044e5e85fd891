"""The anatomy reads every recorded body exactly as it did when golden_bodies.json was written.

The bodies: every body the tests hand to ``parse_body`` (sources, feeds, digest fixtures), the
sample articles, benchmark articles and generated ones full of furniture, labels and odd markup
(``bodies.py``); ``make_golden.py`` writes the file.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from syndication.anatomy import parse_body
from syndication.config import AnatomyConfig

GOLDEN = Path(__file__).resolve().parent / "golden_bodies.json"
CASES: list[dict[str, Any]] = json.loads(GOLDEN.read_text(encoding="utf-8"))
DEFAULTS = AnatomyConfig().model_dump(mode="json")


def test_the_golden_file_covers_every_role_and_the_furniture() -> None:
    """The recorded bodies give sections of every role, items of both kinds, quotes, labels, images and sources."""
    expected = {"roles": 8, "chance": True, "risk": True, "quote": True, "label": True, "image": True, "source": True}
    outputs = [case["expected"] for case in CASES]
    items = [item for output in outputs for section in output["sections"] for item in section["items"]]
    assert expected == {
        "roles": len({section["role"] for output in outputs for section in output["sections"]}),
        "chance": any(item["kind"] == "chance" for item in items),
        "risk": any(item["kind"] == "risk" for item in items),
        "quote": any(output["author_quote"] for output in outputs),
        "label": any(output["ai_image_label"] for output in outputs),
        "image": any(output["image"] for output in outputs),
        "source": any(output["sources"] for output in outputs),
    }


@pytest.mark.parametrize("case", CASES, ids=[f"body-{number}" for number in range(len(CASES))])
def test_parse_body_gives_the_recorded_result(case: dict[str, Any]) -> None:
    """Teaser, sections, items, sources, quote, regions, label, image and sanitized HTML: as recorded."""
    anatomy = AnatomyConfig.model_validate({**DEFAULTS, **case["anatomy"]})
    parsed = parse_body(case["html"], anatomy, case["base_url"], author=case["author"])
    assert case["expected"] == json.loads(json.dumps(dataclasses.asdict(parsed), ensure_ascii=False))
