"""The type hints are checked: mypy, with pyproject.toml's [tool.mypy], is clean on kg/ and api/.

mypy runs in a subprocess from the checkout (its cache, .mypy_cache/, is ignored by git). A fresh clone
checks cold in about 4 s on a 2-core machine (under 1 s with the cache); the time-out only guards against a
hang."""
from __future__ import annotations

import subprocess
import sys
import tomllib

from kg.settings import ROOT

TIMEOUT = 300


def test_mypy_config_checks_kg_and_api() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"]
    assert set(config["packages"]) == {"kg", "api"}
    for option in ("warn_unused_ignores", "warn_redundant_casts", "check_untyped_defs", "no_implicit_optional"):
        assert config[option] is True, option
    assert "ignore_missing_imports" not in config, "skip untyped packages per module ([[tool.mypy.overrides]])"


def test_mypy_is_clean_on_kg_and_api() -> None:
    done = subprocess.run([sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml")],
                          cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT)
    print(done.stdout + done.stderr)
    assert done.returncode == 0, f"mypy kg api:\n{done.stdout}{done.stderr}"
