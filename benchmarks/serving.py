"""Serving benchmark: feeds' 200 and 304 paths under wrk, ``syndication serve`` against nginx on the same public/.

    .venv/bin/python benchmarks/serving.py [--articles 1000] [--duration 10] [--connections 32]

Builds public/ (``--articles`` generated articles, 50-item feeds, as benchmarks/feeds.py does), starts
``syndication serve`` as the docs' systemd unit does (one process; ``serve`` has no worker option) and
nginx with the recommended configuration (docs/operating/nginx.conf, Debian's main configuration,
``worker_processes auto``) over the same folder, then runs wrk against each for ``--duration`` seconds
per case, on loopback:

* 200: a full GET of ``--path``, without and with ``Accept-Encoding: gzip``;
* 304: the same GET with ``If-None-Match`` naming the ETag that server gave (nginx's own), both encodings.

Prints requests per second for both servers and the ratio serve / nginx per case; the goal is at least
50 % of nginx's on the 304 path. Debian's nginx and wrk are installed with apt-get when missing and we
are root. The load generator runs on the same (two, shared) cores as the servers: compare the ratios.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from syndication.clock import FixedClock
from syndication.config import load_settings
from syndication.feeds.publish import build_and_publish
from syndication.model import Author
from syndication.runtime import Runtime
from syndication.store.articles import ArticleStore
from syndication.testing import make_article

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# The test suite's helpers start serve and nginx exactly as the serving tests do.
sys.path.insert(0, str(PROJECT_ROOT / "tests"))
from machine import install_debian_package  # noqa: E402
from serve_process import serve_process  # noqa: E402
from serving.nginx_process import NGINX, nginx_process  # noqa: E402

WRK = "/usr/bin/wrk"
NEWEST = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
AUTHORS = [f"Autorin {n:02d}" for n in range(20)]
SECRET = "benchmark-secret-key-0123456789abcdef"


@dataclass(frozen=True)
class Case:
    path: str  # "200" or "304"
    encoding: str  # "identity" or "gzip"


def _install(packages: dict[str, str]) -> None:
    """Install the Debian packages whose executable is missing (as root), or exit saying why not."""
    for package, executable in packages.items():
        reason = install_debian_package(package, executable)
        if reason:
            sys.exit(f"serving benchmark: {reason} (apt-get install {package} as root, or run this as root)")


def _build_public(root: Path, articles: int, categories: int) -> Path:
    """public/ with every feed of ``articles`` generated articles; the settings' environment for serve."""
    env = {"SYNDICATION_SITE__PUBLIC_DIR": str(root / "public"), "SYNDICATION_SITE__VAR_DIR": str(root / "var"),
           "SYNDICATION_SITE__OUTBOX_DIR": str(root / "outbox")}
    settings = load_settings(PROJECT_ROOT / "config.toml", env=env)
    clock = FixedClock(datetime(2026, 11, 24, 5, 0, tzinfo=UTC))
    runtime = Runtime(settings=settings, clock=clock)
    store = ArticleStore(runtime.engine)
    batch = []
    for number in range(1, articles + 1):
        published = NEWEST - timedelta(minutes=7 * number)
        batch.append((make_article(number, published=published, updated=published,
                                   categories=(f"Ressort {number % categories:02d}",),
                                   author=Author(name=AUTHORS[number % len(AUTHORS)])), None))
    store.upsert_many(batch, clock.now())
    report = build_and_publish(runtime.settings, runtime.engine)
    runtime.close()
    print(f"public/: {articles:,} articles, {report.feeds} feeds, {len(report.written)} files written")
    return settings.public_dir


def _wrk(url: str, headers: dict[str, str], seconds: int, connections: int, threads: int) -> tuple[float, str]:
    """wrk's requests per second for ``url``; the line of any non-2xx/3xx or socket errors it reports."""
    command = [WRK, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    done = subprocess.run([*command, url], capture_output=True, text=True, timeout=seconds + 60, check=True)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", done.stdout)
    if rate is None:
        raise RuntimeError(f"wrk printed no rate: {done.stdout} {done.stderr}")
    problems = [line.strip() for line in done.stdout.splitlines() if "Non-2xx" in line or "Socket errors" in line]
    return float(rate.group(1)), "; ".join(problems)


def _headers(base_url: str, target: str, case: Case) -> dict[str, str]:
    """The request headers of ``case`` for this server, checked to get the expected status."""
    headers = {"Accept-Encoding": case.encoding}
    first = httpx.get(base_url + target, headers=headers)
    first.raise_for_status()
    if case.path == "304":
        headers["If-None-Match"] = first.headers["etag"]
    check = httpx.get(base_url + target, headers=headers)
    if str(check.status_code) != case.path:
        raise RuntimeError(f"{base_url}{target} with {headers} answered {check.status_code}, not {case.path}")
    return headers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--categories", type=int, default=20)
    parser.add_argument("--path", default="/feeds/all.rss", help="the file under public/ to request")
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per server and case")
    parser.add_argument("--connections", type=int, default=32, help="wrk's open connections")
    parser.add_argument("--threads", type=int, default=1, help="wrk's threads")
    parser.add_argument("--nginx-workers", default="auto", help="nginx's worker_processes (Debian's: auto)")
    args = parser.parse_args()
    _install({"nginx": NGINX, "wrk": WRK})

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        public = _build_public(root, args.articles, args.categories)
        size = (public / args.path.lstrip("/")).stat().st_size
        env = {"SYNDICATION_SITE__PUBLIC_DIR": str(public), "SYNDICATION_SITE__VAR_DIR": str(root / "var"),
               "SYNDICATION_SITE__OUTBOX_DIR": str(root / "outbox"), "SYNDICATION_SECRET_KEY": SECRET}
        settings = load_settings(PROJECT_ROOT / "config.toml", env=env)
        print(f"machine: {os.cpu_count()} cores, {platform.machine()}, Linux {platform.release()}, "
              f"load average {' '.join(f'{n:.1f}' for n in os.getloadavg())} before the run")
        print(f"load: wrk -t{args.threads} -c{args.connections} -d{args.duration}s on loopback, GET {args.path} "
              f"({size:,} bytes)")
        print("serve: one process (the systemd unit's `syndication serve`; it has no worker option), "
              f"nginx: worker_processes {args.nginx_workers}, docs/operating/nginx.conf")
        cases = [Case(path, encoding) for path in ("200", "304") for encoding in ("identity", "gzip")]
        rates: dict[tuple[str, Case], float] = {}
        with (serve_process(root, env) as app,
              nginx_process(root / "nginx", public, app, max_age=settings.feeds.cache_max_age,
                            workers=args.nginx_workers) as web):
            servers = {"serve": app, "nginx": web}
            for case in cases:
                for name, base_url in servers.items():
                    headers = _headers(base_url, args.path, case)
                    # A short warm-up: the app's file cache, nginx's workers, the connections.
                    _wrk(base_url + args.path, headers, 1, args.connections, args.threads)
                    rate, problems = _wrk(base_url + args.path, headers, args.duration, args.connections,
                                          args.threads)
                    rates[name, case] = rate
                    print(f"  {case.path} {case.encoding:<8} {name:<5} {rate:>10,.0f} requests/s"
                          + (f"  ({problems})" if problems else ""), flush=True)
        print()
        print(f"{'path':<14} {'serve req/s':>12} {'nginx req/s':>12} {'serve/nginx':>12}")
        for case in cases:
            ratio = rates["serve", case] / rates["nginx", case]
            print(f"{case.path + ' ' + case.encoding:<14} {rates['serve', case]:>12,.0f} "
                  f"{rates['nginx', case]:>12,.0f} {ratio:>11.1%}")
        worst = min(rates["serve", case] / rates["nginx", case] for case in cases if case.path == "304")
        verdict = "meets" if worst >= 0.5 else "MISSES"
        print(f"304 path: serve reaches {worst:.1%} of nginx's requests/s ({verdict} the >= 50% goal; "
              "the recommended production setup serves public/ with nginx, docs/operating/nginx.md)")


if __name__ == "__main__":
    main()
