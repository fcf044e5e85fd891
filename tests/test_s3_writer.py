"""Publishing into an S3-compatible bucket, against moto's S3 server in a subprocess: changed files only,
Content-Type and Cache-Control as `serve` sends them, and the whole feeds build through [publish] url."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from sqlalchemy import Engine

from syndication.app.publishing import public_writer
from syndication.clock import FixedClock
from syndication.config import Settings
from syndication.errors import ConfigError
from syndication.feeds.publish import build_and_publish
from syndication.s3_writer import BucketUrl, S3Writer
from syndication.store.articles import ArticleStore
from syndication.testing import make_article
from syndication.writers import AtomicFileWriter
from tests.machine import free_port

BUCKET = "cdn-feeds"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """moto's S3 server on a free port, for this module's tests; killed with its process group after."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True, close_fds=True,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(endpoint, timeout=1)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail("moto's S3 server did not start")
                time.sleep(0.1)
        yield endpoint
    finally:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(10)


@pytest.fixture
def client(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """An S3 client of the stand-in with an empty bucket (moto takes any credentials)."""
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "eu-central-1"}.items():
        monkeypatch.setenv(name, value)
    created = boto3.client("s3", endpoint_url=s3_endpoint, region_name="eu-central-1")
    for bucket in created.list_buckets().get("Buckets", []):
        for item in created.list_objects_v2(Bucket=bucket["Name"]).get("Contents", []):
            created.delete_object(Bucket=bucket["Name"], Key=item["Key"])
        created.delete_bucket(Bucket=bucket["Name"])
    created.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
    return created


def _keys(client: Any) -> list[str]:
    return sorted(item["Key"] for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []))


def test_bucket_urls_name_the_bucket_and_prefix() -> None:
    """s3://bucket/prefix/ → the bucket and a prefix before every key; anything else is a configuration error."""
    location = BucketUrl.parse("s3://cdn-feeds/site/")
    assert ("cdn-feeds", "site/feeds/all.atom") == (location.bucket, location.key("feeds/all.atom"))
    with pytest.raises(ConfigError):
        BucketUrl.parse("https://cdn-feeds/site")


def test_a_write_stores_the_object_with_its_type_and_cache_control(client: Any) -> None:
    """An Atom feed goes to prefix/feeds/all.atom as application/atom+xml with the feeds' max-age."""
    writer = S3Writer(f"s3://{BUCKET}/site", max_age=300, client=client)
    assert writer.write("feeds/all.atom", b"<feed/>")
    head = client.head_object(Bucket=BUCKET, Key="site/feeds/all.atom")
    assert ("application/atom+xml; charset=utf-8", "public, max-age=300") == (head["ContentType"], head["CacheControl"])
    assert (b"<feed/>", None) == (writer.read("feeds/all.atom"), writer.read("feeds/none.atom"))


def test_json_under_feeds_is_a_json_feed(client: Any) -> None:
    """feeds/*.json is application/feed+json, other JSON application/json, as `serve` says."""
    writer = S3Writer(f"s3://{BUCKET}", max_age=60, client=client)
    writer.write("feeds/all.json", b"{}")
    writer.write("api/x.json", b"{}")
    assert ("application/feed+json; charset=utf-8", "application/json; charset=utf-8") == (
        client.head_object(Bucket=BUCKET, Key="feeds/all.json")["ContentType"],
        client.head_object(Bucket=BUCKET, Key="api/x.json")["ContentType"],
    )


def test_an_unchanged_file_is_not_written_again(client: Any) -> None:
    """The same bytes again: no PUT (Last-Modified and ETag stay); other bytes replace the object."""
    writer = S3Writer(f"s3://{BUCKET}/site", max_age=300, client=client)
    writer.write("index.opml", b"<opml/>")
    before = client.head_object(Bucket=BUCKET, Key="site/index.opml")
    again = writer.write("index.opml", b"<opml/>")
    after = client.head_object(Bucket=BUCKET, Key="site/index.opml")
    changed = writer.write("index.opml", b"<opml version='2.0'/>")
    assert (False, True) == (again, changed)
    assert (before["ETag"], before["LastModified"]) == (after["ETag"], after["LastModified"])
    assert b"<opml version='2.0'/>" == writer.read("index.opml")


def test_a_new_max_age_rewrites_unchanged_bytes(client: Any) -> None:
    """Same bytes but another Cache-Control (the setting changed): the object is written with the new header."""
    S3Writer(f"s3://{BUCKET}", max_age=300, client=client).write("feeds/all.rss", b"<rss/>")
    rewritten = S3Writer(f"s3://{BUCKET}", max_age=60, client=client).write("feeds/all.rss", b"<rss/>")
    head = client.head_object(Bucket=BUCKET, Key="feeds/all.rss")
    assert (True, "public, max-age=60") == (rewritten, head["CacheControl"])


def test_paths_outside_the_prefix_are_refused(client: Any) -> None:
    """A path with .. or an absolute path never becomes a key."""
    writer = S3Writer(f"s3://{BUCKET}/site", max_age=300, client=client)
    with pytest.raises(ValueError):
        writer.write("../other/x.atom", b"x")


def test_publish_url_builds_the_feeds_into_the_bucket_like_the_folder(
    client: Any, s3_endpoint: str, settings: Settings, engine: Engine, clock: FixedClock, tmp_path: Path
) -> None:
    """[publish] url = s3://…: the composition root's writer puts the same files as the folder writer, and a
    second build with nothing new writes nothing."""
    articles = ArticleStore(engine)
    for number in range(1, 4):
        articles.upsert(make_article(number), clock.now())
    publish = settings.publish.model_copy(update={"url": f"s3://{BUCKET}/site", "endpoint_url": s3_endpoint,
                                                  "region": "eu-central-1"})
    configured = settings.model_copy(update={"publish": publish})
    writer = public_writer(configured)
    first = build_and_publish(configured, engine, writer=writer)
    second = build_and_publish(configured, engine, writer=writer)
    folder = tmp_path / "folder"
    build_and_publish(settings, engine, writer=AtomicFileWriter(folder), state_writer=AtomicFileWriter(tmp_path / "s"))
    in_folder = sorted(f"site/{path.relative_to(folder)}" for path in folder.rglob("*") if path.is_file())
    assert isinstance(writer, S3Writer)
    assert (in_folder, []) == (_keys(client), list(second.written))
    assert len(first.written) == len(in_folder)
