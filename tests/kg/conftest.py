"""Fixtures of the kg tests: the real graph written as a release folder."""
from __future__ import annotations

import json
from pathlib import Path


def write_release_folder(built, folder: Path, **manifest: str) -> Path:
    """The session's in-memory build of the real graph written into ``folder`` as a build folder holds it:
    its ``osteokg.nt`` and a manifest of ``manifest``'s entries."""
    built.graph.serialize(folder / "osteokg.nt", format="nt", encoding="utf-8")
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return folder
