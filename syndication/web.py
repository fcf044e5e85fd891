"""Assembles the one Starlette app that ``syndication serve`` runs.

Each capability contributes its routes through a function ``routes(runtime)``.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import BaseRoute

from syndication.runtime import Runtime


def collect_routes(runtime: Runtime) -> list[BaseRoute]:
    routes: list[BaseRoute] = []
    # Capabilities append their routes here, most specific first; public/ files come last.
    from syndication.partners.routes import routes as partner_routes
    routes.extend(partner_routes(runtime))
    from syndication.scheduler.routes import routes as scheduler_routes
    routes.extend(scheduler_routes(runtime))
    from subscribers.routes import routes as subscriber_routes
    routes.extend(subscriber_routes(runtime))
    from syndication.feeds.serving import routes as public_routes  # public/ files: keep last
    routes.extend(public_routes(runtime))
    return routes


def create_app(runtime: Runtime) -> Starlette:
    return Starlette(routes=collect_routes(runtime))
