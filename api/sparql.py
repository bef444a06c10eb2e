"""SPARQL 1.1 Protocol endpoint (being written)."""
from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("sparql", __name__)


def init_app(app: Flask) -> None:
    pass
