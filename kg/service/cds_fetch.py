"""Reading a CDS Hooks request's missing prefetch from the CDS client's own FHIR server.

What: :func:`render` fills a service's prefetch template ("Condition?patient={{context.patientId}}")
from the hook's context, and :meth:`Fetcher.read` GETs that relative FHIR URL from the request's
``fhirServer``, with ``fhirAuthorization.access_token`` as a Bearer token, following a searchset
Bundle's ``next`` links and joining the pages into one Bundle. Every failure is :class:`FetchFailed`,
whose message says what failed (for a 412 problem detail) and never holds the access token.

Why: CDS Hooks 2.0 ("Prefetch") says "It is the CDS Service's responsibility to check prefetched data
against its template to determine what requests were satisfied (if any) and to programmatically
retrieve any additional necessary data", and only "if the CDS Service is unable to obtain required
data because it cannot access the FHIR server and the request did not contain the necessary prefetch
keys" SHALL it answer 412. "FHIR Resource Access": with ``fhirServer`` and ``fhirAuthorization`` the
service "MAY use the FHIR server to obtain any FHIR resources for which it's authorized", presenting
the access token "with each API call"; the client "MAY paginate prefetch results", so a service must
follow the pages, again with the token.

The SSRF stance. ``fhirServer`` is chosen by whoever sends the request, so the service reads only:

- servers on an allow-list (:attr:`Fetcher.servers`, from the ``CDS_FHIR_SERVERS`` setting; empty:
  never), compared normalised (scheme and host case-folded, default port filled in, trailing ``/``
  ignored); only ``http``/``https``; no user-info, query or fragment in a base URL;
- URLs under the named allowed server: the rendered query must be relative (no scheme, host or
  leading ``/``, no ``.``/``..`` segment), and every ``next`` link must lie under the same server's
  base path, else :class:`FetchFailed` — a ``next`` link elsewhere is never requested (the token
  would go with it), and the read fails rather than stopping short, because a partial record can
  give a wrong card ("no osteoporosis treatment on record");
- no redirects, ever (a 3xx is a failure naming its status), and no proxy: the requests are made with
  :mod:`http.client` directly, which neither follows redirects nor reads ``*_proxy`` variables;
- bounded: each request has ``timeout`` seconds in all (a socket timeout for connect and each read,
  and a watchdog that shuts the socket at the deadline, so a server dripping bytes cannot hold the
  worker; name resolution is the system resolver's and is not under this bound), each body at most
  ``max_bytes`` (a larger Content-Length is refused unread; otherwise at most ``max_bytes + 1`` bytes
  are read), at most ``max_pages`` pages (more is a failure, for the same reason as above).

The answer must be JSON with a ``resourceType``; an OperationOutcome (the spec: clients "SHOULD" use
them to communicate errors, services "SHOULD check" for them) is a failure, as is a searchset entry
that is an OperationOutcome with an error or fatal issue. The resources are not parsed here; the
caller (kg/service/cds.py) parses them with fhir.resources. Nothing is logged.
"""
from __future__ import annotations

import http.client
import json
import re
import socket
import ssl
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import quote, unquote, urljoin, urlsplit

from kg.service.values import ServiceError

ACCEPT = "application/fhir+json"
#: the spec's user tokens → the resource type context.userId must name for them ("Practitioner/123")
USER_TOKENS = {"userPractitionerId": "Practitioner", "userPractitionerRoleId": "PractitionerRole",
               "userPatientId": "Patient", "userRelatedPersonId": "RelatedPerson"}
DEFAULT_PORTS = {"http": 80, "https": 443}
TOKEN = re.compile(r"\{\{(.*?)\}\}")
CONTEXT_FIELD = re.compile(r"^context\.([A-Za-z_][A-Za-z0-9_]*)$")
#: what a bearer token may hold: visible ASCII (RFC 6750's b64token is narrower); never a space or CR/LF
BEARER = re.compile(r"^[\x21-\x7e]+$")
#: a relative FHIR URL after rendering: printable ASCII without spaces
RELATIVE = re.compile(r"^[\x21-\x7e]+$")
CHUNK = 64 * 1024
#: how much of an error answer is read to find an OperationOutcome's text
ERROR_BODY = 64 * 1024
MESSAGE_TEXT = 200  # characters of a server's own text (reason, diagnostics) quoted in a message


class FetchFailed(ServiceError):
    """The missing prefetch could not be read from the FHIR server (412); the message says what failed and
    never holds the access token. ``status`` is the server's HTTP status when it answered with one."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


# ------------------------------------------------------------------ templates


def render(template: str, context: Mapping[str, Any]) -> str:
    """A prefetch template ("Condition?patient={{context.patientId}}") with its {{context.<name>}} tokens
    replaced by the context's values, URL-quoted (query-value safe); a token naming a context field that
    is absent or not a string -> FetchFailed naming it. Other tokens ({{userPractitionerId}} etc. of the
    spec) likewise from context where present.

    A user token is read from a context field of its own name when there is one, else from
    ``context.userId`` when that names a resource of the token's type (``{{userPractitionerRoleId}}``
    from ``"PractitionerRole/123"`` is ``123``: the spec's hooks give the user as such a reference). An
    empty value is refused (``patient=`` would search every patient), as are FHIRPath tokens
    (``{{context.draftOrders.entry…}}``, ``{{today()}}``, ``{{%key…}}``), which this service's
    templates do not use, and an unclosed ``{{``."""

    def value(match: re.Match[str]) -> str:
        token = match.group(1).strip()
        field = CONTEXT_FIELD.match(token)
        if field:
            found = context.get(field.group(1))
        elif token in USER_TOKENS:
            found = context.get(token)
            if found is None:
                user = context.get("userId")
                kind, _, id = user.partition("/") if isinstance(user, str) else ("", "", "")
                if kind != USER_TOKENS[token]:
                    raise FetchFailed(f"prefetch token {{{{{token}}}}}: context.userId does not name a "
                                      f"{USER_TOKENS[token]}")
                found = id
        else:
            raise FetchFailed(f"prefetch token {{{{{_clip(token, 60)}}}}} is not one this service can fill "
                              f"(a context field or a user token)")
        if not isinstance(found, str) or not found:
            raise FetchFailed(f"prefetch token {{{{{token}}}}}: the context has no such field as a non-empty string")
        return quote(found, safe="")

    rendered = TOKEN.sub(value, template)
    if "{{" in rendered or "}}" in TOKEN.sub("", template):
        raise FetchFailed(f"prefetch template {_clip(template, 80)!r} has an unclosed token")
    return rendered


# ------------------------------------------------------------------ base URLs


def normalise(url: str) -> str | None:
    """A FHIR base URL as compared: ``scheme://host:port/path`` with scheme and host lower-cased, the default
    port filled in and no trailing ``/``; None when it is not an http(s) base URL (no host, a user-info,
    query or fragment part, a malformed port)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname or parts.username is not None or parts.password is not None:
        return None
    if parts.query or parts.fragment or "@" in parts.netloc:
        return None
    host = parts.hostname.lower()
    host = f"[{host}]" if ":" in host else host
    return f"{scheme}://{host}:{port or DEFAULT_PORTS[scheme]}{parts.path.rstrip('/')}"


def _under(url: str, base: str) -> bool:
    """Whether an absolute URL lies under a normalised base URL (same scheme, host and port; path at or below
    the base's path, with no ``.``/``..`` segment)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return False
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname or "@" in parts.netloc or parts.fragment:
        return False
    host = parts.hostname.lower()
    host = f"[{host}]" if ":" in host else host
    origin = f"{scheme}://{host}:{port or DEFAULT_PORTS[scheme]}"
    base_origin, base_path = _split_base(base)
    if origin != base_origin:
        return False
    if any(unquote(segment) in {".", ".."} for segment in parts.path.split("/")):
        return False
    return parts.path == base_path or parts.path.startswith(base_path + "/")


def _split_base(base: str) -> tuple[str, str]:
    """A normalised base URL as (``scheme://host:port``, path)."""
    scheme, rest = base.split("://", 1)
    slash = rest.find("/")
    return (base, "") if slash < 0 else (f"{scheme}://{rest[:slash]}", rest[slash:])


def _shown(url: str) -> str:
    """A URL as a message shows it: without any user-info, clipped."""
    try:
        parts = urlsplit(url)
        netloc = parts.netloc.rpartition("@")[2]
        return _clip(f"{parts.scheme}://{netloc}{parts.path}" if parts.scheme else url, 120)
    except ValueError:
        return _clip(url, 120)


def _clip(text: str, limit: int = MESSAGE_TEXT) -> str:
    text = re.sub(r"[\x00-\x1f\x7f]+", " ", text)
    return text if len(text) <= limit else text[:limit - 1] + "…"


# ------------------------------------------------------------------ the reader


@dataclass(frozen=True)
class Fetcher:
    """Reads relative FHIR URLs from the allowed FHIR servers (the module docstring says how it is bounded)."""

    servers: tuple[str, ...]          # allowed FHIR base URLs (compare normalised: scheme+host+port+path, trailing '/' ignored, case of scheme/host ignored)
    timeout: float = 5.0              # per HTTP request
    max_bytes: int = 16 * 1024 * 1024  # per response body; larger -> FetchFailed (read at most max_bytes+1)
    max_pages: int = 10               # Bundle 'next' links followed at most

    def __post_init__(self) -> None:
        bad = [s for s in self.servers if normalise(s) is None]
        if bad:
            raise ValueError(f"not an http(s) FHIR base URL: {', '.join(_clip(s, 120) for s in bad)}")
        if not self.timeout > 0 or self.max_bytes < 1 or self.max_pages < 0:
            raise ValueError("timeout must be > 0, max_bytes ≥ 1 and max_pages ≥ 0")

    @classmethod
    def from_settings(cls, servers: str, timeout: float) -> Fetcher:
        """From the settings' values: ``CDS_FHIR_SERVERS`` (base URLs separated by white space; empty: none) and
        ``CDS_FHIR_TIMEOUT`` (seconds). An entry that is not an http(s) base URL is a ValueError naming it."""
        return cls(tuple(servers.split()), float(timeout))

    def _allowed(self, fhir_server: str) -> str | None:
        """The normalised base of ``fhir_server`` when it is on the allow-list, else None."""
        base = normalise(fhir_server) if isinstance(fhir_server, str) else None
        return base if base is not None and base in {normalise(s) for s in self.servers} else None

    def allows(self, fhir_server: str) -> bool:
        """Whether ``fhir_server`` is one of :attr:`servers` (compared normalised)."""
        return self._allowed(fhir_server) is not None

    def read(self, fhir_server: str, query: str, authorization: Mapping[str, Any] | None) -> dict:
        """GET {fhir_server}/{query} (Accept: application/fhir+json; Authorization: Bearer <access_token> when
        authorization has one, token_type Bearer case-insensitive), the JSON resource it answers. A searchset
        Bundle with link relation 'next' is followed (only to URLs under the same allowed server; at most
        max_pages pages) and its entries joined into one Bundle. Raises FetchFailed: server not allowed,
        not http(s), connection refused/timeout, non-2xx status (the status in the message), redirects (never
        followed: SSRF), body too large, not JSON, not a FHIR resource (no resourceType), an OperationOutcome.

        A ``next`` link outside the server, a page that is not a searchset Bundle, a link already read, or
        more than ``max_pages`` further pages: FetchFailed too (never a partial record). The joined Bundle is
        the first page with every page's entries and only a ``self`` link (the first page's URL)."""
        token = _token(authorization)
        try:
            return self._read(fhir_server, query, token)
        except FetchFailed as error:
            failed = error
        # raised outside the handler, so the original (which may quote the token) is not its __context__
        message = str(failed)
        if token:  # a server may echo what it was sent; the message never carries the token
            for form in {token, quote(token, safe="")}:
                message = message.replace(form, "[access token]")
        raise FetchFailed(message, failed.status)

    def _read(self, fhir_server: str, query: str, token: str | None) -> dict:
        if not isinstance(fhir_server, str) or not isinstance(query, str):
            raise FetchFailed("fhirServer and the prefetch query must be strings")
        if urlsplit(fhir_server.strip()).scheme.lower() not in DEFAULT_PORTS:
            raise FetchFailed(f"fhirServer {_shown(fhir_server)!r} is not an http(s) URL")
        base = self._allowed(fhir_server)
        if base is None:
            raise FetchFailed(f"fhirServer {_shown(fhir_server)!r} is not one this service may read"
                              + ("" if self.servers else " (no FHIR server is allowed)"))
        url = self._url(fhir_server, query, base)
        page = first = self._get(url, token)
        if page.get("resourceType") != "Bundle" or page.get("type") != "searchset":
            return page
        entries = self._entries(page, url)
        seen, current, pages = {url}, url, 0
        while (following := _next(page)) is not None:
            following = urljoin(current, following)
            if not _under(following, base):
                raise FetchFailed(f"{_shown(current)}: its 'next' link {_shown(following)!r} is not under the "
                                  f"fhirServer (not followed)")
            if following in seen:
                raise FetchFailed(f"{_shown(current)}: its 'next' link leads to a page already read")
            if pages >= self.max_pages:
                raise FetchFailed(f"{_shown(url)}: more than {self.max_pages} further pages (not read)")
            page = self._get(following, token)
            if page.get("resourceType") != "Bundle" or page.get("type") != "searchset":
                raise FetchFailed(f"{_shown(following)}: a 'next' page that is not a searchset Bundle")
            entries += self._entries(page, following)
            seen.add(following)
            current, pages = following, pages + 1
        if pages == 0:
            return first
        joined = {key: value for key, value in first.items() if key not in {"link", "entry"}}
        return {**joined, "link": [{"relation": "self", "url": url}], "entry": entries}

    def _url(self, fhir_server: str, query: str, base: str) -> str:
        """The absolute URL of a relative FHIR URL on the server, or FetchFailed when it would leave it."""
        if not RELATIVE.match(query):
            raise FetchFailed(f"prefetch query {_clip(query, 80)!r} is not a relative FHIR URL (empty, spaces or "
                              f"characters outside ASCII)")
        parts = urlsplit(query)
        if parts.scheme or parts.netloc or query.startswith("/") or parts.fragment:
            raise FetchFailed(f"prefetch query {_clip(query, 80)!r} is not a relative FHIR URL")
        url = f"{fhir_server.strip().rstrip('/')}/{query}"
        if not _under(url, base):
            raise FetchFailed(f"prefetch query {_clip(query, 80)!r} leaves the fhirServer")
        return url

    def _entries(self, bundle: dict, url: str) -> list:
        entries = bundle.get("entry") or []
        if not isinstance(entries, list):
            raise FetchFailed(f"{_shown(url)}: the Bundle's 'entry' is not a list")
        for entry in entries:
            resource = entry.get("resource") if isinstance(entry, dict) else None
            if isinstance(resource, dict) and resource.get("resourceType") == "OperationOutcome" \
                    and _severe(resource):
                raise FetchFailed(f"{_shown(url)}: the search reported an error: {_outcome(resource)}")
        return entries

    def _get(self, url: str, token: str | None) -> dict:
        """One GET, bounded in time and size; the JSON resource it answers (not an OperationOutcome)."""
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or DEFAULT_PORTS[parts.scheme.lower()]
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        headers = {"Accept": ACCEPT, "Accept-Encoding": "identity", "User-Agent": "osteokg-cds"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        connection: http.client.HTTPConnection
        if parts.scheme.lower() == "https":
            connection = http.client.HTTPSConnection(host, port, timeout=self.timeout, context=_tls())
        else:
            connection = http.client.HTTPConnection(host, port, timeout=self.timeout)
        expired = threading.Event()

        def watchdog() -> None:  # the deadline: shut the socket, so a blocked read returns
            expired.set()
            sock = connection.sock
            if sock is not None:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

        timer = threading.Timer(self.timeout, watchdog)
        timer.daemon = True
        shown = _shown(url)
        response: http.client.HTTPResponse | None = None
        try:
            timer.start()
            try:
                connection.request("GET", target, headers=headers)
                response = connection.getresponse()
                status = response.status
                declared = response.getheader("Content-Length")
                if 200 <= status < 300 and declared and declared.isdigit() and int(declared) > self.max_bytes:
                    raise FetchFailed(f"{shown}: the answer is larger than {self.max_bytes} bytes", status)
                limit = self.max_bytes if 200 <= status < 300 else ERROR_BODY
                body = bytearray()
                while len(body) <= limit:
                    chunk = response.read1(min(CHUNK, limit + 1 - len(body)))
                    if not chunk:
                        break
                    body += chunk
            except FetchFailed:
                raise
            except (OSError, http.client.HTTPException) as error:
                if expired.is_set() or isinstance(error, TimeoutError):
                    raise FetchFailed(f"{shown}: no answer within {self.timeout:g} s") from None
                raise FetchFailed(f"{shown}: the FHIR server could not be read ({_why(error)})") from None
            if expired.is_set():
                raise FetchFailed(f"{shown}: no answer within {self.timeout:g} s")
        finally:
            timer.cancel()
            if response is not None:  # unread or not, its socket file is closed here, not by the collector
                response.close()
            connection.close()
        if 300 <= status < 400:
            raise FetchFailed(f"{shown}: answered {status} (a redirect, not followed)", status)
        if not 200 <= status < 300:
            detail = _error_text(bytes(body)) or _clip(response.reason or "", 80)
            raise FetchFailed(f"{shown}: answered {status}" + (f" ({detail})" if detail else ""), status)
        if len(body) > self.max_bytes:
            raise FetchFailed(f"{shown}: the answer is larger than {self.max_bytes} bytes", status)
        try:
            resource = json.loads(bytes(body))
        except ValueError:
            raise FetchFailed(f"{shown}: the answer is not JSON", status) from None
        if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
            raise FetchFailed(f"{shown}: the answer is not a FHIR resource (no resourceType)", status)
        if resource["resourceType"] == "OperationOutcome":
            raise FetchFailed(f"{shown}: the FHIR server answered an OperationOutcome: {_outcome(resource)}", status)
        return resource


# ------------------------------------------------------------------ helpers


@lru_cache(maxsize=1)
def _tls() -> ssl.SSLContext:
    """The TLS context of every https read: the system's trusted CAs, host names checked (made once: loading
    the CA store is not free)."""
    return ssl.create_default_context()


def _token(authorization: Mapping[str, Any] | None) -> str | None:
    """The access token of a ``fhirAuthorization`` object (None without one); FetchFailed for one that cannot
    be sent as a Bearer token. The messages never show the token."""
    if authorization is None:
        return None
    if not isinstance(authorization, Mapping):
        raise FetchFailed("fhirAuthorization must be an object")
    token = authorization.get("access_token")
    if token is None:
        return None
    kind = authorization.get("token_type", "Bearer")
    if not isinstance(kind, str) or kind.lower() != "bearer":
        raise FetchFailed("fhirAuthorization.token_type must be 'Bearer'")
    if not isinstance(token, str) or not BEARER.match(token):
        raise FetchFailed("fhirAuthorization.access_token is not a bearer token (a non-empty string of visible "
                          "ASCII characters)")
    return token


def _next(bundle: dict) -> str | None:
    """The URL of a Bundle's ``next`` link, or None."""
    links = bundle.get("link")
    if not isinstance(links, list):
        return None
    for link in links:
        if isinstance(link, dict) and link.get("relation") == "next":
            url = link.get("url")
            if not isinstance(url, str) or not url:
                raise FetchFailed("a Bundle's 'next' link has no url")
            return url
    return None


def _severe(outcome: dict) -> bool:
    """Whether an OperationOutcome has an error or fatal issue."""
    issues = outcome.get("issue")
    return not isinstance(issues, list) or any(
        not isinstance(issue, dict) or issue.get("severity") in {"error", "fatal"} for issue in issues)


def _outcome(outcome: dict) -> str:
    """An OperationOutcome's first issue as text: severity, code and its details or diagnostics (clipped)."""
    issues = outcome.get("issue")
    issue = issues[0] if isinstance(issues, list) and issues and isinstance(issues[0], dict) else {}
    details = issue.get("details")
    text = details.get("text") if isinstance(details, dict) and isinstance(details.get("text"), str) \
        else issue.get("diagnostics")
    said = " ".join(str(part) for part in (issue.get("severity"), issue.get("code")) if isinstance(part, str))
    if isinstance(text, str) and text:
        said = f"{said}: {text}" if said else text
    return _clip(said or "no issue given")


def _error_text(body: bytes) -> str:
    """The text of an OperationOutcome in an error answer's body, or ''."""
    try:
        resource = json.loads(body)
    except ValueError:
        return ""
    if isinstance(resource, dict) and resource.get("resourceType") == "OperationOutcome":
        return _outcome(resource)
    return ""


def _why(error: BaseException) -> str:
    """An OS or HTTP error as a few words (no addresses beyond what the URL already says)."""
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, ConnectionError):
        return "connection reset or closed"
    if isinstance(error, ssl.SSLError):
        return f"TLS: {_clip(getattr(error, 'reason', None) or 'handshake failed', 80)}"
    if isinstance(error, socket.gaierror):
        return "host name not found"
    if isinstance(error, http.client.HTTPException):
        return f"not an HTTP answer ({type(error).__name__})"
    return _clip(error.strerror or type(error).__name__, 80) if isinstance(error, OSError) else type(error).__name__
