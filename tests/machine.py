"""What tests need from the machine: Debian packages installed on demand, and free loopback ports.

Tests that need a real server or tool (Chromium, Dovecot, LibreOffice, nginx) install Debian's package
themselves when it is missing, so nothing relies on what happens to be installed; a test is skipped, saying
why, only when it cannot be installed (not root, no apt-get, the package manager refused).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

_LOCK = ["-o", "DPkg::Lock::Timeout=600"]


def _has_candidate(package: str, env: dict[str, str]) -> bool:
    """Whether apt already knows a version of ``package`` (else its package lists need an update first)."""
    policy = subprocess.run(["apt-cache", "policy", package], env=env, capture_output=True, text=True, check=False)
    return "Candidate:" in policy.stdout and "Candidate: (none)" not in policy.stdout


def install_debian_package(package: str, provides: str, *, timeout: float = 1800) -> str | None:
    """Install ``package`` unless ``provides`` (a path or a command name) is there already.

    Returns None when ``provides`` is available, else the reason it cannot be (for ``pytest.skip``).
    """

    def present() -> bool:
        return Path(provides).exists() if os.sep in provides else shutil.which(provides) is not None

    if present():
        return None
    if os.geteuid() != 0:
        return f"{package} is not installed and we are not root to install it"
    if shutil.which("apt-get") is None:
        return f"{package} is not installed and there is no apt-get"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", *_LOCK, "install", "-y", "--no-install-recommends", package]
    commands = [install] if _has_candidate(package, env) else [["apt-get", *_LOCK, "update"], install]
    with _no_service_starts():
        for command in commands:
            done = subprocess.run(
                command, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout,
                check=False,
            )
            if done.returncode != 0:
                return f"installing {package} failed: {' '.join(command)}: {done.stderr.strip()[-300:]}"
    return None if present() else f"apt-get installed {package} but {provides} is missing"


@contextmanager
def _no_service_starts() -> Iterator[None]:
    """Keep a package's install scripts from starting its daemon (nginx on :80, Dovecot on :143).

    Tests start their own servers on free ports; a daemon started by dpkg would outlive the run, take the
    standard port, and hold on to the descriptors it inherited. ``policy-rc.d`` answering 101 ("action
    forbidden") is Debian's documented switch for this (invoke-rc.d(8)); one already there is left alone.
    """
    policy = Path("/usr/sbin/policy-rc.d")
    if policy.exists():
        yield
        return
    policy.write_text("#!/bin/sh\n# Written by the syndication test suite while it installs a package.\nexit 101\n")
    policy.chmod(0o755)
    try:
        yield
    finally:
        policy.unlink(missing_ok=True)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_smtp(handler: object) -> Iterator[int]:
    """A real SMTP server (aiosmtpd) on a free loopback port, answering through ``handler``; yields the port."""
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


# Debian's Chromium, installed by the tests that drive a browser (nothing relies on what is installed).
CHROMIUM = "/usr/bin/chromium"


def debian_chromium() -> str:
    """The path of Debian's Chromium, installed first if needed; the test is skipped, saying why, when it cannot be."""
    if not os.path.exists(CHROMIUM):
        reason = install_debian_package("chromium", CHROMIUM, timeout=1200)
        if reason:
            pytest.skip(reason)
    return CHROMIUM


def wait_until(condition: Callable[[], object], timeout: float, interval: float = 0.05) -> object:
    """The first true value ``condition`` gives within ``timeout`` seconds (polled), else None."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(interval)
    return None
