"""kg.docs: the ontology's HTML documentation page."""
from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from rdflib import Graph

from kg.docs import render_html, write_docs

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Checker(HTMLParser):
    """Checks that every element is closed in order, and collects ids, in-page links and sections."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.ids: list[str] = []
        self.fragments: list[str] = []
        self.text: dict[str, list[str]] = {}  # section id -> its text
        self.section: str | None = None
        self.doctype = False

    def handle_decl(self, decl: str) -> None:
        self.doctype = self.doctype or decl.lower() == "doctype html"

    def handle_starttag(self, tag, attrs) -> None:
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.append(attrs["id"])
        if tag == "a" and (attrs.get("href") or "").startswith("#"):
            self.fragments.append(attrs["href"][1:])
        if tag == "section":
            self.section = attrs.get("id")
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs) -> None:
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.append(attrs["id"])

    def handle_endtag(self, tag) -> None:
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes <{self.stack[-1] if self.stack else 'nothing'}>")
            return
        self.stack.pop()
        if tag == "section":
            self.section = None

    def handle_data(self, data) -> None:
        if self.section:
            self.text.setdefault(self.section, []).append(data)


def check(html: str) -> Checker:
    checker = Checker()
    checker.feed(html)
    checker.close()
    return checker


@pytest.fixture(scope="module")
def page(built, tmp_path_factory) -> tuple[Path, str, Checker]:
    path = write_docs(built.graph, tmp_path_factory.mktemp("docs"))
    html = path.read_text(encoding="utf-8")
    return path, html, check(html)


def test_the_page_is_written_as_index_html(page) -> None:
    path, html, _ = page
    assert path.name == "index.html" and path.is_file()
    assert [p.name for p in path.parent.iterdir()] == ["index.html"]
    assert html.startswith("<!DOCTYPE html>")


def test_the_page_is_well_formed(page) -> None:
    _, _, checker = page
    assert checker.doctype
    assert checker.problems == []
    assert checker.stack == []
    assert len(checker.ids) == len(set(checker.ids)), "duplicate ids"
    missing = sorted(set(checker.fragments) - set(checker.ids))
    assert missing == [], f"links to anchors that do not exist: {missing[:10]}"


def test_osteonecrosis_is_documented_in_both_languages(page) -> None:
    _, _, checker = page
    text = " ".join(" ".join(checker.text["OSTEOKG_0000106"]).split())
    assert text.startswith("osteonecrosis / botnecrose OSTEOKG:0000106")
    assert "Death of bone tissue" in text and "Het afsterven van botweefsel" in text
    for expected in ("osteonecrose", "avascular necrosis", "disorder", "osteonecrosis of the jaw", "has symptom"):
        assert expected in text, expected


def test_every_class_and_property_has_an_anchor_by_id(built, page) -> None:
    from rdflib.namespace import OWL, RDF

    _, _, checker = page
    graph = built.graph
    expected = {str(s).rsplit("/", 1)[1] for kind in (OWL.Class, OWL.ObjectProperty)
                for s in graph.subjects(RDF.type, kind) if str(s).startswith("https://w3id.org/osteokg/OSTEOKG_")}
    assert len(expected) > 90
    assert expected <= set(checker.ids)
    assert {"okg_quote", "okg_inferenceRule"} <= set(checker.ids)  # annotation properties
    relation = " ".join(" ".join(checker.text["OSTEOKG_0009003"]).split())
    for expected_text in ("has location / gelokaliseerd in", "location of", "anatomical site", "biolink:disease_has_location",
                          "part of"):
        assert expected_text in relation, expected_text


@pytest.mark.parametrize("suffix, fmt", [(".ttl", "turtle"), (".owl", "xml")])
def test_from_a_file(built, tmp_path: Path, suffix: str, fmt: str) -> None:
    source = tmp_path / f"osteokg{suffix}"
    built.graph.serialize(source, format=fmt, encoding="utf-8")
    html = write_docs(source, tmp_path / "docs").read_text(encoding="utf-8")
    assert 'id="OSTEOKG_0000106"' in html and "botnecrose" in html


def test_text_is_escaped() -> None:
    graph = Graph().parse(data="""
        @prefix OSTEOKG: <https://w3id.org/osteokg/OSTEOKG_> .
        @prefix owl: <http://www.w3.org/2002/07/owl#> .
        @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
        OSTEOKG:0000100 a owl:Class ; rdfs:label "a <b>bold</b> & \\"quoted\\" label"@en , "x<script>"@nl .
    """, format="turtle")
    html = render_html(graph)
    assert "<script>" not in html and "<b>" not in html
    assert "a &lt;b&gt;bold&lt;/b&gt; &amp; &quot;quoted&quot; label" in html
    assert check(html).problems == []
    assert re.search(r'<section class="entity" id="OSTEOKG_0000100">', html)
