"""The job queue: procrastinate on the store's PostgreSQL database.

Jobs live in the database the ledger already uses (procrastinate's tables beside ours), so any
number of ``syndication worker`` processes on any machines take them. A job is only a trigger:
the send ledger stays the source of truth for who was sent what. A send job runs
``send_edition`` for one (edition, slot); several copies of it, on several workers, share the
run's batches through the ledger's atomic claims, and a job run twice (a worker killed
mid-job, procrastinate retrying it) sends nothing twice: the next run finds the sent
recipients in the ledger and the dead worker's claims a lease later (its heartbeat stops).
"""

from __future__ import annotations

import logging
from typing import Any

import procrastinate
from procrastinate import PsycopgConnector
from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import make_url

from syndication.app import App
from syndication.app.editions import send_edition
from syndication.app.partners import deliver_partner_pushes
from syndication.errors import ConfigError
from syndication.runtime import Runtime

log = logging.getLogger("syndication.worker")

SEND_TASK = "syndication.send_edition"
PUSH_TASK = "syndication.partner_pushes"
WEBHOOK_TASK = "syndication.webhooks"
QUEUES = ("send", "partners", "webhooks")
# Held while procrastinate's schema is applied, so that two workers starting together do not both apply it.
_SCHEMA_LOCK = 0x53594E44  # "SYND"


def conninfo(store_url: str) -> str:
    """The libpq URL of a PostgreSQL store URL (procrastinate speaks psycopg directly)."""
    url = make_url(store_url)
    if not url.drivername.startswith("postgresql"):
        raise ConfigError("the job queue needs PostgreSQL: set [store] url to postgresql://… "
                          "(with SQLite, `syndication run` sends by itself)")
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def ensure_schema(engine: Engine, app: procrastinate.App) -> None:
    """Apply procrastinate's schema once (in the store's schema), under an advisory lock."""
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _SCHEMA_LOCK})
        try:
            if not inspect(connection).has_table("procrastinate_jobs"):
                connection.commit()
                app.open()
                try:
                    app.schema_manager.apply_schema()
                finally:
                    app.close()
                log.info("procrastinate's schema applied")
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _SCHEMA_LOCK})
            connection.commit()


def queue_app(runtime: Runtime) -> procrastinate.App:
    """The procrastinate app on ``runtime``'s store with the syndication tasks bound to ``runtime``."""
    app = procrastinate.App(connector=PsycopgConnector(conninfo=conninfo(runtime.settings.store_url)))

    @app.task(name=SEND_TASK, queue="send", retry=procrastinate.RetryStrategy(max_attempts=5, wait=30))
    def send(edition_id: str, slot: str) -> dict[str, Any]:
        report = send_edition(runtime, edition_id, slot)
        log.info("job send %s %s: %s", edition_id, slot, report.summary())
        return {"sent": report.sent, "sent_now": report.sent_now, "pending": report.pending}

    @app.task(name=PUSH_TASK, queue="partners")
    def partner_pushes() -> None:
        deliver_partner_pushes(runtime)

    @app.task(name=WEBHOOK_TASK, queue="webhooks")
    def webhooks() -> None:
        App(runtime).deliver_webhooks()

    return app


def enqueue_send(app: procrastinate.App, edition_id: str, slot: str, copies: int = 1) -> list[int]:
    """Queue ``copies`` send jobs for (edition, slot): up to that many workers share its batches."""
    task = app.tasks[SEND_TASK]
    return [task.defer(edition_id=edition_id, slot=slot) for _ in range(copies)]
