"""Fixtures of the kg tests: the real graph written as a release folder, and the CDS logic over it."""
from __future__ import annotations

import json
from pathlib import Path

import pytest


def write_release_folder(built, folder: Path, **manifest: str) -> Path:
    """The session's in-memory build of the real graph written into ``folder`` as a build folder holds it:
    its ``osteokg.nt`` and a manifest of ``manifest``'s entries."""
    built.graph.serialize(folder / "osteokg.nt", format="nt", encoding="utf-8")
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def cds(built, tmp_path_factory):
    """kg.service.cds over the real graph (tests/kg/test_cds.py, tests/kg/test_cds_properties.py)."""
    from kg.service import Service
    from kg.service.cds import CDS

    folder = write_release_folder(built, tmp_path_factory.mktemp("cds"), version_iri="https://w3id.org/osteokg/test",
                                  graph_sha256="cd" * 32)
    return CDS(Service.open(folder))
