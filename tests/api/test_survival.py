"""The server survives what was found (issue 8), on a real `osteokg serve` on 127.0.0.1: a killed
worker is respawned."""
from __future__ import annotations

import os
import signal
import time
import urllib.request
from pathlib import Path

from tests.api.conftest import start_server, stop_server


def children(pid: int) -> set[int]:
    """The PIDs of ``pid``'s direct children (Linux: /proc/PID/task/*/children)."""
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found.update(int(child) for child in (task / "children").read_text().split())
        except OSError:
            continue  # the thread ended meanwhile
    return found


def workers(pid: int) -> set[int]:
    """The server's granian workers: its children that are Python processes (not e.g. a resource tracker)."""
    found = set()
    for child in children(pid):
        try:
            cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
        except OSError:
            continue
        if b"resource_tracker" not in cmdline:
            found.add(child)
    return found


def healthy(base: str, timeout: float = 3.0) -> bool:
    try:
        with urllib.request.urlopen(f"{base}/health", timeout=timeout) as response:
            return response.status == 200
    except OSError:
        return False


def test_a_killed_worker_is_respawned(build_dir: Path) -> None:
    process, base = start_server(build_dir, workers=2)
    try:
        deadline = time.monotonic() + 30
        before = workers(process.pid)
        while len(before) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
            before = workers(process.pid)
        assert len(before) == 2, f"expected 2 workers under {process.pid}, found {before}"
        victim = min(before)
        os.kill(victim, signal.SIGKILL)
        respawned = False
        while time.monotonic() < deadline:
            now = workers(process.pid)
            if victim not in now and len(now - before) >= 1 and len(now) == 2 and healthy(base):
                respawned = True
                break
            assert process.poll() is None, f"the server exited after a worker was killed:\n{process.stdout.read()}"
            time.sleep(0.3)
        assert respawned, f"no new worker within 30 s (workers: {workers(process.pid)}, killed {victim})"
        assert process.poll() is None
        assert healthy(base)
    finally:
        stop_server(process)
