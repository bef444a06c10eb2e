"""kg.service.serving without any door: open, warm, swap, drain, and a release that cannot be opened."""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

from kg.releases import CURRENT, RELEASES, graph_hash, switch
from kg.service.serving import Releases, Served

LABEL = '<https://w3id.org/osteokg/OSTEOKG_0000101> <http://www.w3.org/2000/01/rdf-schema#label> "{}"@en .\n'


def release(root: Path, name: str) -> None:
    folder = root / RELEASES / name
    folder.mkdir(parents=True)
    (folder / "osteokg.nt").write_text(LABEL.format(name), encoding="utf-8")
    (folder / "manifest.json").write_text(json.dumps({"release": name, "graph_sha256": graph_hash(
        folder / "osteokg.nt")}), encoding="utf-8")


def test_a_check_opens_warms_swaps_and_drains_in_that_order(tmp_path: Path) -> None:
    root = tmp_path / "build"
    for name in ("aaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbb"):
        release(root, name)
    (root / CURRENT).symlink_to(Path(RELEASES) / "aaaaaaaaaaaaaaaa")
    events: list[str] = []
    releases = Releases(root, "oxigraph", drain_patience=10)
    releases.on_open.append(lambda s: events.append(f"open {s.release.id}"))
    releases.on_warm.append(lambda s: events.append(f"warm {s.release.id}"))
    releases.on_swap.append(lambda: events.append(f"swap {releases.current.release.id}"))
    releases.on_close.append(lambda s: events.append(f"close {s.release.id}"))
    held: Served = releases.acquire()
    assert held.release.id == "aaaaaaaaaaaaaaaa" and releases.check() is False
    switch(root, "bbbbbbbbbbbbbbbb")
    assert releases.check() is True
    assert releases.current.release.id == "bbbbbbbbbbbbbbbb" and releases.current.release.label(
        "https://w3id.org/osteokg/OSTEOKG_0000101") == "bbbbbbbbbbbbbbbb"
    time.sleep(0.2)
    assert events == ["open bbbbbbbbbbbbbbbb", "warm bbbbbbbbbbbbbbbb", "swap bbbbbbbbbbbbbbbb"], "a held release waits"
    held.leave()
    deadline = time.monotonic() + 5
    while len(events) < 4 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert events[-1] == "close aaaaaaaaaaaaaaaa"
    releases.close()


def test_a_release_that_cannot_be_opened_changes_nothing(tmp_path: Path) -> None:
    root = tmp_path / "build"
    release(root, "aaaaaaaaaaaaaaaa")
    (root / RELEASES / "cccccccccccccccc").mkdir()  # no graph, no manifest
    (root / CURRENT).symlink_to(Path(RELEASES) / "aaaaaaaaaaaaaaaa")
    releases = Releases(root, "oxigraph", drain_patience=1)
    temporary = root / ".pointer"
    temporary.symlink_to(Path(RELEASES) / "cccccccccccccccc")
    os.replace(temporary, root / CURRENT)
    assert releases.check() is False and releases.current.release.id == "aaaaaaaaaaaaaaaa"
    releases.close()
