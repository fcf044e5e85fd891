"""``GET /healthz``: the scheduler's facts as JSON; 503 when a collect or send failed or is overdue."""

from __future__ import annotations

from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from syndication.runtime import Runtime
from syndication.scheduler.bound import real_jobs
from syndication.scheduler.jobs import Jobs
from syndication.scheduler.plan import build_plan
from syndication.scheduler.status import gather


def routes(runtime: Runtime, jobs: Jobs | None = None) -> list[BaseRoute]:
    plan = build_plan(runtime.settings)
    chosen = jobs if jobs is not None else real_jobs(runtime)

    # A plain function: Starlette runs it in its thread pool, so the database calls do not block.
    def healthz(_request: Request) -> JSONResponse:
        try:
            health = gather(runtime, chosen, plan)
        except SQLAlchemyError as exc:
            problem = f"the database cannot be read: {type(exc).__name__}"
            return JSONResponse(
                {"status": "failing", "problems": [problem]}, status_code=503, headers={"Cache-Control": "no-store"}
            )
        return JSONResponse(
            health.as_json(),
            status_code=200 if health.healthy else 503,
            headers={"Cache-Control": "no-store"},
        )

    return [Route("/healthz", healthz, methods=["GET", "HEAD"])]
