"""The persistent dedup index: published only after the output is committed, one run at a time, atomic manifest.

Crashes are real: a run in its own process SIGKILLs itself at a chosen point (``tests.stages``), then runs
resume or start elsewhere. Concurrent runs and publishers are real processes too.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from curation import parse_recipe, run_recipe
from curation.dedup import storage
from curation.dedup.index import LOCK, MANIFEST, DedupIndex, IndexLockedError
from tests.helpers import docs, read_output_rows, write_jsonl
from tests.test_dedup_phases import near_copy

REPO_ROOT = Path(__file__).resolve().parents[1]


def make_crawls(root: Path) -> tuple[set[str], set[str]]:
    """crawl1: 2 shards, 24 documents and one near copy of its own; crawl2: 8 new documents and 3 copies of
    crawl1's. Returns the ids each crawl keeps when deduplicated on its own."""
    first = docs(24, prefix="old", words=200, seed=21)
    write_jsonl(root / "crawl1" / "part-0.jsonl", first[:12])
    own_copy = {"id": "old4-copy", "text": near_copy(first[4]["text"])}
    write_jsonl(root / "crawl1" / "part-1.jsonl", [*first[12:], own_copy])
    fresh = docs(8, prefix="new", words=200, seed=22)
    again = [
        {"id": "again-2", "text": near_copy(first[2]["text"], every=50)},
        {"id": "again-15", "text": near_copy(first[15]["text"], every=50)},
        {"id": "again-20", "text": first[20]["text"]},
    ]
    write_jsonl(root / "crawl2" / "part-0.jsonl", [*fresh, *again])
    return {d["id"] for d in first}, {d["id"] for d in fresh} | {d["id"] for d in again}


def recipe(index: Path, flag: Path, kill_task: str = "none", extra: str = "") -> str:
    return f"""
name: indexed
stages:
  - stage: tests.stages:MinHashDedupKilledAt
    label: minhash_dedup
    params: {{kill_task: "{kill_task}", flag_file: "{flag}", index_path: "{index}"}}
{extra}
output: {{format: jsonl}}
"""


def curate(tmp_path: Path, recipe_text: str, source: Path, output: Path) -> subprocess.CompletedProcess:
    """``curate run`` in its own process, one worker (global tasks then run in that process)."""
    recipe_file = tmp_path / f"recipe-{output.name}.yaml"
    recipe_file.write_text(recipe_text)
    command = [sys.executable, "-m", "curation", "run", str(recipe_file), "-i", str(source), "-o", str(output)]
    return subprocess.run(
        [*command, "-w", "1", "-q"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=600, check=False
    )


def run_here(recipe_text: str, source: Path, output: Path, **kwargs):
    return run_recipe(parse_recipe(recipe_text), input_path=str(source), output_path=str(output), workers=1, **kwargs)


def dropped(report) -> dict[str, int]:
    return next(row for row in report.summary["totals"]["stages"] if row["name"] == "minhash_dedup")["dropped"]


def generations(index: Path) -> list[dict]:
    if not (index / MANIFEST).exists():
        return []
    return json.loads((index / MANIFEST).read_text())["generations"]


@pytest.mark.parametrize("kill_task", ["index-copy-part-1", "index-commit"])
def test_crash_between_output_commit_and_publish_then_rerun_publishes(tmp_path, kill_task):
    first_ids, second_ids = make_crawls(tmp_path)
    index, flag = tmp_path / "index", tmp_path / "killed.flag"
    crashed = curate(tmp_path, recipe(index, flag, kill_task), tmp_path / "crawl1", tmp_path / "out1")
    assert crashed.returncode == -9 and flag.exists(), crashed.stderr[-2000:]
    assert sorted(p.name for p in (tmp_path / "out1" / "_markers").glob("*.done.json")) == [
        "part-0.done.json",
        "part-1.done.json",
    ], "the output was committed before the crash"
    assert generations(index) == [], "nothing is published before the publish step ends"
    assert "out1" in json.loads((index / LOCK).read_text())["owner"], "the crashed run still holds the index"

    # the same recipe resumed (the flag file keeps the fault from firing twice)
    report = run_here(recipe(index, flag, kill_task), tmp_path / "crawl1", tmp_path / "out1", progress="none")
    assert report.ok and report.summary["shards"]["skipped_already_complete"] == 2
    assert {row["id"] for row in read_output_rows(tmp_path / "out1")} == first_ids
    [generation] = generations(index)
    assert generation["documents"] == len(first_ids) and "out1" in generation["run"]
    assert (index / generation["path"] / "docs" / "part-1.parquet").exists()
    assert not (index / LOCK).exists(), "publishing gives the lock back"

    report = run_here(recipe(index, flag), tmp_path / "crawl2", tmp_path / "out2", progress="none")
    assert report.ok
    assert dropped(report) == {"near_duplicate_of_index": 3}
    assert {row["id"] for row in read_output_rows(tmp_path / "out2")} == {i for i in second_ids if "again" not in i}
    assert len(generations(index)) == 2


def test_crash_before_publish_then_a_run_elsewhere_finds_nothing_seen(tmp_path):
    first_ids, _ = make_crawls(tmp_path)
    index, flag = tmp_path / "index", tmp_path / "killed.flag"
    crashed = curate(tmp_path, recipe(index, flag, "index-commit"), tmp_path / "crawl1", tmp_path / "out1")
    assert crashed.returncode == -9

    # the same crawl into another folder: the crashed run's documents were never published, so none is "seen"
    report = run_here(recipe(index, flag), tmp_path / "crawl1", tmp_path / "out2", progress="none")
    assert report.ok
    assert {row["id"] for row in read_output_rows(tmp_path / "out2")} == first_ids
    assert dropped(report) == {"near_duplicate": 1}
    assert [g["run"] for g in generations(index)] == [report.summary["global_stages"]["minhash_dedup"]["workdir"]]

    # the first run, resumed now, would repeat out2's documents: it is told so and publishes nothing
    report = run_here(recipe(index, flag, "index-commit"), tmp_path / "crawl1", tmp_path / "out1", progress="none")
    assert report.exit_code == 1
    assert "gained generation" in report.summary["shards"]["failures"][0]["error"]
    assert len(generations(index)) == 1


def test_crash_before_output_commit_leaves_the_index_untouched(tmp_path):
    first_ids, _ = make_crawls(tmp_path)
    index, flag = tmp_path / "index", tmp_path / "killed.flag"
    kill = f"""  - stage: tests.stages:KillWorkerOnce
    params: {{doc_id: old20, flag_file: "{flag}"}}"""
    crashed = curate(
        tmp_path, recipe(index, tmp_path / "unused.flag", extra=kill), tmp_path / "crawl1", tmp_path / "o1"
    )
    assert crashed.returncode == -9 and flag.exists()
    assert not (tmp_path / "o1" / "_markers" / "part-1.done.json").exists(), "killed during the output pass"
    assert generations(index) == []

    report = run_here(recipe(index, tmp_path / "unused.flag"), tmp_path / "crawl1", tmp_path / "o2", progress="none")
    assert report.ok and dropped(report) == {"near_duplicate": 1}
    assert {row["id"] for row in read_output_rows(tmp_path / "o2")} == first_ids


def test_concurrent_runs_on_one_index_second_is_refused_naming_the_first(tmp_path):
    first_ids, second_ids = make_crawls(tmp_path)
    index, flag, release = tmp_path / "index", tmp_path / "unused.flag", tmp_path / "release"
    hold = f"""  - stage: tests.stages:WaitForFile
    params: {{path: "{release}"}}"""
    recipe_file = tmp_path / "first.yaml"
    recipe_file.write_text(recipe(index, flag, extra=hold))
    command = [sys.executable, "-m", "curation", "run", str(recipe_file), "-i", str(tmp_path / "crawl1")]
    first = subprocess.Popen(
        [*command, "-o", str(tmp_path / "out1"), "-w", "1", "-q"],
        cwd=REPO_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 300
        while not (index / LOCK).exists() and first.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert (index / LOCK).exists(), "the first run took the index"
        second = curate(tmp_path, recipe(index, flag), tmp_path / "crawl2", tmp_path / "out2")
        assert second.returncode == 2, second.stderr[-2000:]
        assert "is in use by" in second.stderr and f"process {first.pid} " in second.stderr
        assert str(tmp_path / "out1") in second.stderr
    finally:
        release.touch()
        _, errors = first.communicate(timeout=300)
    assert first.returncode == 0, errors[-2000:]
    assert [g["documents"] for g in generations(index)] == [len(first_ids)]

    again = curate(tmp_path, recipe(index, flag), tmp_path / "crawl2", tmp_path / "out2")
    assert again.returncode == 0, again.stderr[-2000:]
    assert {row["id"] for row in read_output_rows(tmp_path / "out2")} == {i for i in second_ids if "again" not in i}
    assert len(generations(index)) == 2


# ---- the lock and the manifest ------------------------------------------------------------------------------


def _publish_when_free(index_path: str, name: str) -> int:
    """Wait for the lock, then publish generation ``name`` against everything published so far."""
    index = DedupIndex(index_path)
    waits = 0
    while True:
        try:
            index.acquire(name)
            break
        except IndexLockedError:
            waits += 1
            time.sleep(0.005)
    seen = [entry["name"] for entry in index.generations()]
    entry = {"name": name, "path": f"generations/{name}/a/", "stems": [name], "documents": 1}
    index.publish(name, entry, "TestStage", {"k": 1}, seen)
    return waits


def _read_manifest_until(index_path: str, count: int) -> int:
    """Read the manifest in a loop until it lists ``count`` generations; return how many reads failed."""
    folder = DedupIndex(index_path).folder
    failures = 0
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if folder.exists(MANIFEST) and len(storage.load_json(folder, MANIFEST)["generations"]) >= count:
                return failures
        except (ValueError, KeyError, FileNotFoundError):
            failures += 1
    return failures + 1_000_000


def test_concurrent_publishers_lose_no_generation_and_readers_never_see_a_partial_manifest(tmp_path):
    index = str(tmp_path / "index")
    names = [f"g{i}" for i in range(8)]
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=4, mp_context=context) as pool:
        reader = pool.submit(_read_manifest_until, index, len(names))
        waits = list(pool.map(_publish_when_free, [index] * len(names), names))
        assert reader.result() == 0, "a reader saw a missing or partial manifest"
    assert sorted(g["name"] for g in generations(Path(index))) == names
    assert not (Path(index) / LOCK).exists()
    assert sum(waits) >= 0


def test_a_crash_while_writing_the_manifest_leaves_the_old_one(tmp_path, monkeypatch):
    index = DedupIndex(str(tmp_path / "index"))
    first = {"name": "g1", "path": "generations/g1/a/", "stems": ["s"], "documents": 3}
    index.publish("run-1", first, "TestStage", {"k": 1}, [])
    before = (tmp_path / "index" / MANIFEST).read_bytes()

    def killed_before_rename(source, target):
        raise KeyboardInterrupt("killed before the rename")

    monkeypatch.setattr(storage.os, "replace", killed_before_rename)
    second = {"name": "g2", "path": "generations/g2/a/", "stems": ["s"], "documents": 4}
    with pytest.raises(KeyboardInterrupt):
        index.publish("run-2", second, "TestStage", {"k": 1}, ["g1"])
    monkeypatch.undo()
    assert (tmp_path / "index" / MANIFEST).read_bytes() == before, "the old manifest, whole"
    assert [g["name"] for g in index.generations()] == ["g1"]
    index.publish("run-2", second, "TestStage", {"k": 1}, ["g1"])  # the rerun takes its own lock back
    assert [g["name"] for g in index.generations()] == ["g1", "g2"]


def test_lock_is_refused_to_a_live_holder_and_taken_from_a_dead_one(tmp_path):
    index = DedupIndex(str(tmp_path / "index"))
    index.acquire("run-a")
    index.acquire("run-a")  # the same run (a worker, or its rerun) may take it again
    with pytest.raises(IndexLockedError, match=r"in use by the run with work folder run-a \(process \d+"):
        index.acquire("run-b")

    held = json.loads((tmp_path / "index" / LOCK).read_text())
    (tmp_path / "index" / LOCK).write_text(json.dumps({**held, "host": "another-machine"}))
    with pytest.raises(IndexLockedError, match="on another-machine"):
        index.acquire("run-b")

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    (tmp_path / "index" / LOCK).write_text(json.dumps({**held, "pid": gone.pid, "process_start": None}))
    index.acquire("run-b")
    assert index.lock_holder()["owner"] == "run-b"

    # a pid now used by another process: its start time gives the old holder away
    (tmp_path / "index" / LOCK).write_text(json.dumps({**held, "pid": os.getpid(), "process_start": "1"}))
    index.acquire("run-c")
    assert index.lock_holder()["owner"] == "run-c"
    index.release("run-b")
    assert index.lock_holder()["owner"] == "run-c", "only the holder releases"
    index.release("run-c")
    assert index.lock_holder() is None
