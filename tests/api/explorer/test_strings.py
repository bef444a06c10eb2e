"""The explorer's strings: every one in Dutch and English, every key a template uses in the catalogue."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from api.explorer.strings import SCRIPT_KEYS, STRINGS, text
from kg.vocab import LANGUAGES

TEMPLATES = Path(__file__).resolve().parents[3] / "api" / "templates"
USED = re.compile(r"""\bt\(\s*'([a-z_.\-]*[a-z_\-])'""")  # t('key' ...) with a literal key
PREFIXED = re.compile(r"""(?:t|has_t)\(\s*'([a-z_.\-]+\.)'\s*~""")  # t('rule.' ~ ev.rule): a family of keys


@pytest.mark.parametrize("key", sorted(STRINGS))
def test_every_string_is_in_both_languages(key: str) -> None:
    assert set(STRINGS[key]) == set(LANGUAGES), f"{key}: {sorted(STRINGS[key])}"
    assert all(value.strip() for value in STRINGS[key].values())
    fields = [set(re.findall(r"\{(\w+)\}", STRINGS[key][lang])) for lang in LANGUAGES]
    assert all(f == fields[0] for f in fields), f"{key}: the languages fill different values"


def test_every_key_a_template_uses_is_in_the_catalogue() -> None:
    used: set[str] = set()
    families: set[str] = set()
    for path in TEMPLATES.glob("*.html"):
        source = path.read_text(encoding="utf-8")
        used |= set(USED.findall(source))
        families |= set(PREFIXED.findall(source))
    assert used, "no t('…') found: the pattern no longer matches the templates"
    assert sorted(used - set(STRINGS)) == []
    for family in families:  # each family the templates look up by prefix has members
        assert any(key.startswith(family) for key in STRINGS), family
    assert set(SCRIPT_KEYS) <= set(STRINGS)


def test_a_missing_key_says_where_to_add_it() -> None:
    with pytest.raises(KeyError, match="api/explorer/strings.py"):
        text("no.such.key", "en")
    assert text("search.count", "nl", total=3) == "3 gevonden"
