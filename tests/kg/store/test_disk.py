"""The release's on-disk store: written once by :func:`kg.store.write_disk_store`, opened read-only, and what
each selector form opens (the contract suite runs every query over it as the ``disk`` backend)."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kg.service import open_release
from kg.store import DISK_STORE, OxigraphStore, SelectorError, StoreError, open_store, parse_selector, write_disk_store


def test_the_default_selector_opens_the_disk_store_read_only(mini_disk_dir: Path) -> None:
    store = open_store(f"oxigraph:{mini_disk_dir}")
    assert isinstance(store, OxigraphStore) and store.directory == mini_disk_dir / DISK_STORE
    assert store.selector == f"oxigraph:{mini_disk_dir / DISK_STORE}"
    with pytest.raises(RuntimeError, match="read-write"):  # the engine itself refuses to write
        store.store.update("INSERT DATA { <urn:a> <urn:b> <urn:c> }")
    assert open_store("oxigraph", build_dir=mini_disk_dir).directory == store.directory  # bare, over the folder
    release = open_release(mini_disk_dir, "oxigraph")
    try:
        assert isinstance(release.store, OxigraphStore) and release.store.directory == store.directory
    finally:
        release.close()


@pytest.mark.parametrize("form", ["oxigraph-memory:{dir}", "oxigraph:{dir}/osteokg.nt", "oxigraph-memory:{dir}/osteokg.nt"])
def test_the_memory_forms_load_the_n_triples_beside_a_disk_store(mini_disk_dir: Path, form: str) -> None:
    selector = form.format(dir=mini_disk_dir)
    chosen = parse_selector(selector)
    assert (chosen.engine, chosen.disk, chosen.location) == ("oxigraph", False, str(mini_disk_dir / "osteokg.nt"))
    store = open_store(selector)
    assert isinstance(store, OxigraphStore) and store.directory is None
    assert store.triples() == open_store(f"oxigraph:{mini_disk_dir}").triples()
    assert parse_selector("oxigraph-memory", mini_disk_dir) == chosen


def test_a_folder_without_a_disk_store_is_loaded_in_memory(mini_dir: Path) -> None:
    chosen = parse_selector(f"oxigraph:{mini_dir}")
    assert (chosen.disk, chosen.location) == (False, str(mini_dir / "osteokg.nt"))
    with pytest.raises(SelectorError, match="oxigraph-memory:PATH"):
        parse_selector("oxigraph-mem:x")


def test_a_disk_store_is_written_once_into_a_new_folder(tmp_path: Path, mini_dir: Path) -> None:
    target = tmp_path / "store"
    assert write_disk_store(mini_dir / "osteokg.nt", target) == target
    with pytest.raises(StoreError, match="not empty"):
        write_disk_store(mini_dir / "osteokg.nt", target)
    assert OxigraphStore.read_only(target).triples() == OxigraphStore(mini_dir / "osteokg.nt").triples()


def test_a_folder_that_holds_no_store_is_named(tmp_path: Path) -> None:
    (tmp_path / "junk").write_text("not a database", encoding="utf-8")
    with pytest.raises(StoreError, match=str(tmp_path)):
        OxigraphStore.read_only(tmp_path / "missing")


def test_many_processes_open_it_at_once_from_a_read_only_folder(tmp_path: Path, mini_disk_dir: Path) -> None:
    """The release folder may be read-only to the server: several readers open it together and answer alike."""
    folder = tmp_path / "store"
    shutil.copytree(mini_disk_dir / DISK_STORE, folder)
    for path in (folder, *folder.iterdir()):
        path.chmod(0o555 if path.is_dir() else 0o444)
    try:
        code = ("import sys; from kg.store import OxigraphStore; "
                "print(OxigraphStore.read_only(sys.argv[1]).triples())")
        readers = [subprocess.Popen([sys.executable, "-c", code, str(folder)], stdout=subprocess.PIPE, text=True)
                   for _ in range(3)]
        counts = {reader.communicate(timeout=60)[0].strip() for reader in readers}
        assert [reader.returncode for reader in readers] == [0, 0, 0]
        assert counts == {str(OxigraphStore.read_only(folder).triples())}
    finally:
        for path in (folder, *folder.iterdir()):
            path.chmod(0o755 if path.is_dir() else 0o644)
