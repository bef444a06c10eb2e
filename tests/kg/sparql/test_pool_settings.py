"""PoolSettings.for_release: the one place a query pool's settings are made for a release (the SPARQL endpoint
and the MCP door both call it), over real releases of the real graph: which store the query processes open, and
how the SPARQL_* values are read (from a Flask config or kg.settings, a missing one taking the table's default)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kg import settings
from kg.releases import DISK_STORE
from kg.service import open_release
from kg.sparql.pool import PoolSettings
from kg.store import RdflibStore, write_disk_store
from tests.kg.conftest import write_release_folder

BASE_IRI = "https://osteokg.example.org/sparql"


@pytest.fixture(scope="module")
def plain(built, tmp_path_factory) -> Path:
    """A release folder with the N-Triples only (no on-disk store)."""
    return write_release_folder(built, tmp_path_factory.mktemp("plain"), graph_sha256="cd" * 32)


@pytest.fixture(scope="module")
def with_store(plain: Path, tmp_path_factory) -> Path:
    """A release folder with its on-disk store, as a build writes it (``<release>/oxigraph``)."""
    folder = tmp_path_factory.mktemp("with-store")
    for name in ("osteokg.nt", "manifest.json"):
        shutil.copy(plain / name, folder / name)
    write_disk_store(folder / "osteokg.nt", folder / DISK_STORE)
    return folder


def opened(folder: Path, store: str = "oxigraph"):
    return open_release(folder, store, documents=False)


def test_the_defaults_are_the_settings_tables(plain: Path) -> None:
    release = opened(plain)
    made = PoolSettings.for_release(release, {}, BASE_IRI)
    assert made == PoolSettings(nt_path=str(plain / "osteokg.nt"), store_dir=None,
                                workers=settings.default("SPARQL_WORKERS"),
                                timeout=settings.default("SPARQL_TIMEOUT"),
                                max_rows=settings.default("SPARQL_MAX_ROWS"),
                                memory=settings.default("SPARQL_MAX_MEMORY"), base_iri=BASE_IRI,
                                max_cost=settings.default("SPARQL_MAX_COST"))
    assert made.workers == 2 and made.memory == 1 << 30 and made.max_cost == 3.0  # what the table says today


def test_values_from_a_config_or_from_the_environment_agree(plain: Path, monkeypatch) -> None:
    """A Flask-style config (every api setting present) and kg.settings' parsed environment (only what is set)
    give the same settings for the same values."""
    monkeypatch.setenv("OSTEOKG_SPARQL_TIMEOUT", "3")
    monkeypatch.setenv("OSTEOKG_SPARQL_MAX_ROWS", "7")
    monkeypatch.setenv("OSTEOKG_SPARQL_WORKERS", "3")
    release = opened(plain)
    from_env = PoolSettings.for_release(release, settings.from_environ("api"), BASE_IRI)
    config = {**settings.defaults("api"), **settings.from_environ("api")}
    assert from_env == PoolSettings.for_release(release, config, BASE_IRI)
    assert (from_env.timeout, from_env.max_rows, from_env.workers) == (3.0, 7, 3)


@pytest.mark.parametrize("values, field, expected", [
    ({"SPARQL_TIMEOUT": 0.01}, "timeout", 0.1),  # never below 0.1 s
    ({"SPARQL_TIMEOUT": "2.5"}, "timeout", 2.5),
    ({"SPARQL_MAX_MEMORY": 0}, "memory", None),  # 0: no limit
    ({"SPARQL_MAX_MEMORY": None}, "memory", None),  # given as None (a config): no limit, not the default
    ({"SPARQL_MAX_MEMORY": 512 * 1024 * 1024}, "memory", 512 * 1024 * 1024),
    ({"SPARQL_MAX_ROWS": "5"}, "max_rows", 5),
    ({"SPARQL_WORKERS": "4"}, "workers", 4),
])
def test_each_value_is_read_as_its_setting(plain: Path, values: dict, field: str, expected) -> None:
    assert getattr(PoolSettings.for_release(opened(plain), values, None), field) == expected


def test_workers_given_win_over_the_setting(plain: Path) -> None:
    """The MCP door over stdio asks for one query process, whatever SPARQL_WORKERS says."""
    assert PoolSettings.for_release(opened(plain), {"SPARQL_WORKERS": 4}, None, workers=1).workers == 1


def test_the_store_the_query_processes_open(plain: Path, with_store: Path, tmp_path: Path) -> None:
    # the release served from its own on-disk store: that store
    assert PoolSettings.for_release(opened(with_store), {}, None).store_dir == str(with_store / DISK_STORE)
    # read through rdflib, over a folder that has one: still the folder's store
    rdflib = opened(with_store, "rdflib")
    assert isinstance(rdflib.store, RdflibStore)
    assert PoolSettings.for_release(rdflib, {}, None).store_dir == str(with_store / DISK_STORE)
    # served from an on-disk store elsewhere: the one it is served from
    elsewhere = opened(plain, f"oxigraph:{with_store}")
    assert PoolSettings.for_release(elsewhere, {}, None).store_dir == str(with_store / DISK_STORE)
    # N-Triples in memory, no store in the folder: none (the processes load the folder's N-Triples)
    made = PoolSettings.for_release(opened(plain), {}, None)
    assert made.store_dir is None and made.nt_path == str(plain / "osteokg.nt")
