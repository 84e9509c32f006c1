"""Locality-sensitive hashing of MinHash signatures: bands, their bucket keys, and what they imply.

A signature of ``bands * rows`` values is cut into ``bands`` bands of ``rows`` values; two documents are
candidates when any band is equal. For Jaccard similarity ``s`` that happens with probability
``1 - (1 - s**rows) ** bands``, an S-curve whose midpoint — the implied threshold — is about
``(1 / bands) ** (1 / rows)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_MIX_1 = np.uint64(0xFF51AFD7ED558CCD)
_MIX_2 = np.uint64(0xC4CEB9FE1A85EC53)
_STEP = np.uint64(0x9E3779B97F4A7C15)
_SHIFT = np.uint64(33)


@dataclass(frozen=True)
class Banding:
    """``bands`` x ``rows`` layout of a signature, grouped into ``partitions`` for the bucket tasks."""

    bands: int
    rows: int
    partitions: int = 1

    def __post_init__(self) -> None:
        if self.bands < 1 or self.rows < 1:
            raise ValueError(f"bands and rows must be at least 1, got bands={self.bands}, rows={self.rows}")
        if not 1 <= self.partitions <= self.bands:
            raise ValueError(f"band partitions must be between 1 and bands ({self.bands}), got {self.partitions}")

    @property
    def num_perm(self) -> int:
        return self.bands * self.rows

    @property
    def threshold(self) -> float:
        """Similarity at which a pair becomes a candidate with probability about one half."""
        return (1.0 / self.bands) ** (1.0 / self.rows)

    def candidate_probability(self, similarity: float) -> float:
        """Probability that a pair with this Jaccard similarity shares at least one band."""
        return 1.0 - (1.0 - similarity**self.rows) ** self.bands

    def partition_bands(self, partition: int) -> range:
        """The bands one bucket task handles (contiguous, as even as possible)."""
        base, extra = divmod(self.bands, self.partitions)
        start = partition * base + min(partition, extra)
        return range(start, start + base + (1 if partition < extra else 0))

    def describe(self) -> str:
        """One line for logs: the layout and the similarity it implies."""
        points = ", ".join(f"P({s:.1f})={self.candidate_probability(s):.2f}" for s in (0.5, 0.7, 0.8, 0.9))
        return (
            f"MinHash LSH: {self.bands} bands x {self.rows} rows = {self.num_perm} permutations; "
            f"implied similarity threshold {self.threshold:.3f} ({points})"
        )


def banding_for_threshold(threshold: float, num_perm: int, false_negative_weight: float = 0.6) -> tuple[int, int]:
    """The ``(bands, rows)`` with ``bands * rows <= num_perm`` whose S-curve best matches ``threshold``.

    Minimises the weighted area of false positives below the threshold and false negatives above it, as
    datasketch's ``MinHashLSH`` does. Our default weighs a missed duplicate a little more than a false
    candidate (0.6 / 0.4), because a false candidate can still be rejected by ``verify`` and a missed pair
    is gone for good; for ``threshold=0.7`` and 128 permutations this gives 16 bands x 8 rows.
    """
    if not 0.0 < threshold < 1.0:
        raise ValueError(f"threshold must be strictly between 0 and 1, got {threshold}")
    grid = np.linspace(0.0, 1.0, 1001)
    best, best_error = (1, num_perm), float("inf")
    for bands in range(1, num_perm + 1):
        for rows in range(1, num_perm // bands + 1):
            probability = 1.0 - (1.0 - grid**rows) ** bands
            below = grid <= threshold
            error = (1 - false_negative_weight) * np.trapezoid(probability[below], grid[below])
            error += false_negative_weight * np.trapezoid(1 - probability[~below], grid[~below])
            if error < best_error:
                best, best_error = (bands, rows), error
    return best


def band_keys(signatures: np.ndarray, banding: Banding, bands: range | None = None) -> np.ndarray:
    """A 64-bit key per document and band: equal bands give equal keys, different ones (almost) never.

    Returns ``(len(signatures), len(bands))`` ``uint64``. The key mixes the band number in, so equal values
    in different bands never meet in one bucket table.
    """
    if signatures.shape[1] < banding.num_perm:
        raise ValueError(f"signatures have {signatures.shape[1]} values, the banding needs {banding.num_perm}")
    selected = range(banding.bands) if bands is None else bands
    keys = np.empty((signatures.shape[0], len(selected)), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for column, band in enumerate(selected):
            key = np.full(signatures.shape[0], np.uint64(band + 1) * _STEP, dtype=np.uint64)
            for row in range(band * banding.rows, (band + 1) * banding.rows):
                key = _mix64(key * _STEP + signatures[:, row].astype(np.uint64))
            keys[:, column] = key
    return keys


def _mix64(values: np.ndarray) -> np.ndarray:
    values = values ^ (values >> _SHIFT)
    values = values * _MIX_1
    values = values ^ (values >> _SHIFT)
    values = values * _MIX_2
    return values ^ (values >> _SHIFT)
