"""The scheduler: ``syndication run`` triggers collect, feeds and edition sends on time.

It only triggers: the work is done by the same functions the CLI commands call
(the seams in :mod:`syndication.scheduler.jobs`, bound by :mod:`syndication.scheduler.bound`). State that
must survive a restart is in our own tables (:mod:`syndication.scheduler.tables`); the APScheduler
job store is in memory and rebuilt from the configuration at every start.
"""

from __future__ import annotations

from syndication.scheduler.jobs import Jobs
from syndication.scheduler.plan import Plan, SlotJob, build_plan
from syndication.scheduler.runner import run_once, run_scheduler
from syndication.scheduler.service import SchedulerService

__all__ = ["Jobs", "Plan", "SchedulerService", "SlotJob", "build_plan", "run_once", "run_scheduler"]
