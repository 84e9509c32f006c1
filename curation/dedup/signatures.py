"""MinHash signatures for batches of documents, compatible with datasketch.

``MinHasher(num_perm=128, seed=1).signatures(texts)`` returns a ``(len(texts), num_perm)`` ``uint32``
array. Row ``i`` equals ``datasketch.MinHash(num_perm, seed, hashfunc=shingle_hash, scheme=...)`` updated
with ``shingles(texts[i])``, so signatures can be stored in or queried against a datasketch ``MinHashLSH``
(see ``to_datasketch``).

Two permutation schemes, both datasketch's:

- ``affine32`` (datasketch 2.0's default): the shingle hash is pre-mixed with MurmurHash3's finaliser, then
  ``a * h + b mod 2**32`` with odd ``a``. A bijection, so it adds no collisions, and it is pure 32-bit
  arithmetic, which is why it is our default as well.
- ``legacy`` (datasketch before 2.0): ``(a * h + b) mod (2**61 - 1)``, truncated to 32 bits, with ``a * h``
  wrapping modulo ``2**64`` as NumPy's ``uint64`` arithmetic does. Kept for indexes built with old
  datasketch versions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from curation.dedup import kernels
from curation.dedup.shingles import ShingleKind
from curation.dedup.tokens import NON_WORD_RANGES_ARRAY, TEXT_ENCODING_ERRORS, normalise_for_characters

Scheme = Literal["affine32", "legacy"]
EMPTY_VALUE = np.uint32(0xFFFFFFFF)
"""Every slot of the signature of a document without a single shingle."""

_MERSENNE_61 = np.uint64((1 << 61) - 1)


def permutations(num_perm: int, seed: int, scheme: Scheme) -> tuple[np.ndarray, np.ndarray]:
    """The permutation parameters ``(a, b)`` datasketch draws for ``MinHash(num_perm, seed, scheme=...)``."""
    generator = np.random.RandomState(seed)
    if scheme == "affine32":
        a = generator.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
        b = generator.randint(0, 1 << 32, num_perm, dtype=np.uint32)
        return a, b
    if scheme == "legacy":
        pairs = np.array(
            [
                (
                    generator.randint(1, _MERSENNE_61, dtype=np.uint64),
                    generator.randint(0, _MERSENNE_61, dtype=np.uint64),
                )
                for _ in range(num_perm)
            ],
            dtype=np.uint64,
        ).T
        return np.ascontiguousarray(pairs[0]), np.ascontiguousarray(pairs[1])
    raise ValueError(f"unknown MinHash scheme {scheme!r}; use 'affine32' or 'legacy'")


@dataclass
class MinHasher:
    """Configuration and permutations of one MinHash family; ``signatures`` does the work.

    Picklable (plain numbers and two small arrays), so a stage holding one travels to worker processes.
    """

    num_perm: int = 128
    seed: int = 1
    ngram: int = 5
    shingle: ShingleKind = "word"
    scheme: Scheme = "affine32"
    _a: np.ndarray = field(init=False, repr=False)
    _b: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.num_perm < 1:
            raise ValueError(f"num_perm must be at least 1, got {self.num_perm}")
        if self.ngram < 1:
            raise ValueError(f"ngram must be at least 1, got {self.ngram}")
        if self.shingle not in ("word", "char"):
            raise ValueError(f"unknown shingle kind {self.shingle!r}; use 'word' or 'char'")
        self._a, self._b = permutations(self.num_perm, self.seed, self.scheme)

    def signatures(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """``(signatures, shingle_counts)`` for ``texts``; a document with no shingle gets all ``EMPTY_VALUE``."""
        buffer, offsets = encode_batch(texts, self.shingle)
        signatures = np.empty((len(texts), self.num_perm), dtype=np.uint32)
        counts = np.empty(len(texts), dtype=np.int64)
        kernels.minhash_batch(
            buffer,
            offsets,
            self.ngram,
            kernels.MODE_WORDS if self.shingle == "word" else kernels.MODE_CHARACTERS,
            self._a,
            self._b,
            kernels.SCHEME_AFFINE32 if self.scheme == "affine32" else kernels.SCHEME_LEGACY,
            0,
            NON_WORD_RANGES_ARRAY,
            signatures,
            counts,
        )
        return signatures, counts

    def shingle_sets(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Sorted distinct shingle hashes of each text, as ``(values, offsets)`` (for exact Jaccard checks)."""
        return shingle_hash_sets(texts, self.shingle, self.ngram, whole_if_short=True)

    def to_datasketch(self, signature: np.ndarray) -> Any:
        """One signature as a datasketch ``LeanMinHash`` (datasketch is needed only for this)."""
        from datasketch import LeanMinHash

        values = signature.astype(np.uint64) if self.scheme == "legacy" else signature.astype(np.uint32)
        return LeanMinHash(seed=self.seed, hashvalues=values, scheme=self.scheme)

    def describe(self) -> dict[str, Any]:
        """The parameters that make two signatures comparable (stored with an index, checked on reuse)."""
        return {
            "num_perm": self.num_perm,
            "seed": self.seed,
            "ngram": self.ngram,
            "shingle": self.shingle,
            "scheme": self.scheme,
            "shingle_hash": "xxh32-seed0",
        }


def encode_batch(texts: Sequence[str], shingle: ShingleKind = "word") -> tuple[np.ndarray, np.ndarray]:
    """Concatenated prepared UTF-8 bytes of ``texts`` and the ``len(texts) + 1`` offsets delimiting them."""
    if shingle == "word":
        encoded = [text.lower().encode("utf-8", TEXT_ENCODING_ERRORS) for text in texts]
    else:
        encoded = [normalise_for_characters(text).encode("utf-8", TEXT_ENCODING_ERRORS) for text in texts]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(chunk) for chunk in encoded], out=offsets[1:])
    buffer = np.frombuffer(b"".join(encoded), dtype=np.uint8)
    if buffer.size == 0:
        buffer = np.zeros(1, dtype=np.uint8)
    return buffer, offsets


def shingle_hash_sets(
    texts: Sequence[str], shingle: ShingleKind, ngram: int, *, whole_if_short: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct 32-bit shingle hashes per text: ``values[offsets[i]:offsets[i + 1]]`` is text ``i``'s."""
    buffer, offsets = encode_batch(texts, shingle)
    values = np.empty(buffer.size + 1, dtype=np.uint32)
    value_offsets = np.empty(len(texts) + 1, dtype=np.int64)
    mode = kernels.MODE_WORDS if shingle == "word" else kernels.MODE_CHARACTERS
    kernels.shingle_hashes_batch(
        buffer, offsets, ngram, mode, whole_if_short, NON_WORD_RANGES_ARRAY, value_offsets, values
    )
    unique_offsets = np.empty_like(value_offsets)
    written = kernels.sorted_unique_segments(values, value_offsets, unique_offsets)
    return values[:written].copy(), unique_offsets
