"""kg.vocab: the ID ranges as docs/model.md gives them, the closed okg vocabulary, the CURIE⇄IRI pair."""
from __future__ import annotations

import re

import pytest
from rdflib import URIRef
from rdflib.namespace import DefinedNamespace

from kg import tables
from kg.build import ONTOLOGY_DIR, ROOT
from kg.vocab import (ID_RANGES, OKG, OSTEOKG, PREFIXES, RANGES, SCHEMA_TABLE, TERM_RANGES, expand, id_number,
                      id_range, in_range, is_upper_category, shorten)

MODEL = ROOT / "docs" / "model.md"
_ROW = re.compile(r"^\|\s*(\d{7})–(\d{7})\s*\|\s*([^|]+?)\s*\|\s*`([^`]+)`\s*\|$")


def _model_ranges() -> list[tuple[int, int, str, str]]:
    """(first, last, family, table) of each row of docs/model.md's "ID ranges" table, in order."""
    text = MODEL.read_text(encoding="utf-8")
    section = text.split("ID ranges", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        match = _ROW.match(line.strip())
        if match:
            rows.append((int(match[1]), int(match[2]), match[3], match[4]))
    return rows


def test_the_ranges_are_the_table_of_docs_model_md() -> None:
    documented = _model_ranges()
    assert len(documented) >= 12, "the ID ranges table of docs/model.md was not found"
    assert [(r.first, r.last, r.family, f"ontology/{r.table}") for r in ID_RANGES] == documented


def test_every_range_is_well_formed_and_disjoint() -> None:
    ordered = sorted(ID_RANGES, key=lambda r: r.first)
    assert all(1 <= r.first <= r.last <= 9_999_999 for r in ordered)
    assert all(a.last < b.first for a, b in zip(ordered, ordered[1:]))
    assert len(RANGES) == len(ID_RANGES)  # no two ranges share a name
    for r in ID_RANGES:
        assert r.first in r and r.last in r and r.first - 1 not in r and r.last + 1 not in r
        assert id_range(OSTEOKG[f"{r.first:07d}"]) is r and id_range(OSTEOKG[f"{r.last:07d}"]) is r


def test_every_term_table_has_its_range() -> None:
    tables_on_disk = {p.name for p in (ONTOLOGY_DIR / "terms").glob("*.tsv")}
    assert tables_on_disk == set(TERM_RANGES)
    assert all(TERM_RANGES[name].table == f"terms/{name}" for name in TERM_RANGES)
    assert all((ONTOLOGY_DIR / r.table).is_file() for r in ID_RANGES)
    assert {r.name for r in ID_RANGES if r.table == SCHEMA_TABLE} == {"category", "source", "relation"}


@pytest.mark.parametrize(("iri", "expected"), [
    (OSTEOKG["0000001"], True),
    (OSTEOKG["0000010"], True),
    (OSTEOKG["0000099"], True),
    (str(OSTEOKG["0000092"]), True),  # a plain string works as well as a URIRef
    (OSTEOKG["0000000"], False),  # below the first range
    (OSTEOKG["0000100"], False),  # the first disorder
    (OSTEOKG["0008001"], False),  # a source
    (OSTEOKG["0009001"], False),  # a relation
    (OSTEOKG["99"], False),  # not seven digits
    (OSTEOKG["00000010"], False),  # eight digits
    (OSTEOKG["00000١٠"], False),  # digits, but not ASCII ones
    (URIRef(str(OSTEOKG["0000010"]) + "\n"), False),
    (OSTEOKG["0000010x"], False),
    (URIRef("http://purl.obolibrary.org/obo/OSTEOKG_0000010"), False),  # another namespace
    (OKG.defining, False),
    (URIRef(""), False),
])
def test_is_upper_category(iri: str, expected: bool) -> None:
    assert is_upper_category(iri) is expected


def test_id_number_and_in_range() -> None:
    assert id_number(OSTEOKG["0000106"]) == 106
    assert id_number(OKG.quote) is None and id_number(OSTEOKG["106"]) is None
    assert in_range(OSTEOKG["0007000"], "statement") and not in_range(OSTEOKG["0007500"], "statement")
    assert in_range(OSTEOKG["0007500"], "note") and not in_range(OKG.quote, "note")
    assert id_range(OSTEOKG["0009999"]) is None  # an ID, in no range
    with pytest.raises(KeyError):
        in_range(OSTEOKG["0000100"], "disorders")  # the range is called "disorder"


def test_okg_is_a_closed_defined_namespace() -> None:
    assert issubclass(OKG, DefinedNamespace) and OKG._fail is True
    assert str(OKG) == "https://w3id.org/osteokg/vocab/" == PREFIXES["okg"]
    assert OKG.quote == URIRef("https://w3id.org/osteokg/vocab/quote") == OKG["quote"]


@pytest.mark.parametrize("misspelt", ["qoute", "Quote", "strenght", "combined-reading", "inferred "])
def test_a_misspelt_okg_term_raises(misspelt: str) -> None:
    with pytest.raises(AttributeError):
        getattr(OKG, misspelt)
    with pytest.raises(AttributeError):
        OKG[misspelt]


def test_every_okg_term_of_the_built_graph_is_listed(built) -> None:
    namespace = str(OKG)
    used = {str(node)[len(namespace):] for triple in built.graph for node in triple
            if isinstance(node, URIRef) and str(node).startswith(namespace)}
    assert used, "the built graph uses no okg term"
    assert sorted(name for name in used if name not in OKG) == []


def test_every_okg_directive_of_the_tables_is_listed() -> None:
    """compose builds some okg IRIs from the directive's name (``OKG[directive.split(":")[1]]``)."""
    kinds = [value for value in vars(tables).values() if isinstance(value, tables.TableKind)]
    directives = {d for kind in kinds for d in kind.required + kind.optional}
    names = {d.split("okg:", 1)[1].split("@", 1)[0] for d in directives if "okg:" in d}
    assert names and sorted(name for name in names if name not in OKG) == []


def test_curie_and_iri_round_trip() -> None:
    for prefix, namespace in PREFIXES.items():
        assert expand(f"{prefix}:X1") == namespace + "X1"
        assert shorten(namespace + "X1") == f"{prefix}:X1"
    assert expand("NOPE:1") is None and expand("OSTEOKG:") is None and expand("plain") is None
    assert shorten(str(OSTEOKG["0000106"])) == "OSTEOKG:0000106"
    assert shorten("http://example.org/x") == "http://example.org/x"


# ---------------------------------------------------------------- the other namespaces, the other prefix tables

CLOSED = {"IAO": ("0000115", "0100001"), "OIO": ("hasExactSynonym", "hasSynonymType"), "BIOLINK": ("related_to",),
          "SCHEMA": ("url",)}


@pytest.mark.parametrize("name", sorted(CLOSED))
def test_the_other_namespaces_are_closed(name: str) -> None:
    from kg import vocab

    namespace = getattr(vocab, name)
    assert issubclass(namespace, DefinedNamespace) and namespace._fail is True
    for term in CLOSED[name]:
        assert namespace[term] == URIRef(str(namespace) + term)
    with pytest.raises(AttributeError):
        namespace["0000116" if name == "IAO" else "hasExactSynonim"]
    with pytest.raises(AttributeError):
        namespace.causes


def test_every_iao_oboinowl_and_schema_term_of_the_built_graph_is_listed(built) -> None:
    """What the build writes under a closed namespace is listed there (Biolink IRIs are the editors' data)."""
    from kg.vocab import IAO, OIO, SCHEMA

    for namespace in (IAO, OIO, SCHEMA):
        base = str(namespace)
        used = {str(p)[len(base):] for p in built.graph.predicates() if str(p).startswith(base)}
        assert sorted(term for term in used if term not in namespace) == [], base


def test_every_prefix_table_is_kg_vocabs() -> None:
    from kg import export, validate
    from kg.sparql import results
    from kg.vocab import OUTPUT_PREFIXES, prefixes

    everything = {**PREFIXES, **OUTPUT_PREFIXES}
    assert not set(PREFIXES) & set(OUTPUT_PREFIXES)
    for table in (results.PREFIXES, validate.PREFIXES):
        assert all(everything[prefix] == namespace for prefix, namespace in table.items())
    assert prefixes("skos", "semapv") == {"skos": PREFIXES["skos"], "semapv": OUTPUT_PREFIXES["semapv"]}
    with pytest.raises(KeyError, match="NOPE"):
        prefixes("skos", "NOPE")
    assert not hasattr(export, "_EXTRA_PREFIXES")
    assert expand("sh:Violation") is None  # an output prefix is not a CURIE prefix


# ---------------------------------------------------------------- ID ranges written in queries and shapes

_ID_PATTERN = re.compile(r"OSTEOKG_([0-9\[\]{}\-]+)(\$?)")


def _covered(pattern: str, anchored: bool) -> frozenset[int]:
    """The numbers (below 10 000) whose seven-digit ID matches ``pattern`` (a prefix unless ``anchored``)."""
    regex = re.compile(pattern if anchored else pattern + "[0-9]*")
    return frozenset(n for n in range(10_000) if regex.fullmatch(f"{n:07d}"))


def test_every_id_range_a_query_or_shape_writes_is_a_range_of_kg_vocab() -> None:
    """The queries and shapes that still test an ID by its digits (a category by ``OSTEOKG_00000``, a
    relation by ``OSTEOKG_00090``, a term by ``OSTEOKG_000[0-6]…``) test exactly one range of
    :data:`ID_RANGES` or a run of consecutive ranges, so that a range changed in kg.vocab (and
    docs/model.md) without them fails here, naming the file."""
    ordered = sorted(ID_RANGES, key=lambda r: r.first)
    runs = {frozenset(range(a.first, b.last + 1)): f"{a.name}…{b.name}"
            for i, a in enumerate(ordered) for b in ordered[i:]
            if all(x.last + 1 == y.first for x, y in zip(ordered[i:], ordered[i + 1:ordered.index(b) + 1]))}
    files = sorted((ROOT / "kg" / "queries").rglob("*.rq")) + sorted((ROOT / "shapes").glob("*.ttl"))
    found = 0
    for path in files:
        code = "\n".join(line for line in path.read_text(encoding="utf-8").splitlines()
                         if not line.lstrip().startswith("#") and "sh:message" not in line)  # not prose
        for match in _ID_PATTERN.finditer(code):
            covered = _covered(match[1], bool(match[2])) - {0}  # 0000000 is in no range and never minted
            found += 1
            assert covered in runs, (f"{path.relative_to(ROOT)}: OSTEOKG_{match[1]}{match[2]} covers "
                                     f"{min(covered):07d}–{max(covered):07d}, which is not a range of kg.vocab.ID_RANGES")
    assert found, "no ID pattern found: the scan is broken"
