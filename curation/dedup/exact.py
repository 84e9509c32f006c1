"""Exact duplicates: a configurable text normalisation and a 128-bit hash of the result.

Two documents are exact duplicates when their normalised texts are equal. 128 bits keep the chance of two
different texts colliding negligible even at billions of documents (64 bits would not, by the birthday
bound).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence

import numpy as np
import xxhash

_PUNCTUATION = re.compile(r"[^\w\s]+")
_DIGITS = re.compile(r"\d+")


def _collapse_whitespace(text: str) -> str:
    return " ".join(text.split())


NORMALISATION_STEPS: dict[str, Callable[[str], str]] = {
    "nfkc": lambda text: unicodedata.normalize("NFKC", text),
    "lowercase": str.lower,
    "strip_punctuation": lambda text: _PUNCTUATION.sub(" ", text),
    "strip_digits": lambda text: _DIGITS.sub("0", text),
    "collapse_whitespace": _collapse_whitespace,
    "strip": str.strip,
}
"""Named steps, applied in the order a recipe lists them. ``strip_punctuation`` replaces punctuation by a
space (so collapse whitespace after it); ``strip_digits`` maps every number to ``0`` (dates, counters)."""

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
