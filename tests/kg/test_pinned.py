"""kg.service.pinned over three real releases of one build folder: which release a value names, what is kept,
opening once (also under threads), the bounded LRU closing what it evicts, and a release pushed out of the kept
ones by newer builds."""
from __future__ import annotations

import json
import shutil
import threading
import time
from pathlib import Path

import pytest

from kg.releases import CURRENT, KEEP_RELEASES, MANIFEST, RELEASES, in_use, prune
from kg.service.pinned import LOOK_AGAIN, PATTERN, Pinned, check, version_of
from kg.service.serving import Releases
from kg.service.values import BadValue, NotFound
from tests.kg.pinning_releases import (
    BONE_TISSUE,
    ENTITY,
    NEW_LABEL,
    NEW_VERSION,
    OLD_LABEL,
    OLD_VERSION,
    Three,
    write_three,
)


@pytest.fixture(scope="module")
def three(built, tmp_path_factory) -> Three:
    return write_three(built, tmp_path_factory.mktemp("pinned") / "build")


@pytest.fixture
def releases(three):
    served = Releases(three.root, "oxigraph", drain_patience=5)
    yield served
    served.close()


def label(served) -> str:
    return served.service.entity(ENTITY, "en")["label"]


def wait_for(condition, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def test_version_of_a_manifest() -> None:
    assert version_of({"version_iri": "https://w3id.org/osteokg/releases/0.1.0/osteokg.owl"}) == "0.1.0"
    assert version_of({"version_iri": "https://example.org/onto/2.3"}) == "2.3"
    assert version_of({"version": "7.0", "version_iri": "https://w3id.org/osteokg/releases/0.1.0/x.owl"}) == "7.0"
    assert version_of({}) is None and version_of({"version_iri": ""}) is None


@pytest.mark.parametrize("value", ["", "xyz", "0.1.0\n", "OSTEOKG:0000106", "abcdefabcdefabcdX", "-1", "a" * 41])
def test_a_malformed_value_is_a_bad_value(value) -> None:
    with pytest.raises(BadValue) as refused:
        check(value)
    assert refused.value.parameter == "release"


def test_the_document_pattern_admits_what_the_check_admits() -> None:
    import re

    for value in ("0123456789abcdef", "0.1.0", "1.0.0-rc.1", "2026.12"):
        assert re.search(PATTERN, value) and check(value) == value


def test_kept_lists_the_current_release_first_with_versions(three, releases) -> None:
    kept = Pinned(releases).kept()
    assert [r["release"] for r in kept] == [three.new, three.middle, three.old]
    assert [r["version"] for r in kept] == [NEW_VERSION, NEW_VERSION, OLD_VERSION]
    assert [r["current"] for r in kept] == [True, False, False]


def test_an_id_and_a_version_name_a_kept_release(three, releases) -> None:
    pinned = Pinned(releases)
    served = pinned.acquire(three.old)
    try:
        assert served.release.id == three.old and label(served) == OLD_LABEL
    finally:
        served.leave()
    by_version = pinned.acquire(OLD_VERSION)
    assert by_version is served  # opened once
    by_version.leave()
    middle = pinned.acquire(three.middle)
    try:
        assert label(middle) == NEW_LABEL
        targets = {e["object"]["id"] for e in middle.service.relations(ENTITY, "en", limit=200).items}
        assert BONE_TISSUE in targets
    finally:
        middle.leave()
    assert pinned.opened == 2


def test_the_current_release_by_id_or_version_is_the_current_one(three, releases) -> None:
    pinned = Pinned(releases)
    for value in (three.new, NEW_VERSION):  # 0.1.0 is the middle release's version too: the current one has it
        served = pinned.acquire(value)
        assert served is releases.current
        served.leave()
    assert pinned.opened == 0
    targets = {e["object"]["id"] for e in releases.current.service.relations(ENTITY, "en", limit=200).items}
    assert BONE_TISSUE not in targets


def test_a_release_not_kept_is_not_found_listing_the_kept_ones(three, releases) -> None:
    pinned = Pinned(releases)
    for value in ("cccccccccccccccc", "9.9.9"):
        with pytest.raises(NotFound) as missing:
            pinned.acquire(value)
        assert all(r in missing.value.message for r in (three.old, three.middle, three.new, OLD_VERSION))
        assert missing.value.id == value


def test_many_threads_open_a_release_once(three, releases) -> None:
    pinned = Pinned(releases)
    seen: list[str] = []
    errors: list[BaseException] = []

    def ask() -> None:
        try:
            served = pinned.acquire(three.old)
            try:
                seen.append(label(served))
            finally:
                served.leave()
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=ask) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors and seen == [OLD_LABEL] * 16 and pinned.opened == 1


def test_the_lru_closes_what_it_evicts_once_idle(three, releases) -> None:
    pinned = Pinned(releases, size=1)
    old = pinned.acquire(three.old)  # still in use while the middle one evicts it
    middle = pinned.acquire(three.middle)
    middle.leave()
    assert pinned.held() == [three.middle]
    time.sleep(0.2)
    assert old.release.lock is not None and label(old) == OLD_LABEL  # in use: not closed under its request
    old.leave()
    assert wait_for(lambda: old.release.lock is None)  # closed once idle: its folder is no longer held
    again = pinned.acquire(three.old)
    again.leave()
    assert pinned.opened == 3 and again is not old
    pinned.close()


def test_a_release_pushed_out_by_newer_ones_is_not_found_and_let_go(three, tmp_path: Path) -> None:
    root = tmp_path / "build"  # a copy of the folder of this test's own: the prune below removes releases
    (root / RELEASES).mkdir(parents=True)
    for identifier in (three.old, three.middle, three.new):
        shutil.copytree(three.root / RELEASES / identifier, root / RELEASES / identifier, symlinks=True)
    (root / CURRENT).symlink_to(Path(RELEASES) / three.new)
    served = Releases(root, "oxigraph", drain_patience=5)
    pinned = Pinned(served)
    try:
        old = pinned.acquire(three.old)
        old.leave()
        assert in_use(root / RELEASES / three.old)
        for n in range(KEEP_RELEASES - 1):  # newer builds than the current one's kept others
            identifier = f"{n + 1:x}" * 16
            folder = root / RELEASES / identifier
            shutil.copytree(root / RELEASES / three.middle, folder, symlinks=True)
            manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
            manifest.update(release=identifier, built_at=f"2099-01-0{n + 1}T00:00:00+00:00")
            (folder / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
        time.sleep(LOOK_AGAIN)  # the folder is looked at again within LOOK_AGAIN seconds
        with pytest.raises(NotFound) as missing:
            pinned.acquire(three.old)
        assert three.old not in missing.value.message.split("kept:")[1]
        assert three.old not in pinned.held()
        assert wait_for(lambda: not in_use(root / RELEASES / three.old))  # closed: the next prune may take it
        assert three.old in {p.name for p in prune(root, keep=KEEP_RELEASES)}
        with pytest.raises(NotFound):
            pinned.acquire(three.old)
    finally:
        pinned.close()
        served.close()
