"""Cross-cutting HTTP behaviour: CORS without credentials, caching with ETags, security headers."""
from __future__ import annotations

import hashlib

from flask import Flask, Response, request

from api.graph import served


def init_app(app: Flask) -> None:
    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers["Access-Control-Allow-Origin"] = app.config["CORS_ORIGIN"]
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = "Accept, Accept-Language, Content-Type, If-None-Match"
        response.headers["Access-Control-Expose-Headers"] = "ETag, Link"
        response.headers["X-Content-Type-Options"] = "nosniff"
        if request.method in ("GET", "HEAD") and response.status_code == 200 and request.endpoint != "meta.health":
            variant = f"{served().etag}|{request.full_path}|{response.mimetype}|{response.headers.get('Content-Language', '')}"
            response.set_etag(hashlib.sha256(variant.encode("utf-8")).hexdigest()[:32])
            response.headers["Cache-Control"] = f"public, max-age={app.config['CACHE_MAX_AGE']}"
            response.vary.update(("Accept", "Accept-Language"))
            response.make_conditional(request)
        elif request.endpoint == "meta.health":
            response.headers["Cache-Control"] = "no-store"
        return response
