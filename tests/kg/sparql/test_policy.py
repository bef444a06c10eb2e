"""The query policy: what is refused before a query reaches the engine."""
from __future__ import annotations

import pytest

from kg.sparql import policy
from kg.sparql.policy import MAX_NESTING, Refusal, check, nesting


@pytest.mark.parametrize("text, depth", [
    ("ASK {}", 1),
    ("SELECT * WHERE { { ?s ?p ?o } UNION { ?s ?p ?o FILTER((1 + 2) > 0) } }", 4),
    ('ASK { ?s ?p "{{{ (((" }', 1),
    ("ASK { ?s ?p '''{{{\n{{{''' }", 1),
    ("ASK { ?s ?p ?o } # {{{{{{{{\n", 1),
    ("ASK { ?s ?p <urn:x:((((> }", 1),
    ("ASK { FILTER(?a < ?b && ?b > (1)) }", 3),  # < and > as operators are not an IRI
    ('ASK { ?s ?p "a \\" {{{" }', 1),
    ("ASK { [ ?p [ ?q ?o ] ] ?r ?s }", 3),
])
def test_nesting_counts_brackets_outside_strings_iris_and_comments(text: str, depth: int) -> None:
    assert nesting(text) == depth


def test_nesting_limit() -> None:
    assert check("SELECT * " + "{" * MAX_NESTING + "}" * MAX_NESTING)
    with pytest.raises(Refusal) as refused:
        check("SELECT * " + "{" * 5000 + "}" * 5000)
    assert refused.value.status == 400 and refused.value.extra == {"max_nesting": MAX_NESTING}
    assert "5000 levels" in refused.value.detail and f"at most {MAX_NESTING}" in refused.value.detail


def test_queries_up_to_the_limit_pass_the_service_check_too() -> None:
    """A text that mentions "service" or "from" is also parsed by rdflib, whose grammar recurses deeply:
    up to the nesting limit it is checked, not refused as too deep to check."""
    inner = MAX_NESTING - 2
    for text in ("SELECT * WHERE " + "{" * MAX_NESTING + ' ?s ?p "from" ' + "}" * MAX_NESTING,
                 "SELECT * WHERE { FILTER(" + "(" * inner + ' "service" ' + ")" * inner + ") }"):
        assert nesting(text) == MAX_NESTING
        assert check(text)
    with pytest.raises(Refusal, match="SERVICE"):
        check("SELECT * WHERE " + "{" * (MAX_NESTING - 1) + " SERVICE <urn:x> {} " + "}" * (MAX_NESTING - 1))


def test_service_from_and_updates() -> None:
    for text, title in [("SELECT * { SERVICE <urn:x> { ?s ?p ?o } }", "SERVICE is not offered"),
                        ("SELECT * FROM <urn:g> { ?s ?p ?o }", "The dataset is fixed"),
                        ("SELECT * FROM NAMED <urn:g> { GRAPH ?g { ?s ?p ?o } }", "The dataset is fixed")]:
        with pytest.raises(Refusal) as refused:
            check(text)
        assert refused.value.title == title
    assert check('SELECT * { ?s ?p "service from" } # SERVICE <urn:x> {}')
    assert policy.is_update("INSERT DATA { <urn:a> <urn:b> <urn:c> }")
    assert not policy.is_update("ASK {}")


def test_normalization() -> None:
    assert check("ASK { ?s ?p \"\\u00e9\" }\r\n# x\r") == 'ASK { ?s ?p "é" }\n# x\n'
    with pytest.raises(Refusal, match="Unicode scalar value"):
        check('ASK { ?s ?p "\\uD800" }')
