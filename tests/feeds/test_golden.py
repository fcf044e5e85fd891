"""Golden files: one small feed in each format, byte for byte. Regenerate with UPDATE_GOLDEN=1."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from syndication.feeds.render import FeedMeta, render_atom, render_json, render_rss
from tests.feeds.conftest import varied_articles

GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "feeds"


@pytest.mark.parametrize(("name", "render"), [("small.rss", render_rss), ("small.atom", render_atom),
                                              ("small.json", render_json)])
def test_small_feed_matches_golden_file(name: str, render: object, meta: FeedMeta) -> None:
    """Rendering the small sample feed gives exactly the reviewed bytes in tests/golden/feeds/."""
    actual = render(meta, varied_articles()[1:3])  # type: ignore[operator]
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(actual)
    assert path.read_bytes() == actual
