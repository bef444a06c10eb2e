"""The clinician's review sheet: the whole graph as plain Dutch and English sentences.

A clinician checks osteokg by reading it, not by querying it. :func:`review_rows` turns a built
graph into one :class:`ReviewRow` per evidence node of every relation edge (asserted and
inferred), per quantitative statement and per clinical note, each with its sentence in Dutch and
English, its strength, quote, source and review status; an inferred row also carries its *chain*,
the steps from the asserted edge (or the term definition) it descends from to itself, so the
reader sees why the build believes it. :func:`rejected_rows` adds the rows the editors rejected,
which are left out of the graph and so can only be read from the tables. :func:`write_review`
writes ``review.tsv`` (for marking in a spreadsheet) and ``review.html`` (for reading and
printing).

Sentences are made only from the relation's own templates in the graph (``okg:sentence`` and
``okg:possibilitySentence``, docs/model.md and the issue 7 spec, section 4): this module holds
the wording of strengths, clauses and rules, never of a relation, so a new relation needs no code.

Flask-free: the API and the command line both call these functions with an rdflib Graph.
"""
from __future__ import annotations

import hashlib
import html
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS
from rdflib.term import Node

from kg.files import write_atomically
from kg.tables import NOTES, RELATIONS, STATEMENTS, Row, TableKind, read_table
from kg.vocab import CLINICAL_NOTE, DEFINITION, OKG, OSTEOKG, QUANTITATIVE_STATEMENT, expand, shorten

REVIEW_TSV, REVIEW_HTML = "review.tsv", "review.html"
LANGS = ("nl", "en")

ASSERTED, INFERRED, STATEMENT, NOTE, REJECTED = "asserted", "inferred", "statement", "note", "rejected"
KINDS = (ASSERTED, INFERRED, STATEMENT, NOTE, REJECTED)
#: the rule name the chain gives an asserted root edge
ASSERTED_RULE = "asserted"
DEFINITION_RULE = "definition"

# Wording per strength and clause (spec section 4), never per relation: the relation's own words
# come from its templates in the graph.
_ADVERB: dict[str, dict[str, str]] = {
    "often": {"en": "often ", "nl": "vaak "},
    "most": {"en": "most often ", "nl": "het vaakst "},
}
_SUFFIX: dict[str, dict[str, str]] = {
    "defining": {"en": " (always)", "nl": " (altijd)"},
    "main": {"en": " (the main one)", "nl": " (het belangrijkste)"},
}
_COMBINATION = {"en": ", in combination with ", "nl": ", in combinatie met "}
_CONTEXT = {"en": ", in ", "nl": ", bij "}
#: a context that is a body site ("het gewricht minder gebruiken") reads as where the disorder is
_SITE_CONTEXT = {"en": ", located in ", "nl": ", gelokaliseerd in "}
_CONDITION = {"en": ", if ", "nl": ", als "}
_AND = {"en": " and ", "nl": " en "}

#: what each inference rule means, for the page's legend (nl, en)
RULES: dict[str, tuple[str, str]] = {
    ASSERTED_RULE: ("vastgelegd door de redactie, met citaat uit de bron",
                    "asserted by the editors, with a quote from the source"),
    "subclass": ("geldt voor een ruimer begrip en daarom voor dit begrip: altijd als het voor elk geval geldt, "
                 "anders enkel als ‘kán’",
                 "holds for a broader term and so for this one: always if it holds of every case, else only as ‘can’"),
    "superclass-target": ("geldt voor een specifieker voorwerp en daarom ook voor het ruimere",
                          "holds for a narrower object and so for the broader one too"),
    "part-of": ("de plaats is deel van een grotere plaats", "the site is part of a larger site"),
    "subproperty": ("een specifiekere relatie geldt, en daarmee de algemenere",
                    "a narrower relation holds, and with it the broader one"),
    "inverse": ("dezelfde relatie, van de andere kant gelezen (enkel als ‘kán’)",
                "the same edge, read from the other end (only as ‘can’)"),
    DEFINITION_RULE: ("volgt uit de definitie van het begrip", "follows from the term's own definition"),
    "transitive": ("een keten van dezelfde relatie", "a chain of the same relation"),
    "property-chain": ("een keten van twee relaties", "a chain of two relations"),
}

#: columns of review.tsv, in order; ``mark`` and ``mark_note`` are left empty for the clinician
TSV_COLUMNS: tuple[str, ...] = (
    "row_id", "kind", "entity", "entity_label_nl", "entity_label_en",
    "subject", "subject_label_nl", "subject_label_en", "predicate", "predicate_label_nl", "predicate_label_en",
    "object", "object_label_nl", "object_label_en", "rule", "strength", "strength_label_nl", "strength_label_en",
    "sentence_nl", "sentence_en", "quote", "source", "source_title", "evidence_kind",
    "condition", "condition_label_nl", "condition_label_en", "condition_text_nl", "condition_text_en",
    "context", "context_labels_nl", "context_labels_en",
    "in_combination_with", "in_combination_with_labels_nl", "in_combination_with_labels_en",
    "quantified_by", "review_status", "review_note", "chain_nl", "chain_en", "location", "mark", "mark_note",
)


# ---------------------------------------------------------------- the data


@dataclass(frozen=True)
class Named:
    """An IRI as a CURIE with its Dutch and English labels (a raw table value when it names nothing known)."""

    curie: str
    nl: str
    en: str

    def label(self, lang: str) -> str:
        return self.nl if lang == "nl" else self.en


@dataclass(frozen=True)
class Step:
    """One edge of a chain: the rule that made it (``asserted`` for the root) and its sentences.

    A root made by rule ``definition`` has no premise; its reason is the subject's own definition,
    given in ``definition_nl`` / ``definition_en``.
    """

    rule: str
    subject: Named
    predicate: Named
    object: Named
    strength: str
    sentence_nl: str
    sentence_en: str
    definition_nl: str = ""
    definition_en: str = ""

    def sentence(self, lang: str) -> str:
        return self.sentence_nl if lang == "nl" else self.sentence_en


@dataclass(frozen=True)
class ReviewRow:
    """One line of the review sheet: an evidence node of an edge, a statement, a note or a rejected row.

    ``entity`` is what the row is filed under: the edge's subject, or the term a statement or note
    is about. ``chain`` is empty for anything not inferred.
    """

    kind: str
    entity: Named
    subject: Named
    predicate: Named | None
    object: Named | None
    rule: str
    strength: Named | None
    strength_order: int
    sentence_nl: str
    sentence_en: str
    quote: str
    quote_lang: str
    source: str
    source_title: str
    evidence_kind: str
    condition: Named | None
    condition_text_nl: str
    condition_text_en: str
    context: tuple[Named, ...]
    in_combination_with: tuple[Named, ...]
    quantified_by: tuple[str, ...]
    review_status: str
    review_note: str
    evidence_kind_label_nl: str = ""
    evidence_kind_label_en: str = ""
    chain: tuple[Step, ...] = ()
    chain_nl: str = ""
    chain_en: str = ""
    location: str = ""
    row_id: str = ""

    def sentence(self, lang: str) -> str:
        return self.sentence_nl if lang == "nl" else self.sentence_en

    @property
    def chain_complete(self) -> bool:
        """True when the chain reaches an asserted edge or a definition (always so for a sound build)."""
        return not self.chain or self.chain[0].rule in (ASSERTED_RULE, DEFINITION_RULE)

    @property
    def is_inverse(self) -> bool:
        return self.rule == "inverse"


@dataclass(frozen=True)
class EntityGroup:
    """The rows filed under one entity, in sheet order."""

    entity: Named
    rows: tuple[ReviewRow, ...]


# ---------------------------------------------------------------- sentences


def join_names(names: Sequence[str], lang: str) -> str:
    """``A``, ``A and B``, ``A, B and C`` (``en`` in Dutch)."""
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + _AND[lang] + names[-1]


def _inner(title: str) -> str:
    """A title inside a sentence: its first letter lower-cased unless its first word is an acronym."""
    first = title.split(" ", 1)[0]
    return title[:1].lower() + title[1:] if first[:1].isupper() and not first[1:].isupper() else title


def finish(text: str) -> str:
    """A sentence from a clause: first letter upper-cased, one full stop at the end."""
    text = " ".join(text.split())
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith(".") else text + "."


def compose_sentence(*, lang: str, sentence: str, possibility: str, subject: str, object: str,
                     strength: str, quantities: Sequence[str] = (), combination: Sequence[str] = (),
                     context: Sequence[str] = (), condition: str = "", site_context: Sequence[str] = ()) -> str:
    """One edge as a sentence in ``lang``, made as the spec's section 4 says.

    ``sentence`` and ``possibility`` are the relation's ``okg:sentence`` and
    ``okg:possibilitySentence`` templates in ``lang``; ``strength`` is the strength's local name
    (``can``, ``often`` …, or "" when the graph gives none); the sequences are labels in ``lang``.
    """
    template = possibility if strength == "can" and possibility else sentence
    text = template.replace("{s}", subject).replace("{o}", object).replace("{adv}", _ADVERB.get(strength, {}).get(lang, ""))
    text += _SUFFIX.get(strength, {}).get(lang, "")
    if strength == "proportion" and quantities:
        # a statement's label is a title ("Half of hip fracture patients …"): lower-cased inside the brackets
        text += " (" + "; ".join(_inner(q) for q in quantities) + ")"
    if combination:
        text += _COMBINATION[lang] + join_names(combination, lang)
    if context:
        text += _CONTEXT[lang] + join_names(context, lang)
    if site_context:
        text += _SITE_CONTEXT[lang] + join_names(site_context, lang)
    if condition:
        # a condition text may carry its own "if"/"als" (the spec's example does): say it once
        word = _CONDITION[lang].lstrip(", ")
        if condition.lower().startswith(word):
            condition = condition[len(word):]
        text += _CONDITION[lang] + condition
    return finish(text)


# ---------------------------------------------------------------- reading the graph


def _lang_of(value: Node) -> str:
    return (getattr(value, "language", None) or "").lower()


@dataclass(frozen=True)
class _Evidence:
    """What one evidence node says, read once."""

    node: Node
    subject: URIRef
    predicate: URIRef
    object: URIRef
    inferred: bool
    rule: str
    strength: URIRef | None
    source: URIRef | None
    quote: Literal | None
    evidence_kind: URIRef | None
    condition: URIRef | None
    condition_text: dict[str, str]
    context: tuple[URIRef, ...]
    combination: tuple[URIRef, ...]
    quantified_by: tuple[URIRef, ...]
    review_status: str
    review_note: str
    premise: tuple[URIRef, URIRef, URIRef] | None

    @property
    def match_key(self) -> tuple[Node | None, ...]:
        return (self.subject, self.predicate, self.object, self.source, self.quote)


class _Reader:
    """Labels, texts and templates of one graph, looked up once each."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self._names: dict[URIRef, Named] = {}
        self._templates: dict[tuple[URIRef, str], tuple[str, str]] = {}
        self.relations = {p for p in graph.subjects(RDF.type, OWL.ObjectProperty)
                          if isinstance(p, URIRef) and p.startswith(str(OSTEOKG))}
        self.by_label: dict[str, URIRef] = {}
        labelled = sorted((not s.startswith(str(OSTEOKG)), str(s), str(label)) for s, label in graph.subject_objects(RDFS.label)
                          if isinstance(s, URIRef) and _lang_of(label) in ("en", ""))
        for _, subject, label in labelled:  # osteokg's own IRIs first, as the build's resolver has only those
            self.by_label.setdefault(label, URIRef(subject))

    def text(self, node: Node, prop: URIRef, lang: str | None = None) -> str:
        """The value of ``prop`` in ``lang`` (falling back to English, then any), or ""."""
        values = sorted((_lang_of(v), str(v)) for v in self.graph.objects(node, prop) if isinstance(v, Literal))
        for wanted in ((lang, "en", "") if lang else ("en", "", "nl")):
            for value_lang, value in values:
                if value_lang == wanted:
                    return value
        return values[0][1] if values else ""

    def strict_text(self, node: Node, prop: URIRef, lang: str) -> str:
        """The value of ``prop`` in exactly ``lang``, or ""."""
        # only a literal has a language (``lang`` is never ""); rdflib orders literals among themselves
        literals = sorted(v for v in self.graph.objects(node, prop) if isinstance(v, Literal))
        return next((str(v) for v in literals if _lang_of(v) == lang), "")

    def named(self, iri: URIRef) -> Named:
        if iri not in self._names:
            curie = shorten(str(iri))
            self._names[iri] = Named(curie, self.text(iri, RDFS.label, "nl") or curie, self.text(iri, RDFS.label, "en") or curie)
        return self._names[iri]

    def resolve(self, value: str) -> Named:
        """A table value (a CURIE or an exact English label) as a Named; unknown values keep their text."""
        value = value.strip()
        iri = expand(value) if ":" in value else None
        if iri is not None and (URIRef(iri), None, None) in self.graph:
            return self.named(URIRef(iri))
        if value in self.by_label:
            return self.named(self.by_label[value])
        return Named(value if iri else "", value, value)

    def templates(self, predicate: URIRef, lang: str) -> tuple[str, str]:
        """The relation's sentence and possibility templates in ``lang``.

        A graph built before the templates existed has none: then the relation's label stands in
        (``{s} label {o}``), so an old graph still gives readable rows.
        """
        if (predicate, lang) not in self._templates:
            sentence = self.strict_text(predicate, OKG.sentence, lang)
            possibility = self.strict_text(predicate, OKG.possibilitySentence, lang)
            if not sentence:
                sentence = "{s} " + self.named(predicate).label(lang) + " {o}"
            self._templates[(predicate, lang)] = (sentence, possibility)
        return self._templates[(predicate, lang)]

    def title(self, source: URIRef | None) -> str:
        if source is None:
            return ""
        return self.text(source, DCTERMS.title, "en") or self.text(source, RDFS.label, "en")

    def is_site(self, named: Named) -> bool:
        """True for an anatomical site (a term under OSTEOKG:0000020; the closed hierarchy names it)."""
        iri = expand(named.curie) if named.curie else None
        return iri is not None and (URIRef(iri), RDFS.subClassOf, OSTEOKG["0000020"]) in self.graph

    def sorted_named(self, iris: Iterable[URIRef]) -> tuple[Named, ...]:
        return tuple(sorted((self.named(i) for i in iris), key=lambda n: n.curie))

    def evidence(self, node: Node) -> _Evidence | None:
        """The evidence node ``node`` of a relation edge, or None for any other owl:Axiom."""
        g = self.graph
        subject, predicate, target = (g.value(node, OWL.annotatedSource), g.value(node, OWL.annotatedProperty),
                                      g.value(node, OWL.annotatedTarget))
        inferred = g.value(node, OKG.inferred)
        if predicate not in self.relations or inferred is None:
            return None  # the OWL restriction's annotation, a synonym axiom, a subclass link
        if not isinstance(subject, URIRef) or not isinstance(predicate, URIRef) or not isinstance(target, URIRef):
            return None
        premise = (g.value(node, OKG.premiseSubject), g.value(node, OKG.premisePredicate), g.value(node, OKG.premiseObject))
        quote = g.value(node, OKG.quote)
        return _Evidence(
            node=node, subject=subject, predicate=predicate, object=target,
            inferred=bool(inferred.toPython()) if isinstance(inferred, Literal) else False,
            rule=str(g.value(node, OKG.inferenceRule) or ""),
            strength=_iri(g.value(node, OKG.strength)),
            source=_iri(g.value(node, DCTERMS.source)),
            quote=quote if isinstance(quote, Literal) else None,
            evidence_kind=_iri(g.value(node, OKG.evidenceKind)),
            condition=_iri(g.value(node, OKG.condition)),
            condition_text={lang: self.strict_text(node, OKG.conditionText, lang) for lang in LANGS},
            context=tuple(sorted(o for o in g.objects(node, OKG.context) if isinstance(o, URIRef))),
            combination=tuple(sorted(o for o in g.objects(node, OKG.inCombinationWith) if isinstance(o, URIRef))),
            quantified_by=tuple(sorted(o for o in g.objects(node, OKG.quantifiedBy) if isinstance(o, URIRef))),
            review_status=str(g.value(node, OKG.reviewStatus) or ""),
            review_note=self.text(node, OKG.reviewNote),
            premise=premise if all(isinstance(p, URIRef) for p in premise) else None,  # type: ignore[arg-type]
        )


def _iri(value: Node | None) -> URIRef | None:
    return value if isinstance(value, URIRef) else None


def _local(iri: URIRef | None) -> str:
    if iri is None:
        return ""
    text = str(iri)
    return text[len(str(OKG)):] if text.startswith(str(OKG)) else shorten(text)


class _Sheet:
    """Builds the rows of one graph: sentences per evidence node, chains through the premises."""

    def __init__(self, graph: Graph) -> None:
        self.reader = _Reader(graph)
        self.evidence: dict[Node, _Evidence] = {}
        for node in graph.subjects(RDF.type, OWL.Axiom):
            found = self.reader.evidence(node)
            if found is not None:
                self.evidence[node] = found
        self.by_match: dict[tuple[Node | None, ...], list[_Evidence]] = {}
        for found in self.evidence.values():
            self.by_match.setdefault(found.match_key, []).append(found)
        for candidates in self.by_match.values():
            candidates.sort(key=_preference)
        self._sentences: dict[Node, tuple[str, str]] = {}

    def edge_sentence(self, ev: _Evidence, lang: str) -> str:
        reader = self.reader
        sentence, possibility = reader.templates(ev.predicate, lang)
        condition = ev.condition_text.get(lang, "")
        if not condition and ev.condition is not None:
            condition = reader.named(ev.condition).label(lang)
        return compose_sentence(
            lang=lang, sentence=sentence, possibility=possibility,
            subject=reader.named(ev.subject).label(lang), object=reader.named(ev.object).label(lang),
            strength=_local(ev.strength),
            quantities=[reader.text(q, RDFS.label, lang) or shorten(str(q)) for q in ev.quantified_by],
            combination=[n.label(lang) for n in reader.sorted_named(ev.combination)],
            context=[n.label(lang) for n in reader.sorted_named(ev.context) if not reader.is_site(n)],
            site_context=[n.label(lang) for n in reader.sorted_named(ev.context) if reader.is_site(n)],
            condition=condition,
        )

    def sentences(self, ev: _Evidence) -> tuple[str, str]:
        if ev.node not in self._sentences:
            self._sentences[ev.node] = (self.edge_sentence(ev, "nl"), self.edge_sentence(ev, "en"))
        return self._sentences[ev.node]

    def premise_of(self, ev: _Evidence) -> _Evidence | None:
        """The evidence node of the edge ``ev`` was derived from: same source and quote (spec section 1)."""
        if ev.premise is None:
            return None
        candidates = self.by_match.get((*ev.premise, ev.source, ev.quote), [])
        return candidates[0] if candidates else None

    def chain(self, ev: _Evidence) -> tuple[Step, ...]:
        """The steps from the root (asserted edge or definition) to ``ev``; empty when ``ev`` is asserted."""
        if not ev.inferred:
            return ()
        steps: list[Step] = []
        seen: set[Node] = set()
        current: _Evidence | None = ev
        while current is not None and current.node not in seen:
            seen.add(current.node)
            steps.append(self.step(current))
            if not current.inferred:
                break
            current = self.premise_of(current)
        steps.reverse()
        return tuple(steps)

    def step(self, ev: _Evidence) -> Step:
        reader = self.reader
        nl, en = self.sentences(ev)
        rule = ev.rule if ev.inferred else ASSERTED_RULE
        definitions = {"nl": "", "en": ""}
        if rule == DEFINITION_RULE:
            definitions = {lang: reader.strict_text(ev.subject, DEFINITION, lang) for lang in LANGS}
        return Step(rule, reader.named(ev.subject), reader.named(ev.predicate), reader.named(ev.object),
                    _local(ev.strength), nl, en, definitions["nl"], definitions["en"])

    def edge_row(self, ev: _Evidence) -> ReviewRow:
        reader = self.reader
        nl, en = self.sentences(ev)
        chain = self.chain(ev)
        strength = reader.named(ev.strength) if ev.strength is not None else None
        order = ev.strength and reader.graph.value(ev.strength, OKG.strengthOrder)
        subject = reader.named(ev.subject)
        return ReviewRow(
            kind=INFERRED if ev.inferred else ASSERTED, entity=subject, subject=subject,
            predicate=reader.named(ev.predicate), object=reader.named(ev.object),
            rule=ev.rule if ev.inferred else "",
            strength=replace(strength, curie=_local(ev.strength)) if strength else None,
            strength_order=int(order.toPython()) if isinstance(order, Literal) else 0,
            sentence_nl=nl, sentence_en=en,
            quote=str(ev.quote or ""), quote_lang=_lang_of(ev.quote) if ev.quote is not None else "",
            source=shorten(str(ev.source)) if ev.source else "", source_title=reader.title(ev.source),
            evidence_kind=_local(ev.evidence_kind),
            evidence_kind_label_nl=reader.named(ev.evidence_kind).nl if ev.evidence_kind else "",
            evidence_kind_label_en=reader.named(ev.evidence_kind).en if ev.evidence_kind else "",
            condition=reader.named(ev.condition) if ev.condition is not None else None,
            condition_text_nl=ev.condition_text.get("nl", ""), condition_text_en=ev.condition_text.get("en", ""),
            context=reader.sorted_named(ev.context), in_combination_with=reader.sorted_named(ev.combination),
            quantified_by=tuple(shorten(str(q)) for q in ev.quantified_by),
            review_status=ev.review_status, review_note=ev.review_note,
            chain=chain, chain_nl=chain_text(chain, "nl"), chain_en=chain_text(chain, "en"),
        )

    def statement_rows(self) -> list[ReviewRow]:
        reader, graph = self.reader, self.reader.graph
        rows: list[ReviewRow] = []
        for kind, cls in ((STATEMENT, QUANTITATIVE_STATEMENT), (NOTE, CLINICAL_NOTE)):
            for iri in sorted(i for i in graph.subjects(RDF.type, cls) if isinstance(i, URIRef)):
                itself = reader.named(iri)
                about = _iri(graph.value(iri, OKG.about))
                source = _iri(graph.value(iri, DCTERMS.source))
                quote = graph.value(iri, OKG.quote)
                rows.append(ReviewRow(
                    kind=kind, entity=reader.named(about) if about is not None else itself, subject=itself,
                    predicate=None, object=None, rule="", strength=None, strength_order=0,
                    # the statement itself (its definition), not its title
                    sentence_nl=finish(reader.text(iri, DEFINITION, "nl") or itself.nl),
                    sentence_en=finish(reader.text(iri, DEFINITION, "en") or itself.en),
                    quote=str(quote or ""), quote_lang=_lang_of(quote) if quote is not None else "",
                    source=shorten(str(source)) if source else "", source_title=reader.title(source),
                    evidence_kind="", condition=None, condition_text_nl="", condition_text_en="",
                    context=(), in_combination_with=(), quantified_by=(),
                    review_status=str(graph.value(iri, OKG.reviewStatus) or ""),
                    review_note=reader.text(iri, OKG.reviewNote),
                ))
        return rows


def _preference(ev: _Evidence) -> tuple:
    """Which of several matching premise nodes a chain follows: asserted first, then a stable order."""
    return (ev.inferred, ev.rule, str(ev.strength or ""), tuple(str(p) for p in ev.premise or ()))


def chain_text(chain: Sequence[Step], lang: str) -> str:
    """A chain as one line: ``asserted: Fractuur kán botnecrose veroorzaken. → subclass: …``."""
    parts = []
    for step in chain:
        if step.rule == DEFINITION_RULE:
            definition = step.definition_nl if lang == "nl" else step.definition_en
            parts.append(f"{step.rule} “{definition}”: {step.sentence(lang)}" if definition
                         else f"{step.rule}: {step.sentence(lang)}")
        else:
            parts.append(f"{step.rule}: {step.sentence(lang)}")
    if chain and chain[0].rule not in (ASSERTED_RULE, DEFINITION_RULE):
        parts.insert(0, "(premisse niet gevonden)" if lang == "nl" else "(premise not found)")
    return " → ".join(parts)


# ---------------------------------------------------------------- rejected rows (from the tables)


def _with_review(kind: TableKind, prefix: str) -> TableKind:
    """``kind`` accepting the review directives, should the table kinds not declare them yet."""
    extra = tuple(d for d in (f"{prefix}A okg:reviewStatus", f"{prefix}A okg:reviewNote")
                  if d not in kind.required and d not in kind.optional)
    return replace(kind, optional=kind.optional + extra) if extra else kind


def _cell(row: Row, name: str) -> str:
    """The cell of directive ``A name`` (statements, notes) or ``>A name`` (relations)."""
    return row.get(f">A {name}") or row.get(f"A {name}")


def _cells(row: Row, name: str) -> list[str]:
    return row.values(f">A {name}") or row.values(f"A {name}")


def _location(row: Row, ontology_dir: Path) -> str:
    try:
        return f"{row.path.resolve().relative_to(ontology_dir.resolve().parent).as_posix()}:{row.line}"
    except ValueError:
        return row.location


def rejected_rows(ontology_dir: Path, graph: Graph) -> list[ReviewRow]:
    """The rows of relations.tsv, statements.tsv and notes.tsv whose review status is ``rejected``.

    They are not in the graph, so they are read from the tables; the names in them are looked up
    in ``graph`` (by CURIE or exact English label) for their labels. Raises
    :class:`kg.tables.TableError` on a malformed table; a missing table has no rows.
    """
    reader = _Reader(graph)
    rows: list[ReviewRow] = []
    path = ontology_dir / "relations.tsv"
    if path.exists():
        for row in read_table(path, _with_review(RELATIONS, ">")):
            if _cell(row, "okg:reviewStatus") == REJECTED:
                rows.append(_rejected_relation(reader, row, ontology_dir))
    for name, kind in (("statements.tsv", STATEMENTS), ("notes.tsv", NOTES)):
        path = ontology_dir / name
        if path.exists():
            for row in read_table(path, _with_review(kind, "")):
                if _cell(row, "okg:reviewStatus") == REJECTED:
                    rows.append(_rejected_statement(reader, row, ontology_dir))
    return rows


def _rejected_relation(reader: _Reader, row: Row, ontology_dir: Path) -> ReviewRow:
    subject, predicate, target = (reader.resolve(row.get(d)) for d in ("SUBJECT", "PREDICATE", "OBJECT"))
    strength_name = _cell(row, "okg:strength")
    strength_iri = URIRef(str(OKG) + strength_name) if strength_name else None
    strength = replace(reader.named(strength_iri), curie=strength_name) if strength_iri else None
    order = strength_iri and reader.graph.value(strength_iri, OKG.strengthOrder)
    condition = reader.resolve(_cell(row, "okg:condition")) if _cell(row, "okg:condition") else None
    condition_text = {lang: _cell(row, f"okg:conditionText@{lang}") for lang in LANGS}
    context = tuple(reader.resolve(v) for v in _cells(row, "okg:context"))
    combination = tuple(reader.resolve(v) for v in _cells(row, "okg:inCombinationWith"))
    quantified = tuple(reader.resolve(v) for v in _cells(row, "okg:quantifiedBy"))
    source = reader.resolve(_cell(row, "dcterms:source"))
    predicate_iri = URIRef(expand(predicate.curie) or "") if predicate.curie else None
    sentences = {}
    for lang in LANGS:
        if predicate_iri is not None:
            sentence, possibility = reader.templates(predicate_iri, lang)
        else:
            sentence, possibility = "{s} " + predicate.label(lang) + " {o}", ""
        sentences[lang] = compose_sentence(
            lang=lang, sentence=sentence, possibility=possibility, subject=subject.label(lang),
            object=target.label(lang), strength=strength_name, quantities=[q.label(lang) for q in quantified],
            combination=[n.label(lang) for n in combination], context=[n.label(lang) for n in context],
            condition=condition_text[lang] or (condition.label(lang) if condition else ""))
    return ReviewRow(
        kind=REJECTED, entity=subject, subject=subject, predicate=predicate, object=target, rule="",
        strength=strength, strength_order=int(order.toPython()) if isinstance(order, Literal) else 0,
        sentence_nl=sentences["nl"], sentence_en=sentences["en"],
        quote=_cell(row, "okg:quote"), quote_lang="", source=source.curie or source.en,
        source_title=reader.title(URIRef(expand(source.curie) or "")) if source.curie else "",
        evidence_kind=_cell(row, "okg:evidenceKind"), condition=condition,
        condition_text_nl=condition_text["nl"], condition_text_en=condition_text["en"],
        context=context, in_combination_with=combination, quantified_by=tuple(q.curie or q.en for q in quantified),
        review_status=REJECTED, review_note=_cell(row, "okg:reviewNote"), location=_location(row, ontology_dir),
    )


def _rejected_statement(reader: _Reader, row: Row, ontology_dir: Path) -> ReviewRow:
    itself = Named(row.get("ID"), row.get("A rdfs:label@nl"), row.get("A rdfs:label@en"))
    about = reader.resolve(row.get("A okg:about")) if row.get("A okg:about") else itself
    source = reader.resolve(row.get("A dcterms:source"))
    return ReviewRow(
        kind=REJECTED, entity=about, subject=itself, predicate=None, object=None, rule="",
        strength=None, strength_order=0, sentence_nl=finish(row.get("A IAO:0000115@nl") or itself.nl),
        sentence_en=finish(row.get("A IAO:0000115@en") or itself.en), quote=row.get("A okg:quote"), quote_lang="", source=source.curie or source.en,
        source_title=reader.title(URIRef(expand(source.curie) or "")) if source.curie else "",
        evidence_kind="", condition=None, condition_text_nl="", condition_text_en="", context=(),
        in_combination_with=(), quantified_by=(), review_status=REJECTED,
        review_note=row.get("A okg:reviewNote"), location=_location(row, ontology_dir),
    )


# ---------------------------------------------------------------- the rows, in order


def _sort_key(row: ReviewRow) -> tuple:
    return (row.kind == REJECTED, row.entity.curie, KINDS.index(row.kind),
            row.predicate.curie if row.predicate else "", row.object.curie if row.object else "",
            row.subject.curie, row.rule, row.source, row.quote, row.chain_en)


def _row_id(row: ReviewRow) -> str:
    """A short ID from what the row says (and, for an inferred row, its whole chain): equal builds, equal IDs.

    Not from a table line, so a rejected row keeps its ID when rows above it are added.
    """
    parts = [row.kind, row.subject.curie, row.predicate.curie if row.predicate else "",
             row.object.curie if row.object else "", row.rule, row.strength.curie if row.strength else "",
             row.source, row.quote, row.review_note if row.kind == REJECTED else ""]
    parts += [f"{s.rule} {s.subject.curie} {s.predicate.curie} {s.object.curie} {s.strength}" for s in row.chain]
    return "r" + hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:10]


def review_rows(graph: Graph, ontology_dir: Path | None = None) -> list[ReviewRow]:
    """Every row of the review sheet for ``graph``, in sheet order, each with a stable ``row_id``.

    One row per evidence node of every relation edge (asserted and inferred), per quantitative
    statement and per clinical note; with ``ontology_dir``, the editors' rejected rows as well.
    Rows are grouped by entity (sorted by CURIE), asserted before inferred before statements and
    notes, then by predicate and object; rejected rows come last.
    """
    sheet = _Sheet(graph)
    rows = [sheet.edge_row(ev) for ev in sheet.evidence.values()]
    rows += sheet.statement_rows()
    if ontology_dir is not None:
        rows += rejected_rows(ontology_dir, graph)
    rows.sort(key=_sort_key)
    seen: Counter[str] = Counter()
    out = []
    for row in rows:
        row_id = _row_id(row)
        seen[row_id] += 1
        out.append(replace(row, row_id=row_id if seen[row_id] == 1 else f"{row_id}-{seen[row_id]}"))
    return out


def by_entity(rows: Iterable[ReviewRow]) -> list[EntityGroup]:
    """The rows of the graph (not the rejected ones) grouped by entity, in the order they come."""
    groups: dict[str, list[ReviewRow]] = {}
    entities: dict[str, Named] = {}
    for row in rows:
        if row.kind != REJECTED:
            groups.setdefault(row.entity.curie, []).append(row)
            entities.setdefault(row.entity.curie, row.entity)
    return [EntityGroup(entities[curie], tuple(members)) for curie, members in groups.items()]


def count_rows(rows: Iterable[ReviewRow]) -> dict[str, int]:
    """Rows per kind, inferred rows per rule too: ``asserted``, ``inferred``, ``inferred:subclass`` …"""
    counts: Counter[str] = Counter()
    for row in rows:
        counts[row.kind] += 1
        if row.kind == INFERRED:
            counts[f"inferred:{row.rule}"] += 1
    ordered = {kind: counts.get(kind, 0) for kind in KINDS}
    ordered |= {key: counts[key] for key in sorted(counts) if key.startswith("inferred:")}
    return ordered


def summary(rows: Sequence[ReviewRow]) -> str:
    """``12 asserted, 30 inferred (inverse 20, subclass 10), 4 statements, 2 notes, 1 rejected``."""
    counts = count_rows(rows)
    rules = ", ".join(f"{key.split(':', 1)[1]} {value}" for key, value in counts.items() if key.startswith("inferred:"))
    inferred = f"{counts[INFERRED]} inferred" + (f" ({rules})" if rules else "")
    return (f"{counts[ASSERTED]} asserted, {inferred}, {counts[STATEMENT]} statements, "
            f"{counts[NOTE]} notes, {counts[REJECTED]} rejected")


# ---------------------------------------------------------------- writing


def _tsv_cell(value: str) -> str:
    return " ".join(value.replace("\t", " ").split())


def _curies(names: Sequence[Named]) -> str:
    return " | ".join(n.curie or n.en for n in names)


def _labels(names: Sequence[Named], lang: str) -> str:
    return " | ".join(n.label(lang) for n in names)


def tsv_record(row: ReviewRow) -> dict[str, str]:
    """One row as the TSV's columns (:data:`TSV_COLUMNS`), multi-valued cells joined by `` | ``."""
    def named(prefix: str, value: Named | None) -> dict[str, str]:
        return {prefix: value.curie if value else "", f"{prefix}_label_nl": value.nl if value else "",
                f"{prefix}_label_en": value.en if value else ""}

    record = {"row_id": row.row_id, "kind": row.kind, **named("entity", row.entity), **named("subject", row.subject),
              **named("predicate", row.predicate), **named("object", row.object), "rule": row.rule,
              **named("strength", row.strength), "sentence_nl": row.sentence_nl, "sentence_en": row.sentence_en,
              "quote": row.quote, "source": row.source, "source_title": row.source_title,
              "evidence_kind": row.evidence_kind, **named("condition", row.condition),
              "condition_text_nl": row.condition_text_nl, "condition_text_en": row.condition_text_en,
              "context": _curies(row.context), "context_labels_nl": _labels(row.context, "nl"),
              "context_labels_en": _labels(row.context, "en"),
              "in_combination_with": _curies(row.in_combination_with),
              "in_combination_with_labels_nl": _labels(row.in_combination_with, "nl"),
              "in_combination_with_labels_en": _labels(row.in_combination_with, "en"),
              "quantified_by": " | ".join(row.quantified_by), "review_status": row.review_status,
              "review_note": row.review_note, "chain_nl": row.chain_nl, "chain_en": row.chain_en,
              "location": row.location, "mark": "", "mark_note": ""}
    return {column: _tsv_cell(record[column]) for column in TSV_COLUMNS}


def render_tsv(rows: Iterable[ReviewRow]) -> str:
    lines = ["\t".join(TSV_COLUMNS)]
    lines += ["\t".join(tsv_record(row).values()) for row in rows]
    return "\n".join(lines) + "\n"


_CSS = """
body { font-family: system-ui, sans-serif; max-width: 80em; margin: 2em auto; padding: 0 1em; line-height: 1.4; color: #222; }
h1 { margin-bottom: 0.2em; } h2 { border-bottom: 2px solid #ccc; margin-top: 2em; font-size: 1.25em; }
[lang="en"] { color: #444; } p.en, div.en { font-style: italic; }
nav ol { columns: 3; font-size: 0.9em; } nav li { break-inside: avoid; }
table { border-collapse: collapse; width: 100%; } th, td { text-align: left; vertical-align: top; padding: 0.35em 0.5em; border-bottom: 1px solid #e3e3e3; }
th { font-size: 0.85em; color: #555; } td.mark { width: 1.5em; } td.n { width: 2em; color: #888; font-size: 0.85em; }
td.sentence p { margin: 0 0 0.2em 0; } td.strength { width: 8em; font-size: 0.9em; } td.status { width: 9em; font-size: 0.85em; }
td.evidence { width: 32%; font-size: 0.9em; } blockquote { margin: 0 0 0.2em 0; padding-left: 0.6em; border-left: 3px solid #bbb; }
cite { font-size: 0.85em; color: #555; font-style: normal; }
.chain { font-size: 0.8em; color: #777; margin-top: 0.3em; } .chain p { margin: 0; }
tr.inverse td { color: #888; } tr.inverse blockquote { border-left-color: #ddd; } tr.inverse [lang="en"] { color: #999; }
tr.statement td.sentence, tr.note td.sentence { font-weight: 500; }
.tag.kind-combinedReading, .tag.kind-citedTitle { background: #fde9c8; color: #6b4a00; }
.tag { font-size: 0.75em; background: #eef; border-radius: 3px; padding: 0 0.3em; color: #336; white-space: nowrap; }
.curie { font-family: monospace; color: #666; font-weight: normal; font-size: 0.8em; }
.status-accepted { color: #2a6b2a; } .status-rejected { color: #a12a2a; } .reason { display: block; color: #444; }
dl.legend { display: grid; grid-template-columns: max-content 1fr; gap: 0.1em 1em; font-size: 0.9em; } dl.legend dd { margin: 0; }
@media print {
  body { max-width: none; margin: 0; font-size: 10pt; } nav ol { columns: 2; } a { color: inherit; text-decoration: none; }
  tr { break-inside: avoid; } thead { display: table-header-group; } h2 { break-after: avoid; }
}
"""


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _anchor(curie: str) -> str:
    return "e-" + "".join(ch if ch.isalnum() else "_" for ch in curie)


def _bilingual(nl: str, en: str, tag: str = "span") -> str:
    if nl == en:
        return f"<{tag}>{_e(nl)}</{tag}>"
    return f'<{tag} lang="nl">{_e(nl)}</{tag}> <{tag} lang="en" class="en">{_e(en)}</{tag}>'


def _status(row: ReviewRow) -> str:
    status = row.review_status or "unreviewed"
    text = f'<span class="status-{_e(status)}">{_e(status)}</span>'
    if row.review_note:
        text += f'<span class="reason">{_e(row.review_note)}</span>'
    return text


def _row_html(row: ReviewRow, number: int) -> str:
    classes = [row.kind] + (["inverse"] if row.is_inverse else []) + ([f"rule-{row.rule}"] if row.rule else [])
    sentence = f'<p lang="nl">{_e(row.sentence_nl)}</p><p lang="en" class="en">{_e(row.sentence_en)}</p>'
    if row.chain:
        sentence += (f'<div class="chain"><p lang="nl">{_e(row.chain_nl)}</p>'
                     f'<p lang="en" class="en">{_e(row.chain_en)}</p></div>')
    if row.kind == REJECTED and row.location:
        sentence += f'<div class="chain">{_e(row.location)}</div>'
    if row.kind in (ASSERTED, INFERRED, REJECTED) and row.predicate is not None:
        strength = (_bilingual(row.strength.nl, row.strength.en) if row.strength else "")
        tag = row.rule or (ASSERTED_RULE if row.kind == ASSERTED else "")
        if tag:
            strength += f' <span class="tag">{_e(tag)}</span>'
    else:
        strength = f'<span class="tag">{_e(row.kind)}</span>'
    evidence = ""
    if row.quote:
        lang = f' lang="{_e(row.quote_lang)}"' if row.quote_lang else ""
        evidence += f"<blockquote{lang}>{_e(row.quote)}</blockquote>"
    if row.source or row.source_title:
        evidence += f"<cite>{_e(row.source_title or row.source)} <span class=\"curie\">{_e(row.source)}</span></cite>"
    if row.evidence_kind:
        nl, en = row.evidence_kind_label_nl or row.evidence_kind, row.evidence_kind_label_en or row.evidence_kind
        label = _e(nl) if nl == en else f'{_e(nl)} <span lang="en">{_e(en)}</span>'
        evidence += f' <span class="tag kind-{_e(row.evidence_kind)}">{label}</span>'
    return (f'<tr id="{_e(row.row_id)}" class="{_e(" ".join(classes))}">'
            f'<td class="mark"><input type="checkbox" name="{_e(row.row_id)}" aria-label="{_e(row.row_id)}"></td>'
            f'<td class="n">{number}</td><td class="sentence">{sentence}</td><td class="strength">{strength}</td>'
            f'<td class="evidence">{evidence}</td><td class="status">{_status(row)}</td></tr>')


_TABLE_HEAD = ('<thead><tr><th>✓</th><th>#</th><th>zin <span lang="en">sentence</span></th>'
               '<th>sterkte <span lang="en">strength</span></th><th>citaat en bron <span lang="en">quote and source</span></th>'
               '<th>status</th></tr></thead>')


def render_html(rows: Sequence[ReviewRow], title: str = "osteokg") -> str:
    """The review sheet as one self-contained page: no scripts, no external resources, all text escaped."""
    groups = by_entity(rows)
    rejected = [row for row in rows if row.kind == REJECTED]
    numbers = {row.row_id: n for n, row in enumerate(rows, start=1)}
    out = ['<!DOCTYPE html>', '<html lang="nl">', "<head>", '<meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>{_e(title)} — beoordelingsblad / review sheet</title>", f"<style>{_CSS}</style>", "</head>", "<body>",
           f'<h1>{_e(title)}: beoordelingsblad <span lang="en">review sheet</span></h1>',
           '<p>Elke relatie, afgeleid of vastgelegd, elke kwantitatieve uitspraak en elke klinische notitie van de graaf, '
           "als zin in het Nederlands en het Engels, met haar sterkte, citaat en bron. Vink een rij aan die niet klopt "
           'en noteer waarom (of vul de kolommen <code>mark</code> en <code>mark_note</code> in <code>review.tsv</code>).</p>',
           '<p lang="en" class="en">Every edge of the graph, asserted and inferred, every quantitative statement and every '
           "clinical note, as a sentence in Dutch and English with its strength, quote and source. Tick a row that is "
           "wrong and write down why (or fill in the <code>mark</code> and <code>mark_note</code> columns of "
           "<code>review.tsv</code>).</p>",
           f"<p>{_e(summary(rows))}</p>"]
    out.append(_legend(rows))
    out.append('<nav><h2>Inhoud <span lang="en">Contents</span></h2><ol>')
    for group in groups:
        out.append(f'<li><a href="#{_anchor(group.entity.curie)}">{_e(group.entity.nl)}</a> '
                   f'<span lang="en">{_e(group.entity.en)}</span> <span class="curie">{_e(group.entity.curie)}</span> '
                   f"({len(group.rows)})</li>")
    if rejected:
        out.append(f'<li><a href="#rejected">Afgewezen rijen</a> <span lang="en">rejected rows</span> ({len(rejected)})</li>')
    out.append("</ol></nav>")
    for group in groups:
        out.append(f'<section id="{_anchor(group.entity.curie)}"><h2>{_bilingual(group.entity.nl, group.entity.en)} '
                   f'<span class="curie">{_e(group.entity.curie)}</span></h2>')
        out.append(f"<table>{_TABLE_HEAD}<tbody>")
        out += [_row_html(row, numbers[row.row_id]) for row in group.rows]
        out.append("</tbody></table></section>")
    if rejected:
        out.append('<section id="rejected"><h2>Afgewezen door de redactie <span lang="en">Rejected by the editors</span></h2>'
                   "<p>Deze rijen staan in de tabellen maar niet in de graaf; de reden staat bij elke rij. "
                   '<span lang="en">These rows are in the tables but not in the graph; each gives its reason.</span></p>')
        out.append(f"<table>{_TABLE_HEAD}<tbody>")
        out += [_row_html(row, numbers[row.row_id]) for row in rejected]
        out.append("</tbody></table></section>")
    out += ["</body>", "</html>"]
    return "\n".join(out) + "\n"


def _legend(rows: Sequence[ReviewRow]) -> str:
    strengths = sorted({(row.strength_order, row.strength) for row in rows if row.strength is not None},
                       key=lambda item: (item[0] or 99, item[1].curie))
    rules = sorted({row.rule for row in rows if row.kind == INFERRED} | {ASSERTED_RULE},
                   key=lambda r: (list(RULES).index(r) if r in RULES else len(RULES), r))
    out = ['<details open><summary>Legenda <span lang="en">Legend</span></summary><dl class="legend">']
    for _, strength in strengths:
        out.append(f'<dt><span class="tag">{_e(strength.curie)}</span></dt><dd>{_bilingual(strength.nl, strength.en)}</dd>')
    for rule in rules:
        nl, en = RULES.get(rule, (rule, rule))
        out.append(f'<dt><span class="tag">{_e(rule)}</span></dt><dd>{_bilingual(nl, en)}</dd>')
    out.append("</dl><p>Lichtere rijen zijn omgekeerde relaties (<em>inverse</em>): dezelfde bewering, van de andere kant "
               'gelezen. <span lang="en">Lighter rows are inverse edges: the same claim, read from the other end.</span></p>'
               "</details>")
    return "".join(out)


def write_review(rows: Sequence[ReviewRow], out_dir: Path) -> list[Path]:
    """Write ``review.tsv`` and ``review.html`` into ``out_dir`` together and atomically; return their paths."""
    return write_atomically({out_dir / REVIEW_TSV: render_tsv(rows), out_dir / REVIEW_HTML: render_html(rows)})


__all__ = ["ReviewRow", "Step", "Named", "EntityGroup", "review_rows", "rejected_rows", "by_entity", "count_rows",
           "summary", "compose_sentence", "chain_text", "render_tsv", "render_html", "write_review", "TSV_COLUMNS",
           "REVIEW_TSV", "REVIEW_HTML"]
