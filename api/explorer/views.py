"""The explorer's pages: the home page, the questions page, and the HTML answers of the API's routes.

Each function reads what it shows from the service (:mod:`kg.service`, :class:`kg.service.pages.Pages`) and
renders a template; the routes of :mod:`api.entities` call the ``*_page`` functions when a browser asks.
"""
from __future__ import annotations

from flask import current_app, jsonify, request, url_for

from api import params
from api.explorer import bp, render, wants_html
from api.graph import service
from api.meta import DOWNLOADS
from kg.service import Resolved
from kg.service.pages import Pages

HOME_QUESTIONS = ("bones-osteonecrosis-can-affect", "what-follows-a-hip-fracture",
                  "osteoporosis-treatment-causing-osteonecrosis", "causes-of-osteonecrosis",
                  "lifetime-fracture-risk-by-sex")  # the home page's examples (those the release has, in this order)
MEMBERS = 50  # members of a category shown on its entity page (all of them, paged, on /categories/{id})


def pages() -> Pages:
    return Pages(service())


def entity_href(entity_id: str, lang: str) -> str:
    return url_for("entities.entity", curie=entity_id, lang=lang)


@bp.get("/")
def home():
    """The home page for a browser; for any other client a small JSON index of the service's doors."""
    params.only("lang")
    if not wants_html():
        return jsonify({"name": "osteokg", "links": {
            "openapi": url_for("openapi.openapi_json"), "docs": url_for("openapi.docs"),
            "sparql": url_for("sparql.endpoint"), "search": url_for("entities.search"),
            "categories": url_for("entities.category_list"), "questions": url_for("explorer.questions"),
            "version": url_for("meta.version")}})
    lang = params.page_language()
    known = {q.name: q for q in service().competency_questions()}
    examples = [known[name] for name in HOME_QUESTIONS if name in known]
    return render("home.html", lang=lang, categories=service().categories(lang).items, examples=examples,
                  downloads=list(DOWNLOADS))


@bp.get("/questions")
def questions():
    """Every competency question with its live answer, in the page's language; JSON for a client that is not a
    browser (the same tables)."""
    params.only("lang")
    html = wants_html()
    lang = params.page_language() if html else params.language()
    tables = [service().competency_table(q.name, lang) for q in service().competency_questions()]
    if not html:
        return jsonify({"items": tables, "total": len(tables), "limit": len(tables), "offset": 0})
    for table in tables:
        table["sparql"] = service().competency_sparql(table["name"], lang)
    return render("questions.html", lang=lang, questions=tables)


def entity_page(resolved: Resolved):
    lang = params.page_language()
    view = pages().entity(resolved, lang, MEMBERS)
    return render("entity.html", lang=lang, v=view, e=view.entity, href=lambda i: entity_href(i, lang),
                  graph_src=url_for("entities.graph", curie=resolved.id, lang=lang))


def search_page(text: str, category: str | None, limit: int, offset: int):
    lang = params.page_language()
    found = service().search(text, lang, category, limit, offset) if text else None
    categories = service().categories(lang).items
    names = {c["id"]: c["label"] for c in categories}
    return render("search.html", lang=lang, q=text, found=found, category=category or "", categories=categories,
                  category_names=names, href=lambda i: entity_href(i, lang), limit=limit, offset=offset)


def categories_page():
    lang = params.page_language()
    return render("categories.html", lang=lang, categories=service().categories(lang).items)


def category_page(curie: str, limit: int, offset: int):
    lang = params.page_language()
    members = service().category_members(curie, lang, limit, offset)
    category = service().entity(curie, lang)
    return render("category.html", lang=lang, category=category, members=members,
                  href=lambda i: entity_href(i, lang), limit=limit, offset=offset)


def error_page(status: int, title: str, detail: str):
    """An error for a person: the page's language, what was wrong, a way back and a search box."""
    try:
        lang = params.page_language()
    except Exception:  # noqa: BLE001 - a bad lang= is itself the error being shown
        lang = request.accept_languages.best_match(params.LANGUAGES) or "en"
    current_app.logger.debug("error page %s: %s", status, detail)
    return render("error.html", status=status, lang=lang, code=status, title=title, detail=detail)
