"""Test helpers of `vdm app` in a real browser: the app served by `python -m vdm app` on a free local
port (its own process group, its log and Gradio's cache in a test folder), and Debian's chromium,
headless, driven by Playwright (its own browser download is not used)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import REPO
from playwright.sync_api import BrowserContext, sync_playwright

CHROMIUM = "/usr/bin/chromium"
# Headless chromium as root, quiet: no sandbox (root), no GPU, nothing fetched in the background.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--headless",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SERVE_S = 120  # Gradio's import and start
UI_MS = 60 * 1000


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_serving(url: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + SERVE_S
    while time.monotonic() < deadline:
        assert server.poll() is None, log.read_text()
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"vdm app did not serve {url} in {SERVE_S} s: {log.read_text()}")


@contextmanager
def started_app(root: Path, *args: object) -> Iterator[tuple[subprocess.Popen, str, int]]:
    """`python -m vdm app --port <free> ARGS` started (not yet serving: `wait_until_serving`), with
    Gradio's cache and its log (root/server.log) in `root`; stopped at the end."""
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "GRADIO_TEMP_DIR": str(root / "gradio"),
        "GRADIO_ANALYTICS_ENABLED": "False",
    }
    command = [sys.executable, "-m", "vdm", "app", "--port", str(port), *map(str, args)]
    with (root / "server.log").open("wb") as output:
        server = subprocess.Popen(
            command, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        yield server, f"http://127.0.0.1:{port}/", port
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


@contextmanager
def chromium(profile: Path) -> Iterator[BrowserContext]:
    """Debian's chromium, headless, with a fresh profile, downloads allowed."""
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            headless=True,
            accept_downloads=True,
            viewport={"width": 1400, "height": 1000},
        )
        yield context
        context.close()
