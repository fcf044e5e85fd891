"""The folder source: front matter + Markdown/HTML files → articles, fingerprints, bad files."""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import frontmatter
import pytest
import yaml

from syndication.config import AnatomyConfig, SiteConfig, SourceConfig
from syndication.errors import InputError, SourceUnavailable
from syndication.model import Article, ItemKind, SectionRole, Status, article_id
from syndication.sources.base import Failed, Fetched, SourceContext, SourceEvent, Unchanged
from syndication.sources.folder import FolderSource, _load_yaml

CONTENT = Path(__file__).resolve().parents[2] / "content"
NOW = datetime(2026, 11, 24, 5, 0, tzinfo=UTC)
SITE = SiteConfig(url="https://www.pfalz-rundschau.example")

GOOD = """---
title: Neue Radwege in Kaiserslautern
published: 2026-11-18T08:00:00+01:00
categories: [Verkehr]
regions: [Kaiserslautern]
---
Die Stadt baut drei neue Radwege.

## Bedeutung für die Westpfalz

Auch Pendler aus dem Umland profitieren.
"""


def _source(folder: Path, name: str = "content") -> FolderSource:
    return FolderSource(SourceConfig(name=name, type="folder", path=folder), folder.parent)


def _events(
    source: FolderSource, known: dict[str, str | None] | None = None, anatomy: AnatomyConfig | None = None
) -> list[SourceEvent]:
    context = SourceContext(known=known or {}, now=NOW, site=SITE, anatomy=anatomy or AnatomyConfig())
    return list(source.collect(context))


def _articles(events: Iterable[SourceEvent]) -> dict[str, Article]:
    return {e.article.external_id: e.article for e in events if isinstance(e, Fetched)}


def _errors(events: Iterable[SourceEvent]) -> list[InputError]:
    return [e.error for e in events if isinstance(e, Failed)]


def _known(events: Iterable[SourceEvent]) -> dict[str, str | None]:
    return {e.article.external_id: e.fingerprint for e in events if isinstance(e, Fetched)}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    created = tmp_path / "content"
    created.mkdir()
    (created / "radwege.md").write_text(GOOD, encoding="utf-8")
    return created


@pytest.fixture(scope="module")
def samples() -> dict[str, Article]:
    events = _events(_source(CONTENT))
    assert [] == _errors(events)
    return _articles(events)


# -- the bundled sample articles ----------------------------------------------------------


def test_every_sample_article_is_read_without_errors() -> None:
    """All bundled sample files parse; there are at least 12, in Markdown and HTML."""
    events = _events(_source(CONTENT))
    suffixes = {p.suffix for p in CONTENT.rglob("*.*")}
    assert ([], True, {".md", ".html"}) == (_errors(events), len(_articles(events)) >= 12, suffixes)


def test_samples_have_several_authors_categories_and_two_weeks_of_dates(samples: dict[str, Article]) -> None:
    """The samples cover several authors and categories and 2026-11-10 … 2026-11-23."""
    authors = {a.author.name for a in samples.values() if a.author}
    categories = {c for a in samples.values() for c in a.categories}
    days = {a.published.date().isoformat() for a in samples.values()}
    assert (True, True, "2026-11-10", "2026-11-23") == (
        len(authors) >= 4,
        len(categories) >= 6,
        min(days),
        max(days),
    )


def test_reference_shaped_sample_is_complete(samples: dict[str, Article]) -> None:
    """The reference-shaped sample has every role, 3 facts, 1 chance + 1 risk, quote and AI image."""
    article = samples["2026/11/gespraeche-wohnraum-us-streitkraefte"]
    chances = article.section(SectionRole.CHANCES_RISKS)
    assert chances is not None
    assert (
        {role for role in SectionRole if role != SectionRole.OTHER},
        3,
        [ItemKind.CHANCE, ItemKind.RISK],
        ("Rheinland-Pfalz", "Kaiserslautern"),
        True,
        3,
        "Marc Fuchs",
        "http://localhost:8000/static/samples/autoren/marc-fuchs.png",
        True,
    ) == (
        {s.role for s in article.sections},
        len(article.key_facts),
        [i.kind for i in chances.items],
        article.section(SectionRole.REGIONAL_RELEVANCE).regions,
        article.image.ai_generated,
        len(article.sources),
        article.author.name,
        article.author.portrait.url,
        bool(article.author_quote),
    )


def test_a_sample_author_quote_repeats_its_outlook_word_for_word(samples: dict[str, Article]) -> None:
    """The Pfälzerwald sample's author quote is exactly its outlook text."""
    article = samples["2026/11/pfaelzerwald-trockenschaeden"]
    assert f"<p>{article.author_quote}</p>" == article.outlook.html


def test_samples_cover_the_special_cases(samples: dict[str, Article]) -> None:
    """One sample has no image, one was updated after publication, one is retracted."""
    assert (True, True, True) == (
        any(a.image is None for a in samples.values()),
        any(a.updated > a.published for a in samples.values() if a.is_published),
        any(a.status == Status.RETRACTED for a in samples.values()),
    )


def test_german_typography_sample_keeps_quotes_umlauts_and_eszett(samples: dict[str, Article]) -> None:
    """„…“, ‚…‘, umlauts and ß survive in title and body."""
    article = samples["2026/11/pfalztheater-die-raeuber"]
    assert (
        "Großer Jubel für „Die Räuber“ – Pfalztheater wagt Schiller auf der Straße",
        True,
        True,
    ) == (article.title, "„wie ‚Räuber und Gendarm‘ für Erwachsene“" in article.body_html, "ß" in article.teaser)


# -- reading one file ---------------------------------------------------------------------


def test_defaults_come_from_path_and_site(folder: Path) -> None:
    """Without id/url the id is the relative path and the URL site.url + slug; times are UTC."""
    article = _articles(_events(_source(folder)))["radwege"]
    assert (
        article_id("content", "radwege"),
        "https://www.pfalz-rundschau.example/radwege/",
        datetime(2026, 11, 18, 7, 0, tzinfo=UTC),
        article.published,
        "Die Stadt baut drei neue Radwege.",
    ) == (article.id, article.url, article.published, article.updated, article.teaser)


def test_regions_merge_front_matter_and_anatomy(folder: Path) -> None:
    """Regions are the front matter's plus those named in the regional heading."""
    assert ("Kaiserslautern", "Westpfalz") == _articles(_events(_source(folder)))["radwege"].regions


def test_date_without_zone_is_berlin_time(folder: Path) -> None:
    """A date with no offset is read in the site's time zone (Europe/Berlin)."""
    (folder / "radwege.md").write_text(GOOD.replace("2026-11-18T08:00:00+01:00", "'2026-11-18 08:00'"), "utf-8")
    assert datetime(2026, 11, 18, 7, 0, tzinfo=UTC) == _articles(_events(_source(folder)))["radwege"].published


def test_ai_label_in_body_marks_the_image(folder: Path) -> None:
    """„KI generiertes Foto“ in the body sets image.ai_generated even if front matter does not."""
    text = GOOD.replace("categories:", "image:\n  url: /bilder/rad.jpg\n  alt: Radweg\ncategories:")
    (folder / "radwege.md").write_text(text.replace("Die Stadt", "KI generiertes Foto\n\nDie Stadt"), "utf-8")
    image = _articles(_events(_source(folder)))["radwege"].image
    assert ("https://www.pfalz-rundschau.example/bilder/rad.jpg", True) == (image.url, image.ai_generated)


def test_script_and_event_handlers_are_sanitized_away(folder: Path) -> None:
    """<script> and on*= attributes in a file never reach the stored HTML."""
    (folder / "boese.html").write_text(
        "---\ntitle: Böse\npublished: 2026-11-18\n---\n"
        '<p onmouseover="steal()">Text<script>alert("x")</script></p>'
        '<h2>Ausblick</h2><p><a href="/a" onclick="x()">A</a></p>',
        "utf-8",
    )
    article = _articles(_events(_source(folder)))["boese"]
    stored = article.body_html + "".join(s.html for s in article.sections)
    assert (False, False, False, True) == (
        "script" in stored,
        "onmouseover" in stored,
        "onclick" in stored,
        '<a href="https://www.pfalz-rundschau.example/a">A</a>' in stored,
    )


def test_script_and_style_text_in_a_markdown_lead_reach_neither_teaser_nor_feed_summary(folder: Path) -> None:
    """The body of a ``<script>``/``<style>`` in a Markdown lead is dropped before teaser and summary are made."""
    from syndication.feeds.content import feed_item

    lead = (
        'Die Stadt <script>document.write("Skripttext")</script>baut drei neue Radwege.'
        "<style>p { color: red }</style>\n\n<script>\nvar geheim = 1;\n</script>\n"
    )
    (folder / "radwege.md").write_text(GOOD.replace("Die Stadt baut drei neue Radwege.\n", lead), "utf-8")
    article = _articles(_events(_source(folder)))["radwege"]
    summary = feed_item(article, "de").summary
    assert ("Die Stadt baut drei neue Radwege.", "Die Stadt baut drei neue Radwege.") == (article.teaser, summary)


def test_front_matter_author_quote_wins_and_loses_its_quote_marks(folder: Path) -> None:
    """``author_quote`` in front matter is the quote, without surrounding „…“."""
    (folder / "radwege.md").write_text(GOOD.replace("categories:", "author_quote: „Endlich.“\ncategories:"), "utf-8")
    assert "Endlich." == _articles(_events(_source(folder)))["radwege"].author_quote


def test_hidden_and_underscore_files_are_skipped(folder: Path) -> None:
    """Files or folders starting with . or _ are not articles (notes, drafts)."""
    (folder / "_entwurf.md").write_text("kein Artikel", "utf-8")
    (folder / ".notiz.md").write_text("kein Artikel", "utf-8")
    assert ["radwege"] == list(_articles(_events(_source(folder))))


def test_draft_is_skipped_until_known_then_retracted(folder: Path) -> None:
    """A draft never stored is not collected; a stored article turned draft is retracted."""
    (folder / "radwege.md").write_text(GOOD.replace("categories:", "status: draft\ncategories:"), "utf-8")
    unknown = _events(_source(folder))
    known = _articles(_events(_source(folder), known={"radwege": None}))
    assert ([], Status.RETRACTED) == (unknown, known["radwege"].status)


def test_missing_folder_is_source_unavailable(tmp_path: Path) -> None:
    """A folder that is gone makes the source unavailable (so nothing gets retracted)."""
    with pytest.raises(SourceUnavailable, match="folder not found"):
        _events(_source(tmp_path / "fehlt"))


# -- fingerprints ---------------------------------------------------------------------------


def test_unchanged_file_is_not_read_again(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With the stored fingerprint, an untouched file is reported Unchanged without reading it."""
    source = _source(folder)
    known = _known(_events(source))

    def must_not_read(*args: object) -> None:
        raise AssertionError("an unchanged file was read")

    monkeypatch.setattr(FolderSource, "read", must_not_read)
    assert [Unchanged("radwege")] == _events(source, known=known)


def test_touched_file_is_read_again(folder: Path) -> None:
    """A new modification time makes the file be read again."""
    source = _source(folder)
    known = _known(_events(source))
    stat = (folder / "radwege.md").stat()
    os.utime(folder / "radwege.md", ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert [Fetched] == [type(e) for e in _events(source, known=known)]


def test_anatomy_config_change_reparses(folder: Path) -> None:
    """Changing the anatomy config changes every fingerprint, so files are parsed again."""
    source = _source(folder)
    known = _known(_events(source))
    other = AnatomyConfig(ai_image_labels=("Symbolbild (KI)",))
    assert [Fetched] == [type(e) for e in _events(source, known=known, anatomy=other)]


# -- bad files --------------------------------------------------------------------------------

BAD_FILES = {
    "broken front matter": ("---\ntitle: [offen\npublished: 2026-11-18\n---\nText", "front matter"),
    "front matter not closed": ("---\ntitle: Offen\npublished: 2026-11-18\nText ohne Ende", "front matter"),
    "front matter is a list": ("---\n- a\n- b\n---\nText", "front matter"),
    "missing title": ("---\npublished: 2026-11-18T08:00:00+01:00\n---\nText", "title"),
    "missing date": ("---\ntitle: Ohne Datum\n---\nText", "published"),
    "unparseable date": ("---\ntitle: Datum\npublished: 18. November 2026\n---\nText", "published"),
    "unparseable updated": ("---\ntitle: D\npublished: 2026-11-18\nupdated: gestern\n---\nText", "updated"),
    "updated before published": ("---\ntitle: D\npublished: 2026-11-18\nupdated: 2026-11-01\n---\nT", "updated"),
    "unknown status": ("---\ntitle: S\npublished: 2026-11-18\nstatus: geheim\n---\nText", "status"),
    "image without url": ("---\ntitle: B\npublished: 2026-11-18\nimage:\n  alt: Bild\n---\nText", "image.url"),
    "bad url": ("---\ntitle: U\npublished: 2026-11-18\nurl: 'ftp://x.example/a'\n---\nText", "url"),
    "categories not a list": ("---\ntitle: K\npublished: 2026-11-18\ncategories: {a: 1}\n---\nT", "categories"),
    "priority not a number": ("---\ntitle: P\npublished: 2026-11-18\npriority: hoch\n---\nText", "priority"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_file_names_file_and_field_and_others_are_read(folder: Path, case: str) -> None:
    """Each bad file gives one InputError naming the file and the field; good files still come."""
    text, field = BAD_FILES[case]
    (folder / "kaputt.md").write_text(text, encoding="utf-8")
    events = _events(_source(folder))
    errors = _errors(events)
    assert ([(str(folder / "kaputt.md"), field)], ["radwege"]) == (
        [(e.where, e.field) for e in errors],
        list(_articles(events)),
    )


def test_file_that_is_not_utf8_is_an_encoding_error(folder: Path) -> None:
    """A Latin-1 file is refused as not UTF-8, naming the byte."""
    (folder / "latin1.md").write_bytes("---\ntitle: Straße\npublished: 2026-11-18\n---\nÄ".encode("latin-1"))
    errors = _errors(_events(_source(folder)))
    assert [(str(folder / "latin1.md"), "encoding", "not UTF-8 text (byte 0xdf on line 2, offset 15)")] == [
        (e.where, e.field, e.reason) for e in errors
    ]


def test_failed_file_reports_the_id_it_was_stored_under(folder: Path) -> None:
    """A broken file whose article was stored under a front-matter id fails under that id."""
    (folder / "radwege.md").write_text(GOOD.replace("title:", "id: rad-2026\ntitle:"), "utf-8")
    source = _source(folder)
    known = _known(_events(source))
    (folder / "radwege.md").write_text("---\ntitle: [kaputt\n---\n", "utf-8")
    assert ["rad-2026"] == [e.external_id for e in _events(source, known=known) if isinstance(e, Failed)]


def test_duplicate_id_is_refused_for_the_second_file(folder: Path) -> None:
    """Two files claiming the same id: the first wins, the second is an error on ``id``."""
    (folder / "radwege.md").write_text(GOOD.replace("title:", "id: doppelt\ntitle:"), "utf-8")
    (folder / "zweite.md").write_text(GOOD.replace("title:", "id: doppelt\ntitle:"), "utf-8")
    events = _events(_source(folder))
    assert (["doppelt"], [(str(folder / "zweite.md"), "id")]) == (
        list(_articles(events)),
        [(e.where, e.field) for e in _errors(events)],
    )


def _described(events: Iterable[SourceEvent]) -> list[tuple[str, object]]:
    described: list[tuple[str, object]] = []
    for event in events:
        if isinstance(event, Fetched):
            described.append(("fetched", (event.article.to_dict(), event.fingerprint)))
        elif isinstance(event, Failed):
            described.append(("failed", (event.external_id, str(event.error))))
        else:
            described.append(("other", event))
    return described


def test_parsing_in_worker_processes_gives_what_parsing_in_process_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Same events in the same order: articles, a bad file, a duplicate id, a draft never stored, the samples."""
    import syndication.sources.folder as folder_module

    folder = tmp_path / "content"
    folder.mkdir()
    for sample in sorted(CONTENT.glob("*.md")):
        (folder / sample.name).write_text(sample.read_text(encoding="utf-8"), encoding="utf-8")
    for number in range(12):
        (folder / f"z-{number:02d}.md").write_text(GOOD.replace("Radwege", f"Radwege {number}"), encoding="utf-8")
    (folder / "z-bad.md").write_text("---\ntitle: [unclosed\n---\nText\n", encoding="utf-8")
    (folder / "z-dup-a.md").write_text(GOOD.replace("title:", "id: same\ntitle:"), encoding="utf-8")
    (folder / "z-dup-b.md").write_text(GOOD.replace("title:", "id: same\ntitle:"), encoding="utf-8")
    (folder / "z-draft.md").write_text(GOOD.replace("title:", "status: draft\ntitle:"), encoding="utf-8")
    monkeypatch.setattr(folder_module, "PARALLEL_FROM", 10**9)
    in_process = _described(_events(_source(folder)))
    monkeypatch.setattr(folder_module, "PARALLEL_FROM", 1)
    monkeypatch.setattr(folder_module.os, "cpu_count", lambda: 2)
    pools: list[int] = []

    class CountingPool(folder_module.ProcessPoolExecutor):  # type: ignore[misc, name-defined]
        def __init__(self, *args: object, **kwargs: object) -> None:
            pools.append(int(kwargs["max_workers"]))  # type: ignore[call-overload]
            super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(folder_module, "ProcessPoolExecutor", CountingPool)
    in_workers = _described(_events(_source(folder)))
    kinds = {kind for kind, _ in in_process}
    assert ([2], {"fetched", "failed"}, in_process) == (pools, kinds, in_workers)


def test_front_matter_values_and_errors_are_those_of_the_pure_python_loader() -> None:
    """libyaml reads the sample front matter to the same values; YAML it refuses gets the pure loader's message."""
    handler = frontmatter.YAMLHandler()
    fronts = [handler.split(path.read_text(encoding="utf-8"))[0] for path in sorted(CONTENT.rglob("*.md"))]
    fronts += ["title: 'x'\npublished: 2026-11-18\nn: 3\nf: 1.5\nb: yes\nlist: [a, 'b c']\nnested: {k: ~}\n"]
    assert [handler.load(front) for front in fronts] == [_load_yaml(handler, front) for front in fronts]
    broken = "title: [offen\npublished: 2026-11-18\n"
    with pytest.raises(yaml.YAMLError) as pure:
        handler.load(broken)
    with pytest.raises(yaml.YAMLError) as ours:
        _load_yaml(handler, broken)
    assert str(pure.value) == str(ours.value)
