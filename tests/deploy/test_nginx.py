"""deploy/nginx/osteokg.conf, as shipped, in front of a real `osteokg serve`: what is too large to reach the app is
refused as the app refuses (problem+json with CORS), the client's address reaches the app (and a forged
X-Forwarded-For does not), the API down is a 502 problem with Retry-After. Debian's nginx; without it skipped (failed
under CI=true)."""
from __future__ import annotations

import contextlib
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from kg.build import build
from tests.api.conftest import free_port, start_server, stop_server
from tests.conftest import ROOT, ends_with_tests

CONF = ROOT / "deploy" / "nginx" / "osteokg.conf"
PROBLEM = "application/problem+json"


def nginx_binary() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("nginx is not installed; CI=true, so the reverse-proxy tests must run")
        pytest.skip("nginx is not installed (apt-get install nginx)")
    return found


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    """A real osteokg serve behind one trusted proxy, with its access log in a file."""
    folder = tmp_path_factory.mktemp("behind-nginx")
    build(out_dir=folder / "build")
    log = folder / "access.log"
    process, base = start_server(folder / "build", {"OSTEOKG_TRUSTED_PROXIES": "1", "OSTEOKG_ACCESS_LOG": str(log)})
    try:
        yield process, base, log
    finally:
        stop_server(process)


def served_conf(api_port: int, port: int) -> str:
    """The shipped server block, with only its two addresses changed to the test's."""
    text = CONF.read_text(encoding="utf-8")
    assert text.count("listen 80;") == 1 and text.count("server 127.0.0.1:8000;") == 1
    return text.replace("listen 80;", f"listen 127.0.0.1:{port};").replace("server 127.0.0.1:8000;",
                                                                           f"server 127.0.0.1:{api_port};")


@pytest.fixture(scope="module")
def proxy(api, tmp_path_factory):
    binary = nginx_binary()
    _, base, _ = api
    prefix = tmp_path_factory.mktemp("nginx")
    temp = prefix / "temp"
    temp.mkdir()
    (prefix / "osteokg.conf").write_text(served_conf(int(base.rsplit(":", 1)[1]), port := free_port()), encoding="utf-8")
    paths = " ".join(f"{name}_temp_path {temp / name};" for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    (prefix / "nginx.conf").write_text(
        # as root, nginx's workers would be nobody, who cannot enter the tests' private temporary folders
        f"{'user root; ' if os.geteuid() == 0 else ''}"
        f"daemon off; worker_processes 1; pid {prefix / 'nginx.pid'}; error_log {prefix / 'error.log'};\n"
        f"events {{ worker_connections 128; }}\n"
        f"http {{ access_log off; {paths} include {prefix / 'osteokg.conf'}; }}\n", encoding="utf-8")
    process = subprocess.Popen([binary, "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-e", str(prefix / "error.log")],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=ends_with_tests,
                               process_group=0)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"nginx did not start: {(prefix / 'error.log').read_text(errors='replace')[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            time.sleep(0.1)
    else:
        process.kill()
        pytest.fail("nginx did not listen within 20 s")
    try:
        yield port
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def request(port: int, method: str, path: str, body: bytes | None = None, headers: dict | None = None,
            source: str = "127.0.0.1") -> tuple[int, dict, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=(source, 0))
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def problem(answer: tuple[int, dict, bytes], status: int) -> dict:
    code, headers, body = answer
    assert code == status, (code, body[:200])
    assert headers["content-type"].startswith(PROBLEM) and headers["access-control-allow-origin"] == "*"
    document = json.loads(body)
    assert document["status"] == status and document["title"] and document["detail"]
    return document


def test_the_app_answers_through_it_and_no_version_is_said(proxy) -> None:
    status, headers, body = request(proxy, "GET", "/health")
    assert status == 200 and json.loads(body)["status"] == "ok"
    assert headers.get("server") in (None, "nginx")  # server_tokens off: no version
    assert "x-osteokg-release" in headers


def test_what_is_too_large_for_the_app_is_a_problem_with_cors(proxy) -> None:
    assert "POST" in problem(request(proxy, "GET", "/sparql?query=" + "a" * 70_000), 414)["detail"]
    # 32-48 KiB reaches the app, which refuses it itself (its own limit, OSTEOKG_SPARQL_MAX_QUERY_STRING)
    problem(request(proxy, "GET", "/sparql?query=" + "a" * 40_000), 414)
    problem(request(proxy, "GET", "/health", headers={"X-Big": "b" * 60_000}), 431)
    problem(request(proxy, "POST", "/sparql", body=b"a" * 2_000_000,
                    headers={"Content-Type": "application/sparql-query"}), 413)
    # the app's own body cap (64 KiB) below nginx's answers in the app's words
    problem(request(proxy, "POST", "/sparql", body=b"a" * 100_000, headers={"Content-Type": "application/sparql-query"}),
            413)


def log_clients(log: Path, path: str) -> list[str]:
    lines = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [line["client"] for line in lines if line["path"] == path]


def test_the_app_sees_the_client_not_the_proxy_nor_a_forged_address(api, proxy) -> None:
    _, _, log = api
    assert request(proxy, "GET", "/version", source="127.0.0.2", headers={"X-Forwarded-For": "6.6.6.6"})[0] == 200
    deadline = time.monotonic() + 10
    while not log_clients(log, "/version") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert log_clients(log, "/version") == ["127.0.0.2"]


def test_the_api_down_is_a_502_problem_to_retry(api, proxy) -> None:
    process, _, _ = api
    stop_server(process)
    answer = request(proxy, "GET", "/health")
    problem(answer, 502)
    assert answer[1]["retry-after"] == "5"
