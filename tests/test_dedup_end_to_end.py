"""Dedup recipes through ``run_recipe``: the sample corpus against its ground truth, and the persistent index."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from curation import load_recipe, parse_recipe, run_recipe
from curation.dedup.index import IndexMismatchError
from curation.report.ground_truth import evaluate_against_truth
from curation.sample import generate_sample
from tests.helpers import docs, read_output_rows, write_jsonl
from tests.test_dedup_phases import near_copy

REPO_ROOT = Path(__file__).resolve().parents[1]


def removed_by(output: Path, stage_folder_suffix: str) -> dict[str, dict]:
    records = {}
    for path in (output / "_work" / "stages").glob(f"*{stage_folder_suffix}/removed/*.jsonl"):
        for line in path.read_text().splitlines():
            record = json.loads(line)
            records[record["id"]] = record
    return records


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("sample")
    generate_sample(root, shards=6, docs_per_shard=250, seed=4)
    return root


def test_dedup_recipe_on_the_sample_corpus_meets_precision_and_recall(sample, tmp_path):
    report = run_recipe(
        load_recipe(REPO_ROOT / "pipelines" / "dedup.yaml"),
        input_path=str(sample / "shards"),
        output_path=str(tmp_path / "out"),
        workers=2,
        progress="none",
    )
    assert report.ok
    assert report.summary["totals"]["reconciled"]
    truth = {r["id"]: r for r in map(json.loads, (sample / "truth.jsonl").read_text().splitlines())}
    near = {i for i, r in truth.items() if r["near_dup_of"]}
    exact = {i for i, r in truth.items() if r["exact_dup_of"]}
    removed_exact = removed_by(tmp_path / "out", "exactdedup")
    removed_near = removed_by(tmp_path / "out", "minhashdedup")

    assert set(removed_exact) == exact, "every exact duplicate, and nothing else, goes in the exact stage"
    recall = len(near & set(removed_near)) / len(near)
    precision = len(set(removed_near) & (near | exact)) / len(removed_near)
    print(f"near duplicates: {len(near)}, removed {len(removed_near)}, precision {precision:.3f}, recall {recall:.3f}")
    assert precision >= 0.95
    assert recall >= 0.9
    for doc_id in near & set(removed_near):
        kept = removed_near[doc_id]["duplicate_of"]
        assert kept == truth[doc_id]["near_dup_of"] or truth[kept]["near_dup_of"] == truth[doc_id]["near_dup_of"]

    evaluation = evaluate_against_truth(tmp_path / "out", sample / "truth.jsonl").to_dict()
    assert evaluation["good_kept_rate"] == 1.0, "no good, unique document is lost"
    assert evaluation["duplicates_removed_rate"] >= 0.95
    stages = {row["name"]: row for row in report.summary["totals"]["stages"]}
    assert stages["exact_dedup"]["dropped"] == {"exact_duplicate": len(exact)}
    assert set(stages["minhash_dedup"]["dropped"]) == {"near_duplicate"}


def _index_recipe(index: Path, extra: str = "") -> str:
    return f"""
name: incremental
stages:
  - stage: minhash_dedup
    label: minhash_dedup
    params: {{index_path: "{index}"{extra}}}
output: {{format: jsonl}}
"""


def test_persistent_index_dedups_a_later_crawl_without_the_old_shards(tmp_path):
    index = tmp_path / "index"
    first = docs(40, prefix="old", words=200, seed=11)
    first_dup = dict(first[3], id="old-dup", text=near_copy(first[3]["text"]))
    write_jsonl(tmp_path / "crawl1" / "part-0.jsonl", [*first[:20], first_dup])
    write_jsonl(tmp_path / "crawl1" / "part-1.jsonl", first[20:])
    report = run_recipe(
        parse_recipe(_index_recipe(index)),
        input_path=str(tmp_path / "crawl1"),
        output_path=str(tmp_path / "out1"),
        workers=1,
        progress="none",
    )
    assert report.ok
    assert len(read_output_rows(tmp_path / "out1")) == 40
    manifest = json.loads((index / "index.json").read_text())
    assert [len(g["stems"]) for g in manifest["generations"]] == [2]
    # the old crawl and its run are gone: only the index remains
    shutil.rmtree(tmp_path / "crawl1")
    shutil.rmtree(tmp_path / "out1")

    fresh = docs(10, prefix="new", words=200, seed=12)
    second = [
        *fresh,
        dict(fresh[0], id="new0-copy", text=near_copy(fresh[0]["text"])),
        {"id": "again-5", "text": near_copy(first[5]["text"], every=50)},
        {"id": "again-25", "text": first[25]["text"]},
    ]
    write_jsonl(tmp_path / "crawl2" / "part-0.jsonl", second)
    report = run_recipe(
        parse_recipe(_index_recipe(index)),
        input_path=str(tmp_path / "crawl2"),
        output_path=str(tmp_path / "out2"),
        workers=1,
        progress="none",
    )
    assert report.ok
    kept = {row["id"] for row in read_output_rows(tmp_path / "out2")}
    assert kept == {f"new{i}" for i in range(10)}
    removed = removed_by(tmp_path / "out2", "minhashdedup")
    assert removed["again-5"]["duplicate_of"] == "old5"
    assert removed["again-5"]["reason"] == "near_duplicate_of_index"
    assert removed["again-25"]["duplicate_of"] == "old25"
    assert removed["new0-copy"] == {**removed["new0-copy"], "reason": "near_duplicate", "duplicate_of": "new0"}
    stage_row = next(r for r in report.summary["totals"]["stages"] if r["name"] == "minhash_dedup")
    assert stage_row["dropped"] == {"near_duplicate_of_index": 2, "near_duplicate": 1}
    assert len(json.loads((index / "index.json").read_text())["generations"]) == 2

    # rerunning the same run does not find its own documents in the index it just added them to
    report = run_recipe(
        parse_recipe(_index_recipe(index)),
        input_path=str(tmp_path / "crawl2"),
        output_path=str(tmp_path / "out2"),
        workers=1,
        progress="none",
        force=True,
    )
    assert report.ok
    assert {row["id"] for row in read_output_rows(tmp_path / "out2")} == kept


def test_index_built_with_other_parameters_is_refused(tmp_path):
    write_jsonl(tmp_path / "in" / "part-0.jsonl", docs(5, words=50))
    index = tmp_path / "index"
    assert run_recipe(
        parse_recipe(_index_recipe(index)),
        input_path=str(tmp_path / "in"),
        output_path=str(tmp_path / "out1"),
        workers=1,
        progress="none",
    ).ok
    with pytest.raises(IndexMismatchError, match="use the same parameters, or a new index_path"):
        run_recipe(
            parse_recipe(_index_recipe(index, ", ngram: 3")),
            input_path=str(tmp_path / "in"),
            output_path=str(tmp_path / "out2"),
            workers=1,
            progress="none",
        )


def test_dedup_recipe_validates_and_stages_are_listed():
    from curation.recipe.registry import resolve_stage_class

    recipe = load_recipe(REPO_ROOT / "pipelines" / "dedup.yaml")
    assert [stage.stage for stage in recipe.stages] == ["exact_dedup", "minhash_dedup"]
    assert resolve_stage_class("decontaminate").__name__ == "Decontaminate"
