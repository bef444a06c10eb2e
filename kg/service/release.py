"""A release: everything one build folder answers with, built whole when it is opened and never changed after.

A build folder's ``current`` pointer is resolved once, when the release is opened
(:func:`kg.releases.release_dir`): every file the release answers with comes from that one
folder, whatever the pointer names later. The release holds its folder open against pruning
(:func:`kg.releases.mark_in_use`) until :meth:`Release.close`.

The store, the manifest, the label/synonym/category/cross-reference index (the entities in CURIE
order), the relations' properties, the strengths' order, the statements and the codes' official
labels: no request fills a cache, so no thread ever sees half of one. A release folder written by
``osteokg build`` also holds the precomputed answers (:mod:`kg.service.documents`): then the index,
the relations and the strengths are read from that file (rows on demand, not a scan of the graph at
every open), and the statements and the official labels of the codes the entities cross-reference
(``code-labels.rq``: the ``skos:prefLabel`` that :mod:`kg.codes` puts in the graph), which only the
documents' writer and an answer computed from the store need, are read from the store the first
time they are asked for (under a lock, whole, once). Over a remote store the documents are not
used: that store may hold another graph than the folder's, and the answers are its own.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from rdflib import URIRef

from kg.releases import DOCUMENTS, MANIFEST, SEARCH_INDEX, fill, mark_in_use, release_dir
from kg.service.documents import Documents
from kg.service.values import LABEL, MATCHES, OKG, STRENGTHS, SYNONYM_FIELDS, curie_of
from kg.store import Store, Value, open_store, parse_selector
from kg.vocab import is_upper_category, shorten

if TYPE_CHECKING:
    from kg.search import SearchIndex


@dataclass
class Entry:
    """What the index knows of one entity."""

    iri: str
    labels: dict[str, str] = field(default_factory=dict)  # lang → label
    synonyms: list[tuple[str, str, str]] = field(default_factory=list)  # (field, lang, text)
    categories: set[str] = field(default_factory=set)
    xrefs: list[tuple[str, str]] = field(default_factory=list)  # (match, code IRI)


@dataclass(frozen=True)
class Relation:
    """A relation's inverse, its mappings (Biolink, RO, BFO) and how its edges pass through the hierarchy."""

    inverse: str | None
    mappings: tuple[dict[str, str], ...]  # {"id": CURIE, "match": "exactMatch" …}, in the graph's order
    inherited: bool | None  # okg:inheritedBySubclasses; None when the graph does not say
    generalizes: bool | None  # okg:generalizesObject


@dataclass(frozen=True)
class Statement:
    """A quantitative statement or clinical note: its kind, what it is about and every value the graph gives it."""

    kind_iri: str
    about_iri: str | None
    values: dict[str, list[Value]]  # property IRI → objects, in value order


@dataclass(frozen=True)
class Release:
    """Everything one build answers with, built whole by :func:`open_release` and never changed after."""

    store: Store
    manifest: dict
    entries: Mapping[str, Entry]  # IRI → entry, in CURIE order
    by_code: Mapping[str, list[tuple[str, str]]]  # code IRI → [(osteokg IRI, match)]
    relations: dict[str, Relation]  # relation IRI → its properties
    strength_orders: dict[str, int]  # strength CURIE → okg:strengthOrder (1 the strongest)
    statements: Mapping[str, Statement]  # statement IRI → statement, in IRI order
    code_labels: Mapping[str, str]  # code IRI → its official label (English), for the codes entities cross-reference
    categories: frozenset[str]  # the upper categories (OSTEOKG:0000001–0000099) the index knows
    triples: int
    loaded_at: float
    directory: Path | None = None  # the release folder every file comes from (None: a remote store's, no files)
    lock: int | None = field(default=None, compare=False, repr=False)  # holds the folder against pruning
    documents: Documents | None = field(default=None, compare=False, repr=False)  # the precomputed answers
    search: SearchIndex | None = field(default=None, compare=False, repr=False)  # labels, synonyms, codes indexed
    scratch: Path | None = field(default=None, compare=False, repr=False)  # a folder of this process's own, removed at close

    @property
    def id(self) -> str:
        """The release id (``manifest.json``'s ``release``; the graph hash for a folder built before releases)."""
        return self.manifest.get("release") or self.manifest.get("graph_sha256", "")[:16]

    @property
    def etag(self) -> str:
        """What every ETag is made from: the release id, so that an ETag always names the release."""
        return self.id

    def close(self) -> None:
        """Let the release folder go (it may then be pruned); the store stays usable until dropped."""
        lock = self.lock
        if self.documents is not None:
            self.documents.close()
        if self.search is not None:
            self.search.close()
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)
        if lock is not None:
            object.__setattr__(self, "lock", None)
            try:
                os.close(lock)
            except OSError:
                pass

    @property
    def version(self) -> str | None:
        return self.manifest.get("version_iri")

    def label(self, iri: str, lang: str = "en") -> str | None:
        entry = self.entries.get(iri)
        if entry is None:
            return None
        return entry.labels.get(lang) or entry.labels.get("en") or next(iter(entry.labels.values()), None)


def _is_category(iri: str) -> bool:
    """An upper category: the ID range of kg.vocab.ID_RANGES, not a number written here."""
    return is_upper_category(URIRef(iri))


def _index(store: Store) -> tuple[dict[str, Entry], dict[str, list[tuple[str, str]]]]:
    """Labels, synonyms, categories and cross-references of every entity, the entities in CURIE order."""
    entries: dict[str, Entry] = {}
    # in one order whatever the store's: the first label in a language wins, synonyms keep this order
    for row in sorted(store.select("index"), key=row_order):
        iri, fld, text = row["entity"].value, row["field"].value, row["text"]
        entry = entries.setdefault(iri, Entry(iri))
        if fld == LABEL:
            entry.labels.setdefault(text.lang or "", text.value)
        else:
            entry.synonyms.append((SYNONYM_FIELDS[fld], text.lang or "", text.value))
    for row in store.select("categories"):
        categorized = entries.get(row["entity"].value)
        if categorized is not None:
            categorized.categories.add(row["category"].value)
    by_code: dict[str, list[tuple[str, str]]] = {}
    for row in sorted(store.select("xrefs"), key=row_order):
        entity, match, code = row["entity"].value, row["match"].value.rsplit("#", 1)[-1], row["code"].value
        by_code.setdefault(code, []).append((entity, match))
        if entity in entries:
            entries[entity].xrefs.append((match, code))
    return {iri: entries[iri] for iri in sorted(entries, key=curie_of)}, by_code


def _relations(store: Store) -> dict[str, Relation]:
    found: dict[str, dict[str, Any]] = {}
    for row in sorted(store.select("relation-properties"), key=row_order):
        item = found.setdefault(row["property"].value, {"inverse": None, "mappings": [], "inherited": None,
                                                        "generalizes": None})
        if "inverse" in row:
            item["inverse"] = row["inverse"].value
        for flag in ("inherited", "generalizes"):
            if flag in row and isinstance(row[flag].python(), bool):
                item[flag] = row[flag].python()
        if "target" in row:
            mapping = {"id": shorten(row["target"].value), "match": MATCHES[row["match"].value]}
            if mapping not in item["mappings"]:
                item["mappings"].append(mapping)
    return {iri: Relation(i["inverse"], tuple(i["mappings"]), i["inherited"], i["generalizes"]) for iri, i in found.items()}


def _strength_orders(store: Store) -> dict[str, int]:
    """Strength CURIE → okg:strengthOrder; the documented order where the graph gives none."""
    orders = {f"okg:{name}": rank for rank, name in enumerate(STRENGTHS, 1)}
    for row in store.select("strengths"):
        value = row["order"].python()
        if isinstance(value, int):
            orders[curie_of(row["strength"].value)] = value
    return orders


def row_order(row: dict[str, Value]) -> tuple:
    """A total order of rows that does not depend on the store (blank-node labels aside)."""
    return tuple((name, value.kind, value.value, value.lang or "", value.datatype or "")
                 for name, value in sorted(row.items()))


V = TypeVar("V")


class _Lazy(Mapping[str, V]):
    """A mapping read from the store whole, by ``load``, the first time it is asked for (once, under a lock): the
    statements (a documents-backed release answers every statement route from its documents; only their writer
    reads these) and the codes' official labels (only an entity computed from the store reads them)."""

    def __init__(self, store: Store, load: Callable[[Store], dict[str, V]]) -> None:
        self.store, self.load, self.lock = store, load, threading.Lock()
        self.found: dict[str, V] | None = None

    def _all(self) -> dict[str, V]:
        with self.lock:
            if self.found is None:
                self.found = self.load(self.store)
            return self.found

    def __getitem__(self, iri: str) -> V:
        return self._all()[iri]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())


def _code_labels(store: Store) -> dict[str, str]:
    """Code IRI → official label (``code-labels.rq``); the first label by value, were a code to have two."""
    found: dict[str, str] = {}
    for row in sorted(store.select("code-labels"), key=row_order):
        found.setdefault(row["code"].value, row["label"].value)
    return found


def _statements(store: Store) -> dict[str, Statement]:
    """Statement IRI → statement, in IRI order, each property's objects in value order: the same on every store."""
    found: dict[str, dict[str, Any]] = {}
    for row in sorted(store.select("statements"), key=row_order):
        item = found.setdefault(row["statement"].value, {"kind_iri": row["kind"].value, "values": {}, "about_iri": None})
        p, o = row["p"].value, row["o"]
        if p == f"{OKG}about":
            item["about_iri"] = o.value
        item["values"].setdefault(p, []).append(o)
    return {iri: Statement(i["kind_iri"], i["about_iri"], i["values"]) for iri, i in found.items()}


def open_release(build_dir: Path, store: str = "oxigraph", documents: bool = True) -> Release:
    """Open the release in ``build_dir`` over the store ``store`` names (a selector of :func:`kg.store.open_store`:
    ``oxigraph`` or ``rdflib`` over ``build_dir/osteokg.nt``, ``oxigraph:PATH``, ``rdflib:PATH`` or a SPARQL 1.1
    endpoint URL) and build everything the service answers from, once. The manifest always comes from
    ``build_dir``, also when the triples are served by a remote store. ``documents=False`` ignores the
    folder's precomputed answers (the release then answers from its store alone)."""
    build_dir = release_dir(Path(build_dir))
    lock = mark_in_use(build_dir)
    try:
        return _open(build_dir, store, lock, documents)
    except BaseException:
        if lock is not None:
            os.close(lock)
        raise


def _open(build_dir: Path, store: str, lock: int | None, documents: bool = True) -> Release:
    from kg.search import SearchIndex, write_index  # kg.search reads kg.service.values: imported once both exist
    store = _within(store, build_dir)
    selector = parse_selector(store, build_dir)
    if not selector.remote and not Path(selector.location).exists():
        raise FileNotFoundError(f"{selector.location} is missing: run 'osteokg build' first")
    manifest_path = build_dir / MANIFEST
    if selector.remote and not manifest_path.exists():
        raise FileNotFoundError(f"{manifest_path} is missing: a remote store is served with the manifest of the "
                                f"build loaded into it (run 'osteokg build', then 'osteokg load --into URL')")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8")) if manifest_path.exists() else {}
    if selector.remote:  # a shared store holding each release in a graph of its own: this release's
        store = fill(store, build_dir)
    opened = open_store(store, build_dir=build_dir)
    if documents and not selector.remote and (build_dir / DOCUMENTS).is_file() and (build_dir / SEARCH_INDEX).is_file():
        found = Documents(build_dir / DOCUMENTS)
        try:
            index = SearchIndex.open(build_dir / SEARCH_INDEX)
        except BaseException:
            found.close()
            raise
        return Release(store=opened, manifest=manifest, entries=found.entries, by_code=found.codes,
                       relations=found.relations, strength_orders=found.strength_orders,
                       statements=_Lazy(opened, _statements), code_labels=_Lazy(opened, _code_labels), categories=found.categories,
                       triples=found.triples, loaded_at=time.time(), directory=build_dir, lock=lock, documents=found,
                       search=index)
    entries, by_code = _index(opened)
    # the search index of these entries, written for this process (a release folder's own index is of its graph;
    # the store's may differ)
    scratch = Path(tempfile.mkdtemp(prefix="osteokg-search-"))
    try:
        index = SearchIndex.open(write_index(scratch / SEARCH_INDEX, entries.values()))
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    return Release(store=opened, manifest=manifest, entries=entries, by_code=by_code, relations=_relations(opened),
                   strength_orders=_strength_orders(opened), statements=_statements(opened),
                   code_labels=_Lazy(opened, _code_labels),
                   categories=frozenset(iri for iri in entries if _is_category(iri)),
                   triples=opened.triples(), loaded_at=time.time(), directory=build_dir, lock=lock, search=index,
                   scratch=scratch)


def _within(store: str, release: Path) -> str:
    """``store`` with a path that names a release root (``oxigraph:build``) resolved to the release opened, so
    that the triples and the manifest come from one release while ``current`` moves on."""
    engine, sep, rest = store.partition(":")
    if sep and rest and "://" not in store and engine in ("oxigraph", "oxigraph-memory", "rdflib"):
        path = Path(rest)
        folder = path.parent if path.suffix == ".nt" else path
        resolved = release_dir(folder)
        if resolved != folder and (folder / "current").is_symlink():
            return f"{engine}:{resolved / path.name if path.suffix == '.nt' else resolved}"
    return store
