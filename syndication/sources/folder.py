"""The ``folder`` source: Markdown or HTML files with YAML front matter.

Each file is one article. Its fingerprint is (modification time, size, a digest of the
settings that shape parsing), so a re-collect only ``stat``s unchanged files and never
reads them; a change of the anatomy config re-parses everything.

Front matter keys: id, title, slug, url, published (or date), updated, status, language,
author {name, portrait, url}, image {url, alt, caption, credit, ai_generated, width,
height, mime_type}, categories, regions, priority, author_quote, teaser, note (an editorial
note to partners: why this version, e.g. a correction or a withdrawal).
Files and folders whose names start with ``.`` or ``_`` are skipped (drafts, notes).
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import frontmatter
import markdown
import yaml

from syndication.anatomy import parse_body, strip_quote_marks
from syndication.config import AnatomyConfig, SiteConfig, SourceConfig
from syndication.errors import BadField, InputError, SourceUnavailable
from syndication.html import absolute_url
from syndication.model import Article, Author, Image, Status, article_id
from syndication.sources.base import (
    Failed,
    Fetched,
    SourceContext,
    SourceEvent,
    Unchanged,
    merge_names,
    reading_fingerprint,
)
from syndication.sources.front_matter import load_plain
from syndication.sources.plain_markdown import convert_plain

# What reading one file gives: the article, whether it is a draft, the editorial note.
_Parsed = tuple[Article, bool, str | None]
MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})
HTML_SUFFIXES = frozenset({".html", ".htm"})
# Bumped when this module reads files differently, so that stored fingerprints go stale.
PARSER_VERSION = "2"
MARKDOWN_EXTENSIONS = ("extra", "sane_lists")
# "draft" is accepted too: a draft is not collected, and a stored article that became a
# draft again is marked retracted (unpublished), never deleted. "withdrawn" and "killed" retract
# too (partners get a canceled version, with the front matter's ``note`` as its reason).
STATUSES = ("published", "retracted", "draft", "withdrawn", "killed")


def _settings_digest(source: SourceConfig, context: SourceContext) -> str:
    return reading_fingerprint(
        PARSER_VERSION,
        source,
        context,
        site=("url", "timezone", "language"),
        source=("name", "categories", "regions"),
        length=16,
    )


def fingerprint(digest: str, stat: os.stat_result, relative: str) -> str:
    """Changes when the file (time or size) or the parse-shaping settings change."""
    return f"{digest}:{stat.st_mtime_ns}:{stat.st_size}:{relative}"


def _relative_of(fingerprint_value: str | None) -> str | None:
    if not fingerprint_value:
        return None
    parts = fingerprint_value.split(":", 3)
    return parts[3] if len(parts) == 4 else None


def parse_when(value: Any, zone: ZoneInfo, field: str) -> datetime:
    """An aware UTC datetime from YAML's datetime/date or an ISO 8601 string; no zone means ``zone``."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time())
    elif isinstance(value, str) and value.strip():
        text = value.strip()
        try:
            moment = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
        except ValueError:
            raise BadField(
                field, "%(value)r is not an ISO 8601 date (e.g. 2026-11-10T08:30:00+01:00)", value=value
            ) from None
    else:
        raise BadField(field, "%(value)r is not an ISO 8601 date (e.g. 2026-11-10T08:30:00+01:00)", value=value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC)


def _text(meta: Mapping[str, Any], key: str, field: str | None = None) -> str | None:
    value = meta.get(key)
    if value is None:
        return None
    if isinstance(value, (dict, list)):
        raise BadField(field or key, "expected text, got %(kind)s", kind=type(value).__name__)
    text = str(value).strip()
    return text or None


def _strings(meta: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = meta.get(key)
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or any(isinstance(item, (dict, list)) or item is None for item in value):
        raise BadField(key, "expected a list of names")
    return tuple(dict.fromkeys(str(item).strip() for item in value if str(item).strip()))


def _absolute(value: str, base: str, field: str) -> str:
    url = absolute_url(value, base)
    if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
        raise BadField(field, "%(value)r is not an http(s) URL", value=value)
    return url


def _image(value: Any, base: str, field: str, default_alt: str = "") -> Image | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = {"url": value}
    if not isinstance(value, dict):
        raise BadField(field, "expected a URL or a mapping with url, alt, caption, credit, ai_generated")
    url = _text(value, "url", f"{field}.url")
    if not url:
        raise BadField(f"{field}.url", "required when an image is given")
    dimensions: dict[str, int | None] = {}
    for key in ("width", "height", "length"):
        raw = value.get(key)
        if raw is not None and (isinstance(raw, bool) or not isinstance(raw, int) or raw <= 0):
            raise BadField(f"{field}.{key}", "expected a positive whole number, not %(raw)r", raw=raw)
        dimensions[key] = raw
    ai_generated = value.get("ai_generated", False)
    if not isinstance(ai_generated, bool):
        raise BadField(
            f"{field}.ai_generated", "expected true or false, not %(ai_generated)r", ai_generated=ai_generated
        )
    return Image(
        url=_absolute(url, base, f"{field}.url"),
        alt=_text(value, "alt", f"{field}.alt") or default_alt,
        caption=_text(value, "caption", f"{field}.caption") or "",
        credit=_text(value, "credit", f"{field}.credit") or "",
        ai_generated=ai_generated,
        mime_type=_text(value, "mime_type", f"{field}.mime_type"),
        length=dimensions["length"],
        width=dimensions["width"],
        height=dimensions["height"],
    )


def _author(value: Any, base: str) -> Author | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = {"name": value}
    if not isinstance(value, dict):
        raise BadField("author", "expected a name or a mapping with name, portrait, url")
    name = _text(value, "name", "author.name")
    if not name:
        raise BadField("author.name", "required when an author is given")
    url = _text(value, "url", "author.url")
    return Author(
        name=name,
        portrait=_image(value.get("portrait"), base, "author.portrait", default_alt=f"{name} Portrait"),
        url=_absolute(url, base, "author.url") if url else None,
    )


class FolderSource:
    """Articles from files under one folder (recursively)."""

    complete = True

    def __init__(self, config: SourceConfig, base_dir: Path) -> None:
        if config.path is None:
            raise ValueError("a folder source needs a path")
        self.config = config
        self.name = config.name
        self.path = config.path if config.path.is_absolute() else base_dir / config.path

    def files(self) -> Iterator[tuple[Path, str, os.stat_result]]:
        """(path, relative path, stat) of every article file, in a stable order."""
        for directory, folders, names in os.walk(self.path):
            folders[:] = sorted(f for f in folders if not f.startswith((".", "_")))
            for name in sorted(names):
                if name.startswith((".", "_")):
                    continue
                path = Path(directory, name)
                if path.suffix.lower() not in MARKDOWN_SUFFIXES | HTML_SUFFIXES:
                    continue
                try:
                    stat = path.stat()
                except OSError:
                    continue  # removed while we walked: the next collect sees it gone
                yield path, path.relative_to(self.path).as_posix(), stat

    def collect(self, context: SourceContext) -> Iterator[SourceEvent]:
        if not self.path.is_dir():
            raise SourceUnavailable(str(self.path), "folder not found")
        digest = _settings_digest(self.config, context)
        by_fingerprint = {value: external for external, value in context.known.items() if value}
        by_relative = {_relative_of(value): external for external, value in context.known.items() if value}
        # Unchanged files are only stat()ed; the others are read and parsed, in parallel when there are many.
        plan: list[tuple[SourceEvent | _Task, str]] = []
        for path, relative, stat in self.files():
            current = fingerprint(digest, stat, relative)
            known_id = by_fingerprint.get(current)
            if known_id is not None:
                plan.append((Unchanged(known_id), relative))
                continue
            fallback_id = by_relative.get(relative) or relative.rsplit(".", 1)[0]
            refused = context.too_large(stat.st_size, "size")
            if refused is not None:
                # Never read: a huge file must not cost the collect its memory or the feeds their build.
                plan.append((Failed(fallback_id, refused.at(str(path))), relative))
                continue
            plan.append((_Task(str(path), relative, current, fallback_id), relative))
        tasks = [item for item, _ in plan if isinstance(item, _Task)]
        parsed = iter(self._parse_all(tasks, context))
        ids_seen: dict[str, str] = {}
        for item, relative in plan:
            if not isinstance(item, _Task):
                if isinstance(item, Unchanged):
                    ids_seen[item.external_id] = relative
                yield item
                continue
            path = Path(item.path)
            result = next(parsed)
            if isinstance(result, BadField):
                yield Failed(item.fallback_id, result.at(str(path)))
                continue
            article, draft, note = result
            if draft and article.external_id not in context.known:
                continue
            if article.external_id in ids_seen:
                other = ids_seen[article.external_id]
                error = InputError(
                    str(path),
                    "id %(external_id)r is already used by %(other)s",
                    "id",
                    external_id=article.external_id,
                    other=other,
                )
                yield Failed(item.fallback_id, error)
                continue
            ids_seen[article.external_id] = item.relative
            yield Fetched(article, item.fingerprint, note)

    def _parse_all(self, tasks: list[_Task], context: SourceContext) -> Iterator[_Parsed | BadField]:
        """Each task's article (and whether it is a draft) or what is wrong with it, in order."""
        workers = min(os.cpu_count() or 1, MAX_WORKERS)
        if workers < 2 or len(tasks) < PARALLEL_FROM:
            for task in tasks:
                yield _parse_file(self, task, context.site, context.anatomy)
            return
        start = "fork" if threading.active_count() == 1 else "forkserver"
        with ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context(start),
            initializer=_start_worker,
            initargs=(self.config, self.path, context.site, context.anatomy),
        ) as pool:
            yield from pool.map(_parse_in_worker, tasks, chunksize=16)

    def read(self, path: Path, relative: str, context: SourceContext) -> Article | None:
        """The article in ``path``; None for a draft never stored. Raises BadField naming the field."""
        article, draft, _note = self._read(path, relative, context.site, context.anatomy)
        if draft and article.external_id not in context.known:
            return None
        return article

    def _read(self, path: Path, relative: str, site: SiteConfig, anatomy: AnatomyConfig) -> _Parsed:
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise BadField("file", "cannot read: %(strerror)s", strerror=exc.strerror) from None
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            raise BadField(
                "encoding",
                "not UTF-8 text (byte 0x%(byte)02x on line %(line)s, offset %(offset)s)",
                byte=raw[exc.start],
                line=line,
                offset=exc.start,
            ) from None
        meta, body = self._split(text)
        return self._article(meta, body, path, relative, site, anatomy)

    @staticmethod
    def _split(text: str) -> tuple[dict[str, Any], str]:
        handler = frontmatter.YAMLHandler()
        if not handler.detect(text):
            return {}, text
        try:
            front, body = handler.split(text)
            meta = _load_yaml(handler, front)
        except yaml.YAMLError as exc:
            problem = " ".join(str(exc).split())
            raise BadField("front matter", "not valid YAML: %(problem)s", problem=problem) from None
        except ValueError:  # the opening '---' has no closing partner
            raise BadField("front matter", "not closed by a line '---'") from None
        if meta is None:
            meta = {}
        if not isinstance(meta, dict):
            raise BadField(
                "front matter", "expected key: value pairs, got a %(kind)s", kind=type(meta).__name__
            )
        return meta, body

    def _article(
        self, meta: dict[str, Any], body: str, path: Path, relative: str, site: SiteConfig, anatomy: AnatomyConfig
    ) -> _Parsed:
        """The article, whether it is a draft (stored as retracted when it was stored before) and the
        editorial note (``note``) that goes with this version to partners."""
        title = _text(meta, "title")
        if not title:
            raise BadField("title", "missing: every article needs a title")
        external_id = _text(meta, "id") or relative.rsplit(".", 1)[0]
        status_text = (_text(meta, "status") or "published").lower()
        if status_text not in STATUSES:
            raise BadField(
                "status",
                "%(status)r is not one of %(statuses)s",
                status=meta.get("status"),
                statuses=", ".join(STATUSES),
            )
        status = Status.PUBLISHED if status_text == "published" else Status.RETRACTED

        slug = (_text(meta, "slug") or external_id).strip("/")
        url_text = _text(meta, "url")
        url = _absolute(url_text, site.url, "url") if url_text else f"{site.url.rstrip('/')}/{slug}/"

        published_raw = meta.get("published", meta.get("date"))
        if published_raw is None:
            raise BadField("published", "missing: when was the article published (ISO 8601)?")
        published = parse_when(published_raw, site.zone, "published")
        updated = parse_when(meta["updated"], site.zone, "updated") if meta.get("updated") is not None else published
        if updated < published:
            raise BadField("updated", "is before published")

        priority = meta.get("priority", 0)
        if isinstance(priority, bool) or not isinstance(priority, int):
            raise BadField("priority", "expected a whole number, not %(priority)r", priority=priority)

        is_markdown = path.suffix.lower() in MARKDOWN_SUFFIXES
        html = _markdown(body) if is_markdown else body
        author = _author(meta.get("author"), url)
        parsed = parse_body(html, anatomy, url, author=author.name if author else None)

        image = _image(meta.get("image"), url, "image")
        if image is not None and parsed.ai_image_label and not image.ai_generated:
            image = replace(image, ai_generated=True)
        quote = _text(meta, "author_quote")
        article = Article(
            id=article_id(self.name, external_id),
            source=self.name,
            external_id=external_id,
            url=url,
            title=title,
            teaser=_text(meta, "teaser") or parsed.teaser,
            published=published,
            updated=updated,
            status=status,
            language=_text(meta, "language") or site.language,
            author=author,
            image=image,
            categories=merge_names(_strings(meta, "categories"), self.config.categories),
            regions=merge_names(_strings(meta, "regions"), parsed.regions, self.config.regions),
            sections=parsed.sections,
            sources=parsed.sources,
            author_quote=strip_quote_marks(quote) if quote else parsed.author_quote,
            body_html=parsed.body_html,
            priority=priority,
        )
        return article, status_text == "draft", _text(meta, "note")


def _load_yaml(handler: frontmatter.YAMLHandler, front: str) -> Any:
    """The front matter: plain front matter by the fast path (YAML's values), the rest by libyaml's
    safe loader (the same values, several times faster than Python's); YAML it refuses is read by
    the pure-Python loader, which frontmatter uses, so errors say what they said."""
    plain = load_plain(front)
    if plain is not None:
        return plain
    try:
        return yaml.load(front, Loader=yaml.CSafeLoader)
    except yaml.YAMLError:
        return handler.load(front)


@dataclass(frozen=True)
class _Task:
    path: str
    relative: str
    fingerprint: str
    fallback_id: str


# Parsing runs in worker processes when a collect has at least this many files to read
# (a first collect, a changed parser); fewer are parsed in the collecting process.
PARALLEL_FROM = 200
MAX_WORKERS = 4
_MARKDOWN = threading.local()


def _markdown(body: str) -> str:
    """Markdown → HTML: plain documents by the fast path (the same HTML), the others by Python-Markdown,
    with one converter per thread, reset between documents (as Python-Markdown allows)."""
    plain = convert_plain(body)
    if plain is not None:
        return plain
    converter = getattr(_MARKDOWN, "converter", None)
    if converter is None:
        converter = _MARKDOWN.converter = markdown.Markdown(extensions=list(MARKDOWN_EXTENSIONS))
    try:
        return converter.reset().convert(body)
    except BaseException:
        _MARKDOWN.converter = None  # a converter that failed halfway is not reused
        raise


def _parse_file(source: FolderSource, task: _Task, site: SiteConfig, anatomy: AnatomyConfig) -> _Parsed | BadField:
    try:
        return source._read(Path(task.path), task.relative, site, anatomy)
    except BadField as bad:
        return bad


_WORKER: tuple[FolderSource, SiteConfig, AnatomyConfig] | None = None


def _start_worker(config: SourceConfig, path: Path, site: SiteConfig, anatomy: AnatomyConfig) -> None:
    global _WORKER
    _WORKER = (FolderSource(config, path), site, anatomy)


def _parse_in_worker(task: _Task) -> _Parsed | BadField:
    assert _WORKER is not None
    source, site, anatomy = _WORKER
    return _parse_file(source, task, site, anatomy)
