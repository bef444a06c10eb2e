"""The tests' own HTTP server: a handler still waiting when its test ends is released and joined, and the
client it lost is not printed (a traceback printed by a stray thread once failed an unrelated test, see
tests/local_server.py)."""
from __future__ import annotations

import http.client
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler
from typing import ClassVar

import pytest

from tests.local_server import LocalServer, LocalWSGIServer, serving


class _Waiter(BaseHTTPRequestHandler):
    release = threading.Event()
    answered: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.release.wait(30)
        time.sleep(0.2)  # still busy when the server closes: closing must wait for it
        self.send_response(200)
        self.end_headers()
        for _ in range(64):  # the client is gone: the writes fail
            self.wfile.write(b"x" * 65536)
        type(self).answered.append(self.path)

    def log_message(self, *args) -> None:
        pass


def test_a_waiting_handler_is_released_and_joined_and_its_lost_client_not_printed(capfd) -> None:
    _Waiter.release, _Waiter.answered = threading.Event(), []
    before = set(threading.enumerate())
    with serving(LocalServer(_Waiter), before_stop=_Waiter.release) as server:
        assert server.server_address[0] == "127.0.0.1"
        client = http.client.HTTPConnection("127.0.0.1", server.port, timeout=0.3)
        with pytest.raises(socket.timeout):
            client.request("GET", "/slow")
            client.getresponse()
        client.close()
    assert set(threading.enumerate()) <= before  # no handler outlives the block
    assert _Waiter.answered == []  # it failed on the closed socket, and said nothing
    assert "Traceback" not in capfd.readouterr().err


def test_a_wsgi_app_is_served_the_same_way(capfd) -> None:
    release = threading.Event()

    def app(environ, start_response):
        release.wait(30)
        time.sleep(0.2)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"x" * 65536] * 64

    before = set(threading.enumerate())
    with serving(LocalWSGIServer(app), before_stop=release) as server:
        client = http.client.HTTPConnection("127.0.0.1", server.port, timeout=0.3)
        with pytest.raises(socket.timeout):
            client.request("GET", "/slow")
            client.getresponse()
        client.close()
    assert set(threading.enumerate()) <= before
    assert "Traceback" not in capfd.readouterr().err
