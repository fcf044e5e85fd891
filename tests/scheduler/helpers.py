"""Editions and subscribers shared by the scheduler tests."""

from __future__ import annotations

from syndication.config import DigestConfig, EditionConfig, Settings

DAILY = EditionConfig(name="daily", title="Der Morgen", frequency="daily", slots=("06:00", "12:00", "18:00"))
WEEKLY = EditionConfig(name="weekly", title="Die Woche", frequency="weekly", slots=("07:00",), weekday="sat")

SUBSCRIBERS = {"06:00": ["anna", "ben"], "12:00": ["carla"], "18:00": ["dora", "emil"], "07:00": ["fritz"]}


def with_editions(settings: Settings, *editions: EditionConfig) -> Settings:
    return settings.model_copy(update={"digest": DigestConfig(editions=editions)})
