"""Per-client limits on the SPARQL endpoint, shared by every worker process, in the manner of WDQS.

One client's expensive queries must not starve everyone else's. Each client (its address, as the door
names it) may have at most ``concurrent`` queries running at once, and may spend at most ``budget``
seconds of query time in any ``window`` seconds (WDQS: 5 at once, 60 s per 60 s). A query over either
limit is refused before it reaches a query process, with the seconds after which it would be let in
(for ``Retry-After``). A limit that each worker process kept for itself would multiply by the number of
workers, so the counts live in one SQLite file beside the API's other writes (``OSTEOKG_DATA_DIR``).

Use: ``with limits.admit(client): ...run the query...`` (or :meth:`Limits.enter` and :meth:`Limits.leave`) — it raises
:class:`Limited` when over a limit, and on leaving the block the query's time is charged to the client
(a refused or failed query is charged its time too: the work was done). A process killed while holding
a ticket leaves a running row behind; rows older than ``stale`` seconds (more than any query may run)
no longer count.

Within one worker process, :class:`Share` keeps one client from holding every query process of that worker: a
client may hold at most ``most`` of them (one fewer than there are), and its next query waits for its own to
finish rather than for everyone's. Without it, a client's two runaway queries on one worker held both its
processes for a whole time limit, and every other client's query on that worker waited behind them.

SQLite in WAL mode, ``synchronous=OFF`` (these counts are not worth a disk flush: a machine crash resets
them), a connection per thread (and per process, so a forked worker opens its own), one short ``BEGIN
IMMEDIATE`` transaction per admission and one per release, so two workers never admit past a limit
together. Nothing here knows Flask or HTTP.
"""
from __future__ import annotations

import math
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from kg import settings
from kg.errors import KgError

FILE = "sparql-limits.sqlite"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS running (ticket TEXT PRIMARY KEY, client TEXT NOT NULL, started REAL NOT NULL);
CREATE INDEX IF NOT EXISTS running_client ON running (client);
CREATE TABLE IF NOT EXISTS spent (client TEXT NOT NULL, ended REAL NOT NULL, seconds REAL NOT NULL);
CREATE INDEX IF NOT EXISTS spent_client ON spent (client, ended);
"""


class Limited(KgError):
    """A query refused because its client is over a limit (429); ``retry_after`` is in whole seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Ticket:
    """One admitted query."""

    id: str
    client: str
    started: float


@dataclass
class Limits:
    """The limits, and the file that counts against them."""

    path: Path
    concurrent: int = settings.default("SPARQL_CLIENT_QUERIES")  # the settings table's defaults: one place
    budget: float = settings.default("SPARQL_CLIENT_SECONDS")
    window: float = settings.default("SPARQL_CLIENT_WINDOW")
    stale: float = 120.0

    def __post_init__(self) -> None:
        self.path = Path(self.path)
        self._connections: dict[tuple[int, int], sqlite3.Connection] = {}

    def _connection(self) -> sqlite3.Connection:
        """This thread's connection (one per thread and process: a forked child opens its own)."""
        key = (os.getpid(), threading.get_ident())
        connection = self._connections.get(key)
        if connection is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(self.path, timeout=10, isolation_level=None, check_same_thread=False)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=OFF")
            connection.executescript(_SCHEMA)
            self._connections[key] = connection
        return connection

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        connection = self._connection()
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield connection
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")

    def _enter(self, client: str, now: float) -> str:
        ticket = secrets.token_hex(8)
        with self._transaction() as connection:
            connection.execute("DELETE FROM running WHERE started < ?", (now - self.stale,))
            connection.execute("DELETE FROM spent WHERE ended < ?", (now - self.window,))
            running = connection.execute("SELECT count(*) FROM running WHERE client = ?", (client,)).fetchone()[0]
            if running >= self.concurrent:
                raise Limited(f"this client already has {running} SPARQL queries running (at most {self.concurrent} "
                              f"at once); wait for one to finish", 1)
            rows = connection.execute("SELECT ended, seconds FROM spent WHERE client = ? ORDER BY ended",
                                      (client,)).fetchall()
            used = sum(seconds for _ended, seconds in rows)
            if used >= self.budget:
                # the budget frees as the oldest charges leave the window
                over, wait = used - self.budget, self.window
                for ended, seconds in rows:
                    over -= seconds
                    if over < 0:
                        wait = ended + self.window - now
                        break
                raise Limited(f"this client has used {used:.1f} s of SPARQL query time in the last "
                              f"{self.window:g} s (at most {self.budget:g} s)", max(1, math.ceil(wait)))
            connection.execute("INSERT INTO running VALUES (?, ?, ?)", (ticket, client, now))
        return ticket

    def _leave(self, ticket: str, client: str, started: float, ended: float) -> None:
        with self._transaction() as connection:
            connection.execute("DELETE FROM running WHERE ticket = ?", (ticket,))
            connection.execute("INSERT INTO spent VALUES (?, ?, ?)", (client, ended, max(0.0, ended - started)))

    def enter(self, client: str) -> Ticket:
        """Let one query of ``client`` start (:class:`Limited` if it is over a limit); :meth:`leave` when it ends."""
        started = time.time()
        return Ticket(self._enter(client, started), client, started)

    def leave(self, ticket: Ticket, seconds: float | None = None) -> None:
        """The query of ``ticket`` ended: it no longer runs, and its time is charged to its client: ``seconds`` when
        given (the time it held a query process: kg.sparql.pool.query_seconds), else the time since :meth:`enter`."""
        ended = time.time()
        self._leave(ticket.id, ticket.client, ended - seconds if seconds is not None else ticket.started, ended)

    @contextmanager
    def admit(self, client: str) -> Iterator[Ticket]:
        """:meth:`enter`, then :meth:`leave` however the block ends (a failed query's time is charged too)."""
        ticket = self.enter(client)
        try:
            yield ticket
        finally:
            self.leave(ticket)

    def close(self) -> None:
        """Close this process's connections (the counts stay in the file)."""
        for key in [k for k in self._connections if k[0] == os.getpid()]:
            self._connections.pop(key).close()

    def charge(self, client: str, seconds: float) -> None:
        """Charge ``seconds`` of query time to ``client`` without a ticket (a query answered elsewhere)."""
        now = time.time()
        with self._transaction() as connection:
            connection.execute("INSERT INTO spent VALUES (?, ?, ?)", (client, now, max(0.0, seconds)))


__all__ = ["FILE", "Limited", "Limits", "Ticket"]


class Share:
    """This worker process's ``processes`` query processes, shared out: one client holds at most ``most`` of them at
    once, one fewer than there are (so one is always left to the others; with a single process, that one). Its next
    query waits (at most ``patience`` seconds: longer than any query runs) for one of its own to end, then runs; past
    ``patience``, :class:`Limited`. Other clients never wait for it. In memory: each worker process has its own
    query processes, so its own share."""

    def __init__(self, processes: int, patience: float) -> None:
        self.processes, self.patience = processes, patience
        self.most = max(1, processes - 1)
        self._held: dict[str, int] = {}
        self._freed = threading.Condition()

    @contextmanager
    def hold(self, client: str) -> Iterator[None]:
        deadline = time.monotonic() + self.patience
        with self._freed:
            while self._held.get(client, 0) >= self.most:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise Limited(f"this client's queries already hold {self.most} of this server process's "
                                  f"{self.processes} query processes (one is kept for other clients), and none "
                                  f"finished within {self.patience:g} s", 1)
                self._freed.wait(left)
            self._held[client] = self._held.get(client, 0) + 1
        try:
            yield
        finally:
            with self._freed:
                left_held = self._held[client] - 1
                if left_held:
                    self._held[client] = left_held
                else:
                    del self._held[client]
                self._freed.notify_all()

    def held(self, client: str) -> int:
        with self._freed:
            return self._held.get(client, 0)
