"""Assembles the one Starlette app that ``syndication serve`` runs.

Each capability contributes its routes through a function ``routes(runtime)``.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import BaseRoute

from subscribers.routes import routes as subscriber_routes
from syndication.delivery.doubt import DeliveryEvidence
from syndication.events.wiring import event_store
from syndication.feeds.serving import routes as public_routes
from syndication.openapi import routes as openapi_routes
from syndication.partners.routes import routes as partner_routes
from syndication.runtime import Runtime
from syndication.scheduler.routes import routes as health_routes


def collect_routes(runtime: Runtime) -> list[BaseRoute]:
    """Every capability's routes, most specific first; the public/ files mount comes last."""
    return [
        *partner_routes(runtime),
        *health_routes(runtime),
        *openapi_routes(runtime.settings),
        # Delivery learns from SendGrid's events which messages in doubt it accepted.
        *subscriber_routes(runtime, event_observers=(DeliveryEvidence(lambda: runtime.engine),),
                           event_sink=lambda: event_store(runtime)),
        *public_routes(runtime),
    ]


def create_app(runtime: Runtime) -> Starlette:
    return Starlette(routes=collect_routes(runtime))
