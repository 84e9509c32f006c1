"""Duplicate clusters among the checked documents, with the dedup stages' own building blocks.

Exact duplicates are documents with equal ``exact_dedup`` hashes; near duplicates are MinHash LSH candidates
(documents sharing a band key, as in ``minhash_dedup``) whose signatures agree on at least ``threshold`` of
their values, joined into connected components. Either way the rate is what the stage would remove: every
member of a cluster but one. Empty documents are left out of both (they have their own metric, and all of
them are equal).

On a sample the rate needs care: two copies are both in a sample of a fraction ``f`` of the data only with
probability about ``f**2``, so the share of removable documents seen in a sample is about ``f`` times the
data's. The rate is therefore estimated from duplicate *pairs*, whose count in a uniform sample without
replacement is an unbiased estimate of ``n(n-1) / (N(N-1))`` times the data's: ``rate = pairs_in_sample *
N(N-1) / (n(n-1)) / N``. It equals the removable share when copies come in pairs (the usual failure: a stage
dropped or a shard processed twice) and over-states it for large clusters, which errs towards a failed check.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from curation.dedup.clusters import components, equal_key_edges, unique_edges
from curation.dedup.lsh import Banding


@dataclass
class DuplicateClusters:
    """Documents (positions among the checked ones) in clusters of two or more, and each one's cluster."""

    nodes: np.ndarray
    labels: np.ndarray
    similarity: dict[tuple[int, int], float] | None = None

    @property
    def count(self) -> int:
        return int(self.labels.max()) + 1 if len(self.labels) else 0

    @property
    def removable(self) -> int:
        """Documents a dedup stage would remove: all members but one per cluster."""
        return len(self.nodes) - self.count

    @property
    def pairs(self) -> int:
        sizes = np.bincount(self.labels) if len(self.labels) else np.empty(0, np.int64)
        return int((sizes * (sizes - 1) // 2).sum())

    def rate(self, checked: int, population: int) -> float:
        """The share of the data a dedup stage would remove, exact on a full pass, estimated on a sample."""
        if checked == 0:
            return 0.0
        if checked >= population:
            return self.removable / checked
        if checked < 2:
            return 0.0
        pairs = self.pairs * (population * (population - 1)) / (checked * (checked - 1))
        return min(1.0, pairs / population)

    def examples(self, limit: int) -> list[tuple[int, int]]:
        """``(copy, kept)`` position pairs, the kept document being each cluster's first in reading order."""
        if not len(self.nodes) or limit == 0:
            return []
        order = np.lexsort((self.nodes, self.labels))
        nodes, labels = self.nodes[order], self.labels[order]
        first = np.concatenate(([True], labels[1:] != labels[:-1]))
        kept = nodes[np.maximum.accumulate(np.where(first, np.arange(len(nodes)), 0))]
        pairs = [(int(copy), int(keeper)) for copy, keeper, head in zip(nodes, kept, first, strict=True) if not head]
        pairs.sort()
        return pairs[:limit]


def _clusters(edges: np.ndarray) -> DuplicateClusters:
    found = components(edges)
    return DuplicateClusters(found.nodes.astype(np.int64), found.labels)


def exact_clusters(hashes: np.ndarray, candidates: np.ndarray | None = None) -> DuplicateClusters:
    """Clusters of equal ``(n, 2)`` 128-bit hashes, among the ``candidates`` (a mask; default all)."""
    nodes = np.arange(len(hashes), dtype=np.uint64)
    if candidates is not None:
        hashes, nodes = hashes[candidates], nodes[candidates]
    return _clusters(equal_key_edges(hashes, nodes))


def near_clusters(
    key_files: list[str],
    signature_files: list[str],
    offsets: list[int],
    shingled: np.ndarray,
    banding: Banding,
    threshold: float,
) -> DuplicateClusters:
    """MinHash clusters from per-task files: band keys ``(bands, n_task)`` and signatures ``(n_task, num_perm)``.

    ``offsets[i]`` is the position of task ``i``'s first document; documents without a single shingle (empty
    ones) are never candidates. Each band is loaded on its own, so memory holds one band of keys at a time.
    """
    positions = np.arange(len(shingled), dtype=np.uint64)[shingled]
    edges = []
    for band in range(banding.bands):
        keys = np.concatenate([np.load(path, mmap_mode="r")[band] for path in key_files]) if key_files else None
        if keys is None or not len(keys):
            break
        edges.append(equal_key_edges(keys[shingled], positions))
    candidates = unique_edges(np.concatenate(edges)) if edges else np.empty((0, 2), np.uint64)
    if not len(candidates):
        return DuplicateClusters(np.empty(0, np.int64), np.empty(0, np.int64), {})
    similarity = _signature_agreement(candidates.astype(np.int64), signature_files, offsets)
    kept = similarity >= threshold
    verified = candidates[kept]
    clusters = _clusters(verified)
    clusters.similarity = {
        (int(a), int(b)): float(s) for (a, b), s in zip(verified.tolist(), similarity[kept].tolist(), strict=True)
    }
    return clusters


def _signature_agreement(edges: np.ndarray, signature_files: list[str], offsets: list[int]) -> np.ndarray:
    """Fraction of equal signature values of each pair: the MinHash estimate of its Jaccard similarity."""
    nodes, inverse = np.unique(edges.reshape(-1), return_inverse=True)
    starts = np.asarray(offsets, dtype=np.int64)
    task_of = np.searchsorted(starts, nodes, side="right") - 1
    gathered = None
    for task in np.unique(task_of):
        rows = np.flatnonzero(task_of == task)
        signatures = np.load(signature_files[task], mmap_mode="r")
        block = np.asarray(signatures[nodes[rows] - starts[task]])
        if gathered is None:
            gathered = np.empty((len(nodes), block.shape[1]), dtype=block.dtype)
        gathered[rows] = block
    left, right = inverse.reshape(-1, 2).T
    return (gathered[left] == gathered[right]).mean(axis=1)
