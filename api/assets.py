"""The front-end libraries the explorer's pages load, installed from npm into ``api/static/node_modules``.

The libraries (cytoscape for the graph view, YASGUI for the SPARQL editor, axe-core for the browser tests)
are pinned in ``api/static/package.json`` and ``package-lock.json`` (committed); ``node_modules`` is not.
:func:`ensure` installs them with ``npm ci`` when a file of :data:`VENDOR` is missing or the lock file
changed since the last install (a stamp in ``node_modules`` holds the lock file's SHA-256), so a fresh
clone gets them on its first ``osteokg serve`` (kg/cli.py calls it) or test run. They are served at
``/static/vendor/<name>`` (:mod:`api.vendor`) from the one table :data:`VENDOR`; nothing is fetched from
a CDN, then or at run time.

This module imports no Flask: ``osteokg serve`` calls :func:`ensure` before it starts the API.
"""
from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from kg.errors import KgError

STATIC = Path(__file__).resolve().parent / "static"
NODE_MODULES = STATIC / "node_modules"
LOCK_FILE = STATIC / "package-lock.json"
STAMP = NODE_MODULES / ".osteokg-installed"  # the SHA-256 of the package-lock.json the last install used
INSTALL = ("npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts")  # no dependency's install script runs
INSTALL_TIMEOUT = 300.0  # seconds npm may take (a download of ~6 MB of packages; it took 6 s here)

#: served name (``/static/vendor/<name>``) → the file inside node_modules
VENDOR: dict[str, str] = {
    "cytoscape.min.js": "cytoscape/dist/cytoscape.min.js",
    "yasgui.min.js": "@zazuko/yasgui/build/yasgui.min.js",
    "yasgui.min.js.map": "@zazuko/yasgui/build/yasgui.min.js.map",  # named by the script's sourceMappingURL
    "yasgui.min.css": "@zazuko/yasgui/build/yasgui.min.css",
    "axe.min.js": "axe-core/axe.min.js",
}

#: the media type of a served file, by its suffix
MEDIA_TYPES: dict[str, str] = {".js": "text/javascript", ".css": "text/css", ".map": "application/json"}


class AssetError(KgError, RuntimeError):
    """The front-end libraries are not installed and cannot be: the message says what to install or run."""


def path(name: str, static: Path = STATIC) -> Path:
    """The installed file served as ``name``; ``KeyError`` for a name :data:`VENDOR` does not list. (``static``:
    the folder of package.json, ``api/static``; the tests install into a copy.)"""
    return static / "node_modules" / VENDOR[name]


def media_type(name: str) -> str:
    return MEDIA_TYPES[Path(name).suffix]


def _lock_digest(static: Path) -> str:
    lock = static / LOCK_FILE.name
    try:
        return hashlib.sha256(lock.read_bytes()).hexdigest()
    except OSError as error:
        raise AssetError(f"{lock}: cannot be read ({error.strerror}); it pins the explorer's libraries "
                         "and comes with the checkout") from None


def missing(static: Path = STATIC) -> list[str]:
    """What makes an install necessary: the files of :data:`VENDOR` that are absent, or the lock file when
    it changed since the last install (empty: nothing to do)."""
    absent = [name for name in VENDOR if not path(name, static).is_file()]
    try:
        stamp = (static / "node_modules" / STAMP.name).read_text(encoding="utf-8").strip()
    except OSError:
        stamp = ""
    return absent + ([LOCK_FILE.name] if stamp != _lock_digest(static) else [])


def ensure(timeout: float = INSTALL_TIMEOUT, static: Path = STATIC) -> bool:
    """Install the libraries of package-lock.json (``npm ci``) when :func:`missing` says so; True when it
    installed, False when they were in place. :class:`AssetError` names what to install when npm is missing
    or the install fails or takes longer than ``timeout`` seconds. Processes that call it at once install once
    (a lock file in the temporary folder)."""
    if not missing(static):
        return False
    key = hashlib.sha256(str(static.resolve()).encode()).hexdigest()[:16]
    with open(Path(tempfile.gettempdir()) / f"osteokg-npm-{key}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not missing(static):  # another process installed them while this one waited
            return False
        _install(timeout, static)
    return True


def _install(timeout: float, static: Path) -> None:
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        raise AssetError("the explorer's libraries (cytoscape, @zazuko/yasgui, axe-core) are installed from npm, and "
                         "npm/node are not on the PATH: install Node.js 18 or later with npm (e.g. `apt-get install "
                         f"nodejs npm`), or run `npm ci` in {static} where they are")
    digest = _lock_digest(static)
    try:
        done = subprocess.run([npm, *INSTALL[1:]], check=False, cwd=static, capture_output=True, text=True,
                              timeout=timeout, env={**os.environ, "npm_config_update_notifier": "false"})
    except subprocess.TimeoutExpired:
        raise AssetError(f"`{' '.join(INSTALL)}` in {static} took longer than {timeout:g} s (no access to the npm "
                         "registry?); run it there by hand") from None
    if done.returncode != 0:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-8:])
        raise AssetError(f"`{' '.join(INSTALL)}` in {static} failed (exit {done.returncode}); it installs the "
                         f"explorer's libraries from package-lock.json:\n{tail}")
    absent = [f"{name} ({VENDOR[name]})" for name in VENDOR if not path(name, static).is_file()]
    if absent:
        raise AssetError(f"`{' '.join(INSTALL)}` in {static} did not install {', '.join(absent)}: "
                         "api/assets.py's VENDOR and package.json disagree")
    (static / "node_modules" / STAMP.name).write_text(digest + "\n", encoding="utf-8")
