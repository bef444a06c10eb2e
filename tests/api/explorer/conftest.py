"""The explorer in a real browser: one ``osteokg serve``, one chromium, a fresh browser context per test.

Playwright for Python drives Debian's chromium (``shutil.which("chromium")``, launched with
``executable_path``: Playwright's own browser download does not work here). Without chromium or the
``playwright`` package the browser tests are skipped with the reason; under ``CI=true`` they fail
instead, so a CI machine without a browser is red, not silently green (as the Virtuoso cases decide,
tests/kg/store/conftest.py). ``.ci/run`` installs chromium, and nodejs/npm for :func:`api.assets.ensure`.

Fixtures:

- :func:`explorer`: the base URL of one real ``osteokg serve`` on 127.0.0.1 over the session's build
  (tests/api/conftest.py's ``build_dir``), after :func:`api.assets.ensure` has installed the vendored
  libraries (axe-core among them); stopped at the end of the session.
- :func:`browser`: one chromium for the session, closed at its end.
- :func:`tab`: a :class:`Tab` in a fresh context (desktop viewport, English browser); :func:`open_tab`
  makes more (another locale, a phone's viewport). Every context they open is watched: every request
  whose URL is not on the server's origin (``data:`` and ``blob:`` allowed) fails the test, and so does a
  console error or an uncaught page error. The check runs at the end of each test (:meth:`Tab.check`).

Artefacts (``test-artifacts/browser/`` at the repository root, git-ignored): a screenshot of each step,
``<test>/<nn>-<step>.png``, and axe-core's results per page type (and per state a scenario checks, such as the
home page with its suggestions open), ``axe/<page type>.json``, with ``axe/summary.json`` (violations by
impact, rules passed, rules axe could not decide) rewritten after each run of axe.
"""
from __future__ import annotations

import csv
import json
import os
import re
import shutil
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urlsplit

import pytest

from kg.settings import ROOT
from tests.api.conftest import start_server, stop_server

ARTIFACTS = ROOT / "test-artifacts" / "browser"
AXE_DIR = ARTIFACTS / "axe"
FAILING_IMPACTS = ("serious", "critical")  # the issue: no serious or critical violation on any page type
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
WAIT_MS = 10_000  # the longest any one browser step may take (a page, a suggestion, a drawn graph)
LINK_TIMEOUT = 10  # seconds, per link followed over HTTP


def wait_for(page: Any, expression: str, timeout: float = WAIT_MS) -> None:
    """``page.wait_for_function`` without its page-side ``eval``: Playwright polls a predicate it evaluates from a
    string, which the pages' Content-Security-Policy (``script-src 'self'``, api/http.py) refuses, as it should.
    ``expression`` is evaluated through the devtools protocol every 50 ms until it is true (an AssertionError after
    ``timeout`` ms)."""
    deadline = time.monotonic() + timeout / 1000
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout:.0f} ms: {expression}")
        page.wait_for_timeout(50)


def require_browser() -> str:
    """Debian's chromium, with Playwright importable; without either skip (fail under ``CI=true``)."""
    executable = shutil.which("chromium")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        reason = "playwright is not installed: pip install -e '.[test]'"
    else:
        reason = "" if executable else "chromium is not on the PATH: apt-get install chromium"
    if reason:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason}; CI=true, so the browser tests must run")
        pytest.skip(reason)
    assert executable is not None
    return executable


@pytest.fixture(scope="session")
def explorer(build_dir: Path) -> Iterator[str]:
    """Base URL (``http://127.0.0.1:PORT``) of a real ``osteokg serve`` with its vendored libraries installed."""
    require_browser()  # no server for tests that cannot run
    from api import assets

    assets.ensure()
    process, base = start_server(build_dir, workers=1)
    try:
        yield base
    finally:
        stop_server(process)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    executable = require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable)
        try:
            yield chromium
        finally:
            chromium.close()


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-")[:120]


@dataclass
class Tab:
    """A page in its own browser context, with what the test must not see (off-origin requests, console errors)
    and the steps' screenshots."""

    page: Any
    context: Any
    base: str
    name: str
    off_origin: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    expected_failures: list[tuple[int, str]] = field(default_factory=list)  # (status, url) a test asked for
    steps: int = 0

    @property
    def origin(self) -> str:
        parts = urlsplit(self.base)
        return f"{parts.scheme}://{parts.netloc}"

    def url(self, path: str) -> str:
        return path if path.startswith(("http://", "https://")) else self.base + path

    def goto(self, path: str, status: int = 200) -> Any:
        """Open ``path`` (on the server) and check the answer's status; the response."""
        if status >= 400:  # chromium logs a failed main document as a console error: that one (only) is expected
            self.expected_failures.append((status, self.url(path)))
        response = self.page.goto(self.url(path), wait_until="load", timeout=WAIT_MS)
        assert response is not None, path
        assert response.status == status, f"{path}: {response.status}, not {status}"
        return response

    def shot(self, step: str, full_page: bool = False) -> Path:
        """A screenshot of the page as it is now (what the viewport shows, or the whole page): ``<test>/<nn>-<step>.png``."""
        self.steps += 1
        path = ARTIFACTS / self.name / f"{self.steps:02d}-{_safe(step)}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(path), full_page=full_page)
        return path

    def axe(self, page_type: str) -> dict[str, Any]:
        """Run axe-core on the page as it is now; write its results as ``axe/<page_type>.json`` and the summary;
        the results (``violations``, ``counts`` by impact, ``failing``: the serious and critical ones)."""
        # from the server (api/assets.py serves it): the pages' policy refuses an inline script, as a page's should
        self.page.add_script_tag(url=self.url("/static/vendor/axe.min.js"))
        raw = self.page.evaluate("""async () => {
            const r = await axe.run(document, {resultTypes: ['violations']});
            return {violations: r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                       helpUrl: v.helpUrl, tags: v.tags,
                       nodes: v.nodes.map(n => ({target: n.target, html: n.html, summary: n.failureSummary}))})),
                    passes: r.passes.length, version: r.testEngine.version,
                    incomplete: r.incomplete.map(v => ({id: v.id, impact: v.impact, help: v.help,
                       nodes: v.nodes.map(n => ({target: n.target, summary: n.failureSummary}))}))};
        }""")
        counts = Counter(v["impact"] or "none" for v in raw["violations"])
        result = {"page_type": page_type, "url": self.page.url, "axe": raw["version"],
                  "counts": dict(counts), "passes": raw["passes"], "incomplete": raw["incomplete"],
                  "violations": raw["violations"],
                  "failing": [v for v in raw["violations"] if v["impact"] in FAILING_IMPACTS]}
        AXE_DIR.mkdir(parents=True, exist_ok=True)
        (AXE_DIR / f"{_safe(page_type)}.json").write_text(json.dumps(result, indent=2, ensure_ascii=False),
                                                         encoding="utf-8")
        _write_axe_summary()
        return result

    def assert_accessible(self, page_type: str) -> dict[str, Any]:
        """:meth:`axe`, failing on any serious or critical violation (each named with its rule and elements)."""
        result = self.axe(page_type)
        failing = [f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:5]}"
                   for v in result["failing"]]
        assert not failing, f"{page_type} ({self.page.url}): " + "; ".join(failing)
        return result

    def links(self) -> list[dict[str, str]]:
        """Every ``<a href>`` on the page: its resolved URL, rel, target and text."""
        return self.page.eval_on_selector_all(
            "a[href]", "els => els.map(a => ({href: a.href, raw: a.getAttribute('href'), rel: a.rel || '',"
                       " target: a.target || '', text: a.textContent.trim().slice(0, 80),"
                       " hreflang: a.hreflang || ''}))")

    def check(self) -> None:
        """Fail on any request off the server's origin and on any console or page error seen so far."""
        errors = [e for e in self.errors if not any(f"status of {status} " in e and e.endswith(f"({url})")
                                                    for status, url in self.expected_failures)]
        problems = []
        if self.off_origin:
            problems.append("requests off the server's origin:\n  " + "\n  ".join(sorted(set(self.off_origin))))
        if errors:
            problems.append("console or page errors:\n  " + "\n  ".join(errors))
        if problems:
            pytest.fail(f"{self.name}: " + "\n".join(problems), pytrace=False)


def _write_axe_summary() -> None:
    summary = {}
    for path in sorted(AXE_DIR.glob("*.json")):
        if path.name == "summary.json":
            continue
        result = json.loads(path.read_text(encoding="utf-8"))
        summary[result["page_type"]] = {"url": result["url"], "violations_by_impact": result["counts"],
                                        "rules": sorted(f"{v['id']} ({v['impact']})" for v in result["violations"]),
                                        "rules_passed": result["passes"],
                                        "needs_review": sorted(f"{v['id']} ({v['impact']})" for v in result["incomplete"])}
    (AXE_DIR / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8")


def _watch(tab: Tab) -> None:
    origin = tab.origin

    def on_request(request: Any) -> None:
        url = request.url
        if url.startswith(("data:", "blob:")):
            return
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" != origin:
            tab.off_origin.append(url)

    def on_console(message: Any) -> None:
        if message.type == "error":
            location = message.location or {}
            tab.errors.append(f"console: {message.text} ({location.get('url', '')})")

    tab.context.on("request", on_request)
    tab.context.on("console", on_console)
    tab.context.on("weberror", lambda error: tab.errors.append(f"page error: {error.error}"))


@pytest.fixture
def open_tab(browser: Any, explorer: str, request: pytest.FixtureRequest) -> Iterator[Callable[..., Tab]]:
    """``open_tab(locale="en-GB", viewport=DESKTOP, label="", **context_options)``: a :class:`Tab` in a fresh context
    (``java_script_enabled=False`` for a browser without scripts); every one is checked (requests, console) and
    closed at the end of the test."""
    opened: list[Tab] = []
    test = _safe(request.node.name)
    shutil.rmtree(ARTIFACTS / test, ignore_errors=True)
    for stale in ARTIFACTS.glob(f"{test}--*"):
        shutil.rmtree(stale, ignore_errors=True)

    def make(locale: str = "en-GB", viewport: dict[str, int] | None = None, label: str = "", **options: Any) -> Tab:
        context = browser.new_context(base_url=explorer, locale=locale, viewport=viewport or DESKTOP, **options)
        context.set_default_timeout(WAIT_MS)
        page = context.new_page()
        tab = Tab(page=page, context=context, base=explorer, name=test + (f"--{_safe(label)}" if label else ""))
        _watch(tab)
        opened.append(tab)
        return tab

    yield make
    try:
        for tab in opened:
            tab.check()
    finally:
        for tab in opened:
            tab.context.close()


@pytest.fixture
def tab(open_tab: Callable[..., Tab]) -> Tab:
    """A desktop-sized page in a fresh context whose browser asks for English."""
    return open_tab()


_followed: dict[str, tuple[int, str]] = {}


def follow(urls: list[str]) -> dict[str, tuple[int, str]]:
    """GET each URL (on 127.0.0.1) as a browser asks for it (Accept text/html first); its status and body
    (the body only for HTML answers, for fragment checks). Each URL is fetched once per session."""

    def get(url: str) -> tuple[int, str]:
        req = urllib.request.Request(url, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8",
                                                   "Accept-Language": "en-GB,en;q=0.9"})
        try:
            with urllib.request.urlopen(req, timeout=LINK_TIMEOUT) as response:
                kind = response.headers.get("Content-Type", "")
                body = response.read()
                return response.status, body.decode("utf-8", "replace") if "html" in kind else ""
        except urllib.error.HTTPError as error:
            error.close()
            return error.code, ""

    todo = sorted({u for u in urls if u not in _followed})
    with ThreadPoolExecutor(max_workers=4) as pool:
        for url, answer in zip(todo, pool.map(get, todo)):
            _followed[url] = answer
    return {url: _followed[url] for url in urls}


def split_fragment(url: str) -> tuple[str, str]:
    base, fragment = urldefrag(url)
    return base, fragment


def _rows(path: Path) -> list[list[str]]:
    """The data rows of one of the editors' tables (ontology/*.tsv): no comment lines, no header or template row."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = [row for row in csv.reader(handle, delimiter="\t") if row and not row[0].startswith("#")]
    return rows[2:]  # the header and the ROBOT template row


def term_labels() -> dict[str, dict[str, str]]:
    """Every term's labels by id, ``{"OSTEOKG:…": {"en": …, "nl": …}}``, as the editors wrote them."""
    labels = {}
    for table in sorted((ROOT / "ontology" / "terms").glob("*.tsv")):
        for row in _rows(table):
            labels[row[0]] = {"en": row[1], "nl": row[2]}
    return labels


def asserted_edges(subject: str, relations: set[str]) -> list[dict[str, str]]:
    """The asserted edges of ``subject`` (an id) by the relations named (English labels, as ontology/relations.tsv
    has them): ``{"relation", "object" (id), "quote"}`` each, from that table — what the pages must show."""
    by_label = {labels["en"]: term for term, labels in term_labels().items()}
    path = ROOT / "ontology" / "relations.tsv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = [row for row in csv.reader(handle, delimiter="\t") if row and not row[0].startswith("#")]
    header = rows[0]
    found = []
    for row in rows[2:]:
        record = dict(zip(header, row))
        if by_label.get(record["subject"]) == subject and record["relation"] in relations:
            found.append({"relation": record["relation"], "object": by_label[record["object"]],
                          "quote": record["quote"]})
    return found
