"""nginx started as the docs recommend (docs/operating/nginx.conf), on loopback, as a child process.

The site file is the docs' file with its «adjust» lines pointed at a temporary public/, a free port and
the address of a ``syndication serve``; the main configuration around it is Debian's (sendfile, mime
types, gzip), with the pid, logs and temporary files in a folder of the caller's, never a daemon.
Debian's nginx is installed with apt-get when it is missing and we are root (where a service manager
runs and no policy-rc.d forbids it, the package also starts its own default site, as it always does).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from machine import free_port, install_debian_package

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SITE_CONFIG = PROJECT_ROOT / "docs" / "operating" / "nginx.conf"
NGINX = "/usr/sbin/nginx"

# The «adjust» lines of the docs' file and what each becomes; each must be there exactly once.
_UPSTREAM = "server 127.0.0.1:8000;"
_LISTEN = "listen 80;"
_ROOT = "root /srv/syndication/public;"
_MAX_AGE = 'add_header Cache-Control "public, max-age=300";'


def install_nginx() -> str | None:
    """Install Debian's nginx unless it is there; the reason it cannot be done, or None when it is there."""
    return install_debian_package("nginx", NGINX)


def site_config(public_dir: Path, port: int, serve_url: str, max_age: int) -> str:
    """The docs' site file for a server on ``127.0.0.1:port`` over ``public_dir``, proxying to ``serve_url``."""
    text = SITE_CONFIG.read_text(encoding="utf-8")
    upstream = serve_url.removeprefix("http://").rstrip("/")
    replacements = {
        _UPSTREAM: f"server {upstream};",
        _LISTEN: f"listen 127.0.0.1:{port};",
        _ROOT: f"root {public_dir};",
    }
    for old, new in replacements.items():
        if text.count(old) != 1:
            raise AssertionError(f"{SITE_CONFIG} should contain {old!r} once (the line the docs say to adjust)")
        text = text.replace(old, new)
    if _MAX_AGE not in text:
        raise AssertionError(f"{SITE_CONFIG} should contain {_MAX_AGE!r}")
    return text.replace(_MAX_AGE, f'add_header Cache-Control "public, max-age={max_age}";')


def main_config(folder: Path, site: Path, workers: str) -> str:
    """Debian's nginx.conf, with everything it writes inside ``folder`` and only ``site`` enabled."""
    user = "user root;\n" if os.geteuid() == 0 else ""
    return f"""{user}worker_processes {workers};
daemon off;
pid {folder}/nginx.pid;
error_log {folder}/error.log;
events {{
    worker_connections 768;
}}
http {{
    sendfile on;
    tcp_nopush on;
    types_hash_max_size 2048;
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {folder}/access.log;
    client_body_temp_path {folder}/client_body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    gzip on;
    include {site};
}}
"""


@contextmanager
def nginx_process(folder: Path, public_dir: Path, serve_url: str, *, max_age: int,
                  workers: str = "auto") -> Iterator[str]:
    """nginx with the docs' site file in front of ``serve_url``; yields its base URL, stops it on exit."""
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    site = folder / "syndication.conf"
    site.write_text(site_config(public_dir, port, serve_url, max_age), encoding="utf-8")
    config = folder / "nginx.conf"
    config.write_text(main_config(folder, site, workers), encoding="utf-8")
    command = [NGINX, "-p", str(folder), "-e", str(folder / "error.log"), "-c", str(config)]
    checked = subprocess.run([*command, "-t"], capture_output=True, text=True, timeout=60, check=False)
    if checked.returncode != 0:
        raise AssertionError(f"nginx -t refused the configuration: {checked.stderr.strip()}")
    log = (folder / "nginx.out").open("wb")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        while True:
            if process.poll() is not None:
                raise AssertionError(f"nginx exited with {process.returncode}: {_tail(folder)}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise AssertionError(f"nginx did not listen on {port}: {_tail(folder)}") from None
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _tail(folder: Path) -> str:
    parts = [path.read_text(errors="replace")[-1500:] for path in (folder / "error.log", folder / "nginx.out")
             if path.exists()]
    return " | ".join(parts)
