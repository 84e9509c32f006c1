"""A newcomer's common mistakes, through the real command (``python -m curation`` in a subprocess): each ends in
a one-line message and the right exit code, with no traceback unless ``--verbose``; and a changed recipe
never reuses output it did not write."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import docs, like_a_terminal_foreground_process, read_output_rows, write_jsonl

REPO_ROOT = Path(__file__).resolve().parents[1]


def curate(*args: object, cwd: Path, timeout: float = 180) -> subprocess.CompletedProcess:
    env = os.environ | {"PYTHONPATH": str(REPO_ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "curation", *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def fails_in_one_line(result: subprocess.CompletedProcess, code: int, *fragments: str) -> None:
    assert result.returncode == code, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, (fragment, result.stderr)


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    write_jsonl(tmp_path / "in" / "a.jsonl", docs(5, prefix="a"))
    write_jsonl(tmp_path / "in" / "b.jsonl", docs(5, prefix="b"))
    (tmp_path / "pass.yaml").write_text("stages: []\n")
    (tmp_path / "sample.yaml").write_text("stages:\n  - stage: SamplerFilter\n    params: {rate: 0.5, seed: 1}\n")
    return tmp_path


def markers(output: Path) -> dict[str, dict]:
    return {p.name: json.loads(p.read_text()) for p in sorted((output / "_markers").glob("*.done.json"))}


def test_a_changed_recipe_stops_before_touching_the_output(corpus):
    assert curate("run", "pass.yaml", "-i", "in", "-o", "out", "-q", "-w", "1", cwd=corpus).returncode == 0
    before = markers(corpus / "out")
    changed = curate("run", "sample.yaml", "-i", "in", "-o", "out", "-q", "-w", "1", cwd=corpus)
    fails_in_one_line(changed, 2, "2 shards completed by a different recipe", "stages [] -> [SamplerFilter]")
    fails_in_one_line(changed, 2, "--force", "new output folder", "nothing was run")
    assert markers(corpus / "out") == before
    other_field = curate("run", "pass.yaml", "-i", "in", "-o", "out", "-q", "--text-field", "body", cwd=corpus)
    fails_in_one_line(other_field, 2, "input.text_field 'text' -> 'body'")
    other_format = curate("run", "pass.yaml", "-i", "in", "-o", "out", "-q", "--format", "jsonl", cwd=corpus)
    fails_in_one_line(other_format, 2, "output.format 'parquet' -> 'jsonl'")

    same = curate("run", "pass.yaml", "-i", "in", "-o", "out", "-w", "1", "--progress", "none", cwd=corpus)
    assert same.returncode == 0 and "nothing to do: 2 shards already complete" in same.stderr
    narrower = curate("run", "pass.yaml", "-i", "in", "-o", "out", "-q", "--glob", "a*", cwd=corpus)
    assert narrower.returncode == 0, narrower.stderr  # a narrower selection is the same recipe
    assert markers(corpus / "out") == before

    forced = curate("run", "sample.yaml", "-i", "in", "-o", "out", "-q", "-w", "1", "--force", cwd=corpus)
    assert forced.returncode == 0, forced.stderr
    fingerprints = {marker["recipe_fingerprint"] for marker in markers(corpus / "out").values()}
    assert len(fingerprints) == 1 and fingerprints != {m["recipe_fingerprint"] for m in before.values()}
    verbose = curate("run", "pass.yaml", "-i", "in", "-o", "out", "-q", "-w", "1", "--verbose", cwd=corpus)
    assert verbose.returncode == 2 and "Traceback" in verbose.stderr  # tracebacks only on request


def test_when_every_record_is_quarantined_the_run_says_why_and_how_to_fix_it(corpus):
    write_jsonl(corpus / "bodies" / "x.jsonl", [{"id": f"x{i}", "body": "some words"} for i in range(4)])
    result = curate("run", "pass.yaml", "-i", "bodies", "-o", "out", "-w", "1", "--progress", "none", cwd=corpus)
    fails_in_one_line(  # the run itself succeeded (exit 0; 3 with --strict): the warning says what went wrong
        result, 0, "all 4 records were quarantined as missing_text", "fields present: [body, id]", "--text-field"
    )
    summary = json.loads((corpus / "out" / "summary.json").read_text())
    assert "all 4 records were quarantined" in summary["warnings"][0]
    strict = curate("run", "pass.yaml", "-i", "bodies", "-o", "strict", "-q", "--strict", cwd=corpus)
    fails_in_one_line(strict, 3, "--strict: records were quarantined", "all 4 records were quarantined")
    fixed = curate(
        "run", "pass.yaml", "-i", "bodies", "-o", "fixed", "-q", "-w", "1", "--text-field", "body", "--id-field",
        "id", cwd=corpus,
    )  # fmt: skip
    assert fixed.returncode == 0, fixed.stderr
    assert sorted(row["id"] for row in read_output_rows(corpus / "fixed")) == ["x0", "x1", "x2", "x3"]


def test_the_summary_covers_the_whole_output_folder_after_a_narrower_glob(corpus):
    assert curate("run", "pass.yaml", "-i", "in", "-o", "out", "-q", "--glob", "a*", cwd=corpus).returncode == 0
    result = curate("run", "pass.yaml", "-i", "in", "-o", "out", "--glob", "b*", "--progress", "none", cwd=corpus)
    assert result.returncode == 0, result.stderr
    summary = json.loads((corpus / "out" / "summary.json").read_text())
    assert summary["totals"]["records_in"] == 10 and summary["totals"]["kept"] == 10
    assert summary["shards"]["total"] == 1 and summary["shards"]["completed_outside_selection"] == 1
    assert "output folder" in summary["scope"]
    assert "the totals also cover 1 shard completed earlier in this folder" in result.stdout


def test_evaluate_refuses_a_missing_folder_and_a_missing_truth_file(corpus):
    fails_in_one_line(
        curate("evaluate", "nowhere", "--truth", "truth.jsonl", cwd=corpus), 2, "output folder 'nowhere' does not exist"
    )
    (corpus / "empty").mkdir()
    fails_in_one_line(curate("evaluate", "empty", "--truth", "t.jsonl", cwd=corpus), 2, "holds no run output")
    assert curate("run", "pass.yaml", "-i", "in", "-o", "out", "-q", cwd=corpus).returncode == 0
    fails_in_one_line(curate("evaluate", "out", "--truth", "t.jsonl", cwd=corpus), 2, "truth file 't.jsonl' does not")


def test_a_script_without_the_main_guard_is_told_what_to_add(corpus):
    script = corpus / "unguarded.py"
    script.write_text(
        "from curation import InputSpec, OutputSpec, Recipe, run_recipe\n"
        "recipe = Recipe(input=InputSpec(path='in'), stages=[], output=OutputSpec(path='curated'))\n"
        "print(run_recipe(recipe, workers=2, progress='none').summary['totals']['kept'])\n"
    )
    env = os.environ | {"PYTHONPATH": str(REPO_ROOT)}
    run = subprocess.run(
        [sys.executable, str(script)], cwd=corpus, env=env, capture_output=True, text=True, timeout=180
    )
    assert run.returncode != 0
    assert 'if __name__ == "__main__":' in run.stderr and "out of memory" not in run.stderr


def test_the_readme_python_example_runs_as_a_script(corpus):
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    example = next(block for block in re.findall(r"```python\n(.*?)```", readme, re.S) if "run_recipe(" in block)
    (corpus / "example.py").write_text(example)
    write_jsonl(corpus / "shards" / "part-0.jsonl", docs(6, words=120))
    env = os.environ | {"PYTHONPATH": str(REPO_ROOT)}
    run = subprocess.run(
        [sys.executable, "example.py"], cwd=corpus, env=env, capture_output=True, text=True, timeout=180
    )
    assert run.returncode == 0, run.stderr
    assert "'kept': 6" in run.stdout


def test_a_missing_model_folder_is_reported_by_validate_and_before_a_run_starts(corpus):
    recipe = corpus / "model.yaml"
    recipe.write_text("stages:\n  - stage: quality_score\n    params: {model: models/quality}\n")
    message = "stages[0].params.model: no model folder at 'models/quality'"
    fails_in_one_line(curate("validate", "model.yaml", cwd=corpus), 2, message, "hf://models/quality")
    started = time.perf_counter()
    fails_in_one_line(curate("run", "model.yaml", "-i", "in", "-o", "out", cwd=corpus), 2, message)
    assert time.perf_counter() - started < 60 and not (corpus / "out").exists()
    demo = corpus / "demo.yaml"
    demo.write_text("stages:\n  - stage: domain_classify\n    params: {model: build/demo/models/domain}\n")
    fails_in_one_line(curate("validate", "demo.yaml", cwd=corpus), 2, "make demo", "build/demo/models/")


def test_input_and_output_mistakes_are_one_line(corpus):
    (corpus / "taken").write_text("a file")
    fails_in_one_line(curate("run", "pass.yaml", "-i", "in", "-o", "taken", cwd=corpus), 2, "is an existing file")
    single = curate("run", "pass.yaml", "-i", "in/a.jsonl", "-o", "one", "-q", cwd=corpus)
    assert single.returncode == 0, single.stderr
    assert sorted(p.name for p in (corpus / "one").glob("*.parquet")) == ["a.parquet"]
    assert len(read_output_rows(corpus / "one")) == 5
    if importlib.util.find_spec("s3fs") is None:
        fails_in_one_line(
            curate("run", "pass.yaml", "-i", "s3://bucket/raw", "-o", "o", cwd=corpus), 2, "pip install s3fs", "[s3]"
        )
    fails_in_one_line(curate("run", "pass.yaml", "-i", "nope://x", "-o", "o", cwd=corpus), 2, "unknown URL scheme")
    for workers in ("0", "-3"):
        fails_in_one_line(curate("run", "pass.yaml", "-i", "in", "-o", "o", "-w", workers, cwd=corpus), 2, "at least 1")
    fails_in_one_line(curate("sample", "s", "--shards", "0", cwd=corpus), 2, "--shards: must be at least 1")
    fails_in_one_line(curate("sample", "s", "--shards", "1", "--docs-per-shard", "3", cwd=corpus), 2, "the 40 records")


def test_an_unreachable_dask_scheduler_is_one_line_within_seconds(corpus):
    if importlib.util.find_spec("distributed") is None:
        pytest.skip("dask.distributed is not installed")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # free once closed: nothing listens there
    started = time.perf_counter()
    result = curate(
        "run", "pass.yaml", "-i", "in", "-o", "o", "--executor", "dask", "--scheduler", f"tcp://127.0.0.1:{port}",
        cwd=corpus,
    )  # fmt: skip
    fails_in_one_line(result, 2, f"cannot reach the Dask scheduler at tcp://127.0.0.1:{port}")
    assert time.perf_counter() - started < 30
    assert "connecting to the Dask scheduler" in result.stderr  # said before waiting
    fails_in_one_line(
        curate("run", "pass.yaml", "-i", "in", "-o", "o", "--executor", "dask", "--scheduler", "s.json", cwd=corpus),
        2,
        "scheduler file 's.json' does not exist",
    )


def test_ctrl_c_stops_the_run_says_what_is_done_and_a_rerun_resumes(tmp_path):
    for shard in range(6):
        write_jsonl(tmp_path / "in" / f"p{shard}.jsonl", docs(40, prefix=f"p{shard}-"))
    (tmp_path / "slow.yaml").write_text(
        "stages:\n  - stage: tests.stages:SleepPerDocument\n    params: {seconds: 0.05}\n"
    )
    env = os.environ | {"PYTHONPATH": str(REPO_ROOT)}
    command = [sys.executable, "-m", "curation", "run", "slow.yaml", "-i", "in", "-o", "out", "-w", "2"]
    process = subprocess.Popen(
        [*command, "--progress", "log"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=like_a_terminal_foreground_process,
    )
    deadline = time.monotonic() + 120
    while not list((tmp_path / "out" / "_markers").glob("*.done.json")) and time.monotonic() < deadline:
        time.sleep(0.2)
    os.killpg(process.pid, signal.SIGINT)  # what a terminal does on Ctrl-C: the whole process group
    _, stderr = process.communicate(timeout=60)
    fails_in_one_line(
        subprocess.CompletedProcess(process.args, process.returncode, "", stderr), 130, "rerun the same command"
    )
    done = int(re.search(r"interrupted; (\d+) of 6 shards done", stderr).group(1))
    assert 1 <= done < 6
    rerun = subprocess.run([*command, "-q"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["shards"]["skipped_already_complete"] >= done and summary["totals"]["reconciled"]
    ids = [row["id"] for row in read_output_rows(tmp_path / "out")]
    assert len(ids) == len(set(ids)) == 240  # nothing lost, nothing twice


def test_every_command_documents_every_option(corpus):
    result = curate("sample", "--help", cwd=corpus)
    assert result.returncode == 0
    for text in ("shards/, truth.jsonl", "number of shard files", "records in each shard", "byte-identical"):
        assert text in " ".join(result.stdout.split()), text
    from curation.cli import _build_parser

    parser = _build_parser()
    subcommands = next(action for action in parser._actions if action.dest == "command").choices
    for name, subparser in subcommands.items():
        for action in subparser._actions:
            assert action.help, f"curate {name} {action.option_strings or action.dest} has no help text"


def test_a_ctrl_c_that_lands_while_a_job_is_submitted_is_not_lost():
    """The parent holds SIGINT back while it submits (so a worker spawned then starts with Ctrl-C held), and
    handles it right after: a Ctrl-C in that window used to be ignored, and the run went on to the end."""
    from curation.executors.local import PoolRunner

    class Pool:
        def submit(self, *args):
            os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C arrives in the middle of the submit
            time.sleep(0.05)
            return "future"

    runner = PoolRunner.__new__(PoolRunner)  # only _submit is exercised: no process pool is started
    runner.pool = Pool()
    # Ctrl-C handled as in a command started from a shell, whatever the test runner inherited or changed
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    mask = signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    try:
        with pytest.raises(KeyboardInterrupt):
            runner._submit(None)
        assert signal.SIGINT not in signal.pthread_sigmask(signal.SIG_BLOCK, set())  # unblocked again
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        signal.signal(signal.SIGINT, previous)
