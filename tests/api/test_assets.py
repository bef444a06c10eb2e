"""The front-end libraries from npm (api/assets.py) and their route, /static/vendor/<name> (api/vendor.py).

The shared install (api/static/node_modules) is made by :func:`api.assets.ensure` as ``osteokg serve`` makes it;
what ensure decides and how it fails is checked on a copy of package.json and package-lock.json in a temporary
folder, with the real npm (never on the shared install, which a running server may be reading)."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from api import assets
from kg.settings import ROOT

EXPECTED_TYPES = {".js": "text/javascript", ".css": "text/css", ".map": "application/json"}


@pytest.fixture(scope="module")
def installed() -> None:
    assets.ensure()


def test_every_vendored_file_exists_after_ensure(installed) -> None:
    assert assets.missing() == []
    for name in assets.VENDOR:
        found = assets.path(name)
        assert found.is_file() and found.stat().st_size > 1000, name
        assert found.is_relative_to(assets.NODE_MODULES)
    assert assets.ensure() is False  # in place: nothing to do


def test_the_versions_are_pinned_exactly() -> None:
    import json

    package = json.loads((assets.STATIC / "package.json").read_text(encoding="utf-8"))
    lock = json.loads(assets.LOCK_FILE.read_text(encoding="utf-8"))
    wanted = package["dependencies"]
    assert set(wanted) == {"cytoscape", "@zazuko/yasgui", "axe-core"}
    for name, version in wanted.items():
        assert version[0].isdigit() and all(c.isdigit() or c == "." for c in version), (name, version)
        assert lock["packages"][f"node_modules/{name}"]["version"] == version


@pytest.mark.parametrize("name", sorted(assets.VENDOR))
def test_each_vendored_file_is_served_with_its_media_type(installed, client, name: str) -> None:
    with client.get(f"/static/vendor/{name}") as response:
        assert response.status_code == 200
        assert response.mimetype == EXPECTED_TYPES[Path(name).suffix]
        assert response.data == assets.path(name).read_bytes()
        assert "max-age=86400" in response.headers["Cache-Control"]
        etag = response.headers["ETag"]
    with client.get(f"/static/vendor/{name}", headers={"If-None-Match": etag}) as again:
        assert again.status_code == 304


@pytest.mark.parametrize("name", ["nope.js", "package.json", "cytoscape", ".osteokg-installed", "cytoscape.min.js.map"])
def test_an_unknown_name_is_a_404(client, name: str) -> None:
    response = client.get(f"/static/vendor/{name}")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert "served:" in response.get_json()["detail"]


def test_a_path_into_node_modules_is_not_served(client) -> None:
    assert client.get("/static/vendor/cytoscape/dist/cytoscape.min.js").status_code == 404
    assert client.get("/static/node_modules/cytoscape/dist/cytoscape.min.js").status_code == 404
    assert client.get("/static/node_modules/.osteokg-installed").status_code == 404


def test_no_vendored_file_is_in_git() -> None:
    ignore = (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert "api/static/node_modules/" in ignore
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        return  # an exported snapshot: .gitignore (above) is what keeps them out
    tracked = subprocess.run(["git", "ls-files", "api/static"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.split()
    assert "api/static/package.json" in tracked and "api/static/package-lock.json" in tracked
    assert not [name for name in tracked if "node_modules" in name]
    for name in assets.VENDOR:
        relative = str(assets.path(name).relative_to(ROOT))
        ignored = subprocess.run(["git", "check-ignore", "-q", relative], cwd=ROOT, check=False)
        assert ignored.returncode == 0, f"{relative} is not ignored by git"


# ---------------------------------------------------------------------------------------- ensure, on a copy

@pytest.fixture
def copy(tmp_path: Path) -> Path:
    static = tmp_path / "static"
    static.mkdir()
    for name in ("package.json", "package-lock.json"):
        shutil.copy(assets.STATIC / name, static / name)
    return static


def test_ensure_installs_once_and_again_when_the_lock_changes(installed, copy: Path) -> None:
    if shutil.which("npm") is None:
        pytest.skip("npm is not on the PATH (apt-get install nodejs npm)")
    assert set(assets.missing(copy)) == {*assets.VENDOR, "package-lock.json"}
    assert assets.ensure(static=copy) is True
    assert assets.missing(copy) == []
    for name in assets.VENDOR:  # the same files as the shared install: the lock pins them
        assert assets.path(name, copy).read_bytes() == assets.path(name).read_bytes(), name
    assert assets.ensure(static=copy) is False
    lock = copy / "package-lock.json"
    lock.write_text(lock.read_text(encoding="utf-8") + "\n", encoding="utf-8")  # a changed lock: install again
    assert assets.missing(copy) == ["package-lock.json"]
    assets.path("axe.min.js", copy).unlink()
    assert assets.missing(copy) == ["axe.min.js", "package-lock.json"]


def test_without_npm_the_error_says_what_to_install(copy: Path, monkeypatch) -> None:
    monkeypatch.setenv("PATH", str(copy))  # no npm, no node
    with pytest.raises(assets.AssetError, match=r"npm/node are not on the PATH: install Node\.js"):
        assets.ensure(static=copy)


def test_a_failed_install_names_the_command_and_npm_s_reason(copy: Path) -> None:
    if shutil.which("npm") is None:
        pytest.skip("npm is not on the PATH (apt-get install nodejs npm)")
    package = copy / "package.json"  # out of step with the lock: npm ci refuses before it downloads anything
    package.write_text(package.read_text(encoding="utf-8").replace('"axe-core": "', '"axe-core": "0.0.1-'),
                       encoding="utf-8")
    with pytest.raises(assets.AssetError, match=r"npm ci --no-audit --no-fund --ignore-scripts` in .* failed \(exit"):
        assets.ensure(static=copy, timeout=120)
    assert assets.missing(copy)  # nothing claims to be installed
