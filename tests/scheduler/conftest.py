"""Fixtures for the scheduler tests: a runtime on a controlled clock and a fake newsroom."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from syndication.clock import FixedClock
from syndication.config import Settings
from syndication.runtime import Runtime
from syndication.scheduler.plan import build_plan
from syndication.scheduler.service import SchedulerService
from syndication.scheduler.testing import FakeNewsroom
from tests.scheduler.helpers import DAILY, SUBSCRIBERS, WEEKLY, with_editions


@pytest.fixture
def runtime(settings: Settings, clock: FixedClock) -> Iterator[Runtime]:
    created = Runtime(settings=with_editions(settings, DAILY, WEEKLY), clock=clock)
    yield created
    created.close()


@pytest.fixture
def newsroom(runtime: Runtime, clock: FixedClock) -> FakeNewsroom:
    return FakeNewsroom(clock, runtime.settings.site.zone, {slot: list(names) for slot, names in SUBSCRIBERS.items()})


@pytest.fixture
def service(runtime: Runtime, newsroom: FakeNewsroom) -> SchedulerService:
    return SchedulerService(runtime, newsroom.jobs(), build_plan(runtime.settings))
