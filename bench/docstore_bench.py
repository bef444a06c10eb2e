"""Which embedded store holds the precomputed entity documents: SQLite or LMDB, compressed or not.

Reads the documents of a built release (``documents.lmdb``, written by ``osteokg build``: every entity's
answers in both languages, :mod:`kg.service.documents`), and writes them, and ``--scale`` copies of them
under other keys (the copies ×170 of the real graph are about 1 M triples), into

- SQLite (the standard library's ``sqlite3``): one ``WITHOUT ROWID`` table, opened read-only and immutable;
- LMDB (PyPI ``lmdb``): one file opened as :mod:`kg.service.documents` opens it (read-only, no lock, no
  readahead), a read-only transaction per lookup;

each with the bodies as they are and zlib-compressed (level 6). Each (store, scale) runs in a fresh
subprocess, so the figures are clean: write seconds, file size, time to open, RSS after open and after
the reads, and the latency of a lookup of a random entity's document (a different key each time, the
realistic access of a mixed load: the entity or its edges, in either language), median and p99 over
``--reads`` lookups, after a warm-up of as many. Cells are µs.

    python bench/docstore_bench.py [--build /tmp/bench-build] [--scales 1,170] [--reads 20000]
"""
from __future__ import annotations

import argparse
import json
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from kg.releases import release_dir
from kg.service.documents import FILE, Documents, _open_env, key

SCHEMA = "CREATE TABLE docs (key TEXT PRIMARY KEY, body BLOB NOT NULL) WITHOUT ROWID;"

STORES = ("sqlite", "sqlite+zlib", "lmdb", "lmdb+zlib")
PARTS = ("entity", "edges")  # what a lookup reads: the entity, or its edges (the relations route)


def rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def source_docs(build: Path) -> list[tuple[str, bytes]]:
    documents = Documents(release_dir(build) / FILE)
    rows = documents.scan("docs")
    return [(k.decode(), zlib.decompress(b) if documents.compressed else b) for k, b in rows]


def copies(docs: list[tuple[str, bytes]], scale: int):
    """Copy 0 is the release's documents; copy k has every key's IRI suffixed ``_k``."""
    for k in range(scale):
        for name, body in docs:
            iri, rest = name.split(" ", 1)
            yield (f"{iri}_{k}" if k else iri) + " " + rest, body


def write(store: str, folder: Path, docs, scale: int) -> Path:
    compress = store.endswith("+zlib")
    if store.startswith("sqlite"):
        path = folder / "documents.sqlite"
        connection = sqlite3.connect(path)
        connection.execute("PRAGMA journal_mode = OFF")
        connection.executescript(SCHEMA)
        connection.executemany("INSERT INTO docs VALUES (?, ?)", ((k, zlib.compress(b, 6) if compress else b)
                                                                   for k, b in copies(docs, scale)))
        connection.commit()
        connection.execute("VACUUM")
        connection.close()
        return path
    path = folder / FILE  # as kg.service.documents writes it: one file, no lock, no readahead
    env = _open_env(path, write=True)
    docs_db = env.open_db(b"docs")
    with env.begin(write=True) as txn:
        for k, b in copies(docs, scale):
            txn.put(k.encode(), zlib.compress(b, 6) if compress else b, db=docs_db)
    env.sync(True)
    env.close()
    return path


def size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*")) if path.is_dir() else path.stat().st_size


def measure(store: str, build: Path, scale: int, reads: int) -> dict:
    """In this (fresh) process: write, open, read ``reads`` random keys twice (warm-up, then timed)."""
    docs = source_docs(build)
    keys = sorted({k.split(" ", 1)[0] for k, _ in docs} - {"*"})
    folder = Path(tempfile.mkdtemp(prefix="docstore-"))
    try:
        started = time.perf_counter()
        path = write(store, folder, docs, scale)
        written = time.perf_counter() - started
        before = rss_kb()
        started = time.perf_counter()
        compress = store.endswith("+zlib")
        if store.startswith("sqlite"):  # read-only, immutable, one connection (one thread reads)
            connection = sqlite3.connect(f"{path.as_uri()}?mode=ro&immutable=1", uri=True)

            def get(k: str) -> bytes | None:
                row = connection.execute("SELECT body FROM docs WHERE key = ?", (k,)).fetchone()
                return None if row is None else (zlib.decompress(row[0]) if compress else row[0])
        else:  # as kg.service.documents.Documents reads it
            env = _open_env(path)
            docs_db = env.open_db(b"docs", create=False)

            def get(k: str) -> bytes | None:
                with env.begin(db=docs_db) as txn:
                    body = txn.get(k.encode())
                return zlib.decompress(body) if body is not None and compress else body
        opened_s = time.perf_counter() - started
        rng = random.Random(42)
        plan = [key(f"{rng.choice(keys)}_{c}" if (c := rng.randrange(scale)) else rng.choice(keys),
                    rng.choice(("en", "nl")), rng.choice(PARTS)) for _ in range(2 * reads)]
        for k in plan[:reads]:
            assert get(k) is not None, k
        times = []
        for k in plan[reads:]:
            t = time.perf_counter_ns()
            get(k)
            times.append(time.perf_counter_ns() - t)
        times.sort()
        return {"store": store, "scale": scale, "documents": len(docs) * scale, "write_s": written,
                "bytes": size(path), "open_ms": opened_s * 1000, "rss_open_mb": (rss_kb() - before) / 1024,
                "p50_us": statistics.median(times) / 1000, "p99_us": times[int(len(times) * 0.99)] / 1000}
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", type=Path, default=Path("/tmp/bench-build"))
    parser.add_argument("--scales", default="1,170")
    parser.add_argument("--reads", type=int, default=20000)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "docstore.md")
    parser.add_argument("--one", nargs=2, metavar=("STORE", "SCALE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one[0], args.build, int(args.one[1]), args.reads)))
        return 0
    results = []
    for scale in (int(s) for s in args.scales.split(",")):
        for store in STORES:
            done = subprocess.run([sys.executable, __file__, "--build", str(args.build), "--reads", str(args.reads),
                                   "--one", store, str(scale)], capture_output=True, text=True, timeout=1800)
            if done.returncode:
                print(done.stderr, file=sys.stderr)
                return 1
            results.append(json.loads(done.stdout))
            print(results[-1], flush=True)
    lines = ["# Document store benchmark: where the precomputed entity documents live", "",
             f"Documents of the real release (`osteokg build`), copied ×scale under other keys; a lookup reads one "
             f"random entity's `entity` or `edges` document in either language (a different key each time), "
             f"{args.reads:,} timed after as many warm-up lookups, one thread, each store in a fresh process. "
             f"Written by `python bench/docstore_bench.py --scales {args.scales} --reads {args.reads}`.", "",
             "| scale | documents | store | write s | size MB | open ms | RSS after open+reads MB | lookup p50 µs "
             "| lookup p99 µs | p50 ratio to sqlite |", "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        base = next(b for b in results if b["scale"] == r["scale"] and b["store"] == "sqlite")
        lines.append(f"| ×{r['scale']} | {r['documents']:,} | {r['store']} | {r['write_s']:.2f} | {r['bytes'] / 1e6:.1f} "
                     f"| {r['open_ms']:.2f} | {r['rss_open_mb']:.1f} | {r['p50_us']:.1f} | {r['p99_us']:.1f} "
                     f"| {r['p50_us'] / base['p50_us']:.2f} |")
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    args.out.with_suffix(".json").write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
