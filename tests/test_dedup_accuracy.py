"""Near-duplicate accuracy on real, human-graded text reuse (Clough & Stevenson's corpus in ../shared/data)."""

from __future__ import annotations

import csv

import numpy as np
from datatrove.data import Document

from curation.dedup.inprocess import run_phases
from curation.dedup.minhash_stage import MinHashDedup
from curation.dedup.shingles import jaccard
from curation.dedup.signatures import MinHasher


def load_neardup(root):
    rows = list(csv.DictReader((root / "file_information.csv").open()))
    texts = {r["File"]: (root / r["File"]).read_text(encoding="utf-8", errors="replace") for r in rows}
    sources = {r["Task"]: texts[r["File"]] for r in rows if r["Category"] == "orig"}
    answers = [(r["File"], r["Task"], r["Category"], texts[r["File"]]) for r in rows if r["Category"] != "orig"]
    return sources, answers


def test_similarity_ranks_cut_light_heavy_non(shared_data):
    sources, answers = load_neardup(shared_data / "neardup")
    hasher = MinHasher()
    exact: dict[str, list[float]] = {}
    estimated: dict[str, list[float]] = {}
    for _, task, category, text in answers:
        exact.setdefault(category, []).append(jaccard(text, sources[task]))
        signatures, _ = hasher.signatures([text, sources[task]])
        estimated.setdefault(category, []).append(float((signatures[0] == signatures[1]).mean()))
    order = ["cut", "light", "heavy", "non"]
    for means in ({c: np.mean(exact[c]) for c in order}, {c: np.mean(estimated[c]) for c in order}):
        print({c: round(float(v), 3) for c, v in means.items()})
        assert means["cut"] > means["light"] > means["heavy"] > means["non"]


def test_precision_and_recall_at_the_default_threshold(shared_data, tmp_path):
    """Each task's answers are deduplicated together with its source; an answer is predicted a near duplicate of
    the source when it lands in the source's cluster. `cut` answers are the positives."""
    sources, answers = load_neardup(shared_data / "neardup")
    shards = {
        f"task-{task}": [Document(text, f"source-{task}", {})]
        + [Document(a_text, name, {}) for name, a_task, _, a_text in answers if a_task == task]
        for task, text in sources.items()
    }
    result = run_phases(MinHashDedup(keep="first", action="annotate"), shards, tmp_path)
    predicted = set()
    for documents in result.values():
        source_cluster = documents[0].metadata.get("minhash_dedup_cluster")
        predicted |= {
            d.id for d in documents[1:] if source_cluster and d.metadata.get("minhash_dedup_cluster") == source_cluster
        }
    positives = {name for name, _, category, _ in answers if category == "cut"}
    categories = {name: category for name, _, category, _ in answers}
    precision = len(predicted & positives) / len(predicted)
    recall = len(predicted & positives) / len(positives)
    print(
        f"neardup at threshold 0.7: predicted {sorted(categories[n] for n in predicted)}, "
        f"precision {precision:.2f}, recall {recall:.2f}"
    )
    # `cut` answers copy a passage of a much longer article: their Jaccard to it is mostly 0.1-0.5, below any
    # near-duplicate threshold, so recall here is low by construction (see docs/dedup.md). What the stage
    # predicts is what the threshold promises: every answer found is truly similar to its source (one is
    # graded `heavy` but has Jaccard 0.70), and every answer above 0.8 is found.
    similarity = {name: jaccard(text, sources[task]) for name, task, _, text in answers}
    assert all(similarity[name] >= 0.6 for name in predicted)
    assert {name for name, value in similarity.items() if value >= 0.8} <= predicted
    assert recall >= 2 / 19 and precision >= 0.5
