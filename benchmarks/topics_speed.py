"""Topic speed, side by side in one run: the whole chain with MiniLM on CPU, and the assignment pass.

- **whole chain**: ``topic_embed`` (MiniLM from its wheel, through the engine) + ``topic_cluster`` as a real
  ``curate run`` over JSONL shards (read, embed, collect, fit, assign, keywords, names, write), against the
  usual script: sentence-transformers ``encode(normalize_embeddings=True)`` + scikit-learn ``KMeans`` in
  memory (which writes nothing, names nothing and needs the corpus in memory). Documents per second.
- **assignment** (embeddings given): our streaming ``assign`` (chunks of 8,192 rows, cosine) against
  scikit-learn ``KMeans.predict`` with the same centroids, on random unit vectors, k = 1,000.

    PYTHONPATH=$PWD /work/main/.venv/bin/python benchmarks/topics_speed.py [--docs 400 --k 20]
"""

from __future__ import annotations

import argparse
import gzip
import json
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data" / "topics" / "bbc_news.jsonl.gz"


def whole_chain(texts: list[str], k: int) -> tuple[float, float]:
    from curation import parse_recipe, run_recipe

    with tempfile.TemporaryDirectory() as tmp:
        shards = Path(tmp) / "in"
        shards.mkdir()
        for shard in range(4):
            with open(shards / f"part-{shard}.jsonl", "w") as handle:
                for i in range(shard, len(texts), 4):
                    handle.write(json.dumps({"id": f"d{i}", "text": texts[i]}) + "\n")
        recipe = parse_recipe(
            "name: speed\nstages:\n  - stage: topic_embed\n    params: {device: cpu}\n"
            f"  - stage: topic_cluster\n    params: {{k: {k}}}\n"
        )
        started = time.perf_counter()
        report = run_recipe(recipe, input_path=str(shards), output_path=f"{tmp}/out", workers=1, progress="none")
        ours = time.perf_counter() - started
        assert report.ok, report.summary["shards"]["failures"]
    from sentence_transformers import SentenceTransformer
    from sklearn.cluster import KMeans

    from curation.topics.encoder import bundled_minilm_path

    started = time.perf_counter()
    model = SentenceTransformer(bundled_minilm_path(), device="cpu")
    vectors = model.encode(texts, normalize_embeddings=True, batch_size=32)
    KMeans(k, random_state=0).fit_predict(vectors)
    peer = time.perf_counter() - started
    return len(texts) / ours, len(texts) / peer


def assignment(rows: int, k: int) -> tuple[float, float, bool]:
    from sklearn.cluster import KMeans

    from curation.topics.kmeans import assign, normalize_rows

    rng = np.random.default_rng(0)
    vectors = normalize_rows(rng.standard_normal((rows, 384), dtype=np.float32))
    centroids = normalize_rows(rng.standard_normal((k, 384), dtype=np.float32))
    started = time.perf_counter()
    ours = assign(vectors, centroids).topic
    ours_seconds = time.perf_counter() - started
    peer_model = KMeans(k, init=centroids, n_init=1, max_iter=1).fit(centroids)  # a fitted estimator ...
    peer_model.cluster_centers_ = centroids  # ... holding exactly our centroids
    started = time.perf_counter()
    peer = peer_model.predict(vectors)
    peer_seconds = time.perf_counter() - started
    return rows / ours_seconds, rows / peer_seconds, bool((ours == peer).mean() > 0.999)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=400)
    parser.add_argument("--k", type=int, default=20)
    parser.add_argument("--assign-rows", type=int, default=200_000)
    args = parser.parse_args()
    with gzip.open(DATA) as handle:
        texts = [json.loads(line)["text"] for line in handle][: args.docs]
    ours, peer = whole_chain(texts, args.k)
    print(f"| whole chain, {len(texts)} BBC docs, k={args.k} | sentence-transformers + KMeans | {peer:.1f} | "
          f"curate run topic_embed + topic_cluster | {ours:.1f} | {ours / peer:.2f}x |")  # fmt: skip
    ours, peer, same = assignment(args.assign_rows, 1000)
    print(f"| assignment, {args.assign_rows:,} vectors, k=1,000 | sklearn KMeans.predict | {peer:,.0f} | "
          f"curation.topics.kmeans.assign | {ours:,.0f} | {ours / peer:.2f}x (same topics: {same}) |")  # fmt: skip


if __name__ == "__main__":
    main()
