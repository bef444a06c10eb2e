"""The release layout of a build folder: ids, the current pointer, pruning, what a crashed build leaves."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kg.errors import ReleaseError
from kg.releases import (CURRENT, RELEASES, canonical_hash, in_use, is_release_root, mark_in_use, prune, release_dir,
                         releases)

TRIPLE = '<https://w3id.org/osteokg/a> <http://www.w3.org/2000/01/rdf-schema#label> "{}" .\n'


def fake_root(tmp_path: Path, names: list[str], current: str) -> Path:
    """A build folder with tiny releases ``names`` (oldest first) and ``current`` pointing at one."""
    root = tmp_path / "build"
    for age, name in enumerate(names):
        folder = root / RELEASES / name
        folder.mkdir(parents=True)
        (folder / "osteokg.nt").write_text(TRIPLE.format(name), encoding="utf-8")
        manifest = folder / "manifest.json"
        manifest.write_text(json.dumps({"release": name, "built_at": f"2026-01-0{age + 1}T00:00:00+00:00"}),
                            encoding="utf-8")
        os.utime(manifest, (1_700_000_000 + age, 1_700_000_000 + age))
    (root / CURRENT).symlink_to(Path(RELEASES) / current)
    return root


def test_a_folder_without_a_pointer_is_one_release(tmp_path: Path) -> None:
    assert release_dir(tmp_path) == tmp_path and not is_release_root(tmp_path)


def test_the_pointer_is_resolved_once_to_a_folder(tmp_path: Path) -> None:
    root = fake_root(tmp_path, ["a", "b"], "a")
    assert is_release_root(root) and release_dir(root) == (root / RELEASES / "a").resolve()
    (root / CURRENT).unlink()
    (root / CURRENT).symlink_to(Path(RELEASES) / "gone")
    with pytest.raises(ReleaseError, match="not there"):
        release_dir(root)


def test_prune_keeps_the_current_the_newest_and_those_in_use(tmp_path: Path) -> None:
    root = fake_root(tmp_path, ["a", "b", "c", "d", "e"], "b")
    held = mark_in_use(root / RELEASES / "a")
    try:
        assert in_use(root / RELEASES / "a") and not in_use(root / RELEASES / "c")
        removed = prune(root, keep=3)  # current b, the two newest others e and d, and a (held open)
    finally:
        os.close(held)
    assert [p.name for p in removed] == ["c"]
    assert sorted(p.name for p in (root / RELEASES).iterdir()) == ["a", "b", "d", "e"]
    assert [r["release"] for r in releases(root)] == ["e", "d", "b", "a"]
    assert [r["current"] for r in releases(root)] == [False, False, True, False]


def test_releases_built_in_one_second_are_listed_and_pruned_in_build_order(tmp_path: Path) -> None:
    """Ids are hashes: in one second of build time the manifest's write says which came last, for both the listing
    (what pinning keeps) and the prune. Built z, m, a in that order: a is newest, z oldest."""
    root = fake_root(tmp_path, ["z", "m", "a", "q"], "q")
    for name in ("z", "m", "a"):
        manifest = root / RELEASES / name / "manifest.json"
        manifest.write_text(json.dumps({"release": name, "built_at": "2026-01-09T00:00:00+00:00"}), encoding="utf-8")
    for age, name in enumerate(("z", "m", "a")):
        os.utime(root / RELEASES / name / "manifest.json", ns=(1_800_000_000_000_000_000 + age, ) * 2)
    listed = [r["release"] for r in releases(root)]
    assert listed == ["a", "m", "z", "q"]
    kept = ["q", *[name for name in listed if name != "q"][:2]]  # what kg.service.pinned counts as kept
    removed = prune(root, keep=3)
    assert [p.name for p in removed] == ["z"]
    assert sorted(p.name for p in (root / RELEASES).iterdir()) == sorted(kept)


def test_a_lock_ends_with_its_process(tmp_path: Path) -> None:
    root = fake_root(tmp_path, ["a", "b"], "b")
    code = ("import sys, time; from pathlib import Path; from kg.releases import mark_in_use; "
            "mark_in_use(Path(sys.argv[1])); print('held', flush=True); time.sleep(60)")
    holder = subprocess.Popen([sys.executable, "-c", code, str(root / RELEASES / "a")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        assert in_use(root / RELEASES / "a")
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()
    assert not in_use(root / RELEASES / "a")


def test_the_canonical_hash_counts_blank_nodes_and_ignores_their_labels(tmp_path: Path) -> None:
    one, two, other = tmp_path / "1.nt", tmp_path / "2.nt", tmp_path / "3.nt"
    one.write_text('_:x <http://e/p> "quote" .\n<http://e/s> <http://e/q> _:x .\n', encoding="utf-8")
    two.write_text('<http://e/s> <http://e/q> _:b7 .\n_:b7 <http://e/p> "quote" .\n', encoding="utf-8")
    other.write_text('_:x <http://e/p> "another quote" .\n<http://e/s> <http://e/q> _:x .\n', encoding="utf-8")
    assert canonical_hash(one) == canonical_hash(two) != canonical_hash(other)


def test_the_release_id_is_the_served_content_not_where_it_was_built(tmp_path: Path) -> None:
    """The manifest (build time) and locations.json (the checkout's paths) do not count; a derived file does."""
    from kg.releases import release_id

    folder = tmp_path / "release"
    (folder / "kgx").mkdir(parents=True)
    (folder / "osteokg.nt").write_text(TRIPLE.format("x"), encoding="utf-8")
    (folder / "kgx" / "nodes.tsv").write_text("id\n", encoding="utf-8")
    (folder / "manifest.json").write_text('{"built_at": "1"}', encoding="utf-8")
    (folder / "locations.json").write_text('{"a": "/one/checkout/ontology/terms.tsv:4"}', encoding="utf-8")
    first = release_id(folder)
    (folder / "manifest.json").write_text('{"built_at": "2"}', encoding="utf-8")
    (folder / "locations.json").write_text('{"a": "/another/checkout/ontology/terms.tsv:4"}', encoding="utf-8")
    assert release_id(folder) == first
    (folder / "kgx" / "nodes.tsv").write_text("id\nOSTEOKG:0000100\n", encoding="utf-8")
    assert release_id(folder) != first


def test_the_serving_files_formats_count_in_the_id(tmp_path: Path) -> None:
    """A code change that writes the serving files another way (the documents' format 1 -> 2) gives the same graph
    another id, so a build never keeps the older release whose files this code refuses to read; the build passes
    its formats (kg.releases.serving_formats)."""
    from kg.releases import release_id, serving_formats
    from kg.search import FORMAT as SEARCH_FORMAT
    from kg.service.documents import FORMAT as DOCUMENTS_FORMAT

    folder = tmp_path / "release"
    folder.mkdir()
    (folder / "osteokg.nt").write_text(TRIPLE.format("x"), encoding="utf-8")
    assert release_id(folder, "documents 1; search s1") != release_id(folder, "documents 2; search s1")
    assert release_id(folder, serving_formats()) == release_id(folder, serving_formats())
    assert str(DOCUMENTS_FORMAT) in serving_formats() and SEARCH_FORMAT in serving_formats()
