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
