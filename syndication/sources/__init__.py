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
                "%(place)s.name: bad value %(name)r: expected a name not used by sources[%(index)s]",
                place=where,
                name=config.name,
                index=names[config.name],
            )
        names[config.name] = index
        if config.type == "folder":
            if config.path is None:
                raise ConfigError(
                    "%(place)s.path: required key is missing: expected the folder holding the articles", place=where
                )
            # A folder that does not exist (yet, or any more) is reported by each collect as the
            # source being unavailable, so that nothing is retracted and other sources go on.
            built.append(FolderSource(config, settings.base_dir))
        elif config.type in ("wordpress", "feed"):
            if not config.url:
                raise ConfigError(
                    "%(place)s.url: required key is missing: expected the %(type)s source's URL",
                    place=where,
                    type=config.type,
                )
            if not config.url.startswith(("http://", "https://")):
                raise ConfigError(
                    "%(place)s.url: bad value %(url)r: expected an http(s) URL", place=where, url=config.url
                )
            if config.type == "wordpress":
                built.append(WordPressSource(config, site=settings.site))
            else:
                built.append(FeedSource(config, site=settings.site))
        else:  # pragma: no cover - the config model only admits the types above
            raise ConfigError(
                "%(place)s.type: bad value %(type)r: expected folder, wordpress or feed",
                place=where,
                type=config.type,
            )
    return built
