"""The Dask executor: real LocalClusters and real scheduler/worker processes; same output as local."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import dask
import pytest

from curation import parse_recipe, run_recipe
from curation.executors.dask import ClusterLostError
from curation.report.run_record import read_run_record
from curation.sample import generate_sample
from tests.helpers import docs, like_a_terminal_foreground_process, read_output_rows, write_jsonl

REPO_ROOT = Path(__file__).resolve().parents[1]

SAMPLE_RECIPE = """
name: dask-vs-local
stages:
  - stage: language_id
  - stage: gopher_repetition
  - stage: exact_dedup
  - stage: minhash_dedup
  - stage: gopher_quality
"""


def rows_of(out: Path) -> list[tuple]:
    return sorted((r["id"], r["text"]) for r in read_output_rows(out))


def visible_files(out: Path) -> list[Path]:
    return [
        p
        for p in out.rglob("*")
        if p.is_file() and not any(part.startswith(("_", ".")) for part in p.relative_to(out).parts)
    ]


def test_dask_output_equals_local_output_on_the_sample_corpus(tmp_path, capfd):
    manifest = generate_sample(tmp_path / "sample", shards=4, docs_per_shard=60, seed=5)
    recipe = parse_recipe(SAMPLE_RECIPE)
    shards = str(manifest.shards_dir)
    local = run_recipe(recipe, input_path=shards, output_path=str(tmp_path / "local"), workers=2, progress="none")
    distributed = run_recipe(
        recipe, input_path=shards, output_path=str(tmp_path / "dask"), workers=2, executor="dask", progress="none"
    )
    assert local.ok and distributed.ok
    assert "dask dashboard: http" in capfd.readouterr().err
    assert rows_of(tmp_path / "dask") == rows_of(tmp_path / "local")
    assert len(rows_of(tmp_path / "local")) > 100
    for key in ("records_in", "kept", "dropped_by_reason", "quarantined_by_reason", "reconciled"):
        assert distributed.summary["totals"][key] == local.summary["totals"][key], key
    dropped = distributed.summary["totals"]["dropped_by_reason"]
    assert dropped["exact_duplicate"] > 0 and dropped["near_duplicate"] > 0
    assert distributed.summary["executor"]["kind"] == "dask"
    quarantine_local = sorted(p.name for p in (tmp_path / "local" / "_quarantine").iterdir())
    assert quarantine_local == sorted(p.name for p in (tmp_path / "dask" / "_quarantine").iterdir())
    # the report's record (histograms at thresholds, drop examples, composition) is the same for both executors
    local_record = read_run_record(str(tmp_path / "local"))
    dask_record = read_run_record(str(tmp_path / "dask"))
    assert dask_record.observations == local_record.observations
    assert dask_record.observations["shards"] == 4
    assert dask_record.duplicate_clusters == local_record.duplicate_clusters


def test_killed_dask_worker_task_is_retried_and_output_is_complete(tmp_path):
    for shard in range(6):
        write_jsonl(tmp_path / "in" / f"p{shard}.jsonl", docs(30, prefix=f"s{shard}-", seed=shard))
    flag = tmp_path / "killed.flag"
    recipe = parse_recipe(
        f"stages:\n  - stage: tests.stages:KillWorkerOnce\n    params: {{doc_id: s2-10, flag_file: '{flag}'}}\n"
    )
    report = run_recipe(
        recipe,
        input_path=str(tmp_path / "in"),
        output_path=str(tmp_path / "out"),
        workers=2,
        executor="dask",
        progress="none",
    )
    assert flag.exists(), "a worker process was killed mid-task"
    assert report.ok, report.summary["shards"]["failures"]
    rows = rows_of(tmp_path / "out")
    assert len(rows) == 6 * 30 == len({row[0] for row in rows})
    parquet_files = sorted(p.name for p in visible_files(tmp_path / "out") if p.suffix == ".parquet")
    assert parquet_files == sorted(f"p{i}.parquet" for i in range(6))
    assert not (tmp_path / "out" / ".staging").exists()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_port(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError(f"nothing listens on port {port}")


@pytest.mark.slow
def test_lost_scheduler_is_a_clear_error_and_a_rerun_continues(tmp_path):
    for shard in range(8):
        write_jsonl(tmp_path / "in" / f"p{shard}.jsonl", docs(40, prefix=f"s{shard}-", seed=shard))
    recipe = parse_recipe("stages:\n  - stage: tests.stages:SleepPerDocument\n    params: {seconds: 0.02}\n")
    port = _free_port()
    env = os.environ | {"PYTHONPATH": str(REPO_ROOT)}
    scheduler = subprocess.Popen(
        [sys.executable, "-m", "distributed.cli.dask_scheduler", "--port", str(port), "--no-dashboard"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    workers = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "distributed.cli.dask_worker",
            f"tcp://127.0.0.1:{port}",
            "--nworkers",
            "2",
            "--nthreads",
            "1",
            "--no-dashboard",
        ],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    out = tmp_path / "out"
    try:
        _wait_for_port(port)

        def kill_scheduler_after_first_commit() -> None:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and not list((out / "_markers").glob("*.done.json")):
                time.sleep(0.05)
            scheduler.send_signal(signal.SIGKILL)

        threading.Thread(target=kill_scheduler_after_first_commit, daemon=True).start()
        with dask.config.set({"distributed.comm.timeouts.connect": "3s"}), pytest.raises(ClusterLostError) as lost:
            run_recipe(
                recipe,
                input_path=str(tmp_path / "in"),
                output_path=str(out),
                executor="dask",
                scheduler=f"tcp://127.0.0.1:{port}",
                progress="none",
            )
        assert "run the same command again" in str(lost.value)
    finally:
        scheduler.kill()
        workers.send_signal(signal.SIGTERM)
        try:
            workers.wait(timeout=20)
        except subprocess.TimeoutExpired:
            workers.kill()
    committed = list((out / "_markers").glob("*.done.json"))
    assert 1 <= len(committed) < 8
    rerun = run_recipe(recipe, input_path=str(tmp_path / "in"), output_path=str(out), workers=2, progress="none")
    assert rerun.ok and rerun.summary["shards"]["skipped_already_complete"] >= len(committed)
    rows = rows_of(out)
    assert len(rows) == 8 * 40 == len({row[0] for row in rows})


def test_stage_resources_are_requested_only_where_workers_offer_them(tmp_path, capfd):
    from distributed import LocalCluster

    for shard in range(3):
        write_jsonl(tmp_path / "in" / f"p{shard}.jsonl", docs(5, prefix=f"s{shard}-", seed=shard))
    recipe = parse_recipe("stages:\n  - stage: tests.stages:NeedsGpu\n")
    report = run_recipe(
        recipe,
        input_path=str(tmp_path / "in"),
        output_path=str(tmp_path / "cpu"),
        workers=1,
        executor="dask",
        progress="none",
    )
    assert report.ok
    assert "no Dask worker offers ['GPU']" in capfd.readouterr().err

    with LocalCluster(n_workers=2, threads_per_worker=1, resources={"GPU": 1}, dashboard_address=":0") as cluster:
        report = run_recipe(
            recipe,
            input_path=str(tmp_path / "in"),
            output_path=str(tmp_path / "gpu"),
            executor="dask",
            scheduler=cluster.scheduler_address,
            progress="none",
        )
    assert report.ok and len(rows_of(tmp_path / "gpu")) == 15
    assert "no Dask worker offers" not in capfd.readouterr().err


def test_stages_are_built_once_per_dask_worker(tmp_path):
    for shard in range(6):
        write_jsonl(tmp_path / "in" / f"p{shard}.jsonl", docs(5, prefix=f"s{shard}-", seed=shard))
    log = tmp_path / "constructions.log"
    recipe = parse_recipe(f"stages:\n  - stage: tests.stages:CountConstructions\n    params: {{log_file: '{log}'}}\n")
    report = run_recipe(
        recipe,
        input_path=str(tmp_path / "in"),
        output_path=str(tmp_path / "out"),
        workers=2,
        executor="dask",
        progress="none",
    )
    assert report.ok
    pids = log.read_text().split()
    assert len(pids) == len(set(pids)) <= 2, "one construction per worker process, not one per shard"


def test_a_script_without_the_main_guard_gets_one_clear_error_with_dask(tmp_path):
    """Each worker process of the embedded cluster imports the script again; the run says what to add."""
    write_jsonl(tmp_path / "in" / "part-0.jsonl", docs(5))
    (tmp_path / "unguarded.py").write_text(
        "from curation import InputSpec, OutputSpec, Recipe, run_recipe\n"
        "recipe = Recipe(input=InputSpec(path='in'), stages=[], output=OutputSpec(path='curated'))\n"
        "print(run_recipe(recipe, executor='dask', workers=2, progress='none').summary['totals']['kept'])\n"
    )
    env = os.environ | {"PYTHONPATH": str(REPO_ROOT)}
    run = subprocess.run(
        [sys.executable, "unguarded.py"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 1
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("curation.executors.jobs.WorkerStartupError: the worker processes exited while starting")
    assert 'if __name__ == "__main__":' in last and "unguarded.py" in last
    assert "Nanny failed" not in run.stderr and run.stderr.count("Traceback") == 1
    assert not (tmp_path / "curated").exists()


def test_ctrl_c_stops_a_dask_run_quietly_and_a_rerun_resumes(tmp_path):
    for shard in range(6):
        write_jsonl(tmp_path / "in" / f"p{shard}.jsonl", docs(40, prefix=f"p{shard}-"))
    (tmp_path / "slow.yaml").write_text(
        "stages:\n  - stage: tests.stages:SleepPerDocument\n    params: {seconds: 0.05}\n"
    )
    env = os.environ | {"PYTHONPATH": str(REPO_ROOT)}
    command = [sys.executable, "-m", "curation", "run", "slow.yaml", "-i", "in", "-o", "out", "--executor", "dask"]
    process = subprocess.Popen(
        [*command, "-w", "2", "--progress", "none"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=like_a_terminal_foreground_process,
    )
    deadline = time.monotonic() + 240
    while not list((tmp_path / "out" / "_markers").glob("*.done.json")) and time.monotonic() < deadline:
        time.sleep(0.2)
    os.killpg(process.pid, signal.SIGINT)  # what a terminal does on Ctrl-C: the whole process group
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr and "CancelledError" not in stderr
    said = [line for line in stderr.splitlines() if line.strip() and not line.startswith("[curate]")]
    assert len(said) == 1 and said[0].startswith("curate: interrupted; "), stderr
    done = int(stderr.split("interrupted; ")[1].split(" of 6")[0])
    assert 1 <= done < 6
    assert len(visible_files(tmp_path / "out")) == done  # a shard half done is staging only
    rerun = subprocess.run([*command, "-w", "2", "-q"], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    ids = [row["id"] for row in read_output_rows(tmp_path / "out")]
    assert len(ids) == len(set(ids)) == 240  # nothing lost, nothing twice
