"""HTTP servers for tests, on 127.0.0.1 only: quiet when a client goes away, and stopped whole.

A handler thread left running after its test may still write to a socket its client closed (a time-out test
does exactly that). On Python 3.11 the traceback it would print formats its carets with ``ast.parse``, which
races with any ``ast.parse`` of the main thread ("AST constructor recursion depth mismatch", CPython
gh-106905): a later, unrelated test fails. So a client that went away is not printed, and closing the server
waits for every handler (``daemon_threads = False``): none outlives its test.
"""
from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from socketserver import ThreadingMixIn
from typing import TypeVar
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer


class LocalServer(ThreadingHTTPServer):
    daemon_threads = False
    block_on_close = True

    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(("127.0.0.1", 0), handler)

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def handle_error(self, request: object, client_address: object) -> None:
        if not isinstance(sys.exc_info()[1], OSError):  # a client that went away (size, deadline) is expected
            super().handle_error(request, client_address)  # type: ignore[arg-type]


class _QuietWSGIHandler(WSGIRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


class LocalWSGIServer(ThreadingMixIn, WSGIServer):
    """A WSGI app (the API's own, with its layers) served the same way: threads joined on close, a lost client
    not printed, no access lines on stderr."""

    daemon_threads = False
    block_on_close = True

    def __init__(self, app: Callable) -> None:
        super().__init__(("127.0.0.1", 0), _QuietWSGIHandler)
        self.set_app(app)

    port = LocalServer.port
    handle_error = LocalServer.handle_error


Server = TypeVar("Server", LocalServer, LocalWSGIServer)


@contextmanager
def serving(server: Server, before_stop: threading.Event | None = None) -> Iterator[Server]:
    """The server, answering in a thread; when the block ends, ``before_stop`` is set (so a handler that waits on
    it returns), then the server stops and its handlers are joined."""
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        if before_stop is not None:
            before_stop.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
