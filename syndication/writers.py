"""Core: where published files go, atomically to a folder or into memory (the test double).

Feeds, the editions archive and the feeds' state file all write through a :class:`Writer`.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Protocol


class Writer(Protocol):
    """Where published files go. Paths are relative, with forward slashes."""

    def read(self, path: str) -> bytes | None:
        """The file's bytes, or None when there is none."""
        ...

    def write(self, path: str, data: bytes) -> bool:
        """Store ``data`` at ``path`` unless it is there already; True when the file changed."""
        ...


def _safe_relative(path: str) -> PurePosixPath:
    relative = PurePosixPath(path)
    if relative.is_absolute() or ".." in relative.parts or not relative.parts:
        raise ValueError(f"{path!r} is not a relative path inside the output folder")
    return relative


class AtomicFileWriter:
    """Writes under ``root``: a temporary file in the same folder, then ``os.replace``.

    Readers (the web server, rsync, a CDN) therefore see the old file or the new one,
    never half a file; and a file whose bytes did not change is not touched at all,
    so its modification time (Last-Modified) stays.
    """

    def __init__(self, root: Path) -> None:
        self.root = root

    def _target(self, path: str) -> Path:
        return self.root.joinpath(*_safe_relative(path).parts)

    def read(self, path: str) -> bytes | None:
        try:
            return self._target(path).read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            return None

    def stamp(self, path: str) -> str | None:
        """Size and modification time: a file not written since keeps them (None: no file)."""
        try:
            stat = self._target(path).stat()
        except (FileNotFoundError, NotADirectoryError):
            return None
        return f"{stat.st_size}:{stat.st_mtime_ns}"

    def write(self, path: str, data: bytes) -> bool:
        target = self._target(path)
        if self.read(path) == data:
            return False
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
                stream.flush()
                os.fsync(stream.fileno())
            os.chmod(temporary, 0o644)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return True


@dataclass
class MemoryWriter:
    """A writer that keeps files in a dict: the test double. ``writes`` lists every changing write."""

    files: dict[str, bytes] = field(default_factory=dict)
    writes: list[str] = field(default_factory=list)

    def read(self, path: str) -> bytes | None:
        return self.files.get(str(_safe_relative(path)))

    def write(self, path: str, data: bytes) -> bool:
        key = str(_safe_relative(path))
        if self.files.get(key) == data:
            return False
        self.files[key] = data
        self.writes.append(key)
        return True
