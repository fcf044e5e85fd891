"""Core: where published files go, atomically to a folder or into memory (the test double).

Feeds, the editions archive and the feeds' state file all write through a :class:`Writer`.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Protocol, cast


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


def _load_syncfs() -> Callable[[int], int] | None:
    # Linux's syncfs(2) makes every file of one file system durable with one call; Python's os
    # module has sync() (every file system) and fsync() (one file) only. Elsewhere: None.
    name = ctypes.util.find_library("c")
    try:
        function = getattr(ctypes.CDLL(name, use_errno=True), "syncfs", None)
    except OSError:  # pragma: no cover - no C library to load
        return None
    if function is None:  # pragma: no cover - not Linux
        return None
    function.argtypes = [ctypes.c_int]
    function.restype = ctypes.c_int
    return cast(Callable[[int], int], function)


_SYNCFS = _load_syncfs()


def _make_durable(root: Path, temporaries: list[str]) -> None:
    """Every file of ``temporaries`` (all under ``root``) on disk: one syncfs, else one fsync each."""
    if _SYNCFS is not None:
        descriptor = os.open(root, os.O_RDONLY)
        try:
            if _SYNCFS(descriptor) == 0:
                return
        finally:
            os.close(descriptor)
    for temporary in temporaries:
        descriptor = os.open(temporary, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def _fsync_directory(directory: Path) -> None:
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - a platform without directory descriptors
        return
    try:
        os.fsync(descriptor)
    except OSError:  # pragma: no cover - file systems that cannot sync a directory
        pass
    finally:
        os.close(descriptor)


class AtomicFileWriter:
    """Writes under ``root``: a temporary file in the same folder, then ``os.replace``.

    Readers (the web server, rsync, a CDN) therefore see the old file or the new one,
    never half a file; and a file whose bytes did not change is not touched at all,
    so its modification time (Last-Modified) stays. The new bytes are on disk before the
    file is replaced.

    Within :meth:`batch`, the changed files are written to temporary files first and made
    durable together (one ``syncfs``), then all replaced: a build of 245 feeds waits for the
    disk once, not once per file. Until the batch ends, :meth:`read` still gives the old files.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self._pending: list[tuple[str, Path]] | None = None

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
                if self._pending is None:
                    stream.flush()
                    os.fsync(stream.fileno())
            os.chmod(temporary, 0o644)
            if self._pending is not None:
                self._pending.append((temporary, target))
                return True
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return True

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Writes inside are staged, then made durable at once and put in place when the block ends.

        Should the block (or the syncing) fail, no file is replaced and the temporary files go.
        """
        if self._pending is not None:  # already in a batch: the outer one puts the files in place
            yield
            return
        pending: list[tuple[str, Path]] = []
        self._pending = pending
        try:
            yield
            self._pending = None
            if pending:
                _make_durable(self.root, [temporary for temporary, _ in pending])
        except BaseException:
            self._pending = None
            for temporary, _ in pending:
                Path(temporary).unlink(missing_ok=True)
            raise
        for done, (temporary, target) in enumerate(pending):
            try:
                os.replace(temporary, target)
            except BaseException:
                for left, _ in pending[done:]:
                    Path(left).unlink(missing_ok=True)
                raise
        # The renames themselves on disk: each folder once.
        for directory in dict.fromkeys(target.parent for _, target in pending):
            _fsync_directory(directory)


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
