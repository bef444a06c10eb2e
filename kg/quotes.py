"""Checking that evidence quotes are verbatim passages of their source texts.

The source texts were extracted from print and web layouts, so their lines break mid-sentence and
mid-word. A quote is the source's own words with only the extraction's line-break splits undone:

- a hyphen at the end of a line (directly after a letter or digit) followed by the line break is
  the layout's word-division hyphen and is dropped: ``Liaison-⏎service`` reads ``Liaisonservice``;
- any other line break (with the spaces around it, blank lines included) stands for a space or for
  nothing: ``verveel⏎voudigd`` reads ``verveelvoudigd``, ``bij een ⏎ wervel`` reads ``bij een wervel``;
- other white space (spaces, tabs, no-break spaces) is folded: a run of it equals one space;
- soft hyphens (U+00AD, invisible) are ignored; text is compared in Unicode NFC.

Everything else must match exactly, hyphens included: "X-stralen" is not found where the extract
reads "Xstralen" mid-line. Any other repair is documented in ``ontology/quote-repairs.tsv`` (source
CURIE, what the extract reads, what quotes write, why; :func:`load_repairs`) and applied to the
extract before matching (:func:`apply_repairs`); a repair that never applies to its source is an
error (:class:`StaleRepairError`), so the table cannot outlive the text it repairs.

A quote may leave words out with ``[…]`` between parts; the parts must appear in the text in order.
"""
from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path

ELLIPSIS = "[…]"

#: the repairs table (ontology/quote-repairs.tsv) and its header row
REPAIRS_PATH: Path = Path(__file__).resolve().parent.parent / "ontology" / "quote-repairs.tsv"
REPAIR_COLUMNS: tuple[str, ...] = ("source", "extract reads", "quotes write", "why")

#: the one mark a line break leaves in the canonical text (see :func:`canonical_text`)
_BREAK = "\n"
_SOFT_HYPHEN = re.compile("\u00ad")
_LINE_BREAK_HYPHEN = re.compile(r"(?<=\w)-[^\S\n]*\n\s*")
_LINE_BREAK = re.compile(r"[^\S\n]*\n\s*")
_SPACE = re.compile(r"[^\S\n]+")

Repair = tuple[str, str]


class StaleRepairError(ValueError):
    """A documented repair whose extract form does not occur in the text it is meant to repair."""


def canonical_text(text: str) -> str:
    """The extract in the form quotes are matched against.

    NFC; soft hyphens removed; a line-break hyphen and its line break removed (the word is joined);
    every other run of white space that holds a line break becomes one ``"\\n"`` (a space or
    nothing); every other run of white space becomes one space.
    """
    text = _SOFT_HYPHEN.sub("", unicodedata.normalize("NFC", text))
    text = _LINE_BREAK_HYPHEN.sub("", text)
    text = _LINE_BREAK.sub(_BREAK, text)
    return _SPACE.sub(" ", text)


def canonical_quote(quote: str) -> str:
    """A quote (or part of one) in NFC with soft hyphens removed and white space folded and stripped."""
    text = _SOFT_HYPHEN.sub("", unicodedata.normalize("NFC", quote))
    return re.sub(r"\s+", " ", text).strip()


def _pattern(phrase: str) -> re.Pattern[str]:
    """A regex that finds ``phrase`` in a canonical text: a space matches a space or a line break;
    between two other characters a line break may stand (a word split over it)."""
    phrase = canonical_quote(phrase)
    pieces: list[str] = []
    for i, char in enumerate(phrase):
        if char == " ":
            pieces.append("[ \n]")
            continue
        pieces.append(re.escape(char))
        if i + 1 < len(phrase) and phrase[i + 1] != " ":
            pieces.append("\n?")
    return re.compile("".join(pieces))


def quote_parts(quote: str) -> list[str]:
    """Split a quote on ``[…]`` into its non-empty parts."""
    return [part.strip() for part in quote.split(ELLIPSIS) if part.strip()]


def apply_repairs(text: str, repairs: Iterable[Repair] = ()) -> str:
    """The canonical form of ``text`` with each documented repair applied, in order.

    A repair is (what the extract reads, what quotes write); every occurrence of the extract form
    (matched like a quote: across line breaks) is replaced. Raises :class:`StaleRepairError` when
    a repair's extract form does not occur.
    """
    canonical = canonical_text(text)
    for extract_form, quote_form in repairs:
        if not canonical_quote(extract_form):
            raise ValueError(f"a repair needs the text the extract reads, got {extract_form!r}")
        canonical, count = _pattern(extract_form).subn(canonical_quote(quote_form).replace("\\", "\\\\"),
                                                       canonical)
        if not count:
            raise StaleRepairError(f"the repair {extract_form!r} \u2192 {quote_form!r} does not apply: the text "
                                   f"does not read {extract_form!r}; remove the row from ontology/quote-repairs.tsv "
                                   "or correct what the extract reads")
    return canonical


def missing_parts(quote: str, text: str, repairs: Sequence[Repair] = ()) -> list[str]:
    """The parts of ``quote`` that are not found in ``text`` (after ``repairs``), each searched
    after the end of the previous part found; ``[quote]`` when the quote has no part at all."""
    parts = quote_parts(quote)
    if not parts:
        return [quote]
    haystack = apply_repairs(text, repairs)
    position = 0
    missing = []
    for part in parts:
        match = _pattern(part).search(haystack, position)
        if match is None:
            missing.append(part)
        else:
            position = match.end()
    return missing


def find_quote(quote: str, text: str, repairs: Sequence[Repair] = ()) -> bool:
    """True when every part of ``quote`` occurs in ``text``, in order, with only the extraction's
    line-break splits undone and the documented ``repairs`` (extract form → quote form) applied.

    Raises :class:`StaleRepairError` when one of ``repairs`` does not occur in ``text``.
    """
    return not missing_parts(quote, text, repairs)


def load_repairs(path: Path = REPAIRS_PATH) -> dict[str, list[Repair]]:
    """The documented repairs of ``ontology/quote-repairs.tsv``, keyed by source CURIE, in file order.

    The file is UTF-8 TSV: lines starting with ``#`` are comments, the first other line is the
    header (:data:`REPAIR_COLUMNS`), then one repair per line. Raises ValueError for a wrong header,
    a row with a missing cell, a source that is not a CURIE, or a repair that changes nothing.
    """
    path = Path(path)
    repairs: dict[str, list[Repair]] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        rows = [(number, row) for number, row in
                enumerate(csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE), start=1)
                if row and not row[0].startswith("#") and any(cell.strip() for cell in row)]
    if not rows or tuple(c.strip() for c in rows[0][1]) != REPAIR_COLUMNS:
        raise ValueError(f"{path}: the header row must be {' | '.join(REPAIR_COLUMNS)} (tab-separated)")
    for number, row in rows[1:]:
        cells = [c.strip() for c in row] + [""] * (len(REPAIR_COLUMNS) - len(row))
        if len(row) > len(REPAIR_COLUMNS) or not all(cells[: len(REPAIR_COLUMNS)]):
            raise ValueError(f"{path}:{number}: a repair has exactly four filled cells: "
                             f"{', '.join(REPAIR_COLUMNS)}")
        source, extract_form, quote_form, _why = cells[: len(REPAIR_COLUMNS)]
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*:[0-9A-Za-z_.-]+", source):
            raise ValueError(f"{path}:{number}: the source must be a CURIE such as OSTEOKG:0008001, got {source!r}")
        if canonical_quote(extract_form) == canonical_quote(quote_form):
            raise ValueError(f"{path}:{number}: the repair {extract_form!r} \u2192 {quote_form!r} changes nothing")
        repairs.setdefault(source, []).append((extract_form, quote_form))
    return repairs


__all__ = ["ELLIPSIS", "REPAIRS_PATH", "REPAIR_COLUMNS", "Repair", "StaleRepairError", "apply_repairs",
           "canonical_quote", "canonical_text", "find_quote", "load_repairs", "missing_parts", "quote_parts"]
