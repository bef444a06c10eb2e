"""The MCP door (api/mcp_server.py) with the mcp package's own clients: in process (its memory transport), over
stdio with a real `osteokg mcp` subprocess, over streamable HTTP with a real `osteokg mcp --http` on 127.0.0.1,
and at /mcp of the served app (api.wsgi under a real `osteokg serve` with two workers) beside the REST routes.
Every answer is the real graph's (the session's build), every wait is bounded, every process started is stopped."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import anyio
import pytest
from mcp import Client, StdioServerParameters

from api.mcp_server import Door, create_server
from kg import settings
from kg.cli import parser
from kg.service import Service, open_release
from tests.api.conftest import free_port, start_server, stop_server
from tests.conftest import ends_with_tests
from tests.local_server import LocalWSGIServer, serving

TOOLS = {"search", "get_entity", "list_edges", "walk_hierarchy", "lookup_code", "list_questions", "run_question",
         "sparql"}
BASE = "https://osteokg.example.org/"
WAIT = 60  # seconds any one client session may take


@pytest.fixture(scope="module")
def service(build_dir: Path) -> Service:
    return Service(open_release(build_dir))


@pytest.fixture(scope="module")
def server(service: Service):
    door = Door(service, BASE)
    yield create_server(door)
    door.close()


def run(main):
    """``anyio.run(main)`` in a thread of its own, bounded: the browser tests' session keeps an event loop running
    in the main thread (Playwright's sync API), where another cannot start."""
    found: dict = {}

    def target() -> None:
        try:
            found["value"] = anyio.run(main)
        except BaseException as error:  # noqa: BLE001 - re-raised in the test's thread
            found["error"] = error

    thread = threading.Thread(target=target, name="mcp-test-client", daemon=True)
    thread.start()
    thread.join(WAIT + 15)
    if thread.is_alive():
        raise AssertionError(f"the client session did not end within {WAIT + 15} s")
    if "error" in found:
        raise found["error"]
    return found["value"]


def session(server, steps):
    """Run ``steps(client)`` in one in-process client session (bounded) and return what it returns."""
    found = {}

    async def main() -> None:
        with anyio.fail_after(WAIT):
            async with Client(server) as client:
                found["value"] = await steps(client)

    run(main)
    return found["value"]


def call(server, name: str, arguments: dict | None = None):
    async def steps(client):
        return await client.call_tool(name, arguments or {})

    return session(server, steps)


def ok(result) -> dict:
    """A tool's structured answer, checked to be a success whose text rendering is not empty."""
    assert not result.is_error, result.content[0].text
    assert result.content and result.content[0].type == "text" and result.content[0].text.strip()
    assert isinstance(result.structured_content, dict)
    return result.structured_content


def error(result) -> str:
    assert result.is_error, result.structured_content
    return result.content[0].text


def link(curie: str) -> str:
    return f"{BASE}entities/{curie}"


def refuses_a_malformed_body(url: str) -> None:
    """A POST of broken JSON to the MCP endpoint at ``url`` is a 4xx, not an answer and not a 5xx."""
    request = urllib.request.Request(url, data=b"{", method="POST",
                                     headers={"Content-Type": "application/json",
                                              "Accept": "application/json, text/event-stream"})
    try:
        urllib.request.urlopen(request, timeout=10)
        raise AssertionError("a malformed JSON-RPC body was accepted")
    except urllib.error.HTTPError as refusal:
        assert 400 <= refusal.code < 500
        refusal.close()


# ---------------------------------------------------------------- the tools, in process


def test_list_tools(server):
    async def steps(client):
        return (await client.list_tools()).tools

    tools = {tool.name: tool for tool in session(server, steps)}
    assert set(tools) == TOOLS
    for tool in tools.values():
        assert tool.description and tool.input_schema["type"] == "object"
        assert tool.annotations is not None and tool.annotations.read_only_hint is True
    assert tools["list_edges"].input_schema["required"] == ["id"]
    assert tools["search"].input_schema["properties"]["lang"]["enum"] == ["en", "nl"]


def test_search_in_both_languages(server, service):
    dutch = ok(call(server, "search", {"q": "kaakbotnecrose", "lang": "nl"}))
    hit = dutch["hits"][0]
    assert hit["label"] == "kaakbotnecrose" and hit["match"]["type"] == "exact"
    assert hit["permalink"] == link(hit["id"])
    english = ok(call(server, "search", {"q": "jaw osteonecrosis", "lang": "en", "limit": 3}))
    assert hit["id"] in [h["id"] for h in english["hits"]] and len(english["hits"]) <= 3
    assert english["hits"][0]["label"] == service.release.label(english["hits"][0]["iri"], "en")


def test_get_entity_has_its_quotes_and_permalink(server):
    answer = ok(call(server, "get_entity", {"id": "OSTEOKG:0000108", "lang": "nl"}))
    assert answer["entity"]["label"] == "kaakbotnecrose" and answer["permalink"] == link("OSTEOKG:0000108")
    assert answer["evidence"], "the entity's asserted edges' quotes"
    for quote in answer["evidence"]:  # a text's quote links to the text's page; a definition's to the ontology
        source = quote["source"]
        assert quote["quote"] and source["permalink"] == (link(source["id"]) if source["id"].startswith("OSTEOKG:")
                                                          else source["iri"])
    assert any(q["source"]["permalink"].startswith(BASE) for q in answer["evidence"])
    parents = answer["entity"]["parents"]
    assert parents and all(p["permalink"] == link(p["id"]) for p in parents)
    # the entity's relations are its outgoing edges as list_edges gives them: one edge shape in both tools
    edges = ok(call(server, "list_edges", {"id": "OSTEOKG:0000108", "lang": "nl", "direction": "out", "limit": 500}))
    assert answer["entity"]["relations"] == edges["edges"] and edges["total"] == len(edges["edges"]) > 0
    assert all(q["strength"] is None or set(q["strength"]) == {"id", "label"} for q in answer["evidence"])


def test_list_edges_with_evidence_and_filters(server):
    answer = ok(call(server, "list_edges", {"id": "OSTEOKG:0000108", "direction": "in", "inferred": False}))
    assert answer["total"] == len(answer["edges"]) >= 1
    for edge in answer["edges"]:
        assert edge["direction"] == "in" and edge["inferred"] is False
        assert edge["subject"]["permalink"] == link(edge["subject"]["id"])
        assert all(e["quote"] and e["source"]["permalink"] for e in edge["evidence"])
    paged = ok(call(server, "list_edges", {"id": "OSTEOKG:0000106", "limit": 2, "offset": 1}))
    assert len(paged["edges"]) == 2 and paged["offset"] == 1 and paged["total"] > 3


def test_walk_hierarchy(server):
    parents = ok(call(server, "walk_hierarchy", {"id": "OSTEOKG:0000108", "walk": "parents"}))
    assert "OSTEOKG:0000106" in [p["id"] for p in parents["items"]]
    assert all("inferred" in p and p["permalink"] == link(p["id"]) for p in parents["items"])
    children = ok(call(server, "walk_hierarchy", {"id": "OSTEOKG:0000106", "walk": "descendants"}))
    assert "OSTEOKG:0000108" in [c["id"] for c in children["items"]]


def test_lookup_code_with_its_precision(server):
    answer = ok(call(server, "lookup_code", {"code": "ICD10WHO:M87"}))
    matches = {m["id"]: m["match"] for m in answer["mappings"]}
    assert matches["OSTEOKG:0000106"] == "exactMatch" and matches["OSTEOKG:0000108"] == "broadMatch"
    assert all(m["permalink"] == link(m["id"]) for m in answer["mappings"])


def test_questions_listed_and_run(server, service):
    listed = ok(call(server, "list_questions"))["questions"]
    assert {q["name"] for q in listed} == {q.name for q in service.competency_questions()}
    assert all(q["question"]["en"] and q["question"]["nl"] for q in listed)
    for question in listed:  # every example question runs, in both languages
        for lang in ("en", "nl"):
            answer = ok(call(server, "run_question", {"name": question["name"], "lang": lang}))
            assert answer["rows"] or answer["boolean"] is not None, question["name"]
            entities = {c["id"] for row in answer["rows"] for c in row if c and c["kind"] == "entity"}
            assert answer["permalinks"] == {id: link(id) for id in entities if id.startswith("OSTEOKG:")}


def test_which_osteoporosis_treatment_can_cause_jaw_osteonecrosis(server):
    """The issue's question, answered from the tools as an assistant would: search for the condition, read its
    incoming edges, keep the treatments of osteoporosis, and cite the quotes; and the example question agrees."""

    async def steps(client):
        hits = ok(await client.call_tool("search", {"q": "jaw osteonecrosis"}))["hits"]
        jaw = hits[0]["id"]
        edges = ok(await client.call_tool("list_edges", {"id": jaw, "direction": "in", "inferred": False}))["edges"]
        answers = []
        for edge in edges:
            out = ok(await client.call_tool("list_edges", {"id": edge["subject"]["id"], "direction": "out"}))["edges"]
            if any(t["predicate"]["label"] == "treats" and t["object"]["label"] == "osteoporosis" for t in out):
                answers.append(edge)
        example = ok(await client.call_tool("run_question", {"name": "jaw-risk-of-osteoporosis-treatment"}))
        return jaw, answers, example

    jaw, answers, example = session(server, steps)
    assert [a["subject"]["label"] for a in answers] == ["intravenous bisphosphonate"]
    evidence = answers[0]["evidence"]
    assert any("CBG" in e["quote"] and "kaakbotnecrose" in e["quote"].lower() for e in evidence)
    assert all(e["source"]["label"] and e["source"]["permalink"] for e in evidence)
    assert all(e["translation"] and e["translation"]["lang"] == "en" for e in evidence)  # Dutch quotes, rendered
    assert [[c["id"] for c in row] for row in example["rows"]] == [[answers[0]["subject"]["id"], jaw]]
    assert {q["quote"] for q in example["evidence"]} == {e["quote"] for e in evidence}
    assert "CBG" in call(server, "run_question", {"name": "jaw-risk-of-osteoporosis-treatment"}).content[0].text


# ---------------------------------------------------------------- SPARQL under the endpoint's policy


def test_sparql_select_and_ask(server):
    answer = ok(call(server, "sparql", {"query": "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
                                                 "SELECT ?s WHERE { ?s rdfs:label \"kaakbotnecrose\"@nl }"}))
    iri = answer["results"]["bindings"][0]["s"]["value"]
    assert iri.endswith("OSTEOKG_0000108") and answer["permalinks"] == {iri: link("OSTEOKG:0000108")}
    assert ok(call(server, "sparql", {"query": "ASK { ?s ?p ?o }"}))["boolean"] is True


@pytest.mark.parametrize("query, says", [
    ("SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }", "SERVICE is not offered"),
    ("INSERT DATA { <urn:a> <urn:b> <urn:c> }", "Updates are not offered"),
    ("DELETE WHERE { ?s ?p ?o }", "Updates are not offered"),
    ("SELECT * FROM <urn:x> WHERE { ?s ?p ?o }", "The dataset is fixed"),
    ("SELEC * {}", "not valid SPARQL"),
    ("   ", "give a SPARQL 1.1 query"),
])
def test_sparql_refusals_are_tool_errors(server, query, says):
    assert says in error(call(server, "sparql", {"query": query}))
    assert ok(call(server, "sparql", {"query": "ASK {}"}))["boolean"] is True  # the server lives on


#: a cross product that runs until its time limit (unless the cost guard refuses it first)
CROSS = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


@contextmanager
def own_door(service, monkeypatch, **settings_given: str):
    """An MCP server over a door of its own, made under ``settings_given`` (OSTEOKG_<name>); its pool stopped after."""
    for name, value in settings_given.items():
        monkeypatch.setenv(f"OSTEOKG_{name}", value)
    door = Door(service, BASE)
    try:
        yield create_server(door)
    finally:
        door.close()


def test_sparql_cost_guard(service, monkeypatch):
    """The door's pool is the endpoint's: a query that cannot finish is refused before it runs, as a tool error."""
    with own_door(service, monkeypatch, SPARQL_TIMEOUT="0.5") as server:
        message = error(call(server, "sparql", {"query": CROSS}))
        assert "Query would not finish" in message and "0.5 s a query may run" in message


def test_sparql_time_limit(service, monkeypatch):
    # no cost guard: the clock stops the runaway
    with own_door(service, monkeypatch, SPARQL_TIMEOUT="0.5", SPARQL_MAX_COST="0") as server:
        message = error(call(server, "sparql", {"query": CROSS}))
        assert "Query time limit exceeded" in message and "0.5 s" in message
        assert ok(call(server, "sparql", {"query": "ASK { ?s ?p ?o }"}))["boolean"] is True  # a fresh process


def test_sparql_row_cap(service, monkeypatch):
    with own_door(service, monkeypatch, SPARQL_MAX_ROWS="5") as server:
        message = error(call(server, "sparql", {"query": "SELECT * WHERE { ?s ?p ?o }"}))
        assert "5" in message and "rows" in message.lower()
        assert len(ok(call(server, "sparql", {"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 5"}))
                   ["results"]["bindings"]) == 5


def test_the_door_and_the_endpoint_make_their_pools_alike(build_dir, monkeypatch):
    """Both build their pool's settings with PoolSettings.for_release from the same SPARQL_* settings (the door over
    stdio asks for one process; the endpoint for SPARQL_WORKERS)."""
    import dataclasses

    from api import create_app, sparql
    from api.graph import releases_of

    monkeypatch.setenv("OSTEOKG_SPARQL_TIMEOUT", "4")
    monkeypatch.setenv("OSTEOKG_SPARQL_MAX_ROWS", "77")
    monkeypatch.setenv("OSTEOKG_SPARQL_MAX_MEMORY", str(512 << 20))
    app = create_app({"TESTING": True, "BUILD_DIR": str(build_dir), "BASE_URL": BASE})
    served = releases_of(app).current
    door = Door(served.service, BASE)
    try:
        endpoint = served.resources[sparql.EXTENSION].settings
        ours = door.pool().settings
        assert dataclasses.replace(ours, workers=endpoint.workers) == endpoint
        assert (ours.workers, ours.timeout, ours.max_rows, ours.memory) == (1, 4.0, 77, 512 << 20)
        assert ours.base_iri == f"{BASE}sparql" and ours.store_dir == str(served.release.directory / "oxigraph")
    finally:
        door.close()
        sparql.shutdown(app)
        releases_of(app).close()


# ---------------------------------------------------------------- bad arguments


@pytest.mark.parametrize("name, arguments, says", [
    ("get_entity", {"id": "nonsense"}, "is not a CURIE"),
    ("get_entity", {"id": "OSTEOKG:9999999"}, "no entity OSTEOKG:9999999"),
    ("get_entity", {"id": "FOO:1"}, "unknown prefix"),
    ("get_entity", {}, "id"),
    ("list_edges", {"id": "OSTEOKG:0000108", "direction": "up"}, "'out', 'in' or 'both'"),
    ("list_edges", {"id": "OSTEOKG:0000108", "predicate": "OSTEOKG:0000106"}, "is not a relation"),
    ("list_edges", {"id": "OSTEOKG:0000108", "limit": -1}, "must not be negative"),
    ("walk_hierarchy", {"id": "OSTEOKG:0000108", "walk": "siblings"}, "parents"),
    ("search", {"q": " "}, "give the words"),
    ("search", {"q": "bot", "lang": "fr"}, "'en' or 'nl'"),
    ("search", {"q": "bot", "category": "OSTEOKG:0000106"}, "is not a category"),
    ("lookup_code", {"code": "ICD10WHO:Z99.9"}, "no osteokg entity maps to"),
    ("run_question", {"name": "no-such-question"}, "no competency question"),
])
def test_bad_arguments_are_clear_tool_errors(server, name, arguments, says):
    message = error(call(server, name, arguments))
    assert says in message and "Traceback" not in message


def test_unknown_tool(server):
    assert "Unknown tool: drop_graph" in error(call(server, "drop_graph", {}))


# ---------------------------------------------------------------- resources


def test_resources_release_files_and_model(server, service, build_dir):
    async def steps(client):
        listed = (await client.list_resources()).resources
        manifest = (await client.read_resource("osteokg://release/manifest.json")).contents[0]
        model = (await client.read_resource("osteokg://docs/model.md")).contents[0]
        return listed, manifest, model

    listed, manifest, model = session(server, steps)
    uris = {str(r.uri) for r in listed}
    assert {"osteokg://release/manifest.json", "osteokg://release/osteokg.ttl", "osteokg://release/osteokg.sssom.tsv",
            "osteokg://docs/model.md"} <= uris
    assert json.loads(manifest.text)["graph_sha256"] == service.release.manifest["graph_sha256"]
    assert manifest.mime_type == "application/json"
    assert model.text.startswith("#") and model.mime_type == "text/markdown"


# ---------------------------------------------------------------- real processes: stdio and streamable HTTP


def _env(build_dir: Path) -> dict[str, str]:
    return {"PYTHONPATH": os.pathsep.join(p for p in sys.path if p), "OSTEOKG_BUILD_DIR": str(build_dir),
            "OSTEOKG_BASE_URL": BASE}


def test_stdio_subprocess(build_dir):
    """`osteokg mcp` in a subprocess, spoken to over its stdin and stdout by the package's stdio client."""
    params = StdioServerParameters(command=sys.executable, args=["-m", "kg.cli", "mcp", "--out", str(build_dir)],
                                   env=_env(build_dir))

    async def main():
        with anyio.fail_after(WAIT):
            async with Client(params) as client:
                tools = {t.name for t in (await client.list_tools()).tools}
                jaw = ok(await client.call_tool("run_question", {"name": "jaw-risk-of-osteoporosis-treatment"}))
                refused = await client.call_tool("sparql", {"query": "INSERT DATA { <urn:a> <urn:b> <urn:c> }"})
                return tools, jaw, refused

    tools, jaw, refused = run(main)
    assert tools == TOOLS
    assert jaw["evidence"] and jaw["permalinks"]["OSTEOKG:0000108"] == link("OSTEOKG:0000108")
    assert "Updates are not offered" in error(refused)


def test_the_http_port_is_the_mcp_port_setting(monkeypatch):
    """`osteokg mcp --http` listens on OSTEOKG_MCP_PORT unless --port is given (the setting's default: 8001)."""
    monkeypatch.delenv("OSTEOKG_MCP_PORT", raising=False)
    assert parser().parse_args(["mcp", "--http"]).port == settings.default("MCP_PORT") == 8001
    monkeypatch.setenv("OSTEOKG_MCP_PORT", "18123")
    assert parser().parse_args(["mcp", "--http"]).port == 18123
    assert parser().parse_args(["mcp", "--http", "--port", "9"]).port == 9


def test_streamable_http_subprocess(build_dir):
    """`osteokg mcp --http` on a free loopback port (given as OSTEOKG_MCP_PORT, no --port), spoken to by the
    package's streamable-HTTP client."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "kg.cli", "mcp", "--out", str(build_dir), "--http",
                                "--host", "127.0.0.1"],
                               env={**os.environ, **_env(build_dir), "OSTEOKG_MCP_PORT": str(port)},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               preexec_fn=ends_with_tests)  # noqa: PLW1509 - the prctl only, before exec
    try:
        url = f"http://127.0.0.1:{port}/mcp"

        async def main():
            deadline = time.monotonic() + WAIT
            while True:  # until the listener is up (bounded)
                try:
                    with anyio.fail_after(10):
                        async with Client(url) as client:
                            code = ok(await client.call_tool("lookup_code", {"code": "ICD10WHO:M87"}))
                            refused = await client.call_tool("sparql", {"query": "SELECT * { SERVICE <urn:x> {} }"})
                            return code, refused
                except Exception:
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise
                    await anyio.sleep(0.3)

        code, refused = run(main)
        assert {m["id"] for m in code["mappings"]} >= {"OSTEOKG:0000106", "OSTEOKG:0000108"}
        assert "SERVICE is not offered" in error(refused)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def test_mounted_on_the_api_wsgi_server(build_dir):
    """/mcp on the API's own WSGI app (api.mcp_server.mount), served with the REST routes by one real HTTP server
    on 127.0.0.1: the package's streamable-HTTP client calls the tools, bound to the app's release, with SPARQL
    on the app's own query pool; the API answers beside it."""
    import urllib.request

    from api import create_app, sparql
    from api.graph import releases_of
    from api.mcp_server import mount

    app = create_app({"TESTING": True, "BUILD_DIR": str(build_dir), "BASE_URL": BASE})
    layer = mount(app)
    try:
        with serving(LocalWSGIServer(app)) as httpd:
            base = f"http://127.0.0.1:{httpd.port}"
            with urllib.request.urlopen(f"{base}/health", timeout=10) as response:
                assert response.status == 200

            async def main():
                with anyio.fail_after(WAIT):
                    async with Client(f"{base}/mcp") as client:
                        entity = ok(await client.call_tool("get_entity", {"id": "OSTEOKG:0000108"}))
                        asked = ok(await client.call_tool("sparql", {"query": "ASK { ?s ?p ?o }"}))
                        refused = await client.call_tool("sparql", {"query": "DELETE WHERE { ?s ?p ?o }"})
                        manifest = (await client.read_resource("osteokg://release/manifest.json")).contents[0]
                        return entity, asked, refused, manifest

            entity, asked, refused, manifest = run(main)
            assert entity["permalink"] == link("OSTEOKG:0000108") and entity["evidence"]
            assert asked["boolean"] is True and "Updates are not offered" in error(refused)
            assert releases_of(app).current.resources[sparql.EXTENSION].started  # the endpoint's own pool answered
            assert json.loads(manifest.text)["release"] == releases_of(app).current.release.id
            refuses_a_malformed_body(f"{base}/mcp")
    finally:
        layer.close()
        sparql.shutdown(app)


LIST_TOOLS = b'{"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}'
MCP_HEADERS = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}


@pytest.fixture(scope="module")
def mounted(build_dir):
    """The API's app with /mcp mounted, for its test client (the WSGI layers in process)."""
    from api import create_app, sparql
    from api.mcp_server import mount

    app = create_app({"TESTING": True, "BUILD_DIR": str(build_dir), "BASE_URL": BASE})
    layer = mount(app)
    yield app
    layer.close()
    sparql.shutdown(app)


@pytest.mark.parametrize("host, status", [
    ("127.0.0.1:8000", 200), ("localhost", 200), ("[::1]:8000", 200),  # loopback, with or without a port
    ("osteokg.example.org", 200), ("osteokg.example.org:443", 200),  # OSTEOKG_BASE_URL's host
    ("10.0.0.5:8000", 421), ("evil.example", 421),  # DNS rebinding: any other name
])
def test_mounted_checks_the_host(mounted, host, status):
    answer = mounted.test_client().post("/mcp", data=LIST_TOOLS, headers={**MCP_HEADERS, "Host": host})
    assert answer.status_code == status
    if status == 200:
        assert {t["name"] for t in answer.get_json()["result"]["tools"]} == TOOLS


@pytest.mark.parametrize("origin, status", [("https://osteokg.example.org", 200), ("http://localhost:5173", 200),
                                            ("https://evil.example", 403)])
def test_mounted_checks_the_origin(mounted, origin, status):
    answer = mounted.test_client().post("/mcp", data=LIST_TOOLS,
                                        headers={**MCP_HEADERS, "Host": "127.0.0.1:8000", "Origin": origin})
    assert answer.status_code == status


@pytest.mark.parametrize("method", ["GET", "DELETE", "PUT", "HEAD"])
def test_mounted_answers_post_only(mounted, method):
    """A GET asks for an event stream a collected answer cannot give: 405 at once, not a thread held until the
    time-out; with no session there is nothing to DELETE."""
    started = time.monotonic()
    answer = mounted.test_client().open("/mcp", method=method, headers={"Accept": "text/event-stream"})
    assert answer.status_code == 405 and answer.headers["Allow"] == "POST"
    assert time.monotonic() - started < 5


@pytest.mark.parametrize("headers, data, status", [
    ({"Content-Length": "12x"}, b"", 400),
    ({}, b"{" * ((1 << 20) + 1), 413),
    ({"Content-Type": "text/plain"}, LIST_TOOLS, 400),  # the package's: "Invalid Content-Type header"
    ({"Accept": "text/html"}, LIST_TOOLS, 406),
])
def test_mounted_refuses_bad_requests_with_a_4xx(mounted, headers, data, status):
    answer = mounted.test_client().post("/mcp", data=data, headers={**MCP_HEADERS, "Host": "127.0.0.1", **headers})
    assert answer.status_code == status and b"Traceback" not in answer.data


def test_mounted_leaves_other_paths_to_the_app(mounted):
    client = mounted.test_client()
    assert client.get("/health").status_code == 200
    assert client.get("/mcpx").status_code == 404  # only /mcp and below


def test_the_served_app_answers_mcp_and_rest(build_dir):
    """`osteokg serve` (api.wsgi under granian, two workers) answers MCP's streamable HTTP at /mcp on its own port
    beside the REST routes: four clients at once call tools on whichever worker takes each, the REST route gives
    the same entity, and a malformed MCP request is a 4xx, not a crash."""
    process, base = start_server(build_dir, workers=2)
    try:
        _mcp_and_rest(base)
    finally:
        stop_server(process)


def _mcp_and_rest(server: str) -> None:
    import urllib.error
    import urllib.request

    url = f"{server}/mcp"

    async def one(results: list) -> None:
        async with Client(url) as client:
            for _ in range(3):
                results.append(ok(await client.call_tool("lookup_code", {"code": "ICD10WHO:M87"})))
                results.append(ok(await client.call_tool("sparql", {"query": "ASK { ?s ?p ?o }"})))
                results.append(ok(await client.call_tool("get_entity", {"id": "OSTEOKG:0000108"})))

    async def main() -> tuple[set, list]:
        with anyio.fail_after(WAIT):
            async with Client(url) as client:
                tools = {t.name for t in (await client.list_tools()).tools}
            results: list = []
            async with anyio.create_task_group() as group:
                for _ in range(4):
                    group.start_soon(one, results)
            return tools, results

    tools, results = run(main)
    assert tools == TOOLS and len(results) == 36
    codes = [r for r in results if "mappings" in r]
    asks = [r for r in results if "boolean" in r]
    entities = [r for r in results if "entity" in r]
    assert len(codes) == len(asks) == len(entities) == 12
    assert all({m["id"] for m in r["mappings"]} >= {"OSTEOKG:0000106", "OSTEOKG:0000108"} for r in codes)
    assert all(r["boolean"] is True for r in asks)
    assert all(r["permalink"].endswith("/entities/OSTEOKG:0000108") and r["evidence"] for r in entities)

    request = urllib.request.Request(f"{server}/entities/OSTEOKG:0000108?lang=en",
                                     headers={"Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200 and response.headers["Content-Type"].startswith("application/json")
        rest = json.loads(response.read())
    assert rest["id"] == "OSTEOKG:0000108" and rest["label"] == entities[0]["entity"]["label"]

    stream = urllib.request.Request(url, headers={"Accept": "text/event-stream"})  # no event stream: 405 at once
    try:
        urllib.request.urlopen(stream, timeout=10)
        raise AssertionError("GET /mcp was answered")
    except urllib.error.HTTPError as refusal:
        assert refusal.code == 405 and refusal.headers["Allow"] == "POST"
        refusal.close()

    refuses_a_malformed_body(url)


def test_mcp_refuses_a_missing_build(tmp_path):
    """`osteokg mcp` over a folder with no build: one message naming it and exit 2, before any client connects."""
    done = subprocess.run([sys.executable, "-m", "kg.cli", "mcp", "--out", str(tmp_path / "nothing")],
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)},
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=WAIT, check=False)
    assert done.returncode == 2, done.stderr
    assert str(tmp_path / "nothing") in done.stderr and "Traceback" not in done.stderr


def test_mounted_sparql_is_held_to_the_clients_limits_behind_a_trusted_proxy(build_dir, tmp_path):
    """Behind one trusted proxy, /mcp (mounted under the metrics layer) sees the forwarded client, as every route
    does (ProxyFix is outermost), and its SPARQL tool counts against that client's limits with its /sparql
    queries: a client past its time budget is refused (a tool error naming the 429), another client is answered,
    and the access log names each forwarded client, not the proxy."""
    from api import create_app, sparql
    from api.mcp_server import mount

    log = tmp_path / "access.log"
    app = create_app({"TESTING": True, "BUILD_DIR": str(build_dir), "BASE_URL": BASE, "TRUSTED_PROXIES": 1,
                      "DATA_DIR": str(tmp_path / "data"), "ACCESS_LOG": str(log),
                      "SPARQL_CLIENT_SECONDS": 60.0, "SPARQL_CLIENT_QUERIES": 2})
    layer = mount(app)
    call = json.dumps({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
                       "params": {"name": "sparql", "arguments": {"query": "ASK { ?s ?p ?o }"}}}).encode()

    def ask(forwarded: str) -> dict:
        answer = app.test_client().post("/mcp", data=call, environ_base={"REMOTE_ADDR": "127.0.0.1"},
                                        headers={**MCP_HEADERS, "Host": "127.0.0.1", "X-Forwarded-For": forwarded})
        assert answer.status_code == 200, answer.data[:300]
        return answer.get_json()["result"]

    try:
        app.extensions[sparql.LIMITS].charge("10.9.8.7", 10_000.0)  # far past its budget (60 s a minute)
        refused = ask("10.9.8.7")
        assert refused["isError"] and "Too Many Requests" in refused["content"][0]["text"], refused
        answered = ask("10.9.8.6")
        assert not answered.get("isError") and answered["structuredContent"]["boolean"] is True, answered
        endpoint = app.test_client().get("/sparql", query_string={"query": "ASK {}"}, environ_base={
            "REMOTE_ADDR": "127.0.0.1"}, headers={"X-Forwarded-For": "10.9.8.7", "Accept": "application/json"})
        assert endpoint.status_code == 429  # one budget for both doors
        deadline = time.monotonic() + 10
        clients: list[str] = []
        while time.monotonic() < deadline:
            lines = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines() if line.strip()]
            clients = [line["client"] for line in lines if line["path"] == "/mcp"]
            if len(clients) == 2:
                break
            time.sleep(0.05)
        assert clients == ["10.9.8.7", "10.9.8.6"]
    finally:
        layer.close()
        sparql.shutdown(app)
