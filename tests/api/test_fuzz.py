"""Fuzzing from the OpenAPI document: schemathesis over every operation of ``/openapi.json``, in the test command.

The app is the one ``osteokg serve`` runs (``create_app`` over the session's build, with ``/mcp`` mounted as
``api/wsgi.py`` mounts it), called in process through WSGI (``schemathesis.openapi.from_wsgi``). Every operation
of the document gets positive cases (valid by the document: they must not be refused with a 400) and negative
cases (invalid by it: they must be refused with a 4xx), from its examples, schemathesis' coverage phase and
Hypothesis' generation. Every answer is checked: no 5xx, a documented status, a documented content type, a body
that matches the documented schema. The CDS Hooks calls carry a bearer token signed by a trusted test client
(tests/api/cds/keys.py), so the fuzzer reaches the services past the token check.

Repeatable: Hypothesis runs derandomized (the same cases every run, CI included) and keeps no database.
``OSTEOKG_FUZZ_EXAMPLES`` (default below) sets the generated cases per operation; the release-time run raises it
(docs/fuzzing.md). The case count of a run is checked (at least :data:`MIN_CASES`) by the test after the fuzzing.
"""
from __future__ import annotations

import json
import os

import pytest
import schemathesis
from schemathesis.specs.openapi.checks import positive_data_acceptance

from api.openapi import document
from tests.api.cds.keys import BASE_URL, make_keys

#: generated cases per operation and mode (Hypothesis' max_examples) in the normal test command
EXAMPLES = int(os.environ.get("OSTEOKG_FUZZ_EXAMPLES", "25"))
#: the fewest cases a run may make in all (examples, coverage and generated, every operation)
MIN_CASES = 1000
SEED = 12  # issue 12: the one seed of the CI run (derandomized, so the cases are the same every run)
CASES: dict[str, int] = {}


@schemathesis.serializer("application/sparql-query")
def _sparql_query(ctx, value) -> bytes:
    """POST /sparql's body as the query's own text (UTF-8); a generated value that is not a string as its JSON."""
    return (value if isinstance(value, str) else json.dumps(value)).encode("utf-8")


@pytest.fixture(scope="module")
def fuzz_app(build_dir, tmp_path_factory):
    from api import create_app
    from api.mcp_server import mount

    keys = make_keys()
    folder = tmp_path_factory.mktemp("fuzz")
    app = create_app({"TESTING": True, "BUILD_DIR": str(build_dir), "BASE_URL": BASE_URL,
                      "DATA_DIR": str(folder / "data"), "CDS_ISSUERS": str(keys.issuers_file(folder)),
                      "CDS_OWNER_TOKEN": "fuzz-owner-token"})
    layer = mount(app)
    app.extensions["fuzz_keys"] = keys
    yield app
    layer.close()


#: the document the app serves at /openapi.json (tests/api/test_openapi.py checks they are the same), read here
#: without an app so that pytest collects one test per operation; each case is then called on ``fuzz_app``
schema = schemathesis.openapi.from_dict(document(), config=schemathesis.Config.from_dict({
    "seed": SEED,
    "generation": {"mode": "all", "max-examples": EXAMPLES, "deterministic": True, "database": "none"},
}))


#: positive cases the document cannot tell from refused ones: a value of the right shape that this release does not
#: have (a relation, a category: the graph's own lists, /relations and /categories, name them), and a query that is
#: not SPARQL (its grammar is no JSON Schema). A 400 naming one of these is the API right; any other 400 of a
#: positive case is a mismatch between the document and the API.
DATASET = {"default-graph-uri", "named-graph-uri"}
RELEASE_DEPENDENT = (("predicate", "is not a relation of osteokg"), ("category", "is not a category"))


def positive_data_accepted(ctx, response, case) -> None:
    """schemathesis' positive_data_acceptance, except for the refusals of :data:`RELEASE_DEPENDENT` and the SPARQL
    grammar: a case valid by the document must not be refused with a 400."""
    if case.meta is None or not case.meta.generation.mode.is_positive or response.status_code != 400:
        return
    try:
        body = json.loads(response.content)
    except ValueError:
        body = {}
    detail = str(body.get("detail", ""))
    if any(body.get("parameter") == name and said in detail for name, said in RELEASE_DEPENDENT):
        return
    if case.path == "/sparql" and detail.startswith("The query is not valid SPARQL"):
        return
    if case.path == "/sparql" and body.get("title") == "The dataset is fixed" and DATASET & set(case.query or {}):
        return  # the document admits no value for them (`not {}`); schemathesis sends one in its positive cases anyway
    raise AssertionError(f"a request valid by the document was refused with 400: {detail}")


@schema.parametrize()
def test_every_operation(case, fuzz_app):
    keys = fuzz_app.extensions["fuzz_keys"]
    if case.path.startswith("/cds-services/") and case.method == "POST":
        case.headers = {**(case.headers or {}), "Authorization": keys.bearer(BASE_URL.rstrip("/") + case.formatted_path)}
    CASES[case.operation.label] = CASES.get(case.operation.label, 0) + 1
    response = case.call(app=fuzz_app)
    if known_open(case, response):
        assert response.status_code == 400
        return
    case.validate_response(response, excluded_checks=[positive_data_acceptance],
                           additional_checks=[positive_data_accepted])


def known_open(case, response) -> bool:
    """The one finding not fixed yet (docs/fuzzing.md, "Open"): POST /mcp without a JSON Content-Type is refused by
    the mcp package with a 400 that has no Content-Type at all (its bare "Invalid Content-Type header"); the fix
    belongs in api/mcp_server.py's Mount. test_mcp_refusal_has_a_content_type names it until then."""
    return (case.path == "/mcp" and response.status_code == 400 and "Content-Type" not in response.headers
            and response.content == b"Invalid Content-Type header")


def test_enough_cases():
    if not CASES:
        pytest.skip("the fuzzing did not run in this session (deselected)")
    total = sum(CASES.values())
    print(f"fuzz: {total} cases over {len(CASES)} operations")
    assert total >= MIN_CASES, CASES


@pytest.mark.xfail(strict=True, reason="open: the mcp package's 400 for a Content-Type other than JSON has no "
                                       "Content-Type; api/mcp_server.py's Mount should give it one (docs/fuzzing.md)")
def test_mcp_refusal_has_a_content_type(fuzz_app) -> None:
    answer = fuzz_app.test_client().post("/mcp", data="{}", content_type="text/plain",
                                         headers={"Accept": "application/json"})
    assert answer.status_code == 400 and answer.headers.get("Content-Type")
