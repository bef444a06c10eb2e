"""The search index of a release: labels, typed synonyms and codes in both languages, in one SQLite file.

:func:`write_index` writes it at build time into the release folder; :meth:`SearchIndex.open` opens it
read-only (``immutable``: a release never changes), a connection per thread, so any number of threads
and processes read it at once.

What matches. Texts and queries are folded as :func:`kg.service.values.fold` folds (casefold, accents
stripped) and split into words (runs of letters and digits: ``ICD10CM:M87.180`` is the words
``icd10cm m87 180``, ``low-trauma`` is ``low trauma``); a query without a word (only punctuation,
emoji) finds nothing. A hit has one of four types, best first:

- ``exact``: the text's words are the query's words, in that order;
- ``prefix``: the text, or one of its words, starts with the query (``botnec``, ``hip fr``);
- ``words``: every query word occurs in the text, in any order — as a word, a word's start or inside a
  word, so ``breuk heup`` finds ``heupbreuk`` (Dutch compounds); one query word is a substring;
- ``fuzzy``: every query word occurs in the text as above or is within one edit of one of its words
  (two edits for query words of 8 letters or more; an edit is an insertion, a deletion, a substitution
  or two neighbouring letters swapped — optimal string alignment); words of one or two letters are not
  fuzzed, since a one-letter change makes them almost any other short word, nor words with a digit (``M80`` is
  not a typo of ``M81``: it is another code).

Each entity is listed once, with its best match. Within a type: a label before an exact synonym before
a narrow, broad or related synonym before a code (xref); the requested language first; the shorter text;
then the field's order (:data:`kg.service.values.FIELD_ORDER`), the language and the text; between
entities whose best matches are equal, the shorter IRI, then the CURIE. The order is total, so pages
never overlap and the same question always gets the same answer.

How. Every text is stored with its entity, field, language and a precomputed rank of (length, field
order, language, text); an entity's id is its rank by (IRI length, CURIE), so one integer key and the
entity id order every hit. ``exact`` is an index lookup on the folded text; ``prefix`` a range scan of
an index of every text's word-boundary suffixes (``osteoporotic hip fracture``, ``hip fracture``,
``fracture``); ``words`` finds, per query word, the vocabulary words that contain it (SQLite FTS5's
trigram tokenizer over the vocabulary; a plain scan for words under three letters, which trigrams
cannot index) and intersects their postings; ``fuzzy`` adds, per query word, the vocabulary words
within its edits (rapidfuzz's OSA distance over the vocabulary, read once when the index is opened).
Grouping per entity, ranking and paging run inside SQLite.

Why this engine: ``bench/search_bench.py`` (``bench/results/search.md``) compared it with SQLite FTS5
over the texts themselves (trigram tokenizer; unicode61 with prefix indexes) and with tantivy's term,
phrase-prefix, regex and fuzzy term queries, and with the scan it replaces. All the candidates find the
hits fast; what costs at a million triples is ranking thousands of hits deterministically and counting
them, which only an engine that ranks inside the index by a precomputed integer key does without
bringing every hit into Python. SQLite is in the standard library, writes a single deterministic file
that many processes open read-only, and its FTS5 trigram index covers the inside-a-word matches that
Dutch compounds need; rapidfuzz covers the typos (tantivy's fuzzy queries need its own Levenshtein
automata and a Python pass over every hit to rank them by this order).
"""
from __future__ import annotations

import json
import os
import re
import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import quote

from rapidfuzz import process
from rapidfuzz.distance import OSA

from kg.service.values import FIELD_ORDER, curie_of, fold

if TYPE_CHECKING:
    from kg.service.release import Entry

#: the index file's format; :meth:`SearchIndex.open` refuses another
FORMAT = "osteokg-search/1"
#: the match types, best first (their number is the type's rank in the key)
TYPES = ("exact", "prefix", "words", "fuzzy")
WORD = re.compile(r"\w+")
#: the highest code point: a string starting with ``q`` sorts below ``q + TOP``
TOP = chr(0x10FFFF)
#: query words under this length are not fuzzed; at or above ``TWO_EDITS`` letters they get two edits
FUZZY_MIN, TWO_EDITS = 3, 8
#: at most this many distinct query words are used (a query is at most 200 characters anyway)
MAX_WORDS = 32


def words_of(text: str) -> list[str]:
    """The folded words of ``text``: what the index and a query are made of."""
    return WORD.findall(fold(text))


def normalized(text: str) -> str:
    """``text`` folded, its words joined by single spaces: what ``exact`` and ``prefix`` compare."""
    return " ".join(words_of(text))


def tier(field: str) -> int:
    """A label 0, an exact synonym 1, another synonym 2, a code 3: the first key within a match type."""
    return {"label": 0, "exact synonym": 1, "xref": 3}.get(field, 2)


def texts_of(entry: Entry) -> list[tuple[str, str, str]]:
    """The (field, lang, text) an entity is found by: its labels, synonyms and codes (as a CURIE and its local
    part), each once."""
    found = [("label", lang, label) for lang, label in sorted(entry.labels.items())]
    found += [(fld, lang, text) for fld, lang, text in entry.synonyms]
    for _, code in sorted(entry.xrefs):
        curie = curie_of(code)
        found += [("xref", "", curie), ("xref", "", curie.split(":", 1)[-1])]
    return list(dict.fromkeys(found))


# ---------------------------------------------------------------- writing

SCHEMA = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;
CREATE TABLE entities(id INTEGER PRIMARY KEY, iri TEXT NOT NULL, curie TEXT NOT NULL, labels TEXT NOT NULL,
                      categories TEXT NOT NULL);
CREATE TABLE entity_categories(category TEXT, entity INTEGER, PRIMARY KEY(category, entity)) WITHOUT ROWID;
CREATE TABLE texts(id INTEGER PRIMARY KEY, entity INTEGER NOT NULL, tier INTEGER NOT NULL, field TEXT NOT NULL,
                   lang TEXT NOT NULL, text TEXT NOT NULL, norm TEXT NOT NULL, r INTEGER NOT NULL);
CREATE INDEX texts_norm ON texts(norm);
CREATE TABLE starts(suffix TEXT, text INTEGER, PRIMARY KEY(suffix, text)) WITHOUT ROWID;
CREATE TABLE words(id INTEGER PRIMARY KEY, word TEXT NOT NULL UNIQUE);
CREATE VIRTUAL TABLE words_tri USING fts5(word, content='words', content_rowid='id', tokenize='trigram');
CREATE TABLE postings(word INTEGER, text INTEGER, PRIMARY KEY(word, text)) WITHOUT ROWID;
"""


def write_index(path: Path, entries: Iterable[Entry]) -> Path:
    """Write the search index of ``entries`` to the file ``path`` (replaced whole, through a temporary file
    beside it); the same entries give the same bytes. Returns ``path``."""
    path = Path(path)
    ordered = sorted(entries, key=lambda e: (len(e.iri), curie_of(e.iri)))
    rows = []  # (entity id, field, lang, text, norm)
    for number, entry in enumerate(ordered, 1):
        for fld, lang, text in texts_of(entry):
            norm = normalized(text)
            if norm:
                rows.append((number, fld, lang, text, norm))
    # the text's rank: the tie-break after type, tier and language (shorter, field order, language, text)
    keys = sorted({(len(text), FIELD_ORDER.get(fld, len(FIELD_ORDER)), lang, text) for _, fld, lang, text, _ in rows})
    rank = {key: r for r, key in enumerate(keys)}
    texts = sorted(((entity, rank[(len(text), FIELD_ORDER.get(fld, len(FIELD_ORDER)), lang, text)], fld, lang, text,
                     norm) for entity, fld, lang, text, norm in rows))
    vocabulary = sorted({word for *_, norm in texts for word in norm.split(" ")})
    word_ids = {word: number for number, word in enumerate(vocabulary, 1)}
    starts: set[tuple[str, int]] = set()
    postings: set[tuple[int, int]] = set()
    for text_id, (*_, norm) in enumerate(texts, 1):
        words = norm.split(" ")
        for position, word in enumerate(words):
            starts.add((" ".join(words[position:]), text_id))
            postings.add((word_ids[word], text_id))

    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.unlink(missing_ok=True)
    try:
        db = sqlite3.connect(temporary)
        try:
            db.executescript("PRAGMA page_size = 4096; PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;")
            with db:
                db.executescript(SCHEMA)
                db.executemany("INSERT INTO meta VALUES (?, ?)",
                               [("format", FORMAT), ("ranks", str(len(keys))), ("entities", str(len(ordered)))])
                db.executemany("INSERT INTO entities VALUES (?, ?, ?, ?, ?)", (
                    (number, e.iri, curie_of(e.iri), json.dumps(e.labels, ensure_ascii=False),
                     json.dumps(sorted(curie_of(c) for c in e.categories)))
                    for number, e in enumerate(ordered, 1)))
                db.executemany("INSERT INTO entity_categories VALUES (?, ?)",
                               sorted((c, number) for number, e in enumerate(ordered, 1) for c in e.categories))
                db.executemany("INSERT INTO texts VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (
                    (text_id, entity, tier(fld), fld, lang, text, norm, r)
                    for text_id, (entity, r, fld, lang, text, norm) in enumerate(texts, 1)))
                db.executemany("INSERT INTO starts VALUES (?, ?)", sorted(starts))
                db.executemany("INSERT INTO words VALUES (?, ?)", ((n, w) for w, n in word_ids.items()))
                db.execute("INSERT INTO words_tri(words_tri) VALUES ('rebuild')")
                db.executemany("INSERT INTO postings VALUES (?, ?)", sorted(postings))
                db.execute("ANALYZE")
        finally:
            db.close()
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path


# ---------------------------------------------------------------- reading


class SearchIndex:
    """A search index opened read-only; :meth:`search` and :meth:`suggest` may be called from any thread."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._uri = f"file:{quote(str(self.path.resolve()))}?mode=ro&immutable=1"
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []
        self._closed = False
        db = self._db()
        try:
            meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
        except sqlite3.DatabaseError:  # not SQLite, or SQLite without the index's tables
            meta = {}
        if meta.get("format") != FORMAT:
            self.close()
            raise ValueError(f"{self.path} is not an osteokg search index of format {FORMAT}")
        self.ranks = int(meta["ranks"])
        #: the vocabulary, in word-id order (id = position + 1): the fuzzy step's choices
        self.vocabulary: list[str] = [w for (w,) in db.execute("SELECT word FROM words ORDER BY id")]

    @classmethod
    def open(cls, path: Path) -> SearchIndex:
        """Open the index file ``path`` read-only (:class:`FileNotFoundError` when it is missing)."""
        if not Path(path).is_file():
            raise FileNotFoundError(f"{path} is missing: the release has no search index (rebuild it)")
        return cls(path)

    def _db(self) -> sqlite3.Connection:
        """This thread's connection."""
        if self._closed:
            raise ValueError(f"the search index {self.path} is closed")
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self._uri, uri=True, check_same_thread=False)
            with self._lock:
                self._connections.append(db)
            self._local.db = db
        return db

    def close(self) -> None:
        """Close every thread's connection; the index cannot be searched after."""
        with self._lock:
            self._closed = True
            connections, self._connections = self._connections, []
        for db in connections:
            db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -------------------------------------------------- the query's parts

    def _containing(self, word: str) -> list[int]:
        """The ids of the vocabulary words that contain ``word``."""
        if len(word) >= 3:  # a trigram phrase: ``word`` is letters and digits only, quoted as FTS5 wants
            return [n for (n,) in self._db().execute("SELECT rowid FROM words_tri WHERE word MATCH ?",
                                                     (f'"{word}"',))]
        return [n for n, candidate in enumerate(self.vocabulary, 1) if word in candidate]

    def _near(self, word: str) -> list[int]:
        """The ids of the vocabulary words within ``word``'s edits; none for words under :data:`FUZZY_MIN` letters and
        for words with a digit (a code one digit off is another code)."""
        if len(word) < FUZZY_MIN or any(c.isdigit() for c in word):
            return []
        edits = 2 if len(word) >= TWO_EDITS else 1
        found = process.extract(word, self.vocabulary, scorer=OSA.distance, score_cutoff=edits, limit=None)
        return [index + 1 for _, _, index in found]

    def _query(self, text: str, lang: str, category: str | None, fuzzy: bool, full: bool
               ) -> tuple[str, list[Any]] | None:
        """The SQL of the ranked hits (one row per entity) and its parameters; None when nothing can match.

        ``full``: every match type (search); else only exact and prefix (suggest)."""
        norm = normalized(text)
        if not norm:
            return None
        params: list[Any] = []  # in the order of the SQL text: the CTEs' first, then the branches', then best's
        ctes: list[str] = []
        branches = ["SELECT id AS t, 0 AS type FROM texts WHERE norm = ?",
                    "SELECT text, 1 FROM starts WHERE suffix >= ? AND suffix < ?"]
        if full:
            words = list(dict.fromkeys(norm.split(" ")))[:MAX_WORDS]
            containing = [self._containing(w) for w in words]
            if all(containing):
                for n, ids in enumerate(containing):
                    ctes.append(f"w{n}(t) AS (SELECT text FROM postings WHERE word IN "
                                f"(SELECT value FROM json_each(?)))")
                    params.append(json.dumps(ids))
                ctes.append("hits(t) AS (" + " INTERSECT ".join(f"SELECT t FROM w{n}" for n in range(len(words))) + ")")
                branches.append("SELECT t, 2 FROM hits")
            if fuzzy:
                near = [self._near(w) for w in words]
                allowed = [sorted(set(c) | set(f)) for c, f in zip(containing, near)]
                if any(near) and all(allowed):
                    for n, ids in enumerate(allowed):
                        ctes.append(f"f{n}(t) AS (SELECT text FROM postings WHERE word IN "
                                    f"(SELECT value FROM json_each(?)))")
                        params.append(json.dumps(ids))
                    ctes.append("fuzzy(t) AS (" + " INTERSECT ".join(f"SELECT t FROM f{n}" for n in range(len(words)))
                                + ")")
                    branches.append("SELECT t, 3 FROM fuzzy")
        ctes.append("m(t, type) AS (" + " UNION ALL ".join(branches) + ")")
        params += [norm, norm, norm + TOP]
        where = ""
        if category is not None:
            where = "WHERE x.entity IN (SELECT entity FROM entity_categories WHERE category = ?)"
        ctes.append("best AS (SELECT x.entity AS entity, "
                    "min(((m.type * 4 + x.tier) * 2 + (x.lang != ?)) * ? + x.r) AS key, x.id AS tid, m.type AS type "
                    f"FROM m JOIN texts x ON x.id = m.t {where} GROUP BY x.entity)")
        params += [lang, self.ranks]
        if category is not None:
            params.append(category)
        return "WITH " + ",\n".join(ctes), params

    _PAGE = ("SELECT {total}, best.type, x.field, x.lang, x.text, e.iri, e.curie, e.labels, e.categories "
             "FROM best JOIN texts x ON x.id = best.tid JOIN entities e ON e.id = best.entity "
             "ORDER BY best.key, best.entity LIMIT ? OFFSET ?")

    def _items(self, rows: list[tuple], lang: str) -> list[dict]:
        items = []
        for _, type_, fld, language, text, iri, curie, labels_json, categories_json in rows:
            labels = json.loads(labels_json)
            label = labels.get(lang) or labels.get("en") or next(iter(labels.values()), None)
            items.append({"id": curie, "iri": iri, "label": label, "categories": json.loads(categories_json),
                          "match": {"type": TYPES[type_], "field": fld, "lang": language or None, "text": text}})
        return items

    # -------------------------------------------------- the questions

    def search(self, text: str, lang: str = "en", category: str | None = None, limit: int | None = 50,
               offset: int = 0, fuzzy: bool = True) -> tuple[int, list[dict]]:
        """(how many entities match ``text``, the page of them from ``offset``, at most ``limit``; None: all).

        ``category`` is a category IRI: only its members. ``fuzzy=False`` leaves out the typo step."""
        if (limit is not None and limit < 0) or offset < 0:
            raise ValueError("limit and offset must not be negative")
        query = self._query(text, lang, category, fuzzy, True)
        if query is None:
            return 0, []
        sql, params = query
        db = self._db()
        rows = db.execute(f"{sql}\n{self._PAGE.format(total='count(*) OVER ()')}",
                          [*params, -1 if limit is None else limit, offset]).fetchall()
        if rows:
            total = rows[0][0]
        elif offset > 0 or limit == 0:
            total = db.execute(f"{sql}\nSELECT count(*) FROM best", params).fetchone()[0]
        else:
            total = 0
        return total, self._items(rows, lang)

    def suggest(self, text: str, lang: str = "en", limit: int = 10) -> list[dict]:
        """Search-as-you-type: the entities whose text, or one of its words, starts with ``text`` (exact matches
        first), in the search order; no total, no words or typo step."""
        if limit < 0:
            raise ValueError("limit must not be negative")
        query = self._query(text, lang, None, False, False)
        if query is None:
            return []
        sql, params = query
        rows = self._db().execute(f"{sql}\n{self._PAGE.format(total='0')}", [*params, limit, 0]).fetchall()
        return self._items(rows, lang)
