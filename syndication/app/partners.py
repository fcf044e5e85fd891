"""Partner syndication's wiring: the version log as collect's listener, the API's inputs, the push deliverer.

Collect (``syndication.sources``) declares a ``ChangeListener``; :func:`version_log` is the one plugged
in, so that every collect records the partners' item versions. The API gets narrow inputs (stores made
on first use, the clock, two configuration sections, the shared rate limits), and the feeds' way of
writing an article as an entry.
"""

from __future__ import annotations

import random

import httpx
from starlette.routing import BaseRoute

from syndication.feeds.render import ArticleEntries
from syndication.partners.endpoints import Endpoints, has_endpoints
from syndication.partners.push import PushDeliverer, PushReport
from syndication.partners.routes import PartnerApiInputs, routes
from syndication.partners.store import PartnerStore
from syndication.partners.versions import VersionLog
from syndication.ratelimit import RateLimits
from syndication.runtime import Runtime
from syndication.store.articles import ArticleStore


def version_log(runtime: Runtime) -> VersionLog:
    """The partners' version log: collect's ``ChangeListener``."""
    return VersionLog(runtime.engine, runtime.clock)


def partner_store(runtime: Runtime) -> PartnerStore:
    return PartnerStore(runtime.engine, runtime.secrets.require_secret_key())


def endpoints(runtime: Runtime) -> Endpoints:
    return Endpoints(runtime.engine, partner_store(runtime), version_log(runtime),
                     runtime.secrets.require_secret_key())


def api_inputs(runtime: Runtime, limits: RateLimits) -> PartnerApiInputs:
    settings = runtime.settings
    return PartnerApiInputs(
        partner_store=lambda: partner_store(runtime),
        versions=lambda: version_log(runtime),
        articles=lambda: ArticleStore(runtime.engine),
        clock=runtime.clock,
        site=settings.site,
        config=settings.partners,
        # The partner feed writes articles as the site's feeds do.
        entries_for=ArticleEntries.for_partner,
        limits=limits,
    )


def partner_routes(runtime: Runtime, limits: RateLimits) -> list[BaseRoute]:
    """The partner API's routes on ``runtime``."""
    return routes(api_inputs(runtime, limits))


def push_deliverer(
    runtime: Runtime, client: httpx.Client | None = None, rng: random.Random | None = None
) -> PushDeliverer:
    """Records new versions, queues them for partners' endpoints and posts what is due."""
    settings = runtime.settings
    log = version_log(runtime)
    return PushDeliverer(runtime.engine, endpoints(runtime), settings.partners, settings.site, runtime.clock,
                         client=client, rng=rng, before_queue=log.sync)


def deliver_partner_pushes(runtime: Runtime, client: httpx.Client | None = None) -> PushReport:
    """The scheduler's partner job and ``syndication partners deliver``: without endpoints it only records
    versions (an embargo lifted, a change another process stored), and needs no secret key."""
    if not has_endpoints(runtime.engine):
        version_log(runtime).sync()
        return PushReport()
    return push_deliverer(runtime, client).run()
