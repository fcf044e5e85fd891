"""Assembles the one Starlette app that ``syndication serve`` runs.

Each capability contributes its routes through a function ``routes(...)``; the services behind them
come from the composition root, :class:`syndication.app.App`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute

from subscribers.routes import routes as subscriber_routes
from syndication.app import App
from syndication.app.metrics import Metrics
from syndication.app.partners import partner_routes
from syndication.console import routes as console_routes
from syndication.delivery.doubt import DeliveryEvidence
from syndication.digest.home import routes as home_routes
from syndication.events.clicks import routes as click_routes
from syndication.openapi import routes as openapi_routes
from syndication.ratelimit import RateLimits
from syndication.runtime import Runtime
from syndication.scheduler.routes import routes as health_routes
from syndication.static import routes as static_routes


def collect_routes(runtime: Runtime, limits: RateLimits | None = None) -> list[BaseRoute]:
    """Every capability's routes, most specific first; the public/ files mount comes last.

    ``limits``: the process's rate limits (``[cache] url``), one store shared by every feature.
    """
    settings = runtime.settings
    app = App(runtime)
    limits = limits or RateLimits.from_config(settings.cache, runtime.clock, store_url=settings.store_url)
    return [
        *partner_routes(runtime, limits),
        *console_routes(runtime, limits),
        *health_routes(runtime),
        *openapi_routes(runtime.settings),
        # Delivery learns from SendGrid's events which messages in doubt it accepted.
        *subscriber_routes(settings, runtime.clock, secret_key=runtime.secrets.require_secret_key,
                           engine=lambda: runtime.engine, event_observers=(DeliveryEvidence(lambda: runtime.engine),),
                           event_sink=app.event_store, rate_limits=limits, services=app.subscription_service),
        # The click redirect of [tracking] clicks (always served: links in sent mail outlive the setting).
        *click_routes(app.click_redirect()),
        # The front page, then the static files and public/ (mounted at /, so last).
        *home_routes(runtime.settings),
        *static_routes(runtime.settings),
    ]


def create_app(runtime: Runtime) -> Starlette:
    limits = RateLimits.from_config(runtime.settings.cache, runtime.clock, store_url=runtime.settings.store_url)
    # /metrics: the store's counts at scrape time, this process's HTTP latencies (syndication.app.metrics).
    metrics = Metrics(lambda: runtime.engine, runtime.clock, runtime.secrets.metrics_token)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            limits.close()

    return Starlette(routes=[*metrics.routes(), *collect_routes(runtime, limits)], lifespan=lifespan,
                     middleware=[Middleware(metrics.middleware)])
