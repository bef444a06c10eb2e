"""The graph's questions as functions: CURIEs and plain values in, plain data (dicts, dataclasses) out.

A :class:`Release` is everything a build folder answers with, built whole when the folder is
opened — the store, the manifest, the label/synonym/category/cross-reference index, the relations'
properties, the strengths' order and the statements — and never changed after: no request fills a
cache, so no thread can see half of one. A :class:`Service` asks a release the graph's questions
(resolve an ID or a foreign code, an entity, its edges with evidence, the hierarchy, search,
categories, statements, relations, cross-references, the competency questions). The REST routes
(and every later door) call only this; it never imports Flask.

Errors are plain exceptions: :class:`BadValue` (a value that cannot be right: a malformed CURIE, a
relation that is not one) and :class:`NotFound` (a well-formed ID the graph does not know, an
unknown prefix included), each with a message that says what was wrong. A request value reaches a
query only as an RDF term built and checked by pyoxigraph (:func:`kg.queries.iri`).
"""
from __future__ import annotations

from kg.service.questions import Service
from kg.service.release import Entry, Relation, Release, Statement, open_release
from kg.service.values import (DIRECTIONS, HIERARCHY, OSTEOKG_NS, STRENGTHS, Answer, BadValue, EntityPage, NotFound,
                               Page, Question, Resolved, ServiceError, fold, iri_of_curie, search_text, term)

__all__ = ["Answer", "BadValue", "DIRECTIONS", "Entry", "EntityPage", "HIERARCHY", "NotFound", "OSTEOKG_NS", "Page",
           "Question", "Relation", "Release", "Resolved", "STRENGTHS", "Service", "ServiceError", "Statement", "fold",
           "iri_of_curie", "open_release", "search_text", "term"]
