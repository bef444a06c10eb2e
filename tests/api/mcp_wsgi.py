"""The served WSGI app (api.wsgi: what `osteokg serve` hands granian) with /mcp mounted on it, for
tests/api/test_mcp.py to run under granian with several workers."""
from __future__ import annotations

from api.mcp_server import mount
from api.wsgi import app

mount(app)
