"""The server survives what was found (issue 8), on a real `osteokg serve` on 127.0.0.1: a killed
worker is respawned, and clients that send a POST body slowly cannot hold the WSGI threads."""
from __future__ import annotations

import json
import os
import signal
import socket
import time
import urllib.parse
import threading
import urllib.request
from contextlib import suppress
from pathlib import Path

from tests.api.conftest import group_members, start_server, stop_server


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
    assert group_members(process.pid) == []  # the respawned worker and its query processes are gone too


def test_slow_post_bodies_get_408_and_do_not_starve_the_server(build_dir: Path) -> None:
    """More slow POST clients than WSGI threads, each sending one byte a second: each holds a thread
    for about the body deadline, then gets 408 (or a closed connection), and the others are answered."""
    threads, slow_clients, body_timeout = 2, 4, 2.0
    process, base = start_server(build_dir, workers=1, extra_args=["--threads", str(threads)],
                                 extra_env={"OSTEOKG_BODY_TIMEOUT": str(body_timeout)})
    host, port = urllib.parse.urlsplit(base).hostname, urllib.parse.urlsplit(base).port
    query = b"SELECT * WHERE { ?s ?p ?o } LIMIT 1"
    head = (b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/sparql-query\r\n"
            b"Accept: application/sparql-results+json\r\nContent-Length: %d\r\n\r\n" % len(query))
    sockets: list[socket.socket] = []
    answers: dict[int, bytes] = {}
    stop = threading.Event()

    def trickle() -> None:  # one byte a second from each slow client, never the whole body
        for sent in range(len(query) - 1):
            for index, sock in enumerate(sockets):
                if index not in answers:
                    with suppress(OSError):
                        sock.sendall(query[sent:sent + 1])
            if stop.wait(1.0):
                return

    def listen(index: int, sock: socket.socket) -> None:
        sock.settimeout(body_timeout + 15)
        try:
            answers[index] = sock.recv(4096)  # the answer, or b"" when the server closed the connection
        except OSError as exc:
            answers[index] = repr(exc).encode()

    try:
        for _ in range(slow_clients):
            sock = socket.create_connection((host, port), timeout=5)
            sock.sendall(head)
            sockets.append(sock)
        started = time.monotonic()
        helpers = [threading.Thread(target=trickle, daemon=True)]
        helpers += [threading.Thread(target=listen, args=(i, s), daemon=True) for i, s in enumerate(sockets)]
        for helper in helpers:
            helper.start()
        time.sleep(0.5)  # the slow clients now hold every WSGI thread
        t0 = time.monotonic()
        assert healthy(base, timeout=body_timeout * 3 + 2), "no /health answer while slow clients were sending"
        get = urllib.parse.urlencode({"query": query.decode()})
        request = urllib.request.Request(f"{base}/sparql?{get}", headers={"Accept": "application/sparql-results+json"})
        with urllib.request.urlopen(request, timeout=body_timeout * 3 + 2) as response:
            assert response.status == 200 and json.loads(response.read())["results"]["bindings"]
        waited = time.monotonic() - t0
        assert waited < body_timeout * 3 + 1, f"/health and /sparql took {waited:.1f} s"
        for helper in helpers[1:]:
            helper.join(timeout=max(0.1, started + body_timeout + 15 - time.monotonic()))
        assert len(answers) == slow_clients, f"{slow_clients - len(answers)} slow client(s) not answered"
        for data in answers.values():
            assert data == b"" or data.startswith(b"HTTP/1.1 408"), data[:300]
        timed_out = [data for data in answers.values() if data.startswith(b"HTTP/1.1 408")]
        assert timed_out and all(b"application/problem+json" in data for data in timed_out), timed_out[:1]
        assert healthy(base)
    finally:
        stop.set()
        for sock in sockets:
            sock.close()
        stop_server(process)
