"""Checking that evidence quotes are verbatim passages of their source texts.

The source texts were extracted from print and web layouts: lines break mid-sentence and
hyphenated words are split or lose their hyphen ("verveel voudigd", "Xstralen"). A quote is
written the way the text reads with those breaks repaired, so it is compared on a normal form
that ignores white space and hyphens. A quote may skip words with " […] "; its parts must then
appear in the text in order.
"""
from __future__ import annotations

import re
import unicodedata

ELLIPSIS = "[…]"
_IGNORED = re.compile(r"[\s\-\u00ad\u2010\u2011]+")


def normal_form(text: str) -> str:
    """Return ``text`` in NFC with white space, hyphens and soft hyphens removed."""
    return _IGNORED.sub("", unicodedata.normalize("NFC", text))


def quote_parts(quote: str) -> list[str]:
    """Split a quote on ``[…]`` into its non-empty parts."""
    return [part.strip() for part in quote.split(ELLIPSIS) if part.strip()]


def find_quote(quote: str, text: str) -> bool:
    """True when every part of ``quote`` occurs in ``text``, in order (on the normal form)."""
    haystack = normal_form(text)
    position = 0
    for part in quote_parts(quote):
        found = haystack.find(normal_form(part), position)
        if found < 0:
            return False
        position = found + len(normal_form(part))
    return bool(quote_parts(quote))
