"""kg.settings: one table of every OSTEOKG_* setting; the API's defaults and its env parsing come from it."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from kg import settings
from kg.settings import DOC, SETTINGS, SettingError

ROOT = settings.ROOT


def test_docs_settings_md_is_current() -> None:
    assert DOC.read_text(encoding="utf-8") == settings.markdown(), "docs/settings.md is stale: run python -m kg.settings"


def test_every_osteokg_variable_the_code_names_is_in_the_table() -> None:
    named = set()
    for folder in ("kg", "api"):
        for path in (ROOT / folder).rglob("*.py"):
            named |= set(re.findall(r"\bOSTEOKG_([A-Z][A-Z0-9_]*[A-Z0-9])\b", path.read_text(encoding="utf-8")))
    python_names = {"NS"}  # kg.service.values.OSTEOKG_NS, a namespace, not a variable
    assert named - python_names - set(settings.BY_NAME) == set()


def test_the_api_defaults_are_the_api_settings() -> None:
    from api import DEFAULTS

    assert DEFAULTS == settings.defaults("api")
    assert DEFAULTS["SPARQL_TIMEOUT"] == 10.0 and DEFAULTS["BODY_TIMEOUT"] == 5.0
    assert DEFAULTS["BUILD_DIR"] == str(ROOT / "build")


def test_the_sparql_defaults_come_from_the_table() -> None:
    from api import sparql

    assert sparql.DEFAULT_QUERY_BYTES == settings.default("MAX_CONTENT_LENGTH")
    assert sparql.DEFAULT_QUERY_STRING == settings.default("SPARQL_MAX_QUERY_STRING")
    assert sparql.DEFAULT_MEMORY == settings.default("SPARQL_MAX_MEMORY")
    assert sparql.DEFAULT_BASE_URL == settings.default("BASE_URL")
    assert sparql.DEFAULT_BODY_TIMEOUT == settings.default("BODY_TIMEOUT")


def test_the_watcher_settings_are_there() -> None:
    assert settings.setting("RELOAD_INTERVAL").type == "float" and settings.default("RELOAD_INTERVAL") == 1.0
    assert settings.setting("OSTEOKG_WATCH").type == "bool" and settings.default("WATCH") is False
    from api import DEFAULTS  # api.graph reads both from the app's config

    assert DEFAULTS["WATCH"] is False and DEFAULTS["RELOAD_INTERVAL"] == 1.0


@pytest.mark.parametrize("name, text, value", [
    ("SPARQL_TIMEOUT", "2.5", 2.5), ("SPARQL_TIMEOUT", "3", 3.0), ("SPARQL_MAX_ROWS", " 10 ", 10),
    ("WATCH", "true", True), ("WATCH", "0", False), ("WATCH", "Off", False), ("BUILD_DIR", "/tmp/b", Path("/tmp/b")),
    ("STORE", "rdflib", "rdflib"), ("CORS_ORIGIN", "https://example.org", "https://example.org"),
])
def test_values_parse_as_their_type(name: str, text: str, value: object) -> None:
    parsed = settings.get(name, {f"OSTEOKG_{name}": text})
    assert parsed == value and type(parsed) is type(value)


@pytest.mark.parametrize("name, text, words", [
    ("SPARQL_TIMEOUT", "abc", "OSTEOKG_SPARQL_TIMEOUT='abc' is not a number"),
    ("SPARQL_TIMEOUT", "nan", "is not a number"),
    ("SPARQL_MAX_ROWS", "1.5", "OSTEOKG_SPARQL_MAX_ROWS='1.5' is not a whole number"),
    ("WATCH", "maybe", "OSTEOKG_WATCH='maybe' is not true or false"),
    ("SPARQL_WORKERS", "0", "OSTEOKG_SPARQL_WORKERS=0 is below 1"),
    ("STORE_PASSWORD", None, None),
])
def test_a_bad_value_names_the_variable(name: str, text: str | None, words: str | None) -> None:
    if text is None:
        assert settings.get(name, {}) is None
        return
    with pytest.raises(SettingError, match=re.escape(words)):
        settings.get(name, {f"OSTEOKG_{name}": text})


def test_unset_gives_the_default() -> None:
    assert all(s.read({}) == s.default for s in SETTINGS)
    assert settings.given("STORE", {}) is None and settings.given("STORE", {"OSTEOKG_STORE": "rdflib"}) == "rdflib"
    assert settings.given("PORT", {"OSTEOKG_PORT": "8080"}) == 8080


def test_create_app_refuses_a_bad_value_naming_it(monkeypatch) -> None:
    from api import create_app

    monkeypatch.setenv("OSTEOKG_SPARQL_TIMEOUT", "abc")
    with pytest.raises(SettingError, match="OSTEOKG_SPARQL_TIMEOUT='abc' is not a number"):
        create_app({"TESTING": True})


def test_create_app_types_the_environment(monkeypatch, tmp_path: Path) -> None:
    """OSTEOKG_* values are typed by the table; unknown ones still reach the config (Flask's from_prefixed_env)."""
    from flask import Flask

    monkeypatch.setenv("OSTEOKG_SPARQL_TIMEOUT", "7")
    monkeypatch.setenv("OSTEOKG_CORS_ORIGIN", "123")  # a string, although JSON would make it a number
    monkeypatch.setenv("OSTEOKG_SOMETHING_ELSE", '{"a": 1}')
    app = Flask("probe")
    app.config.from_mapping(settings.defaults("api"))
    app.config.from_prefixed_env("OSTEOKG")
    app.config.from_mapping(settings.from_environ("api"))
    assert app.config["SPARQL_TIMEOUT"] == 7.0 and isinstance(app.config["SPARQL_TIMEOUT"], float)
    assert app.config["CORS_ORIGIN"] == "123"
    assert app.config["SOMETHING_ELSE"] == {"a": 1}


def test_a_secret_is_never_shown() -> None:
    secret = settings.Setting("TOKEN", "int", None, "a token", ("store",), secret=True)
    with pytest.raises(SettingError) as caught:
        secret.parse("hunter2")
    assert "hunter2" not in str(caught.value) and "(hidden)" in str(caught.value)


def test_a_setting_error_is_a_kg_error_with_exit_code_2() -> None:
    from kg.cli import exit_code
    from kg.errors import KgError

    error = SettingError("x")
    assert isinstance(error, KgError) and isinstance(error, ValueError) and exit_code(error) == 2


def test_kg_build_re_exports_the_folders() -> None:
    from kg import build

    assert (build.ROOT, build.ONTOLOGY_DIR, build.BUILD_DIR) == (settings.ROOT, settings.ONTOLOGY_DIR, settings.BUILD_DIR)
