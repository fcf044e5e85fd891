"""The signatures that tell whether a feed file must be built again.

A feed's signature is a hash of everything its bytes are made of: the rendering code (and
feedgen's version), the feed's metadata in its format, and each of its articles' id, version,
content hash, times and status. Equal signatures give equal bytes, so :mod:`~syndication.feeds.publish`
renders only the files whose signature changed. What goes into a signature is kept here, apart
from the publishing that uses it, so that it can be read (and changed) in one place.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import fields
from pathlib import Path

import feedgen.version

from syndication.config import Settings
from syndication.feeds import catalog, content, render
from syndication.feeds.catalog import FeedSpec, feed_meta
from syndication.feedwriter import fields as feed_fields
from syndication.feedwriter import fragments as feed_fragments
from syndication.feedwriter import writer as feed_writer
from syndication.feedwriter.formats import FeedFormat
from syndication.fingerprint import settings_fingerprint
from syndication.model import Article

__all__ = ["articles_signature", "config_fingerprint", "feed_signature", "file_digest"]


def _code_fingerprint() -> str:
    # A change to the rendering code changes every signature: no stale feed after an upgrade.
    digest = hashlib.sha256()
    for module in (render, content, catalog, feed_writer, feed_fields, feed_fragments):
        digest.update(Path(module.__file__ or "").read_bytes())
    digest.update(str(feedgen.version.version_str).encode())
    return digest.hexdigest()


_CODE_FINGERPRINT: str | None = None


def _code() -> str:
    global _CODE_FINGERPRINT
    if _CODE_FINGERPRINT is None:
        _CODE_FINGERPRINT = _code_fingerprint()
    return _CODE_FINGERPRINT


def config_fingerprint(settings: Settings) -> str:
    """What every feed is built with besides articles: the code and the site's and feeds' settings."""
    site, feeds = settings.site.model_dump(mode="json"), settings.feeds.model_dump(mode="json")
    return settings_fingerprint({"code": _code(), "site": site, "feeds": feeds})


def articles_signature(spec: FeedSpec, written: dict[int, tuple[Article, str]] | None = None) -> str:
    """The part of a feed's signature its articles make (the same for each format).

    ``written`` keeps each article's part (by the article object) for the build's other feeds
    that show it: the JSON of the list is its items' JSON, joined as json.dumps joins them.
    """
    written = {} if written is None else written
    parts = []
    for a in spec.articles:
        found = written.get(id(a))
        if found is None or found[0] is not a:
            values = (a.id, a.version, a.content_hash, a.published.isoformat(), a.updated.isoformat(), a.status.value)
            found = written[id(a)] = (a, json.dumps(values, ensure_ascii=False))
        parts.append(found[1])
    return "[" + ", ".join(parts) + "]"


def feed_signature(
    settings: Settings,
    spec: FeedSpec,
    feed_format: FeedFormat,
    articles: str | None = None,
    meta: render.FeedMeta | None = None,
) -> str:
    """What the feed file is built from; equal signatures give equal bytes.

    ``articles``: :func:`articles_signature` of ``spec``, and ``meta``: its :func:`feed_meta`
    in ``feed_format``, when the caller has them already.
    """
    meta = meta or feed_meta(settings, spec, feed_format)
    # asdict()'s dict: FeedMeta's fields are plain values, so its recursive deep copy is not needed.
    meta_fields = {each.name: getattr(meta, each.name) for each in fields(meta)}
    if articles is None:
        articles = articles_signature(spec)
    # The JSON of [code, extension, meta, articles], written from its parts.
    head = json.dumps([_code(), feed_format.extension, meta_fields], default=str, ensure_ascii=False)
    payload = f"{head[:-1]}, {articles}]"
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def file_digest(data: bytes) -> str:
    """The digest of a file as written, remembered to tell that it is still on disk as it was."""
    return hashlib.sha256(data).hexdigest()
