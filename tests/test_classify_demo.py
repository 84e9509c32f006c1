"""The classifier demo end to end: models trained in the demo, the demo recipe, routed folders, ground truth."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml

from curation import parse_recipe, run_recipe
from curation.classify.demo import build_demo_models
from curation.sample import generate_sample, load_truth
from tests.helpers import read_output_rows

REPO = Path(__file__).resolve().parents[1]
DOMAINS = {"science", "health", "finance", "sports", "technology", "cooking"}


@pytest.mark.slow
def test_demo_scores_routes_and_agrees_with_the_ground_truth(tmp_path):
    build_demo_models(tmp_path / "models", sample_docs=800)
    sample = generate_sample(tmp_path / "sample", shards=2, docs_per_shard=200, seed=0)
    recipe = yaml.safe_load((REPO / "pipelines/demo_classify.yaml").read_text(encoding="utf-8"))
    for stage in recipe["stages"]:
        model = stage.get("params", {}).get("model")
        if model:
            stage["params"]["model"] = str(tmp_path / "models" / Path(model).name)
    report = run_recipe(
        parse_recipe(yaml.safe_dump(recipe), "demo_classify.yaml"),
        input_path=str(sample.shards_dir),
        output_path=str(tmp_path / "out"),
        workers=1,
        progress="none",
    )
    assert report.summary["totals"]["reconciled"]
    totals = report.summary["routes"]
    assert set(totals) == DOMAINS | {"other"}
    assert all(entry["tokens"] > 0 for entry in totals.values())

    truth = {row["id"]: row for row in load_truth(sample.truth_path) if row["id"]}
    outcomes: Counter[str] = Counter()
    for row in read_output_rows(tmp_path / "out"):
        expected = truth[row["id"]]
        assert 0.0 <= row["quality_score"] <= 1.0 and row["language"]
        if expected["quality"] == "good" and expected["domain"]:
            outcomes["good_right" if row["domain"] == expected["domain"] else "good_wrong"] += 1
        elif expected["quality"] in ("boilerplate", "spam", "short"):
            outcomes["junk_other" if row["domain"] == "other" else "junk_routed"] += 1
    assert outcomes["good_right"] / (outcomes["good_right"] + outcomes["good_wrong"]) > 0.95
    assert outcomes["junk_other"] / (outcomes["junk_other"] + outcomes["junk_routed"]) > 0.8
