"""The clinical REST routes: entities, their relations and hierarchy, search, categories, statements.

HTTP only: each route reads and checks its parameters, asks :class:`kg.service.Service` (which
answers with plain data, or raises :class:`~kg.service.BadValue` / :class:`~kg.service.NotFound`,
mapped to 400 / 404 by :mod:`api.errors`), negotiates the format and sets the status.

Every route answers JSON by default (one paging envelope ``{items, total, limit, offset}`` for
lists), takes ``lang=en|nl`` (default from Accept-Language) and refuses unknown parameters.
An entity also negotiates JSON-LD, Turtle, N-Triples and a readable HTML page, so every ID in
the graph dereferences. The graph only changes with a build, so rendered answers are kept by the
response cache in front of the app (:mod:`api.cache`), keyed by URL, Accept and Accept-Language.
"""
from __future__ import annotations

from functools import wraps

from flask import Blueprint, Response, current_app, jsonify, redirect, request, url_for

from api import cache, negotiate, params
from api.explorer import views, wants_html
from api.errors import Problem
from api.graph import service
from kg.service import DIRECTIONS, HIERARCHY, OSTEOKG_NS, STRENGTHS, Resolved, search_text
from kg.service.documents import dumps

__all__ = ["bp", "STRENGTHS"]

bp = Blueprint("entities", __name__)
SUGGESTIONS = 10  # suggestions a search-as-you-type answer holds unless limit= says otherwise


def cached(view):
    """Mark a GET answer as cacheable: :mod:`api.cache` keeps it and answers repeats without Flask."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        response = current_app.make_response(view(*args, **kwargs))
        return cache.mark(response) if response.status_code == 200 else response

    return wrapper


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


def resolve_entity(curie: str | None) -> Resolved:
    """The entity named by the path CURIE or the ``iri`` parameter; a foreign code is 303 to what it maps to."""
    iri = (request.args.get("iri") or None) if curie is None else None
    resolved = service().resolve(curie, iri=iri)
    if resolved.kind == "code":
        if resolved.target is not None:
            raise Redirect(url_for("entities.entity", curie=resolved.target, **_lang_arg()))
        raise Redirect(url_for("entities.xrefs", curie=resolved.id, **_lang_arg()))
    return resolved


def listing(page) -> Response:
    return jsonify(page.envelope())


def encoded(body: bytes) -> Response:
    """JSON the service has already encoded (:func:`kg.service.documents.dumps`, the bytes of Flask's compact
    ``jsonify``; for an entity, usually read as is from the release's precomputed documents), sent as is."""
    return current_app.response_class(body + b"\n", mimetype=current_app.json.mimetype)  # type: ignore[attr-defined]


# ---------------------------------------------------------------- routes


@bp.get("/xrefs/<path:curie>")
@cached
def xrefs(curie: str):
    """The osteokg entities a code of another terminology maps to, with the mapping's precision."""
    params.only("lang")
    return listing(service().xrefs(curie, params.language()))


@bp.get("/entities/<path:curie>")
@cached
def entity(curie: str):
    params.only("lang")
    media_type = negotiate.choose(negotiate.ENTITY_TYPES)
    return render_entity(resolve_entity(curie), media_type)


@bp.get("/entities")
@cached
def entity_by_iri():
    params.only("iri", "lang")
    media_type = negotiate.choose(negotiate.ENTITY_TYPES)
    return render_entity(resolve_entity(None), media_type)


def links_of(resolved: Resolved, base: str) -> dict[str, str] | None:
    """The entity's own routes under ``base`` (its own URL), for an osteokg ID."""
    if not resolved.iri.startswith(OSTEOKG_NS):
        return None
    return {"self": base, "relations": f"{base}/relations", "parents": f"{base}/parents",
            "children": f"{base}/children", "ancestors": f"{base}/ancestors", "descendants": f"{base}/descendants"}


def links(resolved: Resolved) -> dict[str, str] | None:
    return links_of(resolved, url_for("entities.entity", curie=resolved.id))


def with_links(body: dict, resolved: Resolved) -> dict:
    found = links(resolved)
    if found is not None:
        body["links"] = found
    return body


def with_links_encoded(body: bytes, found: dict[str, str] | None) -> bytes:
    """:func:`with_links` on the entity's JSON bytes: ``links`` is the last key, so it is spliced in before the
    closing brace (the same bytes as encoding the dict with it; tests/api/test_entities.py checks)."""
    return body if found is None else body[:-1] + b',"links":' + dumps(found).encode("utf-8") + b"}"


def render_entity(resolved: Resolved, media_type: str):
    if media_type == negotiate.HTML:
        return views.entity_page(resolved)  # the explorer's page, in the reader's language (api/explorer)
    lang = params.language()
    if media_type in negotiate.RDF_FORMATS:
        return Response(negotiate.rdf(service().entity_triples(resolved), media_type), mimetype=media_type)
    response = encoded(with_links_encoded(service().entity_json(resolved, lang), links(resolved)))
    response.headers["Content-Language"] = lang
    return response


@bp.get("/entities/<path:curie>/graph")
@cached
def graph(curie: str):
    """The entity's neighbourhood for a graph view: nodes (with a category) and edges (relation, inferred or not,
    strength), its parents and children as ``rdfs:subClassOf`` edges (:meth:`kg.service.pages.Pages.neighbourhood`)."""
    params.only("lang")
    return jsonify(views.pages().neighbourhood(resolve_entity(curie), params.language()))


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
    resolved = resolve_entity(curie)
    lang = params.language()
    limit, offset = params.paging()
    direction = params.choice("direction", DIRECTIONS, "both")
    inferred = params.choice("inferred", ("any", "true", "false"), "any")
    strength = request.args.get("strength")
    if strength is not None:
        strength = params.choice("strength", STRENGTHS, strength)
    return encoded(service().relations_json(resolved, lang, direction, params.optional("predicate"),
                                            None if inferred == "any" else inferred == "true", strength, limit,
                                            offset))


@bp.get("/relations")
@cached
def relation_list():
    params.only("lang")
    return listing(service().relation_list(params.language()))


def hierarchy(curie: str, query: str):
    """The direct parents or children (asserted, or found by HermiT), or all ancestors or descendants."""
    params.only("lang", "limit", "offset")
    resolved = resolve_entity(curie)
    lang = params.language()
    limit, offset = params.paging()
    return encoded(service().hierarchy_json(resolved, query, lang, limit, offset))


for _query in HIERARCHY:
    bp.add_url_rule(f"/entities/<path:curie>/{_query}", _query, cached(hierarchy), methods=["GET"],
                    defaults={"query": _query})


@bp.get("/search")
@cached
def search():
    params.only("q", "lang", "category", "limit", "offset")
    limit, offset = params.paging()
    category = params.optional("category")
    if wants_html():  # a page: without q= it is the search form
        raw = request.args.get("q", "")
        return views.search_page(search_text(raw) if raw.strip() else "", category, limit, offset)
    text = search_text(request.args.get("q", ""))
    return listing(service().search(text, params.language(), category, limit, offset))


@bp.get("/suggest")
@cached
def suggest():
    """Search-as-you-type: prefix matches only, ``limit`` (default 10) of them, no total."""
    params.only("q", "lang", "limit")
    text = search_text(request.args.get("q", ""))
    limit = params.integer("limit", SUGGESTIONS, 1, current_app.config["PAGE_MAX"])
    return jsonify({"items": service().suggest(text, params.language(), limit), "limit": limit})


@bp.get("/categories")
@cached
def category_list():
    params.only("lang")
    if wants_html():
        return views.categories_page()
    page = service().categories(params.language())
    for item in page.items:
        item["href"] = url_for("entities.category", curie=item["id"])
    return listing(page)


@bp.get("/categories/<path:curie>")
@cached
def category(curie: str):
    params.only("lang", "limit", "offset")
    service().category(curie)
    limit, offset = params.paging()
    if wants_html():
        return views.category_page(curie, limit, offset)
    lang = params.language()
    return listing(service().category_members(curie, lang, limit, offset))


@bp.get("/statements")
@cached
def statements():
    params.only("lang", "about", "kind", "limit", "offset")
    lang = params.language()
    limit, offset = params.paging()
    kind = params.choice("kind", ("quantitative", "note", "any"), "quantitative")
    return encoded(service().statements_json(lang, kind, params.optional("about"), limit, offset))
