"""The WSGI entry point that ``osteokg serve`` hands to the HTTP server."""
from __future__ import annotations

from api import create_app

app = create_app()
