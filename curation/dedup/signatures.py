"""MinHash signatures for batches of documents, compatible with datasketch.

``MinHasher(num_perm=128, seed=1).signatures(texts)`` returns a ``(len(texts), num_perm)`` ``uint32``
array. Row ``i`` equals ``datasketch.MinHash(num_perm, seed, hashfunc=shingle_hash, scheme=...)`` updated
with ``shingles(texts[i], ...)`` (the same kind, length and, for ``auto``, script), so signatures can be
stored in or queried against a datasketch ``MinHashLSH`` (see ``to_datasketch``).

Two permutation schemes, both datasketch's:

- ``affine32`` (datasketch 2.0's default): the shingle hash is pre-mixed with MurmurHash3's finaliser, then
  ``a * h + b mod 2**32`` with odd ``a``. A bijection, so it adds no collisions, and it is pure 32-bit
  arithmetic, which is why it is our default as well.
- ``legacy`` (datasketch before 2.0): ``(a * h + b) mod (2**61 - 1)``, truncated to 32 bits, with ``a * h``
  wrapping modulo ``2**64`` as NumPy's ``uint64`` arithmetic does. Kept for indexes built with old
  datasketch versions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from curation.dedup import kernels, scripts
from curation.dedup.shingles import SHINGLE_KINDS, ShingleKind
from curation.dedup.tokens import NON_WORD_RANGES_ARRAY, TEXT_ENCODING_ERRORS, normalise_for_characters

Scheme = Literal["affine32", "legacy"]
EMPTY_VALUE = np.uint32(0xFFFFFFFF)
"""Every slot of the signature of a document without a single shingle."""

_MERSENNE_61 = np.uint64((1 << 61) - 1)
_MODES = {"word": kernels.MODE_WORDS, "char": kernels.MODE_CHARACTERS, "auto": kernels.MODE_AUTO}
assert (scripts.HANI, scripts.JPAN, scripts.SCRIPT_SHARE) == (
    kernels.SCRIPT_HANI,
    kernels.SCRIPT_JPAN,
    kernels.SCRIPT_SHARE,
)


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

    ``shingle``: ``word`` (``ngram`` words), ``char`` (``ngram`` code points) or ``auto`` (``ngram`` words, or
    for a document in a script written without spaces, ``script_ngrams[script]`` code points; see
    ``curation.dedup.scripts``). Picklable (plain numbers and small arrays), so a stage holding one travels to
    worker processes.
    """

    num_perm: int = 128
    seed: int = 1
    ngram: int = 5
    shingle: ShingleKind = "word"
    scheme: Scheme = "affine32"
    script_ngrams: Mapping[str, int] | None = None
    _a: np.ndarray = field(init=False, repr=False)
    _b: np.ndarray = field(init=False, repr=False)
    _script_lengths: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.num_perm < 1:
            raise ValueError(f"num_perm must be at least 1, got {self.num_perm}")
        if self.ngram < 1:
            raise ValueError(f"ngram must be at least 1, got {self.ngram}")
        if self.shingle not in SHINGLE_KINDS:
            raise ValueError(f"unknown shingle kind {self.shingle!r}; use one of {', '.join(SHINGLE_KINDS)}")
        self.script_ngrams = scripts.script_ngrams(self.script_ngrams)
        self._script_lengths = np.array([self.script_ngrams[name] for name in scripts.SCRIPTS], dtype=np.int64)
        self._a, self._b = permutations(self.num_perm, self.seed, self.scheme)

    def signatures(
        self, texts: Sequence[str], document_scripts: Sequence[str | None] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """``(signatures, shingle_counts)`` for ``texts``; a document with no shingle gets all ``EMPTY_VALUE``.

        ``document_scripts`` (``auto`` only): per text, the script its metadata names (``scripts.script_hint``)
        or None to detect it from the characters. Raises ``ValueError`` for a script not in ``scripts.SCRIPTS``.
        """
        buffer, offsets = encode_batch(texts, self.shingle)
        signatures = np.empty((len(texts), self.num_perm), dtype=np.uint32)
        counts = np.empty(len(texts), dtype=np.int64)
        kernels.minhash_batch(
            buffer,
            offsets,
            self.ngram,
            _MODES[self.shingle],
            self._a,
            self._b,
            kernels.SCHEME_AFFINE32 if self.scheme == "affine32" else kernels.SCHEME_LEGACY,
            0,
            NON_WORD_RANGES_ARRAY,
            script_ids(len(texts), document_scripts),
            scripts.SCRIPT_RANGES_ARRAY,
            self._script_lengths,
            signatures,
            counts,
        )
        return signatures, counts

    def shingle_sets(
        self, texts: Sequence[str], document_scripts: Sequence[str | None] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Sorted distinct shingle hashes of each text, as ``(values, offsets)`` (for exact Jaccard checks)."""
        return shingle_hash_sets(
            texts,
            self.shingle,
            self.ngram,
            whole_if_short=True,
            document_scripts=document_scripts,
            script_lengths=self._script_lengths,
        )

    def to_datasketch(self, signature: np.ndarray) -> Any:
        """One signature as a datasketch ``LeanMinHash`` (datasketch is needed only for this)."""
        from datasketch import LeanMinHash

        values = signature.astype(np.uint64) if self.scheme == "legacy" else signature.astype(np.uint32)
        return LeanMinHash(seed=self.seed, hashvalues=values, scheme=self.scheme)

    def describe(self) -> dict[str, Any]:
        """The parameters that make two signatures comparable (stored with an index, checked on reuse)."""
        described = {
            "num_perm": self.num_perm,
            "seed": self.seed,
            "ngram": self.ngram,
            "shingle": self.shingle,
            "scheme": self.scheme,
            "shingle_hash": "xxh32-seed0",
        }
        if self.shingle == "auto":
            described["script_ngrams"] = dict(self.script_ngrams or {})
            described["script_table"] = scripts.SCRIPT_TABLE_VERSION
        return described


def encode_batch(texts: Sequence[str], shingle: ShingleKind = "word") -> tuple[np.ndarray, np.ndarray]:
    """Concatenated prepared UTF-8 bytes of ``texts`` and the ``len(texts) + 1`` offsets delimiting them."""
    if shingle != "char":
        encoded = [text.lower().encode("utf-8", TEXT_ENCODING_ERRORS) for text in texts]
    else:
        encoded = [normalise_for_characters(text).encode("utf-8", TEXT_ENCODING_ERRORS) for text in texts]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(chunk) for chunk in encoded], out=offsets[1:])
    buffer = np.frombuffer(b"".join(encoded), dtype=np.uint8)
    if buffer.size == 0:
        buffer = np.zeros(1, dtype=np.uint8)
    return buffer, offsets


def script_ids(count: int, document_scripts: Sequence[str | None] | None) -> np.ndarray:
    """Per-document script ids for the kernels: ``kernels.SCRIPT_DETECT`` where no script is named."""
    ids = np.full(count, kernels.SCRIPT_DETECT, dtype=np.int64)
    if document_scripts is None:
        return ids
    if len(document_scripts) != count:
        raise ValueError(f"document_scripts has {len(document_scripts)} entries for {count} texts")
    for row, name in enumerate(document_scripts):
        if name is not None:
            if name not in scripts.SCRIPTS:
                raise ValueError(f"unknown script {name!r}; known: {', '.join(scripts.SCRIPTS)}")
            ids[row] = scripts.SCRIPTS.index(name)
    return ids


def shingle_hash_sets(
    texts: Sequence[str],
    shingle: ShingleKind,
    ngram: int,
    *,
    whole_if_short: bool,
    document_scripts: Sequence[str | None] | None = None,
    script_lengths: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct 32-bit shingle hashes per text: ``values[offsets[i]:offsets[i + 1]]`` is text ``i``'s."""
    buffer, offsets = encode_batch(texts, shingle)
    values = np.empty(buffer.size + 1, dtype=np.uint32)
    value_offsets = np.empty(len(texts) + 1, dtype=np.int64)
    if script_lengths is None:
        script_lengths = np.array([scripts.SCRIPT_NGRAMS[name] for name in scripts.SCRIPTS], dtype=np.int64)
    kernels.shingle_hashes_batch(
        buffer,
        offsets,
        ngram,
        _MODES[shingle],
        whole_if_short,
        NON_WORD_RANGES_ARRAY,
        script_ids(len(texts), document_scripts),
        scripts.SCRIPT_RANGES_ARRAY,
        script_lengths,
        value_offsets,
        values,
    )
    unique_offsets = np.empty_like(value_offsets)
    written = kernels.sorted_unique_segments(values, value_offsets, unique_offsets)
    return values[:written].copy(), unique_offsets
