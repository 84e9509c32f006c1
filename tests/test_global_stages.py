"""Recipes with global stages run in phases: collect per shard, global waves, apply per shard; resumable."""

from __future__ import annotations

from pathlib import Path

import pytest

from curation import parse_recipe, run_recipe
from curation.executors.plan import split_into_segments
from curation.executors.runner import RunConfigurationError
from tests.helpers import docs, read_output_rows, write_jsonl
from tests.stages import TextHashDedup

SHARDS = 4


def make_input(root: Path) -> dict[str, str]:
    """4 shards of 20 documents; every 5th document repeats the text of a document in shard 0."""
    originals = docs(20, prefix="s0-", seed=100)
    texts = {}
    for shard in range(SHARDS):
        records = docs(20, prefix=f"s{shard}-", seed=shard) if shard else originals
        if shard:
            for i in range(0, 20, 5):
                records[i]["text"] = originals[i]["text"]
        write_jsonl(root / f"part-{shard}.jsonl", records)
        texts.update({r["id"]: r["text"] for r in records})
    return texts


RECIPE = """
name: phases
stages:
  - GopherRepetitionFilter
  - stage: tests.stages:TextHashDedup
    label: dedup
    params: {partitions: 3}
  - stage: tests.stages:SleepPerDocument
    params: {seconds: 0}
"""


def test_segments_split_at_global_stages():
    segments = split_into_segments([False, False, True, False, True, False])
    assert [(s.apply_global, s.plain, s.collect_global, s.last) for s in segments] == [
        (None, (0, 1), 2, False),
        (2, (3,), 4, False),
        (4, (5,), None, True),
    ]
    assert len(split_into_segments([False, False])) == 1


@pytest.mark.parametrize("workers", [1, 2])
def test_global_stage_removes_cross_shard_duplicates_and_counts_reconcile(tmp_path, workers):
    texts = make_input(tmp_path / "in")
    report = run_recipe(
        parse_recipe(RECIPE),
        input_path=str(tmp_path / "in"),
        output_path=str(tmp_path / "out"),
        workers=workers,
        progress="none",
    )
    assert report.ok, report.summary["shards"]["failures"]
    rows = read_output_rows(tmp_path / "out")
    kept_ids = sorted(r["id"] for r in rows)
    assert len(kept_ids) == SHARDS * 20 - (SHARDS - 1) * 4
    assert all(not i.startswith(("s1-0", "s2-5")) or i in {"s1-0", "s2-5"} for i in kept_ids)
    assert len({texts[i] for i in kept_ids}) == len(kept_ids)

    totals = report.summary["totals"]
    assert totals["reconciled"] and totals["records_in"] == SHARDS * 20
    names = [stage["name"] for stage in totals["stages"]]
    assert names == ["read", "GopherRepetitionFilter", "dedup (collect)", "dedup", "SleepPerDocument", "write"]
    dedup_row = totals["stages"][3]
    assert dedup_row["dropped"] == {"duplicate_text": 12}
    assert report.summary["global_stages"]["dedup"]["tasks"] == 4
    assert not (tmp_path / "out" / "_work" / "segments").exists(), "intermediate shards are removed after success"
    assert sorted(p.name for p in (tmp_path / "out").glob("*.parquet")) == [f"part-{i}.parquet" for i in range(4)]


def test_failed_global_task_stops_the_run_and_a_rerun_resumes(tmp_path):
    make_input(tmp_path / "in")
    flag = tmp_path / "failed.flag"
    recipe = parse_recipe(
        RECIPE.replace("{partitions: 3}", f"{{partitions: 3, fail_task: merge, flag_file: '{flag}'}}")
    )
    kwargs = dict(input_path=str(tmp_path / "in"), output_path=str(tmp_path / "out"), workers=2, progress="none")
    first = run_recipe(recipe, **kwargs)
    assert first.exit_code == 1 and flag.exists()
    assert "injected failure in merge" in first.summary["shards"]["failures"][0]["error"]
    assert not list((tmp_path / "out").glob("*.parquet")), "no output before the global phase has finished"
    segment_markers = list((tmp_path / "out" / "_work" / "segments" / "0" / "_markers").glob("*.done.json"))
    assert len(segment_markers) == SHARDS
    partition_markers = sorted(p.name for p in (tmp_path / "out" / "_work" / "tasks").rglob("*.done"))
    assert partition_markers == ["partition-0.done", "partition-1.done", "partition-2.done"]

    second = run_recipe(recipe, **kwargs)
    assert second.ok
    rerun_jobs = [o.job.label for o in second.outcomes]
    assert "stage 1: merge" in rerun_jobs
    assert not any(label.startswith("stage 1: partition") for label in rerun_jobs), "finished tasks are not redone"
    assert len([o for o in second.outcomes if getattr(o.job, "segment", None) == 0]) == 0
    reference = run_recipe(
        parse_recipe(RECIPE),
        input_path=str(tmp_path / "in"),
        output_path=str(tmp_path / "ref"),
        workers=1,
        progress="none",
    )
    assert sorted(r["id"] for r in read_output_rows(tmp_path / "out")) == sorted(
        r["id"] for r in read_output_rows(tmp_path / "ref")
    )
    assert second.summary["totals"] == reference.summary["totals"] | {
        "worker_seconds": second.summary["totals"]["worker_seconds"],
        "stages": second.summary["totals"]["stages"],
    }


def test_global_results_are_not_reused_for_a_different_corpus(tmp_path):
    make_input(tmp_path / "in")
    flag = tmp_path / "f"
    recipe = parse_recipe(
        RECIPE.replace("{partitions: 3}", f"{{partitions: 3, fail_task: merge, flag_file: '{flag}'}}")
    )
    kwargs = dict(input_path=str(tmp_path / "in"), output_path=str(tmp_path / "out"), workers=1, progress="none")
    assert run_recipe(recipe, **kwargs).exit_code == 1
    write_jsonl(tmp_path / "in" / "part-9.jsonl", docs(3, prefix="late"))
    with pytest.raises(RunConfigurationError, match="differ"):
        run_recipe(recipe, **kwargs)
    assert run_recipe(recipe, force=True, **kwargs).ok


def test_global_stage_refuses_to_run_in_a_plain_pipeline(tmp_path):
    with pytest.raises(TypeError, match="needs the whole corpus"):
        list(TextHashDedup().run(iter([])))
