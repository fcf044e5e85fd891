"""The file writers: atomic replacement of changed files only, and no path outside the output folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from syndication.writers import AtomicFileWriter, MemoryWriter


def test_atomic_writer_leaves_unchanged_files_alone(tmp_path: Path) -> None:
    """Writing the same bytes again does not touch the file (same inode and mtime); no temp files stay."""
    writer = AtomicFileWriter(tmp_path)
    first = writer.write("feeds/a.rss", b"one")
    stat = (tmp_path / "feeds/a.rss").stat()
    again = writer.write("feeds/a.rss", b"one")
    same = (tmp_path / "feeds/a.rss").stat()
    changed = writer.write("feeds/a.rss", b"two")
    assert (True, False, True, (stat.st_ino, stat.st_mtime_ns), b"two", ["a.rss"]) == (
        first, again, changed, (same.st_ino, same.st_mtime_ns), (tmp_path / "feeds/a.rss").read_bytes(),
        os.listdir(tmp_path / "feeds"),
    )


def test_writers_refuse_paths_outside_their_folder(tmp_path: Path) -> None:
    """A path climbing out of the output folder is refused by both writers."""
    for writer in (AtomicFileWriter(tmp_path), MemoryWriter()):
        with pytest.raises(ValueError, match="not a relative path"):
            writer.write("../evil.rss", b"x")


def test_atomic_writer_batch_puts_changed_files_in_place_at_its_end(tmp_path: Path) -> None:
    """In a batch, changed files appear only when it ends (readers still see the old ones); unchanged ones stay."""
    writer = AtomicFileWriter(tmp_path)
    writer.write("feeds/a.rss", b"old")
    writer.write("feeds/same.rss", b"same")
    before = (tmp_path / "feeds/same.rss").stat()
    with writer.batch():
        changed = (writer.write("feeds/a.rss", b"new"), writer.write("feeds/b/c.rss", b"c"),
                   writer.write("feeds/same.rss", b"same"))
        during = (writer.read("feeds/a.rss"), writer.read("feeds/b/c.rss"))
    after = (tmp_path / "feeds/same.rss").stat()
    assert ((True, True, False), (b"old", None), b"new", b"c", (before.st_ino, before.st_mtime_ns),
            ["a.rss", "b", "same.rss"], ["c.rss"]) == (
        changed, during, writer.read("feeds/a.rss"), writer.read("feeds/b/c.rss"), (after.st_ino, after.st_mtime_ns),
        sorted(os.listdir(tmp_path / "feeds")), os.listdir(tmp_path / "feeds/b"),
    )


def test_atomic_writer_batch_that_fails_replaces_nothing(tmp_path: Path) -> None:
    """A batch left by an error replaces no file and leaves no temporary file behind."""
    writer = AtomicFileWriter(tmp_path)
    writer.write("feeds/a.rss", b"old")
    with pytest.raises(RuntimeError, match="stop"), writer.batch():
        writer.write("feeds/a.rss", b"new")
        writer.write("feeds/b.rss", b"b")
        raise RuntimeError("stop")
    assert (b"old", ["a.rss"]) == (writer.read("feeds/a.rss"), os.listdir(tmp_path / "feeds"))
