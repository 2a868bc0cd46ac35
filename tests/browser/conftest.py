"""The real stack for browser tests: `newsum serve` in a subprocess and Debian's Chromium.

`newsum serve` runs as a user would start it: no NEWSUM_REDIS_URL (so it brings
its embedded Redis and a worker), its Redis folder and an empty model folder in
the test's temp dir (so the offline profile answers, with its warning).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
READY_TIMEOUT_S = 120.0


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip browser tests when Chromium is missing, except in CI (where it is a failure)."""
    if CHROMIUM.exists() or os.environ.get("CI"):
        return
    skip = pytest.mark.skip(
        reason=f"{CHROMIUM} is missing: apt-get install -y chromium fonts-wqy-microhei"
    )
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(skip)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _newsum_command() -> list[str]:
    script = Path(sys.executable).with_name("newsum")
    if script.exists():
        return [str(script)]
    found = shutil.which("newsum")
    if found:
        return [found]
    return [sys.executable, "-c", "from service.cli import main; main()"]


@dataclass
class Server:
    url: str
    log: Path
    process: subprocess.Popen[bytes] | None

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return "(no log)"


def _get(url: str, timeout: float = 3.0) -> int:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except (urllib.error.URLError, OSError):
        return 0


@pytest.fixture(scope="session")
def newsum_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`newsum serve --port <free>` with an embedded Redis; waits for /readyz.

    With NEWSUM_BROWSER_TEST_URL set, the tests drive that running stack instead
    (a docker-compose deployment, say; it must answer in the offline profile).
    """
    given = os.environ.get("NEWSUM_BROWSER_TEST_URL")
    if given:
        if _get(f"{given.rstrip('/')}/readyz") != 200:
            pytest.fail(f"NEWSUM_BROWSER_TEST_URL={given} is not ready (/readyz)")
        yield Server(url=given.rstrip("/"), log=Path(os.devnull), process=None)
        return
    home = tmp_path_factory.mktemp("newsum-serve")
    # An empty model folder: the offline profile.
    with serve(home, {}, []) as server:
        yield server


@contextlib.contextmanager
def serve(home: Path, extra_env: dict[str, str], extra_args: list[str]) -> Iterator[Server]:
    """`newsum serve --port <free> EXTRA_ARGS` with an embedded Redis in ``home``, the
    models of ``home/models``, no NEWSUM_ setting of this process; yields once /readyz
    answers 200, stops its process group after."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSUM_")}
    env.update(
        NEWSUM_REDIS_DIR=str(home / "redis"),
        NEWSUM_MODEL_DIR=str(home / "models"),
        NEWSUM_ANONYMOUS="all",  # the page submits batches without a key
        HF_HUB_OFFLINE="1",
        PYTHONUNBUFFERED="1",
        **extra_env,
    )
    log = home / "serve.log"
    repo = Path(__file__).resolve().parents[2]
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [*_newsum_command(), "serve", "--port", str(port), *extra_args],
            cwd=repo,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the worker and Redis go with it
        )
    server = Server(url=f"http://127.0.0.1:{port}", log=log, process=process)
    try:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while _get(f"{server.url}/readyz") != 200:
            if process.poll() is not None:
                pytest.fail(
                    f"`newsum serve` exited with {process.returncode}:\n{server.log_tail()}"
                )
            if time.monotonic() > deadline:
                pytest.fail(
                    f"`newsum serve` not ready after {READY_TIMEOUT_S:.0f} s:\n{server.log_tail()}"
                )
            time.sleep(0.5)
        yield server
    finally:
        _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the process group we started, then SIGKILL if it lingers."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    except ProcessLookupError:
        pass


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture()
def page(browser: Any, newsum_server: Server) -> Iterator[Any]:
    """A fresh page at 1280×900 on the running service; fails the test on a JS error."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        yield page
    finally:
        context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"
