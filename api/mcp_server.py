"""The Model Context Protocol door: osteokg's questions as MCP tools, its release files and model as resources.

A thin layer over :class:`kg.service.Service` (the release opened as the API opens it: the build folder's
``current`` release, ``OSTEOKG_BUILD_DIR`` and ``OSTEOKG_STORE``), written with the official ``mcp`` package's
v2 API (:class:`mcp.server.mcpserver.MCPServer`). Every tool answers with structured content (a JSON object,
its shape below) and a short text rendering of it, and every entity it names carries its ``permalink``: its
page under ``OSTEOKG_BASE_URL`` (``{BASE_URL}entities/{CURIE}``, the explorer's page for a person, JSON for a
program). Where the graph has quotes for an answer, the answer carries them (``quote``, ``quote_lang``, the
English or Dutch ``translation``, the ``source`` with its permalink), so an assistant can cite them.

Tools (arguments; the answer's keys)

``search``          q, lang (en|nl), category, limit → {query, lang, total, hits: [{id, label, categories, match,
                    permalink}]}
``get_entity``      id (a CURIE, or a foreign code that stands for one entity), lang → {entity (the REST entity
                    answer: its ``relations`` the outgoing edges, each as list_edges gives it), permalink,
                    evidence: [{subject, predicate, object, inferred, strength, quote, quote_lang, translation,
                    source}], statements}
``list_edges``      id, lang, direction (out|in|both), predicate, inferred, strength, limit, offset →
                    {id, permalink, total, limit, offset, edges: [edge]}: each edge in the one shape of
                    :mod:`kg.service.shapes` (the REST routes' ``Edge``), its ends and sources with permalinks
``walk_hierarchy``  id, walk (parents|children|ancestors|descendants), lang, limit, offset → {id, walk, total,
                    items: [{id, label, permalink, inferred?}]}
``lookup_code``     code (e.g. ICD10WHO:M87, MESH:D010020), lang → {code, mappings: [{id, label, match,
                    permalink}]}
``list_questions``  → {questions: [{name, question: {en, nl}}]}
``run_question``    name, lang → {name, question, columns, rows, boolean, permalinks, evidence: [the quotes of
                    the edges between the entities of each row]}
``sparql``          query → {head: {vars}, results: {bindings}} or {boolean}, plus permalinks; run on the
                    endpoint's own query processes under its one policy (:mod:`kg.sparql.policy`: read-only, no
                    SERVICE, no FROM, a nesting limit; ``OSTEOKG_SPARQL_TIMEOUT``, ``OSTEOKG_SPARQL_MAX_ROWS``,
                    ``OSTEOKG_SPARQL_MAX_MEMORY``) through :class:`kg.sparql.pool.QueryPool`.

A value the graph cannot take (a malformed CURIE, an unknown relation, a refused query) is a tool error
(``isError`` with a message that says what to change), never a crash of the server.

Resources: ``osteokg://release/{file}`` for the release's files (manifest.json, osteokg.ttl, osteokg.nt,
osteokg.jsonld, osteokg.owl, osteokg.sssom.tsv, the KGX tables, qc-report.tsv, review.tsv) and
``osteokg://docs/model.md``, the model's documentation.

Transports: stdio (``osteokg mcp``); streamable HTTP at ``/mcp`` of the served API, ``osteokg serve``'s own port
(``api/wsgi.py`` calls :func:`mount`: :class:`Mount` bridges only those requests, POST only, into the package's
ASGI app, stateless with JSON answers, so any granian worker may answer any call; :class:`AppDoor` binds each call
to the app's release and query pool); and the same on a listener of its own (``osteokg mcp --http``, on the
``MCP_PORT`` setting). A query pool's settings come from :meth:`kg.sparql.pool.PoolSettings.for_release`, as the
endpoint's do. docs/mcp.md says why, and what the mount costs each worker.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import json
import logging
import threading
import urllib.parse
from collections.abc import AsyncIterator, Callable, Iterable, MutableMapping
from contextlib import asynccontextmanager
from http import HTTPStatus
from pathlib import Path
from typing import Any, Literal, cast

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ToolError
from mcp.server.mcpserver.resources import FunctionResource
from mcp_types import CallToolResult, TextContent, ToolAnnotations

from kg import settings
from kg.service import BadValue, NotFound, Service, ServiceError, open_release
from kg.service.values import OSTEOKG_NS, curie_of
from kg.sparql.pool import PoolError, PoolSettings, QueryPool
from kg.store import RemoteStore

log = logging.getLogger("osteokg.mcp")

Lang = Literal["en", "nl"]
READ_ONLY = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False)
#: the release's files a client may read (those a build writes; a missing one is listed only when present)
RELEASE_FILES = {
    "manifest.json": "application/json", "osteokg.ttl": "text/turtle", "osteokg.nt": "application/n-triples",
    "osteokg.jsonld": "application/ld+json", "osteokg.owl": "application/rdf+xml",
    "osteokg.sssom.tsv": "text/tab-separated-values", "kgx/osteokg_nodes.tsv": "text/tab-separated-values",
    "kgx/osteokg_edges.tsv": "text/tab-separated-values", "qc-report.tsv": "text/tab-separated-values",
    "review.tsv": "text/tab-separated-values",
}
MODEL_DOC = settings.ROOT / "docs" / "model.md"
MAX_LIMIT = 200  # items a list tool gives at most in one call
INSTRUCTIONS = (
    "osteokg is a clinical reference knowledge graph for osteoporotic (fragility) fractures and osteonecrosis, "
    "built from two Dutch patient-information sources. Answer only from what the tools return, cite each quote "
    "with its source and the entity's permalink, and give no advice about an individual patient.")


class Door:
    """What the tools ask: the service over one release, its query pool (started on the first SPARQL query) and
    the public base URL the permalinks are made from."""

    def __init__(self, service: Service, base_url: str | None = None, pool: QueryPool | None = None) -> None:
        self._service = service
        base = str(base_url or settings.get("BASE_URL"))
        self.base_url = base if base.endswith("/") else base + "/"
        self._pool = pool
        self._own_pool = pool is None

    @property
    def service(self) -> Service:
        return self._service

    def call(self, work: Callable[[], dict]) -> dict:
        """Answer one tool call (:class:`AppDoor` binds it to one release first)."""
        return work()

    # ---------------------------------------------------------------- permalinks

    def permalink(self, id_or_iri: str) -> str | None:
        """The entity's page under the base URL, for an osteokg entity (its CURIE or IRI); None for anything else."""
        curie = curie_of(id_or_iri) if id_or_iri.startswith("http") else id_or_iri
        if not curie.startswith("OSTEOKG:"):
            return None
        return f"{self.base_url}entities/{urllib.parse.quote(curie, safe=':')}"

    def linked(self, ref: dict) -> dict:
        """An entity reference ({id, iri, label}) with its permalink."""
        link = self.permalink(ref.get("id") or ref.get("iri") or "")
        return {**ref, "permalink": link} if link else dict(ref)

    def _cited(self, edge: dict) -> dict:
        """An edge as the service gives it, its ends and its evidence's sources with their permalinks."""
        out = dict(edge)
        for end in ("subject", "object"):
            if isinstance(out.get(end), dict):
                out[end] = self.linked(out[end])
        out["evidence"] = [{**e, "source": self.source(e["source"])} for e in edge.get("evidence", [])]
        return out

    def source(self, ref: dict) -> dict:
        """A source with its permalink: its osteokg page, else its own IRI (the ontology, for what the build
        derived from a definition)."""
        linked = self.linked(ref)
        linked.setdefault("permalink", ref.get("iri"))
        return linked

    @staticmethod
    def _quotes(edges: list[dict]) -> list[dict]:
        """The distinct quotes behind ``edges`` (already cited), each with the edge it supports."""
        found: list[dict] = []
        seen: set[tuple] = set()
        for edge in edges:
            for e in edge["evidence"]:
                key = (edge["subject"]["id"], edge["predicate"]["id"], edge["object"]["id"], e["quote"], e["source"]["id"])
                if key in seen:
                    continue
                seen.add(key)
                found.append({"subject": edge["subject"], "predicate": edge["predicate"],
                              "object": edge["object"], "inferred": e["inferred"],
                              "strength": e.get("strength"), "quote": e["quote"],
                              "quote_lang": e["quote_lang"], "translation": e.get("translation"),
                              "source": e["source"]})
        return found

    # ---------------------------------------------------------------- the tools' answers

    def search(self, q: str, lang: str = "en", category: str | None = None, limit: int = 10) -> dict:
        page = self.service.search(q, lang, category or None, _limit(limit), 0)
        hits = [self.linked(hit) for hit in page.items]
        return {"query": q, "lang": lang, "total": page.total, "hits": hits}

    def entity(self, id: str, lang: str = "en") -> dict:
        page = self.service.entity_page(id, lang)
        entity = dict(page.entity)
        for key in ("parents", "categories"):
            entity[key] = [self.linked(r) for r in entity.get(key, [])]
        entity["relations"] = [self._cited(e) for e in entity.get("relations", [])]  # as list_edges gives them
        edges = [self._cited(e) for e in page.outgoing + page.incoming]
        return {"entity": entity, "permalink": self.permalink(entity["id"]), "evidence": self._quotes(edges),
                "statements": [self.linked(s) for s in page.statements]}

    def edges(self, id: str, lang: str = "en", direction: str = "both", predicate: str | None = None,
              inferred: bool | None = None, strength: str | None = None, limit: int = 50, offset: int = 0) -> dict:
        resolved = self.service.resolve(id)
        page = self.service.relations(resolved, lang, direction, predicate or None, inferred, strength or None,
                                      _limit(limit), offset)
        entity = self.service.entity_iri(resolved)
        return {"id": curie_of(entity), "permalink": self.permalink(entity), "total": page.total,
                "limit": page.limit, "offset": page.offset, "edges": [self._cited(e) for e in page.items]}

    def hierarchy(self, id: str, walk: str = "parents", lang: str = "en", limit: int = 50, offset: int = 0) -> dict:
        resolved = self.service.resolve(id)
        page = self.service.hierarchy(resolved, walk, lang, _limit(limit), offset)
        entity = self.service.entity_iri(resolved)
        return {"id": curie_of(entity), "permalink": self.permalink(entity), "walk": walk, "total": page.total,
                "limit": page.limit, "offset": page.offset, "items": [self.linked(i) for i in page.items]}

    def code(self, code: str, lang: str = "en") -> dict:
        page = self.service.xrefs(code, lang)
        return {"code": code, "mappings": [self.linked(m) for m in page.items]}

    def questions(self) -> dict:
        return {"questions": [{"name": q.name, "question": {"en": q.en, "nl": q.nl}}
                              for q in self.service.competency_questions()]}

    def question(self, name: str, lang: str = "en") -> dict:
        table = self.service.competency_table(name, lang)
        entities = {cell["id"] for row in table["rows"] for cell in row if cell and cell["kind"] == "entity"}
        permalinks = {id: link for id in sorted(entities) if (link := self.permalink(id))}
        evidence: list[dict] = []
        for row in table["rows"]:  # the quotes of the edges between the row's entities, as the graph gives them
            ids = [cell["id"] for cell in row if cell and cell["kind"] == "entity"]
            for subject in dict.fromkeys(ids):
                others = set(ids) - {subject}
                if not others:
                    continue
                page = self.service.relations(subject, lang, "out")
                evidence.extend(self._cited(e) for e in page.items if e["object"]["id"] in others)
        return {**table, "permalinks": permalinks, "evidence": self._quotes(evidence)}

    # ---------------------------------------------------------------- SPARQL, on the endpoint's query processes

    def pool(self) -> QueryPool:
        if self._pool is None:
            release = self.service.release
            if isinstance(release.store, RemoteStore):
                raise ToolError("this server answers from a remote store; send SPARQL to that store's endpoint")
            self._pool = QueryPool(PoolSettings.for_release(
                release, settings.from_environ("api"), urllib.parse.urljoin(self.base_url, "sparql"),
                workers=1))  # one assistant asks one question at a time
        return self._pool

    def run_sparql(self, query: str, client: str | None) -> dict:
        """The pool's reply to ``query`` (:class:`AppDoor`: within ``client``'s limits, as /sparql's are)."""
        return self.pool().run(query, "json", "ntriples")

    def sparql(self, query: str, client: str | None = None) -> dict:
        """``query``'s answer for ``client`` (the HTTP caller's address; None on stdio)."""
        if not query.strip():
            raise ToolError("give a SPARQL 1.1 query (SELECT, ASK, CONSTRUCT or DESCRIBE)")
        try:
            reply = self.run_sparql(query, client)
        except PoolError as error:
            raise ToolError(f"{error.title}: {error.detail}") from None
        if reply["status"] != 200:
            raise ToolError(f"{reply['title']}: {reply['detail']}")
        body = reply["body"].decode("utf-8") if isinstance(reply["body"], bytes) else reply["body"]
        if "json" not in reply["content_type"]:  # a graph (CONSTRUCT, DESCRIBE): its N-Triples
            return {"triples": body, "permalinks": {}}
        answer = json.loads(body)
        iris = {value["value"] for binding in answer.get("results", {}).get("bindings", [])
                for value in binding.values() if value.get("type") == "uri" and value["value"].startswith(OSTEOKG_NS)}
        answer["permalinks"] = {iri: self.permalink(iri) for iri in sorted(iris)}
        return answer

    def close(self) -> None:
        """Stop the query processes this door started (the next SPARQL query starts new ones)."""
        if self._pool is not None and self._own_pool:
            self._pool.close()
            self._pool = None


def _limit(limit: int) -> int:
    if limit < 0:
        raise ToolError("limit must not be negative")
    return min(limit, MAX_LIMIT)


# ---------------------------------------------------------------- text renderings


def _cite(q: dict) -> str:
    text = f'"{q["quote"]}"'
    if q.get("translation"):
        text += f' ({q["translation"]["lang"]}: "{q["translation"]["text"]}")'
    source = q["source"]
    return f'{text} — {source["label"]}' + (f' <{source["permalink"]}>' if source.get("permalink") else "")


def _ref(r: dict) -> str:
    return f'{r.get("label") or r["id"]} ({r["id"]})' + (f' <{r["permalink"]}>' if r.get("permalink") else "")


def _render_edges(edges: list[dict]) -> list[str]:
    lines = []
    for e in edges:
        strength = (e.get("strength") or {}).get("label") or ""
        lines.append(f'- {_ref(e["subject"])} {e["predicate"]["label"]} {_ref(e["object"])}'
                     f' [{strength}{", inferred" if e["inferred"] else ""}]')
        lines.extend(f"    {_cite({**ev})}" for ev in e["evidence"][:3])
    return lines


def render(tool: str, answer: dict) -> str:
    """A short text rendering of a tool's answer (the structured content holds everything)."""
    if tool == "search":
        lines = [f'{answer["total"]} match(es) for "{answer["query"]}":']
        lines += [f'- {_ref(h)}: {h["match"]["field"]} "{h["match"]["text"]}"' for h in answer["hits"]]
    elif tool == "get_entity":
        entity = answer["entity"]
        lines = [f'{entity.get("label")} ({entity["id"]}) <{answer["permalink"]}>', entity.get("definition") or ""]
        lines += [f'- {q["subject"]["label"]} {q["predicate"]["label"]} {q["object"]["label"]}: {_cite(q)}'
                  for q in answer["evidence"][:20]]
    elif tool == "list_edges":
        lines = [f'{answer["total"]} edge(s) of {answer["id"]} <{answer["permalink"]}>:', *_render_edges(answer["edges"])]
    elif tool == "walk_hierarchy":
        lines = [f'{answer["walk"]} of {answer["id"]}: {answer["total"]}', *(f"- {_ref(i)}" for i in answer["items"])]
    elif tool == "lookup_code":
        lines = [f'{answer["code"]} maps to:', *(f'- {_ref(m)} ({m["match"]})' for m in answer["mappings"])]
    elif tool == "list_questions":
        lines = [f'- {q["name"]}: {q["question"]["en"]}' for q in answer["questions"]]
    elif tool == "run_question":
        lines = [answer["question"]["en"]]
        if answer["boolean"] is not None:
            lines.append("yes" if answer["boolean"] else "no")
        for row in answer["rows"]:
            lines.append("- " + " | ".join(_cell(c, answer["permalinks"]) for c in row))
        lines += [f'  {q["subject"]["label"]} {q["predicate"]["label"]} {q["object"]["label"]}: {_cite(q)}'
                  for q in answer["evidence"][:20]]
    elif tool == "sparql":
        if "boolean" in answer:
            lines = [f'ASK: {"true" if answer["boolean"] else "false"}']
        elif "triples" in answer:
            lines = [answer["triples"][:2000]]
        else:
            rows = answer["results"]["bindings"]
            names = answer["head"]["vars"]
            lines = [f"{len(rows)} row(s): " + ", ".join(names)]
            lines += ["- " + " | ".join(row[v]["value"] if v in row else "" for v in names) for row in rows[:20]]
    else:  # pragma: no cover - every tool is listed above
        lines = [json.dumps(answer, ensure_ascii=False)[:2000]]
    return "\n".join(line for line in lines if line is not None)


def _cell(cell: dict | None, permalinks: dict) -> str:
    if cell is None:
        return ""
    if cell["kind"] == "entity":
        return _ref({**cell, "permalink": permalinks.get(cell["id"])})
    if cell["kind"] == "link":
        return cell["iri"]
    if cell["kind"] == "text":
        return cell["text"]
    return str(cell["value"])


# ---------------------------------------------------------------- the server


def client_of(ctx: Context) -> str | None:
    """The address of the HTTP client that called a tool (the scope's client: :class:`Mount` puts the request's
    ``REMOTE_ADDR`` there, the client's own behind a trusted proxy); None on stdio."""
    try:
        request = ctx.request_context.request
    except ValueError:  # no request: called outside one
        return None
    client = getattr(request, "client", None)
    return str(getattr(client, "host", "") or "") or None


def _answer(door: Door, tool: str, call: Callable[[], dict]) -> CallToolResult:
    """Run ``call`` (the door's method, bound): its answer as structured content and text, or a tool error."""
    try:
        answer = door.call(call)
    except (BadValue, NotFound, ServiceError) as error:
        raise ToolError(str(error)) from None
    return CallToolResult(content=[TextContent(type="text", text=render(tool, answer))], structured_content=answer)


def create_server(door: Door) -> MCPServer:
    """The MCP server over ``door``: its tools and resources (module docstring)."""

    @asynccontextmanager
    async def lifespan(_: MCPServer) -> AsyncIterator[None]:
        try:
            yield None
        finally:
            door.close()

    release = door.service.release
    server: MCPServer = MCPServer("osteokg", title="osteokg", instructions=INSTRUCTIONS, website_url=door.base_url,
                                  version=str(release.manifest.get("version") or ""), lifespan=lifespan,
                                  log_level="WARNING")

    @server.tool(annotations=READ_ONLY)
    def search(q: str, lang: Lang = "en", category: str | None = None, limit: int = 10) -> CallToolResult:
        """Find osteokg entities by a word or code, in Dutch or English: labels, synonyms (lay words too) and codes,
        exact matches first, typos forgiven. ``lang`` is the language of the labels shown; ``category`` an upper
        category's CURIE."""
        return _answer(door, "search", lambda: door.search(q, lang, category, limit))

    @server.tool(annotations=READ_ONLY)
    def get_entity(id: str, lang: Lang = "en") -> CallToolResult:
        """An entity by its CURIE (e.g. OSTEOKG:0000108) or a foreign code that stands for one entity: labels,
        definition, synonyms, categories, codes, parents, and the quotes behind its asserted edges, with the
        permalink of its page."""
        return _answer(door, "get_entity", lambda: door.entity(id, lang))

    @server.tool(annotations=READ_ONLY)
    def list_edges(id: str, lang: Lang = "en", direction: Literal["out", "in", "both"] = "both",
                   predicate: str | None = None, inferred: bool | None = None,
                   strength: Literal["defining", "main", "most", "often", "proportion", "generally", "can"] | None = None,
                   limit: int = 50, offset: int = 0) -> CallToolResult:
        """The entity's relation edges, each with its strength, qualifiers (context, condition, in combination
        with) and every piece of evidence: source, verbatim quote and its translation, and for an inferred edge
        the rule and premise. ``predicate`` is a relation's CURIE; ``inferred`` true or false keeps only inferred
        or asserted edges."""
        return _answer(door, "list_edges", lambda: door.edges(id, lang, direction, predicate, inferred, strength, limit,
                                                        offset))

    @server.tool(annotations=READ_ONLY)
    def walk_hierarchy(id: str, walk: Literal["parents", "children", "ancestors", "descendants"] = "parents",
                       lang: Lang = "en", limit: int = 50, offset: int = 0) -> CallToolResult:
        """The entity's direct parents or children (each saying whether the reasoner found it), or all its
        ancestors or descendants."""
        return _answer(door, "walk_hierarchy", lambda: door.hierarchy(id, walk, lang, limit, offset))

    @server.tool(annotations=READ_ONLY)
    def lookup_code(code: str, lang: Lang = "en") -> CallToolResult:
        """The osteokg entities a code of another terminology maps to (ICD10WHO:, ICD10CM:, ICD11:, SNOMEDCT:,
        MESH:, MONDO:, DOID:, UBERON:, CHEBI:, HP:), each with the mapping's precision (exactMatch, closeMatch,
        broadMatch, narrowMatch)."""
        return _answer(door, "lookup_code", lambda: door.code(code, lang))

    @server.tool(annotations=READ_ONLY)
    def list_questions() -> CallToolResult:
        """The example (competency) questions the graph answers, by name, in English and Dutch."""
        return _answer(door, "list_questions", door.questions)

    @server.tool(annotations=READ_ONLY)
    def run_question(name: str, lang: Lang = "en") -> CallToolResult:
        """Run an example question by name (see list_questions): its table, the permalinks of the entities in it,
        and the quotes of the edges between each row's entities."""
        return _answer(door, "run_question", lambda: door.question(name, lang))

    @server.tool(annotations=READ_ONLY)
    def sparql(query: str, ctx: Context) -> CallToolResult:
        """Run a read-only SPARQL 1.1 query (SELECT, ASK, CONSTRUCT, DESCRIBE) over the osteokg graph, under the
        public endpoint's policy: a time limit, a row cap, no SERVICE, no FROM, no updates. SELECT and ASK answer
        as SPARQL JSON results, with the permalinks of the osteokg entities in them."""
        return _answer(door, "sparql", lambda: door.sparql(query, client_of(ctx)))

    directory = release.directory
    for name, mime in RELEASE_FILES.items():
        path = directory / name if directory is not None else None
        if path is None or not path.is_file():
            continue
        server.add_resource(FunctionResource.from_function(
            fn=_release_reader(door, name), uri=f"osteokg://release/{name}", name=name, mime_type=mime,
            description=f"the release's {name} (release {release.id})"))
    if MODEL_DOC.is_file():
        server.add_resource(FunctionResource.from_function(
            fn=_reader(MODEL_DOC, "text/markdown"), uri="osteokg://docs/model.md", name="model.md",
            mime_type="text/markdown", description="the model: identifiers, categories, relations, evidence, rules"))
    return server


def _reader(path: Path, mime: str):
    def read() -> str:
        return path.read_text(encoding="utf-8")

    read.__name__ = f"read_{path.name.replace('.', '_').replace('-', '_')}"
    return read


def _release_reader(door: Door, name: str):
    """Read the file ``name`` of the release being served when it is read (a reload serves the new one's)."""

    def read() -> str:
        directory = door.service.release.directory
        if directory is None or not (directory / name).is_file():
            raise ResourceError(f"this release has no {name}")
        return (directory / name).read_text(encoding="utf-8")

    read.__name__ = f"read_{name.replace('.', '_').replace('-', '_').replace('/', '_')}"
    return read


def open_door(build_dir: Path | None = None, store: str | None = None) -> Door:
    """The door over the release the build folder's ``current`` names, as the API opens it."""
    directory = Path(build_dir or settings.get("BUILD_DIR"))
    return Door(Service(open_release(directory, store or settings.get("STORE"))))


def serve(build_dir: Path | None = None, store: str | None = None, http: bool = False, host: str = "127.0.0.1",
          port: int | None = None) -> None:
    """Serve the door over stdio (the default) or streamable HTTP at ``http://host:port/mcp`` (``port``: the
    ``MCP_PORT`` setting unless given)."""
    server = create_server(open_door(build_dir, store))
    if http:
        server.run("streamable-http", host=host, port=settings.get("MCP_PORT") if port is None else port,
                   stateless_http=True, json_response=True)
    else:
        server.run("stdio")


# ---------------------------------------------------------------- /mcp on the API's own WSGI server


class AppDoor(Door):
    """The door of a Flask app made by :func:`api.create_app`: each tool call bound to the release the app serves
    when the call arrives (``api.graph``'s releases, hot reload included) and its SPARQL run on that release's own
    query pool (``api.sparql``: the endpoint's processes, not a second pool)."""

    def __init__(self, app: Any) -> None:
        from api.graph import releases_of

        self.app = app
        self._releases = releases_of(app)
        self._local = threading.local()
        super().__init__(self._releases.current.service, str(app.config.get("BASE_URL") or ""), None)

    @property
    def service(self) -> Service:
        served = getattr(self._local, "served", None)
        return (served or self._releases.current).service

    def call(self, work: Callable[[], dict]) -> dict:
        served = self._releases.acquire()
        self._local.served = served
        try:
            return work()
        finally:
            self._local.served = None
            served.leave()

    def pool(self) -> QueryPool:
        from api.sparql import EXTENSION

        served = getattr(self._local, "served", None) or self._releases.current
        pool = served.resources.get(EXTENSION)
        if pool is None:
            raise ToolError("this server answers from a remote store; send SPARQL to that store's endpoint")
        return pool

    def run_sparql(self, query: str, client: str | None) -> dict:
        """On the endpoint's query processes and within the endpoint's per-client limits (api.sparql.admitted): a
        client's SPARQL through /mcp counts with its /sparql queries, so neither door lets it take more."""
        from api.sparql import admitted

        pool = self.pool()
        return admitted(self.app, client or "", lambda: pool.run(query, "json", "ntriples"))

    def close(self) -> None:  # the pools are the app's: it stops them
        pass


class Mount:
    """WSGI middleware: requests under ``path`` are answered by the MCP server's streamable-HTTP app (stateless,
    JSON answers: no session ties a client to one worker process), every other request by ``app``.

    The ASGI app runs on an event loop in a thread of this process (started on the first request, with the
    session manager's task group); each request's body is read whole (at most ``max_body`` bytes), handed to
    the app, and its answer collected and returned. A request that gets no answer within ``timeout`` seconds is
    a 504. Only POST is answered: a GET would ask for a server-sent event stream, which a collected answer
    cannot give (it would hold a server thread until the time-out), so it is a 405, as the transport's
    specification allows; with no session there is nothing to DELETE either.

    Requests must name, in ``Host`` (and ``Origin`` when a browser sends one), a loopback name or the host of
    ``base_url`` (``OSTEOKG_BASE_URL``), with or without a port: the package's DNS-rebinding protection
    answers any other 421 (403 for an ``Origin``)."""

    def __init__(self, app: Callable, server: MCPServer, path: str = "/mcp", base_url: str | None = None,
                 max_body: int = 1 << 20, timeout: float = 60.0) -> None:
        from mcp.server.transport_security import TransportSecuritySettings

        self.app, self.path, self.max_body, self.timeout = app, path.rstrip("/"), max_body, timeout
        public = urllib.parse.urlsplit(str(base_url or settings.get("BASE_URL")))
        names = ["127.0.0.1", "localhost", "[::1]"] + ([public.hostname] if public.hostname else [])
        hosts = [h for name in names for h in (name, f"{name}:*")]  # with or without a port
        origins = [f"http://{h}" for h in hosts] + [f"https://{h}" for h in hosts]
        self.asgi = server.streamable_http_app(
            streamable_http_path=self.path, stateless_http=True, json_response=True, max_request_body_size=max_body,
            transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=True, allowed_hosts=hosts,
                                                         allowed_origins=origins))
        self._manager = server.session_manager
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stop = asyncio.Event()
        self._closed = False
        self._lock = threading.Lock()

    def _start(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is not None:
                return self._loop
            loop = asyncio.new_event_loop()
            ready = threading.Event()

            async def life() -> None:
                async with self._manager.run():
                    ready.set()
                    await self._stop.wait()  # for the life of the process, or until close()

            thread = threading.Thread(target=loop.run_until_complete, args=(life(),), name="osteokg-mcp", daemon=True)
            thread.start()
            if not ready.wait(10):
                raise RuntimeError("the MCP session manager did not start")
            self._loop, self._thread = loop, thread
            return loop

    def close(self, wait: float = 10.0) -> None:
        """Stop the event loop's thread (a served process never needs to: it ends with the process); the MCP app
        answers no more requests (503), the wrapped app all others."""
        with self._lock:
            self._closed = True
            loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        loop.call_soon_threadsafe(self._stop.set)
        thread.join(wait)
        if not thread.is_alive():
            loop.close()

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO") or ""
        if path != self.path and not path.startswith(self.path + "/"):
            return self.app(environ, start_response)
        if self._closed:
            return _plain(start_response, 503, "the MCP server of this process has stopped")
        if environ.get("REQUEST_METHOD") != "POST":  # GET would open an event stream that never ends here
            return _plain(start_response, 405, "this server answers MCP by POST only (stateless, JSON answers); it "
                          "offers no event stream and keeps no session", [("Allow", "POST")])
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return _plain(start_response, 400, "Content-Length is not a number")
        if length > self.max_body:
            return _plain(start_response, 413, f"a request body may be at most {self.max_body} bytes")
        body = environ["wsgi.input"].read(length) if length > 0 else b""
        headers = [(key[5:].replace("_", "-").lower().encode("latin-1"), value.encode("latin-1"))
                   for key, value in environ.items() if key.startswith("HTTP_")]
        for key, name in (("CONTENT_TYPE", b"content-type"), ("CONTENT_LENGTH", b"content-length")):
            if environ.get(key):
                headers.append((name, environ[key].encode("latin-1")))
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": environ["REQUEST_METHOD"],
                 "scheme": environ.get("wsgi.url_scheme", "http"), "path": path, "raw_path": path.encode("latin-1"),
                 "query_string": (environ.get("QUERY_STRING") or "").encode("latin-1"), "root_path": "",
                 "headers": headers, "client": (environ.get("REMOTE_ADDR") or "", 0),
                 "server": (environ.get("SERVER_NAME") or "", int(environ.get("SERVER_PORT") or 0))}
        done: concurrent.futures.Future = concurrent.futures.Future()

        async def run() -> None:
            started: dict = {}
            parts: list[bytes] = []
            given = False

            async def receive() -> dict:
                nonlocal given
                if not given:
                    given = True
                    return {"type": "http.request", "body": body, "more_body": False}
                await asyncio.Event().wait()  # the client stays until the answer is sent
                return {"type": "http.disconnect"}

            async def send(message: MutableMapping[str, Any]) -> None:
                if message["type"] == "http.response.start":
                    started.update(message)
                elif message["type"] == "http.response.body":
                    parts.append(message.get("body", b""))
                    if not message.get("more_body") and not done.done():
                        done.set_result((started, b"".join(parts)))

            try:
                await self.asgi(scope, receive, send)
            except Exception as error:  # answered as a 500 below, logged here
                log.exception("the MCP app failed on a request")
                if not done.done():
                    done.set_exception(error)

        asyncio.run_coroutine_threadsafe(run(), self._start())
        try:
            started, content = done.result(self.timeout)
        except concurrent.futures.TimeoutError:
            return _plain(start_response, 504, f"no answer within {self.timeout:g} s")
        except Exception:  # noqa: BLE001 - logged above
            return _plain(start_response, 500, "the MCP server failed on this request; the error was logged")
        status = int(started.get("status", 500))
        answered = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in started.get("headers", [])]
        if content and not any(k.lower() == "content-type" for k, _v in answered):
            # the mcp package answers some refusals (a Content-Type other than JSON) with bare text and no type
            answered.append(("Content-Type", "text/plain; charset=utf-8"))
        start_response(f"{status} {HTTPStatus(status).phrase}", answered)
        return [content]


def _plain(start_response: Callable, status: int, text: str,
           headers: list[tuple[str, str]] | None = None) -> list[bytes]:
    body = text.encode("utf-8")
    start_response(f"{status} {HTTPStatus(status).phrase}", [("Content-Type", "text/plain; charset=utf-8"),
                                                             ("Content-Length", str(len(body))), *(headers or [])])
    return [body]


def mount(app: Any, path: str = "/mcp") -> Mount:
    """Answer MCP's streamable HTTP at ``path`` of the Flask app ``app`` (made by :func:`api.create_app`), over the
    app's own releases and query pools: just under the app's metrics layer (so /mcp is counted, timed and logged
    like every route), else its outermost WSGI layer. Returns the layer."""
    # imported here, not at the top: the stdio door (osteokg mcp) never imports the Flask side
    from api.metrics import EXTENSION as METRICS
    from api.metrics import Metrics

    server, base_url = create_server(AppDoor(app)), str(app.config.get("BASE_URL") or "")
    metrics = app.extensions.get(METRICS)
    if isinstance(metrics, Metrics):  # below a trusted proxy's ProxyFix, when there is one (api.create_app)
        return cast(Mount, metrics.mount(path, lambda inner: Mount(inner, server, path, base_url)))
    outer = app.wsgi_app
    layer = Mount(outer, server, path, base_url)
    app.wsgi_app = layer
    return layer
