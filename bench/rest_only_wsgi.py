"""The baseline of bench/mcp_mount_bench.py: the served app as api/wsgi.py makes it, without /mcp.

The same three calls as api/wsgi.py (the app, its SPARQL query processes started, the release watch) and nothing
of the ``mcp`` package, served by granian as ``bench.rest_only_wsgi:app``; only the bench runs it. Keep it in step
with api/wsgi.py (tests/bench/test_mcp_mount_bench.py checks that the two differ by the mount alone)."""
from __future__ import annotations

from api import create_app, sparql
from api.graph import watch

app = create_app()
sparql.start(app)
watch(app)
