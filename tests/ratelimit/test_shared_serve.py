"""Two ``syndication serve`` processes behind one load balancer enforce one partner rate limit together.

Each process is started as an operator starts it (its own process, config.toml, environment) on one
store; the partner's limit is 10 a minute; 6 requests go to each process, alternating.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from serve_process import serve_process, settings_env
from sqlalchemy import Engine

from syndication.clock import SystemClock
from syndication.partners.store import PartnerStore
from syndication.store.db import open_engine

SECRET = "test-secret-key-0123456789abcdef"
PER_MINUTE = 10


def statuses_through_two_processes(tmp_path: Path, engine: Engine, env: dict[str, str]) -> list[int]:
    """Adds a partner to the store, starts two ``serve`` processes on it and sends 6 requests to each."""
    key = PartnerStore(engine, SECRET).add("Zwei Prozesse", SystemClock().now()).key
    # The processes' clocks must agree, as NTP makes them on real machines. Under libfaketime (CI's
    # moved-clock run) each process would otherwise restart the fake clock when it starts.
    env = {**env, "SYNDICATION_PARTNERS__RATE_LIMIT_PER_MINUTE": str(PER_MINUTE), "FAKETIME_DONT_RESET": "1"}
    first_dir, second_dir = tmp_path / "first", tmp_path / "second"
    first_dir.mkdir()
    second_dir.mkdir()
    headers = {"Authorization": f"Bearer {key}"}
    # serve_process yields once the process answers: both are up before the first request counts.
    with (serve_process(first_dir, env) as first, serve_process(second_dir, env) as second,
          httpx.Client(timeout=10) as http):
        return [http.get(f"{url}/partners/v1/items", headers=headers).status_code for url in (first, second) * 6]


def test_two_processes_on_one_redis_allow_the_limit_once(
    tmp_path: Path, engine: Engine, redis_url: str, redis_prefix: str
) -> None:
    """With [cache] url = redis://… the two processes together allow exactly 10 of 12 requests; the rest get 429."""
    env = settings_env(tmp_path, SYNDICATION_CACHE__URL=redis_url, SYNDICATION_CACHE__PREFIX=redis_prefix)
    statuses = statuses_through_two_processes(tmp_path, engine, env)
    assert (PER_MINUTE, 12 - PER_MINUTE) == (statuses.count(200), statuses.count(429))
    assert [200] * PER_MINUTE == statuses[:PER_MINUTE]


@pytest.mark.postgres
def test_two_processes_on_one_postgresql_allow_the_limit_once(tmp_path: Path, postgres_url: str) -> None:
    """With store and [cache] url on one PostgreSQL the two processes together allow exactly 10 of 12 requests."""
    engine = open_engine(postgres_url)
    env = settings_env(tmp_path, SYNDICATION_STORE__URL=postgres_url, SYNDICATION_CACHE__URL=postgres_url)
    try:
        statuses = statuses_through_two_processes(tmp_path, engine, env)
    finally:
        engine.dispose()
    assert (PER_MINUTE, 12 - PER_MINUTE) == (statuses.count(200), statuses.count(429))
    assert [200] * PER_MINUTE == statuses[:PER_MINUTE]


def test_without_a_shared_cache_each_process_counts_alone(tmp_path: Path, engine: Engine) -> None:
    """Without [cache] url each process keeps its own buckets: all 12 pass (why several processes need it)."""
    statuses = statuses_through_two_processes(tmp_path, engine, settings_env(tmp_path))
    assert [200] * 12 == statuses
