"""The articles a build shows, read from the store: the same values ``ArticleStore.get_many`` gives, sooner.

A full build reads every article it shows (2,500 at 50 categories) and decoding them was a
fifth of its time, most of it in the dataclasses' frozen ``__init__`` (one ``object.__setattr__``
per field of 30,000 bullets, 20,000 sections). Here each object's fields are decoded exactly as
:func:`~syndication.model.article_from_dict` decodes them (the tests compare the two) and put
in its ``__dict__`` at once: the model's dataclasses have no ``__post_init__`` and no slots, so
the objects are equal to, hash like and print like those the store's loader builds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

import orjson
from sqlalchemy import Engine, select

from syndication.model import Article, Author, Image, ItemKind, ListItem, Section, SectionRole, SourceLink, Status
from syndication.store.sanitized import with_sanitized_mark
from syndication.store.schema import articles

T = TypeVar("T")
E = TypeVar("E", bound=StrEnum)

# As the store's reads: well under every database's limit of bound parameters.
_IN_CHUNK = 500
_ROLES = {role.value: role for role in SectionRole}
_KINDS = {kind.value: kind for kind in ItemKind}
_STATUSES = {status.value: status for status in Status}
_new = object.__new__


def _member(members: Mapping[str, E], enum: type[E], value: str) -> E:
    # An unknown value fails as the enum's own constructor fails.
    found = members.get(value)
    return enum(value) if found is None else found


def _make(cls: type[T], fields: dict[str, Any]) -> T:
    made = _new(cls)
    made.__dict__.update(fields)
    return made


def load_articles(engine: Engine, article_ids: Iterable[str]) -> list[Article]:
    """The articles with these ids, in the order given (unknown ids are left out)."""
    wanted = list(article_ids)
    unique = list(dict.fromkeys(wanted))
    found: dict[str, Article] = {}
    with engine.connect() as connection:
        for start in range(0, len(unique), _IN_CHUNK):
            ids = unique[start : start + _IN_CHUNK]
            rows = connection.execute(select(articles.c.id, articles.c.data).where(articles.c.id.in_(ids)))
            for row in rows:
                fields = orjson.loads(row.data)
                found[row.id] = with_sanitized_mark(article_from_stored(fields), fields)
    return [found[i] for i in wanted if i in found]


def _image(data: Mapping[str, Any] | None) -> Image | None:
    if not data:
        return None
    get = data.get
    return _make(
        Image,
        {
            "url": data["url"],
            "alt": get("alt", ""),
            "caption": get("caption", ""),
            "credit": get("credit", ""),
            "ai_generated": bool(get("ai_generated", False)),
            "mime_type": get("mime_type"),
            "length": get("length"),
            "width": get("width"),
            "height": get("height"),
        },
    )


def _item(data: Mapping[str, Any]) -> ListItem:
    kind = data.get("kind")
    return _make(
        ListItem,
        {
            "text": data["text"],
            "html": data.get("html", data["text"]),
            "kind": _member(_KINDS, ItemKind, kind) if kind else None,
        },
    )


def _section(data: Mapping[str, Any]) -> Section:
    get = data.get
    return _make(
        Section,
        {
            "role": _member(_ROLES, SectionRole, data["role"]),
            "heading": get("heading", ""),
            "html": get("html", ""),
            "items": tuple([_item(i) for i in get("items", ())]),
            "regions": tuple(get("regions", ())),
        },
    )


def article_from_stored(data: Mapping[str, Any]) -> Article:
    """:func:`~syndication.model.article_from_dict`'s article of ``data``, built without ``__init__``."""
    get = data.get
    author = get("author")
    return _make(
        Article,
        {
            "id": data["id"],
            "source": data["source"],
            "external_id": data["external_id"],
            "url": data["url"],
            "title": data["title"],
            "teaser": get("teaser", ""),
            "published": datetime.fromisoformat(data["published"]),
            "updated": datetime.fromisoformat(data["updated"]),
            "status": _member(_STATUSES, Status, get("status", "published")),
            "language": get("language", "de"),
            "author": None
            if not author
            else _make(
                Author, {"name": author["name"], "portrait": _image(author.get("portrait")), "url": author.get("url")}
            ),
            "image": _image(get("image")),
            "categories": tuple(get("categories", ())),
            "regions": tuple(get("regions", ())),
            "sections": tuple([_section(s) for s in get("sections", ())]),
            "sources": tuple([_make(SourceLink, {"title": s["title"], "url": s["url"]}) for s in get("sources", ())]),
            "author_quote": get("author_quote"),
            "body_html": get("body_html", ""),
            "priority": int(get("priority", 0)),
            "content_hash": get("content_hash", ""),
            "version": int(get("version", 1)),
        },
    )
