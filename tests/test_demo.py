"""The demo recipe on the sample corpus does the right things, checked against the ground truth."""

from __future__ import annotations

from pathlib import Path

from curation import load_recipe, run_recipe
from curation.cli import main as curate
from curation.report.ground_truth import evaluate_against_truth
from curation.sample import generate_sample

REPO_ROOT = Path(__file__).resolve().parents[1]


def test_demo_recipe_removes_junk_and_duplicates_keeps_prose_and_quarantines_malformed(tmp_path):
    manifest = generate_sample(tmp_path / "sample", shards=4, docs_per_shard=80, seed=3)
    report = run_recipe(
        load_recipe(REPO_ROOT / "pipelines" / "demo.yaml"),
        input_path=str(manifest.shards_dir),
        output_path=str(tmp_path / "out"),
        workers=2,
        progress="none",
    )
    assert report.ok and report.summary["totals"]["reconciled"]
    evaluation = evaluate_against_truth(tmp_path / "out", manifest.truth_path).to_dict()
    assert evaluation["junk_removed_rate"] >= 0.9
    assert evaluation["good_kept_rate"] >= 0.97
    assert all(rate >= 0.9 for rate in evaluation["good_kept_by_language"].values())
    assert evaluation["malformed_quarantined_rate"] == 1.0
    assert evaluation["duplicates_removed_rate"] >= 0.95
    assert evaluation["language_accuracy"] >= 0.95
    assert evaluation["unexpected_ids"] == 0


def test_evaluate_command_prints_the_ground_truth_check(tmp_path, capsys):
    manifest = generate_sample(tmp_path / "sample", shards=2, docs_per_shard=40, seed=1)
    recipe = REPO_ROOT / "pipelines" / "passthrough.yaml"
    assert curate(["run", str(recipe), "-i", str(manifest.shards_dir), "-o", str(tmp_path / "out"), "-q"]) == 0
    assert curate(["evaluate", str(tmp_path / "out"), "--truth", str(manifest.truth_path)]) == 0
    printed = capsys.readouterr().out
    assert "junk removed" in printed and "0.0%" in printed  # pass-through removes nothing
    assert "malformed records quarantined       100.0%" in printed
