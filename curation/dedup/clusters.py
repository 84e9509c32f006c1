"""From equal keys to clusters to decisions, all vectorised.

Documents are *nodes*: a ``uint64`` ``(source << 32) | position``, where ``source`` numbers a shard of this
run or of the persistent index and ``position`` is the document's place in it. Bucket tables give edges
(two nodes with an equal key), connected components of the edge graph are the duplicate clusters, and a
policy picks the one document each cluster keeps.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

KeepPolicy = Literal["quality", "smallest_id", "first"]
KEEP_POLICIES: tuple[str, ...] = ("quality", "smallest_id", "first")
_POSITION_BITS = np.uint64(32)
_POSITION_MASK = np.uint64(0xFFFFFFFF)


def make_nodes(source: int, positions: np.ndarray) -> np.ndarray:
    return (np.uint64(source) << _POSITION_BITS) | positions.astype(np.uint64)


def node_sources(nodes: np.ndarray) -> np.ndarray:
    return (nodes >> _POSITION_BITS).astype(np.int64)


def node_positions(nodes: np.ndarray) -> np.ndarray:
    return (nodes & _POSITION_MASK).astype(np.int64)


def equal_key_edges(keys: np.ndarray, nodes: np.ndarray) -> np.ndarray:
    """Edges ``(n, 2)`` joining each node to the first node with the same key (a star per bucket).

    ``keys`` is ``(n,)`` or ``(n, k)`` (rows compared whole); a star has as few edges as the bucket has extra
    members and connects the same nodes as all pairs would.
    """
    if len(nodes) < 2:
        return np.empty((0, 2), dtype=np.uint64)
    columns = [keys] if keys.ndim == 1 else [keys[:, i] for i in range(keys.shape[1] - 1, -1, -1)]
    order = np.lexsort(columns) if len(columns) > 1 else np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    same = sorted_keys[1:] == sorted_keys[:-1]
    if same.ndim == 2:
        same = same.all(axis=1)
    if not same.any():
        return np.empty((0, 2), dtype=np.uint64)
    index = np.arange(len(order))
    is_head = np.concatenate(([True], ~same))
    head = np.maximum.accumulate(np.where(is_head, index, 0))
    members = ~is_head
    sorted_nodes = nodes[order]
    return np.stack([sorted_nodes[head[members]], sorted_nodes[members]], axis=1)


def unique_edges(edges: np.ndarray) -> np.ndarray:
    """Edges with each unordered pair once, self-loops removed, sorted."""
    if len(edges) == 0:
        return np.empty((0, 2), dtype=np.uint64)
    low = np.minimum(edges[:, 0], edges[:, 1])
    high = np.maximum(edges[:, 0], edges[:, 1])
    keep = low != high
    low, high = low[keep], high[keep]
    order = np.lexsort((high, low))
    low, high = low[order], high[order]
    distinct = np.concatenate(([True], (low[1:] != low[:-1]) | (high[1:] != high[:-1])))
    return np.stack([low[distinct], high[distinct]], axis=1)


@dataclass
class Clusters:
    """Nodes in at least one edge, and the cluster (component) number of each."""

    nodes: np.ndarray
    labels: np.ndarray

    @property
    def count(self) -> int:
        return int(self.labels.max()) + 1 if len(self.labels) else 0


def components(edges: np.ndarray) -> Clusters:
    """Connected components of the graph given by ``edges`` (scipy's compiled union of a sparse graph)."""
    if len(edges) == 0:
        return Clusters(np.empty(0, dtype=np.uint64), np.empty(0, dtype=np.int64))
    nodes, inverse = np.unique(edges.reshape(-1), return_inverse=True)
    inverse = inverse.reshape(-1, 2)
    graph = coo_matrix(
        (np.ones(len(inverse), dtype=np.int8), (inverse[:, 0], inverse[:, 1])), shape=(len(nodes), len(nodes))
    )
    _, labels = connected_components(graph, directed=False)
    return Clusters(nodes, labels.astype(np.int64))


def choose_keepers(
    labels: np.ndarray,
    nodes: np.ndarray,
    ids: np.ndarray,
    quality: np.ndarray,
    protected: np.ndarray,
    policy: KeepPolicy = "quality",
) -> np.ndarray:
    """For each node, the index (into ``nodes``) of the node its cluster keeps.

    ``protected`` nodes (already in the persistent index) are always preferred: they were published by an
    earlier run. Then, by ``policy``: ``quality`` — highest quality score (NaN counts as lowest), then
    smallest id; ``smallest_id`` — smallest document id; ``first`` — first in input order (shard order, then
    position). Ties always fall back to input order, so the choice is deterministic.
    """
    if policy not in KEEP_POLICIES:
        raise ValueError(f"unknown keep policy {policy!r}; use one of {', '.join(KEEP_POLICIES)}")
    if len(nodes) == 0:
        return np.empty(0, dtype=np.int64)
    _, id_rank = np.unique(ids.astype(str), return_inverse=True)
    score = np.where(np.isnan(quality), -np.inf, quality)
    keys: list[np.ndarray] = [nodes]
    if policy in ("quality", "smallest_id"):
        keys.append(id_rank)
    if policy == "quality":
        keys.append(-score)
    keys += [~protected, labels]
    order = np.lexsort(keys)
    first_of_cluster = np.concatenate(([True], labels[order][1:] != labels[order][:-1]))
    keeper_by_label = np.empty(int(labels.max()) + 1, dtype=np.int64)
    keeper_by_label[labels[order][first_of_cluster]] = order[first_of_cluster]
    return keeper_by_label[labels]
