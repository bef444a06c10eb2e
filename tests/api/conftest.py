"""API fixtures: the real graph built once into a temporary folder, the Flask app over it, and a
real `osteokg serve` process on 127.0.0.1 for clients that speak HTTP."""
from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from kg.build import build
from tests.conftest import ends_with_tests


@pytest.fixture(scope="session")
def build_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("served") / "build"
    build(out_dir=out)
    return out


@pytest.fixture(scope="session")
def app(build_dir: Path):
    from api import create_app

    return create_app({"TESTING": True, "BUILD_DIR": str(build_dir)})


@pytest.fixture
def client(app):
    return app.test_client()


def fetch(url: str, *, method: str = "GET", data: bytes | None = None, headers: dict[str, str] | None = None,
          timeout: float = 60) -> tuple[int, Any, bytes]:
    """One HTTP exchange with urllib: (status, headers, body), also for 4xx/5xx."""
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers, error.read()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(build_dir: Path, extra_env: dict[str, str] | None = None, workers: int = 1,
                 extra_args: list[str] | None = None):
    """Start `osteokg serve` on a free loopback port; wait (bounded) until /health answers."""
    port = free_port()
    # no access log unless a test asks for one: nothing reads the server's output pipe while it runs
    env = {**os.environ, "OSTEOKG_BUILD_DIR": str(build_dir), "OSTEOKG_ACCESS_LOG": "", **(extra_env or {})}
    # a process group of its own, so that stop_server ends every process of the server: a worker granian
    # respawned after a kill outlived the server's main process (found orphaned after test_survival)
    process = subprocess.Popen(
        [sys.executable, "-m", "kg.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
         "--workers", str(workers), "--out", str(build_dir), *(extra_args or [])],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, preexec_fn=ends_with_tests,
        process_group=0)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"osteokg serve exited early:\n{process.stdout.read()}")
        try:
            with urllib.request.urlopen(f"{base}/health", timeout=2) as response:
                if response.status == 200:
                    return process, base
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("osteokg serve did not become healthy within 60 s")


def group_members(group: int) -> list[int]:
    """The live processes of process group ``group`` (Linux: from /proc; a zombie is not live)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[0] != "Z" and int(fields[2]) == group:
                found.append(int(entry.name))
    return found


def stop_server(process: subprocess.Popen, wait: float = 20) -> None:
    """Terminate a server process (kill it after ``wait`` seconds), then kill what is left of its process group
    (a respawned worker, a query process), and close its pipes."""
    process.terminate()
    try:
        process.wait(timeout=wait)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
    deadline = time.monotonic() + 10
    while group_members(process.pid) and time.monotonic() < deadline:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        time.sleep(0.1)
    for pipe in (process.stdout, process.stderr):
        if pipe:
            pipe.close()


@pytest.fixture(scope="session")
def server(build_dir: Path):
    """Base URL of a real server (granian, 2 workers) over the built graph; stopped at the end."""
    process, base = start_server(build_dir, workers=2)
    yield base
    stop_server(process)
