"""Where published files go: the composition root chooses the folder or the bucket ([publish] url)."""

from __future__ import annotations

from syndication.config import Settings
from syndication.s3_writer import S3Writer
from syndication.writers import AtomicFileWriter, Writer


def public_writer(settings: Settings) -> Writer:
    """The writer of feeds, OPML and the editions archive: ``[site] public_dir``, or an S3 bucket."""
    publish = settings.publish
    if not publish.url:
        return AtomicFileWriter(settings.public_dir)
    return S3Writer(publish.url, max_age=settings.feeds.cache_max_age, endpoint_url=publish.endpoint_url,
                    region=publish.region)
