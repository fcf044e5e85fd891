"""Core: publishing into an S3-compatible bucket (AWS S3, Cloudflare R2, MinIO, …) for a CDN to serve.

The :class:`~syndication.writers.Writer` of ``[publish] url = "s3://bucket/prefix"``, with the folder
writer's semantics:

- **atomic**: an object is replaced by one PUT; readers (the CDN) get the old bytes or the new,
  never half a file (S3's PUT is all or nothing, with strong read-after-write consistency);
- **changed files only**: before a PUT, a HEAD compares the object's MD5 (its ETag: every object
  here is written in one part) and its headers with what would be written; an unchanged file is
  not written, so its Last-Modified and the CDN's caches stay;
- **served right**: every object gets the Content-Type ``syndication serve`` would send for it
  (``application/atom+xml; charset=utf-8``, JSON Feed under ``feeds/``, …) and
  ``Cache-Control: public, max-age=<[feeds] cache_max_age>``.

Credentials come from the environment as boto3 reads them (``AWS_ACCESS_KEY_ID``,
``AWS_SECRET_ACCESS_KEY``, ``AWS_SESSION_TOKEN`` or an instance role), never from the config file.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from syndication.errors import ConfigError
from syndication.static import content_type

_MISSING = {"404", "NoSuchKey", "NotFound"}


@dataclass(frozen=True)
class BucketUrl:
    bucket: str
    prefix: str

    @classmethod
    def parse(cls, url: str) -> BucketUrl:
        """``s3://bucket`` or ``s3://bucket/some/prefix``."""
        parts = urlsplit(url)
        if parts.scheme != "s3" or not parts.netloc:
            raise ConfigError("publish.url: expected s3://bucket/prefix, not %(url)r", url=url)
        return cls(parts.netloc, parts.path.strip("/"))

    def key(self, path: str) -> str:
        relative = PurePosixPath(path)
        if relative.is_absolute() or ".." in relative.parts or not relative.parts:
            raise ValueError(f"{path!r} is not a relative path inside the bucket's prefix")
        return f"{self.prefix}/{relative}" if self.prefix else str(relative)


def _missing(error: Exception) -> bool:
    """A botocore ClientError that says "no such object" (recognised by its response, without botocore)."""
    response = getattr(error, "response", None)
    return isinstance(response, dict) and str(response.get("Error", {}).get("Code")) in _MISSING


def _client(endpoint_url: str | None, region: str | None) -> Any:
    # Lazy: boto3 takes a third of a second to import, and only a site that publishes to a bucket needs it.
    import boto3
    from botocore.config import Config  # with boto3, for the same reason

    return boto3.client("s3", endpoint_url=endpoint_url or None, region_name=region or None,
                        config=Config(retries={"max_attempts": 5, "mode": "standard"}))


class S3Writer:
    """Writes published files as objects under ``s3://bucket/prefix``."""

    def __init__(self, url: str, *, max_age: int, client: Any | None = None, endpoint_url: str | None = None,
                 region: str | None = None) -> None:
        self.location = BucketUrl.parse(url)
        self.max_age = max_age
        self.client = client or _client(endpoint_url, region)

    def headers(self, path: str) -> tuple[str, str]:
        """(Content-Type, Cache-Control) of the object for ``path``."""
        return content_type(PurePosixPath(path)), f"public, max-age={self.max_age}"

    def read(self, path: str) -> bytes | None:
        try:
            answer = self.client.get_object(Bucket=self.location.bucket, Key=self.location.key(path))
        except Exception as error:
            if _missing(error):
                return None
            raise
        return bytes(answer["Body"].read())

    def stamp(self, path: str) -> str | None:
        """The object's ETag: an object not written since keeps it (None: no object)."""
        head = self._head(path)
        return None if head is None else str(head["ETag"])

    def _head(self, path: str) -> dict[str, Any] | None:
        try:
            return dict(self.client.head_object(Bucket=self.location.bucket, Key=self.location.key(path)))
        except Exception as error:
            if _missing(error):
                return None
            raise

    def write(self, path: str, data: bytes) -> bool:
        kind, cache = self.headers(path)
        digest = hashlib.md5(data, usedforsecurity=False)
        head = self._head(path)
        if (
            head is not None
            and str(head.get("ETag", "")).strip('"') == digest.hexdigest()
            and head.get("ContentType") == kind
            and head.get("CacheControl") == cache
        ):
            return False
        self.client.put_object(
            Bucket=self.location.bucket, Key=self.location.key(path), Body=data, ContentType=kind,
            CacheControl=cache, ContentMD5=base64.b64encode(digest.digest()).decode("ascii"),
        )
        return True
