"""A real Dovecot IMAP server for the tests: Debian's dovecot-imapd, a throwaway config, its own port.

The package is installed when missing (apt-get, as CI runs as root); the test is skipped, saying
why, only when it cannot be installed. The server listens on 127.0.0.1 only, with one user from a
passwd-file and Maildirs in a temporary folder, and is stopped after the test.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from machine import free_port, install_debian_package

DOVECOT = "/usr/sbin/dovecot"
USER = "bounces"
PASSWORD = "imap-test-password"


@dataclass(frozen=True)
class Dovecot:
    port: int
    user: str = USER
    password: str = PASSWORD

    @property
    def url(self) -> str:
        return f"imap://{self.user}@127.0.0.1:{self.port}/INBOX"


def _accounts() -> tuple[str, str, int, int]:
    """(internal user, login user, mail uid, mail gid): Debian's service users as root, else ourselves."""
    if os.geteuid() == 0:
        owner = pwd.getpwnam("dovecot")
        return "dovecot", "dovenull", owner.pw_uid, owner.pw_gid
    me = pwd.getpwuid(os.geteuid())
    return me.pw_name, me.pw_name, me.pw_uid, me.pw_gid


@contextmanager
def running_dovecot() -> Iterator[Dovecot]:
    missing = install_debian_package("dovecot-imapd", DOVECOT)
    if missing:
        pytest.skip(missing)
    internal, login, uid, gid = _accounts()
    # Not under pytest's tmp_path: Dovecot's unprivileged processes must be able to enter it.
    root = Path(tempfile.mkdtemp(prefix="dovecot-test-"))
    root.chmod(0o755)
    port = free_port()
    (root / "run").mkdir()
    (root / "mail").mkdir()
    os.chown(root / "mail", uid, gid)
    (root / "users").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n", encoding="utf-8")
    config = root / "dovecot.conf"
    config.write_text(f"""
base_dir = {root}/run
state_dir = {root}/run
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal}
default_login_user = {login}
first_valid_uid = {min(uid, 500)}
first_valid_gid = 0
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
""", encoding="utf-8")
    # -F: in the foreground, so that this process owns it and stops exactly it.
    server = subprocess.Popen([DOVECOT, "-F", "-c", str(config)], stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=2) as probe:
                    if probe.recv(100).startswith(b"* OK"):
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                log = (root / "dovecot.log").read_text(errors="replace") if (root / "dovecot.log").exists() else ""
                raise RuntimeError(f"dovecot is not answering on port {port}: {log[-500:]}")
            time.sleep(0.1)
        yield Dovecot(port)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        shutil.rmtree(root, ignore_errors=True)
