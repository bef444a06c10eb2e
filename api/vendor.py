"""``/static/vendor/<name>``: the front-end libraries installed from npm (:mod:`api.assets`), served from this server.

Only the names of :data:`api.assets.VENDOR` are served (anything else is a 404 problem, never a path into
node_modules); each file is immutable for a given package-lock.json, so it may be cached for a day
(``Cache-Control``) and is revalidated by its ETag. Registered by :func:`api.sparql.init_app` (once per app).
"""
from __future__ import annotations

from flask import Blueprint, Response, current_app, send_file

from api import assets
from api.errors import Problem
from api.http import finish

bp = Blueprint("vendor", __name__)
MAX_AGE = 24 * 3600


@bp.get("/static/node_modules/<path:rest>")
def installed(rest: str) -> Response:
    """The install itself is not served (the explorer's ``/static`` serves api/static, which holds it): only
    the files :data:`api.assets.VENDOR` names, at ``/static/vendor/<name>``."""
    raise Problem(404, "Not Found", f"The installed packages are not served; served: {', '.join(assets.VENDOR)} "
                  "at /static/vendor/<name>.")


@bp.get("/static/vendor/<name>")
def file(name: str) -> Response:
    if name not in assets.VENDOR:
        raise Problem(404, "Not Found", f"No library is served as {name[:80]!r}; served: {', '.join(assets.VENDOR)}.")
    found = assets.path(name)
    if not found.is_file():  # not installed: osteokg serve installs them (api.assets.ensure)
        raise Problem(503, "Not installed", f"{name} is not installed; run `npm ci` in {assets.STATIC} "
                      "(osteokg serve does it when it starts).")
    response = send_file(found, mimetype=assets.media_type(name), max_age=MAX_AGE, conditional=True,
                         etag=True, last_modified=found.stat().st_mtime)
    finish(current_app, response)  # CORS, the release header and the ETag every GET 200 gets ...
    response.headers["Cache-Control"] = f"public, max-age={MAX_AGE}"  # ... but a day's caching, not the API's
    return response
