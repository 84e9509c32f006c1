"""Topic quality against human labels: our topic_cluster vs BERTopic, MiniLM + k-means and TF-IDF + k-means.

On ``../shared/data/topics/`` (BBC News: 5 balanced classes; Reuters R8 test: 8 imbalanced classes), all in
one run, on the same documents:

- **ours**: the real ``topic_cluster`` stage (``run_recipe``) over Parquet shards holding the MiniLM
  embeddings ``topic_embed`` writes (computed once through the engine, cached under ``build/bench``);
- **MiniLM + k-means**: scikit-learn ``KMeans(k, random_state=0)`` on the same unit vectors;
- **TF-IDF + k-means**: scikit-learn ``TfidfVectorizer(stop_words="english")`` + ``KMeans``;
- **BERTopic** with its defaults (UMAP + HDBSCAN, c-TF-IDF) on the same embeddings (BERTopic's own
  default encoder is all-MiniLM-L6-v2 too); run only where ``bertopic`` is importable (install it in a
  separate benchmark environment, never in the project's).

NMI and ARI against the labels at k = number of classes and k = 4x, as mean ± sample standard deviation
over ``--seeds`` seeds (0, 1, ...) for every k-means method: ours gets the seed as its ``seed`` parameter
(sample, k-means++ seeding), scikit-learn's ``KMeans`` as ``random_state``, so seed-to-seed spread is
measured next to the difference between methods. BERTopic chooses its own number of topics and runs once
(UMAP without a fixed ``random_state``, as its defaults do); it gets two rows: its outliers (topic -1)
counted as one cluster over all documents, and its assigned documents only (the outliers left out of the
score, which favours it: the hardest documents are the ones it leaves out); the share it leaves unassigned
is reported. BERTopic runs first, so that every k-means method is also scored on the documents BERTopic
assigned (the same subset, a like-for-like comparison) and run at the number of topics BERTopic found.
For each class, the keywords of the topic holding most of its documents at seed 0, and whether they name
the class (one of a few cue words for the class among the topic's top 5 keywords).

The stage costs seconds per fit (a real run: processes, shards, markers), so ``--replay-seeds`` (default
60) adds, per k, two rows over many more seeds: the stage's fit replayed in process (the same documents in
the same order, float16 storage, ``fit_centroids`` and ``assign``; the run checks that it gives the
stage's partition on every seed both ran) and scikit-learn's KMeans, with the standard error of the mean:
at these sizes one seed moves NMI by 0.01-0.07, so ten seeds cannot separate methods 0.02 apart.

    PYTHONPATH=$PWD /work/bench-venv/bin/python benchmarks/topics_quality.py [--seeds 5] [--data r8_test]

The MiniLM vectors are cached under ``build/bench/topics`` after the first run.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data" / "topics"
CACHE = REPO / "build" / "bench" / "topics"
SHARDS = 4
CUES = {
    "business": {"business", "company", "firm", "firms", "market", "economy", "shares", "bank", "sales", "growth"},
    "entertainment": {"film", "music", "award", "awards", "star", "band", "album", "show", "films", "actor"},
    "politics": {"labour", "party", "government", "election", "minister", "tory", "blair", "tories", "mr"},
    "sport": {"game", "match", "team", "players", "win", "cup", "england", "club", "rugby", "football", "chelsea"},
    "tech": {"technology", "software", "computer", "mobile", "phone", "internet", "users", "games", "net", "digital"},
    "earn": {"profit", "net", "shr", "earnings", "dividend", "qtr", "revs", "cts", "loss", "mln"},
    "acq": {"acquisition", "acquire", "merger", "stake", "offer", "shares", "company", "buy", "takeover", "unit"},
    "crude": {"oil", "crude", "opec", "barrels", "petroleum", "bpd", "prices"},
    "money-fx": {"currency", "dollar", "exchange", "yen", "bank", "central", "intervention", "fed", "money"},
    "interest": {"rate", "rates", "interest", "prime", "fed", "bank", "cut"},
    "trade": {"trade", "tariffs", "imports", "exports", "deficit", "surplus", "japan", "reagan"},
    "ship": {"ship", "shipping", "port", "vessels", "vessel", "gulf", "tanker", "ships", "strike"},
    "grain": {"grain", "wheat", "corn", "crop", "tonnes", "agriculture", "usda"},
}


def load(name: str) -> tuple[list[str], list[str], list[str]]:
    with gzip.open(DATA / f"{name}.jsonl.gz") as handle:
        rows = [json.loads(line) for line in handle]
    random.Random(0).shuffle(rows)  # the files are grouped by label
    return [r["id"] for r in rows], [r["text"] for r in rows], [r["label"] for r in rows]


def embeddings(name: str, texts: list[str]) -> np.ndarray:
    """MiniLM vectors as topic_embed makes them (the engine, mean pooling, unit length, float16 precision)."""
    path = CACHE / f"{name}-minilm.npy"
    if path.is_file():
        return np.load(path)
    from curation.topics.embed_stage import TopicEmbed

    stage = TopicEmbed(device="cpu")
    started = time.perf_counter()
    vectors = stage.embed(texts)
    print(f"  embedded {len(texts)} docs in {time.perf_counter() - started:.0f}s", file=sys.stderr)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors


def ours(ids: list[str], texts: list[str], vectors: np.ndarray, tag: str, k: int, seed: int) -> tuple[list[int], dict]:
    from curation import parse_recipe, run_recipe

    with tempfile.TemporaryDirectory() as tmp:
        shards = Path(tmp) / "in"
        shards.mkdir()
        for shard in range(SHARDS):
            rows = range(shard, len(ids), SHARDS)
            table = pa.table(
                {
                    "id": [ids[r] for r in rows],
                    "text": [texts[r] for r in rows],
                    "topic_embedding": [vectors[r] for r in rows],
                    "topic_encoder": [tag] * len(rows),
                }
            )
            pq.write_table(table, shards / f"part-{shard}.parquet")
        recipe = parse_recipe(
            f"name: topics-quality\nstages:\n  - stage: topic_cluster\n    params: {{k: {k}, seed: {seed}}}\n"
        )
        report = run_recipe(recipe, input_path=str(shards), output_path=f"{tmp}/out", workers=2, progress="none")
        assert report.ok, report.summary["shards"]["failures"]
        topic_of = {}
        for path in Path(tmp, "out").glob("*.parquet"):
            table = pq.read_table(path, columns=["id", "topic_id"])
            topic_of.update(zip(table.column("id").to_pylist(), table.column("topic_id").to_pylist(), strict=True))
        topics = json.loads(Path(tmp, "out", "topics.json").read_text())
    return [topic_of[i] for i in ids], {t["id"]: t["keywords"] for t in topics["topics"]}


def kmeans(vectors: np.ndarray, k: int, seed: int) -> list[int]:
    from sklearn.cluster import KMeans

    return KMeans(k, random_state=seed).fit_predict(vectors).tolist()


def ours_replayed(vectors: np.ndarray, k: int, seed: int) -> list[int]:
    """The stage's fit and assignment computed in process, on what the stage sees: the documents in its
    order (shard by shard, as ``ours`` writes them and the fit gathers them), float16-stored vectors,
    ``fit_centroids`` on the unit-length sample, ``assign`` for every document. Checked in the run to give
    the stage's partition on every seed both ran, so it can replay many more seeds at a fraction of the cost."""
    from curation.topics.kmeans import assign, fit_centroids, normalize_rows

    order = np.concatenate([np.arange(shard, len(vectors), SHARDS) for shard in range(SHARDS)])
    stored = vectors.astype(np.float16)
    centroids = fit_centroids(normalize_rows(stored[order]), k, seed=seed)
    return assign(stored, centroids).topic.tolist()


def tfidf_kmeans(matrix, k: int, seed: int) -> list[int]:
    from sklearn.cluster import KMeans

    return KMeans(k, random_state=seed).fit_predict(matrix).tolist()


def bertopic(texts: list[str], vectors: np.ndarray) -> tuple[list[int], dict] | None:
    try:
        from bertopic import BERTopic
    except ImportError:
        return None
    model = BERTopic()  # defaults: UMAP(15 neighbours, 5 components) + HDBSCAN(min_cluster_size=10) + c-TF-IDF
    topics, _ = model.fit_transform(texts, vectors.astype(np.float32))
    keywords = {t: [w for w, _ in model.get_topic(t) or []] for t in set(topics)}
    return list(topics), keywords


def scores(labels: list[str], clusters: list[int]) -> tuple[float, float]:
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    return normalized_mutual_info_score(labels, clusters), adjusted_rand_score(labels, clusters)


def dominant(labels: list[str], clusters: list[int], keywords: dict) -> dict[str, tuple[int, list[str], bool]]:
    result = {}
    for label in sorted(set(labels)):
        topic = Counter(c for c, lab in zip(clusters, labels, strict=True) if lab == label).most_common(1)[0][0]
        words = list(keywords.get(topic, []))[:5]
        result[label] = (topic, words, bool(CUES[label] & set(words)))
    return result


METHODS = ("ours: topic_cluster", "MiniLM + KMeans", "TF-IDF + KMeans")


def fit(method: str, ids, texts, vectors, matrix, tag: str, k: int, seed: int) -> tuple[list[int], dict | None]:
    """One fit of one of ``METHODS``: the topic of every document and, for ours, the topics' keywords."""
    if method == "ours: topic_cluster":
        return ours(ids, texts, vectors, tag, k, seed)
    if method == "MiniLM + KMeans":
        return kmeans(vectors, k, seed), None
    return tfidf_kmeans(matrix, k, seed), None


def spread(values: list[float]) -> str:
    """``mean ± sd`` (sample standard deviation; just the value for one seed)."""
    if len(values) == 1:
        return f"{values[0]:.3f}"
    return f"{np.mean(values):.3f} ± {np.std(values, ddof=1):.3f}"


def replay(
    name: str,
    k: int,
    labels: list[str],
    vectors: np.ndarray,
    kept: list[int] | None,
    stage_partitions: list[list[int]],
    seeds: int,
    notes: list[str],
) -> None:
    """Rows for the stage's fit replayed in process and scikit-learn's KMeans over ``seeds`` seeds, after
    checking the replay against every partition the stage gave in this run."""
    replayed = [ours_replayed(vectors, k, seed) for seed in range(seeds)]
    same = sum(scores(stage, again)[0] > 0.999999 for stage, again in zip(stage_partitions, replayed, strict=False))
    notes.append(f"{name} k={k}: the replay gives the stage's partition on {same} of {len(stage_partitions)} seeds")
    rows = {
        f"ours: topic_cluster's fit replayed ({same}/{len(stage_partitions)} seeds equal to the stage)": replayed,
        "MiniLM + KMeans": [kmeans(vectors, k, seed) for seed in range(seeds)],
    }
    for method, partitions in rows.items():
        nmis = [scores(labels, found)[0] for found in partitions]
        aris = [scores(labels, found)[1] for found in partitions]
        on_kept = "-"
        if kept is not None:
            on_kept = spread([scores([labels[i] for i in kept], [found[i] for i in kept])[0] for found in partitions])
        standard_error = np.std(nmis, ddof=1) / np.sqrt(len(nmis))
        print(
            f"| {name} | {method}, {seeds} seeds | {k} | {spread(nmis)} (se {standard_error:.3f}) | {spread(aris)} "
            f"| 0.0% | {on_kept} | |",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=5, help="seeds per k-means method (default 5)")
    parser.add_argument("--data", nargs="+", default=["bbc_news", "r8_test"], choices=["bbc_news", "r8_test"])
    parser.add_argument("--no-bertopic", action="store_true", help="skip BERTopic even where it is installed")
    parser.add_argument(
        "--replay-seeds",
        type=int,
        default=60,
        help="seeds for the in-process replay of the stage's fit next to KMeans (0: none; default 60)",
    )
    args = parser.parse_args()
    from sklearn.feature_extraction.text import TfidfVectorizer

    from curation.topics.encoder import encoder_identity

    tag = encoder_identity("all-MiniLM-L6-v2").tag
    print(f"NMI / ARI: mean ± sd over seeds 0..{args.seeds - 1}; seconds: mean per fit")
    print("| data | method | k | NMI | ARI | unassigned | NMI on BERTopic's assigned documents | seconds |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    notes = []
    for name in args.data:
        ids, texts, labels = load(name)
        classes = len(set(labels))
        vectors = embeddings(name, texts)
        matrix = TfidfVectorizer(stop_words="english").fit_transform(texts)
        kept: list[int] | None = None
        ks = [classes, 4 * classes]
        if not args.no_bertopic:
            started = time.perf_counter()
            found = bertopic(texts, vectors)
            if found is None:
                print(f"| {name} | BERTopic | - | not installed | | | | |")
            else:
                clusters, words = found
                seconds = time.perf_counter() - started
                nmi, ari = scores(labels, clusters)
                kept = [i for i, c in enumerate(clusters) if c != -1]
                outliers = 1 - len(kept) / len(clusters)
                count = len(set(clusters) - {-1})
                kept_nmi, kept_ari = scores([labels[i] for i in kept], [clusters[i] for i in kept])
                print(
                    f"| {name} | BERTopic defaults, outliers as one cluster | {count} found | {nmi:.3f} | {ari:.3f} "
                    f"| {100 * outliers:.1f}% | {kept_nmi:.3f} (ARI {kept_ari:.3f}) | {seconds:.1f} |",
                    flush=True,
                )
                for label, (topic, top, named) in dominant(labels, clusters, words).items():
                    notes.append(f"{name} BERTopic: {label} -> topic {topic} {top} {'names it' if named else 'NO'}")
                if count not in ks:
                    ks.append(count)  # the k-means methods at the number of topics BERTopic found
        for k in ks:
            stage_partitions: list[list[int]] = []
            for method in METHODS:
                nmis, aris, kept_nmis, seconds = [], [], [], []
                for seed in range(args.seeds):
                    started = time.perf_counter()
                    found, words = fit(method, ids, texts, vectors, matrix, tag, k, seed)
                    if method == METHODS[0]:
                        stage_partitions.append(found)
                    seconds.append(time.perf_counter() - started)
                    nmi, ari = scores(labels, found)
                    nmis.append(nmi)
                    aris.append(ari)
                    if kept is not None:
                        kept_nmis.append(scores([labels[i] for i in kept], [found[i] for i in kept])[0])
                    if words is not None and seed == 0 and k in (classes, 4 * classes):
                        for label, (topic, top, named) in dominant(labels, found, words).items():
                            notes.append(
                                f"{name} k={k} ours: {label} -> topic {topic} {top} {'names it' if named else 'NO'}"
                            )
                on_kept = spread(kept_nmis) if kept_nmis else "-"
                print(
                    f"| {name} | {method} | {k} | {spread(nmis)} | {spread(aris)} | 0.0% | {on_kept} "
                    f"| {np.mean(seconds):.1f} |",
                    flush=True,
                )
                print(f"  per seed NMI {[round(v, 3) for v in nmis]}", file=sys.stderr, flush=True)
            if args.replay_seeds:
                replay(name, k, labels, vectors, kept, stage_partitions, args.replay_seeds, notes)
    print()
    for note in notes:
        print("-", note)


if __name__ == "__main__":
    main()
