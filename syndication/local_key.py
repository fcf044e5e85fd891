"""The secret key of a laptop install: generated once, kept in ``var_dir``, readable by its owner only.

Used only where ``SYNDICATION_SECRET_KEY`` is unset and the install is plainly local (a SQLite store, a site URL
that is not https); production sets the key in the environment, where rotation and backups are explicit.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
from pathlib import Path

from syndication.errors import ConfigError

LOCAL_KEY_FILE = "secret_key"
_log = logging.getLogger(__name__)
_warned: set[Path] = set()
_lock = threading.Lock()


def local_secret_key(var_dir: Path) -> str:
    """The key stored in ``var_dir``, created (mode 0600) on first use; warns once per process that it is local."""
    path = (var_dir / LOCAL_KEY_FILE).resolve()
    with _lock:
        key = _read(path) if path.exists() else _create(path)
        if path not in _warned:
            _warned.add(path)
            _log.warning(
                "SYNDICATION_SECRET_KEY is not set: signing with the local key in %s; production must set it "
                "in the environment",
                path,
            )
    return key


def _read(path: Path) -> str:
    try:
        key = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError("%(path)s: cannot read the local secret key: %(exc)s", path=path, exc=exc) from exc
    if len(key) < 16:
        raise ConfigError(
            "%(path)s: the local secret key is too short; delete the file to generate a new one", path=path
        )
    return key


def _create(path: Path) -> str:
    key = secrets.token_urlsafe(32)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # O_EXCL: two processes starting at once must not each write a different key.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read(path)
    except OSError as exc:
        raise ConfigError(
            "%(path)s: cannot create the local secret key: %(strerror)s", path=path, strerror=exc.strerror
        ) from exc
    with os.fdopen(descriptor, "w", encoding="ascii") as file:
        file.write(key + "\n")
    return key
