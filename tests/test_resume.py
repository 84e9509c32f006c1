"""A killed run loses nothing and duplicates nothing; reruns skip completed shards; --force redoes them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from curation import parse_recipe, run_recipe
from curation.executors.local import WorkerStartupError
from tests.helpers import docs, read_output_rows, write_jsonl

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARDS = 8
DOCS_PER_SHARD = 40


def make_input(root: Path) -> Path:
    for shard in range(SHARDS):
        write_jsonl(root / f"part-{shard:02d}.jsonl.gz", docs(DOCS_PER_SHARD, prefix=f"s{shard}-", seed=shard))
    return root


def row_set(out: Path) -> list[tuple]:
    return sorted((r["id"], r["text"]) for r in read_output_rows(out))


def visible_files(out: Path) -> list[Path]:
    return [
        p
        for p in out.rglob("*")
        if p.is_file() and not any(part.startswith(("_", ".")) for part in p.relative_to(out).parts)
    ]


SLOW_RECIPE = """
name: slow
stages:
  - stage: tests.stages:SleepPerDocument
    params: {seconds: 0.01}
  - GopherRepetitionFilter
"""


def test_sigkill_mid_run_then_rerun_equals_uninterrupted_run(tmp_path):
    make_input(tmp_path / "in")
    recipe_file = tmp_path / "slow.yaml"
    recipe_file.write_text(SLOW_RECIPE)
    run_recipe(
        parse_recipe(SLOW_RECIPE),
        input_path=str(tmp_path / "in"),
        output_path=str(tmp_path / "ref"),
        workers=2,
        progress="none",
    )
    reference = row_set(tmp_path / "ref")
    assert len(reference) == SHARDS * DOCS_PER_SHARD

    out = tmp_path / "out"
    command = [
        sys.executable,
        "-m",
        "curation",
        "run",
        str(recipe_file),
        "-i",
        str(tmp_path / "in"),
        "-o",
        str(out),
        "-w",
        "2",
        "--progress",
        "log",
    ]
    process = subprocess.Popen(command, cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list((out / "_markers").glob("*.done.json"))) < 2:
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    time.sleep(1.0)  # workers die with their parent (PR_SET_PDEATHSIG); give the kernel a moment

    done = {p.name.removesuffix(".done.json") for p in (out / "_markers").glob("*.done.json")}
    assert 2 <= len(done) < SHARDS, "the kill should land midway through the run"
    for path in visible_files(out):
        assert path.name.removesuffix(".parquet") in done, f"{path} is visible without a completion marker"
        pq.read_table(path)  # complete and readable
    frozen = {p: p.stat().st_mtime_ns for p in visible_files(out)}
    time.sleep(0.5)
    assert {p: p.stat().st_mtime_ns for p in visible_files(out)} == frozen, "an orphan worker is still writing"

    report = run_recipe(
        parse_recipe(SLOW_RECIPE), input_path=str(tmp_path / "in"), output_path=str(out), workers=2, progress="none"
    )
    assert report.ok
    assert report.summary["shards"]["skipped_already_complete"] == len(done)
    assert report.summary["shards"]["processed_this_run"] == SHARDS - len(done)
    assert row_set(out) == reference
    assert report.summary["totals"]["kept"] == len(reference)
    assert not (out / ".staging").exists()


def test_rerun_after_completion_does_nothing_and_force_redoes(tmp_path):
    make_input(tmp_path / "in")
    recipe = parse_recipe("stages: [GopherRepetitionFilter]\n")
    kwargs = dict(input_path=str(tmp_path / "in"), output_path=str(tmp_path / "out"), workers=2, progress="none")
    first = run_recipe(recipe, **kwargs)
    files = {p: p.stat().st_mtime_ns for p in (tmp_path / "out").rglob("*.parquet")}
    markers = {p: p.read_bytes() for p in (tmp_path / "out" / "_markers").glob("*")}
    time.sleep(0.01)

    second = run_recipe(recipe, **kwargs)
    assert second.summary["shards"]["processed_this_run"] == 0
    assert second.summary["shards"]["skipped_already_complete"] == SHARDS
    assert {p: p.stat().st_mtime_ns for p in (tmp_path / "out").rglob("*.parquet")} == files
    assert {p: p.read_bytes() for p in (tmp_path / "out" / "_markers").glob("*")} == markers
    assert second.summary["totals"] == first.summary["totals"] | {
        "worker_seconds": second.summary["totals"]["worker_seconds"]
    }

    forced = run_recipe(recipe, force=True, **kwargs)
    assert forced.summary["shards"]["processed_this_run"] == SHARDS
    assert row_set(tmp_path / "out") == sorted(set(row_set(tmp_path / "out")))
    assert forced.summary["totals"]["kept"] == first.summary["totals"]["kept"]


def test_killed_worker_is_retried_elsewhere_and_output_is_complete(tmp_path):
    make_input(tmp_path / "in")
    flag = tmp_path / "killed.flag"
    recipe = parse_recipe(
        f"stages:\n  - stage: tests.stages:KillWorkerOnce\n    params: {{doc_id: s3-5, flag_file: '{flag}'}}\n"
    )
    report = run_recipe(
        recipe, input_path=str(tmp_path / "in"), output_path=str(tmp_path / "out"), workers=2, progress="none"
    )
    assert flag.exists(), "the worker kill did happen"
    assert report.ok, report.summary["shards"]["failures"]
    rows = row_set(tmp_path / "out")
    assert len(rows) == SHARDS * DOCS_PER_SHARD == len({r[0] for r in rows})
    retried = [o for o in report.outcomes if o.attempts > 1]
    assert any(o.shard.stem == "part-03" for o in retried)


@pytest.mark.parametrize("workers", [1, 2])
def test_stage_failure_fails_only_that_shard(tmp_path, workers):
    make_input(tmp_path / "in")
    recipe = parse_recipe("stages:\n  - stage: tests.stages:FailOnDocument\n    params: {doc_id: s2-7}\n")
    report = run_recipe(
        recipe, input_path=str(tmp_path / "in"), output_path=str(tmp_path / "out"), workers=workers, progress="none"
    )
    assert report.exit_code == 1
    (failure,) = report.summary["shards"]["failures"]
    assert failure["source"] == "part-02.jsonl.gz" and "cannot handle document s2-7" in failure["error"]
    assert report.summary["shards"]["completed"] == SHARDS - 1
    assert not (tmp_path / "out" / "part-02.parquet").exists()
    assert len(row_set(tmp_path / "out")) == (SHARDS - 1) * DOCS_PER_SHARD


@pytest.mark.parametrize("workers", [1, 2])
def test_stage_that_cannot_be_built_stops_the_run_with_a_clear_error(tmp_path, workers):
    make_input(tmp_path / "in")
    recipe = parse_recipe("stages:\n  - stage: RegexFilter\n    params: {regex_exp: '('}\n")
    with pytest.raises(WorkerStartupError, match="unterminated subpattern"):
        run_recipe(
            recipe, input_path=str(tmp_path / "in"), output_path=str(tmp_path / "out"), workers=workers, progress="none"
        )
    assert visible_files(tmp_path / "out") == []


def test_model_stage_is_built_once_per_worker_process(tmp_path):
    make_input(tmp_path / "in")
    log = tmp_path / "constructions.log"
    recipe = parse_recipe(f"stages:\n  - stage: tests.stages:CountConstructions\n    params: {{log_file: '{log}'}}\n")
    report = run_recipe(
        recipe, input_path=str(tmp_path / "in"), output_path=str(tmp_path / "out"), workers=2, progress="none"
    )
    assert report.ok
    pids = log.read_text().split()
    assert len(pids) == len(set(pids)) <= 2, "one construction per worker process, not one per shard"


@pytest.mark.parametrize("progress", ["log"])
def test_cli_prints_progress_lines_and_summary_when_not_a_terminal(tmp_path, progress):
    make_input(tmp_path / "in")
    recipe_file = tmp_path / "r.yaml"
    recipe_file.write_text("name: cli\nstages: [GopherRepetitionFilter]\n")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "curation",
            "run",
            str(recipe_file),
            "-i",
            str(tmp_path / "in"),
            "-o",
            str(tmp_path / "out"),
            "-w",
            "2",
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        env=os.environ | {"COLUMNS": "160"},
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "[curate] shards 8/8" in result.stderr
    assert "GopherRepetitionFilter" in result.stdout and "reconciled" in result.stdout
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    stage_names = [s["name"] for s in summary["totals"]["stages"]]
    assert stage_names == ["read", "GopherRepetitionFilter", "write"]
    assert all(s["seconds"] >= 0 for s in summary["totals"]["stages"])
