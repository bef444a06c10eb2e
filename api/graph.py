"""The served graph as a Flask resource: one :class:`kg.service.Service` per process, in ``app.extensions``.

kg builds it whole when the build folder is opened (:func:`kg.service.open_release`: the store,
the manifest, the index of labels, synonyms, categories and codes, the relations, strengths and
statements); this module only keeps it. :func:`served` gives the release (store, manifest, graph
hash, triples) to the SPARQL and metadata routes, :func:`service` the questions to the REST routes.

``STORE`` (``OSTEOKG_STORE``) is a store selector (:func:`kg.store.open_store`): ``oxigraph`` (the
default) or ``rdflib`` over ``BUILD_DIR``, ``oxigraph:PATH``, ``rdflib:PATH``, or a SPARQL 1.1 endpoint
URL; the release's manifest comes from ``BUILD_DIR`` in every case.
"""
from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app

from kg.service import Release, Service

EXTENSION = "osteokg"  # the release (its store, manifest, hash)
SERVICE = "osteokg_service"  # the service over it


def init_app(app: Flask) -> None:
    opened = Service.open(Path(app.config["BUILD_DIR"]), app.config["STORE"])
    app.extensions[EXTENSION], app.extensions[SERVICE] = opened.release, opened


def service() -> Service:
    return current_app.extensions[SERVICE]


def served() -> Release:
    return current_app.extensions[EXTENSION]
