"""Sources of articles, built from the ``[[sources]]`` config list."""

from __future__ import annotations

from syndication.config import Settings
from syndication.errors import ConfigError
from syndication.sources.base import Source
from syndication.sources.feed import FeedSource
from syndication.sources.folder import FolderSource
from syndication.sources.wordpress import WordPressSource


def build_sources(settings: Settings) -> list[Source]:
    """One Source per configured entry; a misconfigured entry raises ConfigError naming ``sources[i].key``."""
    built: list[Source] = []
    names: dict[str, int] = {}
    for index, config in enumerate(settings.sources):
        where = f"sources[{index}]"
        if config.name in names:
            raise ConfigError(
                f"{where}.name: bad value {config.name!r}: expected a name not used by sources[{names[config.name]}]"
            )
        names[config.name] = index
        if config.type == "folder":
            if config.path is None:
                raise ConfigError(f"{where}.path: required key is missing: expected the folder holding the articles")
            # A folder that does not exist (yet, or any more) is reported by each collect as the
            # source being unavailable, so that nothing is retracted and other sources go on.
            built.append(FolderSource(config, settings.base_dir))
        elif config.type in ("wordpress", "feed"):
            if not config.url:
                raise ConfigError(f"{where}.url: required key is missing: expected the {config.type} source's URL")
            if not config.url.startswith(("http://", "https://")):
                raise ConfigError(f"{where}.url: bad value {config.url!r}: expected an http(s) URL")
            if config.type == "wordpress":
                built.append(WordPressSource(config, site=settings.site))
            else:
                built.append(FeedSource(config, site=settings.site))
        else:  # pragma: no cover - the config model only admits the types above
            raise ConfigError(f"{where}.type: bad value {config.type!r}: expected folder, wordpress or feed")
    return built
