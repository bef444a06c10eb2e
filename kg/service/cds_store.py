"""What the CDS Hooks door remembers, in one SQLite file (``OSTEOKG_DATA_DIR``/cds.sqlite) every worker shares.

- **Issued cards**: each card's ``uuid``, service, rule, summary, suggestion ``uuid``s and offered override
  reasons, kept ``OSTEOKG_CDS_CARD_DAYS`` days, so that feedback can be checked against what was said.
- **Feedback** (CDS Hooks 2.0 "Feedback"): ``POST /cds-services/{id}/feedback`` with ``accepted`` or
  ``overridden`` outcomes. A request is checked whole first — each item's fields per the spec's table,
  its card issued by that service, its accepted suggestions that card's, its override reason one the
  card offered — and then written in one transaction: all of its items or none. Feedback rows copy
  the card's rule and summary, so they outlive the issued card.
- **Token IDs seen** (the ``jti`` of each bearer token, per issuer, until it expires): shared by all
  workers, so a token replayed to another worker process is refused too (:meth:`CDSStore.first` is
  the replay store :func:`kg.service.cds_auth.check` asks).

SQLite in WAL mode with a busy time-out, one short connection per call (no connection crosses threads or
forks); ``with connection:`` commits or rolls back. Nothing here knows Flask (the door is api/cds.py).
"""
from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import closing, contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from kg.service.values import ServiceError

FILE = "cds.sqlite"
OUTCOMES = ("accepted", "overridden")
DAY = 86_400.0
_SCHEMA = """
CREATE TABLE IF NOT EXISTS cards (
    uuid TEXT PRIMARY KEY, service TEXT NOT NULL, rule TEXT NOT NULL, summary TEXT NOT NULL,
    hook_instance TEXT NOT NULL, suggestions TEXT NOT NULL, reasons TEXT NOT NULL, issued REAL NOT NULL);
CREATE INDEX IF NOT EXISTS cards_issued ON cards (issued);
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY, service TEXT NOT NULL, card TEXT NOT NULL, rule TEXT NOT NULL, summary TEXT NOT NULL,
    outcome TEXT NOT NULL, accepted TEXT NOT NULL, reason_system TEXT, reason_code TEXT, reason_display TEXT,
    comment TEXT, outcome_time TEXT NOT NULL, received REAL NOT NULL);
CREATE INDEX IF NOT EXISTS feedback_service ON feedback (service, id);
CREATE TABLE IF NOT EXISTS tokens (
    issuer TEXT NOT NULL, jti TEXT NOT NULL, expires REAL NOT NULL, PRIMARY KEY (issuer, jti));
"""
#: the longest free text kept from a feedback item (a user comment), and the most items in one request
MAX_TEXT = 2_000
MAX_ITEMS = 100


class BadFeedback(ServiceError, ValueError):
    """A feedback request that is not what the spec's table says, or names a card or suggestion this
    service did not issue (400; the message names the item and field)."""


class StoreFailed(ServiceError):
    """The data folder cannot be written (503): nothing of the request was kept."""


class CDSStore:
    """The CDS door's SQLite file at ``path`` (created, with its folder, on first use)."""

    def __init__(self, path: Path | str, card_days: int = 90) -> None:
        self.path = Path(path)
        self.card_days = card_days
        self._ready = False

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            if not self._ready:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            with closing(sqlite3.connect(self.path, timeout=10, isolation_level=None)) as connection:
                if not self._ready:
                    connection.execute("PRAGMA journal_mode=WAL")
                    connection.executescript(_SCHEMA)
                    self._ready = True
                connection.isolation_level = "IMMEDIATE"  # one writer at a time; `with connection` commits
                yield connection
        except (OSError, sqlite3.Error) as error:
            raise StoreFailed(f"the CDS store {self.path.name} cannot be written ({type(error).__name__}: "
                              f"{str(error)[:120]}); nothing was kept") from None

    # ------------------------------------------------------------ tokens

    def first(self, issuer: str, jti: str, expires: float, now: float) -> bool:
        """True the first time ``(issuer, jti)`` is seen (it is then remembered until ``expires``), else False."""
        with self._connect() as connection, connection:
            connection.execute("DELETE FROM tokens WHERE expires < ?", (now,))
            inserted = connection.execute("INSERT OR IGNORE INTO tokens VALUES (?, ?, ?)", (issuer, jti, expires))
            return inserted.rowcount == 1

    # ------------------------------------------------------------ cards

    def issued(self, service: str, hook_instance: str, rules: Iterable[str], cards: list[dict]) -> None:
        """Remember ``cards`` (a CDS response's cards, each with the rule it came from) as issued now; forget
        cards older than ``card_days``."""
        now = time.time()
        rows = [(card["uuid"], service, rule, card["summary"], hook_instance,
                 json.dumps([s["uuid"] for s in card.get("suggestions", []) if "uuid" in s]),
                 json.dumps([[r.get("system"), r.get("code")] for r in card.get("overrideReasons", [])]), now)
                for rule, card in zip(rules, cards, strict=True) if "uuid" in card]
        with self._connect() as connection, connection:
            connection.execute("DELETE FROM cards WHERE issued < ?", (now - self.card_days * DAY,))
            connection.executemany("INSERT OR REPLACE INTO cards VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)

    # ------------------------------------------------------------ feedback

    def record(self, service: str, body: Any) -> int:
        """Check a feedback request ``body`` whole, then keep all of its items in one transaction; their number."""
        items = _items(body)
        now = time.time()
        with self._connect() as connection, connection:
            rows = []
            for index, item in enumerate(items):
                where = f"feedback[{index}]"
                card = connection.execute(
                    "SELECT rule, summary, suggestions, reasons FROM cards WHERE uuid = ? AND service = ? AND issued >= ?",
                    (item["card"], service, now - self.card_days * DAY)).fetchone()
                if card is None:
                    raise BadFeedback(f"{where}.card: no card {item['card'][:64]!r} was issued by {service} "
                                      f"in the last {self.card_days} days")
                rule, summary, suggestions, reasons = card
                for accepted in item["accepted"]:
                    if accepted not in json.loads(suggestions):
                        raise BadFeedback(f"{where}.acceptedSuggestions: {accepted[:64]!r} is not a suggestion of "
                                          f"card {item['card']}")
                reason = item["reason"]
                if reason is not None and [reason.get("system"), reason.get("code")] not in json.loads(reasons):
                    raise BadFeedback(f"{where}.overrideReason.reason: not one of the card's overrideReasons")
                rows.append((service, item["card"], rule, summary, item["outcome"], json.dumps(item["accepted"]),
                             None if reason is None else reason.get("system"),
                             None if reason is None else reason.get("code"),
                             None if reason is None else reason.get("display"),
                             item["comment"], item["time"], now))
            connection.executemany(
                "INSERT INTO feedback (service, card, rule, summary, outcome, accepted, reason_system, reason_code, "
                "reason_display, comment, outcome_time, received) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        return len(rows)

    def view(self, service: str, limit: int = 50, offset: int = 0) -> dict:
        """The owner's view of a service's feedback: counts per rule and outcome, override reasons, the
        newest items first (paged)."""
        with self._connect() as connection:
            issued = dict(connection.execute(
                "SELECT rule, count(*) FROM cards WHERE service = ? GROUP BY rule", (service,)).fetchall())
            counts: dict[str, dict[str, Any]] = {}
            for rule, outcome, count in connection.execute(
                    "SELECT rule, outcome, count(*) FROM feedback WHERE service = ? GROUP BY rule, outcome", (service,)):
                counts.setdefault(rule, {"accepted": 0, "overridden": 0, "reasons": {}})[outcome] = count
            for rule, system, code, display, count in connection.execute(
                    "SELECT rule, reason_system, reason_code, max(reason_display), count(*) FROM feedback "
                    "WHERE service = ? AND reason_code IS NOT NULL GROUP BY rule, reason_system, reason_code", (service,)):
                counts[rule]["reasons"][f"{system}|{code}"] = {"system": system, "code": code, "display": display,
                                                               "count": count}
            total = connection.execute("SELECT count(*) FROM feedback WHERE service = ?", (service,)).fetchone()[0]
            items = [{"card": card, "rule": rule, "summary": summary, "outcome": outcome,
                      "acceptedSuggestions": [{"id": s} for s in json.loads(accepted)],
                      **({"overrideReason": {k: v for k, v in (
                          ("reason", {k2: v2 for k2, v2 in (("system", system), ("code", code), ("display", display))
                                      if v2 is not None} if code is not None else None),
                          ("userComment", comment)) if v is not None}} if code is not None or comment else {}),
                      "outcomeTimestamp": when, "received": datetime.fromtimestamp(received).astimezone().isoformat()}
                     for card, rule, summary, outcome, accepted, system, code, display, comment, when, received
                     in connection.execute(
                         "SELECT card, rule, summary, outcome, accepted, reason_system, reason_code, reason_display, "
                         "comment, outcome_time, received FROM feedback WHERE service = ? ORDER BY id DESC "
                         "LIMIT ? OFFSET ?", (service, limit, offset))]
        rules = sorted(set(issued) | set(counts))
        return {"service": service, "total": total, "limit": limit, "offset": offset,
                "rules": {rule: {"issued": issued.get(rule, 0), **counts.get(rule, {"accepted": 0, "overridden": 0,
                                                                                      "reasons": {}})}
                          for rule in rules},
                "feedback": items}


def _text(value: Any, where: str, required: bool = False) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value):
        raise BadFeedback(f"{where} must be a{' non-empty' if required else ''} string")
    if len(value) > MAX_TEXT:
        raise BadFeedback(f"{where} is longer than {MAX_TEXT} characters")
    return value


def _items(body: Any) -> list[dict]:
    """The feedback items of a request, each checked against the spec's Feedback table."""
    if not isinstance(body, dict) or not isinstance(body.get("feedback"), list):
        raise BadFeedback("the body must be an object with an array 'feedback'")
    if not body["feedback"] or len(body["feedback"]) > MAX_ITEMS:
        raise BadFeedback(f"'feedback' must hold 1 to {MAX_ITEMS} items")
    items = []
    for index, item in enumerate(body["feedback"]):
        where = f"feedback[{index}]"
        if not isinstance(item, dict):
            raise BadFeedback(f"{where} must be an object")
        card = _text(item.get("card"), f"{where}.card", required=True)
        outcome = item.get("outcome")
        if outcome not in OUTCOMES:
            raise BadFeedback(f"{where}.outcome must be 'accepted' or 'overridden'")
        stamp = _text(item.get("outcomeTimestamp"), f"{where}.outcomeTimestamp", required=True)
        try:
            parsed = datetime.fromisoformat(str(stamp))
        except ValueError:
            parsed = None
        if parsed is None or parsed.tzinfo is None or "T" not in str(stamp).upper():
            raise BadFeedback(f"{where}.outcomeTimestamp must be an RFC 3339 date-time with its offset "
                              f"(e.g. 2021-12-11T10:05:31Z)")
        accepted = item.get("acceptedSuggestions")
        if outcome == "accepted":
            if not isinstance(accepted, list) or not accepted:
                raise BadFeedback(f"{where}.acceptedSuggestions is required for an accepted outcome (an array of {{id}})")
        elif accepted is not None:
            raise BadFeedback(f"{where}.acceptedSuggestions belongs to an accepted outcome only")
        ids = []
        for n, suggestion in enumerate(accepted or []):
            if not isinstance(suggestion, dict):
                raise BadFeedback(f"{where}.acceptedSuggestions[{n}] must be an object with an 'id'")
            ids.append(_text(suggestion.get("id"), f"{where}.acceptedSuggestions[{n}].id", required=True))
        override = item.get("overrideReason")
        reason, comment = None, None
        if override is not None:
            if outcome != "overridden":
                raise BadFeedback(f"{where}.overrideReason belongs to an overridden outcome only")
            if not isinstance(override, dict):
                raise BadFeedback(f"{where}.overrideReason must be an object (reason, userComment)")
            comment = _text(override.get("userComment"), f"{where}.overrideReason.userComment")
            if override.get("reason") is not None:
                reason = override["reason"]
                if not isinstance(reason, dict):
                    raise BadFeedback(f"{where}.overrideReason.reason must be a Coding (system, code, display)")
                for field in ("system", "code"):
                    _text(reason.get(field), f"{where}.overrideReason.reason.{field}", required=True)
                _text(reason.get("display"), f"{where}.overrideReason.reason.display")
            elif comment is None:
                raise BadFeedback(f"{where}.overrideReason needs a reason or a userComment")
        items.append({"card": card, "outcome": outcome, "time": stamp, "accepted": ids, "reason": reason,
                      "comment": comment})
    return items


__all__ = ["FILE", "OUTCOMES", "BadFeedback", "CDSStore", "StoreFailed"]
