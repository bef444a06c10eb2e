"""Which search engine: SQLite FTS5 (+ rapidfuzz), tantivy, or today's scan, on the words people search with.

Engines, each over the same entries (``kg.service.open_release(build).entries``), asked the same 50
queries (:data:`QUERIES`: Dutch and English, lay and clinical, multi-word, typos, 2–4-letter prefixes,
codes, chosen from the two source texts and the graph's labels):

- ``kg.search`` — the index osteokg ships: SQLite, exact and prefix by b-tree indexes (the folded text;
  every word-boundary suffix), words by FTS5 trigram over the vocabulary + postings, typos by rapidfuzz
  (OSA) over the vocabulary, grouping and ranking inside SQLite by a precomputed integer key;
- ``fts5-trigram`` — SQLite FTS5 with the trigram tokenizer over the texts themselves (substring MATCH
  per query word, LIKE where a word is under three letters), typos by rapidfuzz expanding each word to the
  vocabulary words within its edits (an OR per word), ranking in Python over the matching texts;
- ``fts5-unicode61`` — SQLite FTS5, unicode61 tokenizer with prefix indexes 2, 3, 4: exact and prefix
  by phrase and phrase-prefix queries, words as word prefixes (``w*``: a token tokenizer cannot look
  inside a compound), typos by rapidfuzz over its fts5vocab table, ranking in Python;
- ``tantivy`` — one document per text: a raw field (exact), a raw multi-valued field of word-boundary
  suffixes (prefix: a regex ``q.*`` on the term dictionary), a tokenized field (words: regex ``.*w.*``
  per word; typos: tantivy's fuzzy term query, distance 1 or 2, transposition 1); every match type's
  hits collected ordered by a fast field holding the ranking key with the entity, so no stored field
  is read; grouping per entity in Python;
- ``baseline`` — today's ``Service.search`` (kg/service/questions.py before issue 9), copied here:
  a Python scan that folds every text on every request (exact > prefix > substring, no words, no typos).

Quality: every engine's answer (the total and the first 50 items: id, match type, field, language,
text) is compared with :func:`reference`, a plain reading of the ranking the issue asks for (written
for clarity, not speed); the tables give how many of the 50 queries each engine answers exactly alike.

Graphs: the real one, and a synthetic one ``--scale`` (170) times larger: copy 0 as built, copy *k*
with every entity IRI suffixed ``_k`` and every label and synonym followed by the word ``c<k>`` (so
copies are never exact duplicates, yet each copy of ``botontkalking`` is still a prefix hit of the
query ``botontkalking``: the many near hits a bigger graph gives); codes and categories stay shared,
as foreign terminologies do in a bigger graph (bench/store_bench.py scales the triples the same way).
The vocabulary grows only by the 170 copy words, so the typo step's cost here is that of the real
vocabulary (a few thousand words; rapidfuzz scans ~1 M words/s).

Per query: one warm-up, then ``--reps`` timed runs (``--baseline-reps`` for the scan at scale); no
result cache anywhere (SQLite's page cache is warm, as in a serving process). p50 and p99 per class.
Search is ``search(q, lang, limit=50)`` with the total; suggest ``suggest(q, lang, limit=10)`` over
the prefix class (engines without a suggest path run their search's exact and prefix steps only).

    python bench/search_bench.py [--build /tmp/bench-build] [--scale 170] [--reps 15] [--out bench/results/search.md]
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from rapidfuzz import process
from rapidfuzz.distance import OSA

from kg import search as kgsearch
from kg.service.release import Entry
from kg.service.values import FIELD_ORDER, curie_of, fold

# (query, lang, class): 50 queries
QUERIES: list[tuple[str, str, str]] = [
    # lay and clinical words, Dutch and English, as people type them
    ("botontkalking", "nl", "word"), ("heupbreuk", "nl", "word"), ("rugpijn", "nl", "word"),
    ("botdood", "nl", "word"), ("osteonecrose", "nl", "word"), ("femurkopnecrose", "nl", "word"),
    ("kaaknecrose", "nl", "word"), ("botnecrose", "nl", "word"), ("osteoporose", "nl", "word"),
    ("pijnstillers", "nl", "word"), ("röntgenfoto", "nl", "word"), ("kunstheup", "nl", "word"),
    ("osteoporosis", "en", "word"), ("avascular necrosis", "en", "word"), ("vertebral fracture", "en", "word"),
    ("broken hip", "en", "word"), ("painkillers", "en", "word"), ("MRI", "en", "word"),
    # several words, any order
    ("breuk heup", "nl", "multi"), ("fracture hip", "en", "multi"), ("pijn rug", "nl", "multi"),
    ("necrose kaak", "nl", "multi"), ("jaw osteonecrosis bisphosphonates", "en", "multi"),
    ("bone density low", "en", "multi"), ("heup kop necrose", "nl", "multi"), ("fractuur pols", "nl", "multi"),
    # typos: one or two edits
    ("osteonekrose", "nl", "typo"), ("osteoporsis", "en", "typo"), ("osteoprose", "nl", "typo"),
    ("botontkalkng", "nl", "typo"), ("heupfractur", "nl", "typo"), ("wervelfarctuur", "nl", "typo"),
    ("bisfosfonatn", "nl", "typo"), ("avascular nekrosis", "en", "typo"), ("fractrue", "en", "typo"),
    ("rontgen", "nl", "typo"),
    # prefixes for search-as-you-type (2–4 letters)
    ("os", "nl", "prefix"), ("bo", "nl", "prefix"), ("bot", "nl", "prefix"), ("heu", "nl", "prefix"),
    ("wer", "nl", "prefix"), ("frac", "en", "prefix"), ("oste", "en", "prefix"), ("pij", "nl", "prefix"),
    # codes, as a CURIE and as the local part
    ("ICD10CM:M81", "en", "code"), ("M87", "en", "code"), ("S72", "en", "code"), ("HP:0002953", "en", "code"),
    ("MONDO:0005298", "en", "code"), ("M25.5", "en", "code"),
]
CLASSES = ("word", "multi", "typo", "prefix", "code")


# ---------------------------------------------------------------- the entries


def scaled(entries: list[Entry], scale: int) -> list[Entry]:
    """``scale`` copies: copy 0 as given, copy k with IRIs suffixed ``_k`` and texts followed by ``c<k>``."""
    out = list(entries)
    for k in range(1, scale):
        out += [Entry(e.iri + f"_{k}", {lang: f"{text} c{k}" for lang, text in e.labels.items()},
                      [(fld, lang, f"{text} c{k}") for fld, lang, text in e.synonyms], set(e.categories),
                      list(e.xrefs)) for e in entries]
    return out


# ---------------------------------------------------------------- the reference ranking


def tier(fld: str) -> int:
    return kgsearch.tier(fld)


@dataclass
class Prepared:
    """The entries' texts, folded once: what :func:`reference` reads."""

    texts: list[tuple[Entry, str, str, str, str]]
    vocabulary: list[str]

    @classmethod
    def of(cls, entries: list[Entry]) -> Prepared:
        texts = [(e, fld, language, text, kgsearch.normalized(text)) for e in entries
                 for fld, language, text in kgsearch.texts_of(e)]
        texts = [t for t in texts if t[4]]
        return cls(texts, sorted({w for t in texts for w in t[4].split(" ")}))


def reference(prepared: Prepared, q: str, lang: str, limit: int = 50) -> tuple[int, list[dict]]:
    """The ranking the issue asks for, read plainly: per text its match type, per entity its best match."""
    norm = kgsearch.normalized(q)
    if not norm:
        return 0, []
    words = norm.split(" ")

    def edits(w: str) -> int:
        return 2 if len(w) >= kgsearch.TWO_EDITS else 1

    # per query word, the words of any text within its edits (none for short words and words with a digit)
    near = {w: {t for t in prepared.vocabulary if OSA.distance(w, t) <= edits(w)}
            if len(w) >= kgsearch.FUZZY_MIN and not any(c.isdigit() for c in w) else set() for w in words}
    best: dict[str, tuple] = {}
    for e, fld, language, text, n in prepared.texts:
        if n == norm:
            kind = 0
        elif (" " + n).find(" " + norm) >= 0:
            kind = 1
        elif all(w in n for w in words):
            kind = 2
        elif all(w in n or any(t in near[w] for t in n.split(" ")) for w in words):
            kind = 3
        else:
            continue
        key = (kind, tier(fld), language != lang, len(text), FIELD_ORDER.get(fld, 99), language, text)
        if e.iri not in best or key < best[e.iri][0]:
            best[e.iri] = (key, e, fld, language, text)
    ranked = sorted(best.values(), key=lambda b: (b[0], len(b[1].iri), curie_of(b[1].iri)))
    return len(ranked), [_item(e, fld, language, text, kgsearch.TYPES[key[0]], lang)
                         for key, e, fld, language, text in ranked[:limit]]


def _item(e: Entry, fld: str, language: str, text: str, kind: str, lang: str) -> dict:
    label = e.labels.get(lang) or e.labels.get("en") or next(iter(e.labels.values()), None)
    return {"id": curie_of(e.iri), "iri": e.iri, "label": label, "categories": sorted(curie_of(c) for c in e.categories),
            "match": {"type": kind, "field": fld, "lang": language or None, "text": text}}


# ---------------------------------------------------------------- engines


class Engine:
    name = ""
    size = 0  # bytes on disk

    def search(self, q: str, lang: str) -> tuple[int, list[dict]]:
        raise NotImplementedError

    def suggest(self, q: str, lang: str) -> list[dict]:
        raise NotImplementedError


#: the baseline's match types (kg.service.values.MATCH_NAMES before issue 9)
MATCH_NAMES = {3: "exact", 2: "prefix", 1: "substring"}


class Baseline(Engine):
    """``Service.search`` as it was before issue 9 (kg/service/questions.py), over the same entries."""

    name = "baseline (today's scan)"

    def __init__(self, entries: list[Entry]) -> None:
        self.entries = {e.iri: e for e in sorted(entries, key=lambda e: curie_of(e.iri))}

    def search(self, q: str, lang: str, category: str | None = None, limit: int = 50) -> tuple[int, list[dict]]:
        needle = fold(q.strip())
        hits = []
        for entry in self.entries.values():
            if category and category not in entry.categories:
                continue
            best = None
            candidates = [("label", language, label) for language, label in entry.labels.items()] + entry.synonyms + [
                ("xref", "", code) for _, iri in entry.xrefs for code in (curie_of(iri), curie_of(iri).split(":", 1)[-1])]
            for fld, language, candidate in candidates:
                folded = fold(candidate)
                if folded == needle:
                    rank = 3
                elif folded.startswith(needle) or any(word.startswith(needle) for word in folded.split()):
                    rank = 2
                elif needle in folded:
                    rank = 1
                else:
                    continue
                key = (-rank, fld != "label", language != lang, len(candidate), FIELD_ORDER[fld], language, candidate)
                if best is None or key < best[0]:
                    best = (key, fld, language, candidate, rank)
            if best:
                hits.append((best[0][:4], len(entry.iri), curie_of(entry.iri), entry, *best[1:]))
        hits.sort(key=lambda h: h[:3])
        items = [_item(entry, fld, language, candidate, MATCH_NAMES[rank], lang)
                 for entry, fld, language, candidate, rank in (h[3:] for h in hits)]
        return len(items), items[:limit]

    def suggest(self, q: str, lang: str) -> list[dict]:
        return self.search(q, lang, limit=10)[1]


class KgSearch(Engine):
    name = "kg.search (SQLite: b-trees + FTS5 trigram vocabulary + rapidfuzz)"

    def __init__(self, entries: list[Entry], folder: Path) -> None:
        path = kgsearch.write_index(folder / "search.sqlite", entries)
        self.size = path.stat().st_size
        self.index = kgsearch.SearchIndex.open(path)

    def search(self, q: str, lang: str) -> tuple[int, list[dict]]:
        return self.index.search(q, lang, limit=50)

    def suggest(self, q: str, lang: str) -> list[dict]:
        return self.index.suggest(q, lang, limit=10)


@dataclass
class Texts:
    """The texts with their precomputed ranking parts, shared by the engines that rank in Python."""

    rows: list[tuple] = field(default_factory=list)  # (entry, fld, lang, text, norm, tier, r, erank)
    vocabulary: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, entries: list[Entry]) -> Texts:
        ordered = sorted(entries, key=lambda e: (len(e.iri), curie_of(e.iri)))
        raw = [(e, erank, fld, lang, text, kgsearch.normalized(text)) for erank, e in enumerate(ordered)
               for fld, lang, text in kgsearch.texts_of(e)]
        raw = [r for r in raw if r[5]]
        keys = sorted({(len(t), FIELD_ORDER.get(f, 99), lg, t) for _, _, f, lg, t, _ in raw})
        rank = {k: i for i, k in enumerate(keys)}
        rows = [(e, f, lg, t, n, tier(f), rank[(len(t), FIELD_ORDER.get(f, 99), lg, t)], er)
                for e, er, f, lg, t, n in raw]
        return cls(rows, sorted({w for r in rows for w in r[4].split(" ")}))


def rank_rows(rows: list[tuple], typed: dict[int, int], q_lang: str, limit: int) -> tuple[int, list[dict]]:
    """Group text rows (row index → match type) per entity, best first, as the reference does."""
    best: dict[int, tuple] = {}
    for i, kind in typed.items():
        _, _, lg, _, _, tr, r, er = rows[i]
        key = (kind, tr, lg != q_lang, r, er)
        if er not in best or key < best[er][0]:
            best[er] = (key, i)
    ranked = sorted(best.values())
    items = []
    for key, i in ranked[:limit]:
        e, f, lg, t, *_ = rows[i]
        items.append(_item(e, f, lg, t, kgsearch.TYPES[key[0]], q_lang))
    return len(ranked), items


def near_words(vocabulary: list[str], w: str) -> list[str]:
    if len(w) < kgsearch.FUZZY_MIN or any(c.isdigit() for c in w):
        return []
    edits = 2 if len(w) >= kgsearch.TWO_EDITS else 1
    return [c for c, _, _ in process.extract(w, vocabulary, scorer=OSA.distance, score_cutoff=edits, limit=None)]


def classify(norm: str, q: str) -> int:
    if norm == q:
        return 0
    if (" " + norm).find(" " + q) >= 0:
        return 1
    return 2


class Fts5Trigram(Engine):
    name = "SQLite FTS5 trigram over the texts + rapidfuzz"

    def __init__(self, entries: list[Entry], folder: Path) -> None:
        self.t = Texts.of(entries)
        path = folder / "trigram.sqlite"
        db = sqlite3.connect(path)
        with db:
            db.execute("CREATE VIRTUAL TABLE t USING fts5(norm, tokenize='trigram')")
            db.executemany("INSERT INTO t(rowid, norm) VALUES (?, ?)", ((i, r[4]) for i, r in enumerate(self.t.rows)))
        db.close()
        self.size = path.stat().st_size
        self.db = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)

    def _words(self, words: list[str]) -> set[int]:
        long = [w for w in words if len(w) >= 3]
        short = [w for w in words if len(w) < 3]
        if long:
            sql = "SELECT rowid, norm FROM t WHERE t MATCH ?"
            rows = self.db.execute(sql, (" AND ".join(f'"{w}"' for w in long),)).fetchall()
        else:  # trigrams cannot index a shorter word: every text is scanned
            rows = self.db.execute("SELECT rowid, norm FROM t WHERE norm LIKE ?", (f"%{short[0]}%",)).fetchall()
        return {i for i, n in rows if all(w in n for w in short)}

    def search(self, q: str, lang: str, fuzzy: bool = True) -> tuple[int, list[dict]]:
        norm = kgsearch.normalized(q)
        if not norm:
            return 0, []
        words = list(dict.fromkeys(norm.split(" ")))
        typed = {i: classify(self.t.rows[i][4], norm) for i in self._words(words)}
        if fuzzy:
            near = [set(near_words(self.t.vocabulary, w)) for w in words]
            long = [(w, n) for w, n in zip(words, near) if len(w) >= 3]
            if any(near):
                expr = " AND ".join("(" + " OR ".join(f'"{c}"' for c in [w, *sorted(n)]) + ")" for w, n in long)
                for i, text in self.db.execute("SELECT rowid, norm FROM t WHERE t MATCH ?", (expr,)):
                    ws = text.split(" ")
                    if i not in typed and all(w in text or any(t in n for t in ws) for w, n in zip(words, near)):
                        typed[i] = 3
        return rank_rows(self.t.rows, typed, lang, 50)

    def suggest(self, q: str, lang: str) -> list[dict]:
        norm = kgsearch.normalized(q)
        if not norm:
            return []
        typed = {i: k for i in self._words(norm.split(" ")) if (k := classify(self.t.rows[i][4], norm)) < 2}
        return rank_rows(self.t.rows, typed, lang, 10)[1]


class Fts5Unicode61(Engine):
    name = "SQLite FTS5 unicode61 (prefix 2,3,4) + rapidfuzz"

    def __init__(self, entries: list[Entry], folder: Path) -> None:
        self.t = Texts.of(entries)
        path = folder / "unicode61.sqlite"
        db = sqlite3.connect(path)
        with db:
            db.execute("CREATE VIRTUAL TABLE t USING fts5(norm, tokenize='unicode61 remove_diacritics 2', "
                       "prefix='2 3 4')")
            db.executemany("INSERT INTO t(rowid, norm) VALUES (?, ?)", ((i, r[4]) for i, r in enumerate(self.t.rows)))
            db.execute("CREATE VIRTUAL TABLE v USING fts5vocab(t, row)")
        db.close()
        self.size = path.stat().st_size
        self.db = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
        self.vocabulary = [w for (w,) in self.db.execute("SELECT term FROM v ORDER BY term")]

    def search(self, q: str, lang: str, fuzzy: bool = True, limit: int = 50) -> tuple[int, list[dict]]:
        norm = kgsearch.normalized(q)
        if not norm:
            return 0, []
        words = list(dict.fromkeys(norm.split(" ")))
        # a word prefix per query word, any order (a token index cannot look inside a compound)
        rows = self.db.execute("SELECT rowid, norm FROM t WHERE t MATCH ?",
                               (" AND ".join(f'"{w}" *' for w in words),)).fetchall()
        typed = {i: classify(n, norm) for i, n in rows}
        if fuzzy and limit > 10:
            options = [[w, *near_words(self.vocabulary, w)] for w in words]
            if any(len(o) > 1 for o in options):
                expr = " AND ".join("(" + " OR ".join([f'"{o[0]}" *', *(f'"{c}"' for c in o[1:])]) + ")"
                                    for o in options)
                for i, _ in self.db.execute("SELECT rowid, norm FROM t WHERE t MATCH ?", (expr,)):
                    typed.setdefault(i, 3)
        if limit == 10:
            typed = {i: k for i, k in typed.items() if k < 2}
        return rank_rows(self.t.rows, typed, lang, limit)

    def suggest(self, q: str, lang: str) -> list[dict]:
        return self.search(q, lang, fuzzy=False, limit=10)[1]


class Tantivy(Engine):
    name = "tantivy (regex + fuzzy term queries, fast-field keys)"

    def __init__(self, entries: list[Entry], folder: Path) -> None:
        import tantivy

        self.tantivy = tantivy
        self.t = Texts.of(entries)
        rows = self.t.rows
        self.R = max((r[6] for r in rows), default=0) + 1
        self.E = max((r[7] for r in rows), default=0) + 1
        builder = tantivy.SchemaBuilder()
        builder.add_text_field("norm", tokenizer_name="raw", stored=False)
        builder.add_text_field("starts", tokenizer_name="raw", stored=False)
        builder.add_text_field("words", tokenizer_name="default", stored=False)
        for lang in ("en", "nl"):
            builder.add_unsigned_field(f"key_{lang}", fast=True)
        self.schema = builder.build()
        path = folder / "tantivy"
        path.mkdir()
        index = tantivy.Index(self.schema, path=str(path))
        writer = index.writer(heap_size=200_000_000, num_threads=1)
        for i, (e, f, lg, t, n, tr, r, er) in enumerate(rows):
            ws = n.split(" ")
            doc = tantivy.Document(norm=n, starts=[" ".join(ws[p:]) for p in range(len(ws))], words=n)
            for lang in ("en", "nl"):
                doc.add_unsigned(f"key_{lang}", self._key(tr, lg != lang, r, er))
            writer.add_document(doc)
        writer.commit()
        writer.wait_merging_threads()
        index.reload()
        self.searcher = index.searcher()
        self.size = sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
        self.rows = rows

    def _key(self, tr: int, other: bool, r: int, er: int) -> int:
        return ((tr * 2 + other) * self.R + r) * self.E + er

    def _hits(self, query, lang: str) -> list[int]:
        count = self.searcher.search(query, limit=1, count=True).count
        if not count:
            return []
        result = self.searcher.search(query, limit=count, count=False, order_by_field=f"key_{lang}",
                                      order=self.tantivy.Order.Asc)
        return [key for key, _ in result.hits]

    def _run(self, q: str, lang: str, full: bool, limit: int) -> tuple[int, list[dict]]:
        T = self.tantivy
        Q, Occur = T.Query, T.Occur
        norm = kgsearch.normalized(q)
        if not norm or lang not in ("en", "nl"):
            return 0, []
        words = list(dict.fromkeys(norm.split(" ")))
        steps = [Q.term_query(self.schema, "norm", norm), Q.regex_query(self.schema, "starts", re.escape(norm) + ".*")]
        if full:
            steps.append(Q.boolean_query([(Occur.Must, Q.regex_query(self.schema, "words", f".*{re.escape(w)}.*"))
                                          for w in words]))
            fuzzy = []
            for w in words:
                alternatives = [(Occur.Should, Q.regex_query(self.schema, "words", f".*{re.escape(w)}.*"))]
                if len(w) >= kgsearch.FUZZY_MIN and not any(c.isdigit() for c in w):
                    alternatives.append((Occur.Should, Q.fuzzy_term_query(
                        self.schema, "words", w, distance=2 if len(w) >= kgsearch.TWO_EDITS else 1,
                        transposition_cost_one=True)))
                fuzzy.append((Occur.Must, Q.boolean_query(alternatives)))
            steps.append(Q.boolean_query(fuzzy))
        best: dict[int, tuple[int, int]] = {}
        for kind, query in enumerate(steps):
            for key in self._hits(query, lang):
                er = key % self.E
                if er not in best or (kind, key) < best[er]:
                    best[er] = (kind, key)
        ranked = sorted(best.values())
        items = []
        by_key = self._by_key(lang)
        for kind, key in ranked[:limit]:
            e, f, lg, t, *_ = self.rows[by_key[key]]
            items.append(_item(e, f, lg, t, kgsearch.TYPES[kind], lang))
        return len(ranked), items

    def _by_key(self, lang: str) -> dict[int, int]:
        cache = getattr(self, f"_keys_{lang}", None)
        if cache is None:
            cache = {self._key(r[5], r[2] != lang, r[6], r[7]): i for i, r in enumerate(self.rows)}
            setattr(self, f"_keys_{lang}", cache)
        return cache

    def search(self, q: str, lang: str) -> tuple[int, list[dict]]:
        return self._run(q, lang, True, 50)

    def suggest(self, q: str, lang: str) -> list[dict]:
        return self._run(q, lang, False, 10)[1]


# ---------------------------------------------------------------- measuring


def timed(fn: Callable[[], Any], reps: int) -> tuple[Any, list[float]]:
    result = fn()  # warm-up
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return result, times


def pct(values: list[float], p: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]


def strip(answer: tuple[int, list[dict]]) -> tuple[int, list[tuple]]:
    total, items = answer
    return total, [(i["id"], i["match"]["type"], i["match"]["field"], i["match"]["lang"], i["match"]["text"])
                   for i in items]


def run_graph(name: str, entries: list[Entry], args, folder: Path) -> dict:
    print(f"== {name}: {len(entries)} entries", flush=True)
    expected = {}
    t0 = time.perf_counter()
    suggest_expected = {}
    prepared = Prepared.of(entries)
    for q, lang, cls in QUERIES:
        total, items = reference(prepared, q, lang, limit=10 ** 9)
        expected[q] = strip((total, items[:50]))
        if cls == "prefix":  # suggest: the exact and prefix hits of the reference, first 10
            suggest_expected[q] = [i for i in strip((total, items))[1] if i[1] in ("exact", "prefix")][:10]
    print(f"   reference answers in {time.perf_counter() - t0:.1f} s", flush=True)
    results: dict[str, Any] = {"entries": len(entries), "texts": None, "engines": {}}
    makers: list[tuple[str, Callable[[Path], Engine]]] = [
        ("kg.search", lambda f: KgSearch(entries, f)),
        ("fts5-trigram", lambda f: Fts5Trigram(entries, f)),
        ("fts5-unicode61", lambda f: Fts5Unicode61(entries, f)),
        ("tantivy", lambda f: Tantivy(entries, f)),
        ("baseline", lambda f: Baseline(entries)),
    ]
    for key, make in makers:
        sub = folder / f"{name}-{key}"
        sub.mkdir()
        t0 = time.perf_counter()
        engine = make(sub)
        build_s = time.perf_counter() - t0
        reps = args.baseline_reps if key == "baseline" and len(entries) > 10_000 else args.reps
        per_class: dict[str, list[float]] = {c: [] for c in CLASSES}
        suggest_times: list[float] = []
        agree, disagree = 0, []
        suggest_agree = 0
        for q, lang, cls in QUERIES:
            answer, times = timed(lambda e=engine, q=q, lang=lang: e.search(q, lang), reps)
            per_class[cls] += times
            if strip(answer) == expected[q]:
                agree += 1
            else:
                disagree.append(q)
            if cls == "prefix":
                got, times = timed(lambda e=engine, q=q, lang=lang: e.suggest(q, lang), reps)
                suggest_times += times
                suggest_agree += strip((0, got))[1] == suggest_expected[q]
        everything = [t for ts in per_class.values() for t in ts]
        results["engines"][key] = {
            "name": engine.name, "build_s": build_s, "size_bytes": engine.size, "reps": reps,
            "search": {c: {"p50": pct(ts, 50), "p99": pct(ts, 99), "n": len(ts)} for c, ts in per_class.items()},
            "search_all": {"p50": pct(everything, 50), "p99": pct(everything, 99), "n": len(everything)},
            "suggest": {"p50": pct(suggest_times, 50), "p99": pct(suggest_times, 99), "n": len(suggest_times)},
            "agree": agree, "disagree": disagree, "suggest_agree": suggest_agree,
        }
        e = results["engines"][key]
        print(f"   {key:15} build {build_s:6.2f} s  search p50 {e['search_all']['p50']:8.2f} ms  "
              f"suggest p50 {e['suggest']['p50']:8.2f} ms  agree {agree}/50  suggest {suggest_agree}/8", flush=True)
        del engine
    return results


def fmt(ms: float) -> str:
    if math.isnan(ms):
        return "—"
    return f"{ms:,.2f}" if ms < 100 else f"{ms:,.0f}"


def report(all_results: dict, args) -> str:
    lines = ["# Search engines: kg.search vs SQLite FTS5 over the texts, tantivy and today's scan", "",
             (f"`python bench/search_bench.py --scale {args.scale} --reps {args.reps} --baseline-reps "
             f"{args.baseline_reps}` — {all_results['when']}, Python {platform.python_version()}, SQLite "
             f"{sqlite3.sqlite_version}, load average before {all_results['load_before']}, after "
             f"{all_results['load_after']}. Times in ms, `search(q, lang, limit=50)` with its total and "
             "`suggest(q, lang, limit=10)`, no result cache. The machine has 2 shared cores: compare engines "
             "within a table, not with another run."), ""]
    for graph, res in all_results["graphs"].items():
        engines = res["engines"]
        base = engines["baseline"]["search_all"]["p50"]
        lines += [f"## {graph} ({res['entries']:,} entities)", "",
                  "| engine | build | size | search p50 (p99) | ×baseline | suggest p50 (p99) | agrees (search / suggest) |",
                  "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
        for key, e in engines.items():
            size = f"{e['size_bytes'] / 1e6:.1f} MB" if e["size_bytes"] else "in memory"
            ratio = base / e["search_all"]["p50"] if e["search_all"]["p50"] else math.nan
            lines.append(f"| {e['name']} | {e['build_s']:.2f} s | {size} | {fmt(e['search_all']['p50'])} "
                         f"({fmt(e['search_all']['p99'])}) | {ratio:,.{1 if ratio < 10 else 0}f}× | {fmt(e['suggest']['p50'])} "
                         f"({fmt(e['suggest']['p99'])}) | {e['agree']}/50 / {e['suggest_agree']}/8 |")
        lines += ["", "Search p50 (p99) per query class:", "",
                  "| engine | " + " | ".join(CLASSES) + " |", "| --- |" + " ---: |" * len(CLASSES)]
        for key, e in engines.items():
            lines.append(f"| {key} | " + " | ".join(f"{fmt(e['search'][c]['p50'])} ({fmt(e['search'][c]['p99'])})"
                                                  for c in CLASSES) + " |")
        lines += ["", "Queries whose answer differs from the reference ranking:", ""]
        for key, e in engines.items():
            lines.append(f"- {key}: {', '.join(f'`{q}`' for q in e['disagree']) or 'none'}")
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--build", type=Path, default=ROOT / "build")
    parser.add_argument("--scale", type=int, default=170)
    parser.add_argument("--reps", type=int, default=15)
    parser.add_argument("--baseline-reps", type=int, default=2)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "search.md")
    args = parser.parse_args()
    from kg.service import open_release

    release = open_release(args.build)
    entries = list(release.entries.values())
    release.close()
    results: dict[str, Any] = {"when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                               "load_before": " ".join(f"{x:.2f}" for x in os.getloadavg()), "graphs": {}}
    folder = Path(tempfile.mkdtemp(prefix="search-bench-"))
    try:
        results["graphs"]["real graph"] = run_graph("real", entries, args, folder)
        results["graphs"][f"synthetic ×{args.scale}"] = run_graph("scaled", scaled(entries, args.scale), args, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    results["load_after"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps(results, indent=1, default=str), encoding="utf-8")
    text = report(results, args)
    marker = "<!-- measured -->"
    if args.out.exists() and marker in (old := args.out.read_text(encoding="utf-8")):
        text = old.split(marker)[0] + marker + "\n\n" + text  # keep the hand-written conclusion above the marker
    args.out.write_text(text + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
