"""Test doubles for the remote sources, shipped as public API.

:class:`FakeWordPress` is a real HTTP server on 127.0.0.1 (a free port, in a thread) that
answers ``/wp-json/wp/v2/posts`` the way WordPress 6.x does: the same JSON shape
(``title.rendered``, ``_links``, ``_embedded`` author / featured media / terms), the
``X-WP-Total``/``X-WP-TotalPages``/``Link`` headers, ``modified_after``, ``include``,
``_fields``, ordering, and WordPress's error bodies (``rest_post_invalid_page_number``
for a page past the end, ``rest_invalid_param``). Switches make a page answer 500,
invalid JSON, or nothing at all (a hang, for time-outs).

:class:`StaticServer` serves fixed bodies (a feed file, an HTML page, a 404).
"""

from __future__ import annotations

import html
import json
import math
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from http.server import BaseHTTPRequestHandler
from typing import Any, ClassVar, Literal
from urllib.parse import parse_qs, urlencode, urlsplit
from zoneinfo import ZoneInfo

from syndication.sources.testing_posts import (
    POSTS_PATH,
    Failure,
    FakeAuthor,
    FakeMedia,
    FakePost,
    _auto_excerpt,
    _parse_param_time,
    _wp_time,
)
from syndication.testing import LoopbackServer

__all__ = ["POSTS_PATH", "Failure", "FakeAuthor", "FakeMedia", "FakePost", "FakeWordPress", "StaticServer"]

class FakeWordPress(LoopbackServer):
    """A WordPress REST API v2 posts endpoint on loopback. Use as a context manager.

    ``url`` is the site's address (what goes into ``[[sources]] url``).
    """

    thread_name: ClassVar[str] = "fake-wordpress"

    def __init__(self, *, timezone: str = "Europe/Berlin", hang_seconds: float = 30.0) -> None:
        self.zone = ZoneInfo(timezone)
        self.hang_seconds = hang_seconds
        self.posts: dict[int, FakePost] = {}
        # Objects served as they are, to imitate a broken plugin or a malformed post.
        self.raw_posts: list[dict[str, Any]] = []
        self.failures: dict[int, Failure] = {}
        self.requests: list[str] = []
        self._terms: dict[tuple[str, str], int] = {}
        self._next_id = 100
        self._lock = threading.Lock()
        self.default_author = FakeAuthor(id=3, name="Marc Fuchs", slug="marc-fuchs")

    @property
    def posts_url(self) -> str:
        return self.url + POSTS_PATH

    # -- content -------------------------------------------------------------------

    def _new_id(self) -> int:
        with self._lock:
            self._next_id += 1
            return self._next_id

    def add_post(
        self,
        *,
        title: str,
        content: str,
        date: datetime,
        modified: datetime | None = None,
        excerpt: str = "",
        author: FakeAuthor | Literal["default"] | None = "default",
        image: FakeMedia | Mapping[str, Any] | None = None,
        categories: Iterable[str] = ("Politik",),
        tags: Iterable[str] = (),
        status: str = "publish",
        slug: str | None = None,
        password: str = "",
    ) -> FakePost:
        """Add a post; ``image`` may be a FakeMedia or its fields without ``id``."""
        post_id = self._new_id()
        media = image
        if isinstance(image, Mapping):
            media = FakeMedia(id=self._new_id(), **image)
        post = FakePost(
            id=post_id,
            title=title,
            content=content,
            date=date,
            modified=modified or date,
            slug=slug or re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or str(post_id),
            author=self.default_author if author == "default" else author,
            media=media,  # type: ignore[arg-type]
            excerpt=excerpt,
            categories=tuple(categories),
            tags=tuple(tags),
            status=status,
            password=password,
        )
        with self._lock:
            self.posts[post_id] = post
        return post

    def update_post(self, post_id: int, *, modified: datetime, **changes: Any) -> FakePost:
        """Edit a post the way an editor does: new content and a new modified time."""
        with self._lock:
            updated = replace(self.posts[post_id], modified=modified, **changes)
            self.posts[post_id] = updated
        return updated

    def delete_post(self, post_id: int) -> None:
        with self._lock:
            del self.posts[post_id]

    def fail(self, page: int, how: Failure) -> None:
        """Make every posts request for ``page`` answer 500, invalid JSON, or hang."""
        self.failures[page] = how

    def heal(self) -> None:
        self.failures.clear()

    def queries(self) -> list[dict[str, str]]:
        """The query parameters of every request so far (first value of each)."""
        return [
            {key: values[0] for key, values in parse_qs(urlsplit(url).query, keep_blank_values=True).items()}
            for url in self.requests
        ]

    # -- WordPress's JSON shape ---------------------------------------------------------

    def _term_id(self, taxonomy: str, name: str) -> int:
        with self._lock:
            key = (taxonomy, name)
            if key not in self._terms:
                self._terms[key] = 10 + len(self._terms)
            return self._terms[key]

    def _term(self, taxonomy: str, name: str) -> dict[str, Any]:
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        base = "category" if taxonomy == "category" else "tag"
        route = "categories" if base == "category" else "tags"
        term_id = self._term_id(taxonomy, name)
        return {
            "id": term_id,
            "link": f"{self.url}/{base}/{slug}/",
            "name": html.escape(name, quote=False),
            "slug": slug,
            "taxonomy": taxonomy,
            "_links": {"self": [{"href": f"{self.url}/wp-json/wp/v2/{route}/{term_id}"}]},
        }

    def _author(self, author: FakeAuthor) -> dict[str, Any]:
        avatar = f"https://secure.gravatar.com/avatar/{author.slug}?s={{size}}&d=mm&r=g"
        return {
            "id": author.id,
            "name": author.name,
            "url": "",
            "description": author.description,
            "link": f"{self.url}/author/{author.slug}/",
            "slug": author.slug,
            "avatar_urls": {size: avatar.format(size=size) for size in ("24", "48", "96")},
            "_links": {"self": [{"href": f"{self.url}/wp-json/wp/v2/users/{author.id}"}]},
        }

    def _media(self, media: FakeMedia, post: FakePost) -> dict[str, Any]:
        caption = f"<p>{html.escape(media.caption, quote=False)}</p>\n" if media.caption else ""
        file = urlsplit(media.source_url).path.rsplit("/", 1)[-1]
        return {
            "id": media.id,
            "date": _wp_time(post.date, self.zone),
            "slug": file.rsplit(".", 1)[0],
            "type": "attachment",
            "link": f"{self.url}/{post.slug}/{file.rsplit('.', 1)[0]}/",
            "title": {"rendered": html.escape(file.rsplit(".", 1)[0], quote=False)},
            "author": post.author.id if post.author else 0,
            "featured_media": 0,
            "caption": {"rendered": caption},
            "alt_text": media.alt_text,
            "media_type": "image",
            "mime_type": media.mime_type,
            "media_details": {
                "width": media.width,
                "height": media.height,
                "file": f"2026/11/{file}",
                "filesize": 183_422,
                "sizes": {
                    "full": {
                        "file": file,
                        "width": media.width,
                        "height": media.height,
                        "mime_type": media.mime_type,
                        "source_url": media.source_url,
                    }
                },
                "image_meta": {
                    "aperture": "0",
                    "credit": media.credit,
                    "camera": "",
                    "caption": "",
                    "created_timestamp": "0",
                    "copyright": "",
                    "focal_length": "0",
                    "iso": "0",
                    "shutter_speed": "0",
                    "title": "",
                    "orientation": "0",
                    "keywords": [],
                },
            },
            "source_url": media.source_url,
            "_links": {"self": [{"href": f"{self.url}/wp-json/wp/v2/media/{media.id}"}]},
        }

    def post_json(self, post: FakePost, *, embed: bool) -> dict[str, Any]:
        """``post`` exactly as ``GET /wp-json/wp/v2/posts`` shows it."""
        link = f"{self.url}/{post.date:%Y/%m/%d}/{post.slug}/"
        api = f"{self.url}{POSTS_PATH}/{post.id}"
        protected = bool(post.password)
        categories = [self._term_id("category", name) for name in post.categories]
        tags = [self._term_id("post_tag", name) for name in post.tags]
        data: dict[str, Any] = {
            "id": post.id,
            "date": _wp_time(post.date, self.zone),
            "date_gmt": _wp_time(post.date),
            "guid": {"rendered": f"{self.url}/?p={post.id}"},
            "modified": _wp_time(post.modified, self.zone),
            "modified_gmt": _wp_time(post.modified),
            "slug": post.slug,
            "status": post.status,
            "type": "post",
            "link": link,
            "title": {"rendered": html.escape(post.title, quote=False)},
            # WordPress hides the content of password-protected posts from anonymous readers.
            "content": {"rendered": "" if protected else post.content, "protected": protected},
            "excerpt": {
                "rendered": ""
                if protected
                else (f"<p>{post.excerpt}</p>\n" if post.excerpt else _auto_excerpt(post.content)),
                "protected": protected,
            },
            "author": post.author.id if post.author else 0,
            "featured_media": post.media.id if post.media else 0,
            "comment_status": "open",
            "ping_status": "open",
            "sticky": False,
            "template": "",
            "format": "standard",
            "meta": {"footnotes": ""},
            "categories": categories,
            "tags": tags,
            "class_list": [f"post-{post.id}", "post", "type-post", f"status-{post.status}", "format-standard"],
            "_links": {
                "self": [{"href": api, "targetHints": {"allow": ["GET"]}}],
                "collection": [{"href": f"{self.url}{POSTS_PATH}"}],
                "about": [{"href": f"{self.url}/wp-json/wp/v2/types/post"}],
                "author": [
                    {
                        "embeddable": True,
                        "href": f"{self.url}/wp-json/wp/v2/users/{post.author.id if post.author else 0}",
                    }
                ],
                "replies": [{"embeddable": True, "href": f"{self.url}/wp-json/wp/v2/comments?post={post.id}"}],
                "version-history": [{"count": 1, "href": f"{api}/revisions"}],
                "wp:attachment": [{"href": f"{self.url}/wp-json/wp/v2/media?parent={post.id}"}],
                "wp:term": [
                    {
                        "taxonomy": "category",
                        "embeddable": True,
                        "href": f"{self.url}/wp-json/wp/v2/categories?post={post.id}",
                    },
                    {
                        "taxonomy": "post_tag",
                        "embeddable": True,
                        "href": f"{self.url}/wp-json/wp/v2/tags?post={post.id}",
                    },
                ],
                "curies": [{"name": "wp", "href": "https://api.w.org/{rel}", "templated": True}],
            },
        }
        if post.media:
            data["_links"]["wp:featuredmedia"] = [
                {"embeddable": True, "href": f"{self.url}/wp-json/wp/v2/media/{post.media.id}"}
            ]
        if embed:
            embedded: dict[str, Any] = {}
            if post.author:
                embedded["author"] = [self._author(post.author)]
            if post.media:
                embedded["wp:featuredmedia"] = [self._media(post.media, post)]
            embedded["wp:term"] = [
                [self._term("category", name) for name in post.categories],
                [self._term("post_tag", name) for name in post.tags],
            ]
            data["_embedded"] = embedded
        return data

    # -- serving -------------------------------------------------------------------

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        url = f"{self.url}{request.path}"
        self.requests.append(url)
        parts = urlsplit(request.path)
        query = {key: values[0] for key, values in parse_qs(parts.query, keep_blank_values=True).items()}
        if parts.path.rstrip("/") != POSTS_PATH:
            self._error(request, 404, "rest_no_route", "No route was found matching the URL and request method.")
            return
        try:
            page = int(query.get("page", "1"))
            per_page = int(query.get("per_page", "10"))
        except ValueError:
            self._error(request, 400, "rest_invalid_param", "Invalid parameter(s): page, per_page")
            return
        failure = self.failures.get(page)
        if failure == "hang":
            self.stopping.wait(self.hang_seconds)
            return
        if failure == "500":
            body = b"<html><body><h1>Internal Server Error</h1></body></html>"
            self._send(request, 500, body, "text/html; charset=UTF-8")
            return
        if failure == "invalid_json":
            # A PHP notice before the JSON: the classic way WordPress answers invalid JSON.
            body = b'<br />\n<b>Warning</b>:  Undefined array key "x" in functions.php on line 12<br />\n[{"id":1,'
            self._send(request, 200, body, "application/json; charset=UTF-8")
            return
        if not 1 <= per_page <= 100:
            self._error(
                request,
                400,
                "rest_invalid_param",
                "Invalid parameter(s): per_page",
                params={"per_page": "per_page must be between 1 (inclusive) and 100 (inclusive)"},
            )
            return
        if query.get("status", "publish") != "publish":
            self._error(
                request,
                400,
                "rest_invalid_param",
                "Invalid parameter(s): status",
                params={"status": "Status is forbidden."},
            )
            return
        selected: list[dict[str, Any]] = []
        embed = "_embed" in query
        modified_after = _parse_param_time(query["modified_after"], self.zone) if "modified_after" in query else None
        if "modified_after" in query and modified_after is None:
            self._error(
                request,
                400,
                "rest_invalid_param",
                "Invalid parameter(s): modified_after",
                params={"modified_after": "Invalid date."},
            )
            return
        include = {int(i) for i in query["include"].split(",") if i.strip().isdigit()} if query.get("include") else None
        with self._lock:
            posts = list(self.posts.values())
            raw = list(self.raw_posts)
        for post in posts:
            if post.status != "publish":
                continue
            if modified_after is not None and not post.modified > modified_after:
                continue
            if include is not None and post.id not in include:
                continue
            selected.append(self.post_json(post, embed=embed))
        selected.extend(raw)
        orderby = query.get("orderby", "date")
        key_name = {"date": "date_gmt", "modified": "modified_gmt", "id": "id"}.get(orderby, "date_gmt")
        selected.sort(
            key=lambda item: (str(item.get(key_name, "")).zfill(12), item.get("id", 0)),
            reverse=query.get("order", "desc") == "desc",
        )
        total = len(selected)
        pages = math.ceil(total / per_page)
        if page < 1 or (page > pages and total > 0):
            self._error(
                request,
                400,
                "rest_post_invalid_page_number",
                "The page number requested is larger than the number of pages available.",
            )
            return
        chunk = selected[(page - 1) * per_page : page * per_page]
        if "_fields" in query:
            wanted = set(query["_fields"].split(","))
            chunk = [{key: value for key, value in item.items() if key in wanted} for item in chunk]
        links = []
        if page > 1:
            links.append(f'<{self.posts_url}?{urlencode({**query, "page": page - 1})}>; rel="prev"')
        if page < pages:
            links.append(f'<{self.posts_url}?{urlencode({**query, "page": page + 1})}>; rel="next"')
        headers = {"X-WP-Total": str(total), "X-WP-TotalPages": str(pages)}
        if links:
            headers["Link"] = ", ".join(links)
        body = json.dumps(chunk, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        self._send(request, 200, body, "application/json; charset=UTF-8", headers)

    def _error(
        self,
        request: BaseHTTPRequestHandler,
        status: int,
        code: str,
        message: str,
        params: Mapping[str, str] | None = None,
    ) -> None:
        data: dict[str, Any] = {"status": status}
        if params:
            data["params"] = dict(params)
        body = json.dumps({"code": code, "message": message, "data": data}).encode("utf-8")
        self._send(request, status, body, "application/json; charset=UTF-8")

    @staticmethod
    def _send(
        request: BaseHTTPRequestHandler,
        status: int,
        body: bytes,
        content_type: str,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        try:
            request.send_response(status)
            request.send_header("Content-Type", content_type)
            request.send_header("Content-Length", str(len(body)))
            request.send_header("X-Robots-Tag", "noindex")
            request.send_header("Allow", "GET")
            for name, value in (headers or {}).items():
                request.send_header(name, value)
            request.end_headers()
            request.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a time-out test); nothing to tell it


@dataclass
class StaticServer(LoopbackServer):
    """Serves fixed answers on 127.0.0.1: ``routes`` maps a path to (status, content type, body)."""

    routes: dict[str, tuple[int, str, bytes]] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    # Paths that never answer (until the server stops or hang_seconds pass), for time-outs.
    hanging: set[str] = field(default_factory=set)
    hang_seconds: float = 30.0
    thread_name: ClassVar[str] = "static-server"

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        self.requests.append(request.path)
        if request.path in self.hanging:
            self.stopping.wait(self.hang_seconds)
            return
        status, content_type, body = self.routes.get(
            request.path, (404, "text/html; charset=utf-8", b"<html><body><h1>Not Found</h1></body></html>")
        )
        request.send_response(status)
        request.send_header("Content-Type", content_type)
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)

    def serve(self, path: str, body: bytes | str, content_type: str = "application/xml", status: int = 200) -> str:
        """Serve ``body`` at ``path``; returns its full URL."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.routes[path] = (status, content_type, data)
        return self.url + path
