"""A minimal Chrome DevTools Protocol client over ``--remote-debugging-pipe``.

Headless Chromium will not make a window narrower than 500 px, so phone widths are
emulated with ``Emulation.setDeviceMetricsOverride``. The pipe (fd 3: commands in,
fd 4: replies out, NUL-separated JSON) needs no network port and no extra package.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import select
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars", "--remote-debugging-pipe",
    # /dev/shm is small in containers; Chromium's renderers crash or stall there.
    "--disable-dev-shm-usage",
    # A German reader's browser: the subscriber pages follow Accept-Language (syndication.i18n).
    "--accept-lang=de-DE,de",
)


def _high(fd: int) -> int:
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD, 10)
    os.close(fd)
    return moved


class DevToolsError(RuntimeError):
    pass


class Chromium:
    """One headless browser; use as a context manager."""

    def __init__(self, executable: str, profile: Path, timeout: float = 60.0) -> None:
        to_browser_read, self._to_browser = (_high(fd) for fd in os.pipe())
        self._from_browser, from_browser_write = (_high(fd) for fd in os.pipe())
        # The browser gets its two pipe ends as fds 3 and 4 and no other descriptor of ours: a leaked one (pytest's
        # copy of the CI log, say) held by a browser helper that outlives the test would keep CI waiting for EOF.
        # bash (dash knows only fds 0-9) moves the passed fds into place: Popen passes fds only under their own numbers.
        read_end, write_end = to_browser_read, from_browser_write
        wire = f'exec "$0" "$@" 3<&{read_end} 4>&{write_end} {read_end}<&- {write_end}>&-'
        self.process = subprocess.Popen(
            ["/bin/bash", "-c", wire, executable, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            pass_fds=(to_browser_read, from_browser_write), start_new_session=True,
            # The browser is the test's instrument, not code under test: the moved-clock run's libfaketime
            # (LD_PRELOAD) hangs Chromium, so it runs on the real clock.
            env={name: value for name, value in os.environ.items() if name not in ("LD_PRELOAD", "FAKETIME")},
        )
        os.close(to_browser_read)
        os.close(from_browser_write)
        self.timeout = timeout
        self._buffer = b""
        self._next_id = 0
        self._events: list[dict[str, Any]] = []

    def __enter__(self) -> Chromium:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(DevToolsError, OSError):
                self.send("Browser.close")
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=10)
        # Renderers, the zygote and crashpad live in the browser's own session: end every one of them.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        for fd in (self._to_browser, self._from_browser):
            with contextlib.suppress(OSError):
                os.close(fd)

    def _read_message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise DevToolsError("chromium did not answer in time")
            ready, _, _ = select.select([self._from_browser], [], [], remaining)
            if ready:
                chunk = os.read(self._from_browser, 1 << 20)
                if not chunk:
                    raise DevToolsError("chromium closed the DevTools pipe")
                self._buffer += chunk
        raw, _, self._buffer = self._buffer.partition(b"\0")
        return json.loads(raw)

    def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise DevToolsError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            if "method" in reply:
                self._events.append(reply)

    def wait_for(self, event: str, session: str) -> dict[str, Any]:
        deadline = time.monotonic() + self.timeout
        while True:
            if time.monotonic() > deadline:
                raise DevToolsError(f"chromium sent no {event} in time")
            for index, seen in enumerate(self._events):
                if seen.get("method") == event and seen.get("sessionId") == session:
                    return self._events.pop(index)
            self._events.append(self._read_message(deadline))

    def open_page(self, url: str, width: int, height: int, color_scheme: str | None = None) -> str:
        """A new tab emulating a ``width`` × ``height`` viewport, loaded with ``url``; returns the session.

        ``color_scheme`` (``"light"`` or ``"dark"``) is what ``prefers-color-scheme`` answers.
        """
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        self.send("Page.enable", session=session)
        self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 500},
            session=session,
        )
        if color_scheme is not None:
            self.set_color_scheme(session, color_scheme)
        self.send("Page.navigate", {"url": url}, session=session)
        self.wait_for("Page.loadEventFired", session)
        return session

    def set_color_scheme(self, session: str, scheme: str) -> None:
        """Emulate ``prefers-color-scheme: <scheme>`` in the tab of ``session``."""
        self.send(
            "Emulation.setEmulatedMedia",
            {"features": [{"name": "prefers-color-scheme", "value": scheme}]},
            session=session,
        )

    def evaluate(self, session: str, expression: str) -> Any:
        result = self.send(
            "Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True}, session=session
        )
        if "exceptionDetails" in result:
            raise DevToolsError(f"script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def screenshot(self, session: str, path: Path) -> None:
        data = self.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}, session=session)
        path.write_bytes(base64.b64decode(data["data"]))
