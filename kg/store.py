"""The stores the service reads from: small capability interfaces, three backends, one selector string.

A store says what it can do by the capabilities it implements (the manner of OAK's interfaces):

- :class:`Selects` — ``select(name, **terms)``: a named SELECT query of :mod:`kg.queries` with its
  parameters bound, rows of plain :class:`Value` objects;
- :class:`Constructs` — ``construct(name, **terms)``: a named CONSTRUCT query, triples of values;
- :class:`Counts` — ``triples()``: how many triples the store holds;
- :class:`Queries` — ``query(text, accept)``: a raw SPARQL 1.1 Protocol query, the answer's media
  type and bytes (for a door that forwards a client's query; its policy checks come first).

:class:`Store` is all four. The backends: :class:`OxigraphStore` (embedded pyoxigraph, the default,
chosen by ``bench/store_bench.py``: the release's on-disk store opened read-only, or a graph in memory),
:class:`RdflibStore` (rdflib's engine, the measured baseline)
and :class:`RemoteStore` (any SPARQL 1.1 Protocol endpoint over HTTP: an Oxigraph server,
Virtuoso, Fuseki …; nothing in it is specific to one server). :func:`open_store` picks one from a
selector (:data:`SELECTOR_FORMS`). Rows are identical on every backend: the same :class:`Value`
objects, an endpoint's JSON results mapped the same way as the embedded engines' terms (blank-node
labels are each store's own). Reasoning happened at build time: a store only serves triples.

The embedded selectors (``bench/results/sparql.md`` has the memory each takes):

- ``oxigraph`` (the default; ``oxigraph:BUILD_DIR``, a build or release folder): the release's on-disk store
  ``<release>/oxigraph`` (:data:`DISK_STORE`, written at build time by :func:`write_disk_store`), opened
  read-only (:meth:`OxigraphStore.read_only`). Every process that opens it — each API worker, each SPARQL
  query process — shares its pages through the operating system's file cache, so the graph is held once
  per machine. A folder without that store (a build from before it, a test fixture) is loaded from its
  ``osteokg.nt`` into memory, as before.
- ``oxigraph:FILE.nt``, ``oxigraph-memory`` and ``oxigraph-memory:PATH`` (a folder or an ``.nt`` file):
  the N-Triples loaded into this process's memory, whether or not a disk store is there.

Every reader goes through this module: the API's service layer, the QC report (an
:meth:`OxigraphStore.from_graph` of the graph in memory, its checks run by :func:`solutions`), the
SPARQL query process (:meth:`OxigraphStore.run`, pyoxigraph's own result objects) and the benches.
Only this module makes a ``pyoxigraph.Store`` (tests/kg/test_store.py checks the source tree), and
every query text, the triple count's too, is a named file of :mod:`kg.queries`.

A value reaches a query only as an RDF term built and checked by pyoxigraph and serialized by it
(:func:`kg.queries.bind`), on every backend alike — the remote store sends the bound text.
Credentials of a remote store come from ``OSTEOKG_STORE_USER`` / ``OSTEOKG_STORE_PASSWORD`` and never
appear in a message or a log; every request to it has a bounded time-out (``OSTEOKG_STORE_TIMEOUT``,
seconds, default 30).
"""
from __future__ import annotations

import base64
import json
import os
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Protocol, runtime_checkable

import pyoxigraph

from kg import queries, settings
from kg.errors import KgError
from kg.releases import DISK_STORE  # a release's on-disk store, <release>/oxigraph (written by write_disk_store)


@dataclass(frozen=True, slots=True)
class Value:
    """One bound value of a result row."""

    value: str
    kind: str  # "iri", "literal" or "bnode"
    lang: str | None = None
    datatype: str | None = None

    def python(self) -> object:
        """The literal as a Python value (bool, int, Decimal-like float, str)."""
        if self.kind != "literal" or self.datatype is None:
            return self.value
        local = self.datatype.rsplit("#", 1)[-1]
        if local == "boolean":
            return self.value == "true"
        if local in ("integer", "int", "long", "nonNegativeInteger"):
            return int(self.value)
        if local in ("decimal", "double", "float"):
            return float(self.value)
        return self.value


Row = dict[str, Value]
Triple = tuple[Value, Value, Value]
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
PLAIN = (XSD_STRING, RDF_LANG_STRING)  # datatypes a Value leaves out (a plain or language-tagged string)
XSD_BOOLEAN = "http://www.w3.org/2001/XMLSchema#boolean"
ASK_COLUMN = "answer"  # an ASK query's one row: {"answer": true or false}

SELECTOR_FORMS = (("oxigraph:PATH (embedded, the default: the release's on-disk store, read-only, else its "
                   "N-Triples in memory)"), "oxigraph-memory:PATH (embedded, in memory)", "rdflib:PATH",
                  "http(s)://HOST/… (a SPARQL 1.1 endpoint)", "oxigraph, oxigraph-memory or rdflib (over the build folder)")
ENV_USER, ENV_PASSWORD, ENV_TIMEOUT = (settings.setting(name).env for name in ("STORE_USER", "STORE_PASSWORD",
                                                                              "STORE_TIMEOUT"))
DEFAULT_TIMEOUT = settings.default("STORE_TIMEOUT")
SPARQL_JSON = "application/sparql-results+json"
N_TRIPLES = "application/n-triples"
#: the named query (kg/queries/count-triples.rq) a remote store counts its triples with (an embedded one knows)
COUNT_TRIPLES = "count-triples"


class StoreError(KgError, RuntimeError):
    """A store cannot be opened or did not answer: the message names the store (never its credentials)."""


class SelectorError(KgError, ValueError):
    """A store selector that is none of :data:`SELECTOR_FORMS`."""


# ---------------------------------------------------------------------------------------- capabilities

@runtime_checkable
class Selects(Protocol):
    """Answers named SELECT queries with bound terms."""

    name: str

    def select(self, query: str, **terms: queries.Term) -> list[Row]:
        """Run the named SELECT ``query`` with its parameters bound; rows of plain values. A named ASK query
        answers one row, ``{"answer": xsd:boolean}`` (:func:`ask_row`)."""
        ...


@runtime_checkable
class Constructs(Protocol):
    """Answers named CONSTRUCT queries with bound terms."""

    def construct(self, query: str, **terms: queries.Term) -> list[Triple]:
        """Run the named CONSTRUCT ``query`` with its parameters bound; triples of plain values."""
        ...


@runtime_checkable
class Counts(Protocol):
    """Knows its size."""

    def triples(self) -> int:
        """How many triples the store holds."""
        ...


@dataclass(frozen=True)
class RawAnswer:
    """The answer to a raw protocol query: its media type and body, as the engine wrote them."""

    content_type: str
    body: bytes


@runtime_checkable
class Queries(Protocol):
    """Answers a raw SPARQL query as the SPARQL 1.1 Protocol would (for a door that forwards one)."""

    def query(self, text: str, accept: str = SPARQL_JSON) -> RawAnswer:
        """Run ``text`` (already checked by the caller's policy) and give the answer in the media type ``accept``."""
        ...


@runtime_checkable
class Store(Selects, Constructs, Counts, Queries, Protocol):
    """Every capability: what the service layer is given."""

    selector: str


#: an endpoint's ASK answered as a SELECT of this one column (Virtuoso: one row "1" when true, none when false)
VIRTUOSO_ASK = "__ASK_RETVAL"
_BOOLEAN_FORMS = {"1": "true", "0": "false"}  # XSD's other lexical forms of xsd:boolean (Virtuoso writes them)


def literal(value: str, lang: str | None, datatype: str | None) -> Value:
    """A literal as every backend gives it: no datatype for a plain or language-tagged string, and an
    ``xsd:boolean`` in its canonical form (``"1"`` is ``"true"``), whichever lexical form the store wrote."""
    if datatype in PLAIN:
        datatype = None
    elif datatype == XSD_BOOLEAN:
        value = _BOOLEAN_FORMS.get(value, value)
    return Value(value, "literal", lang, datatype)


def ask_row(answer: bool) -> list[Row]:
    """The one row of an ASK query's answer, the same on every backend."""
    return [{ASK_COLUMN: Value("true" if answer else "false", "literal", None, XSD_BOOLEAN)}]


# ---------------------------------------------------------------------------------------- pyoxigraph

def _from_oxigraph(term) -> Value:
    if isinstance(term, pyoxigraph.NamedNode):
        return Value(term.value, "iri")
    if isinstance(term, pyoxigraph.BlankNode):
        return Value(term.value, "bnode")
    return literal(term.value, term.language, term.datatype.value)


def _oxigraph_answer(result, accept: str) -> RawAnswer:
    """A pyoxigraph query result serialized in the media type ``accept`` (ValueError when it has none)."""
    if isinstance(result, pyoxigraph.QueryTriples):
        fmt = pyoxigraph.RdfFormat.from_media_type(accept)
        if fmt is None:
            raise ValueError(f"no RDF format for {accept!r}")
        return RawAnswer(fmt.media_type, result.serialize(format=fmt) or b"")
    results_format = pyoxigraph.QueryResultsFormat.from_media_type(accept)
    if results_format is None:
        raise ValueError(f"no SPARQL results format for {accept!r}")
    return RawAnswer(results_format.media_type, result.serialize(format=results_format) or b"")


def _to_oxigraph(node):
    """An rdflib term as the pyoxigraph term of the same RDF value (a blank node keeps its label)."""
    from rdflib import BNode, Literal, URIRef

    if isinstance(node, URIRef):
        return pyoxigraph.NamedNode(str(node))
    if isinstance(node, BNode):
        return pyoxigraph.BlankNode(str(node))
    if isinstance(node, Literal):
        if node.language:
            return pyoxigraph.Literal(str(node), language=node.language)
        if node.datatype is not None:
            return pyoxigraph.Literal(str(node), datatype=pyoxigraph.NamedNode(str(node.datatype)))
        return pyoxigraph.Literal(str(node))
    raise TypeError(f"cannot store {node!r}")


class OxigraphStore:
    """pyoxigraph's store: the release's on-disk store opened read-only (:meth:`read_only`, what
    :func:`open_store` does when the release has one), or in memory — loaded from the built N-Triples
    (``OxigraphStore(path)``), or from what a caller holds: :meth:`from_graph` (an rdflib graph, at build
    time), :meth:`from_bytes` (serialized RDF), :meth:`from_file` (any RDF file). This is the one place
    that makes a ``pyoxigraph.Store`` (tests/kg/test_store.py checks it). ``directory`` is the on-disk
    store's folder, None for one in memory."""

    name = "oxigraph"

    def __init__(self, nt_path: Path | str | None = None, *, selector: str | None = None) -> None:
        self.selector = selector or f"oxigraph:{nt_path}"
        self.directory: Path | None = None
        self.store = pyoxigraph.Store()
        if nt_path is not None:
            self.store.bulk_load(path=str(nt_path), format=pyoxigraph.RdfFormat.N_TRIPLES)

    @classmethod
    def read_only(cls, directory: Path | str, *, selector: str | None = None) -> OxigraphStore:
        """The on-disk store in ``directory`` (written by :func:`write_disk_store`) opened read-only: its pages
        are the operating system's file cache, shared by every process that opens it, so the graph is held
        once per machine however many processes serve it. An update is refused by the engine itself
        (``RuntimeError``). A folder that holds no store is a :class:`StoreError` naming it."""
        found = cls.__new__(cls)
        found.selector = selector or f"oxigraph:{directory}"
        found.directory = Path(directory)
        try:
            found.store = pyoxigraph.Store.read_only(str(directory))
        except OSError as error:
            raise StoreError(f"{directory} cannot be opened as an on-disk Oxigraph store ({error}); "
                             f"rebuild it (kg.store.write_disk_store)") from None
        return found

    @classmethod
    def from_file(cls, path: Path | str, format: pyoxigraph.RdfFormat | None = None) -> OxigraphStore:
        """The RDF file ``path`` (its format ``format``, or else guessed by pyoxigraph from its extension)."""
        found = cls(selector=f"oxigraph:{path}")
        found.store.bulk_load(path=str(path), format=format)
        return found

    @classmethod
    def from_bytes(cls, data: bytes | str, format: pyoxigraph.RdfFormat = pyoxigraph.RdfFormat.N_TRIPLES,
                   *, selector: str = "oxigraph:memory") -> OxigraphStore:
        """RDF held in memory (N-Triples unless ``format`` says otherwise), with no file in between."""
        found = cls(selector=selector)
        found.store.bulk_load(data, format=format)
        return found

    @classmethod
    def from_graph(cls, graph, *, selector: str = "oxigraph:memory") -> OxigraphStore:
        """An rdflib ``graph`` copied term by term (blank-node labels kept, so a blank node of a result is
        the graph's own), with no serialization and no file in between."""
        found = cls(selector=selector)
        found.store.bulk_extend(pyoxigraph.Quad(_to_oxigraph(s), _to_oxigraph(p), _to_oxigraph(o))
                                for s, p, o in graph)
        return found

    def select(self, query: str, **terms: queries.Term) -> list[Row]:
        solutions = self.store.query(queries.bind(query, **terms))
        if isinstance(solutions, pyoxigraph.QueryBoolean):
            return ask_row(bool(solutions))
        if not isinstance(solutions, pyoxigraph.QuerySolutions):
            raise TypeError("select() runs a SELECT or ASK query; a CONSTRUCT or DESCRIBE is construct()'s")
        variables = [v.value for v in solutions.variables]
        return [{name: _from_oxigraph(term) for name, term in zip(variables, solution) if term is not None}
                for solution in solutions]

    def construct(self, query: str, **terms: queries.Term) -> list[Triple]:
        triples = self.store.query(queries.bind(query, **terms))
        if not isinstance(triples, pyoxigraph.QueryTriples):
            raise TypeError("construct() runs a CONSTRUCT or DESCRIBE query; a SELECT or ASK is select()'s")
        return [(_from_oxigraph(t.subject), _from_oxigraph(t.predicate), _from_oxigraph(t.object)) for t in triples]

    def query(self, text: str, accept: str = SPARQL_JSON) -> RawAnswer:
        return _oxigraph_answer(self.store.query(text), accept)

    def run(self, sparql: str, **options: Any) -> pyoxigraph.QuerySolutions | pyoxigraph.QueryBoolean | pyoxigraph.QueryTriples:
        """A raw query, results in pyoxigraph's own classes (``QuerySolutions``, ``QueryBoolean``,
        ``QueryTriples``); ``options`` are pyoxigraph's (``base_iri``, ``use_default_graph_as_union`` …).
        For a door that serializes pyoxigraph's answers itself (the query process) and the benches."""
        return self.store.query(sparql, **options)

    def triples(self) -> int:
        return len(self.store)


def write_disk_store(nt_path: Path, directory: Path) -> Path:
    """Bulk-load the N-Triples ``nt_path`` into a new on-disk pyoxigraph store at ``directory`` (which must not
    exist yet, or be empty) and make it ready to be opened read-only by any number of processes: flushed,
    then optimized (compacted: the bulk loader's files merged, so a reader opens a few sorted files), then
    closed. The build writes the release's store (``<release>/oxigraph``, :data:`DISK_STORE`); a release
    is never written again once served, so readers never see a writer (which pyoxigraph forbids).
    Returns ``directory``."""
    directory = Path(directory)
    if directory.exists() and any(directory.iterdir()):
        raise StoreError(f"{directory} is not empty: an on-disk store is written once, into a new folder")
    store = pyoxigraph.Store(str(directory))
    try:
        store.bulk_load(path=str(nt_path), format=pyoxigraph.RdfFormat.N_TRIPLES)
        store.flush()
        store.optimize()
    finally:
        del store  # closes the database (pyoxigraph has no close(); the last reference does it)
    return directory


def check_syntax(text: str, base_iri: str | None = None) -> None:
    """Parse ``text`` as the embedded engine would run it (its relative IRIs against ``base_iri``): a
    ``SyntaxError`` (pyoxigraph's message) when it is not SPARQL 1.1, ``UnicodeEncodeError`` for a character
    that is not a Unicode scalar value. For a door that forwards a query to a remote store and checks it here
    first; it runs over an empty store, so it costs a parse and nothing else."""
    pyoxigraph.Store().query(text, base_iri=base_iri)


# ---------------------------------------------------------------------------------------- rdflib

def _from_rdflib(term) -> Value | None:
    from rdflib import BNode, Literal, URIRef

    if isinstance(term, URIRef):
        return Value(str(term), "iri")
    if isinstance(term, BNode):
        return Value(str(term), "bnode")
    if isinstance(term, Literal):
        return literal(str(term), term.language, str(term.datatype) if term.datatype else None)
    return None


RDFLIB_FORMATS = {"application/sparql-results+json": "json", "application/sparql-results+xml": "xml",
                  "text/csv": "csv", "text/tab-separated-values": "tsv", "text/turtle": "turtle",
                  "application/n-triples": "nt", "application/rdf+xml": "xml"}


class RdflibStore:
    """rdflib's in-memory graph and SPARQL engine (the baseline the benchmark compares against)."""

    name = "rdflib"

    def __init__(self, nt_path: Path | str | None = None, *, graph=None, selector: str | None = None) -> None:
        from rdflib import Graph

        self.selector = selector or f"rdflib:{nt_path}"
        self.graph = graph if graph is not None else Graph()
        if nt_path is not None:
            self.graph.parse(nt_path, format="nt")

    @classmethod
    def from_graph(cls, graph, *, selector: str = "rdflib:memory") -> RdflibStore:
        """An rdflib ``graph`` itself (not a copy: a change to it is a change to the store)."""
        return cls(graph=graph, selector=selector)

    @classmethod
    def from_bytes(cls, data: bytes | str, format: str = "nt", *, selector: str = "rdflib:memory") -> RdflibStore:
        """RDF held in memory (N-Triples unless ``format``, an rdflib format name, says otherwise)."""
        found = cls(selector=selector)
        found.graph.parse(data=data, format=format)
        return found

    def select(self, query: str, **terms: queries.Term) -> list[Row]:
        text = queries.bind(query, **terms)
        result = self.graph.query(text)
        if result.type == "ASK":
            return ask_row(bool(result.askAnswer))
        # rdflib answers a GROUP BY over no solutions with one empty row; SPARQL 1.1 (§11.2, and
        # pyoxigraph) gives no group and so no row. Drop it, so both engines answer alike.
        grouped = "GROUP BY" in text.upper()
        variables = list(result.vars or [])
        rows: list[Row] = []
        for binding in result.bindings:
            if grouped and not binding:
                continue
            row: Row = {}
            for variable in variables:  # in the projection's order, as pyoxigraph gives them
                value = _from_rdflib(binding.get(variable))
                if value is not None:
                    row[str(variable)] = value
            rows.append(row)
        return rows

    def construct(self, query: str, **terms: queries.Term) -> list[Triple]:
        result = self.graph.query(queries.bind(query, **terms))
        found: list[Triple] = []
        for s, p, o in result:  # type: ignore[misc]
            values = (_from_rdflib(s), _from_rdflib(p), _from_rdflib(o))
            if None not in values:
                found.append(values)  # type: ignore[arg-type]
        return found

    def query(self, text: str, accept: str = SPARQL_JSON) -> RawAnswer:
        fmt = RDFLIB_FORMATS.get(accept)
        if fmt is None:
            raise ValueError(f"rdflib cannot write {accept!r}")
        body = self.graph.query(text).serialize(format=fmt, encoding="utf-8")
        return RawAnswer(accept, body if isinstance(body, bytes) else (body or "").encode("utf-8"))

    def run(self, sparql: str, **options):
        """A raw query, the answer in rdflib's own classes (a ``Result``); ``options`` go to ``Graph.query``."""
        return self.graph.query(sparql, **options)

    def triples(self) -> int:
        return len(self.graph)


# ---------------------------------------------------------------------------------------- remote

def _from_json(binding: dict) -> Value:
    """One term of SPARQL 1.1 Query Results JSON, mapped as the embedded engines map theirs."""
    kind, value = binding.get("type"), binding.get("value", "")
    if kind == "uri":
        return Value(value, "iri")
    if kind == "bnode":
        return Value(value, "bnode")
    if kind in ("literal", "typed-literal"):
        return literal(value, binding.get("xml:lang"), binding.get("datatype"))
    raise StoreError(f"the endpoint answered a term of unknown type {kind!r}")


def _json_rows(body: bytes, selector: str) -> tuple[list[str], list[Row]]:
    """SPARQL 1.1 Query Results JSON as (the projected variables, rows of plain values); an ASK answer is
    ``[ASK_COLUMN]`` and :func:`ask_row`."""
    try:
        document = json.loads(body)
        if isinstance(document.get("boolean"), bool):
            return [ASK_COLUMN], ask_row(document["boolean"])
        bindings = document["results"]["bindings"]
        variables = list(document["head"]["vars"])
    except (ValueError, KeyError, TypeError, AttributeError):
        raise StoreError(f"{selector} did not answer with SPARQL results JSON") from None
    if variables == [VIRTUOSO_ASK]:  # an ASK answered as a one-column SELECT: true is one row "1", false none
        answer = bool(bindings) and bindings[0].get(VIRTUOSO_ASK, {}).get("value") == "1"
        return [ASK_COLUMN], ask_row(answer)
    # in the projection's order (head.vars), as the embedded engines give them
    return variables, [{name: _from_json(binding[name]) for name in variables if name in binding}
                       for binding in bindings]


def solutions(store: Queries, text: str) -> tuple[list[str], list[Row]]:
    """A SELECT (or ASK) given as text, not by name — e.g. a QC check read from its folder — through the
    raw-query capability :class:`Queries`, so it runs on every backend: the projected variables and rows
    of plain values, mapped as every backend maps its own. A syntax error is the engine's own
    (``SyntaxError`` from pyoxigraph)."""
    answer = store.query(text, SPARQL_JSON)
    return _json_rows(answer.body, getattr(store, "selector", type(store).__name__))


def credentials() -> tuple[str, str] | None:
    """The remote store's user and password from the environment, or None."""
    user = os.environ.get(ENV_USER)
    return (user, os.environ.get(ENV_PASSWORD, "")) if user else None


def _public(url: str) -> str:
    """``url`` without user information (for messages)."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))


def check_url(url: str, what: str = "store") -> str:
    """``url`` if it is an http(s) URL with a host and no user information; else :class:`SelectorError`."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SelectorError(f"the {what} URL must be http:// or https:// with a host, not {_public(url)!r}")
    if parts.username is not None or parts.password is not None:
        raise SelectorError(f"the {what} URL must not hold credentials; set {ENV_USER} and {ENV_PASSWORD} "
                            f"instead ({_public(url)})")
    return url


def request(url: str, data: bytes | None, headers: dict[str, str], method: str, timeout: float,
            what: str) -> tuple[str, bytes]:
    """One bounded HTTP request with the environment's credentials: (Content-Type, body), or :class:`StoreError`
    naming ``what`` and the URL (never the credentials)."""
    # imported here, not with the module: the SPARQL query processes import kg.store for OxigraphStore and
    # would otherwise each carry urllib.request, http.client and ssl (about 9 MB) they never use
    import urllib.error
    import urllib.request

    headers = dict(headers)
    user = credentials()
    if user is not None:
        token = base64.b64encode(f"{user[0]}:{user[1]}".encode("utf-8")).decode("ascii")
        headers["Authorization"] = f"Basic {token}"
    req = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:  # noqa: S310 - checked http(s) URL
            return response.headers.get("Content-Type", ""), response.read()
    except urllib.error.HTTPError as error:
        detail = " ".join(error.read(500).decode("utf-8", "replace").split())[:300]
        error.close()
        raise StoreError(f"{what} failed: {_public(url)} answered {error.code} {error.reason}"
                         + (f": {detail}" if detail else "")) from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise StoreError(f"{what} failed: {_public(url)} did not answer within {timeout:g} s ({reason})") from None


class RemoteStore:
    """A SPARQL 1.1 Protocol endpoint over HTTP: POST ``query=`` (form-encoded), answers as SPARQL results JSON
    (SELECT) or N-Triples (CONSTRUCT). Any standard server works; a query string in the URL (e.g.
    ``?default-graph-uri=…``) is sent with every query."""

    name = "remote"

    def __init__(self, url: str, timeout: float | None = None) -> None:
        self.url = check_url(url)
        self.selector = _public(url)
        self.timeout = timeout if timeout is not None else settings.get("STORE_TIMEOUT")

    def __repr__(self) -> str:
        return f"RemoteStore({self.selector!r})"

    def _post(self, text: str, accept: str) -> tuple[str, bytes]:
        data = urllib.parse.urlencode({"query": text}).encode("ascii")
        return request(self.url, data, {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
                                        "Accept": accept}, "POST", self.timeout, "a query to the store")

    def _rows(self, text: str) -> list[Row]:
        _, body = self._post(text, SPARQL_JSON)
        return _json_rows(body, self.selector)[1]

    def select(self, query: str, **terms: queries.Term) -> list[Row]:
        return self._rows(queries.bind(query, **terms))

    def construct(self, query: str, **terms: queries.Term) -> list[Triple]:
        _, body = self._post(queries.bind(query, **terms), N_TRIPLES)
        try:
            parsed = list(pyoxigraph.parse(body, format=pyoxigraph.RdfFormat.N_TRIPLES))
        except SyntaxError:
            raise StoreError(f"{self.selector} did not answer a CONSTRUCT with N-Triples") from None
        return [(_from_oxigraph(t.subject), _from_oxigraph(t.predicate), _from_oxigraph(t.object)) for t in parsed]

    def query(self, text: str, accept: str = SPARQL_JSON) -> RawAnswer:
        content_type, body = self._post(text, accept)
        return RawAnswer(content_type, body)

    def triples(self) -> int:
        rows = self.select(COUNT_TRIPLES)
        value = rows[0]["n"].python() if rows and "n" in rows[0] else None
        if not isinstance(value, int):
            raise StoreError(f"{self.selector} did not count its triples")
        return value


# ---------------------------------------------------------------------------------------- the selector

ENGINES = {"oxigraph": OxigraphStore, "rdflib": RdflibStore}
MEMORY_ENGINE = "oxigraph-memory"  # pyoxigraph in memory, loaded from the N-Triples, even where a disk store is
NT_FILE = "osteokg.nt"



@dataclass(frozen=True)
class Selector:
    """A parsed selector: ``engine`` (``oxigraph``, ``rdflib`` or ``remote``) and where (a file, a store folder or
    a URL); ``disk``: an on-disk Oxigraph store, opened read-only (``location`` is its folder)."""

    engine: str
    location: str
    disk: bool = False

    @property
    def remote(self) -> bool:
        return self.engine == "remote"


def _bad(selector: str) -> SelectorError:
    shown = _public(selector) if "://" in selector else selector
    return SelectorError(f"unknown store {shown!r}; give one of: {'; '.join(SELECTOR_FORMS)}")


def parse_selector(selector: str | Path, build_dir: Path | None = None) -> Selector:
    """``oxigraph:PATH``, ``oxigraph-memory:PATH``, ``rdflib:PATH`` (a build folder or its ``osteokg.nt``),
    ``http(s)://…``, or bare ``oxigraph`` / ``oxigraph-memory`` / ``rdflib`` over ``build_dir``; anything else
    is a :class:`SelectorError`. ``oxigraph`` over a folder that holds an on-disk store (``PATH/oxigraph``,
    :data:`DISK_STORE`) is that store, read-only; over a folder without one, or over an ``.nt`` file, the
    N-Triples loaded in memory (what ``oxigraph-memory`` always is)."""
    if isinstance(selector, Path):
        selector = f"oxigraph:{selector}"
    text = selector.strip()
    if text.lower().startswith(("http://", "https://")):
        return Selector("remote", check_url(text))
    engine, sep, rest = text.partition(":")
    memory = engine == MEMORY_ENGINE
    if engine not in ENGINES and not memory:
        raise _bad(text)
    if not sep:
        if build_dir is None:
            from kg.build import BUILD_DIR

            build_dir = BUILD_DIR
        rest = str(build_dir)
    if not rest:
        raise _bad(text)
    path = Path(rest)
    if path.suffix == ".nt":
        return Selector("oxigraph" if memory else engine, str(path))
    if engine == "oxigraph" and (path / DISK_STORE).is_dir():
        return Selector(engine, str(path / DISK_STORE), disk=True)
    return Selector("oxigraph" if memory else engine, str(path / NT_FILE))


def open_store(selector: str | Path, engine: str | None = None, *, build_dir: Path | None = None) -> Store:
    """The store ``selector`` names (:func:`parse_selector`). The old call ``open_store(nt_path, engine)`` still works."""
    if engine is not None:
        if engine not in ENGINES:
            raise _bad(engine)
        selector = f"{engine}:{selector}"
    chosen = parse_selector(selector, build_dir)
    if chosen.remote:
        return RemoteStore(chosen.location)
    path = Path(chosen.location)
    if chosen.disk:
        return OxigraphStore.read_only(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: run 'osteokg build' first")
    return ENGINES[chosen.engine](path)


def iter_rows(rows: list[Row], *names: str) -> Iterator[tuple[Value | None, ...]]:
    for row in rows:
        yield tuple(row.get(name) for name in names)
