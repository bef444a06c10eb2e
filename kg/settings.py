"""Every ``OSTEOKG_*`` setting in one table: its name, type, default, meaning and the doors that read it.

A door is where a setting is read: ``api`` (the Flask application, :func:`api.create_app`, which
takes its config defaults from :func:`defaults`), ``serve`` (``osteokg serve``), ``build`` (``osteokg
build`` and the other commands that write or read a build folder) and ``store`` (:mod:`kg.store`, a
remote store's credentials and time-out) and ``mcp`` (``osteokg mcp``). The table is also written out as docs/settings.md
(:func:`markdown`; a test checks that the file is current).

A value from the environment is parsed by its setting (:meth:`Setting.parse`): ``OSTEOKG_SPARQL_TIMEOUT=abc``
is a :class:`SettingError` that names the variable and says what it should be, not a ``TypeError``
deep inside a request.

This module imports nothing but the standard library and :mod:`kg.errors`, so any door may read it
without pulling in the build (owlready2, pyshacl) or Flask.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

from kg.errors import KgError, SourceError

#: the checkout osteokg runs from: its ontology/ (the editors' sources), shapes/ and build/
ROOT = Path(__file__).resolve().parent.parent
ONTOLOGY_DIR = ROOT / "ontology"
SHAPES_DIR = ROOT / "shapes"
BUILD_DIR = ROOT / "build"
DATA_DIR = ROOT / "data"

PREFIX = "OSTEOKG_"
DOORS = ("api", "serve", "build", "store", "mcp")


class SettingError(KgError, ValueError):
    """An ``OSTEOKG_*`` value that cannot be read as its setting's type (named in the message)."""


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _bool(text: str) -> bool:
    word = text.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise ValueError(text)


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


_PARSERS: dict[str, Callable[[str], Any]] = {"str": str, "int": int, "float": _float, "bool": _bool, "path": Path}
_WHAT = {"str": "a string", "int": "a whole number", "float": "a number", "bool": "true or false (1/0, yes/no, on/off)",
         "path": "a folder"}


@dataclass(frozen=True)
class Setting:
    """One ``OSTEOKG_<name>`` setting. ``minimum`` bounds a number (inclusive); ``secret`` keeps the value
    out of messages."""

    name: str
    type: str
    default: Any
    meaning: str
    doors: tuple[str, ...]
    minimum: float | None = None
    secret: bool = False

    def __post_init__(self) -> None:
        if self.type not in _PARSERS:
            raise ValueError(f"setting {self.name}: unknown type {self.type!r}")
        if unknown := set(self.doors) - set(DOORS):
            raise ValueError(f"setting {self.name}: unknown door(s) {sorted(unknown)}")

    @property
    def env(self) -> str:
        """The environment variable: ``OSTEOKG_`` + name."""
        return PREFIX + self.name

    def parse(self, value: Any) -> Any:
        """``value`` (a string from the environment, or a value already typed) as this setting's type,
        or a :class:`SettingError` naming the variable."""
        if value is None:
            return None
        try:
            if self.type == "bool" and isinstance(value, bool):
                parsed: Any = value
            elif self.type == "int" and isinstance(value, int) and not isinstance(value, bool):
                parsed = value
            elif self.type == "float" and isinstance(value, (int, float)) and not isinstance(value, bool):
                parsed = _float(str(value))
            elif self.type == "path" and isinstance(value, Path):
                parsed = value
            elif isinstance(value, str):
                parsed = _PARSERS[self.type](value.strip() if self.type != "str" else value)
            else:
                raise ValueError(value)
        except ValueError:
            shown = "(hidden)" if self.secret else repr(value)
            raise SettingError(f"{self.env}={shown} is not {_WHAT[self.type]}: {self.meaning}") from None
        if self.minimum is not None and parsed < self.minimum:
            raise SettingError(f"{self.env}={parsed!r} is below {self.minimum:g}: {self.meaning}")
        return parsed

    def read(self, environ: Mapping[str, str] | None = None) -> Any:
        """The value in ``environ`` (default: ``os.environ``), parsed, else the default."""
        text = (os.environ if environ is None else environ).get(self.env)
        return self.default if text is None else self.parse(text)


KIB = 1024
MIB = KIB * KIB
GIB = KIB * MIB

#: every OSTEOKG_* setting, grouped by the door that reads it first
SETTINGS: tuple[Setting, ...] = (
    # where the build is and how it is stored
    Setting("BUILD_DIR", "path", BUILD_DIR, "the build folder: written by `osteokg build`, served by the API",
            ("build", "serve", "api")),
    Setting("STORE", "str", "oxigraph", "the store the API answers from (kg.store): oxigraph[:PATH] (the release's "
            "on-disk store, read-only; else its N-Triples in memory), oxigraph-memory[:PATH] (in memory), "
            "rdflib[:PATH] or a SPARQL 1.1 endpoint URL", ("serve", "api")),
    Setting("STORE_USER", "str", None, "the user name for a remote store (no credentials in the URL)", ("store",)),
    Setting("STORE_PASSWORD", "str", None, "the password for a remote store", ("store",), secret=True),
    Setting("STORE_TIMEOUT", "float", 30.0, "seconds a request to a remote store may take", ("store",), minimum=0.1),
    # osteokg serve
    Setting("HOST", "str", "127.0.0.1", "the address `osteokg serve` listens on", ("serve",)),
    Setting("PORT", "int", 8000, "the port `osteokg serve` listens on", ("serve",), minimum=0),
    Setting("WORKERS", "int", 2, "worker processes of `osteokg serve`", ("serve",), minimum=1),
    Setting("THREADS", "int", 0, "WSGI threads per worker, i.e. requests a worker answers at once (0: the "
            "server's default)", ("serve",), minimum=0),
    Setting("WATCH", "bool", False, "`osteokg serve --watch`: serve a new build when the build's `current` "
            "pointer changes", ("serve", "api")),
    Setting("RELOAD_INTERVAL", "float", 1.0, "seconds between checks of the build's `current` pointer under "
            "`osteokg serve --watch`", ("serve", "api"), minimum=0.05),
    # the API
    Setting("TRUSTED_PROXIES", "int", 0, "reverse proxies in front of the API whose X-Forwarded-For and "
            "X-Forwarded-Proto are believed (the client's address for the per-client /sparql limits and the access "
            "log; deploy/nginx/osteokg.conf is one); 0: the address the connection comes from", ("api",), minimum=0),
    Setting("BASE_URL", "str", "http://127.0.0.1:8000/", "the public address; the SPARQL service description's "
            "sd:endpoint is BASE_URL + sparql", ("api",)),
    Setting("SPARQL_TIMEOUT", "float", 10.0, "seconds a /sparql query may run (then 504)", ("api",), minimum=0.01),
    Setting("SPARQL_MAX_ROWS", "int", 10_000, "rows (or triples) a /sparql answer may hold (then 422)", ("api",),
            minimum=1),
    Setting("SPARQL_WORKERS", "int", 2, "query processes per API process (a runaway query blocks one, not the API; one "
            "client holds at most all but one of them, its next query waiting for its own)",
            ("api",), minimum=1),
    Setting("SPARQL_MAX_MEMORY", "int", GIB, "bytes a query process may grow above its loaded size (then 503)",
            ("api",), minimum=MIB),
    Setting("SPARQL_MAX_COST", "float", 3.0, "refuse (422) before it runs a /sparql query whose estimated run time "
            "(kg.sparql.cost: its patterns' cross products and sorts) is over this many OSTEOKG_SPARQL_TIMEOUTs; "
            "0: no guard", ("api",), minimum=0),
    Setting("SPARQL_CLIENT_QUERIES", "int", 2, "/sparql queries one client (its address) may have running at once, "
            "counted across all worker processes (then 429); 0: no limit", ("api",), minimum=0),
    Setting("SPARQL_CLIENT_SECONDS", "float", 60.0, "seconds of /sparql query time one client may use in each "
            "OSTEOKG_SPARQL_CLIENT_WINDOW, across all workers (then 429 with Retry-After); 0: no limit", ("api",),
            minimum=0),
    Setting("SPARQL_CLIENT_WINDOW", "float", 60.0, "the seconds over which OSTEOKG_SPARQL_CLIENT_SECONDS is counted",
            ("api",), minimum=1),
    Setting("SPARQL_MAX_QUERY_STRING", "int", 32 * KIB, "bytes of a GET /sparql query string (then 414; the HTTP "
            "server refuses 64 KiB URIs bare)", ("api",), minimum=1),
    Setting("MAX_CONTENT_LENGTH", "int", 64 * KIB, "bytes of a request body, a POSTed query included (then 413)",
            ("api",), minimum=1),
    Setting("BODY_TIMEOUT", "float", 5.0, "seconds a request body may take to arrive (then 408), so slow clients "
            "cannot hold the threads", ("api",), minimum=0.1),
    Setting("PAGE_MAX", "int", 500, "the largest `limit` of a list", ("api",), minimum=1),
    Setting("PAGE_DEFAULT", "int", 50, "the `limit` of a list when none is asked for", ("api",), minimum=1),
    Setting("CACHE_MAX_AGE", "int", 300, "seconds of Cache-Control: max-age on GET answers", ("api",), minimum=0),
    Setting("RESPONSE_CACHE_SIZE", "int", 4096, "rendered GET answers kept per process (the graph changes only "
            "with a build)", ("api",), minimum=0),
    Setting("CORS_ORIGIN", "str", "*", "Access-Control-Allow-Origin of every answer", ("api",)),
    Setting("DATA_DIR", "path", DATA_DIR, "the folder of what the API itself writes: cds.sqlite (the CDS cards "
            "issued, their feedback, the token IDs seen), shared by every worker process", ("api",)),
    # operations: metrics and the access log (docs/operations.md)
    Setting("METRICS", "bool", True, "answer GET /metrics in the Prometheus text format (requests by route and "
            "status, latency, SPARQL outcomes, the response cache, the release served), summed over every worker",
            ("api",)),
    Setting("ACCESS_LOG", "str", "", "where the access log goes (one JSON line per request): `-` standard error, "
            "else a file every worker appends to; empty: none (`osteokg serve` sets `-` when it is unset)",
            ("serve", "api")),
    Setting("ACCESS_LOG_QUERY", "bool", False, "put each request's query string (a SPARQL query, a search) in "
            "the access log; bodies, Authorization and cookies are never logged", ("api",)),
    # the CDS Hooks door (docs/cds-hooks.md)
    Setting("CDS_AUTH", "bool", True, "check the CDS Hooks bearer token (JWT) of every CDS service call and "
            "feedback; `off` only for local use (logged as a warning at start)", ("api",)),
    Setting("CDS_ISSUERS", "path", None, "a JSON file of the CDS clients trusted: {iss: JWKS}, each issuer's "
            "public keys ({\"keys\": [...]}, shared out of band; a token's jku is not followed)", ("api",)),
    Setting("CDS_OWNER_TOKEN", "str", None, "the bearer token of the services' owner, for GET "
            "/cds-services/{id}/feedback (unset: that view is off)", ("api",), secret=True),
    Setting("CDS_FHIR_SERVERS", "str", "", "space-separated FHIR base URLs the CDS services may read missing "
            "prefetch from (the request's fhirServer must be one; empty: never, 412)", ("api",)),
    Setting("CDS_FHIR_TIMEOUT", "float", 5.0, "seconds a read from a CDS client's FHIR server may take (then 412)",
            ("api",), minimum=0.1),
    Setting("CDS_CARD_DAYS", "int", 90, "days an issued CDS card is kept for feedback to refer to", ("api",),
            minimum=1),
    # osteokg mcp
    Setting("MCP_PORT", "int", 8001, "the port of `osteokg mcp --http` (a listener of its own; `osteokg serve` "
            "answers /mcp on its own port)", ("mcp",), minimum=0),
)
#: name (without OSTEOKG_) → setting
BY_NAME: dict[str, Setting] = {s.name: s for s in SETTINGS}
assert len(BY_NAME) == len(SETTINGS), "a setting is listed twice"


class CheckoutMissing(SourceError):
    """A folder of the checkout (ontology/, shapes/) that is not there: osteokg is installed, not checked out."""


def require_checkout(folder: Path | str, what: str) -> Path:
    """``folder`` if it is a folder, else a :class:`CheckoutMissing` (a one-line message, exit 2 in the CLI)
    naming it. The package ships the API, the queries and the templates; the editors' sources and the
    SHACL shapes are only in a checkout of the repository, and only the build (and validate, report,
    review) reads them."""
    path = Path(folder)
    if not path.is_dir():
        raise CheckoutMissing(f"{path}: no such folder ({what}); osteokg build, validate, report and review "
                              f"run from a checkout of the osteokg repository (the installed package holds "
                              f"the API and its queries only)")
    return path


def setting(name: str) -> Setting:
    """The setting called ``name`` (``SPARQL_TIMEOUT`` or ``OSTEOKG_SPARQL_TIMEOUT``); KeyError if none is."""
    return BY_NAME[name.removeprefix(PREFIX)]


def default(name: str) -> Any:
    """The default of the setting called ``name``."""
    return setting(name).default


def get(name: str, environ: Mapping[str, str] | None = None) -> Any:
    """The setting called ``name`` from the environment (parsed), else its default."""
    return setting(name).read(environ)


def given(name: str, environ: Mapping[str, str] | None = None) -> Any:
    """The setting called ``name`` from the environment (parsed), or None when it is not set (for an
    option whose absence means something, e.g. ``osteokg serve`` without ``--store``)."""
    s = setting(name)
    text = (os.environ if environ is None else environ).get(s.env)
    return None if text is None else s.parse(text)


def of(door: str) -> tuple[Setting, ...]:
    """The settings ``door`` reads."""
    if door not in DOORS:
        raise KeyError(door)
    return tuple(s for s in SETTINGS if door in s.doors)


def defaults(door: str) -> dict[str, Any]:
    """name → default of the settings ``door`` reads (paths as strings, as Flask's config keeps them)."""
    return {s.name: str(s.default) if isinstance(s.default, Path) else s.default for s in of(door)}


def from_environ(door: str, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """name → parsed value of the settings of ``door`` set in the environment (a :class:`SettingError`
    for a value that does not parse); unset settings are left out."""
    environ = os.environ if environ is None else environ
    values = {}
    for s in of(door):
        if s.env in environ:
            value = s.parse(environ[s.env])
            values[s.name] = str(value) if isinstance(value, Path) else value
    return values


# ---------------------------------------------------------------- docs/settings.md

def _shown(s: Setting) -> str:
    if s.default is None:
        return "(unset)"
    if s.default == "":
        return "(empty)"
    if isinstance(s.default, Path):
        return f"`{s.default.relative_to(ROOT)}/` of the checkout" if s.default.is_relative_to(ROOT) else f"`{s.default}`"
    if isinstance(s.default, bool):
        return f"`{str(s.default).lower()}`"
    if s.meaning.startswith("bytes") and isinstance(s.default, int) and s.default >= KIB and s.default % KIB == 0:
        for unit, size in (("GiB", GIB), ("MiB", MIB), ("KiB", KIB)):
            if s.default % size == 0:
                return f"`{s.default}` ({s.default // size} {unit})"
    return f"`{s.default}`"


def markdown() -> str:
    """docs/settings.md: the table of settings (generated; edit :data:`SETTINGS`, then write it with
    ``python -m kg.settings``)."""
    lines = [
        "# Settings",
        "",
        "<!-- Generated from kg/settings.py by `python -m kg.settings`; do not edit by hand. -->",
        "",
        "Every setting is an environment variable. The API (`api.create_app`) reads the `api` ones at start-up; "
        "`osteokg serve` reads the `serve` ones for its options' defaults (an option on the command line wins) "
        "and passes `BUILD_DIR` and `STORE` on to its workers. A value that does not parse as its type stops "
        "the program with a message naming the variable.",
        "",
        "| Variable | Type | Default | Read by | Meaning |",
        "|---|---|---|---|---|",
    ]
    for s in SETTINGS:
        meaning = s.meaning.replace("|", "\\|")
        lines.append(f"| `{s.env}` | {s.type} | {_shown(s)} | {', '.join(s.doors)} | {meaning} |")
    lines.append("")
    return "\n".join(lines)


DOC = ROOT / "docs" / "settings.md"


def write_doc(path: Path = DOC) -> Path:
    path.write_text(markdown(), encoding="utf-8")
    return path


__all__ = ["BUILD_DIR", "BY_NAME", "DATA_DIR", "CheckoutMissing", "DOORS", "ONTOLOGY_DIR", "ROOT", "SETTINGS", "SHAPES_DIR", "Setting", "SettingError",
           "default", "defaults", "from_environ", "get", "given", "markdown", "of", "require_checkout", "setting", "write_doc"]

if __name__ == "__main__":
    print(write_doc())
