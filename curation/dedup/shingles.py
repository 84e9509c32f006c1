"""Shingles and their 32-bit hash, in plain Python: the definition the compiled kernels must reproduce.

A word shingle is ``n`` consecutive words (``curation.dedup.tokens.words``) joined by one space and encoded
as UTF-8; a character shingle is ``n`` consecutive code points of the normalised text. A document shorter
than one shingle has a single shingle: all of it. The shingle hash is xxHash32 with seed 0 of the shingle
bytes, so anyone can recompute it with the ``xxhash`` package; giving ``shingle_hash`` to datasketch as its
``hashfunc`` makes datasketch's ``MinHash`` produce our signatures exactly.
"""

from __future__ import annotations

from typing import Literal

import xxhash

from curation.dedup.tokens import TEXT_ENCODING_ERRORS, normalise_for_characters, words

ShingleKind = Literal["word", "char"]


def shingle_hash(shingle: bytes) -> int:
    """The 32-bit hash of one shingle; pass it as datasketch's ``MinHash(hashfunc=...)``."""
    return xxhash.xxh32_intdigest(shingle)


def word_shingles(text: str, n: int = 5) -> list[bytes]:
    """Word n-grams of ``text`` in order, duplicates included."""
    tokens = words(text)
    if not tokens:
        return []
    if len(tokens) < n:
        return [" ".join(tokens).encode("utf-8", TEXT_ENCODING_ERRORS)]
    return [" ".join(tokens[i : i + n]).encode("utf-8", TEXT_ENCODING_ERRORS) for i in range(len(tokens) - n + 1)]


def char_shingles(text: str, n: int = 24) -> list[bytes]:
    """Character n-grams of the lower-cased, whitespace-collapsed text, in order."""
    normalised = normalise_for_characters(text)
    if not normalised:
        return []
    if len(normalised) < n:
        return [normalised.encode("utf-8", TEXT_ENCODING_ERRORS)]
    return [normalised[i : i + n].encode("utf-8", TEXT_ENCODING_ERRORS) for i in range(len(normalised) - n + 1)]


def shingles(text: str, kind: ShingleKind = "word", n: int = 5) -> list[bytes]:
    """Word or character shingles, as configured for a MinHash stage."""
    if kind == "word":
        return word_shingles(text, n)
    if kind == "char":
        return char_shingles(text, n)
    raise ValueError(f"unknown shingle kind {kind!r}; use 'word' or 'char'")


def jaccard(a: str, b: str, kind: ShingleKind = "word", n: int = 5) -> float:
    """Exact Jaccard similarity of the shingle sets of two texts (1.0 for two empty texts)."""
    left, right = set(shingles(a, kind, n)), set(shingles(b, kind, n))
    if not left and not right:
        return 1.0
    return len(left & right) / len(left | right)
