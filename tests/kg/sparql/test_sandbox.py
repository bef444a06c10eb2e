"""The sandbox of a query process: no sockets, and no life after its parent."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import kg
from tests.conftest import nobody_connected

ROOT = str(Path(kg.__file__).resolve().parents[1])


def test_a_query_process_cannot_open_a_connection(listener) -> None:
    """Behind the SERVICE check, the query process has no file descriptors to spare: even a SERVICE
    that reached pyoxigraph could not connect."""
    sock, port = listener
    code = (
        "import socket, pyoxigraph\n"
        "from kg.sparql.sandbox import confine\n"
        "confine(1 << 30)\n"
        "try:\n    socket.socket()\nexcept OSError:\n    print('no socket')\n"
        f"try:\n    list(pyoxigraph.Store().query('SELECT * {{ SERVICE <http://127.0.0.1:{port}/> {{ ?s ?p ?o }} }}'))\n"
        "except OSError:\n    print('no service')\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                            env={**os.environ, "PYTHONPATH": ROOT})
    assert result.stdout.split() == ["no", "socket", "no", "service"], result.stderr[-2000:]
    assert nobody_connected(sock)


def test_the_worker_never_imports_flask_or_owlready2() -> None:
    code = ("import sys, kg.sparql.worker, kg.sparql.pool\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'werkzeug', 'owlready2', 'api')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                            env={**os.environ, "PYTHONPATH": ROOT})
    assert result.stdout.strip() == "[]", result.stderr[-2000:]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
@pytest.mark.parametrize("busy", [False, True], ids=["idle", "answering"])
def test_a_query_process_ends_with_its_parent(nt_path: Path, busy: bool) -> None:
    """Probe: after kill -9 of a granian worker, its query process kept running at 100 % CPU. A query
    process now dies with the process that started it, idle or in the middle of a runaway query."""
    parent = textwrap.dedent(f"""
        import sys, threading, time
        from kg.sparql.pool import PoolSettings, QueryPool
        from tests.kg.sparql.conftest import ENDLESS
        pool = QueryPool(PoolSettings({str(nt_path)!r}, workers=1, timeout=600, max_rows=10, memory=None))
        assert pool.run("ASK {{}}", "json", None)["status"] == 200
        (worker,) = pool._workers
        print(worker.process.pid, flush=True)
        if {busy!r}:
            threading.Thread(target=pool.run, args=(ENDLESS, "json", None), daemon=True).start()
        time.sleep(600)
    """)
    process = subprocess.Popen([sys.executable, "-c", parent], stdout=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONPATH": ROOT}, cwd=ROOT)
    child = 0
    try:
        child = int(process.stdout.readline())
        assert Path(f"/proc/{child}").exists()
        if busy:  # wait (bounded) until the query process is at work on the runaway query
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and _cpu_ticks(child) < 50:
                time.sleep(0.1)
            assert _cpu_ticks(child) >= 50
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and _alive(child):
            time.sleep(0.05)
        assert not _alive(child)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        process.stdout.close()
        if child and _alive(child):  # the check failed: do not leave it running
            os.kill(child, signal.SIGKILL)


def _alive(pid: int) -> bool:
    """Whether ``pid`` is a live (not zombie) process."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _cpu_ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])  # utime + stime
