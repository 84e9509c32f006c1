"""Spherical k-means: fit centroids on a sample of unit vectors, assign any number of vectors to them.

Cosine geometry: every vector is scaled to unit length, so the nearest centroid by Euclidean distance is
the most similar one by cosine, and scikit-learn's ``KMeans`` / ``MiniBatchKMeans`` (or faiss's k-means,
when installed) fit it. After the fit, the centroids are recomputed once as the plain float64 mean of the
sample vectors nearest to each, in a fixed order, and scaled to unit length (the spherical k-means update):
OpenMP reductions inside the libraries may add per-thread partial sums in any order, and this last step
makes the saved centroids the same bit for bit whatever the thread count or the executor.

Assignment streams: vectors go through in chunks of ``chunk_rows`` rows, so memory is the chunk times the
centroids, never the corpus.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np

Algorithm = Literal["kmeans", "minibatch", "faiss"]
ALGORITHMS = ("kmeans", "minibatch", "faiss")
ASSIGN_CHUNK_ROWS = 8192
MIN_INIT_SIZE = 10_000
"""k-means++ seeding looks at ``max(3 k, MIN_INIT_SIZE)`` sample vectors: its cost grows with points x k x
log k, and on 100,000 vectors with k = 1,000 it would take longer than the fit itself."""


class ClusteringError(ValueError):
    """A fit that cannot be done as asked (too few documents for k, an unavailable algorithm)."""


@dataclass(frozen=True)
class Assignment:
    """Nearest centroids of a block of vectors: ``topic`` (int32), cosine ``similarity`` to it and to the
    ``runner_up`` (float32; -1 when there is a single centroid)."""

    topic: np.ndarray
    similarity: np.ndarray
    runner_up: np.ndarray


def normalize_rows(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (float32); an all-zero row stays zero."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, np.float32(1e-12))


def fit_centroids(
    vectors: np.ndarray,
    k: int,
    *,
    seed: int = 0,
    algorithm: Algorithm = "kmeans",
    max_iter: int = 100,
    n_init: int = 1,
    init_size: int | None = None,
    batch_size: int = 4096,
) -> np.ndarray:
    """Unit-length centroids ``(k, d)`` float32 fitted on ``vectors`` ``(n, d)`` (scaled to unit length here).

    ``algorithm``: ``kmeans`` (scikit-learn's Lloyd iterations on the whole sample; the default),
    ``minibatch`` (``MiniBatchKMeans``: faster on large samples, slightly worse optimum), ``faiss``
    (faiss's spherical k-means; needs ``faiss-cpu``). Seeding is k-means++ on ``init_size`` vectors drawn
    with ``seed``. Raises ``ClusteringError`` when ``n < k``.
    """
    if algorithm not in ALGORITHMS:
        raise ClusteringError(f"algorithm {algorithm!r} is not one of {', '.join(ALGORITHMS)}")
    points = normalize_rows(vectors)
    if len(points) < k:
        raise ClusteringError(
            f"{k} topics need at least {k} documents with embeddings to fit on, but the sample has {len(points)}; "
            "lower k or add documents"
        )
    if algorithm == "faiss":
        centroids = _fit_faiss(points, k, seed, max_iter)
    else:
        centroids = _fit_sklearn(points, k, seed, algorithm, max_iter, n_init, init_size, batch_size)
    return spherical_update(points, centroids)


def _initial_centroids(points: np.ndarray, k: int, seed: int, init_size: int | None) -> np.ndarray:
    from sklearn.cluster import kmeans_plusplus

    size = min(len(points), init_size or max(3 * k, MIN_INIT_SIZE))
    rng = np.random.default_rng(seed)
    subset = points if size == len(points) else points[np.sort(rng.choice(len(points), size, replace=False))]
    centers, _ = kmeans_plusplus(subset, k, random_state=seed)
    return centers


def _fit_sklearn(
    points: np.ndarray,
    k: int,
    seed: int,
    algorithm: str,
    max_iter: int,
    n_init: int,
    init_size: int | None,
    batch_size: int,
) -> np.ndarray:
    from sklearn.cluster import KMeans, MiniBatchKMeans
    from sklearn.exceptions import ConvergenceWarning

    best: tuple[float, np.ndarray] | None = None
    for attempt in range(max(1, n_init)):
        init = _initial_centroids(points, k, seed + attempt, init_size)
        if algorithm == "minibatch":
            model = MiniBatchKMeans(
                k, init=init, n_init=1, max_iter=max_iter, batch_size=batch_size, random_state=seed + attempt
            )
        else:
            model = KMeans(k, init=init, n_init=1, max_iter=max_iter, random_state=seed + attempt)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)  # fewer distinct points than k: still usable
            model.fit(points)
        inertia = float(model.inertia_)
        if best is None or inertia < best[0]:
            best = (inertia, model.cluster_centers_.astype(np.float32))
    assert best is not None
    return best[1]


def _fit_faiss(points: np.ndarray, k: int, seed: int, max_iter: int) -> np.ndarray:
    try:
        import faiss
    except ImportError as error:
        raise ClusteringError("algorithm 'faiss' needs faiss-cpu (pip install faiss-cpu); or use 'kmeans'") from error
    kmeans = faiss.Kmeans(points.shape[1], k, niter=max_iter, seed=seed, spherical=True, verbose=False)
    kmeans.train(np.ascontiguousarray(points))
    return np.asarray(kmeans.centroids, dtype=np.float32)


def spherical_update(points: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    """One spherical k-means update, computed deterministically: each centroid becomes the normalised float64
    mean of the unit vectors nearest to it (in input order); a centroid nobody is nearest keeps its place."""
    centroids = normalize_rows(centroids)
    labels = assign(points, centroids).topic
    order = np.argsort(labels, kind="stable")
    sums = np.zeros(centroids.shape, dtype=np.float64)
    sorted_labels = labels[order]
    starts = np.flatnonzero(np.r_[True, sorted_labels[1:] != sorted_labels[:-1]]) if len(order) else np.empty(0, int)
    if len(starts):
        sums[sorted_labels[starts]] = np.add.reduceat(points[order].astype(np.float64), starts, axis=0)
    counts = np.bincount(labels, minlength=len(centroids))
    updated = np.where(counts[:, None] > 0, sums, centroids.astype(np.float64))
    return normalize_rows(updated.astype(np.float32))


def assign(vectors: np.ndarray, centroids: np.ndarray, chunk_rows: int = ASSIGN_CHUNK_ROWS) -> Assignment:
    """The most cosine-similar centroid of every row of ``vectors`` ``(n, d)``, ``chunk_rows`` rows at a time.

    ``centroids`` must be unit length; vectors are scaled to unit length here. Ties go to the smaller
    topic id. Memory: ``chunk_rows x k`` floats besides the inputs.
    """
    count = len(vectors)
    topic = np.empty(count, dtype=np.int32)
    similarity = np.empty(count, dtype=np.float32)
    runner_up = np.full(count, -1.0, dtype=np.float32)
    transposed = np.ascontiguousarray(np.asarray(centroids, dtype=np.float32).T)
    for start in range(0, count, chunk_rows):
        block = normalize_rows(vectors[start : start + chunk_rows])
        scores = block @ transposed
        best = scores.argmax(axis=1)
        rows = np.arange(len(block))
        topic[start : start + len(block)] = best
        similarity[start : start + len(block)] = scores[rows, best]
        if scores.shape[1] > 1:
            scores[rows, best] = -np.inf
            runner_up[start : start + len(block)] = scores.max(axis=1)
    return Assignment(topic, similarity, runner_up)
