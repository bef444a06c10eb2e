"""The installed package ships what it needs: every subpackage, every query, every template (issue 8).

The wheel is built from a copy of the sources (so setuptools' own build/ never lands in the checkout,
where build/ is osteokg's build folder). The editors' sources and the shapes are not shipped: the
build runs from a checkout (see pyproject.toml and kg.settings.require_checkout)."""
from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from kg.settings import ROOT

PACKAGES = ("kg", "api")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    work = tmp_path_factory.mktemp("wheel")
    source = work / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        if (ROOT / name).exists():
            shutil.copy2(ROOT / name, source / name)
    for package in PACKAGES:
        shutil.copytree(ROOT / package, source / package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(work / "dist"), str(source)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    (built,) = (work / "dist").glob("osteokg-*.whl")
    return zipfile.ZipFile(built)


def _names(wheel: zipfile.ZipFile) -> set[str]:
    return set(wheel.namelist())


def _files(folder: Path, pattern: str) -> set[str]:
    return {p.relative_to(ROOT).as_posix() for p in folder.glob(pattern) if p.is_file() and "__pycache__" not in p.parts}


def test_every_subpackage_is_shipped(wheel) -> None:
    packages = {p.parent.relative_to(ROOT).as_posix() for package in PACKAGES for p in (ROOT / package).rglob("__init__.py")}
    assert {"kg", "kg/service", "kg/sparql", "api"} <= packages
    assert {f"{p}/__init__.py" for p in packages} - _names(wheel) == set()
    modules = set().union(*(_files(ROOT / package, "**/*.py") for package in PACKAGES))
    assert modules - _names(wheel) == set()


def test_every_query_is_shipped(wheel) -> None:
    queries = _files(ROOT / "kg" / "queries", "**/*.rq")
    assert len(queries) > 20 and any("/qc/" in q for q in queries) and any("/competency/" in q for q in queries)
    assert queries - _names(wheel) == set()


def test_every_template_is_shipped(wheel) -> None:
    templates = _files(ROOT / "api" / "templates", "*")
    assert templates and templates - _names(wheel) == set()


def test_the_command_is_declared_and_the_checkout_is_not_shipped(wheel) -> None:
    entry_points = next(n for n in _names(wheel) if n.endswith(".dist-info/entry_points.txt"))
    assert "osteokg = kg.cli:main" in wheel.read(entry_points).decode()
    assert not {n for n in _names(wheel) if n.split("/")[0] in {"ontology", "shapes", "tests", "build", "bench", "docs"}}


def test_a_missing_checkout_folder_is_one_clear_line(tmp_path: Path) -> None:
    from kg.cli import exit_code
    from kg.settings import CheckoutMissing, require_checkout
    from kg.validate import load_shapes

    with pytest.raises(CheckoutMissing) as caught:
        load_shapes(tmp_path / "shapes")
    message = str(caught.value)
    assert "\n" not in message and str(tmp_path / "shapes") in message and "the SHACL shapes" in message
    assert "checkout" in message and exit_code(caught.value) == 2
    assert require_checkout(tmp_path, "a folder") == tmp_path
