"""A uniform sample of documents across shards, fixed by a seed, with memory bounded by the sample size.

Every document gets a pseudo-random *priority*: the 64-bit xxh3 hash, seeded with ``seed``, of its id, its
shard and its position. The sample is the ``size`` documents with the smallest priorities in the whole
corpus (bottom-k sampling): a uniform sample without replacement, the same whichever worker, executor or
order computed the priorities, and obtained by a streaming merge that never holds more than ``2 x size``
candidates.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import xxhash


def priorities(ids: Sequence[str], stem: str, seed: int) -> np.ndarray:
    """uint64 priority of each document of a shard, in order."""
    hasher = xxhash.xxh3_64_intdigest
    prefix = f"\0{stem}\0"
    return np.fromiter(
        (hasher(f"{i}{prefix}{position}".encode("utf-8", "surrogatepass"), seed) for position, i in enumerate(ids)),
        dtype=np.uint64,
        count=len(ids),
    )


def bottom_k(shards: Iterable[tuple[int, np.ndarray]], size: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``size`` smallest priorities over ``(shard number, priorities)`` pairs, as (shard, position) arrays
    sorted by shard then position. Ties on priority go to the smaller (shard, position)."""
    kept_priority = np.empty(0, dtype=np.uint64)
    kept_shard = np.empty(0, dtype=np.int64)
    kept_position = np.empty(0, dtype=np.int64)
    for shard, values in shards:
        kept_priority = np.concatenate([kept_priority, values.astype(np.uint64)])
        kept_shard = np.concatenate([kept_shard, np.full(len(values), shard, dtype=np.int64)])
        kept_position = np.concatenate([kept_position, np.arange(len(values), dtype=np.int64)])
        if len(kept_priority) > 2 * size:
            kept_priority, kept_shard, kept_position = _smallest(kept_priority, kept_shard, kept_position, size)
    kept_priority, kept_shard, kept_position = _smallest(kept_priority, kept_shard, kept_position, size)
    order = np.lexsort((kept_position, kept_shard))
    return kept_shard[order], kept_position[order]


def _smallest(priority: np.ndarray, shard: np.ndarray, position: np.ndarray, size: int):
    order = np.lexsort((position, shard, priority))[:size]
    return priority[order], shard[order], position[order]


def sample_fingerprint(stems: Sequence[str], shard: np.ndarray, position: np.ndarray, seed: int) -> str:
    """xxh3-128 of the sampled (shard stem, position) pairs and the seed: two fits on the same sample match."""
    hasher = xxhash.xxh3_128(seed=seed)
    for s, p in zip(shard.tolist(), position.tolist(), strict=True):
        hasher.update(f"{stems[s]}\0{p}\n".encode())
    return hasher.hexdigest()
