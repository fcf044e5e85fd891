"""The newsroom console: signed-in pages under ``/admin/`` to see, preview, test, send, pause and report.

An entry point like :mod:`syndication.web`: it parses requests and calls the services of the composition root
(:class:`syndication.app.App`, :mod:`syndication.app.editions`, the ledger), the same the CLI and the
scheduler use, so there is no second code path. :func:`routes` is mounted by ``syndication.web``.
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Mount

from syndication.console import editions, importing, pages, partners, people, signin, specials
from syndication.console.core import Console
from syndication.ratelimit import RateLimits
from syndication.runtime import Runtime


def routes(runtime: Runtime, limits: RateLimits, console: Console | None = None) -> list[BaseRoute]:
    """The console's routes, all under ``/admin``."""
    console = console or Console(runtime, limits)
    inner = [
        *signin.routes(console),
        *pages.routes(console),
        *specials.routes(console),
        *editions.routes(console),
        *importing.routes(console),
        *people.routes(console),
        *partners.routes(console),
    ]
    return [Mount("/admin", routes=inner)]


__all__ = ["Console", "routes"]
