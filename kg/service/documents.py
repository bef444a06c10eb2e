"""The release's precomputed answers: every entity's documents, written once when the release is built.

The graph changes only with a release, so each entity's answers — the entity (labels, definitions,
synonyms, codes, parents, annotations, its outgoing edges), its edges in both directions with
all their evidence and qualifiers, its parents, children, ancestors and descendants, and the
statements about it — are computed by the service (:class:`kg.service.Service` over the release's
store) once, at build time, in each language of :data:`kg.vocab.LANGUAGES`, and kept as the exact
JSON the REST routes send. A lookup then reads one document; no query runs. This is how OLS4 serves
a whole ontology (its dataload precomputes every entity's JSON). The release-wide listings
(categories, statements) and what :class:`~kg.service.release.Release` used to build in memory on
every open (the label/synonym/category/code index, the relations' properties, the strengths' order)
are kept here too, so that opening a release reads a few rows and does not scan the graph.

The file is LMDB (``documents.lmdb`` in the release folder, one file), opened read-only without locks
(a release never changes) and memory-mapped: its pages are the page cache's, shared by every
process on the machine. Chosen by ``bench/docstore_bench.py`` (``bench/results/docstore.md``): on
the real release's documents copied ×170 (about 1 M triples' worth), a random lookup took a fifth of
SQLite's time (median 3.7 µs vs 19 µs) and the file was written four times faster, at the same size;
zlib compression made lookups three times slower for a third of the disk, so bodies are stored as
they are. Tables (:data:`TABLES`, LMDB named databases):

``meta``
    name → JSON: the format, the release's triple count, upper categories, relations, strengths' order.
``entries``, ``order``
    what the in-memory index held: IRI → labels, synonyms, categories, codes; rank → IRI (CURIE order).
``codes``
    foreign code → the osteokg entities it maps to.
``docs``
    ``"IRI LANG PART"`` → a document (``*`` for the IRI of a release-wide one).

A document is either one JSON value (``entity``; ``categories``; ``page-statements``) or a *list*
(``edges``, the four hierarchy walks, ``statements``): a first line with, for each item, the fields a
route filters on and the item's length in bytes, then the items' JSON one after another; a page of
a list is then the chosen items joined, inside the envelope's own bytes (:func:`envelope`), the same
bytes as ``json.dumps`` of the page (tests/kg/test_documents.py compares every entity's answers).

An edge is written in the one shape of :mod:`kg.service.shapes`, in the entity's ``relations`` (its outgoing
edges) and in ``edges`` alike, from the same dicts: an edge's bytes are the same in both documents.
A file of another :data:`FORMAT` (one written before a change of these shapes) is refused, not served: the
release is rebuilt (``osteokg build``).
"""
from __future__ import annotations

import json
import os
import threading
import zlib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kg.releases import DISK_STORE, DOCUMENTS, SEARCH_INDEX
from kg.vocab import LANGUAGES

if TYPE_CHECKING:
    from kg.service.release import Entry, Relation, Release

FILE = DOCUMENTS  # in the release folder
FORMAT = 2  # 2: edges in the one shape of kg.service.shapes (an entity's relations too), statements' keys snake_case
RELEASE_WIDE = "*"  # the IRI part of a release-wide document's key
WALKS = ("parents", "children", "ancestors", "descendants")


class DocumentsError(RuntimeError):
    """A documents file this code cannot read (missing, another format, or not SQLite)."""


def dumps(value: Any) -> str:
    """JSON as the REST routes write it (Flask's compact ``jsonify``: no spaces, non-ASCII as is, keys in order);
    a value that is not plain JSON is an error here, at build time, not a different answer later."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def envelope(items: list[bytes], total: int, limit: int, offset: int) -> bytes:
    """The paging envelope ``{items, total, limit, offset}`` of items already in JSON: the bytes of :func:`dumps`."""
    return b'{"items":[%s],"total":%d,"limit":%d,"offset":%d}' % (b",".join(items), total, limit, offset)


def pack(items: list[tuple[list, bytes]]) -> bytes:
    """A list document: each item's fields and length on the first line, then the items' JSON."""
    head = dumps([[*fields, len(body)] for fields, body in items]).encode("utf-8")
    return head + b"\n" + b"".join(body for _, body in items)


def unpack(document: bytes) -> list[tuple[list, bytes]]:
    """The items of a list document: (fields, JSON bytes), in order."""
    head, _, bodies = document.partition(b"\n")  # JSON escapes every newline inside a string: the first is the end
    items, at = [], 0
    for *fields, length in json.loads(head):
        items.append((fields, bodies[at:at + length]))
        at += length
    return items


def key(iri: str, lang: str, part: str) -> str:
    return f"{iri} {lang} {part}"


# ---------------------------------------------------------------------------------------------------- reading


def _open_env(path: Path, write: bool = False):
    import lmdb

    # one file (subdir=False); no lock file: a release's documents never change once written, and the one writer
    # writes a private temporary file; no readahead: lookups are random, one page or a few each
    return lmdb.open(str(path), subdir=False, readonly=not write, lock=False, max_dbs=len(TABLES),
                     readahead=False, map_size=MAP_SIZE if write else 10 << 20, metasync=False, sync=False)


_OPEN: dict[Path, list] = {}  # path → [environment, users]: LMDB opens a file once per process
_OPEN_LOCK = threading.Lock()


def _shared_env(path: Path):
    """The process's one read-only environment of ``path`` (LMDB refuses a second), counted per user."""
    resolved = path.resolve()
    with _OPEN_LOCK:
        held = _OPEN.get(resolved)
        if held is None:
            held = _OPEN[resolved] = [_open_env(resolved), 0]
        held[1] += 1
        return held[0]


def _release_env(path: Path) -> None:
    resolved = path.resolve()
    with _OPEN_LOCK:
        held = _OPEN.get(resolved)
        if held is not None:
            held[1] -= 1
            if held[1] <= 0:
                del _OPEN[resolved]
                held[0].close()


class Documents:
    """A release's documents file, read-only: :meth:`get` a document; the index as mappings (:attr:`entries`,
    :attr:`codes`) and the release-wide values (:attr:`categories`, :attr:`relations`, ...). Safe to read from
    many threads and processes at once (LMDB read transactions; the pages are the page cache's, shared)."""

    def __init__(self, path: Path) -> None:
        import lmdb

        self.path = Path(path)
        if not self.path.is_file():
            raise DocumentsError(f"{self.path} is missing: run 'osteokg build'")
        self._closed = False
        try:
            self.env = _shared_env(self.path)
        except lmdb.Error as exc:
            raise DocumentsError(f"{self.path} is not a documents file ({exc}): rebuild with 'osteokg build'") from None
        try:
            self.tables = {name: self.env.open_db(name.encode(), create=False) for name in TABLES}
            with self.env.begin(db=self.tables["meta"]) as txn:
                meta = {name.decode(): json.loads(value) for name, value in txn.cursor()}
        except lmdb.Error as exc:
            self.close()
            raise DocumentsError(f"{self.path} is not a documents file ({exc}): rebuild with 'osteokg build'") from None
        if meta.get("format") != FORMAT:
            self.close()
            raise DocumentsError(f"{self.path} has format {meta.get('format')!r}, this code reads {FORMAT}: "
                                 f"rebuild with 'osteokg build'")
        from kg.service.release import Relation

        self.compressed: bool = meta["compressed"]
        self.triples: int = meta["triples"]
        self.categories: frozenset[str] = frozenset(meta["categories"])
        self.relations: dict[str, Relation] = {
            iri: Relation(r["inverse"], tuple(r["mappings"]), r["inherited"], r["generalizes"])
            for iri, r in meta["relations"].items()}
        self.strength_orders: dict[str, int] = meta["strength_orders"]
        self.entries = Entries(self, meta["entries"])
        self.codes = Codes(self, meta["codes"])

    def read(self, table: str, name: str) -> bytes | None:
        with self.env.begin(db=self.tables[table]) as txn:
            return txn.get(name.encode("utf-8"))

    def scan(self, table: str) -> list[tuple[bytes, bytes]]:
        with self.env.begin(db=self.tables[table]) as txn:
            return list(txn.cursor())

    def get(self, iri: str, lang: str, part: str) -> bytes | None:
        """The document ``part`` of ``iri`` in ``lang`` (:data:`RELEASE_WIDE` for a release-wide one), or None."""
        body = self.read("docs", key(iri, lang, part))
        if body is None or not self.compressed:
            return body
        return zlib.decompress(body)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            _release_env(self.path)


def _entry(iri: str, body: bytes) -> Entry:
    from kg.service.release import Entry

    labels, synonyms, categories, xrefs = json.loads(body)
    return Entry(iri, labels, [tuple(s) for s in synonyms], set(categories), [tuple(x) for x in xrefs])


class Entries(Mapping[str, "Entry"]):
    """IRI → :class:`~kg.service.release.Entry`, read from the documents file when asked (iterated in CURIE order)."""

    def __init__(self, documents: Documents, count: int) -> None:
        self.documents, self.count = documents, count

    def __getitem__(self, iri: str) -> Entry:
        body = self.documents.read("entries", iri)
        if body is None:
            raise KeyError(iri)
        return _entry(iri, body)

    def __contains__(self, iri: object) -> bool:
        return isinstance(iri, str) and self.documents.read("entries", iri) is not None

    def __iter__(self) -> Iterator[str]:
        return iter([iri.decode("utf-8") for _, iri in self.documents.scan("order")])  # rank keys sort as numbers

    def __len__(self) -> int:
        return self.count


class Codes(Mapping[str, list]):
    """Foreign code IRI → [(osteokg entity IRI, match)], in the order the graph's index gave them."""

    def __init__(self, documents: Documents, count: int) -> None:
        self.documents, self.count = documents, count

    def __getitem__(self, code: str) -> list[tuple[str, str]]:
        body = self.documents.read("codes", code)
        if body is None:
            raise KeyError(code)
        return [(entity, match) for entity, match in json.loads(body)]

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and self.documents.read("codes", code) is not None

    def __iter__(self) -> Iterator[str]:
        return iter([code.decode("utf-8") for code, _ in self.documents.scan("codes")])

    def __len__(self) -> int:
        return self.count


# ---------------------------------------------------------------------------------------------------- writing


#: the file's tables (LMDB named databases): meta name → JSON; entries IRI → [labels, synonyms, categories, xrefs];
#: order rank (8 bytes, big-endian) → IRI; codes code IRI → [[entity, match], ...]; docs "IRI LANG PART" → document
TABLES = ("meta", "entries", "order", "codes", "docs")
MAP_SIZE = 1 << 40  # the most a documents file may grow to while written (address space, not disk or memory)


#: the queries the documents ask of every entity: run once each for all entities (:func:`kg.queries.for_every`)
PER_ENTITY = ("relations-out", "relations-in", "entity-properties", "parents", "children", "ancestors", "descendants")


class _Prefetched:
    """A store whose per-entity queries (:data:`PER_ENTITY`) were each run once for every entity: ``select`` of
    one of them with ``entity=`` is a lookup, in the store's own row order; anything else is the store's."""

    def __init__(self, store) -> None:
        from kg import queries
        from kg.store import solutions

        self.store, self.rows = store, {}
        for name in PER_ENTITY:
            grouped: dict[str, list] = {}
            for row in solutions(store, queries.for_every(name, "entity"))[1]:
                grouped.setdefault(row.pop("_entity").value, []).append(row)
            self.rows[name] = grouped

    def select(self, query: str, **terms):
        entity = terms.get("entity")
        if query in self.rows and set(terms) == {"entity"} and entity is not None:
            return list(self.rows[query].get(entity.value, ()))
        return self.store.select(query, **terms)

    def __getattr__(self, name: str):
        return getattr(self.store, name)


def documents_of(release: Release) -> Iterator[tuple[str, str, str, bytes]]:
    """Every document of ``release`` as (IRI, lang, part, body), computed by the service over its store (each
    per-entity query run once for all entities, :class:`_Prefetched`: the same rows, in bulk)."""
    import dataclasses

    from kg.service.questions import Service
    from kg.service.values import STATEMENT_KINDS

    release = dataclasses.replace(release, store=_Prefetched(release.store))
    about: dict[str, list[str]] = {}  # what each statement is about, in the statements' order
    for statement_iri, statement in release.statements.items():
        if statement.about_iri is not None:
            about.setdefault(statement.about_iri, []).append(statement_iri)
    service = Service(release, documents=False)
    for iri in release.entries:
        for lang in LANGUAGES:
            edges = service._edges(iri, lang, "both")
            outgoing = [edge for edge in edges if edge["direction"] == "out"]
            yield iri, lang, "entity", dumps(service._entity(iri, lang, outgoing)).encode("utf-8")
            yield iri, lang, "edges", pack([(edge_fields(edge), dumps(edge).encode("utf-8")) for edge in edges])
            for walk in WALKS:
                items = service._hierarchy(iri, walk, lang, None, 0).items
                yield iri, lang, walk, pack([([], dumps(item).encode("utf-8")) for item in items])
            statements = [service.ref(statement, lang) for statement in about.get(iri, ())]
            yield iri, lang, "page-statements", dumps(statements).encode("utf-8")
    for lang in LANGUAGES:
        yield RELEASE_WIDE, lang, "categories", dumps(service.categories(lang).items).encode("utf-8")
        statements = service._statements(lang, STATEMENT_KINDS["any"], None, None, 0).items
        yield RELEASE_WIDE, lang, "statements", pack([(statement_fields(release, item), dumps(item).encode("utf-8"))
                                                     for item in statements])


def edge_fields(edge: dict) -> list:
    """What :meth:`Service.relations` filters an edge on: direction, predicate CURIE, inferred, strength CURIE."""
    return [edge["direction"], edge["predicate"]["id"], edge["inferred"], (edge["strength"] or {}).get("id")]


def statement_fields(release: Release, item: dict) -> list:
    """What :meth:`Service.statements` filters a statement on: its kind's IRI and what it is about (an IRI)."""
    statement = release.statements[item["iri"]]
    return [statement.kind_iri, statement.about_iri]


def write_documents(release: Release, path: Path, compress: bool = False) -> Path:
    """Write every document of ``release`` (opened over its store, without documents) to ``path``, whole or not at
    all (a temporary file renamed into place)."""
    path = Path(path)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.unlink(missing_ok=True)
    env = _open_env(temporary, write=True)
    try:
        tables = {name: env.open_db(name.encode()) for name in TABLES}

        def put(table: str, name: str | bytes, value: bytes, txn) -> None:
            txn.put(name if isinstance(name, bytes) else name.encode("utf-8"), value, db=tables[table])

        with env.begin(write=True) as txn:
            for rank, (iri, entry) in enumerate(release.entries.items()):
                put("entries", iri, dumps([entry.labels, entry.synonyms, sorted(entry.categories),
                                           entry.xrefs]).encode("utf-8"), txn)
                put("order", rank.to_bytes(8, "big"), iri.encode("utf-8"), txn)
            for code, mapped in release.by_code.items():
                put("codes", code, dumps(mapped).encode("utf-8"), txn)
            for iri, lang, part, body in documents_of(release):
                put("docs", key(iri, lang, part), zlib.compress(body, 6) if compress else body, txn)
            meta = {"format": FORMAT, "compressed": compress, "triples": release.triples,
                    "entries": len(release.entries), "codes": len(release.by_code),
                    "categories": sorted(release.categories),
                    "relations": {iri: {"inverse": r.inverse, "mappings": list(r.mappings), "inherited": r.inherited,
                                        "generalizes": r.generalizes} for iri, r in sorted(release.relations.items())},
                    "strength_orders": release.strength_orders}
            for name, value in meta.items():
                put("meta", name, dumps(value).encode("utf-8"), txn)
        env.sync(True)
    except BaseException:
        env.close()
        temporary.unlink(missing_ok=True)
        raise
    env.close()
    os.replace(temporary, path)
    return path


def write_serving_files(folder: Path) -> list[Path]:
    """Write what a server reads in the release folder ``folder`` from its ``osteokg.nt``: the on-disk store
    (:func:`kg.store.write_disk_store`), the search index (:func:`kg.search.write_index`) and the documents.
    The release is opened over an in-memory store of that file, without documents."""
    from kg.search import write_index
    from kg.service.release import open_release
    from kg.store import NT_FILE, write_disk_store

    folder = Path(folder)
    release = open_release(folder, f"oxigraph-memory:{folder / NT_FILE}", documents=False)
    try:
        return [write_disk_store(folder / NT_FILE, folder / DISK_STORE),
                write_index(folder / SEARCH_INDEX, release.entries.values()), write_documents(release, folder / FILE)]
    finally:
        release.close()
