"""The browser tests' own guard (conftest.py's :class:`Tab`) catches what it must: a request to another host, a
console error and an uncaught script error. Without this, a watcher that never fires would pass every page. And
without chromium the browser tests fail under ``CI=true`` (skip elsewhere)."""
from __future__ import annotations

import pytest

from tests.api.explorer.conftest import Tab


def test_a_request_to_another_host_is_caught(tab: Tab) -> None:
    tab.goto("/")
    tab.page.evaluate("""() => new Promise(done => {
        const img = new Image(); img.onload = img.onerror = () => done(); img.src = 'http://example.invalid/pixel.png';
    })""")
    assert tab.off_origin == ["http://example.invalid/pixel.png"]
    with pytest.raises(pytest.fail.Exception, match="off the server's origin"):
        tab.check()
    tab.off_origin.clear()
    tab.errors.clear()  # the failed load's console line


def test_data_and_blob_urls_and_the_server_itself_are_allowed(open_tab) -> None:
    tab = open_tab(bypass_csp=True)  # the pages' own policy (api/http.py) refuses these fetches: this checks the watcher
    tab.goto("/")
    tab.page.evaluate("""() => Promise.all([
        fetch('data:text/plain,x'), fetch(URL.createObjectURL(new Blob(['x']))), fetch('/health')])""")
    assert tab.off_origin == []
    tab.check()


def test_console_and_page_errors_are_caught(tab: Tab) -> None:
    tab.goto("/")
    tab.page.evaluate("console.error('a console error')")
    tab.page.evaluate("setTimeout(() => { throw new Error('an uncaught error') }, 0)")
    tab.page.wait_for_timeout(200)
    assert any("a console error" in e for e in tab.errors)
    assert any("an uncaught error" in e for e in tab.errors)
    with pytest.raises(pytest.fail.Exception, match="console or page errors"):
        tab.check()
    tab.errors.clear()


def test_an_expected_error_status_is_not_a_console_error(tab: Tab) -> None:
    tab.goto("/no-such-page", status=404)
    tab.check()  # the 404 asked for is allowed ...
    tab.page.evaluate("fetch('/still-no-such-page')")
    tab.page.wait_for_timeout(200)
    with pytest.raises(pytest.fail.Exception):  # ... another one is not
        tab.check()
    tab.errors.clear()


@pytest.mark.parametrize(("ci", "outcome"), [("true", pytest.fail.Exception), ("", pytest.skip.Exception)])
def test_without_chromium_the_browser_tests_fail_in_ci_and_skip_elsewhere(monkeypatch, ci: str, outcome) -> None:
    from tests.api.explorer import conftest

    monkeypatch.setattr(conftest.shutil, "which", lambda name: None)  # a machine without chromium
    monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome, match="apt-get install chromium"):
        conftest.require_browser()
