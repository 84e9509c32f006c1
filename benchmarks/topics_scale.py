"""topic_cluster at scale: 1M documents, k = 1,000, on one machine, with precomputed random embeddings.

The stage's global tasks run on a work folder laid out as ``collect`` leaves it (100 shards of 10,000
documents: float16 embeddings, ids, token counts, sampling priorities, short texts), each task in its own
process so its peak memory (``ru_maxrss``) is its own:

- **fit**: the uniform sample (default 100,000), k-means, the vocabulary: time and peak memory;
- **assign**: every shard against the centroids, keywords counted: documents/s and peak memory;
- **describe**: statistics added up, c-TF-IDF, names, topics.json.

The peer is what a fit on *all* documents needs: scikit-learn ``KMeans`` on the 1M x 384 float32 matrix
(1.5 GB before any work array), timed for the same number of Lloyd iterations as ours ran (``--peer-iter``
caps it; its time per iteration is printed, so a capped run still gives the comparison).

    PYTHONPATH=$PWD /work/main/.venv/bin/python benchmarks/topics_scale.py [--docs 1000000 --k 1000]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

SHARD_DOCS = 10_000
DIMENSION = 384
WORDS = np.array("alpha beta gamma delta epsilon zeta theta kappa lambda sigma omega river stone cloud".split())


def prepare(workdir: Path, docs: int, seed: int) -> list[str]:
    import pyarrow as pa
    from datatrove.io import get_datafolder

    from curation.dedup import storage
    from curation.topics.cluster_stage import _save_npy
    from curation.topics.sampling import priorities

    folder = get_datafolder(str(workdir))
    rng = np.random.default_rng(seed)
    stems = []
    for shard in range(docs // SHARD_DOCS):
        stem = f"part-{shard:05d}"
        vectors = rng.standard_normal((SHARD_DOCS, DIMENSION), dtype=np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        _save_npy(folder, f"embeddings/{stem}.npy", vectors.astype(np.float16))
        ids = [f"{stem}-{i}" for i in range(SHARD_DOCS)]
        texts = [" ".join(rng.choice(WORDS, 8)) for _ in range(SHARD_DOCS)]
        storage.save_json(folder, f"shards/{stem}.json", {"encoders": ["random@0"], "dimension": DIMENSION})
        storage.save_table(
            folder,
            f"docs/{stem}.parquet",
            {
                "id": pa.array(ids),
                "tokens": pa.array(np.full(SHARD_DOCS, 500), pa.int64()),
                "priority": pa.array(priorities(ids, stem, 0), pa.uint64()),
                "text": pa.array(texts, pa.large_string()),
            },
        )
        stems.append(stem)
    return stems


def _tasks(args: tuple) -> tuple[float, float]:
    workdir, tasks, stage_params = args
    from datatrove.io import get_datafolder

    from curation.global_stage import GlobalTask
    from curation.topics.cluster_stage import TopicCluster

    stage = TopicCluster(**stage_params)
    started = time.perf_counter()
    for key, params in tasks:
        stage.run_global_task(GlobalTask(key, params), get_datafolder(workdir))
    return time.perf_counter() - started, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def in_fresh_process(workdir: str, tasks: list[tuple[str, dict]], stage_params: dict) -> tuple[float, float]:
    """Run global tasks one after another in a new process: (seconds, that process's peak RSS in MB)."""
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(_tasks, ((workdir, tasks, stage_params),))


def _peer(args: tuple) -> tuple[float, float, int]:
    docs, k, iterations, seed = args
    from sklearn.cluster import KMeans

    rng = np.random.default_rng(seed)
    vectors = rng.standard_normal((docs, DIMENSION), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    init = vectors[rng.choice(docs, k, replace=False)]  # seeding excluded: only the Lloyd iterations are timed
    started = time.perf_counter()
    model = KMeans(k, init=init, n_init=1, max_iter=iterations, tol=0).fit(vectors)
    return time.perf_counter() - started, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, model.n_iter_


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=1_000_000)
    parser.add_argument("--k", type=int, default=1000)
    parser.add_argument("--sample-size", type=int, default=100_000)
    parser.add_argument("--max-iter", type=int, default=100)
    parser.add_argument("--peer-iter", type=int, default=5)
    parser.add_argument("--workdir", default=None, help="keep the prepared shards here (reused when present)")
    args = parser.parse_args()
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="topics-scale-"))
    stage_params = {"k": args.k, "sample_size": args.sample_size, "max_iter": args.max_iter}
    started = time.perf_counter()
    stems = [f"part-{shard:05d}" for shard in range(args.docs // SHARD_DOCS)]
    if not all((workdir / "docs" / f"{stem}.parquet").is_file() for stem in stems):  # --workdir of an earlier run
        stems = prepare(workdir, args.docs, 0)
    seconds = time.perf_counter() - started
    print(f"prepared {args.docs:,} documents in {len(stems)} shards in {seconds:.0f}s", flush=True)
    fit_seconds, fit_peak = in_fresh_process(str(workdir), [("fit", {"stems": stems})], stage_params)
    print(f"fit: k={args.k}, sample {args.sample_size:,}: {fit_seconds:.1f}s, peak RSS {fit_peak:,.0f} MB", flush=True)
    assigns = [(f"assign-{stem}", {"stem": stem}) for stem in stems]
    assign_seconds, assign_peak = in_fresh_process(str(workdir), assigns, stage_params)
    rate = args.docs / assign_seconds
    print(f"assign: {rate:,.0f} docs/s on one core (keywords included), peak RSS {assign_peak:,.0f} MB", flush=True)
    describe_seconds, describe_peak = in_fresh_process(str(workdir), [("describe", {"stems": stems})], stage_params)
    topics = json.loads((workdir / "topics.json").read_text())
    print(f"describe: {describe_seconds:.1f}s, peak RSS {describe_peak:,.0f} MB; {topics['documents']:,} docs assigned")
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        peer_seconds, peer_peak, iterations = pool.apply(_peer, ((args.docs, args.k, args.peer_iter, 0),))
    print(
        f"peer: sklearn KMeans on all {args.docs:,} docs: {peer_seconds / iterations:.1f}s per Lloyd iteration "
        f"({iterations} run), peak RSS {peer_peak:,.0f} MB",
        flush=True,
    )
    print(f"peak memory ratio (peer fit / our fit): {peer_peak / fit_peak:.1f}x")
    if not args.workdir:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
