"""CDS Hooks 2.0 decision support over the graph: discovery, ``patient-view``, ``order-select`` and ``order-sign`` cards.

No Flask here (api/cds.py is the door); everything is asked of a :class:`kg.service.Service`. A FHIR
Coding (system URI + code) is resolved to osteokg entities through the graph's own cross-references
(:data:`SYSTEMS` maps a FHIR system URI to the graph's code namespace), keeping the mapping's
precision (skos exact/close/broad/narrow) and, for ICD, whether only a parent code matched: an exact
match and a broad ICD block are not the same evidence, and every card says which one matched. A
medication is recognised by such a code, else by a graph label or synonym (either language) in the
coding's display or the concept's text; the card says which.

:data:`RULES` is the one table of when to say what; it names graph entities and relations by ID.
Every clinical word on a card comes from the graph — labels, definitions, statements, quotes with
their translation, strengths and sources — in the request's language; the only fixed text is the
small :data:`PHRASES` table of connecting words ("matched", "via"), never a clinical claim.

FHIR resources are parsed with ``fhir.resources`` (R4B models); a request that is not what the
spec's tables say raises :class:`Malformed` (400), an unknown service :class:`NotFound` (404). Missing
required prefetch is read from the request's ``fhirServer`` when the service may read that server (an
allow-list: :class:`kg.service.cds_fetch.Fetcher`); when it may not, or the read fails, the answer is
:class:`PrefetchMissing` (412), per the spec's "unable to retrieve the necessary FHIR data".
:meth:`CDS.answer` gives each card with the rule it came from, for the card store
(:mod:`kg.service.cds_store`) that feedback is checked against.
"""
from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from kg.service.questions import Service

if TYPE_CHECKING:
    from kg.service.cds_fetch import Fetcher
from kg.service.values import NotFound, ServiceError, fold
from kg.vocab import PREFIXES

#: FHIR ``Coding.system`` → the graph's code namespace (a prefix of kg.vocab.PREFIXES). The URIs are
#: FHIR's (hl7.org/fhir/terminologies-systems; ICD-11 MMS per the FHIR terminology ecosystem IG);
#: the graph writes SNOMED CT codes as http://snomed.info/id/<code>, ICD as BioPortal/WHO IRIs.
SYSTEMS: dict[str, str] = {
    "http://snomed.info/sct": "SNOMEDCT",
    "http://hl7.org/fhir/sid/icd-10": "ICD10WHO",
    "http://hl7.org/fhir/sid/icd-10-cm": "ICD10CM",
    "http://id.who.int/icd/release/11/mms": "ICD11",
}
#: code systems whose codes nest by prefix (S72.001A lies within S72): a parent code may match
HIERARCHICAL = {"ICD10WHO", "ICD10CM", "ICD11"}
#: the graph's own code system on cards (topic, suggested orders)
GRAPH_SYSTEM = "https://w3id.org/osteokg"
PRECISION = {"exactMatch": "exact", "closeMatch": "close", "broadMatch": "broad", "narrowMatch": "narrow"}

#: connecting words only (how a match was made); clinical text comes from the graph
PHRASES: dict[str, dict[str, str]] = {
    "en": {"matched": "Matched", "via": "via the parent code", "name": "by the name", "in": "in",
           "precision": "mapping", "quote": "Quote", "translation": "Translation", "source": "Source",
           "order": "Order", "condition": "Condition", "sources": "Sources", "cites": "cites",
           "inferred": "inferred from the claim", "also": "also by the same claim"},
    "nl": {"matched": "Herkend", "via": "via de bovenliggende code", "name": "aan de naam", "in": "in",
           "precision": "koppeling", "quote": "Citaat", "translation": "Vertaling", "source": "Bron",
           "order": "Order", "condition": "Aandoening", "sources": "Bronnen", "cites": "verwijst naar",
           "inferred": "afgeleid uit de bewering", "also": "ook volgens dezelfde bewering"},
}
LANGUAGES = tuple(PHRASES)
#: the CDS Hooks release implemented (2.0.1: 2.0's errata publication) and the hooks' version (each hook
#: definition's hookVersion 1.0); CDS Hooks 3.0 recommends both in discovery, 2.0 clients ignore them
SPEC_VERSION = "2.0.1"
HOOK_VERSION = "1.0"
SUMMARY_MAX = 139  # the spec: "<140-character summary"
OSTEOPOROSIS_TREATMENT = "OSTEOKG:0005002"  # anti-osteoporosis medication
ORDER_HOOKS = ("order-select", "order-sign")
#: the card's override reasons (the spec: each with a display); about the user's choice, not clinical claims
OVERRIDE_SYSTEM = "https://w3id.org/osteokg/cds/override-reasons"
OVERRIDE_REASONS = {
    "en": {"already-addressed": "Already addressed for this patient", "not-applicable": "Not applicable to this patient"},
    "nl": {"already-addressed": "Al behandeld voor deze patiënt", "not-applicable": "Niet van toepassing op deze patiënt"},
}


class Malformed(ServiceError, ValueError):
    """A CDS Hooks request that is not what the spec's tables say (400); the message names the field."""


class PrefetchMissing(ServiceError):
    """Required prefetch absent and no way to fetch it (412)."""


def service(service_id: str) -> dict[str, Any]:
    """The definition of the CDS service ``service_id``, or :class:`NotFound` (404)."""
    definition = SERVICES.get(service_id)
    if definition is None:
        raise NotFound(f"no CDS service '{service_id[:60]}'; see /cds-services", id=service_id[:60])
    return definition


@dataclass(frozen=True)
class Rule:
    """When to give a card: ``triggers`` (entities, their descendants included) found in the patient's
    conditions (patient-view) or the draft orders (order-select: the selected ones; order-sign), and what
    the card shows."""

    id: str
    hooks: tuple[str, ...]
    triggers: tuple[str, ...]
    indicator: str
    #: (subject, relation) pairs whose outgoing edges (with quotes) make the card's body
    edges: tuple[tuple[str, str], ...] = ()
    #: a quantitative statement whose label is the summary and whose quote leads the detail
    statement: str | None = None
    #: entities suggested as orders (ServiceRequest drafts)
    suggest: tuple[str, ...] = ()
    #: no card when the record holds a medication that is (a descendant of) this entity
    unless_treated_with: str | None = None
    #: an edge's object must be (a descendant of) one of these to be shown (empty: every object)
    objects: tuple[str, ...] = ()


#: The rules, in the order their cards are given. IDs: 0000101 fragility fracture, 0000102 hip,
#: 0000103 vertebral, 0000104 wrist fracture; 0007010 the re-fracture statement ("tot vijfmaal in het
#: eerste jaar"); 0006000 fracture liaison service; 0004000 DXA; 0004001 vertebral fracture
#: assessment; 0000100 osteoporosis; 0002003 fall; 0000106 osteonecrosis; 0005002 anti-osteoporosis
#: medication; 0002001 prednisone. Relations: 0009016 treated by, 0009018 prevented or reduced by,
#: 0009006 caused by, 0009011 has adverse effect, 0009007 raises the risk of.
RULES: tuple[Rule, ...] = (
    Rule("refracture-risk", ("patient-view",), ("OSTEOKG:0000101", "OSTEOKG:0000102", "OSTEOKG:0000103", "OSTEOKG:0000104"),
         "warning", edges=(("OSTEOKG:0000101", "OSTEOKG:0009018"),), statement="OSTEOKG:0007010",
         suggest=("OSTEOKG:0006000", "OSTEOKG:0004000", "OSTEOKG:0004001"),
         unless_treated_with=OSTEOPOROSIS_TREATMENT),
    Rule("osteoporosis-treatment", ("patient-view",), ("OSTEOKG:0000100",), "info",
         edges=(("OSTEOKG:0000100", "OSTEOKG:0009016"), ("OSTEOKG:0002003", "OSTEOKG:0009018"))),
    Rule("osteonecrosis-causes", ("patient-view",), ("OSTEOKG:0000106",), "info",
         edges=(("OSTEOKG:0000106", "OSTEOKG:0009006"),),
         objects=("OSTEOKG:0000011", "OSTEOKG:0002001", OSTEOPOROSIS_TREATMENT)),
    Rule("order-osteonecrosis", ORDER_HOOKS, (OSTEOPOROSIS_TREATMENT, "OSTEOKG:0002001"), "warning",
         edges=(("{trigger}", "OSTEOKG:0009007"), ("{trigger}", "OSTEOKG:0009011")),
         objects=("OSTEOKG:0000106",)),
)

#: the services of GET /cds-services; prefetch keys marked required must be given (or fetched)
SERVICES: dict[str, dict[str, Any]] = {
    "osteokg-patient-view": {
        "hook": "patient-view", "title": "osteokg: fractures, osteoporosis and osteonecrosis",
        "description": "Cards from the osteokg knowledge graph for the patient's conditions (SNOMED CT, ICD-10, "
                       "ICD-10-CM, ICD-11): re-fracture risk after a fragility fracture without osteoporosis "
                       "treatment on record, the osteoporosis treatment and fall-prevention picture, and the causes "
                       "of osteonecrosis to check. Every card quotes the graph's sources.",
        "prefetch": {"conditions": "Condition?patient={{context.patientId}}",
                     "medications": "MedicationRequest?patient={{context.patientId}}"},
        "required": ("conditions", "medications"),
        "usageRequirements": "Send the prefetch (conditions, medication requests), or a fhirServer this service "
                             "is registered to read (with fhirAuthorization); otherwise 412. Cards in Dutch or "
                             "English (Accept-Language).",
    },
    "osteokg-order-select": {
        "hook": "order-select", "title": "osteokg: osteonecrosis with anti-osteoporosis medication and prednisone",
        "description": "While orders are chosen: for the selected draft MedicationRequests for anti-osteoporosis "
                       "medication or prednisone, what the osteokg knowledge graph says of osteonecrosis (of the "
                       "jaw), with its quotes.",
        "prefetch": {},
        "required": (),
        "usageRequirements": "context.selections names the selected orders among context.draftOrders (a FHIR R4 "
                             "Bundle); recognition as for osteokg-order-sign.",
    },
    "osteokg-order-sign": {
        "hook": "order-sign", "title": "osteokg: osteonecrosis with anti-osteoporosis medication and prednisone",
        "description": "Warns on draft MedicationRequests for anti-osteoporosis medication or prednisone with what "
                       "the osteokg knowledge graph says of osteonecrosis (of the jaw), with its quotes.",
        "prefetch": {},
        "required": (),
        "usageRequirements": "The draft orders travel in context.draftOrders (a FHIR R4 Bundle). Medications are "
                             "recognised by SNOMED CT code where the graph maps it, else by the ingredient's name "
                             "(Dutch or English) in the coding's display or the text.",
    },
}


@dataclass
class Match:
    """One way a coded or named concept reached a graph entity."""

    entity: str  # CURIE
    how: str  # "code" or "name"
    given: str  # what the request said: "system|code", or the text the name was found in
    code: str | None = None  # the graph's code CURIE that matched
    precision: str | None = None  # exact, close, broad, narrow (codes only)
    parent: bool = False  # matched only a parent code (ICD)
    name: str | None = None  # the label or synonym found (names only)


@dataclass
class Finding:
    """A resource of the request (Condition, MedicationRequest) and the graph entities it reached."""

    resource: str  # "Condition/123"
    text: str
    matches: list[Match] = field(default_factory=list)


# ------------------------------------------------------------------ FHIR parsing


def _parse(kind: str, data: Any, where: str) -> Any:
    """A FHIR R4B resource of ``kind`` (fhir.resources), or Malformed naming ``where``."""
    from fhir.resources.R4B import get_fhir_model_class

    if not isinstance(data, dict):
        raise Malformed(f"{where}: expected a FHIR resource (a JSON object)")
    if data.get("resourceType") != kind:
        raise Malformed(f"{where}: expected resourceType '{kind}', got {str(data.get('resourceType'))[:40]!r}")
    try:
        return get_fhir_model_class(kind).model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        location = ".".join(str(part) for part in first.get("loc", ()))
        raise Malformed(f"{where}: not a valid FHIR R4 {kind} ({location}: {first.get('msg', '')[:120]})") from None
    except (KeyError, TypeError, ValueError, AttributeError):  # fhir.resources' own lookups: an unknown resourceType inside
        raise Malformed(f"{where}: not a valid FHIR R4 {kind} (a resource of an unknown or misspelt type, or a "
                        f"value of the wrong kind)") from None


def _resources(value: Any, where: str, kinds: set[str], bundle_only: bool = False) -> list[Any]:
    """The resources of the kinds wanted in a prefetch value or draft orders: a Bundle's entries, or one
    resource. Only the resources of those kinds are validated (strictly, as FHIR R4B); an entry of another
    kind must name a FHIR resource type but is otherwise not read — the spec's own order-sign example
    carries a NutritionOrder without its required ``intent`` and a Bundle without ``type``."""
    if not isinstance(value, dict):
        raise Malformed(f"{where}: expected a FHIR Bundle{'' if bundle_only else ' or resource'}")
    if value.get("resourceType") != "Bundle":
        if bundle_only:
            raise Malformed(f"{where}: expected resourceType 'Bundle', got {str(value.get('resourceType'))[:40]!r}")
        kind = value.get("resourceType")
        return [_parse(kind, _read_part(value), where)] if kind in kinds else []
    entries = value.get("entry") or []
    if not isinstance(entries, list):
        raise Malformed(f"{where}.entry: expected an array")
    found = []
    for index, entry in enumerate(entries):
        at = f"{where}.entry[{index}]"
        if not isinstance(entry, dict):
            raise Malformed(f"{at}: expected an object")
        resource = entry.get("resource")
        if resource is None:
            continue
        if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
            raise Malformed(f"{at}.resource: expected a FHIR resource (an object with a resourceType)")
        kind = resource["resourceType"]
        if kind in kinds:
            found.append(_parse(kind, _read_part(resource), f"{at}.resource"))
        elif not _known(kind):
            raise Malformed(f"{at}.resource: {kind[:40]!r} is not a FHIR R4 resource type")
    return found


#: the elements of each resource type the cards read (with those FHIR R4 requires): only these are
#: validated. Decision support must not fall silent over an element it never reads — the spec's own
#: "R4" order-sign example writes Dosage.doseQuantity as STU3 did, which R4 moved into doseAndRate
READ: dict[str, tuple[str, ...]] = {
    "Condition": ("id", "code", "verificationStatus", "subject"),
    "MedicationRequest": ("id", "status", "intent", "subject", "medicationCodeableConcept", "medicationReference",
                          "contained"),
    "MedicationStatement": ("id", "status", "subject", "medicationCodeableConcept", "medicationReference", "contained"),
    "Medication": ("id", "code"),
}


def _read_part(resource: dict) -> dict:
    """``resource`` with only the elements :data:`READ` names (its contained Medications likewise)."""
    keep = READ.get(resource.get("resourceType", ""))
    if keep is None:
        return resource
    part = {k: v for k, v in resource.items() if k == "resourceType" or k in keep}
    if isinstance(part.get("contained"), list):
        part["contained"] = [_read_part(c) for c in part["contained"]
                             if isinstance(c, dict) and c.get("resourceType") == "Medication"]
    return part


def _known(kind: str) -> bool:
    from fhir.resources.R4B import get_fhir_model_class

    try:
        get_fhir_model_class(kind)
    except (KeyError, ValueError, AttributeError, ImportError):
        return False
    return True


# ------------------------------------------------------------------ the logic


class CDS:
    """The CDS Hooks services over one :class:`Service` (one release)."""

    def __init__(self, service: Service, fetcher: Fetcher | None = None) -> None:
        self.service = service
        #: reads missing prefetch from an allowed fhirServer (None: never; 412)
        self.fetcher = fetcher

    # ---------------------------------------------- discovery

    def discovery(self) -> dict:
        """GET /cds-services: the spec's fields, with 3.0's ``version`` (of CDS Hooks) and ``hookVersion``,
        which 2.0 clients ignore."""
        return {"services": [{"hook": s["hook"], "title": s["title"], "description": s["description"], "id": id,
                              "prefetch": s["prefetch"], "usageRequirements": s["usageRequirements"],
                              "version": SPEC_VERSION, "hookVersion": HOOK_VERSION}
                             for id, s in SERVICES.items()]}

    # ---------------------------------------------- resolution

    def _label(self, curie: str, lang: str) -> str:
        return self.service.ref(self.service.resolve(curie).iri, lang)["label"]

    def _within(self, curie: str) -> set[str]:
        """The entity and its descendants (CURIEs)."""
        return {curie, *(item["id"] for item in self.service.descendants(curie, limit=None).items)}

    def _upward(self, curie: str) -> set[str]:
        """The entity and its ancestors (CURIEs)."""
        return {curie, *(item["id"] for item in self.service.ancestors(curie, limit=None).items)}

    def resolve_coding(self, system: str | None, code: str | None) -> list[Match]:
        """The entities a FHIR Coding maps to through the graph's cross-references, best first: the code
        itself, else (ICD) its nearest parent code that the graph maps."""
        prefix = SYSTEMS.get(system or "")
        if prefix is None or not code:
            return []
        namespace = PREFIXES[prefix]
        candidates = [code.strip()]
        if prefix in HIERARCHICAL:
            stem = code.strip()
            while "." in stem:  # S72.001A → S72.001 → … → S72.0 → S72
                stem = stem[:-1].rstrip(".")
                candidates.append(stem)
        for depth, candidate in enumerate(candidates):
            mapped = self.service.release.by_code.get(namespace + candidate)
            if mapped:
                return [Match(self.service.ref(entity, "en")["id"], "code", f"{system}|{code}", f"{prefix}:{candidate}",
                              PRECISION.get(match, match), depth > 0)
                        for entity, match in sorted(mapped, key=lambda m: (m[1] != "exactMatch", m[0]))]
        return []

    def resolve_name(self, text: str, within: Iterable[str]) -> list[Match]:
        """The entities of ``within`` whose label or synonym (either language) appears as words in ``text``."""
        folded = f" {re.sub(r'[^0-9a-z]+', ' ', fold(text))} "
        found = []
        for curie in sorted(set(within)):
            entry = self.service.release.entries.get(self.service.resolve(curie).iri)
            if entry is None:
                continue
            names = [*entry.labels.values(), *(t for f, _lang, t in entry.synonyms if "exact" in f)]
            for name in sorted(set(names), key=len, reverse=True):
                words = re.sub(r"[^0-9a-z]+", " ", fold(name)).strip()
                if words and f" {words} " in folded:
                    found.append(Match(curie, "name", text, name=name))
                    break
        return found

    def _concept(self, concept: Any, within: set[str]) -> tuple[str, list[Match]]:
        """A CodeableConcept's text and the entities it reaches: codes first, names where no code matched."""
        if concept is None:
            return "", []
        texts = [concept.text or ""] + [c.display or "" for c in concept.coding or []]
        matches = [m for c in concept.coding or [] for m in self.resolve_coding(c.system, c.code)]
        if not any(m.entity in within for m in matches):
            matches += [m for t in texts if t for m in self.resolve_name(t, within)]
        shown = next((t for t in texts if t), "") or next((f"{c.system}|{c.code}" for c in concept.coding or []), "")
        return shown, matches

    def _medication_entities(self) -> set[str]:
        """Every medication a rule names, with its descendants (the drug classes' members once imported)."""
        wanted = {r.unless_treated_with for r in RULES if r.unless_treated_with}
        wanted |= {t for r in RULES if set(r.hooks) & set(ORDER_HOOKS) for t in r.triggers}
        return {c for w in wanted for c in self._within(w)}

    def _medication(self, request: Any, contained: dict[str, Any]) -> tuple[str, list[Match]]:
        concept = getattr(request, "medicationCodeableConcept", None)
        reference = getattr(request, "medicationReference", None)
        if concept is None and reference is not None and (reference.reference or "").startswith("#"):
            medication = contained.get(reference.reference[1:])
            concept = getattr(medication, "code", None)
        return self._concept(concept, self._medication_entities())

    # ---------------------------------------------- the hooks

    def call(self, service_id: str, body: Any, lang: str) -> dict:
        """The response (``{"cards": [...]}``) to a CDS Hooks request ``body`` for service ``service_id``."""
        return {"cards": [card for _rule, card in self.answer(service_id, body, lang)]}

    def answer(self, service_id: str, body: Any, lang: str) -> list[tuple[str, dict]]:
        """The cards for a CDS Hooks request, each with the ID of the rule that gave it (for the card store)."""
        definition = service(service_id)
        lang = lang if lang in LANGUAGES else "en"
        request = _check_request(body, definition)
        if definition["hook"] == "patient-view":
            return self._patient_view(request, definition, lang)
        return self._orders(request, definition["hook"], lang)

    def _prefetch(self, request: dict, definition: dict) -> dict:
        """The request's prefetch, with each required key it lacks read from its fhirServer when this service
        may read that server (:class:`kg.service.cds_fetch.Fetcher`), else :class:`PrefetchMissing`."""
        prefetch = dict(request.get("prefetch") or {})
        missing = [k for k in definition["required"] if prefetch.get(k) is None]
        if not missing:
            return prefetch
        server = request.get("fhirServer")
        if not server:
            raise PrefetchMissing(f"prefetch {', '.join(missing)} missing and no fhirServer given")
        if self.fetcher is None or not self.fetcher.allows(server):
            raise PrefetchMissing(f"prefetch {', '.join(missing)} missing, and the fhirServer is not one this "
                                  f"service may read (OSTEOKG_CDS_FHIR_SERVERS)")
        from kg.service.cds_fetch import FetchFailed, render

        try:
            for key in missing:
                query = render(definition["prefetch"][key], request["context"])
                prefetch[key] = self.fetcher.read(server, query, request.get("fhirAuthorization"))
        except FetchFailed as error:
            raise PrefetchMissing(f"prefetch {key} missing and reading it from the fhirServer failed: {error}") from None
        return prefetch

    def _patient_view(self, request: dict, definition: dict, lang: str) -> list[tuple[str, dict]]:
        prefetch = self._prefetch(request, definition)
        patient = request["context"]["patientId"]
        conditions = []
        for resource in _resources(prefetch["conditions"], "prefetch.conditions", {"Condition"}):
            if _refuted(resource):
                continue
            text, matches = self._concept(resource.code, set())
            conditions.append(Finding(f"Condition/{resource.id}", text, matches))
        treated = []
        medications = self._medication_entities()
        for resource in _resources(prefetch["medications"], "prefetch.medications",
                                   {"MedicationRequest", "MedicationStatement"}):
            if (resource.status or "") in {"entered-in-error", "cancelled"}:
                continue
            contained = {c.id: c for c in resource.contained or [] if c.id}
            text, matches = self._medication(resource, contained)
            treated.append(Finding(f"{resource.get_resource_type()}/{resource.id}", text,
                                   [m for m in matches if m.entity in medications]))
        cards = []
        for rule in (r for r in RULES if "patient-view" in r.hooks):
            hit = self._first_hit(rule, conditions)
            if hit is None:
                continue
            if rule.unless_treated_with:
                treatment = self._within(rule.unless_treated_with)
                if any(m.entity in treatment for f in treated for m in f.matches):
                    continue
            cards.append((rule.id, self._card(rule, hit, lang, patient)))
        return cards

    def _orders(self, request: dict, hook: str, lang: str) -> list[tuple[str, dict]]:
        """order-sign: every draft MedicationRequest; order-select: the selected ones (``context.selections``)."""
        drafts = _resources(request["context"]["draftOrders"], "context.draftOrders", {"MedicationRequest"}, True)
        selected = set(request["context"].get("selections") or []) if hook == "order-select" else None
        medications = self._medication_entities()
        orders = []
        for resource in drafts:
            if selected is not None and f"MedicationRequest/{resource.id}" not in selected:
                continue
            contained = {c.id: c for c in resource.contained or [] if c.id}
            text, matches = self._medication(resource, contained)
            orders.append(Finding(f"MedicationRequest/{resource.id}", text, [m for m in matches if m.entity in medications]))
        cards = []
        for rule in (r for r in RULES if hook in r.hooks):
            for finding in orders:
                hit = self._first_hit(rule, [finding])
                if hit is not None:
                    cards.append((rule.id, self._card(rule, hit, lang, request["context"].get("patientId"))))
        return cards

    def _first_hit(self, rule: Rule, findings: list[Finding]) -> tuple[str, Finding, Match] | None:
        """The rule's trigger a finding reaches (the finding's entity or one of its ancestors), best match first."""
        triggers = set(rule.triggers)
        best = None
        for finding in findings:
            for match in finding.matches:
                reached = self._upward(match.entity) & triggers
                if not reached:
                    continue
                rank = (match.how != "code", match.parent, match.precision != "exact")
                # the most specific trigger reached: the one with most ancestors
                trigger = max(reached, key=lambda t: (len(self._upward(t)), t))
                if best is None or rank < best[0]:
                    best = (rank, (trigger, finding, match))
        return best[1] if best else None

    # ---------------------------------------------- cards

    def _card(self, rule: Rule, hit: tuple[str, Finding, Match], lang: str, patient: str | None) -> dict:
        trigger, finding, match = hit
        say = PHRASES[lang]
        entity = self.service.ref(self.service.resolve(match.entity).iri, lang)
        trigger_ref = self.service.ref(self.service.resolve(trigger).iri, lang)
        lines = [(f"**{say['condition'] if 'patient-view' in rule.hooks else say['order']}:** "
                  f"{_md(finding.text or finding.resource)} — {say['matched']} {self._how(match, entity, lang)}")]
        summary = None
        sources: list[dict] = []
        if rule.statement:
            statement = self._statement(rule.statement, lang)
            if statement is not None:
                summary = statement["label"]
                lines += ["", f"**{_md(statement['label'])}**", "", _md(statement.get("definition") or ""), ""]
                lines += _quote_lines(statement.get("evidence") or {}, lang, say)
                sources.append((statement.get("evidence") or {}).get("source") or {})
        edges = self._edges_of(rule, [match.entity, trigger] if match.entity != trigger else [trigger], lang)
        edge_lines, picked = self._edge_lines(edges, lang, say)
        lines += edge_lines
        if summary is None:
            summary = _summary(picked) or trigger_ref["label"]
        sources += [evidence["source"] for _s, _p, _e, evidence in edges if evidence.get("source")]
        sources = [dict(t) for t in dict.fromkeys(tuple(sorted(x.items())) for x in sources if x)]
        cited = self._cited(sources, lang)
        lines += self._source_lines(sources, cited, lang, say)
        card: dict[str, Any] = {
            "uuid": str(uuid.uuid4()),
            "summary": _clip(summary),
            "indicator": rule.indicator,
            "detail": "\n".join(lines).strip(),
            # the entity the patient's condition or the order reached (the trigger or one below it): its page
            "source": {"label": _clip((sources[0].get("label") if sources else None) or entity["label"]),
                       "url": entity["iri"],
                       "topic": {"system": GRAPH_SYSTEM, "code": entity["id"], "display": entity["label"]}},
            "links": self._links(entity, [trigger_ref, *sources, *(c for _s, c in cited)]),
        }
        if rule.indicator != "info":
            card["overrideReasons"] = [{"system": OVERRIDE_SYSTEM, "code": code, "display": display}
                                       for code, display in OVERRIDE_REASONS[lang].items()]
        suggestions = [self._suggestion(curie, lang, patient) for curie in rule.suggest]
        if suggestions:
            card["suggestions"] = suggestions
            card["selectionBehavior"] = "any"
        return card

    def _how(self, match: Match, entity: dict, lang: str) -> str:
        say = PHRASES[lang]
        label = f"[{_md(entity['label'])}]({entity['iri']})"
        if match.how == "name":
            return f"{label} {say['name']} “{_md(match.name or '')}”"
        via = f" {say['via']} {match.code}" if match.parent else f" {match.code}"
        return f"{label}{via} ({say['precision']}: skos:{match.precision}Match)"

    def _statement(self, curie: str, lang: str) -> dict | None:
        about = self.service.statements(lang, "any", limit=None)
        return next((s for s in about.items if s["id"] == curie), None)

    def _edges_of(self, rule: Rule, reached: list[str], lang: str) -> list[tuple[str, str, dict, dict]]:
        """(subject label, predicate label, edge, first evidence) of the rule's edges, filtered by ``objects``;
        ``{trigger}`` stands for the entity reached (an ordered substance) and the rule's trigger above it."""
        allowed = {c for o in rule.objects for c in self._within(o)} if rule.objects else None
        found = []
        pairs = [(s, p) for s in reached for subject, p in rule.edges if subject in ("{trigger}", s)]
        pairs += [(subject, p) for subject, p in rule.edges if subject != "{trigger}"]
        for subject, predicate in sorted(set(pairs), key=pairs.index):
            for edge in self.service.relations(subject, lang, "out", predicate).items:
                if allowed is not None and edge["object"]["id"] not in allowed:
                    continue
                evidence: dict = next(iter(edge.get("evidence") or []), {})
                found.append((edge["subject"]["label"], edge["predicate"]["label"], edge, evidence))
        return found

    def _edge_lines(self, edges: list[tuple[str, str, dict, dict]], lang: str,
                    say: dict) -> tuple[list[str], list[tuple[str, str, list[str]]]]:
        """The edges as Markdown (grouped by subject and relation, each object with its strength and quote)
        and the (subject, relation, objects) groups the summary names.

        One claim is shown once: a concluded edge whose object lies below the object of an edge already
        shown in its group, resting on the same quote (the claim about fracture, concluded for each kind of
        fracture), follows that edge as one "also by the same claim" line, and the summary names the
        upper one only; edges on other objects (calcium beside vitamin D, from one sentence) stay apart. The claim an edge is concluded from is named when it is another
        entity's claim, not when it is the same statement read the other way round."""
        lines: list[str | list[str]] = []
        picked: dict[tuple[str, str], list[str]] = {}
        same: dict[tuple[str, str, str | None, str], list[str]] = {}
        groups = list(dict.fromkeys((s, p) for s, p, _e, _v in edges))
        # within a group, stated edges first, then upper objects first (stable): a concluded edge follows its claim's
        edges = sorted(edges, key=lambda e: (groups.index((e[0], e[1])), bool(e[2].get("inferred")),
                                             len(self._upward(e[2]["object"]["id"]))))
        for subject, predicate, edge, evidence in edges:
            if (subject, predicate) not in picked:
                picked[(subject, predicate)] = []
                lines += ["", f"**{_md(subject)} — {_md(predicate)}:**"]
            target = edge["object"]
            strength = (edge.get("strength") or {}).get("label")
            named = f"[{_md(target['label'])}]({target['iri']})" + (f" ({_md(strength)})" if strength else "")
            quote = evidence.get("quote")
            above = self._upward(target["id"]) - {target["id"]} if quote and edge.get("inferred") else set()
            under = next((c for c in same if c[:3] == (subject, predicate, quote) and c[3] in above), None)
            if under is not None:
                same[under].append(named)
                continue
            claim = (subject, predicate, quote, target["id"])
            same[claim] = []
            # the summary names each object with how firmly the source says it ("osteonecrosis (can)")
            picked[(subject, predicate)].append(f"{target['label']} ({strength})" if strength else target["label"])
            lines.append(f"- {named}")
            premise = evidence.get("premise") or {}
            inverse = (premise.get("subject", {}).get("id") == target.get("id")
                       and premise.get("object", {}).get("id") == edge["subject"].get("id"))
            if premise.get("subject") and not inverse:  # an inherited claim: say whose claim the quote makes
                lines.append(f"  - {say['inferred']}: [{_md(premise['subject']['label'])}]({premise['subject']['iri']}) "
                             f"{_md(premise['predicate']['label'])} {_md(premise['object']['label'])}")
            lines += ["  " + line for line in _quote_lines(evidence, lang, say)]
            lines.append(same[claim])  # this claim's "also" line, once every edge is placed
        shown = [line if isinstance(line, str) else f"  - {say['also']}: {', '.join(line)}"
                 for line in lines if isinstance(line, str) or line]
        return shown, [(s, p, objects) for (s, p), objects in picked.items()]

    def _cited(self, sources: list[dict], lang: str) -> list[tuple[str, dict]]:
        """(source id, the work it cites) for each source whose record names works it references
        (dcterms:references: the CBG notice the Medicinfo page cites)."""
        found = []
        for source in sources:
            if not source.get("id", "").startswith("OSTEOKG:"):
                continue
            references = self.service.entity(source["id"], lang).get("annotations", {}).get("dcterms:references")
            for reference in references if isinstance(references, list) else [references] if references else []:
                if isinstance(reference, dict) and reference.get("id"):
                    found.append((source["id"], self.service.ref(self.service.resolve(reference["id"]).iri, lang)))
        return found

    @staticmethod
    def _source_lines(sources: list[dict], cited: list[tuple[str, dict]], lang: str, say: dict) -> list[str]:
        lines = ["", f"**{say['sources']}:**"] if sources else []
        for source in sources:
            lines.append(f"- [{_md(source.get('label', ''))}]({source.get('iri', '')})")
            lines += [f"  - {say['cites']} [{_md(work['label'])}]({work['iri']})" for by, work in cited if by == source.get("id")]
        return lines

    def _links(self, trigger: dict, sources: list[dict]) -> list[dict]:
        links = [{"label": trigger["label"], "url": trigger["iri"], "type": "absolute"}]
        for source in sources:
            if source and source.get("iri", "").startswith("http") and all(source["iri"] != l["url"] for l in links):
                links.append({"label": source["label"], "url": source["iri"], "type": "absolute"})
        return links

    def _suggestion(self, curie: str, lang: str, patient: str | None) -> dict:
        ref = self.service.ref(self.service.resolve(curie).iri, lang)
        resource: dict[str, Any] = {"resourceType": "ServiceRequest", "status": "draft", "intent": "proposal",
                                    "code": {"coding": [{"system": GRAPH_SYSTEM, "code": ref["id"], "display": ref["label"]}],
                                             "text": ref["label"]},
                                    "subject": {"reference": f"Patient/{patient}"}}
        _parse("ServiceRequest", resource, "suggestion")  # what we propose is a valid R4 resource
        return {"label": _clip(ref["label"]), "uuid": str(uuid.uuid4()),
                "actions": [{"type": "create", "description": ref["label"], "resource": resource}]}


def _refuted(condition: Any) -> bool:
    status = condition.verificationStatus
    codes = {c.code for c in (status.coding or [])} if status is not None else set()
    return bool(codes & {"refuted", "entered-in-error"})


def _quote_lines(evidence: dict, lang: str, say: dict) -> list[str]:
    """The evidence's quote (and its translation when the quote is in another language) as Markdown."""
    quote = evidence.get("quote")
    if not quote:
        return []
    lines = [f"> “{_md(quote)}”"]
    translation = evidence.get("translation") or {}
    if translation.get("text") and translation.get("lang") == lang and evidence.get("quote_lang", lang) != lang:
        lines.append(f"> ({say['translation']}: {_md(translation['text'])})")
    source = evidence.get("source") or {}
    if source.get("label"):
        lines.append(f"> — {say['source']}: [{_md(source['label'])}]({source.get('iri', '')})")
    return lines


def _md(text: str) -> str:
    """Text from the graph or the request, safe inside Markdown (no links, emphasis or HTML of its own)."""
    return re.sub(r"([\\`*_\[\]<>#|])", r"\\\1", text or "").replace("\n", " ")


def _summary(picked: list[tuple[str, str, list[str]]]) -> str:
    """'subject: relation a, b; relation c; other subject: …' from the edges' labels."""
    by_subject: dict[str, list[str]] = {}
    for subject, predicate, objects in picked:
        by_subject.setdefault(subject, []).append(f"{predicate} {', '.join(objects)}")
    return "; ".join(f"{subject}: {'; '.join(parts)}" for subject, parts in by_subject.items())


def _clip(text: str) -> str:
    return text if len(text) <= SUMMARY_MAX else text[:SUMMARY_MAX - 1].rstrip() + "…"


def _check_request(body: Any, definition: dict) -> dict:
    """The request's fields per the spec's table (hook, hookInstance, context, prefetch, fhirServer)."""
    if not isinstance(body, dict):
        raise Malformed("the request body must be a JSON object")
    for name, kind in (("hook", str), ("hookInstance", str), ("context", dict)):
        if not isinstance(body.get(name), kind):
            raise Malformed(f"'{name}' is required and must be a {'string' if kind is str else 'object'}")
    if body["hook"] != definition["hook"]:
        raise Malformed(f"this service answers the hook '{definition['hook']}', not '{body['hook'][:40]}'")
    if "prefetch" in body and body["prefetch"] is not None and not isinstance(body["prefetch"], dict):
        raise Malformed("'prefetch' must be an object")
    if "fhirServer" in body and not isinstance(body["fhirServer"], str):
        raise Malformed("'fhirServer' must be a URL string")
    if "fhirAuthorization" in body and "fhirServer" not in body:
        raise Malformed("'fhirServer' is required when 'fhirAuthorization' is given")
    context = body["context"]
    if not isinstance(context.get("userId"), str):
        raise Malformed("context.userId is required (a string)")
    if not isinstance(context.get("patientId"), str):
        raise Malformed("context.patientId is required (a string)")
    if definition["hook"] in ORDER_HOOKS and not isinstance(context.get("draftOrders"), dict):
        raise Malformed("context.draftOrders is required (a FHIR Bundle)")
    if definition["hook"] == "order-select":
        selections = context.get("selections")
        if not isinstance(selections, list) or not selections or not all(isinstance(s, str) for s in selections):
            raise Malformed("context.selections is required (a non-empty array of references such as "
                            "'MedicationRequest/123')")
    return body
