"""The wheel works on its own: built from the sdist, installed into a fresh venv outside the repository.

`init`, `demo` and `serve` run there with no SYNDICATION_* variable set (the local secret key is used), and the
served site answers. This is what the container image relies on.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import venv
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from machine import free_port

PROJECT_ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def clean_env() -> dict[str, str]:
    """The environment of a fresh shell: none of the project's variables, no path into the repository."""
    dropped = ("SYNDICATION_", "SENDGRID_", "PYTHON", "VIRTUAL_ENV")
    return {key: value for key, value in os.environ.items() if not key.startswith(dropped)}


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's wheel, built once per session the way a release is: sdist first, the wheel from it."""
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(PROJECT_ROOT)],
        check=True, capture_output=True, timeout=300, env=clean_env(),
    )
    (built,) = out.glob("syndication-*.whl")
    return built


@pytest.fixture(scope="session")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv (outside the repository) with the wheel and its dependencies; returns its bin/ folder."""
    home = tmp_path_factory.mktemp("venv")
    venv.create(home, with_pip=True)
    bin_dir = home / "bin"
    subprocess.run(
        [str(bin_dir / "python"), "-m", "pip", "install", "--quiet", str(wheel)],
        check=True, capture_output=True, timeout=600, env=clean_env(),
    )
    return bin_dir


@contextmanager
def serving(command: str, cwd: Path, env: dict[str, str]) -> Iterator[str]:
    """`syndication serve` as a subprocess on a free port, until the block ends; yields the base URL."""
    port = free_port()
    server = subprocess.Popen(
        [command, "serve", "--port", str(port)], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{base}/healthz", timeout=2)
                break
            except httpx.TransportError:
                if server.poll() is not None or time.monotonic() > deadline:
                    output = server.stdout.read().decode() if server.stdout else ""
                    pytest.fail(f"serve did not start: {output}")
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def served_site(installed: Path, tmp_path: Path) -> Iterator[str]:
    """`init`, `demo`, then `serve` in a new folder, with the installed command only; yields the base URL."""
    assert not tmp_path.is_relative_to(PROJECT_ROOT)
    command = str(installed / "syndication")
    env = clean_env()
    subprocess.run([command, "init", "site"], cwd=tmp_path, env=env, check=True, capture_output=True, timeout=60)
    site = tmp_path / "site"
    demo = subprocess.run([command, "demo"], cwd=site, env=env, capture_output=True, text=True, timeout=180)
    assert 0 == demo.returncode, demo.stdout + demo.stderr
    with serving(command, site, env) as base:
        yield base


def test_the_wheel_carries_templates_sample_content_and_migrations(wheel: Path) -> None:
    """Every bundled folder is package data inside the wheel, not left behind in the repository (the
    translation catalogs too: they are compiled when first used, so the wheel needs no build step)."""
    import zipfile

    names = zipfile.ZipFile(wheel).namelist()
    expected = {
        "syndication/_templates/email/digest.mjml.j2",
        "syndication/_templates/web/subscribers/subscribe.html.j2",
        "syndication/_content/2026/11/pfalz-marathon-anmeldung.md",
        "syndication/_static/samples/LICENSE.txt",
        "syndication/_templates/web/home.html.j2",
        "syndication/store/migrations/env.py",
        "syndication/store/migrations/versions/0001_articles.py",
        "syndication/locale/de/LC_MESSAGES/messages.po",
        "syndication/locale/en/LC_MESSAGES/messages.po",
    }
    assert expected == expected & set(names)


def test_init_demo_serve_from_the_wheel_outside_the_repository(served_site: str, tmp_path: Path) -> None:
    """The served pages of a fresh site answer 200 (in German, or English when asked), and the laptop key was
    created with mode 0600."""
    paths = ["/", "/subscribe", "/feeds/all.atom", "/static/samples/LICENSE.txt"]
    statuses = {path: httpx.get(f"{served_site}{path}", timeout=10).status_code for path in paths}
    assert {path: 200 for path in paths} == statuses
    # The catalogs came along: the German site's sign-up page is German, and English on the reader's request.
    assert ("Newsletter abonnieren" in httpx.get(f"{served_site}/subscribe", timeout=10).text,
            "Subscribe to the newsletter" in httpx.get(f"{served_site}/subscribe?lang=en", timeout=10).text) == (
        True, True)
    key = tmp_path / "site" / "var" / "secret_key"
    assert 0o600 == key.stat().st_mode & 0o777


def test_version_and_demo_in_an_empty_folder(installed: Path, tmp_path: Path) -> None:
    """`--version` answers, and `demo` in an empty folder (no init) shows the bundled sample articles."""
    command = str(installed / "syndication")
    version = subprocess.run([command, "--version"], env=clean_env(), capture_output=True, text=True, timeout=30)
    demo = subprocess.run([command, "demo"], cwd=tmp_path, env=clean_env(), capture_output=True, text=True, timeout=180)
    assert (0, "syndication 0.1.0\n", 0) == (version.returncode, version.stdout, demo.returncode), demo.stderr
    assert len(list((tmp_path / "public" / "feeds").rglob("*.atom"))) > 5


@pytest.mark.postgres
def test_run_once_and_serve_against_postgresql_with_environment_only(
    installed: Path, postgres_url: str, tmp_path: Path
) -> None:
    """As in the container: no config file, PostgreSQL and the key from the environment; run --once, then serve."""
    command = str(installed / "syndication")
    shutil.copytree(PROJECT_ROOT / "content", tmp_path / "content")
    key = "container-key-0123456789abcdef"
    env = {**clean_env(), "SYNDICATION_STORE__URL": postgres_url, "SYNDICATION_SECRET_KEY": key}
    run = subprocess.run([command, "run", "--once"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180)
    assert 0 == run.returncode, run.stderr[-3000:]
    with serving(command, tmp_path, env) as base:
        statuses = [httpx.get(f"{base}{path}", timeout=10).status_code for path in ("/feeds/all.atom", "/subscribe")]
        health = httpx.get(f"{base}/healthz", timeout=10).json()
    collect = next(job for job in health["jobs"] if job["id"] == "collect")
    assert ([200, 200], "ok") == (statuses, collect["last_run"]["outcome"])
    assert not (tmp_path / "var" / "secret_key").exists()


@pytest.mark.postgres
def test_serve_on_postgresql_needs_the_key_from_the_environment(
    installed: Path, postgres_url: str, tmp_path: Path
) -> None:
    """With PostgreSQL there is no local key: serve without SYNDICATION_SECRET_KEY exits 2 naming the variable."""
    command = str(installed / "syndication")
    env = {**clean_env(), "SYNDICATION_STORE__URL": postgres_url}
    done = subprocess.run([command, "serve", "--port", "0"], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=60)
    assert (2, True) == (done.returncode, "SYNDICATION_SECRET_KEY is not set" in done.stderr)
