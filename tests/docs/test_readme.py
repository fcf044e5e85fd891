"""Every command in README.md runs: the `syndication` ones here, in order, in a fresh folder; the others elsewhere."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

import httpx
from machine import free_port

PROJECT_ROOT = Path(__file__).resolve().parents[2]
README = PROJECT_ROOT / "README.md"
SYNDICATION = Path(sys.executable).parent / "syndication"
# Commands this test does not run, and what does.
RUN_ELSEWHERE = {
    "make demo": "the Makefile runs `syndication demo`, which this test runs",
    "make test": ".ci/run",
    "make test-moved-clock": ".ci/run (the second run of the suite, the clock moved by libfaketime)",
    "make docs": ".ci/run and tests/docs/test_docs.py (mkdocs build --strict)",
    "make test PYTEST_ARGS=\"tests/feeds -q\"": ".ci/run (make test)",
    "pip install dist/syndication-*.whl": "tests/distribution/test_wheel.py installs the built wheel",
}


def readme_commands() -> list[str]:
    """The command lines of the README's ```sh blocks, without their comments."""
    blocks = re.findall(r"```sh\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
    lines = [line.split(" #", 1)[0].strip() for block in blocks for line in block.splitlines()]
    return [line for line in lines if line]


def test_the_readme_is_short() -> None:
    """The README is what it is, the two commands, one example per capability and links: under 200 lines."""
    assert len(README.read_text(encoding="utf-8").splitlines()) < 200


def _serve(args: list[str], cwd: Path, env: dict[str, str]) -> dict[str, int]:
    port = str(free_port())
    if "--port" in args:
        args[args.index("--port") + 1] = port
    else:
        args += ["--port", port]
    server = subprocess.Popen([str(SYNDICATION), *args], cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None and time.monotonic() < deadline, "serve did not start"
                time.sleep(0.2)
        paths = ("/subscribe", "/feeds/all.atom", "/openapi.json")
        return {path: httpx.get(f"http://127.0.0.1:{port}{path}", timeout=10).status_code for path in paths}
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_every_readme_command_runs(tmp_path: Path) -> None:
    """The README's `syndication` commands succeed one after the other, like a newcomer's shell, on a laptop
    without SYNDICATION_SECRET_KEY; `serve` answers; every other command is run by a named test or .ci/run."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("SYNDICATION_")}
    cwd = tmp_path
    outcomes: dict[str, object] = {}
    for line in readme_commands():
        args = shlex.split(line)
        if args[0] == "cd":
            cwd = cwd / args[1]
            outcomes[line] = cwd.is_dir()
        elif args[0] != "syndication":
            outcomes[line] = line in RUN_ELSEWHERE
        elif args[1] == "serve":
            outcomes[line] = _serve(args[1:], cwd, env) == {"/subscribe": 200, "/feeds/all.atom": 200,
                                                            "/openapi.json": 200}
        else:
            done = subprocess.run([str(SYNDICATION), *args[1:]], cwd=cwd, env=env, capture_output=True, text=True,
                                  timeout=180)
            outcomes[line] = done.returncode == 0 or done.stderr[-500:]
    assert {line: True for line in outcomes} == outcomes
    assert 15 <= sum(line.startswith("syndication ") for line in outcomes)
