"""The folder source reads the sample and benchmark articles exactly as when golden_articles.json was written.

Every field of each article (front matter, sections, items, quote, sanitized HTML), its content
hash and its fingerprint (but the file time, which a checkout sets). ``.venv/bin/python
tests/sources/test_folder_golden.py`` rewrites the file: only when reading is meant to change.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from syndication.config import AnatomyConfig, SiteConfig, SourceConfig
from syndication.model import article_to_dict, compute_content_hash
from syndication.sources.base import Failed, Fetched, SourceContext
from syndication.sources.folder import FolderSource

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).resolve().parent / "golden_articles.json"
SITE = SiteConfig(url="https://www.pfalz-rundschau.example")
# Benchmark articles: every fifth has an AI-generated image.
BENCHMARK_NUMBERS = (0, 1, 5, 7)


def _bench_folder(folder: Path) -> Path:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import collect as bench  # benchmarks/ is no package
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    for number in BENCHMARK_NUMBERS:
        (folder / f"meldung-{number:05d}.md").write_text(bench.article_text(number), encoding="utf-8")
    return folder


def read_articles(folder: Path) -> dict[str, Any]:
    """external id → the article's fields, content hash and fingerprint without the file time."""
    source = FolderSource(SourceConfig(name="golden", type="folder", path=folder), folder.parent)
    context = SourceContext(known={}, now=datetime(2026, 11, 24, tzinfo=UTC), site=SITE, anatomy=AnatomyConfig())
    read: dict[str, Any] = {}
    for event in source.collect(context):
        assert not isinstance(event, Failed), event.error
        if isinstance(event, Fetched):
            digest, _time, size, relative = (event.fingerprint or "").split(":", 3)
            read[event.article.external_id] = {
                "article": json.loads(json.dumps(article_to_dict(event.article), ensure_ascii=False)),
                "content_hash": compute_content_hash(event.article),
                "fingerprint": [digest, size, relative],
                "note": event.note,
            }
    return read


def _everything(bench_folder: Path) -> dict[str, Any]:
    return {"content": read_articles(ROOT / "content"), "benchmark": read_articles(_bench_folder(bench_folder))}


@pytest.fixture(scope="module")
def golden() -> dict[str, Any]:
    return json.loads(GOLDEN.read_text(encoding="utf-8"))


def test_sample_articles_are_read_as_recorded(golden: dict[str, Any]) -> None:
    """Each bundled sample article: every field, content hash and fingerprint as recorded."""
    assert golden["content"] == read_articles(ROOT / "content")


def test_benchmark_articles_are_read_as_recorded(golden: dict[str, Any], tmp_path: Path) -> None:
    """The benchmark's generated articles: every field, content hash and fingerprint as recorded."""
    assert golden["benchmark"] == read_articles(_bench_folder(tmp_path))


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as directory:
        written = _everything(Path(directory))
    GOLDEN.write_text(json.dumps(written, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{sum(len(group) for group in written.values())} articles written to {GOLDEN}")
