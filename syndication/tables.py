"""Imports every module that defines tables, so that ``schema.metadata`` knows them all.

Alembic's environment and the schema test import this module. A package that adds
tables adds its import here. It stands with the entry points, the top layer: the tables
of every layer below (the store's, the features', the scheduler's) are within its reach,
and nothing in the program imports it.
"""

from __future__ import annotations

import subscribers.tables  # noqa: F401
import syndication.console.tables
import syndication.delivery.tables
import syndication.digest.tables
import syndication.events.tables
import syndication.partners.tables
import syndication.scheduler.tables
import syndication.store.schema
import syndication.webhooks.tables  # noqa: F401
