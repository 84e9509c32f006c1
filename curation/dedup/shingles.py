"""Shingles and their 32-bit hash, in plain Python: the definition the compiled kernels must reproduce.

A word shingle is ``n`` consecutive words (``curation.dedup.tokens.words``) joined by one space and encoded
as UTF-8; a character shingle is ``n`` consecutive code points of the normalised text. ``auto`` shingles are
word shingles, except for a document in a script written without spaces (``curation.dedup.scripts``): its
shingles are ``SCRIPT_NGRAMS[script]`` consecutive code points of its words joined without separators. A
document shorter than one shingle has a single shingle: all of it. The shingle hash is xxHash32 with seed 0
of the shingle bytes, so anyone can recompute it with the ``xxhash`` package; giving ``shingle_hash`` to
datasketch as its ``hashfunc`` makes datasketch's ``MinHash`` produce our signatures exactly.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import xxhash

from curation.dedup.scripts import detect_script, script_ngrams
from curation.dedup.tokens import TEXT_ENCODING_ERRORS, normalise_for_characters, words

ShingleKind = Literal["word", "char", "auto"]
SHINGLE_KINDS: tuple[str, ...] = ("word", "char", "auto")


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


def auto_shingles(
    text: str, n: int = 5, script: str | None = None, lengths: Mapping[str, int] | None = None
) -> list[bytes]:
    """Word ``n``-grams, or, for a document in a script written without spaces, character shingles.

    ``script`` is the document's script when its metadata names one (``scripts.script_hint``); otherwise it
    is detected from the characters. ``lengths`` overrides ``scripts.SCRIPT_NGRAMS``.
    """
    tokens = words(text)
    if not tokens:
        return []
    stream = "".join(tokens)
    script = script or detect_script(stream)
    if script is None:
        return word_shingles(text, n)
    size = script_ngrams(lengths)[script]
    if len(stream) < size:
        return [stream.encode("utf-8", TEXT_ENCODING_ERRORS)]
    return [stream[i : i + size].encode("utf-8", TEXT_ENCODING_ERRORS) for i in range(len(stream) - size + 1)]


def shingles(
    text: str,
    kind: ShingleKind = "word",
    n: int = 5,
    script: str | None = None,
    lengths: Mapping[str, int] | None = None,
) -> list[bytes]:
    """Word, character or ``auto`` shingles, as configured for a MinHash stage (``script``, ``lengths``: auto)."""
    if kind == "word":
        return word_shingles(text, n)
    if kind == "char":
        return char_shingles(text, n)
    if kind == "auto":
        return auto_shingles(text, n, script, lengths)
    raise ValueError(f"unknown shingle kind {kind!r}; use one of {', '.join(SHINGLE_KINDS)}")


def jaccard(a: str, b: str, kind: ShingleKind = "word", n: int = 5) -> float:
    """Exact Jaccard similarity of the shingle sets of two texts (1.0 for two empty texts)."""
    left, right = set(shingles(a, kind, n)), set(shingles(b, kind, n))
    if not left and not right:
        return 1.0
    return len(left & right) / len(left | right)
