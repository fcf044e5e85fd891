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
    return routes


def create_app(runtime: Runtime) -> Starlette:
    return Starlette(routes=collect_routes(runtime))
