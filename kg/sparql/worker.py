"""The query process: ``python -m kg.sparql.worker FD SETTINGS_JSON``.

A fresh interpreter started by :mod:`kg.sparql.pool` (spawned, never forked: the API process has
threads; and unlike multiprocessing's "spawn" it does not re-import the server's ``__main__``). It
asks to die with its parent, opens the release's on-disk store read-only (``store_dir``: the pages
every process on the machine shares) or, for a release without one, loads ``nt_path`` into its own
memory (either way a :class:`kg.store.OxigraphStore`, the store interface every reader goes through),
runs every code path once (nothing is imported lazily later), confines itself (:mod:`kg.sparql.sandbox`)
and then answers one request at a time over its end of a socket pair (:mod:`kg.sparql.framing`: plain
bytes, one message each way): it checks (:mod:`kg.sparql.policy`), runs, counts and serializes
(:mod:`kg.sparql.results`), and sends back the reply. It ends on an empty message, at end of file on
its pipe, or when its parent is gone. It never imports Flask or owlready2.
"""
from __future__ import annotations

import json
import logging
import sys
from collections.abc import Sequence
from contextlib import suppress
from typing import Any

import pyoxigraph

from kg.sparql import cost, framing, policy, sandbox
from kg.sparql.policy import NARROW, Refusal
from kg.sparql.results import GRAPH_FORMATS, RESULT_FORMATS, serialize
from kg.store import OxigraphStore

log = logging.getLogger("osteokg.sparql")


class Engine:
    """What a query process holds: the store (:class:`kg.store.OxigraphStore`), the row cap and the base IRI
    of relative IRIs. A client's query runs raw (:meth:`OxigraphStore.run`) and its pyoxigraph result is
    serialized here (:mod:`kg.sparql.results`: the row cap, formats)."""

    def __init__(self, nt_path: str | None, max_rows: int, base_iri: str | None = None,
                 store_dir: str | None = None, max_seconds: float = 0.0, timeout: float = 0.0) -> None:
        self.store = OxigraphStore.read_only(store_dir) if store_dir else OxigraphStore(nt_path)
        self.max_rows = max_rows
        self.base_iri = base_iri
        self.max_seconds = max_seconds  # the cost guard's bound (kg.sparql.cost); 0: no guard
        self.timeout = timeout
        self._counts: dict[cost.Pattern, int] = {}
        self._verdicts: dict[str, cost.Estimate | None] = {}

    def count(self, pattern: cost.Pattern) -> int:
        """How many triples match ``pattern`` (counted once per pattern: the store is read-only)."""
        if pattern not in self._counts:
            if len(self._counts) > 4096:
                self._counts.clear()
            result = self.store.run(cost.pattern_query(pattern))
            row = next(iter(result), None) if isinstance(result, pyoxigraph.QuerySolutions) else None
            self._counts[pattern] = int(row[0].value) if row is not None and row[0] is not None else 0
        return self._counts[pattern]

    def guard(self, text: str) -> None:
        """Refuse (422) a query whose estimated run time is over the guard's bound (kg.sparql.cost)."""
        if not self.max_seconds:
            return
        if text in self._verdicts:  # a text seen before: its estimate, once per text (the store never changes)
            found = self._verdicts[text]
        else:
            found = cost.estimate(text, self.count, self.max_rows) if cost.worth_estimating(text) else None
            if len(self._verdicts) >= 1024:
                self._verdicts.clear()
            self._verdicts[text] = found
        if found is not None and found.seconds > self.max_seconds:
            raise Refusal(422, "Query would not finish",
                          f"By this endpoint's estimate the query needs {found.describe()} to answer (its patterns "
                          f"multiply into that many rows, which it must count, hold or sort before its answer), "
                          f"far over the {self.timeout:g} s a query may run. {NARROW}",
                          estimated_rows=round(found.rows), estimated_seconds=round(found.seconds, 1),
                          timeout_seconds=self.timeout)

    def answer(self, text: str, results_format: str | None, graph_format: str | None) -> dict:
        """The reply to one query: ``status`` 200 with ``content_type`` and ``body``, or a problem."""
        try:
            return self._answer(text, results_format, graph_format)
        except Refusal as refusal:
            return refusal.reply()
        except MemoryError:
            return Refusal(503, "Query needs too much memory",
                           f"The query needed more memory than a query may use. {NARROW}").reply(retire=True)
        except RecursionError:
            return policy.malformed("The query is nested too deeply.").reply()
        except Exception:
            log.exception("SPARQL query failed")
            return Refusal(500, "Internal Server Error", "The query could not be evaluated; the error was logged.").reply()

    def _answer(self, text: str, results_format: str | None, graph_format: str | None) -> dict:
        text = policy.check(text)
        self.guard(text)
        try:
            result = self.store.run(text, base_iri=self.base_iri)
        except (SyntaxError, UnicodeEncodeError) as error:
            raise policy.unparsable(text, error) from None
        return serialize(result, results_format, graph_format, self.max_rows)

    def warm_up(self) -> None:
        """Run every code path once, so that nothing is imported lazily after the process is confined."""
        probes: list[tuple[str, Sequence[str | None], Sequence[str | None]]] = [
            ("SELECT * WHERE { ?s ?p ?o } LIMIT 2", list(RESULT_FORMATS), [None]),
            ("SELECT * WHERE { ?s ?p ?o } LIMIT 2 # service, from", ["json"], [None]),
            ("ASK { ?s ?p ?o }", list(RESULT_FORMATS), [None]),
            ("CONSTRUCT WHERE { ?s ?p ?o } LIMIT 2", [None], list(GRAPH_FORMATS)),
            ("CONSTRUCT { <s> <p> 1 } WHERE {}", [None], ["turtle"]),
            ("SELECT * { SERVICE <urn:x> { ?s ?p ?o } }", ["json"], [None]),
            ("SELECT * FROM <urn:x> { ?s ?p ?o }", ["json"], [None]),
            ("INSERT DATA { <urn:a> <urn:b> <urn:c> }", ["json"], [None]),
            ("SELEC * {}", ["json"], [None]),
            ("SELECT * { ?s ?p \"\\u00e9\" }", [None], [None]),
            ("SELECT * " + "{" * (policy.MAX_NESTING + 1) + "}" * (policy.MAX_NESTING + 1), ["json"], [None]),
            # the cost guard's path (a cross product, sorted; a count, grouped): refused or run
            (("SELECT * WHERE { ?s <urn:p> ?o . ?a <urn:q> ?c OPTIONAL { ?o <urn:r> ?r } FILTER(?o != ?c) } "
             "ORDER BY ?o LIMIT 1"),
             ["json"], [None]),
            (("SELECT ?p (COUNT(*) AS ?n) WHERE { { ?s ?p <urn:o> } UNION { <urn:s> ?p ?o } BIND(1 AS ?x) } GROUP BY ?p "
             "HAVING (COUNT(*) > 0) ORDER BY ?n LIMIT 1 OFFSET 1"), ["json"], [None]),
            ("SELECT (MAX(?o) AS ?m) WHERE { ?s <urn:p>/<urn:q>* ?o MINUS { ?s ?p 1 } VALUES ?s { <urn:s> } }",
             ["json"], [None]),
        ]
        for text, results_formats, graph_formats in probes:
            for results_format in results_formats:
                for graph_format in graph_formats:
                    self.answer(text, results_format, graph_format)
        framing.reply(Refusal(400, "t", "d").reply())
        framing.read_request(framing.request("ASK {}", "json", None))
        policy.clear_cache()
        cost.algebra.cache_clear()
        self._verdicts.clear()


def serve(conn: Any, settings: dict) -> None:
    """Serve one pipe: load and confine once, then answer until told to stop or the parent is gone."""
    parent = int(settings.get("parent") or 0)
    try:
        engine = Engine(settings.get("nt_path"), int(settings["max_rows"]), settings.get("base_iri"),
                        settings.get("store_dir"), float(settings.get("max_seconds") or 0.0),
                        float(settings.get("timeout") or 0.0))
        engine.warm_up()
        sandbox.confine(settings.get("memory") or None)
    except BaseException as error:  # noqa: BLE001 - report why, then end
        with suppress(Exception):
            conn.send({"ready": False, "error": f"{type(error).__name__}: {error}"})
        return
    conn.send({"ready": True})
    budget = sandbox.CpuBudget(float(settings["cpu_seconds"]))
    watched = bool(settings.get("dies_with_parent"))  # the kernel ends this process with its parent
    while True:
        try:
            # idle: check now and then that the parent is still there (where the kernel does not)
            while not watched and not conn.poll(1.0):
                if not sandbox.parent_alive(parent):
                    return
            message = conn.recv_bytes()
        except (EOFError, OSError):
            return  # the API process is gone
        if message == framing.STOP:
            return
        budget.before_query()
        reply = engine.answer(*framing.read_request(message))
        try:
            conn.send_bytes(framing.reply(reply))
        except (OSError, ValueError):
            return
        if reply.get("retire"):
            return


def main(argv: list[str]) -> int:
    from multiprocessing.connection import Connection

    fd, raw = argv
    settings = json.loads(raw)
    settings["dies_with_parent"] = sandbox.die_with_parent(int(settings.get("parent") or 0))
    conn = Connection(int(fd))
    try:
        serve(conn, settings)
    finally:
        with suppress(OSError):
            conn.close()
    return 0


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    sys.exit(main(sys.argv[1:]))
