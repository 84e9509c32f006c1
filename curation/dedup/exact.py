"""Exact duplicates: a configurable text normalisation and a 128-bit hash of the result.

Two documents are exact duplicates when their normalised texts are equal. 128 bits keep the chance of two
different texts colliding negligible even at billions of documents (64 bits would not, by the birthday
bound).

The steps hold for every script: punctuation is what Unicode calls punctuation or a symbol (the vowel signs
of Thai or Devanagari are parts of words, not punctuation), and whitespace beside a character of a script
written without spaces (``curation.dedup.scripts.JOINING_RANGES``) is formatting, not a word boundary: a
Chinese paragraph wrapped at other places, or written with and without spaces around Latin words, is the
same text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence

import numpy as np
import regex
import xxhash

from curation.dedup.scripts import JOINING_RANGES

NORMALISATION_VERSION = 2
"""Bumped whenever a step changes what it does to some text (stored with an index, checked on reuse)."""

_PUNCTUATION = regex.compile(r"[^\w\s]+")  # the regex module's \w covers combining marks; re's does not
_DIGITS = re.compile(r"\d+")
_JOINING_CLASS = "".join(f"{re.escape(chr(low))}-{re.escape(chr(high))}" for low, high in JOINING_RANGES)
_JOINING = re.compile(f"[{_JOINING_CLASS}]")
_WHITESPACE_BESIDE_JOINING = re.compile(rf"\s+(?=[{_JOINING_CLASS}])|(?<=[{_JOINING_CLASS}])\s+")


def _collapse_whitespace(text: str) -> str:
    """Runs of whitespace become one space, or nothing beside a character of a script without spaces."""
    if not text.isascii() and _JOINING.search(text) is not None:  # isascii is O(1): most text skips the scan
        text = _WHITESPACE_BESIDE_JOINING.sub("", text)
    return " ".join(text.split())


NORMALISATION_STEPS: dict[str, Callable[[str], str]] = {
    "nfkc": lambda text: unicodedata.normalize("NFKC", text),
    "lowercase": str.lower,
    "strip_punctuation": lambda text: _PUNCTUATION.sub(" ", text),
    "strip_digits": lambda text: _DIGITS.sub("0", text),
    "collapse_whitespace": _collapse_whitespace,
    "strip": str.strip,
}
"""Named steps, applied in the order a recipe lists them. ``strip_punctuation`` replaces punctuation and
symbols by a space (so collapse whitespace after it); ``strip_digits`` maps every number to ``0`` (dates,
counters); ``collapse_whitespace`` makes runs of whitespace one space, and removes those next to a character
of a script written without spaces."""

DEFAULT_NORMALISATION: tuple[str, ...] = ("lowercase", "collapse_whitespace")


def check_normalisation(steps: Sequence[str]) -> list[str]:
    unknown = [step for step in steps if step not in NORMALISATION_STEPS]
    if unknown:
        raise ValueError(
            f"unknown normalisation step(s) {', '.join(map(repr, unknown))}; "
            f"available: {', '.join(NORMALISATION_STEPS)}"
        )
    return list(steps)


def normalise(text: str, steps: Sequence[str] = DEFAULT_NORMALISATION) -> str:
    for step in steps:
        text = NORMALISATION_STEPS[step](text)
    return text


def text_hashes(texts: Sequence[str], steps: Sequence[str] = DEFAULT_NORMALISATION) -> np.ndarray:
    """``(len(texts), 2)`` ``uint64``: the xxh3-128 hash of each normalised text (high, low halves)."""
    out = np.empty((len(texts), 2), dtype=np.uint64)
    for row, text in enumerate(texts):
        digest = xxhash.xxh3_128_intdigest(normalise(text, steps).encode("utf-8", "surrogatepass"))
        out[row, 0] = digest >> 64
        out[row, 1] = digest & 0xFFFFFFFFFFFFFFFF
    return out
