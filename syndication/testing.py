"""Test doubles shipped as public API: articles shaped like the publisher's reference article."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar, Self

import uvicorn
from starlette.types import ASGIApp

from syndication.model import (
    Article,
    Author,
    Image,
    ItemKind,
    ListItem,
    Section,
    SectionRole,
    SourceLink,
    article_id,
)

OUTLOOK_TEXT = (
    "Ob aus dem Treffen in Florida unmittelbare Fortschritte im Ukraine-Konflikt resultieren, bleibt abzuwarten. "
    "Weitere Gespräche könnten folgen, konkrete Termine und Ergebnisse wurden bislang nicht bekanntgegeben."
)


def reference_sections(base_url: str = "https://www.pfalz-rundschau.example") -> tuple[Section, ...]:
    """The sections of the reference article (ARTICLE-ANATOMY.md), sanitized HTML."""
    return (
        Section(
            SectionRole.SUMMARY,
            "Worum es geht",
            "<p>Auf Einladung beider Seiten trafen sich in Florida der russische Sondergesandte Kirill Dmitriev "
            'und der US-Sondergesandte Steve Witkoff. Laut <a href="https://www.reuters.com/world/us-russia-florida">'
            "U.S., Russia call Florida meeting on Ukraine conflict</a> bewerteten die USA und Russland das Treffen "
            "als „konstruktiv“.</p>",
        ),
        Section(
            SectionRole.KEY_FACTS,
            "Wichtigste Fakten",
            "<ul><li>Treffen zwischen Kirill Dmitriev und Steve Witkoff in Florida</li>"
            "<li>Jared Kushner als voraussichtlicher Teilnehmer</li>"
            "<li>USA und Russland bezeichnen das Treffen als „konstruktiv“</li></ul>",
            items=(
                ListItem(
                    "Treffen zwischen Kirill Dmitriev und Steve Witkoff in Florida",
                    "Treffen zwischen Kirill Dmitriev und Steve Witkoff in Florida",
                ),
                ListItem(
                    "Jared Kushner als voraussichtlicher Teilnehmer", "Jared Kushner als voraussichtlicher Teilnehmer"
                ),
                ListItem(
                    "USA und Russland bezeichnen das Treffen als „konstruktiv“",
                    "USA und Russland bezeichnen das Treffen als „konstruktiv“",
                ),
            ),
        ),
        Section(
            SectionRole.BACKGROUND,
            "Politischer Hintergrund",
            "<p>Die Begegnung in Florida erfolgte, nachdem laut "
            f'<a href="{base_url}/2026/01/zweite-runde">Zweite Runde der Ukraine-Gespräche verschoben</a> '
            "die zweite Verhandlungsrunde verschoben wurde.</p>",
        ),
        Section(
            SectionRole.REGIONAL_RELEVANCE,
            "Bedeutung für Rheinland-Pfalz und Kaiserslautern",
            "<p>Internationale Vermittlungsbemühungen haben auch für Rheinland-Pfalz und Kaiserslautern Relevanz.</p>",
            regions=("Rheinland-Pfalz", "Kaiserslautern"),
        ),
        Section(
            SectionRole.CHANCES_RISKS,
            "Chancen & Risiken",
            "<ul><li>Chance: Ein konstruktiver Dialog kann Impulse für formelle Verhandlungen geben.</li>"
            "<li>Risiko: Informelle Treffen ersetzen keine verbindlichen Verhandlungsrunden.</li></ul>",
            items=(
                ListItem(
                    "Ein konstruktiver Dialog kann Impulse für formelle Verhandlungen geben.",
                    "Ein konstruktiver Dialog kann Impulse für formelle Verhandlungen geben.",
                    ItemKind.CHANCE,
                ),
                ListItem(
                    "Informelle Treffen ersetzen keine verbindlichen Verhandlungsrunden.",
                    "Informelle Treffen ersetzen keine verbindlichen Verhandlungsrunden.",
                    ItemKind.RISK,
                ),
            ),
        ),
        Section(SectionRole.OUTLOOK, "Ausblick", f"<p>{OUTLOOK_TEXT}</p>"),
        Section(
            SectionRole.SOURCES,
            "Quellen",
            '<ul><li><a href="https://www.reuters.com/world/us-russia-florida">'
            "U.S., Russia call Florida meeting on Ukraine conflict</a></li></ul>",
        ),
    )


def make_article(number: int = 1, **overrides: Any) -> Article:
    """A complete, reference-shaped article; ``number`` varies id, URL, title and time."""
    base_url = "https://www.pfalz-rundschau.example"
    published = datetime(2026, 11, 23, 6, 0, tzinfo=UTC) - timedelta(hours=number)
    sections = reference_sections(base_url)
    body = "".join(f"<h2>{s.heading}</h2>{s.html}" for s in sections)
    article = Article(
        id=article_id("test", f"artikel-{number}"),
        source="test",
        external_id=f"artikel-{number}",
        url=f"{base_url}/2026/11/artikel-{number}/",
        title=f"Florida-Gespräche zwischen USA und Russland als konstruktiv bewertet ({number})",
        teaser=(
            "USA und Russland bezeichnen Treffen in Florida zwischen Kirill Dmitriev und Steve Witkoff als konstruktiv."
        ),
        published=published,
        updated=published,
        language="de",
        author=Author(
            name="Marc Fuchs",
            portrait=Image(url=f"{base_url}/autoren/marc-fuchs.jpg", alt="Marc Fuchs Portrait"),
            url=f"{base_url}/autor/marc-fuchs/",
        ),
        image=Image(
            url=f"{base_url}/bilder/florida-{number}.jpg",
            alt="Zwei Delegationen an einem Konferenztisch",
            caption="Gespräche in Florida",
            credit="Pfalz-Rundschau",
            ai_generated=True,
            mime_type="image/jpeg",
            width=1200,
            height=675,
        ),
        categories=("Politik",),
        regions=("Rheinland-Pfalz", "Kaiserslautern"),
        sections=sections,
        sources=(
            SourceLink(
                "U.S., Russia call Florida meeting on Ukraine conflict",
                "https://www.reuters.com/world/us-russia-florida",
            ),
        ),
        author_quote=OUTLOOK_TEXT,
        body_html=body,
    )
    return replace(article, **overrides).with_hash()


@contextmanager
def live_server(app: ASGIApp) -> Iterator[str]:
    """Serve ``app`` with uvicorn on 127.0.0.1 at a free port in a thread; yields the base URL.

    The socket is bound before the server starts, so no other process can take the port.
    """
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    try:
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        listener.close()


class LoopbackServer:
    """Base of test doubles that answer HTTP on 127.0.0.1 at a free port, in a thread of their own.

    A subclass implements ``_handle(request)`` for the methods in ``http_methods``; requests
    that wait on ``stopping`` (to imitate a hanging server) are released by ``stop()``.
    """

    http_methods: ClassVar[tuple[str, ...]] = ("GET",)
    thread_name: ClassVar[str] = "loopback-server"
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        raise NotImplementedError

    @property
    def stopping(self) -> threading.Event:
        event = self.__dict__.get("_stopping_event")
        if event is None:
            event = self.__dict__["_stopping_event"] = threading.Event()
        return event

    def start(self) -> Self:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

        for method in self.http_methods:
            setattr(Handler, f"do_{method}", lambda request: owner._handle(request))
        self.stopping.clear()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name=self.thread_name, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The server's base address, e.g. ``http://127.0.0.1:39017``."""
        if self._server is None:
            raise RuntimeError(f"{type(self).__name__} is not running: start() it first")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"
