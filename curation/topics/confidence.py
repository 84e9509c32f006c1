"""How typical a document is of its topic: the confidence every assigned document carries.

k-means gives every document a topic, including documents that fit none well. Rather than an "outlier"
bucket (where HDBSCAN-style clustering leaves 30-50% of a corpus), each document keeps its nearest topic
and gets ``topic_confidence``: the share of the topic's fit-sample members whose similarity to the centroid
is at most the document's own (the empirical distribution function, read off a grid of quantiles saved
with the model). 0.5 is a median member; a document below ``low_confidence`` (5% by default) is less
typical than 95% of the sample's members and is flagged, not moved. Topics with too few sample members for
stable quantiles use the quantiles of the whole sample.
"""

from __future__ import annotations

import numpy as np

QUANTILE_LEVELS = np.linspace(0.0, 1.0, 21)
MIN_MEMBERS = 20


def similarity_quantiles(topic: np.ndarray, similarity: np.ndarray, k: int) -> np.ndarray:
    """``(k, len(QUANTILE_LEVELS))`` float32: per topic, quantiles of its members' similarity to the centroid."""
    overall = np.quantile(similarity, QUANTILE_LEVELS) if len(similarity) else np.linspace(-1.0, 1.0, 21)
    grid = np.tile(overall.astype(np.float32), (k, 1))
    order = np.argsort(topic, kind="stable")
    sorted_topics = topic[order]
    bounds = np.searchsorted(sorted_topics, np.arange(k + 1))
    for t in range(k):
        members = similarity[order[bounds[t] : bounds[t + 1]]]
        if len(members) >= MIN_MEMBERS:
            grid[t] = np.quantile(members, QUANTILE_LEVELS)
    return grid


def confidence(topic: np.ndarray, similarity: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Float32 in [0, 1]: where each similarity falls in its topic's distribution (see the module docstring)."""
    result = np.empty(len(topic), dtype=np.float32)
    for t in np.unique(topic):
        rows = np.flatnonzero(topic == t)
        points = np.maximum.accumulate(grid[t])  # interp needs non-decreasing x
        result[rows] = np.interp(similarity[rows], points, QUANTILE_LEVELS, left=0.0, right=1.0)
    return result
