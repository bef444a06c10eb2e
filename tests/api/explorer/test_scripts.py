"""The explorer's own scripts (api/static/*.js: the search box's combobox, the graph view), checked without a
browser: they parse, they read only UI strings that the page gives them, they name no other host, and they leave
nothing in the global scope. What they do on a page is the browser tests' (tests/api/explorer/, Playwright).

Node runs the checks (``node --check`` and a ``vm`` context with a page that has none of their elements); without
node they are skipped, and fail under ``CI=true`` (.ci/run installs it)."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from api.explorer.strings import SCRIPT_KEYS, STRINGS

STATIC = Path(__file__).resolve().parents[3] / "api" / "static"
SCRIPTS = sorted(STATIC.glob("*.js"))  # ours; the vendored libraries are in static/vendor
#: the one script that reads the page's <script id="strings"> (before the others) and the global it defines
STRINGS_SCRIPT, STRINGS_GLOBAL = STATIC / "strings.js", "osteokgStrings"
#: the scripts that read UI strings through it (the editor has its strings in its own config block)
PAGE_STRINGS = [path for path in SCRIPTS
                if path != STRINGS_SCRIPT and f"window.{STRINGS_GLOBAL}.t" in path.read_text(encoding="utf-8")]
LANGUAGES = ("en", "nl")
#: how a script reads a UI string: t("key") or t("key", {values}), the key a literal
STRING_USE = re.compile(r"""\bt\(\s*(["'])([^"']+)\1""")
ANY_T_CALL = re.compile(r"""(?<![\w.$])(?<!function )t\(\s*([^\s)])""")  # a call, not t's definition
URL = re.compile(r"""(?:https?:)?//[\w.-]+\.\w+""")
NOT_REQUESTS = {"http://www.w3.org/2000/svg"}  # a namespace name (document.createElementNS), never fetched


def node() -> str:
    found = shutil.which("node")
    if found is None:
        reason = "node is not installed (apt-get install nodejs)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason}; CI=true, so the scripts must be checked")
        pytest.skip(reason)
    return found


def without_comments(source: str) -> str:
    """The script without its /* */ and // comments (a // inside a string or regex literal is not one here)."""
    source = re.sub(r"/\*.*?\*/", "", source, flags=re.DOTALL)
    return re.sub(r"(?m)(^|[^:\"'\\])//[^\n]*", r"\1", source)


def test_the_scripts_are_there() -> None:
    assert {path.name for path in PAGE_STRINGS} >= {"explorer.js", "graph.js"}
    readers = [path.name for path in SCRIPTS if 'getElementById("strings")' in path.read_text(encoding="utf-8")]
    assert readers == [STRINGS_SCRIPT.name], "one script reads the page's strings; the others ask it"


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: path.name)
def test_script_parses(script: Path) -> None:
    done = subprocess.run([node(), "--check", str(script)], capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("script", PAGE_STRINGS, ids=lambda path: path.name)
def test_script_reads_only_script_keys(script: Path) -> None:
    """Every key a script reads is in SCRIPT_KEYS (so the page's <script id="strings"> has it) and in STRINGS in
    both languages; and every t() call names its key literally, so this list is the whole of what it reads."""
    code = without_comments(script.read_text(encoding="utf-8"))
    keys = {match.group(2) for match in STRING_USE.finditer(code)}
    calls = ANY_T_CALL.findall(code)
    assert calls, f"{script.name} reads no UI string through t()"
    dynamic = [first for first in calls if first not in "\"'"]
    assert not dynamic, f"{script.name} calls t() with a key that is not a literal"
    missing = sorted(keys - set(SCRIPT_KEYS))
    assert not missing, f"{script.name} reads {missing}: add them to SCRIPT_KEYS in api/explorer/strings.py"
    for key in keys:
        assert all(STRINGS[key].get(lang) for lang in LANGUAGES), f"{key} lacks a language"


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: path.name)
def test_script_names_no_other_host(script: Path) -> None:
    code = without_comments(script.read_text(encoding="utf-8"))
    urls = {url for url in URL.findall(code) if not any(allowed.startswith(url) for allowed in NOT_REQUESTS)}
    assert not urls, f"{script.name} names another host: {sorted(urls)}"


PAGE_WITHOUT_ELEMENTS = """
const vm = require("vm"), fs = require("fs");
const none = () => null, noList = () => [];
const context = {
  document: { getElementById: none, querySelector: none, querySelectorAll: noList, readyState: "complete",
              documentElement: { lang: "en" }, addEventListener() {} },
  addEventListener() {}, location: { href: "http://127.0.0.1/" }, URL, JSON, setTimeout, clearTimeout,
};
context.window = context;
vm.createContext(context);
// what every page loads first (api/templates/base.html), unless it is the script under test
if (process.argv[2] !== process.argv[1]) vm.runInContext(fs.readFileSync(process.argv[2], "utf8"), context);
const before = new Set(Object.getOwnPropertyNames(context));
vm.runInContext(fs.readFileSync(process.argv[1], "utf8"), context, { filename: process.argv[1] });
console.log(JSON.stringify(Object.getOwnPropertyNames(context).filter((name) => !before.has(name))));
"""


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: path.name)
def test_script_leaves_no_global(script: Path) -> None:
    """Run on a page without the script's elements (after strings.js, as every page loads it), it does nothing and
    defines no global name; strings.js defines its one."""
    done = subprocess.run([node(), "-e", PAGE_WITHOUT_ELEMENTS, str(script), str(STRINGS_SCRIPT)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == ([STRINGS_GLOBAL] if script == STRINGS_SCRIPT else [])


def test_script_keys_exist() -> None:
    missing = [key for key in SCRIPT_KEYS if key not in STRINGS]
    assert not missing, f"SCRIPT_KEYS names strings that are not in STRINGS: {missing}"
