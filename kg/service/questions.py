"""The graph's questions over one :class:`~kg.service.release.Release`: CURIEs and plain values in, plain data out."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kg import queries
from kg.service import shapes
from kg.service.documents import RELEASE_WIDE, Documents, dumps, envelope, unpack
from kg.service.release import Release, open_release, row_order
from kg.service.values import (DATES, DCTERMS, DEFINITION, DIRECTIONS, HIERARCHY, LABEL, LANGUAGES, MATCHES, MULTI,
                               NUMBERS, OKG, PREFIXES, QUANTITATIVE, RDF_TYPE, RDFS, SINGLE, STATEMENT_KINDS, STRENGTHS,
                               SYNONYMS, Answer, BadValue, EntityPage, NotFound, Page, Question, Resolved, ServiceError,
                               choice, curie_of, iri_of_curie, is_ask, page_of, parse_qualifiers, questions,
                               search_text, split_curie, term, text_in, translation)
from kg.store import ASK_COLUMN, Row, Value
from kg.vocab import expand, shorten


def _envelope(items: list[bytes], limit: int | None, offset: int) -> bytes:
    """The page of items already in JSON, as :func:`~kg.service.values.page_of` pages them, in JSON."""
    if limit is None:
        return envelope(items[offset:], len(items), len(items), offset)
    if limit < 0 or offset < 0:
        raise BadValue("limit" if limit < 0 else "offset", "must not be negative")
    return envelope(items[offset:offset + limit], len(items), limit, offset)


def _page(body: bytes) -> Page:
    """A page back from its JSON."""
    found = json.loads(body)
    return Page(found["items"], found["total"], found["limit"], found["offset"])


class Service:
    """The graph's questions over one :class:`Release`."""

    def __init__(self, release: Release, documents: bool = True) -> None:
        """``documents=False``: compute every answer from the store even where the release has its documents
        (what :func:`kg.service.documents.write_documents` does, and what the tests compare the documents with)."""
        self.release = release
        self.documents: Documents | None = release.documents if documents else None
        self.questions = questions()

    def _document(self, iri: str, lang: str, part: str) -> bytes | None:
        """The precomputed document, or None when the release has none for ``iri`` (then the answer is computed)."""
        return self.documents.get(iri, lang, part) if self.documents is not None else None

    @classmethod
    def open(cls, build_dir: Path, engine: str = "oxigraph") -> Service:
        return cls(open_release(build_dir, engine))

    # -------------------------------------------------- small pieces

    def ref(self, iri: str, lang: str) -> dict:
        """An entity as the other end of something: its CURIE, IRI and label."""
        return {"id": curie_of(iri), "iri": iri, "label": self.release.label(iri, lang)}

    def _code(self, iri: str) -> dict:
        """A code of another terminology: its CURIE, IRI and official label (as its terminology writes it, in English:
        ontology/code-labels.tsv through the graph), None where the graph has none (SNOMED CT, RO, BFO)."""
        return {"id": shorten(iri), "iri": iri, "label": self.release.code_labels.get(iri)}

    def named(self, iri: str, lang: str) -> dict:
        """A value of the vocabulary (a strength, an evidence kind) as its CURIE and label."""
        return {"id": curie_of(iri), "label": self.release.label(iri, lang)}

    def _not_found(self, id: str, why: str = "") -> NotFound:
        message = f"no entity {id} in osteokg {self.release.manifest.get('version_iri', '')}".strip()
        return NotFound(f"{message} ({why})" if why else message, id=id)

    def _path_iri(self, curie: str) -> str:
        """The IRI of an ID given as a CURIE; an unknown prefix is an ID this release does not know."""
        prefix, local = split_curie(curie, "id")
        namespace = PREFIXES.get(prefix) or PREFIXES.get(prefix.upper())
        if namespace is None:
            raise self._not_found(curie, f"unknown prefix '{prefix}'; known: {', '.join(sorted(PREFIXES))}")
        return namespace + local

    # -------------------------------------------------- resolve

    def resolve(self, id: str | None = None, *, iri: str | None = None) -> Resolved:
        """What the CURIE ``id`` (or the full ``iri``) names: an entity, or a foreign code and what it maps to.

        :class:`BadValue` for a malformed ID, :class:`NotFound` for one the release does not know.
        """
        if iri is None:
            if id is None:
                raise BadValue("iri", "give an entity as /entities/{CURIE} or /entities?iri=…")
            iri = self._path_iri(id)
        subject = term(iri)
        release = self.release
        if iri not in release.entries and iri in release.by_code:
            mapped = release.by_code[iri]
            precise = [entity for entity, match in mapped if match in ("exactMatch", "closeMatch")]
            target = shorten(precise[0]) if len(precise) == 1 and len(mapped) == 1 else None
            return Resolved(iri, shorten(iri), "code", target)
        if iri not in release.entries and not release.store.select("entity-exists", entity=subject):
            raise self._not_found(shorten(iri))
        return Resolved(iri, shorten(iri), "entity")

    def entity_iri(self, id: str | Resolved) -> str:
        """The IRI of the entity ``id`` names; a code that stands for one entity names that entity."""
        resolved = id if isinstance(id, Resolved) else self.resolve(id)
        if resolved.kind == "code":
            if resolved.target is None:
                raise NotFound(f"{resolved.id} is a code that maps to several osteokg entities, or imprecisely; "
                               f"see xrefs", id=resolved.id)
            resolved = self.resolve(resolved.target)
        return resolved.iri

    def xrefs(self, code: str, lang: str = "en") -> Page:
        """The osteokg entities a code of another terminology maps to, with the mapping's precision, each naming
        the code (``code``: its CURIE, IRI and official label)."""
        prefix, local = split_curie(code, "id")
        namespace = PREFIXES.get(prefix) or PREFIXES.get(prefix.upper())
        iri = namespace + local if namespace else None
        mapped = self.release.by_code.get(iri) if iri else None
        if iri is None or not mapped:
            why = "" if namespace else f" (unknown prefix '{prefix}'; known: {', '.join(sorted(PREFIXES))})"
            raise NotFound(f"no osteokg entity maps to {shorten(iri) if iri else code}; see /search?q= for words{why}")
        named = self._code(iri)  # the code asked about, with its official label
        items = [{**self.ref(entity, lang), "match": match, "code": named}
                 for entity, match in sorted(mapped, key=lambda m: (m[1] != "exactMatch", m[0]))]
        return Page(items, len(items), len(items), 0)

    # -------------------------------------------------- the entity

    def entity(self, id: str | Resolved, lang: str = "en") -> dict:
        """Labels, definitions, synonyms (in ``lang``), categories, types, codes, parents, annotations and
        the outgoing edges (``relations``: each in the one edge shape of :mod:`kg.service.shapes`, with its
        evidence, the same objects as :meth:`relations` gives)."""
        return json.loads(self.entity_json(id, lang))

    def entity_json(self, id: str | Resolved, lang: str = "en") -> bytes:
        """:meth:`entity` as the JSON bytes the REST route sends (the precomputed document where there is one)."""
        iri = self.entity_iri(id)
        document = self._document(iri, lang, "entity")
        if document is not None:
            return document
        return dumps(self._entity(iri, lang, self._edges(iri, lang, "out"))).encode("utf-8")

    def entity_page(self, id: str | Resolved, lang: str = "en") -> EntityPage:
        """The entity with its outgoing edges in full, the asserted incoming ones and the statements about it."""
        iri = self.entity_iri(id)
        document = self._document(iri, lang, "edges")
        if document is not None:
            edges = [json.loads(body) for _, body in unpack(document)]
            statements = json.loads(self._document(iri, lang, "page-statements") or b"[]")
            entity = json.loads(self._document(iri, lang, "entity") or b"{}")
        else:
            edges = self._edges(iri, lang, "both")
            statements = self._statements_about(iri, lang)
            entity = {}
        outgoing = [e for e in edges if e["direction"] == "out"]
        incoming = [e for e in edges if e["direction"] == "in" and not e["inferred"]]
        return EntityPage(entity or self._entity(iri, lang, outgoing), outgoing, incoming, statements,
                          self.release.version)

    def _statements_about(self, iri: str, lang: str) -> list[dict]:
        return [self.ref(s, lang) for s, st in self.release.statements.items() if st.about_iri == iri]

    def entity_triples(self, id: str | Resolved) -> list[Row]:
        """The entity's own triples (``s p o`` rows) for an RDF view."""
        return self.release.store.select("entity-graph", entity=queries.iri(self.entity_iri(id)))

    def _entity(self, iri: str, lang: str, outgoing: list[dict]) -> dict:
        release = self.release
        subject = queries.iri(iri)
        labels: dict[str, str] = {}
        definitions: dict[str, str] = {}
        synonyms: list[dict] = []
        xrefs: list[dict] = []
        types: list[str] = []
        values: dict[str, list] = {}
        # in one order whatever the store's (labels and definitions by language, annotations' values by value)
        for row in sorted(release.store.select("entity-properties", entity=subject), key=row_order):
            p, o = row["p"].value, row["o"]
            if p == LABEL and o.lang:
                labels[o.lang] = o.value
            elif p == DEFINITION and o.lang:
                definitions[o.lang] = o.value
            elif p in SYNONYMS:
                synonyms.append({"text": o.value, "lang": o.lang, "type": SYNONYMS[p]})
            elif p in MATCHES and o.kind == "iri":
                xrefs.append({**self._code(o.value), "match": MATCHES[p]})  # with the code's official label
            elif p == RDF_TYPE and o.kind == "iri":
                types.append(shorten(o.value))
            elif p == f"{RDFS}subClassOf" and o.kind == "iri":
                pass
            elif p.startswith(OKG) or p.startswith(DCTERMS) or p == "https://schema.org/url":
                if o.kind == "literal" and o.lang and o.lang != lang:
                    continue
                item = o.python() if o.kind == "literal" else self.ref(o.value, lang)
                values.setdefault(shorten(p), []).append(item)
        direct = release.store.select("parents", entity=subject)
        entry = release.entries.get(iri)
        body: dict[str, Any] = {  # a JSON object
            "id": shorten(iri),
            "iri": iri,
            "lang": lang,
            "label": labels.get(lang) or labels.get("en"),
            "labels": labels,
            "definition": definitions.get(lang) or definitions.get("en"),
            "definitions": definitions,
            "synonyms": sorted((s for s in synonyms if s["lang"] == lang),
                               key=lambda s: (s["type"], s["text"].casefold())),
            "categories": sorted((self.ref(c, lang) for c in (entry.categories if entry else ())),
                                 key=lambda c: c["id"]),
            "types": sorted(types),
            "xrefs": sorted(xrefs, key=lambda x: x["id"]),
            "parents": sorted(({**self.ref(r["other"].value, lang), "inferred": "rule" in r} for r in direct),
                              key=lambda p: p["id"]),
        }
        if values:
            body["annotations"] = {key: (items[0] if len(items) == 1 else items) for key, items in sorted(values.items())}
        body["relations"] = outgoing  # the outgoing edges, each in the one edge shape (kg.service.shapes)
        return body

    # -------------------------------------------------- edges

    def relations(self, id: str | Resolved, lang: str = "en", direction: str = "both", predicate: str | None = None,
                  inferred: bool | None = None, strength: str | None = None, limit: int | None = None,
                  offset: int = 0) -> Page:
        """The entity's edges, one per (direction, predicate, other end), each with all its evidence and its
        strength (the strongest of its evidence). ``predicate`` is a relation's CURIE, ``inferred`` True
        or False keeps only inferred or asserted edges, ``strength`` one of :data:`STRENGTHS`."""
        return _page(self.relations_json(id, lang, direction, predicate, inferred, strength, limit, offset))

    def relations_json(self, id: str | Resolved, lang: str = "en", direction: str = "both",
                       predicate: str | None = None, inferred: bool | None = None, strength: str | None = None,
                       limit: int | None = None, offset: int = 0) -> bytes:
        """:meth:`relations` as the JSON bytes of its page (from the precomputed edges where there are some)."""
        iri = self.entity_iri(id)
        choice("direction", direction, DIRECTIONS)
        if strength is not None:
            choice("strength", strength, STRENGTHS)
        predicate_iri = None
        if predicate:
            predicate_iri = iri_of_curie(predicate, "predicate")
            if predicate_iri not in self.release.entries or predicate_iri not in self.release.relations:
                raise BadValue("predicate", f"{predicate} is not a relation of osteokg; see /relations")
        document = self._document(iri, lang, "edges")
        if document is None:
            return dumps(page_of(self._edges(iri, lang, direction, predicate_iri, inferred, strength), limit,
                                 offset).envelope()).encode("utf-8")
        wanted_predicate = curie_of(predicate_iri) if predicate_iri else None
        wanted_strength = f"okg:{strength}" if strength is not None else None
        chosen = [body for (way, p, is_inferred, edge_strength), body in unpack(document)
                  if direction in (way, "both") and (wanted_predicate is None or p == wanted_predicate)
                  and (inferred is None or is_inferred == inferred)
                  and (wanted_strength is None or edge_strength == wanted_strength)]
        return _envelope(chosen, limit, offset)

    def _evidence(self, row: Row, lang: str) -> dict:
        """One evidence node: source, quote, how it was found, and every qualifier the graph gives it."""
        is_inferred = row["inferred"].value == "true"
        qualifiers = parse_qualifiers(row)
        single = {key: qualifiers[name][0][0] for name, key in SINGLE.items() if name in qualifiers}
        evidence: dict[str, Any] = {"source": self.ref(row["source"].value, lang), "quote": row["quote"].value,
                    "quote_lang": row["quote"].lang,
                    "translation": translation(row["quote"].lang, qualifiers.get("quoteTranslation", []), lang),
                    "inferred": is_inferred,
                    "strength": self.named(single["strength"], lang) if "strength" in single else None,
                    "evidence_kind": self.named(single["evidence_kind"], lang) if "evidence_kind" in single else None,
                    "review_status": single.get("review_status")}
        if note := text_in(qualifiers.get("reviewNote", []), lang):
            evidence["review_note"] = note
        if "condition" in single:
            evidence["condition"] = self.ref(single["condition"], lang)
        if text := text_in(qualifiers.get("conditionText", []), lang):
            evidence["condition_text"] = text
        for name, key in MULTI.items():
            evidence[key] = sorted((self.ref(value, lang) for value, _ in qualifiers.get(name, [])),
                                   key=lambda r: r["id"])
        if "rule" in row:
            evidence["rule"] = row["rule"].value
        if is_inferred and all(k in single for k in ("subject", "predicate", "object")):
            evidence["premise"] = {k: self.ref(single[k], lang) for k in ("subject", "predicate", "object")}
        return evidence

    def _edges(self, iri: str, lang: str, direction: str = "both", predicate: str | None = None,
               inferred: bool | None = None, strength: str | None = None) -> list[dict]:
        release = self.release
        subject = queries.iri(iri)
        orders = release.strength_orders
        grouped: dict[tuple[str, str, str], dict] = {}
        for way in ("out", "in"):
            if direction not in (way, "both"):
                continue
            for row in release.store.select(f"relations-{way}", entity=subject):
                p, other = row["p"].value, row["other"].value
                if predicate and p != predicate:
                    continue
                is_inferred = row["inferred"].value == "true"
                key = (way, p, other)
                edge = grouped.get(key)
                if edge is None:
                    me, them = self.ref(iri, lang), self.ref(other, lang)
                    entry = release.entries.get(p)
                    edge = grouped[key] = shapes.edge(
                        "out" if way == "out" else "in", me if way == "out" else them, self.ref(p, lang),
                        entry.labels if entry else {}, them if way == "out" else me, is_inferred)
                edge["inferred"] = edge["inferred"] and is_inferred  # asserted wins
                evidence = self._evidence(row, lang)
                if evidence not in edge["evidence"]:
                    edge["evidence"].append(evidence)
        unranked = len(orders) + 1

        def rank(strength: dict | None) -> int:  # an evidence without a strength after every strength
            return orders.get(strength["id"], unranked) if strength else unranked

        for edge in grouped.values():
            edge["evidence"].sort(key=lambda ev: (ev["inferred"], rank(ev["strength"]), ev["source"]["id"], ev["quote"]))
            strengths = [ev["strength"] for ev in edge["evidence"] if ev["strength"]]
            if strengths:
                edge["strength"] = min(strengths, key=lambda s: orders.get(s["id"], unranked))
        items = list(grouped.values())
        if inferred is not None:
            items = [e for e in items if e["inferred"] == inferred]
        if strength is not None:
            items = [e for e in items if (e["strength"] or {}).get("id") == f"okg:{strength}"]
        items.sort(key=lambda e: (e["direction"] != "out", e["predicate"]["id"], e["inferred"],
                                  (e["object"] if e["direction"] == "out" else e["subject"])["id"]))
        return items

    # -------------------------------------------------- hierarchy

    def hierarchy(self, id: str | Resolved, walk: str, lang: str = "en", limit: int | None = None,
                  offset: int = 0) -> Page:
        """``walk`` one of :data:`HIERARCHY`: the direct parents or children (asserted, or found by HermiT,
        each saying which), or all ancestors or descendants; by CURIE."""
        return _page(self.hierarchy_json(id, walk, lang, limit, offset))

    def hierarchy_json(self, id: str | Resolved, walk: str, lang: str = "en", limit: int | None = None,
                       offset: int = 0) -> bytes:
        """:meth:`hierarchy` as the JSON bytes of its page."""
        iri = self.entity_iri(id)
        choice("walk", walk, HIERARCHY)
        document = self._document(iri, lang, walk)
        if document is not None:
            return _envelope([body for _, body in unpack(document)], limit, offset)
        return dumps(self._hierarchy(iri, walk, lang, limit, offset).envelope()).encode("utf-8")

    def _hierarchy(self, iri: str, walk: str, lang: str, limit: int | None, offset: int) -> Page:
        rows = self.release.store.select(walk, entity=queries.iri(iri))
        direct = walk in ("parents", "children")
        items = sorted(({**self.ref(r["other"].value, lang), **({"inferred": "rule" in r} if direct else {})}
                        for r in rows), key=lambda item: item["id"])
        return page_of(items, limit, offset)

    def parents(self, id: str | Resolved, lang: str = "en", limit: int | None = None, offset: int = 0) -> Page:
        return self.hierarchy(id, "parents", lang, limit, offset)

    def children(self, id: str | Resolved, lang: str = "en", limit: int | None = None, offset: int = 0) -> Page:
        return self.hierarchy(id, "children", lang, limit, offset)

    def ancestors(self, id: str | Resolved, lang: str = "en", limit: int | None = None, offset: int = 0) -> Page:
        return self.hierarchy(id, "ancestors", lang, limit, offset)

    def descendants(self, id: str | Resolved, lang: str = "en", limit: int | None = None, offset: int = 0) -> Page:
        return self.hierarchy(id, "descendants", lang, limit, offset)

    # -------------------------------------------------- search

    def search(self, q: str, lang: str = "en", category: str | None = None, limit: int | None = 50,
               offset: int = 0) -> Page:
        """Labels, synonyms and codes in both languages, by the release's search index (:mod:`kg.search`: exact >
        prefix > words in any order, inside Dutch compounds too > one or two typos; then a total tie-break), each
        hit with the field and text it matched."""
        text = search_text(q)
        category_iri = self._category_filter(category)
        if limit is not None and limit < 0 or offset < 0:
            raise BadValue("limit" if limit is not None and limit < 0 else "offset", "must not be negative")
        total, items = self._index().search(text, lang, category_iri, limit, offset)
        return Page(items, total, total if limit is None else limit, offset)

    def suggest(self, q: str, lang: str = "en", limit: int = 10) -> list[dict]:
        """Search-as-you-type: the entities whose label, synonym or code (or one of its words) starts with ``q``,
        exact matches first, in the search order."""
        if limit < 0:
            raise BadValue("limit", "must not be negative")
        return self._index().suggest(search_text(q), lang, limit)

    def _index(self):
        index = self.release.search
        if index is None:
            raise ServiceError("this release has no search index")
        return index

    def _category_filter(self, category: str | None) -> str | None:
        if not category:
            return None
        category_iri = iri_of_curie(category, "category")
        if category_iri not in self.release.categories:
            raise BadValue("category", f"{category} is not a category; see /categories")
        return category_iri

    # -------------------------------------------------- listings

    def categories(self, lang: str = "en") -> Page:
        """The upper categories, each with how many entities it has."""
        document = self._document(RELEASE_WIDE, lang, "categories")
        if document is not None:
            items = json.loads(document)
            return Page(items, len(items), len(items), 0)
        counts: dict[str, int] = {}
        for entry in self.release.entries.values():
            for category in entry.categories:
                counts[category] = counts.get(category, 0) + 1
        items = [{**self.ref(c, lang), "members": counts.get(c, 0)} for c in sorted(self.release.categories)]
        return Page(items, len(items), len(items), 0)

    def category(self, category: str) -> str:
        """The IRI of the upper category ``category`` (a CURIE); :class:`NotFound` when it is not one."""
        prefix, local = split_curie(category, "id")
        namespace = PREFIXES.get(prefix) or PREFIXES.get(prefix.upper())
        iri = namespace + local if namespace else None
        if iri is None or iri not in self.release.categories:
            why = "" if namespace else f" (unknown prefix '{prefix}'; known: {', '.join(sorted(PREFIXES))})"
            raise NotFound(f"{category} is not a category; see /categories{why}")
        return iri

    def category_members(self, category: str, lang: str = "en", limit: int | None = None, offset: int = 0) -> Page:
        """Every term in the category ``category`` (a CURIE), or every individual typed by it."""
        iri = self.category(category)
        rows = self.release.store.select("category-members", category=queries.iri(iri))
        items = sorted((self.ref(r["member"].value, lang) for r in rows), key=lambda item: item["id"])
        return page_of(items, limit, offset)

    def relation_list(self, lang: str = "en") -> Page:
        """Every relation with its inverse, mappings and how its edges pass through the hierarchy."""
        release = self.release
        items = [{**self.ref(p, lang), "labels": release.entries[p].labels if p in release.entries else {},
                  "inverse": self.ref(info.inverse, lang) if info.inverse else None,
                  "mappings": sorted(({**self._code(expand(m["id"]) or m["id"]), "match": m["match"]}
                                      for m in info.mappings), key=lambda m: m["id"]),
                  "inherited_by_subclasses": info.inherited, "generalizes_object": info.generalizes}
                 for p, info in sorted(release.relations.items())]
        return Page(items, len(items), len(items), 0)

    def statements(self, lang: str = "en", kind: str = "quantitative", about: str | None = None,
                   limit: int | None = None, offset: int = 0) -> Page:
        """Quantitative statements (``kind='quantitative'``), clinical notes (``'note'``) or both (``'any'``),
        optionally only those ``about`` an entity (a CURIE), with their typed values and evidence."""
        return _page(self.statements_json(lang, kind, about, limit, offset))

    def statements_json(self, lang: str = "en", kind: str = "quantitative", about: str | None = None,
                        limit: int | None = None, offset: int = 0) -> bytes:
        """:meth:`statements` as the JSON bytes of its page."""
        wanted = STATEMENT_KINDS[choice("kind", kind, tuple(STATEMENT_KINDS))]
        about_iri = iri_of_curie(about, "about") if about else None
        document = self._document(RELEASE_WIDE, lang, "statements")
        if document is not None:
            return _envelope([body for (kind_iri, about_of), body in unpack(document)
                              if kind_iri in wanted and (about_iri is None or about_of == about_iri)], limit, offset)
        return dumps(self._statements(lang, wanted, about_iri, limit, offset).envelope()).encode("utf-8")

    def _statements(self, lang: str, wanted: set[str], about_iri: str | None, limit: int | None,
                    offset: int) -> Page:
        items = []
        for iri, item in sorted(self.release.statements.items()):
            if item.kind_iri not in wanted or (about_iri and item.about_iri != about_iri):
                continue
            body = {**self.ref(iri, lang), "kind": "quantitative" if item.kind_iri == QUANTITATIVE else "note"}
            for p, objects in item.values.items():
                if p == LABEL:
                    continue
                key = "definition" if p == DEFINITION else shapes.json_key(shorten(p).split(":", 1)[-1])
                chosen = [o for o in objects if o.kind != "literal" or o.lang in (None, lang)]
                if not chosen or key in ("type",):
                    continue
                value = chosen[0]
                if key == "source":
                    quote = next(o for o in item.values[f"{OKG}quote"])
                    translations = [(o.value, o.lang or "") for o in item.values.get(f"{OKG}quoteTranslation", [])]
                    body["evidence"] = {"source": self.ref(value.value, lang), "quote": quote.value,
                                        "translation": translation(quote.lang, translations, lang)}
                elif key in ("quote", "quote_translation"):
                    continue
                elif value.kind == "iri":
                    body[key] = self.ref(value.value, lang)
                else:
                    body[key] = value.python()
            items.append(body)
        return page_of(items, limit, offset)

    # -------------------------------------------------- competency questions

    def competency_questions(self) -> list[Question]:
        """The competency questions (kg/queries/competency/*.rq), each with its English and Dutch question."""
        return list(self.questions.values())

    def _question(self, name: str) -> Question:
        question = self.questions.get(name)
        if question is None:
            raise NotFound(f"no competency question '{name[:80]}'; known: {', '.join(self.questions)}")
        return question

    @staticmethod
    def _competency_terms(name: str, lang: str) -> dict[str, queries.Term]:
        """The query's parameters for ``lang``: ``?_lang`` (the language its labels and texts are filtered to) where
        the query filters by language; a query that needs no language takes none."""
        choice("lang", lang, LANGUAGES)
        return {"lang": queries.literal(lang)} if "lang" in queries.parameters(f"competency/{name}") else {}

    def competency_sparql(self, name: str, lang: str = "en") -> str:
        """The text of the competency question ``name`` bound for ``lang``: what the questions page and the SPARQL
        editor show, runnable as it is on /sparql (its ``?_lang`` replaced by the literal ``"en"`` or ``"nl"``)."""
        self._question(name)
        return queries.bind(f"competency/{name}", **self._competency_terms(name, lang))

    def competency(self, name: str, lang: str = "en") -> Answer:
        """Run the competency question ``name`` in ``lang``: its columns and rows of plain values."""
        question = self._question(name)
        rows = self.release.store.select(f"competency/{name}", **self._competency_terms(name, lang))
        columns: list[str] = []
        for row in rows:
            columns.extend(c for c in row if c not in columns)
        return Answer(question, columns, rows)

    def competency_table(self, name: str, lang: str = "en") -> dict:
        """The answer of the competency question ``name`` as a person reads it, in ``lang``::

            {"name", "question": {"en", "nl"}, "columns": [{"var", "heading"}], "rows": [[cell, …]],
             "boolean": true | false | null}

        Only the columns the file's ``# columns-<lang>:`` line names, in its order and with its headings (all
        columns, headed by their variables, when it names none); rows de-duplicated, in the query's order. A
        cell is ``{"kind": "entity", "id", "iri", "label"}`` (label in ``lang``) for an osteokg entity,
        ``{"kind": "link", "iri"}`` for any other IRI (a publisher's address: an external link), ``{"kind": "text",
        "text", "lang"}`` for a text (``lang`` null when it has none), ``{"kind": "number" | "date" | "boolean",
        "value"}`` for a typed literal, null where the row leaves the variable unbound. An ASK question has no
        columns or rows and its answer in ``boolean`` (null for a SELECT)."""
        question = self._question(name)
        answer = self.competency(name, lang)
        table: dict[str, Any] = {"name": name, "question": {"en": question.en, "nl": question.nl},
                                 "columns": [], "rows": [], "boolean": None}
        if is_ask(queries.text(f"competency/{name}")):
            table["boolean"] = bool(answer.rows and answer.rows[0][ASK_COLUMN].python() is True)
            return table
        shown = question.columns.get(lang) or question.columns.get("en") or [(c, c) for c in answer.columns]
        table["columns"] = [{"var": var, "heading": heading} for var, heading in shown]
        seen: set[str] = set()
        for row in answer.rows:
            cells = [self._cell(row.get(var), lang) for var, _ in shown]
            key = json.dumps(cells, sort_keys=True)
            if key not in seen:
                seen.add(key)
                table["rows"].append(cells)
        return table

    def _cell(self, value: Value | None, lang: str) -> dict | None:
        """One value of an answer as a person reads it (see :meth:`competency_table`)."""
        if value is None:
            return None
        if value.kind == "iri" and value.value in self.release.entries:
            return {"kind": "entity", "id": curie_of(value.value), "iri": value.value,
                    "label": self.release.label(value.value, lang)}
        if value.kind == "iri":  # not an osteokg entity: a publisher's address, a code of another terminology
            return {"kind": "link", "iri": value.value}
        local = (value.datatype or "").rsplit("#", 1)[-1]
        if value.kind == "literal" and local in NUMBERS:
            return {"kind": "number", "value": value.python()}
        if value.kind == "literal" and local in DATES:
            return {"kind": "date", "value": value.value}
        if value.kind == "literal" and local == "boolean":
            return {"kind": "boolean", "value": value.python()}
        return {"kind": "text", "text": value.value, "lang": value.lang}
