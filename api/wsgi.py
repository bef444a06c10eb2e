"""The WSGI entry point that ``osteokg serve`` hands to the HTTP server: the app, watching for new releases."""
from __future__ import annotations

from api import create_app, sparql
from api.graph import watch

app = create_app()
sparql.start(app)  # a served process: its SPARQL query processes start now, not on the first query
watch(app)  # SIGUSR1 (and, under OSTEOKG_WATCH, every OSTEOKG_RELOAD_INTERVAL s): swap in a new release
