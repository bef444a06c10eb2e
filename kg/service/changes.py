"""What changed between two releases: edges, statements and terms, for ``/changes`` and its Atom feed.

An informatician who builds on osteokg needs to know what a new release says differently: which edges
are new, gone, or say it with another strength or another quote; which statements changed their
numbers; which terms are new, gone, relabelled, or made obsolete (and what replaces them). A
:class:`Snapshot` reads those from one opened release through :class:`~kg.service.Service` (the same
answers every door serves, so a change here is a change a client sees); :func:`diff` compares two.

- **Edges** are keyed by (subject, relation, object) CURIEs, stated and concluded alike (``inferred``
  says which); an edge "changed" when its strength, its being stated or concluded, or its evidence
  (each source with its quote) changed. Each is written in the one JSON shape of an edge
  (:func:`kg.service.shapes.edge`, as ``/entities/{id}/relations`` gives it, in English); a changed one adds
  ``changed`` (the keys that differ) and ``before`` (their values in the older release).
- **Statements** are keyed by ID; "changed" names the properties whose values differ.
- **Terms**: added and removed IDs, labels changed per language, parents changed (moved), and terms marked obsolete
  (``owl:deprecated``) with their ``IAO:0100001`` replacement when the graph gives one.

Lists are sorted, so the same two releases always give the same answer (and the same ETag).
:func:`atom` writes the changes as an Atom 1.0 feed (RFC 4287) an informatician can subscribe to,
one entry per change, each with a stable ``id`` (a tag URI of the release and the change).
No Flask here: the door is api/ (a route and its negotiation).
"""
from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from kg.releases import RELEASES, releases
from kg.service.questions import Service
from kg.service.values import BadValue, NotFound, curie_of

RELEASE_ID = re.compile(r"[0-9a-f]{16}")

#: the statement properties a change report names by their last path segment (``value``, ``unit``, …)
_LANG = "en"


@dataclass(frozen=True)
class Snapshot:
    """The comparable content of one release."""

    release: str
    version: str | None
    built_at: str | None
    labels: dict[str, dict[str, str]] = field(default_factory=dict)  # CURIE → lang → label
    edges: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)  # (s, p, o) → facts
    statements: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)  # CURIE → property → values
    obsolete: dict[str, str | None] = field(default_factory=dict)  # CURIE → replacement CURIE (or None)
    parents: dict[str, tuple[str, ...]] = field(default_factory=dict)  # CURIE → its parents' CURIEs


def _evidence(edge: dict) -> tuple[tuple[str, str], ...]:
    return tuple(sorted({((e.get("source") or {}).get("id") or "", e.get("quote") or "")
                         for e in edge.get("evidence") or []}))


def snapshot(service: Service) -> Snapshot:
    """The labels, edges, statements and obsolete terms of the release ``service`` answers from."""
    release = service.release
    labels = {curie: dict(entry.labels) for iri, entry in release.entries.items()
              if (curie := curie_of(iri)).startswith("OSTEOKG:")}
    edges: dict[tuple[str, str, str], dict[str, Any]] = {}
    for curie in labels:
        for edge in service.relations(curie, _LANG, "out", limit=None).items:
            key = (edge["subject"]["id"], edge["predicate"]["id"], edge["object"]["id"])
            edges[key] = {"inferred": bool(edge.get("inferred")),
                          "strength": (edge.get("strength") or {}).get("id"),
                          "evidence": _evidence(edge),
                          "edge": edge}  # as the release answers it: the one shape (kg.service.shapes.edge)
    statements = {curie_of(iri): {prop.rsplit("/", 1)[-1].rsplit("#", 1)[-1]:
                                  tuple(sorted(f"{v.value}@{v.lang}" if v.lang else v.value for v in values))
                                  for prop, values in statement.values.items()}
                  for iri, statement in release.statements.items()}
    obsolete = {curie_of(row["term"].value): (curie_of(row["replacement"].value) if row.get("replacement") else None)
                for row in release.store.select("obsolete")}
    parents = {curie: tuple(sorted(p["id"] for p in service.parents(curie, _LANG).items)) for curie in labels}
    manifest = release.manifest
    return Snapshot(release.id, release.version, manifest.get("built_at"), labels, edges, statements, obsolete, parents)


def _edge(facts: dict[str, Any]) -> dict:
    """An edge of a snapshot as the release answered it: the one JSON shape of an edge (kg.service.shapes.edge)."""
    return facts["edge"]


def diff(old: Snapshot, new: Snapshot) -> dict:
    """What ``new`` says differently from ``old``."""
    labels = {**old.labels, **new.labels}
    added_edges = sorted(new.edges.keys() - old.edges.keys())
    removed_edges = sorted(old.edges.keys() - new.edges.keys())
    changed_edges = []
    for key in sorted(new.edges.keys() & old.edges.keys()):
        before, after = old.edges[key], new.edges[key]
        what = sorted(name for name in ("inferred", "strength", "evidence") if before[name] != after[name])
        if what:
            changed_edges.append({**_edge(after), "changed": what,
                                  "before": {name: _edge(before)[name] for name in what}})
    changed_statements = []
    for curie in sorted(new.statements.keys() & old.statements.keys()):
        before, after = old.statements[curie], new.statements[curie]
        what = sorted(p for p in before.keys() | after.keys() if before.get(p) != after.get(p))
        if what:
            changed_statements.append({"id": curie, "changed": what,
                                       "before": {p: list(before.get(p, ())) for p in what},
                                       "after": {p: list(after.get(p, ())) for p in what}})
    relabelled = []
    for curie in sorted(new.labels.keys() & old.labels.keys()):
        for lang in sorted(old.labels[curie].keys() | new.labels[curie].keys()):
            if old.labels[curie].get(lang) != new.labels[curie].get(lang):
                relabelled.append({"id": curie, "lang": lang, "before": old.labels[curie].get(lang),
                                   "after": new.labels[curie].get(lang)})
    moved = [{"id": curie, "label": (labels.get(curie) or {}).get(_LANG), "before": list(old.parents[curie]),
              "after": list(new.parents[curie])}
             for curie in sorted(new.parents.keys() & old.parents.keys()) if old.parents[curie] != new.parents[curie]]
    obsoleted = [{"id": curie, "label": (labels.get(curie) or {}).get(_LANG), "replaced_by": new.obsolete[curie]}
                 for curie in sorted(new.obsolete.keys() - old.obsolete.keys())]
    return {
        "from": {"release": old.release, "version": old.version, "built_at": old.built_at},
        "to": {"release": new.release, "version": new.version, "built_at": new.built_at},
        "edges": {"added": [_edge(new.edges[k]) for k in added_edges],
                  "removed": [_edge(old.edges[k]) for k in removed_edges],
                  "changed": changed_edges},
        "statements": {"added": sorted(new.statements.keys() - old.statements.keys()),
                       "removed": sorted(old.statements.keys() - new.statements.keys()),
                       "changed": changed_statements},
        "terms": {"added": [{"id": c, "label": (new.labels.get(c) or {}).get(_LANG)}
                            for c in sorted(new.labels.keys() - old.labels.keys())],
                  "removed": [{"id": c, "label": (old.labels.get(c) or {}).get(_LANG)}
                              for c in sorted(old.labels.keys() - new.labels.keys())],
                  "relabelled": relabelled, "moved": moved, "obsoleted": obsoleted},
    }


def _entries(changes: dict) -> list[tuple[str, str]]:
    """(stable key, one-line title) per change, in the answer's order."""
    def edge(e: dict) -> str:
        return f"{e['subject']['label'] or e['subject']['id']} {e['predicate']['label'] or e['predicate']['id']} " \
               f"{e['object']['label'] or e['object']['id']}"

    def key(e: dict) -> str:
        return f"{e['subject']['id']},{e['predicate']['id']},{e['object']['id']}"

    out = []
    for kind in ("added", "removed", "changed"):
        for e in changes["edges"][kind]:
            out.append((f"edge-{kind}:{key(e)}", f"Edge {kind}: {edge(e)}"
                        + (f" ({', '.join(e['changed'])})" if kind == "changed" else "")))
    for kind in ("added", "removed"):
        out += [(f"statement-{kind}:{s}", f"Statement {kind}: {s}") for s in changes["statements"][kind]]
    out += [(f"statement-changed:{s['id']}", f"Statement changed: {s['id']} ({', '.join(s['changed'])})")
            for s in changes["statements"]["changed"]]
    for kind in ("added", "removed"):
        out += [(f"term-{kind}:{t['id']}", f"Term {kind}: {t['label'] or t['id']} ({t['id']})")
                for t in changes["terms"][kind]]
    out += [(f"term-relabelled:{t['id']}@{t['lang']}", f"Term relabelled ({t['lang']}): {t['before']} → {t['after']}")
            for t in changes["terms"]["relabelled"]]
    out += [(f"term-moved:{t['id']}", (f"Term moved: {t['label'] or t['id']} now under {', '.join(t['after']) or 'nothing'}"
             f" (was {', '.join(t['before']) or 'nothing'})")) for t in changes["terms"]["moved"]]
    out += [(f"term-obsoleted:{t['id']}", f"Term obsolete: {t['label'] or t['id']}"
             + (f", replaced by {t['replaced_by']}" if t["replaced_by"] else "")) for t in changes["terms"]["obsoleted"]]
    return out


def atom(changes: dict, feed_url: str, authority: str = "w3id.org,2026:osteokg") -> str:
    """The changes as an Atom 1.0 feed (RFC 4287): one entry per change, ids as tag URIs (RFC 4151) of
    the new release and the change, so a reader sees each change once."""
    to, since = changes["to"], changes["from"]
    updated = to.get("built_at") or "1970-01-01T00:00:00Z"
    lines = ['<?xml version="1.0" encoding="utf-8"?>', '<feed xmlns="http://www.w3.org/2005/Atom">',
             f"  <id>tag:{authority}:changes:{escape(since['release'])}..{escape(to['release'])}</id>",
             f"  <title>osteokg: changes from release {escape(since['release'])} to {escape(to['release'])}</title>",
             f"  <updated>{escape(updated)}</updated>",
             f'  <link rel="self" href="{escape(feed_url, {chr(34): "&quot;"})}"/>',
             "  <author><name>osteokg</name></author>"]
    for key, title in _entries(changes):
        lines += ["  <entry>", f"    <id>tag:{authority}:{escape(to['release'])}:{escape(key)}</id>",
                  f"    <title>{escape(title)}</title>", f"    <updated>{escape(updated)}</updated>", "  </entry>"]
    lines.append("</feed>")
    return "\n".join(lines) + "\n"


class Changes:
    """The changes from a kept release of a build folder to the release being served, each pair computed once
    (a bounded cache: a release never changes, so neither does what changed between two)."""

    def __init__(self, build_dir: Path, size: int = 8) -> None:
        self.build_dir = Path(build_dir)
        self.size = size
        self._answers: OrderedDict[tuple[str, str], dict] = OrderedDict()
        self._lock = threading.Lock()

    def kept(self) -> list[dict]:
        """The releases kept in the build folder, newest first (kg.releases.releases)."""
        return releases(self.build_dir)

    def since(self, current: Service, since: str | None) -> dict:
        """What the release ``current`` answers from says differently from the kept release ``since`` (its 16-hex
        id; None: the newest kept release before the current one). BadValue for a malformed id, NotFound for one
        not kept (the message lists the kept ones)."""
        kept = [r["release"] for r in self.kept()]
        if since is None:
            earlier = [r for r in kept if r != current.release.id]
            if not earlier:
                raise NotFound("no earlier release is kept in this build folder to compare with", id="since")
            since = earlier[0]
        elif not RELEASE_ID.fullmatch(since):
            raise BadValue("since", f"'{since[:40]}' is not a release id (16 hexadecimal digits, as /version gives)")
        elif since not in kept:
            raise NotFound(f"release {since} is not kept here; kept: {', '.join(kept) or 'none'}", id=since)
        key = (since, current.release.id)
        with self._lock:
            if key in self._answers:
                self._answers.move_to_end(key)
                return self._answers[key]
        old_service = Service.open(self.build_dir / RELEASES / since)
        try:
            answer = diff(snapshot(old_service), snapshot(current))
        finally:
            old_service.release.close()
        with self._lock:
            self._answers[key] = answer
            while len(self._answers) > self.size:
                self._answers.popitem(last=False)
        return answer


__all__ = ["RELEASE_ID", "Changes", "Snapshot", "atom", "diff", "snapshot"]
