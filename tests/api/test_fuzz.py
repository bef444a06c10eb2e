"""Fuzzing from the OpenAPI document: schemathesis over every operation of ``/openapi.json``, in the test command.

The app is the one ``osteokg serve`` runs (``create_app`` over the session's build, with ``/mcp`` mounted as
``api/wsgi.py`` mounts it), called in process through WSGI. The cases come from :func:`api.openapi.document`, the
document the app serves (``schemathesis.openapi.from_dict``, so that pytest collects one test per operation:
schemathesis' lazy ``from_fixture`` route sets ``Function._nodeid``, which pytest 9.2 no longer has). Every
operation gets positive cases (valid by the document: they must not be refused with a 400, :func:`positive_data_accepted`)
and negative cases (invalid by it: they must be refused with a 4xx), from its examples, schemathesis' coverage phase
and Hypothesis' generation. Every answer is checked: no 5xx, a documented status, a documented content type, a
body that matches the documented schema. The CDS Hooks calls carry a bearer token signed by a trusted test client
(tests/api/cds/keys.py) and the owner's view its token, so the fuzzer reaches the services past the token checks;
SPARQL queries are real ones (the ``sparql-query`` format's strategy below).

Repeatable: Hypothesis runs derandomized (the same cases every run, CI included) and keeps no database.
``FUZZ_EXAMPLES`` (default below; a test knob, not an ``OSTEOKG_*`` setting of the app) sets the generated cases
per operation; the release-time run raises it
(docs/fuzzing.md). :func:`test_enough_cases`, after the fuzzing, checks the run's size (at least :data:`MIN_CASES`)
and that every operation answered some case with a 2xx or 3xx (the fuzzer got past its refusals).
"""
from __future__ import annotations

import collections
import json
import os
from importlib import resources

import pytest
import schemathesis
from schemathesis.specs.openapi.checks import positive_data_acceptance

from api.openapi import document
from tests.api.cds.keys import BASE_URL, make_keys

#: generated cases per operation and mode (Hypothesis' max_examples) in the normal test command
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
#: the fewest cases a run may make in all (examples, coverage and generated, every operation)
MIN_CASES = 1000
OWNER = "fuzz-owner-token"  # OSTEOKG_CDS_OWNER_TOKEN of the fuzzed app
SEED = 12  # issue 12: the one seed of the CI run (derandomized, so the cases are the same every run)
CASES: dict[str, int] = {}
#: the statuses each operation answered (test_enough_cases prints them; each must have a 2xx or 3xx among them)
STATUSES: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)


def _queries():
    """Real SPARQL 1.1 queries for the ``sparql-query`` format: the competency questions, and small SELECT, ASK,
    CONSTRUCT and DESCRIBE queries with a generated limit or IRI (every one the policy lets run)."""
    from hypothesis import strategies as st

    from kg.service.values import OSTEOKG_NS

    folder = resources.files("kg") / "queries" / "competency"
    questions = sorted(f.read_text(encoding="utf-8") for f in folder.iterdir() if f.name.endswith(".rq"))
    digits = st.integers(0, 9999999).map(lambda n: f"<{OSTEOKG_NS}OSTEOKG_{n:07d}>")
    return st.one_of(
        st.sampled_from(questions), st.just("ASK {}"),
        st.integers(0, 200).map(lambda n: f"SELECT ?s ?p ?o WHERE {{ ?s ?p ?o }} LIMIT {n}"),
        digits.map(lambda iri: f"DESCRIBE {iri}"),
        digits.map(lambda iri: f"CONSTRUCT {{ {iri} ?p ?o }} WHERE {{ {iri} ?p ?o }}"),
        st.text(alphabet="abcdefghijklmnopqrstuvwxyzàéü0123456789 ", max_size=30).map(
            lambda words: f'SELECT ?s WHERE {{ ?s <http://www.w3.org/2000/01/rdf-schema#label> ?l . '
                          f'FILTER(CONTAINS(LCASE(STR(?l)), {json.dumps(words)})) }} LIMIT 10'))


schemathesis.openapi.format("sparql-query", _queries())


@schemathesis.serializer("application/sparql-query")
def _sparql_query(ctx, value) -> bytes:
    """POST /sparql's body as the query's own text (UTF-8); a generated value that is not a string as its JSON."""
    return (value if isinstance(value, str) else json.dumps(value)).encode("utf-8")


@pytest.fixture(scope="module")
def fuzz_app(build_dir, tmp_path_factory):
    from api import create_app, sparql
    from api.mcp_server import mount

    keys = make_keys()
    folder = tmp_path_factory.mktemp("fuzz")
    app = create_app({"TESTING": True, "BUILD_DIR": str(build_dir), "BASE_URL": BASE_URL,
                      "DATA_DIR": str(folder / "data"), "CDS_ISSUERS": str(keys.issuers_file(folder)),
                      "CDS_OWNER_TOKEN": OWNER})
    layer = mount(app)
    app.extensions["fuzz_keys"] = keys
    yield app
    layer.close()
    sparql.shutdown(app)  # the query processes the positive SPARQL cases started


#: the document the app serves at /openapi.json (tests/api/test_openapi.py checks they are the same), read here
#: without an app so that pytest collects one test per operation; each case is then called on ``fuzz_app``
schema = schemathesis.openapi.from_dict(document(), config=schemathesis.Config.from_dict({
    "seed": SEED,
    "generation": {"mode": "all", "max-examples": EXAMPLES, "deterministic": True, "database": "none"},
}))


#: positive cases the document cannot tell from refused ones: a value of the right shape that this release does not
#: have (a relation, a category: the graph's own lists, /relations and /categories, name them). A 400 naming one of
#: these is the API right; any other 400 of a positive case is a mismatch between the document and the API (a
#: positive SPARQL query is a real one, from the ``sparql-query`` format above, so it must not be refused).
DATASET = {"default-graph-uri", "named-graph-uri"}
#: a CDS Hooks request's refusals the document states in words, not as a schema (api/cds.py's _REQUEST): the hook
#: that is not the service's own, the order hooks' context, FHIR R4 resources, and feedback on cards this door
#: did not issue (state: the cards a call issued before)
CDS_BEYOND_THE_SCHEMA = ("this service answers the hook", "context.draftOrders is required",
                         "context.selections is required", "FHIR", "was issued by", "is not a suggestion of",
                         "not one of the card's overrideReasons")
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
    if case.path.startswith("/cds-services/") and any(said in detail for said in CDS_BEYOND_THE_SCHEMA):
        return
    if case.path == "/sparql" and "asks for another format than the other" in detail:
        return  # format, output and results are one parameter: the document says in words that together they agree
    if case.path == "/sparql" and body.get("title") == "The dataset is fixed" and DATASET & set(case.query or {}):
        return  # the document admits no value for them (`not {}`); schemathesis sends one in its positive cases anyway
    raise AssertionError(f"a request valid by the document was refused with 400: {detail}")


@schema.parametrize()
def test_every_operation(case, fuzz_app):
    keys = fuzz_app.extensions["fuzz_keys"]
    if case.path.startswith("/cds-services/") and case.method == "POST" and "Authorization" in (case.headers or {}):
        # a generated bearer token is replaced by a signed one; a case without one (missing-header checks) keeps none
        case.headers["Authorization"] = keys.bearer(BASE_URL.rstrip("/") + case.formatted_path)
    if case.path == "/cds-services/{service_id}/feedback" and case.method == "GET" and "Authorization" in (case.headers or {}):
        case.headers["Authorization"] = f"Bearer {OWNER}"  # the owner's view, past its token
    if case.meta is not None and case.meta.generation.mode.is_positive and "release" in (case.query or {}):
        # a generated release id or version names no kept release (a 404 the document states): the served one's
        case.query["release"] = fuzz_app.extensions["osteokg"].id
    CASES[case.operation.label] = CASES.get(case.operation.label, 0) + 1
    case.operation.schema.app = fuzz_app  # the case, and a request a check sends again (ignored_auth), go here
    response = case.call(app=fuzz_app)
    STATUSES[case.operation.label][response.status_code] += 1
    case.validate_response(response, excluded_checks=[positive_data_acceptance],
                           additional_checks=[positive_data_accepted], transport_kwargs={"app": fuzz_app})


def test_enough_cases():
    operations = {f"{method.upper()} {path}" for path, item in document()["paths"].items() for method in item}
    if set(CASES) != operations:
        pytest.skip(f"only part of the fuzzing ran ({len(CASES)} of {len(operations)} operations)")
    total = sum(CASES.values())
    print(f"fuzz: {total} cases over {len(CASES)} operations")
    for label, statuses in sorted(STATUSES.items()):
        print(f"  {label}: {dict(sorted(statuses.items()))}")
    assert total >= MIN_CASES, CASES
    unreached = sorted(label for label, statuses in STATUSES.items() if not any(200 <= c < 400 for c in statuses))
    assert not unreached, f"operations no case got past the refusals of: {unreached}"


def test_mcp_refusal_has_a_content_type(fuzz_app) -> None:
    """The mcp package refuses a Content-Type other than JSON with bare text and no type; the Mount gives it one."""
    answer = fuzz_app.test_client().post("/mcp", data="{}", content_type="text/plain",
                                         headers={"Accept": "application/json"})
    assert answer.status_code == 400 and answer.headers.get("Content-Type")
