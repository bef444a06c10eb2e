"""`import api` and `create_app` stay clear of the build: no owlready2, no HermiT, no pyshacl (issue 8).

Checked in a fresh interpreter, since this test process has imported the build already."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from kg.build import ROOT

#: what only `osteokg build` (and validate/report) needs
BUILD_ONLY = ("owlready2", "kg.build", "kg.compose", "kg.reason", "kg.materialize", "kg.validate", "pyshacl")

_PROBE = """
import json, sys
{body}
print(json.dumps(sorted(m for m in {modules!r} if m in sys.modules)))
"""


def _loaded(body: str, env: dict[str, str] | None = None) -> list[str]:
    code = _PROBE.format(body=body, modules=BUILD_ONLY)
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("module", ["api", "kg.service", "kg.store", "kg.settings", "kg.vocab", "kg.sparql.results",
                                    "kg.sparql.worker", "kg.queries", "api.wsgi"])
def test_importing_leaves_the_build_out(module: str, build_dir: Path) -> None:
    env = None
    if module == "api.wsgi":  # api.wsgi makes the app at import time
        import os

        env = {**os.environ, "OSTEOKG_BUILD_DIR": str(build_dir)}
    assert _loaded(f"import {module}", env) == []


def test_create_app_and_a_request_leave_the_build_out(build_dir: Path) -> None:
    body = (f"from api import create_app\n"
            f"app = create_app({{'TESTING': True, 'BUILD_DIR': {str(build_dir)!r}}})\n"
            f"client = app.test_client()\n"
            f"assert client.get('/entities/OSTEOKG:0000106').status_code == 200\n"
            f"assert client.get('/health').status_code == 200\n")
    assert _loaded(body) == []
