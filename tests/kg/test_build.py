"""The whole build: artefacts written only after every check, atomically, and readable back."""
from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import BNode, Graph

from kg.build import ARTEFACTS, Built, ReleaseError, ValidationFailed, build, remove_stale, verify, write
from kg.compose import SourceError
from kg.reason import ReasoningError
from kg.tables import TableError


@pytest.fixture(scope="module")
def build_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("build") / "build"
    build(out_dir=out)
    return out


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def ground_and_shape(graph: Graph) -> tuple[set, int]:
    """The triples without blank nodes, and how many have one (a full isomorphism test over
    hundreds of evidence blank nodes takes minutes; this catches any lost or altered triple)."""
    ground = {t for t in graph if not any(isinstance(term, BNode) for term in t)}
    return ground, len(graph) - len(ground)


def test_writes_every_artefact_and_they_hold_the_same_graph(build_dir: Path) -> None:
    reference = Graph().parse(build_dir / "osteokg.nt", format="nt")
    assert len(reference) > 5000
    expected = ground_and_shape(reference)
    for name, fmt in ARTEFACTS.items():
        graph = Graph().parse(build_dir / name, format="xml" if fmt == "xml" else fmt)
        assert ground_and_shape(graph) == expected, name


def test_manifest_records_version_hash_and_counts(build_dir: Path) -> None:
    manifest = json.loads((build_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["version_iri"].startswith("https://w3id.org/osteokg/releases/")
    assert len(manifest["graph_sha256"]) == 64
    counts = manifest["counts"]
    assert counts["asserted_edges"] == sum(counts["asserted_edges_by_strength"].values()) >= 68
    assert counts["quantitative_statements"] == 14 and counts["rejected_rows"] == 0
    assert set(counts["inferred_edges_by_rule"]) <= {"definition", "subclass", "superclass-target", "subproperty",
                                                     "part-of", "inverse"}
    assert {"review.html", "review.tsv"} <= set(manifest["artefacts"])  # the clinician's sheet is in every release
    locations = json.loads((build_dir / "locations.json").read_text(encoding="utf-8"))
    assert locations["https://w3id.org/osteokg/OSTEOKG_0000106"].endswith("terms/disorders.tsv:10")


def test_owl_artefact_loads_in_owlready2_and_is_consistent_under_hermit(build_dir: Path) -> None:
    import owlready2

    world = owlready2.World()
    ontology = world.get_ontology((build_dir / "osteokg.owl").as_uri()).load()
    with ontology:
        owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
    assert [c for c in world.inconsistent_classes() if c is not owlready2.Nothing] == []
    assert ontology.search_one(iri="*OSTEOKG_0000106").label.en == ["osteonecrosis"]
    world.close()


def test_a_failed_build_leaves_the_previous_artefacts_untouched(build_dir: Path, ontology_copy: Path) -> None:
    before = snapshot(build_dir)
    with (ontology_copy / "relations.tsv").open("a", encoding="utf-8") as handle:
        handle.write("osteoporsis\ttreats\tbone\tOSTEOKG:0008001\ta quote of the text\n")
    with pytest.raises(TableError):
        build(ontology_copy, build_dir)
    assert snapshot(build_dir) == before
    assert not [p for p in build_dir.parent.iterdir() if p.name.startswith(".build-")]


def test_a_build_that_fails_validation_writes_nothing(build_dir: Path, ontology_copy: Path) -> None:
    before = snapshot(build_dir)
    path = ontology_copy / "statements.tsv"
    path.write_text(path.read_text(encoding="utf-8").replace("\t0.3333\t", "\t3.5\t", 1), encoding="utf-8")
    with pytest.raises(ValidationFailed) as caught:
        build(ontology_copy, build_dir)
    assert not caught.value.report.conforms
    assert snapshot(build_dir) == before


def test_reasoning_errors_and_syntax_errors_stop_the_build(build_dir: Path, ontology_copy: Path) -> None:
    before = snapshot(build_dir)
    anatomy = ontology_copy / "terms" / "anatomy.tsv"
    anatomy.write_text(anatomy.read_text(encoding="utf-8").replace("\tthigh bone\tdijbeenbot", "\tthigh bone\tdijbeenbot", 1)
                       .replace("The thigh bone, the long bone between hip and knee.\tHet dijbeenbot, het lange bot tussen heup en knie.\tbone",
                                "The thigh bone, the long bone between hip and knee.\tHet dijbeenbot, het lange bot tussen heup en knie.\tbone|disorder"),
                       encoding="utf-8")
    with pytest.raises(ReasoningError, match="femur"):
        build(ontology_copy, build_dir)
    schema = ontology_copy / "osteokg-schema.ttl"
    schema.write_text(schema.read_text(encoding="utf-8") + "\nthis is not turtle\n", encoding="utf-8")
    with pytest.raises(SourceError, match="osteokg-schema.ttl, line"):
        build(ontology_copy, build_dir)
    assert snapshot(build_dir) == before


def test_a_qc_error_fails_the_build_and_writes_nothing(build_dir: Path, ontology_copy: Path) -> None:
    from kg.build import QCFailed

    before = snapshot(build_dir)
    schema = ontology_copy / "osteokg-schema.ttl"
    # deprecating a term without naming its replacement passes SHACL but is a QC error
    schema.write_text(schema.read_text(encoding="utf-8") + "\nOSTEOKG:0000011 owl:deprecated true .\n", encoding="utf-8")
    with pytest.raises(QCFailed) as caught:
        build(ontology_copy, build_dir)
    assert caught.value.report.errors >= 1
    assert snapshot(build_dir) == before


def siblings(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.parent.iterdir() if p.name != folder.name)


def test_a_full_disk_names_the_file_and_leaves_the_build_untouched(build_dir: Path, built: Built, monkeypatch) -> None:
    before, around = snapshot(build_dir), siblings(build_dir)
    serialize = Graph.serialize

    def full_disk(self, destination=None, *args, **kwargs):
        if isinstance(destination, Path) and destination.name == "osteokg.nt":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))  # as write() raises it: no file named
        return serialize(self, destination, *args, **kwargs)

    monkeypatch.setattr(Graph, "serialize", full_disk)
    with pytest.raises(ReleaseError) as caught:
        write(built, build_dir)
    assert str(caught.value).startswith(f"{build_dir / 'osteokg.nt'}: cannot write: No space left on device")
    assert caught.value.path == str(build_dir / "osteokg.nt")
    assert snapshot(build_dir) == before and siblings(build_dir) == around


def test_a_full_disk_in_an_export_names_that_file(build_dir: Path, built: Built, monkeypatch) -> None:
    import kg.files

    before = snapshot(build_dir)
    fdopen = os.fdopen

    class Full:
        def __init__(self, handle) -> None:
            self.handle = handle

        def __enter__(self):
            return self

        def __exit__(self, *exc) -> None:
            self.handle.close()

        def write(self, text: str) -> int:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(kg.files.os, "fdopen", lambda fd, *a, **k: Full(fdopen(fd, *a, **k)))
    with pytest.raises(ReleaseError, match="No space left on device") as caught:
        write(built, build_dir)
    assert caught.value.path == str(build_dir / "osteokg.sssom.tsv")
    assert snapshot(build_dir) == before and not [p for p in build_dir.parent.iterdir() if p.name.startswith(".build-")]


def test_a_failed_swap_puts_the_previous_build_back(build_dir: Path, built: Built, tmp_path: Path, monkeypatch) -> None:
    """A first build over a folder of the old flat layout swaps the whole folder: refused, the old one stays."""
    import shutil

    flat = tmp_path / "build"
    shutil.copytree(build_dir / "current", flat)  # one release's files, no pointer: the old layout
    before, around = snapshot(flat), siblings(flat)
    rename = Path.rename

    def refuse(self, target):
        if Path(target) == flat.resolve() and self.name.startswith(".build-new-"):
            raise OSError(errno.EIO, "simulated")
        return rename(self, target)

    monkeypatch.setattr(Path, "rename", refuse)
    with pytest.raises(OSError, match="simulated"):
        write(built, flat)
    assert snapshot(flat) == before and siblings(flat) == around


def test_a_failed_pointer_switch_changes_nothing_served(build_dir: Path, built: Built, monkeypatch) -> None:
    """Over a release root the new release is added beside the others; if ``current`` cannot be switched,
    it still names the release it named, and no temporary pointer is left."""
    from kg.releases import release_dir

    served = release_dir(build_dir)
    replace = os.replace

    def refuse(source, target, *args, **kwargs):
        if Path(target).name == "current":
            raise OSError(errno.EIO, "simulated")
        return replace(source, target, *args, **kwargs)

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError, match="simulated"):
        write(built, build_dir)
    assert release_dir(build_dir) == served
    assert not [p.name for p in build_dir.iterdir() if p.name.startswith(".")]
    assert not [p.name for p in (build_dir / "releases").iterdir() if p.name.startswith(".")]


def test_stale_staging_and_old_folders_of_a_crashed_build_are_removed_and_nothing_else(tmp_path: Path, built: Built) -> None:
    out = tmp_path / "build"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True).stdout.strip()
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        stale = [f".build-old-{dead}", f".build-new-{dead}-0123abcd", f".build-new-{os.getpid()}-89abcdef"]
        kept = [f".build-new-{alive.pid}-0123abcd", ".build-notes", f".other-old-{dead}", f"build-old-{dead}",
                f".build-old-{dead}-not-ours"]
        for name in stale + kept:
            (tmp_path / name).mkdir()
            (tmp_path / name / "osteokg.nt").write_text("", encoding="utf-8")
        (tmp_path / f".build-new-{dead}-fedcba98").write_text("a file, not a folder we made", encoding="utf-8")
        (tmp_path / f".build-old-{dead}1").symlink_to(tmp_path / ".build-notes")
        kept += [f".build-new-{dead}-fedcba98", f".build-old-{dead}1"]
        # with no build/, the old folder of a swap that crashed midway may be the only copy: kept
        assert sorted(p.name for p in remove_stale(out)) == sorted(stale[1:])
        assert (tmp_path / stale[0] / "osteokg.nt").exists()
        write(built, out)  # once a new build is in place, it goes too
        assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["build", *kept])
    finally:
        alive.kill()
        alive.wait()


def test_the_build_folder_gets_the_umask_mode(tmp_path: Path, built: Built) -> None:
    previous = os.umask(0o027)
    try:
        write(built, tmp_path / "build")
        write(built, tmp_path / "build")  # and again, over an existing build
    finally:
        os.umask(previous)
    assert (tmp_path / "build").stat().st_mode & 0o777 == 0o750
    assert (tmp_path / "build" / "kgx").stat().st_mode & 0o777 == 0o750
    assert (tmp_path / "build" / "osteokg.nt").stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["build"]


def test_verify_accepts_a_build_and_names_a_damaged_file(tmp_path: Path, build_dir: Path) -> None:
    import shutil

    assert len(verify(build_dir)["graph_sha256"]) == 64
    copy = tmp_path / "build"
    shutil.copytree(build_dir, copy)
    graph = copy / "osteokg.nt"
    data = graph.read_bytes()
    graph.write_bytes(data[: len(data) // 2])
    with pytest.raises(ReleaseError, match="damaged or changed since it was built") as caught:
        verify(copy)
    assert caught.value.path == str(graph)
    graph.unlink()
    with pytest.raises(ReleaseError, match="missing") as caught:
        verify(copy)
    assert caught.value.path == str(graph)
    (copy / "manifest.json").write_text("{", encoding="utf-8")
    with pytest.raises(ReleaseError, match="cannot be read") as caught:
        verify(copy)
    assert caught.value.path == str(copy / "manifest.json")


def test_verify_checks_the_file_hash_and_falls_back_to_the_graph_hash_of_an_older_build(tmp_path: Path,
                                                                                     build_dir: Path) -> None:
    import json
    import shutil

    from kg.releases import file_hash, release_dir

    copy = tmp_path / "build"
    shutil.copytree(release_dir(build_dir), copy)
    manifest = json.loads((copy / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["nt_sha256"] == file_hash(copy / "osteokg.nt")
    graph = copy / "osteokg.nt"
    data = bytearray(graph.read_bytes())
    line = next(i for i, text in enumerate(data.split(b"\n")) if text and b"_:" not in text)  # the graph hash's
    at = sum(len(text) + 1 for text in data.split(b"\n")[:line]) + 3
    data[at] ^= 1  # one bit of a triple without blank nodes, same length
    graph.write_bytes(bytes(data))
    with pytest.raises(ReleaseError, match="its file hash is"):
        verify(copy)
    del manifest["nt_sha256"]  # a build written before the file hash: checked by the graph hash
    (copy / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(ReleaseError, match="its graph hash is"):
        verify(copy)
    shutil.copy(release_dir(build_dir) / "osteokg.nt", graph)
    assert verify(copy)["graph_sha256"] == manifest["graph_sha256"]
