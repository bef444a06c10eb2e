"""``/static/vendor/<name>``: the front-end libraries installed from npm (:mod:`api.assets`), served from this server.

Only the names of :data:`api.assets.VENDOR` are served (anything else under ``vendor/`` is a 404 problem, never a
path into node_modules), and the install itself (``/static/node_modules/…``, inside the folder the explorer's
``/static`` serves) is not served at all. Each file is immutable for a given package-lock.json, so it may be cached
for a day (``Cache-Control``) and is revalidated by its ETag.

The paths are the explorer's ``/static/{filename}`` (documented there, built with
``url_for("explorer.static", filename="vendor/<name>")``): this module adds no URL rule of its own but answers
them first, from a hook every request passes (:data:`bp`, registered by :func:`api.sparql.init_app`).
"""
from __future__ import annotations

from flask import Blueprint, Response, current_app, request, send_file

from api import assets
from api.errors import Problem
from api.http import finish

bp = Blueprint("vendor", __name__)
MAX_AGE = 24 * 3600
PREFIX = "/static/vendor/"
INSTALLED = "/static/node_modules/"


@bp.before_app_request
def _vendored() -> Response | None:
    path = request.path
    if path.startswith(INSTALLED):
        raise Problem(404, "Not Found", f"The installed packages are not served; served: {', '.join(assets.VENDOR)} "
                      f"at {PREFIX}<name>.")
    if not path.startswith(PREFIX) or request.method not in ("GET", "HEAD"):
        return None
    return file(path[len(PREFIX):])


def file(name: str) -> Response:
    """The vendored file ``name`` (a name of :data:`api.assets.VENDOR`), or a 404 problem."""
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
