"""The served graph as a Flask resource: opened once per process, kept in ``app.extensions``.

Besides the store it holds what every request needs and what only changes with a build: the
labels, synonyms and categories of every entity (for search and for labelling edges), the
manifest (version, build time, graph hash) and the ETag derived from the hash.
"""
from __future__ import annotations

import json
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask, current_app

from kg.store import Store, open_store

EXTENSION = "osteokg"
OSTEOKG_NS = "https://w3id.org/osteokg/OSTEOKG_"
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
#: synonym property → the field a search hit names (exact, broad, narrow, related: docs/model.md, "Synonyms")
SYNONYM_FIELDS = {f"http://www.geneontology.org/formats/oboInOwl#has{scope.capitalize()}Synonym": f"{scope} synonym"
                  for scope in ("exact", "broad", "narrow", "related")}


def fold(text: str) -> str:
    """Case- and accent-insensitive form: 'Röntgenfoto' → 'rontgenfoto'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@dataclass
class Entry:
    """What the index knows of one entity."""

    iri: str
    labels: dict[str, str] = field(default_factory=dict)  # lang → label
    synonyms: list[tuple[str, str, str]] = field(default_factory=list)  # (field, lang, text)
    categories: set[str] = field(default_factory=set)
    xrefs: list[tuple[str, str]] = field(default_factory=list)  # (match, code IRI)


@dataclass
class ServedGraph:
    store: Store
    manifest: dict
    entries: dict[str, Entry]
    loaded_at: float
    triples: int = 0
    #: code IRI → [(osteokg IRI, match)]
    by_code: dict[str, list[tuple[str, str]]] = field(default_factory=dict)

    @property
    def etag(self) -> str:
        return self.manifest.get("graph_sha256", "")[:32]

    def label(self, iri: str, lang: str = "en") -> str | None:
        entry = self.entries.get(iri)
        if entry is None:
            return None
        return entry.labels.get(lang) or entry.labels.get("en") or next(iter(entry.labels.values()), None)


def load(build_dir: Path, engine: str = "oxigraph") -> ServedGraph:
    """Open ``build_dir/osteokg.nt`` and index its labels, synonyms and categories."""
    nt_path = build_dir / "osteokg.nt"
    if not nt_path.exists():
        raise FileNotFoundError(f"{nt_path} is missing: run 'osteokg build' first")
    manifest_path = build_dir / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8")) if manifest_path.exists() else {}
    store = open_store(nt_path, engine)
    entries: dict[str, Entry] = {}
    for row in store.select("index"):
        iri, fld, text = row["entity"].value, row["field"].value, row["text"]
        entry = entries.setdefault(iri, Entry(iri))
        if fld == LABEL:
            entry.labels.setdefault(text.lang or "", text.value)
        else:
            entry.synonyms.append((SYNONYM_FIELDS[fld], text.lang or "", text.value))
    for row in store.select("categories"):
        entry = entries.get(row["entity"].value)
        if entry is not None:
            entry.categories.add(row["category"].value)
    by_code: dict[str, list[tuple[str, str]]] = {}
    for row in store.select("xrefs"):
        entity, match, code = row["entity"].value, row["match"].value.rsplit("#", 1)[-1], row["code"].value
        by_code.setdefault(code, []).append((entity, match))
        if entity in entries:
            entries[entity].xrefs.append((match, code))
    return ServedGraph(store, manifest, entries, time.time(), store.triples(), by_code)


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = load(Path(app.config["BUILD_DIR"]), app.config["STORE"])


def served() -> ServedGraph:
    return current_app.extensions[EXTENSION]
