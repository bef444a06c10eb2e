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
order, language, text), and so is every suffix and posting; an entity's id is its rank by (IRI length,
CURIE), so one integer key and the entity id order every hit without reading a text. ``exact`` is an
index lookup on the folded text; ``prefix`` a range scan of the index of every text's word-boundary
suffixes (``osteoporotic hip fracture``, ``hip fracture``, ``fracture``); ``words`` finds, per query
word, the vocabulary words that contain it (SQLite FTS5's trigram tokenizer over the vocabulary; a scan
of the vocabulary for words under three letters, which trigrams cannot index) and intersects their
postings, driven by the rarest word; ``fuzzy`` adds, per query word, the vocabulary words within its
edits (rapidfuzz's OSA distance over the vocabulary, read once when the index is opened). Grouping per
entity, ranking, counting and paging run inside SQLite. :meth:`SearchIndex.suggest` reads the first
50 entities of a prefix of up to three letters that starts at least 500 suffixes (the largest ranges),
stored at build time, else the first rows of the suffix range in the ranking order.

Why this engine: ``bench/search_bench.py`` (``bench/results/search.md``) compared it, on 50 Dutch and
English queries (lay and clinical words, several words, typos, prefixes, codes) over the real graph and
a copy ×170 (37,740 entities), with SQLite FTS5 over the texts themselves (trigram tokenizer; unicode61
with prefix indexes) ranking in Python, with tantivy's term, regex and fuzzy term queries, and with the
scan it replaces. It, FTS5 trigram and tantivy gave exactly the reference ranking on all 50 (unicode61
missed 11: a token index cannot look inside ``heupbreuk``); at ×170 its search p50 was 11.6 ms against
16.5 ms (FTS5 trigram), 32.7 ms (tantivy: every hit comes back to Python to be ranked in this order) and
2,031 ms (the scan), its suggest p50 0.17 ms against 27–128 ms, under a load of 16–20 on two cores. It
costs the largest file (80 MB at ×170, under 1 MB for the real graph) and the slowest build at ×170,
both paid once per release. SQLite is in the standard library, and one file is opened read-only by
every process that serves the release.
"""
from __future__ import annotations

import json
import os
import re
import sqlite3
import threading
from contextlib import contextmanager
from collections.abc import Iterable, Iterator
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
#: how much of the file each connection maps into memory (bytes; the file is far smaller)
MMAP = 1 << 30
#: prefixes of up to SHORT letters that start at least STORED suffixes have their first SUGGESTED entities stored
#: ready (:func:`_suggestions`); a smaller range is read as fast as the stored list
SHORT, SUGGESTED, STORED = 3, 50, 500
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
CREATE TABLE starts(suffix TEXT, text INTEGER, entity INTEGER, tier INTEGER, lang TEXT, r INTEGER,
                    PRIMARY KEY(suffix, text)) WITHOUT ROWID;
CREATE TABLE words(id INTEGER PRIMARY KEY, word TEXT NOT NULL UNIQUE, postings INTEGER NOT NULL);
CREATE VIRTUAL TABLE words_tri USING fts5(word, content='words', content_rowid='id', tokenize='trigram');
CREATE TABLE postings(word INTEGER, text INTEGER, entity INTEGER, tier INTEGER, lang TEXT, r INTEGER,
                      PRIMARY KEY(word, text)) WITHOUT ROWID;
CREATE INDEX postings_text ON postings(text, word);
CREATE TABLE suggestions(prefix TEXT, mode TEXT, position INTEGER, entity INTEGER, text INTEGER,
                         PRIMARY KEY(prefix, mode, position)) WITHOUT ROWID;
"""


def write_index(path: Path, entries: Iterable[Entry], *, stored: int = STORED) -> Path:
    """Write the search index of ``entries`` to the file ``path`` (replaced whole, through a temporary file
    beside it); the same entries give the same bytes. Returns ``path``. ``stored``: the fewest suffixes a short
    prefix starts for its suggestions to be stored (:data:`STORED`; the tests store every one)."""
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
    starts: set[tuple[str, int, int, int, str, int]] = set()
    postings: set[tuple[int, int, int, int, str, int]] = set()
    for text_id, (entity, r, fld, lang, _, norm) in enumerate(texts, 1):
        words = norm.split(" ")
        ranking = (entity, tier(fld), lang, r)  # beside each suffix and posting: no lookup of the text to rank it
        for position, word in enumerate(words):
            starts.add((" ".join(words[position:]), text_id, *ranking))
            postings.add((word_ids[word], text_id, *ranking))
    suggestions = _suggestions(starts, stored)

    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.unlink(missing_ok=True)
    try:
        db = sqlite3.connect(temporary)
        try:
            db.executescript("PRAGMA page_size = 4096; PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;")
            with db:
                db.executescript(SCHEMA)
                db.executemany("INSERT INTO meta VALUES (?, ?)",
                               [("format", FORMAT), ("ranks", str(len(keys))), ("entities", str(len(ordered))),
                                ("modes", json.dumps(sorted({m for _, m, *_ in suggestions})))])
                db.executemany("INSERT INTO entities VALUES (?, ?, ?, ?, ?)", (
                    (number, e.iri, curie_of(e.iri), json.dumps(e.labels, ensure_ascii=False),
                     json.dumps(sorted(curie_of(c) for c in e.categories)))
                    for number, e in enumerate(ordered, 1)))
                db.executemany("INSERT INTO entity_categories VALUES (?, ?)",
                               sorted((c, number) for number, e in enumerate(ordered, 1) for c in e.categories))
                db.executemany("INSERT INTO texts VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (
                    (text_id, entity, tier(fld), fld, lang, text, norm, r)
                    for text_id, (entity, r, fld, lang, text, norm) in enumerate(texts, 1)))
                db.executemany("INSERT INTO starts VALUES (?, ?, ?, ?, ?, ?)", sorted(starts))
                counts: dict[int, int] = {}
                for word_id, *_ in postings:
                    counts[word_id] = counts.get(word_id, 0) + 1
                db.executemany("INSERT INTO words VALUES (?, ?, ?)", ((n, w, counts[n]) for w, n in word_ids.items()))
                db.execute("INSERT INTO words_tri(words_tri) VALUES ('rebuild')")
                db.executemany("INSERT INTO postings VALUES (?, ?, ?, ?, ?, ?)", sorted(postings))
                db.executemany("INSERT INTO suggestions VALUES (?, ?, ?, ?, ?)", suggestions)
                db.execute("ANALYZE")
        finally:
            db.close()
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path


def _suggestions(starts: Iterable[tuple[str, int, int, int, str, int]], stored: int
                 ) -> list[tuple[str, str, int, int, int]]:
    """The first :data:`SUGGESTED` entities for every prefix of up to :data:`SHORT` letters that starts at least
    ``stored`` suffixes, in the ranking order, per requested language (``*``: one no text has): the ranges a
    short prefix covers are the largest, so search-as-you-type reads them ready. Rows (prefix, mode,
    position, entity, text id)."""
    counts: dict[str, int] = {}
    for suffix, *_ in starts:
        for length in range(1, min(SHORT, len(suffix)) + 1):
            counts[suffix[:length]] = counts.get(suffix[:length], 0) + 1
    large = {prefix for prefix, n in counts.items() if n >= stored}
    rows = sorted((s for s in starts if s[0][:1] in large), key=lambda s: (s[3], s[5], s[2]))  # tier, r, entity
    languages = sorted({s[4] for s in rows})
    out = []
    for mode in [*languages, "*"]:
        ordered = sorted(rows, key=lambda s: (s[3], s[4] != mode, s[5], s[2]))
        chosen: dict[str, dict[int, int]] = {}  # prefix → entity → text, in order
        for suffix, text_id, entity, *_ in ordered:
            for length in range(1, min(SHORT, len(suffix)) + 1):
                if suffix[:length] not in large:
                    break  # a longer prefix of a small range's is smaller still
                picked = chosen.setdefault(suffix[:length], {})
                if len(picked) < SUGGESTED and entity not in picked:
                    picked[entity] = text_id
        out += [(prefix, mode, position, entity, text_id) for prefix, picked in chosen.items()
                for position, (entity, text_id) in enumerate(picked.items())]
    return sorted(out)


# ---------------------------------------------------------------- reading


class SearchIndex:
    """A search index opened read-only; :meth:`search` and :meth:`suggest` may be called from any thread."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._uri = f"file:{quote(str(self.path.resolve()))}?mode=ro&immutable=1"
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []  # every connection opened, to close them all
        self._idle: list[sqlite3.Connection] = []  # those no call holds now
        self._closed = False
        with self._held() as db:
            try:
                meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
            except sqlite3.DatabaseError:  # not SQLite, or SQLite without the index's tables
                meta = {}
            if meta.get("format") != FORMAT:
                self.close()
                raise ValueError(f"{self.path} is not an osteokg search index of format {FORMAT}")
            rows = db.execute("SELECT word, postings FROM words ORDER BY id").fetchall()
        self.ranks = int(meta["ranks"])
        self.modes = frozenset(json.loads(meta["modes"]))
        #: the vocabulary, in word-id order (id = position + 1): the fuzzy step's choices
        self.vocabulary: list[str] = [w for w, _ in rows]
        #: how many texts hold each word (by word id - 1): which query word drives an intersection
        self.postings: list[int] = [n for _, n in rows]

    @classmethod
    def open(cls, path: Path) -> SearchIndex:
        """Open the index file ``path`` read-only (:class:`FileNotFoundError` when it is missing)."""
        if not Path(path).is_file():
            raise FileNotFoundError(f"{path} is missing: the release has no search index (rebuild it)")
        return cls(path)

    @contextmanager
    def _held(self) -> Iterator[sqlite3.Connection]:
        """A connection for this call (the one this thread already holds, in a nested call), from a pool: as many
        connections as calls run at once, not one per thread a server ever ran a search in (granian's WSGI threads
        are hundreds, and each connection keeps its own page cache: at a million triples the workers' heap grew by
        hundreds of MB under a search load, scale_bench)."""
        held = getattr(self._local, "db", None)
        if held is not None:
            yield held
            return
        if self._closed:
            raise ValueError(f"the search index {self.path} is closed")
        with self._lock:
            db = self._idle.pop() if self._idle else None
        if db is None:
            db = sqlite3.connect(self._uri, uri=True, check_same_thread=False)
            db.execute(f"PRAGMA mmap_size = {MMAP}")  # pages read from the OS's cache, shared by every process
            with self._lock:
                self._connections.append(db)
        self._local.db = db
        try:
            yield db
        finally:
            self._local.db = None
            with self._lock:
                if self._closed:
                    db.close()
                else:
                    self._idle.append(db)

    def _db(self) -> sqlite3.Connection:
        """The connection this thread holds for the call it is in (:meth:`_held`)."""
        db = getattr(self._local, "db", None)
        if db is None:
            raise RuntimeError("the search index is read only inside a call that holds a connection")
        return db

    def close(self) -> None:
        """Close every thread's connection; the index cannot be searched after."""
        with self._lock:
            self._closed = True
            connections, self._connections = self._connections, []
            idle, self._idle = self._idle, []
        for db in idle:  # a connection a call holds now is closed when it is given back
            db.close()
        del connections

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
        branches = ["SELECT id AS t, 0 AS type, entity, tier, lang, r FROM texts WHERE norm = ?",
                    "SELECT text, 1, entity, tier, lang, r FROM starts WHERE suffix >= ? AND suffix < ?"]
        branch_params: list[Any] = [norm, norm, norm + TOP]
        if full:
            words = list(dict.fromkeys(norm.split(" ")))[:MAX_WORDS]
            containing = [self._containing(w) for w in words]
            if len(words) == 1 and containing[0]:
                # one word: a text is a prefix hit when one of its words starts with it, else a words hit, so the
                # postings say which (and the suffixes are not read)
                starting = [n for n in containing[0] if self.vocabulary[n - 1].startswith(norm)]
                inside = [n for n in containing[0] if not self.vocabulary[n - 1].startswith(norm)]
                branches[1:], branch_params[1:] = [], []
                for kind, ids in ((1, starting), (2, inside)):
                    if ids:
                        branches.append(f"SELECT text, {kind}, entity, tier, lang, r FROM postings "
                                        "WHERE word IN (SELECT value FROM json_each(?))")
                        branch_params.append(json.dumps(ids))
            elif all(containing):
                ctes.append(self._intersection("hits", containing, params))
                branches.append("SELECT t, 2, entity, tier, lang, r FROM hits")
            if fuzzy:
                near = [self._near(w) for w in words]
                allowed = [sorted(set(c) | set(f)) for c, f in zip(containing, near)]
                # only when some word has a typo's reading; a text in hits is in fuzzy too: its best type wins below
                if any(len(a) > len(c) for a, c in zip(allowed, containing)) and all(allowed):
                    ctes.append(self._intersection("fuzzy", allowed, params))
                    branches.append("SELECT t, 3, entity, tier, lang, r FROM fuzzy")
        ctes.append("m(t, type, entity, tier, lang, r) AS (" + " UNION ALL ".join(branches) + ")")
        params += branch_params
        where = ""
        if category is not None:
            where = "WHERE entity IN (SELECT entity FROM entity_categories WHERE category = ?)"
        ctes.append("best AS (SELECT entity, min(((type * 4 + tier) * 2 + (lang != ?)) * ? + r) AS key, t AS tid, "
                    f"type FROM m {where} GROUP BY entity)")
        params += [lang, self.ranks]
        if category is not None:
            params.append(category)
        return "WITH " + ",\n".join(ctes), params

    def _intersection(self, name: str, choices: list[list[int]], params: list[Any]) -> str:
        """A CTE ``name(t, entity, tier, lang, r)``: the texts holding, for every query word, one of its vocabulary
        words (``choices``, word ids per query word). The query word with the fewest postings drives; each text
        it finds is probed for the others' words (the postings by text), so the cost is that of the rarest word."""
        ordered = sorted(choices, key=lambda ids: sum(self.postings[i - 1] for i in ids))
        sql = ("SELECT p.text, p.entity, p.tier, p.lang, p.r FROM postings p "
               "WHERE p.word IN (SELECT value FROM json_each(?))")
        params.append(json.dumps(ordered[0]))
        for ids in ordered[1:]:
            sql += (" AND EXISTS (SELECT 1 FROM postings o INDEXED BY postings_text WHERE o.text = p.text "
                    "AND o.word IN (SELECT value FROM json_each(?)))")
            params.append(json.dumps(ids))
        return f"{name}(t, entity, tier, lang, r) AS ({sql})"

    # the page: ranked (and counted) on the small rows of best, the texts and entities read for the page only
    _PAGE = (", ranked AS (SELECT key, entity, tid, type, {total} AS total FROM best ORDER BY key, entity "
             "LIMIT ? OFFSET ?) "
             "SELECT ranked.total, ranked.type, x.field, x.lang, x.text, e.iri, e.curie, e.labels, e.categories "
             "FROM ranked JOIN texts x ON x.id = ranked.tid JOIN entities e ON e.id = ranked.entity "
             "ORDER BY ranked.key, ranked.entity")

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
        with self._held():
            return self._search(text, lang, category, limit, offset, fuzzy)

    def _search(self, text: str, lang: str, category: str | None, limit: int | None, offset: int,
                fuzzy: bool) -> tuple[int, list[dict]]:
        query = self._query(text, lang, category, fuzzy, True)
        if query is None:
            return 0, []
        sql, params = query
        db = self._db()
        rows = db.execute(sql + self._PAGE.format(total="count(*) OVER ()"),
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
        norm = normalized(text)
        if not norm or limit == 0:
            return []
        with self._held():
            return self._suggest(norm, lang, limit)

    def _suggest(self, norm: str, lang: str, limit: int) -> list[dict]:
        db = self._db()
        key = "tier, lang != ?, r, entity"
        # exact matches first (each entity at its best text), then the prefix matches
        exact = db.execute(f"SELECT entity, id FROM texts WHERE norm = ? ORDER BY {key}", (norm, lang)).fetchall()
        chosen: dict[int, int] = {}  # entity → its best text, in the ranking order
        for entity, text_id in exact:
            chosen.setdefault(entity, text_id)
        wanted = limit - len(chosen)
        if wanted > 0:
            rows: list[tuple[int, int]] = []
            stored = False
            if len(norm) <= SHORT:  # stored for a large range: complete when fewer than SUGGESTED, else the first
                mode = lang if lang in self.modes else "*"
                rows = db.execute("SELECT entity, text FROM suggestions WHERE prefix = ? AND mode = ? ORDER BY position",
                                  (norm, mode)).fetchall()
                stored = bool(rows) and (len(rows) < SUGGESTED or limit <= SUGGESTED)
            if not stored:  # the range of suffixes, its first rows in the ranking order (all when those are too few)
                sql = f"SELECT entity, text FROM starts WHERE suffix >= ? AND suffix < ? ORDER BY {key}"
                enough = 20 * (limit + len(chosen))
                rows = db.execute(f"{sql} LIMIT ?", (norm, norm + TOP, lang, enough)).fetchall()
                if len(rows) == enough and len({e for e, _ in rows} - chosen.keys()) < wanted:
                    rows = db.execute(sql, (norm, norm + TOP, lang)).fetchall()
            for entity, text_id in rows:
                if len(chosen) >= limit:
                    break
                chosen.setdefault(entity, text_id)
        picked = list(chosen.items())[:limit]
        exact_ids = {text_id for _, text_id in exact}
        details = {row[0]: row[1:] for row in db.execute(
            "SELECT x.id, x.field, x.lang, x.text, e.iri, e.curie, e.labels, e.categories FROM texts x "
            "JOIN entities e ON e.id = x.entity WHERE x.id IN (SELECT value FROM json_each(?))",
            (json.dumps([t for _, t in picked]),))}
        return self._items([(0, 0 if t in exact_ids else 1, *details[t]) for _, t in picked], lang)
