"""The WSGI entry point that ``osteokg serve`` hands to the HTTP server: the app, watching for new releases, with
the MCP door's streamable HTTP at ``/mcp`` beside the REST and SPARQL routes (:func:`api.mcp_server.mount`).

/mcp is mounted here, in the served process only, not by :func:`api.create_app`: it brings the ``mcp`` package
(pydantic, Starlette) into the process, which an app made for a test or a script does not need. What the mount
costs each worker is measured by ``bench/mcp_mount_bench.py`` (docs/mcp.md gives the figure)."""
from __future__ import annotations

from api import create_app, sparql
from api.graph import watch
from api.mcp_server import mount

app = create_app()
sparql.start(app)  # a served process: its SPARQL query processes start now, not on the first query
watch(app)  # SIGUSR1 (and, under OSTEOKG_WATCH, every OSTEOKG_RELOAD_INTERVAL s): swap in a new release
mount(app)  # /mcp: its event loop thread starts on the first MCP request
