"""What the explorer's pages show beyond the API's answers: an entity page's parts, its neighbourhood as a graph,
breadcrumbs, and a quantitative statement's numbers as a person reads them.

Door-independent (no Flask, no HTML): :mod:`api.explorer` renders these dicts; an MCP server or a CDS Hooks
card could show the same. Everything comes from :class:`~kg.service.questions.Service` (the release's
precomputed documents where there are some), so a page never runs a query the JSON routes do not.
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby
from typing import Any

from kg.service.questions import Service
from kg.service.values import Page, Resolved, curie_of

SUBCLASS = "rdfs:subClassOf"
#: the hierarchy's own edge in a graph view, labelled as the ontology's relations are (both languages)
SUBCLASS_LABELS = {"en": "is a", "nl": "is een"}
CRUMBS = 12  # at most this many steps up from an entity to its root (the hierarchy is shallow; a cycle would stop)


@dataclass(frozen=True)
class EntityView:
    """An entity page's parts: the entity JSON; the asserted outgoing edges grouped by relation; the inferred
    outgoing edges; the asserted incoming ones grouped by relation; its children; its members (a category);
    the statements about it (or, for a statement, itself) with their numbers read out; breadcrumbs."""

    entity: dict
    outgoing: list[dict]  # [{"predicate": {...}, "edges": [edge, ...]}]
    inferred: list[dict]
    incoming: list[dict]
    children: list[dict]
    members: Page | None
    statements: list[dict]
    statement: dict | None
    crumbs: list[dict]
    version: str | None


def _grouped(edges: list[dict]) -> list[dict]:
    """Edges (already sorted by relation) as one group per relation."""
    return [{"predicate": next(iter(group))["predicate"], "edges": list(group)}
            for _, group in ((key, list(items)) for key, items in groupby(edges, key=lambda e: e["predicate"]["id"]))]


class Pages:
    """The explorer's questions over one :class:`Service`."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self._categories: dict[str, set[str]] = {}

    def _upper_categories(self, lang: str) -> set[str]:
        if lang not in self._categories:
            self._categories[lang] = {item["id"] for item in self.service.categories(lang).items}
        return self._categories[lang]

    def entity(self, resolved: Resolved, lang: str, member_limit: int = 50, member_offset: int = 0) -> EntityView:
        service = self.service
        page = service.entity_page(resolved, lang)
        asserted = [e for e in page.outgoing if not e["inferred"]]
        inferred = [e for e in page.outgoing if e["inferred"]]
        children = service.children(resolved, lang).items
        members = (service.category_members(resolved.id, lang, member_limit, member_offset)
                   if resolved.id in self._upper_categories(lang) else None)
        statements = [{**s, "reading": reading(s, lang)}
                      for s in (service.statements(lang, "any", resolved.id).items if page.statements else [])]
        statement = None
        if any(c["id"] in STATEMENT_CATEGORIES for c in page.entity.get("categories", [])):
            own = next((s for s in service.statements(lang, "any").items if s["id"] == resolved.id), None)
            statement = {**own, "reading": reading(own, lang)} if own else None
        return EntityView(page.entity, _grouped(asserted), inferred, _grouped(page.incoming), children, members,
                          statements, statement, self.crumbs(resolved, lang), page.version)

    def crumbs(self, resolved: Resolved, lang: str) -> list[dict]:
        """The way up from the entity to a root, root first: each step the first of its parents (by ID)."""
        path: list[dict] = []
        seen = {resolved.id}
        current = resolved.id
        for _ in range(CRUMBS):
            parents = self.service.parents(current, lang).items
            if not parents or parents[0]["id"] in seen:
                break
            current = parents[0]["id"]
            seen.add(current)
            path.append({"id": current, "label": parents[0]["label"]})
        return path[::-1]

    def neighbourhood(self, resolved: Resolved, lang: str) -> dict:
        """The entity, the other end of each of its edges (both directions, asserted and inferred, but not an edge
        that is only the inverse of another) and its parents and children, as nodes (with their first category) and edges (with the relation, whether inferred and
        the strength): what a graph view draws. Edge IDs are stable: subject, relation, object."""
        service = self.service
        center = resolved.id
        nodes: dict[str, dict] = {}
        edges: dict[str, dict] = {}
        relations: dict[str, dict] = {}

        def node(ref: dict) -> None:
            if ref["id"] not in nodes:
                nodes[ref["id"]] = {"id": ref["id"], "label": ref.get("label") or ref["id"],
                                    "category": self._category(ref.get("iri"), lang)}

        def edge(source: str, predicate: dict, target: str, inferred: bool, strength: dict | None) -> None:
            key = f"{source}|{predicate['id']}|{target}"
            if key not in edges:
                edges[key] = {"id": key, "source": source, "target": target,
                              "predicate": {"id": predicate["id"], "label": predicate["label"]},
                              "inferred": inferred, "strength": strength}
                relations.setdefault(predicate["id"], {"id": predicate["id"], "label": predicate["label"]})

        me = service.ref(resolved.iri, lang)
        node(me)
        for item in service.relations(resolved, lang).items:
            if item["evidence"] and all(ev.get("rule") == "inverse" for ev in item["evidence"]):
                continue  # the other direction of an edge drawn already (its inverse relation's label reads back)
            node(item["subject"])
            node(item["object"])
            edge(item["subject"]["id"], item["predicate"], item["object"]["id"], item["inferred"], item["strength"])
        subclass = {"id": SUBCLASS, "label": SUBCLASS_LABELS[lang]}
        for parent in service.parents(resolved, lang).items:
            node(parent)
            edge(center, subclass, parent["id"], bool(parent.get("inferred")), None)
        for child in service.children(resolved, lang).items:
            node(child)
            edge(child["id"], subclass, center, bool(child.get("inferred")), None)
        return {"center": center, "nodes": list(nodes.values()), "edges": list(edges.values()),
                "relations": sorted(relations.values(), key=lambda r: (r["id"] != SUBCLASS, r["label"] or r["id"]))}

    def _category(self, iri: str | None, lang: str) -> dict | None:
        entry = self.service.release.entries.get(iri) if iri else None
        if entry is None or not entry.categories:
            return None
        first = min(entry.categories)
        return {"id": curie_of(first), "label": self.service.release.label(first, lang)}


#: the upper categories a statement belongs to (quantitative statement, clinical note)
STATEMENT_CATEGORIES = ("OSTEOKG:0000091", "OSTEOKG:0000092")

# ---------------------------------------------------------------- numbers as a person reads them

_WORDS = {
    "in": {"en": "{k} in {n}", "nl": "{k} op de {n}"},
    "percent": {"en": "{v} %", "nl": "{v} %"},
    "range_percent": {"en": "{a}–{b} %", "nl": "{a} tot {b} %"},
    "times": {"en": "{v} times as high", "nl": "{v} keer zo hoog"},
    "up_to_times": {"en": "up to {v} times as high", "nl": "tot {v} keer zo hoog"},
    "ratio": {"en": "{v} times as many", "nl": "{v} keer zoveel"},
    "ages": {"en": "between {a} and {b} years of age", "nl": "tussen {a} en {b} jaar"},
    "more": {"en": "more than {c}", "nl": "meer dan {c}"},
    "fewer": {"en": "fewer than {c}", "nl": "minder dan {c}"},
}
_DENOMINATORS = range(2, 11)


def _number(value: float, lang: str) -> str:
    text = f"{value:g}"
    return text.replace(".", ",") if lang == "nl" else text


def _fraction(value: float) -> tuple[int, int] | None:
    """The fraction k/n (n ≤ 10) a proportion rounds from, as a source's "1 op de 3" does (within 0.005)."""
    for n in _DENOMINATORS:
        k = round(value * n)
        if 0 < k < n and abs(value - k / n) < 0.005:
            return k, n
    return None


def reading(statement: dict, lang: str) -> str | None:
    """A quantitative statement's numbers as a person reads them: "1 op de 3", "30 tot 65 %", "tot 5 keer zo hoog",
    "tussen 20 en 50 jaar", "meer dan diabetes" — from its typed values only (never its label), or None when it
    has no number to read (a clinical note)."""
    kind = statement.get("statement_kind")
    value, low, high = statement.get("value"), statement.get("min_value"), statement.get("max_value")
    words: dict[str, dict[str, str]] = _WORDS

    def say(key: str, **values: Any) -> str:
        return words[key][lang].format(**values)

    if kind == "proportion" and isinstance(value, (int, float)):
        fraction = _fraction(float(value))
        if fraction:
            return say("in", k=fraction[0], n=fraction[1])
        return say("percent", v=_number(round(float(value) * 100, 1), lang))
    if kind == "percentage-range" and low is not None and high is not None:
        return say("range_percent", a=_number(low, lang), b=_number(high, lang))
    if kind == "relative-risk":
        if value is not None:
            return say("times", v=_number(value, lang))
        if high is not None:
            return say("up_to_times", v=_number(high, lang))
    if kind == "ratio" and value is not None:
        return say("ratio", v=_number(value, lang))
    if kind == "age-range" and low is not None and high is not None:
        return say("ages", a=_number(low, lang), b=_number(high, lang))
    if kind == "comparison" and statement.get("comparison") in ("greater-than", "less-than"):
        comparator = (statement.get("comparator") or {}).get("label") or statement.get("comparator_text")
        if comparator:
            return say("more" if statement["comparison"] == "greater-than" else "fewer", c=comparator)
    return None
