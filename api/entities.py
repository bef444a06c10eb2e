"""The clinical REST routes: entities, their relations and hierarchy, search, categories, statements.

Every route answers JSON by default (one paging envelope ``{items, total, limit, offset}`` for
lists), takes ``lang=en|nl`` (default from Accept-Language) and refuses unknown parameters.
An entity also negotiates JSON-LD, Turtle, N-Triples and a readable HTML page, so every ID in
the graph dereferences. The graph only changes with a build, so rendered answers are kept by the
response cache in front of the app (:mod:`api.cache`), keyed by URL, Accept and Accept-Language.
"""
from __future__ import annotations

from functools import lru_cache, wraps
from urllib.parse import unquote

from flask import Blueprint, Response, current_app, jsonify, redirect, render_template, request, url_for

from api import cache, negotiate, params
from api.errors import Problem
from api.graph import OSTEOKG_NS, ServedGraph, fold, served
from kg.store import Row
from kg.vocab import shorten

bp = Blueprint("entities", __name__)

RDFS = "http://www.w3.org/2000/01/rdf-schema#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
DEFINITION = "http://purl.obolibrary.org/obo/IAO_0000115"
OIO = "http://www.geneontology.org/formats/oboInOwl#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
OKG = "https://w3id.org/osteokg/vocab/"
DCTERMS = "http://purl.org/dc/terms/"
MATCHES = {f"{SKOS}{m}": m for m in ("exactMatch", "closeMatch", "broadMatch", "narrowMatch")}
SYNONYMS = {f"{OIO}has{scope.capitalize()}Synonym": scope for scope in ("exact", "broad", "narrow", "related")}


def cached(view):
    """Mark a GET answer as cacheable: :mod:`api.cache` keeps it and answers repeats without Flask."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        response = current_app.make_response(view(*args, **kwargs))
        return cache.mark(response) if response.status_code == 200 else response

    return wrapper


# ---------------------------------------------------------------- helpers


@lru_cache(maxsize=1 << 16)
def curie_of(iri: str) -> str:
    """:func:`kg.vocab.shorten`, remembered: the graph's IRIs are few and each edge names several."""
    return shorten(iri)


def ref(graph: ServedGraph, iri: str, lang: str) -> dict:
    """An entity as the other end of something: its CURIE, IRI and label."""
    return {"id": curie_of(iri), "iri": iri, "label": graph.label(iri, lang)}


def envelope(items: list, total: int, limit: int, offset: int) -> dict:
    return {"items": items, "total": total, "limit": limit, "offset": offset}


def resolve_entity(curie: str | None) -> str:
    """The IRI named by the path CURIE or the ``iri`` parameter; 404 when the graph does not know it."""
    iri_param = request.args.get("iri")
    if curie is None:
        if not iri_param:
            raise params.bad("iri", "give an entity as /entities/{CURIE} or /entities?iri=…")
        iri = iri_param
    else:
        iri = params.iri_of_curie(curie)
    term = params.term(iri)
    graph = served()
    if iri not in graph.entries and iri in graph.by_code:  # a foreign code: to the entity it maps to
        mapped = graph.by_code[iri]
        precise = [entity for entity, match in mapped if match in ("exactMatch", "closeMatch")]
        if len(precise) == 1 and len(mapped) == 1:
            raise Redirect(url_for("entities.entity", curie=shorten(precise[0]), **_lang_arg()))
        raise Redirect(url_for("entities.xrefs", curie=shorten(iri), **_lang_arg()))
    if iri not in graph.entries and not graph.store.select("entity-exists", entity=term):
        raise Problem(404, "Not Found", f"no entity {shorten(iri)} in osteokg {graph.manifest.get('version_iri', '')}".strip(),
                      id=shorten(iri))
    return iri


class Redirect(Exception):
    """303 See Other to ``location`` (a foreign code names an osteokg entity)."""

    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location


@bp.errorhandler(Redirect)
def _redirect(error: Redirect):
    return redirect(error.location, code=303)


def _lang_arg() -> dict:
    return {"lang": request.args["lang"]} if request.args.get("lang") in params.LANGUAGES else {}


@bp.get("/xrefs/<path:curie>")
@cached
def xrefs(curie: str):
    """The osteokg entities a code of another terminology maps to, with the mapping's precision."""
    params.only("lang")
    lang = params.language()
    iri = params.iri_of_curie(curie)
    graph = served()
    mapped = graph.by_code.get(iri)
    if not mapped:
        raise Problem(404, "Not Found", f"no osteokg entity maps to {shorten(iri)}; see /search?q= for words")
    items = [{**ref(graph, entity, lang), "match": match, "code": shorten(iri)}
             for entity, match in sorted(mapped, key=lambda m: (m[1] != "exactMatch", m[0]))]
    return jsonify(envelope(items, len(items), len(items), 0))


def entity_json(graph: ServedGraph, iri: str, lang: str, outgoing: list[dict] | None = None) -> dict:
    rows = graph.store.select("entity-properties", entity=params.term(iri))
    labels, definitions, synonyms, xrefs, types, parents_all, values = {}, {}, [], [], [], set(), {}
    for row in rows:
        p, o = row["p"].value, row["o"]
        if p == f"{RDFS}label" and o.lang:
            labels[o.lang] = o.value
        elif p == DEFINITION and o.lang:
            definitions[o.lang] = o.value
        elif p in SYNONYMS:
            synonyms.append({"text": o.value, "lang": o.lang, "type": SYNONYMS[p]})
        elif p in MATCHES and o.kind == "iri":
            xrefs.append({"id": shorten(o.value), "iri": o.value, "match": MATCHES[p]})
        elif p == RDF_TYPE and o.kind == "iri":
            types.append(shorten(o.value))
        elif p == f"{RDFS}subClassOf" and o.kind == "iri":
            parents_all.add(o.value)
        elif p.startswith(OKG) or p.startswith(DCTERMS) or p == "https://schema.org/url":
            key = shorten(p)
            item = o.python() if o.kind == "literal" else ref(graph, o.value, lang)
            if o.kind == "literal" and o.lang:
                if o.lang != lang:
                    continue
            values.setdefault(key, []).append(item)
    direct = graph.store.select("parents", entity=params.term(iri))
    entry = graph.entries.get(iri)
    body = {
        "id": shorten(iri),
        "iri": iri,
        "lang": lang,
        "label": labels.get(lang) or labels.get("en"),
        "labels": labels,
        "definition": definitions.get(lang) or definitions.get("en"),
        "definitions": definitions,
        "synonyms": sorted((s for s in synonyms if s["lang"] == lang), key=lambda s: (s["type"], s["text"].casefold())),
        "categories": sorted((ref(graph, c, lang) for c in (entry.categories if entry else ())), key=lambda c: c["id"]),
        "types": sorted(types),
        "xrefs": sorted(xrefs, key=lambda x: x["id"]),
        "parents": sorted(({**ref(graph, r["other"].value, lang), "inferred": "rule" in r} for r in direct),
                          key=lambda p: p["id"]),
    }
    if values:
        body["annotations"] = {key: (items[0] if len(items) == 1 else items) for key, items in sorted(values.items())}
    edges = outgoing if outgoing is not None else relation_items(graph, iri, lang, direction="out")
    body["relations"] = [{"predicate": e["predicate"]["id"], "predicate_label": e["predicate"]["label"],
                          "target": e["object"], "inferred": e["inferred"], "strength": e["strength"]} for e in edges]
    base = url_for("entities.entity", curie=shorten(iri)) if iri.startswith(OSTEOKG_NS) else None
    if base:
        body["links"] = {"self": base, "relations": f"{base}/relations", "parents": f"{base}/parents",
                         "children": f"{base}/children", "ancestors": f"{base}/ancestors",
                         "descendants": f"{base}/descendants"}
    return body


#: the strengths an edge can have (okg:Strength), strongest first: the values of ``strength=``
STRENGTHS = ("defining", "main", "most", "often", "proportion", "generally", "can")
#: qualifier names in the relations queries' ?qualifiers → key in an evidence item
SINGLE = {"strength": "strength", "evidenceKind": "evidence_kind", "reviewStatus": "review_status",
          "condition": "condition", "premiseSubject": "subject", "premisePredicate": "predicate",
          "premiseObject": "object"}
MULTI = {"context": "context", "inCombinationWith": "in_combination_with", "quantifiedBy": "quantified_by"}


def strength_orders(graph: ServedGraph) -> dict[str, int]:
    """Strength CURIE → okg:strengthOrder (1 the strongest); the documented order where the graph gives none."""
    orders = graph.__dict__.get("_strength_orders")
    if orders is None:
        orders = {f"okg:{name}": rank for rank, name in enumerate(STRENGTHS, 1)}
        for row in graph.store.select("strengths"):
            value = row["order"].python()
            if isinstance(value, int):
                orders[curie_of(row["strength"].value)] = value
        graph.__dict__["_strength_orders"] = orders  # assigned whole: a concurrent request sees all or none
    return orders


def named(graph: ServedGraph, iri: str, lang: str) -> dict:
    """A value of the vocabulary (a strength, an evidence kind) as its CURIE and label."""
    return {"id": curie_of(iri), "label": graph.label(iri, lang)}


_unquote = lru_cache(maxsize=1 << 16)(unquote)  # the same strengths, kinds and terms on every edge


def parse_qualifiers(row: Row) -> dict[str, list[tuple[str, str]]]:
    """The ``?qualifiers`` column of relations-out / relations-in: name → [(value, lang)]."""
    out: dict[str, list[tuple[str, str]]] = {}
    cell = row.get("qualifiers")
    if cell is not None and cell.value:
        for item in cell.value.split(" "):
            name, lang, value = item.split("|", 2)
            out.setdefault(name, []).append((_unquote(value), lang))
    return out


def _text_in(values: list[tuple[str, str]], lang: str) -> str | None:
    """The text in ``lang``, else the English one, else any."""
    for wanted in (lang, "en", None):
        for value, language in values:
            if wanted is None or language == wanted:
                return value
    return None


def evidence_item(graph: ServedGraph, row: Row, lang: str) -> dict:
    """One evidence node: source, quote, how it was found, and every qualifier the graph gives it."""
    is_inferred = row["inferred"].value == "true"
    qualifiers = parse_qualifiers(row)
    single = {key: qualifiers[name][0][0] for name, key in SINGLE.items() if name in qualifiers}
    evidence = {"source": ref(graph, row["source"].value, lang), "quote": row["quote"].value,
                "quote_lang": row["quote"].lang, "inferred": is_inferred,
                "strength": named(graph, single["strength"], lang) if "strength" in single else None,
                "evidence_kind": named(graph, single["evidence_kind"], lang) if "evidence_kind" in single else None,
                "review_status": single.get("review_status")}
    if note := _text_in(qualifiers.get("reviewNote", []), lang):
        evidence["review_note"] = note
    if "condition" in single:
        evidence["condition"] = ref(graph, single["condition"], lang)
    if text := _text_in(qualifiers.get("conditionText", []), lang):
        evidence["condition_text"] = text
    for name, key in MULTI.items():
        evidence[key] = sorted((ref(graph, value, lang) for value, _ in qualifiers.get(name, [])),
                               key=lambda r: r["id"])
    if "rule" in row:
        evidence["rule"] = row["rule"].value
    if is_inferred and all(k in single for k in ("subject", "predicate", "object")):
        evidence["premise"] = {k: ref(graph, single[k], lang) for k in ("subject", "predicate", "object")}
    return evidence


def relation_items(graph: ServedGraph, iri: str, lang: str, direction: str = "both",
                   predicate: str | None = None, inferred: str = "any", strength: str | None = None) -> list[dict]:
    """Edges of ``iri`` grouped per (direction, predicate, other end), each with all its evidence
    and its strength: the strongest of its evidence (lowest okg:strengthOrder)."""
    term = params.term(iri)
    orders = strength_orders(graph)
    grouped: dict[tuple[str, str, str], dict] = {}
    for way in ("out", "in"):
        if direction not in (way, "both"):
            continue
        rows: list[Row] = graph.store.select(f"relations-{way}", entity=term)
        for row in rows:
            p, other = row["p"].value, row["other"].value
            if predicate and p != predicate:
                continue
            is_inferred = row["inferred"].value == "true"
            key = (way, p, other)
            edge = grouped.get(key)
            if edge is None:
                me, them = ref(graph, iri, lang), ref(graph, other, lang)
                edge = grouped[key] = {
                    "direction": way,
                    "subject": me if way == "out" else them,
                    "predicate": {**ref(graph, p, lang), "labels": graph.entries[p].labels if p in graph.entries else {}},
                    "object": them if way == "out" else me,
                    "inferred": is_inferred,
                    "strength": None,
                    "evidence": [],
                }
            edge["inferred"] = edge["inferred"] and is_inferred  # asserted wins
            evidence = evidence_item(graph, row, lang)
            if evidence not in edge["evidence"]:
                edge["evidence"].append(evidence)
    unranked = len(orders) + 1
    for edge in grouped.values():
        edge["evidence"].sort(key=lambda ev: (ev["inferred"], orders.get((ev["strength"] or {}).get("id"), unranked),
                                              ev["source"]["id"], ev["quote"]))
        strengths = [ev["strength"] for ev in edge["evidence"] if ev["strength"]]
        if strengths:
            edge["strength"] = min(strengths, key=lambda s: orders.get(s["id"], unranked))
    items = list(grouped.values())
    if inferred != "any":
        items = [e for e in items if e["inferred"] == (inferred == "true")]
    if strength is not None:
        items = [e for e in items if (e["strength"] or {}).get("id") == f"okg:{strength}"]
    items.sort(key=lambda e: (e["direction"] != "out", e["predicate"]["id"], e["inferred"],
                              (e["object"] if e["direction"] == "out" else e["subject"])["id"]))
    return items


# ---------------------------------------------------------------- routes


@bp.get("/entities/<path:curie>")
@cached
def entity(curie: str):
    params.only("lang")
    media_type = negotiate.choose(negotiate.ENTITY_TYPES)
    iri = resolve_entity(curie)
    return render_entity(iri, media_type)


@bp.get("/entities")
@cached
def entity_by_iri():
    params.only("iri", "lang")
    media_type = negotiate.choose(negotiate.ENTITY_TYPES)
    return render_entity(resolve_entity(None), media_type)


def render_entity(iri: str, media_type: str):
    lang = params.language()
    graph = served()
    if media_type in negotiate.RDF_FORMATS:
        rows = graph.store.select("entity-graph", entity=params.term(iri))
        return Response(negotiate.rdf(rows, media_type), mimetype=media_type)
    outgoing = relation_items(graph, iri, lang, direction="out")
    body = entity_json(graph, iri, lang, outgoing)
    if media_type == negotiate.HTML:
        incoming = [e for e in relation_items(graph, iri, lang, direction="in") if not e["inferred"]]
        statements = [ref(graph, s, lang) for s in statements_about(graph, iri)]
        hrefs: dict[str, str] = {}

        def href(entity_id: str) -> str:
            """The page of ``entity_id`` in this language (url_for once per entity: a page links many twice)."""
            if entity_id not in hrefs:
                hrefs[entity_id] = url_for("entities.entity", curie=entity_id, lang=lang)
            return hrefs[entity_id]

        html = render_template("entity.html", e=body, outgoing=outgoing, incoming=incoming, statements=statements,
                               version=graph.manifest.get("version_iri"), href=href)
        response = Response(html, mimetype="text/html")
    else:
        response = jsonify(body)
    response.headers["Content-Language"] = lang
    return response


@bp.get("/OSTEOKG_<digits>")
def dereference(digits: str):
    """The IRI's own path (https://w3id.org/osteokg/OSTEOKG_…): 303 to the entity, negotiated there."""
    if not digits.isdigit() or len(digits) != 7:
        raise Problem(404, "Not Found", f"OSTEOKG_{digits[:20]} is not an osteokg ID")
    return redirect(url_for("entities.entity", curie=f"OSTEOKG:{digits}"), code=303)


@bp.get("/entities/<path:curie>/relations")
@cached
def relations(curie: str):
    params.only("lang", "predicate", "direction", "inferred", "strength", "limit", "offset")
    iri = resolve_entity(curie)
    lang = params.language()
    limit, offset = params.paging()
    direction = params.choice("direction", ("out", "in", "both"), "both")
    inferred = params.choice("inferred", ("any", "true", "false"), "any")
    strength = request.args.get("strength")
    if strength is not None:
        strength = params.choice("strength", STRENGTHS, strength)
    predicate = request.args.get("predicate")
    predicate_iri = None
    if predicate:
        predicate_iri = params.iri_of_curie(predicate, "predicate")
        entry = served().entries.get(predicate_iri)
        if entry is None or predicate_iri not in relation_iris(served()):
            raise params.bad("predicate", f"{predicate} is not a relation of osteokg; see /relations")
    items = relation_items(served(), iri, lang, direction, predicate_iri, inferred, strength)
    return jsonify(envelope(items[offset:offset + limit], len(items), limit, offset))


def relation_iris(graph: ServedGraph) -> dict[str, dict]:
    """Relation IRI → its inverse, mappings and hierarchy flags (cached: the graph only changes with a build)."""
    cache = graph.__dict__.get("_relations")
    if cache is None:
        cache = {}
        for row in graph.store.select("relation-properties"):
            item = cache.setdefault(row["property"].value, {"inverse": None, "mappings": [], "inherited": None,
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
        graph.__dict__["_relations"] = cache  # assigned whole: a concurrent request sees all or none
    return cache


@bp.get("/relations")
@cached
def relation_list():
    params.only("lang")
    lang = params.language()
    graph = served()
    items = [{**ref(graph, p, lang), "labels": graph.entries[p].labels if p in graph.entries else {},
              "inverse": ref(graph, info["inverse"], lang) if info["inverse"] else None,
              "mappings": sorted(info["mappings"], key=lambda m: m["id"]),
              "inherited_by_subclasses": info["inherited"], "generalizes_object": info["generalizes"]}
             for p, info in sorted(relation_iris(graph).items())]
    return jsonify(envelope(items, len(items), len(items), 0))


def hierarchy(curie: str, query: str):
    """The direct parents or children (asserted, or found by HermiT), or all ancestors or descendants."""
    params.only("lang", "limit", "offset")
    iri = resolve_entity(curie)
    lang = params.language()
    limit, offset = params.paging()
    graph = served()
    rows = graph.store.select(query, entity=params.term(iri))
    items = sorted(({**ref(graph, r["other"].value, lang), **({"inferred": "rule" in r} if query in ("parents", "children") else {})}
                    for r in rows), key=lambda item: item["id"])
    return jsonify(envelope(items[offset:offset + limit], len(items), limit, offset))


for _query in ("parents", "children", "ancestors", "descendants"):
    bp.add_url_rule(f"/entities/<path:curie>/{_query}", _query, cached(hierarchy), methods=["GET"],
                    defaults={"query": _query})


@bp.get("/search")
@cached
def search():
    params.only("q", "lang", "category", "limit", "offset")
    text = request.args.get("q", "")
    if not text.strip():
        raise params.bad("q", "give the words to look for, e.g. ?q=botontk")
    if len(text) > 200:
        raise params.bad("q", "at most 200 characters")
    lang = params.language()
    limit, offset = params.paging()
    graph = served()
    category = request.args.get("category")
    category_iri = None
    if category:
        category_iri = params.iri_of_curie(category, "category")
        if category_iri not in categories_in_use(graph):
            raise params.bad("category", f"{category} is not a category; see /categories")
    needle = fold(text.strip())
    hits = []
    for entry in graph.entries.values():
        if category_iri and category_iri not in entry.categories:
            continue
        best = None
        candidates = [("label", language, label) for language, label in entry.labels.items()] + entry.synonyms + [
            ("xref", "", code) for _, iri in entry.xrefs for code in (shorten(iri), shorten(iri).split(":", 1)[-1])]
        for fld, language, candidate in candidates:
            folded = fold(candidate)
            if folded == needle:
                rank = 3
            elif folded.startswith(needle) or any(word.startswith(needle) for word in folded.split()):
                rank = 2
            elif needle in folded:
                rank = 1
            else:
                continue
            key = (rank, fld == "label", language == lang, -len(candidate))
            if best is None or key > best[0]:
                best = (key, fld, language, candidate, rank)
        if best:
            key, fld, language, candidate, rank = best
            hits.append((key, entry, fld, language, candidate, rank))
    hits.sort(key=lambda h: (h[0], -len(h[1].iri)), reverse=True)
    names = {3: "exact", 2: "prefix", 1: "substring"}
    items = [{**ref(graph, entry.iri, lang),
              "categories": sorted(shorten(c) for c in entry.categories),
              "match": {"type": names[rank], "field": fld, "lang": language or None, "text": candidate}}
             for _, entry, fld, language, candidate, rank in hits]
    return jsonify(envelope(items[offset:offset + limit], len(items), limit, offset))


def categories_in_use(graph: ServedGraph) -> set[str]:
    return {iri for iri in graph.entries if iri.startswith(OSTEOKG_NS) and iri[len(OSTEOKG_NS):].isdigit()
            and int(iri[len(OSTEOKG_NS):]) < 100}


@bp.get("/categories")
@cached
def category_list():
    params.only("lang")
    lang = params.language()
    graph = served()
    counts: dict[str, int] = {}
    for entry in graph.entries.values():
        for category in entry.categories:
            counts[category] = counts.get(category, 0) + 1
    items = [{**ref(graph, c, lang), "members": counts.get(c, 0), "href": url_for("entities.category", curie=shorten(c))}
             for c in sorted(categories_in_use(graph))]
    return jsonify(envelope(items, len(items), len(items), 0))


@bp.get("/categories/<path:curie>")
@cached
def category(curie: str):
    params.only("lang", "limit", "offset")
    iri = params.iri_of_curie(curie)
    graph = served()
    if iri not in categories_in_use(graph):
        raise Problem(404, "Not Found", f"{curie} is not a category; see /categories")
    lang = params.language()
    limit, offset = params.paging()
    rows = graph.store.select("category-members", category=params.term(iri))
    items = sorted((ref(graph, r["member"].value, lang) for r in rows), key=lambda item: item["id"])
    return jsonify(envelope(items[offset:offset + limit], len(items), limit, offset))


def statements_about(graph: ServedGraph, iri: str) -> list[str]:
    return [s for s, body in all_statements(graph).items() if body["about_iri"] == iri]


def all_statements(graph: ServedGraph) -> dict[str, dict]:
    cache = graph.__dict__.setdefault("_statements", {})
    if not cache:
        for row in graph.store.select("statements"):
            item = cache.setdefault(row["statement"].value, {"kind_iri": row["kind"].value, "values": {}, "about_iri": None})
            p, o = row["p"].value, row["o"]
            if p == f"{OKG}about":
                item["about_iri"] = o.value
            item["values"].setdefault(p, []).append(o)
    return cache


@bp.get("/statements")
@cached
def statements():
    params.only("lang", "about", "kind", "limit", "offset")
    lang = params.language()
    limit, offset = params.paging()
    kind = params.choice("kind", ("quantitative", "note", "any"), "quantitative")
    graph = served()
    about = request.args.get("about")
    about_iri = params.iri_of_curie(about, "about") if about else None
    wanted = {"quantitative": {f"{OSTEOKG_NS}0000091"}, "note": {f"{OSTEOKG_NS}0000092"},
              "any": {f"{OSTEOKG_NS}0000091", f"{OSTEOKG_NS}0000092"}}[kind]
    items = []
    for iri, item in sorted(all_statements(graph).items()):
        if item["kind_iri"] not in wanted or (about_iri and item["about_iri"] != about_iri):
            continue
        body = {**ref(graph, iri, lang), "kind": "quantitative" if item["kind_iri"].endswith("91") else "note"}
        for p, objects in item["values"].items():
            if p == f"{RDFS}label":
                continue
            key = "definition" if p == DEFINITION else shorten(p).split(":", 1)[-1]
            chosen = [o for o in objects if o.kind != "literal" or o.lang in (None, lang)]
            if not chosen or key in ("type",):
                continue
            value = chosen[0]
            if key == "source":
                body["evidence"] = {"source": ref(graph, value.value, lang),
                                    "quote": next(o.value for o in item["values"][f"{OKG}quote"])}
            elif key == "quote":
                continue
            elif value.kind == "iri":
                body[key] = ref(graph, value.value, lang)
            else:
                body[key] = value.python()
        items.append(body)
    return jsonify(envelope(items[offset:offset + limit], len(items), limit, offset))
