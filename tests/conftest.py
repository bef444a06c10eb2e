"""Shared fixtures: the real graph built once per session, and paths to the sources and seeds."""
from __future__ import annotations

import select
import shutil
import signal
import socket
from pathlib import Path

import pytest

from kg.build import ONTOLOGY_DIR, ROOT, Built, build_graph

def _libc():
    import ctypes

    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


_LIBC = _libc()  # loaded here, in the test process: the child only makes one call
PR_SET_PDEATHSIG = 1


def ends_with_tests() -> None:
    """``preexec_fn`` of every server a test starts: the kernel sends it SIGTERM when the test process ends,
    so a test run that is killed (a time-out, Ctrl-C) leaves no server behind (Linux; elsewhere a no-op)."""
    if _LIBC is not None:
        _LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def pytest_configure(config) -> None:
    """What the API writes (OSTEOKG_DATA_DIR: the CDS door's cds.sqlite) goes to a folder of this run, never
    the checkout's data/; every app and server the tests start inherits it (a test may set its own)."""
    import os
    import tempfile

    os.environ.setdefault("OSTEOKG_DATA_DIR", tempfile.mkdtemp(prefix="osteokg-data-"))
    # every test's client is 127.0.0.1: the per-client /sparql limits (kg/sparql/limits.py) would count the whole
    # run as one client; tests/api/test_sparql_limits.py and tests/kg/sparql/test_limits.py set their own
    os.environ.setdefault("OSTEOKG_SPARQL_CLIENT_QUERIES", "0")
    os.environ.setdefault("OSTEOKG_SPARQL_CLIENT_SECONDS", "0")


SEEDS = ROOT.parent / "shared" / "seeds"
SEED_FILES = {
    "OSTEOKG:0008001": "000_5ef29cda3a6cdeaf.txt",
    "OSTEOKG:0008002": "002_cc15fe0d8e3a6eec.txt",
}


@pytest.fixture(scope="session")
def built() -> Built:
    """The real ontology composed, reasoned and materialized (not written, not validated)."""
    return build_graph(ONTOLOGY_DIR)


@pytest.fixture(scope="session")
def seed_texts() -> dict[str, str]:
    """The two source texts, keyed by source CURIE (they live in ../shared, never in this repo)."""
    if not SEEDS.is_dir():
        pytest.skip(f"source texts not found at {SEEDS}")
    return {curie: (SEEDS / name).read_text(encoding="utf-8") for curie, name in SEED_FILES.items()}


@pytest.fixture
def ontology_copy(tmp_path: Path) -> Path:
    """A writable copy of ontology/, for tests that break or extend the sources."""
    target = tmp_path / "ontology"
    shutil.copytree(ONTOLOGY_DIR, target)
    return target


@pytest.fixture
def listener():
    """A loopback socket that nobody should ever connect to (the SPARQL sandbox tests); yields (socket, port)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield sock, sock.getsockname()[1]


def nobody_connected(sock: socket.socket, wait: float = 0.5) -> bool:
    """True when no connection reached ``sock`` within ``wait`` seconds."""
    readable, _, _ = select.select([sock], [], [], wait)
    return not readable
