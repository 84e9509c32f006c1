"""``curate mix`` end to end on real curated shards: shares, caps, annealing, determinism, resume, Dask."""

from __future__ import annotations

import json
import math
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from curation.cli import main as curate
from curation.mix import InfeasibleMixtureError, MixInputError, MixOutputError, parse_mixture, run_mixture
from tests.mix_helpers import all_rows, curated_rows, tokens_by, tree_bytes, write_curated

REPO_ROOT = Path(__file__).resolve().parents[1]

MIXTURE = """
name: test-mix
seed: 7
inputs: {{curated: {input}}}
quality_tiers:
  low: {{max: 0.5}}
  high: {{min: 0.5}}
sources:
  science: {{include: {{domain: science, language: en}}, max_repetitions: 2}}
  news: {{include: {{domain: news, language: en}}, max_share: 0.4}}
  rest: {{include: {{domain: [code, fiction]}}, exclude: {{synthetic: true}}}}
stages:
  - name: stable
    tokens: {stable}
    shares: {{science: 0.3, news: 0.4, rest: 0.3}}
  - name: anneal
    tokens: 20000
    shares: {{science: {{science/high: 0.5}}, rest: {{"*/high": 0.5}}}}
    require: {{min_quality: 0.6, decontaminate: {{paths: [{evaluation}]}}}}
{extra}
"""


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    return write_curated(tmp_path_factory.mktemp("curated"), shards=4, docs=300, seed=0)


@pytest.fixture(scope="module")
def evaluation(tmp_path_factory, corpus) -> tuple[Path, str]:
    """An evaluation file holding a passage of one document the anneal stage could otherwise draw."""
    target = next(
        row
        for rows in curated_rows(4, 300, 0).values()
        for row in rows
        if row["domain"] == "science" and row["language"] == "en" and row["quality_score"] >= 0.6
        if row["token_count"] >= 60
    )
    passage = " ".join(target["text"].split()[10:30]).upper() + "!"  # casing and punctuation do not matter
    path = tmp_path_factory.mktemp("eval") / "eval.jsonl"
    path.write_text(json.dumps({"id": "q1", "text": f"Question: {passage} Answer: yes"}) + "\n")
    return path, target["id"]


def mixture_text(corpus: Path, evaluation: Path, stable: int = 60000, extra: str = "") -> str:
    return MIXTURE.format(input=corpus, evaluation=evaluation, stable=stable, extra=extra)


def build(text: str, out: Path, **kwargs):
    kwargs.setdefault("workers", 1)
    kwargs.setdefault("progress", "none")
    return run_mixture(parse_mixture(text, "test.yaml"), str(out), **kwargs)


def test_every_target_is_met_to_a_tenth_of_a_point_with_caps_and_annealing_honoured(tmp_path, corpus, evaluation):
    eval_path, contaminated_id = evaluation
    report = build(mixture_text(corpus, eval_path), tmp_path / "out")
    assert report.ok
    manifest = json.loads((tmp_path / "out" / "mixture.json").read_text())
    assert manifest == report.manifest
    rows = all_rows(tmp_path / "out")
    inputs = {row["id"]: row for rows_ in curated_rows(4, 300, 0).values() for row in rows_}

    realised = tokens_by(rows, "mix_stage", "mix_source")
    for stage in manifest["stages"]:
        assert sum(v for (s, _), v in realised.items() if s == stage["name"]) == stage["realised_tokens"]
        for name, entry in stage["sources"].items():
            assert realised[(stage["name"], name)] == entry["realised_tokens"]
            share = entry["realised_tokens"] / stage["realised_tokens"]
            assert abs(share - entry["requested_share"]) <= 0.001, (stage["name"], name)
            cap = manifest["sources"][name]["max_share"]
            assert entry["realised_tokens"] <= math.ceil(cap * stage["token_budget"])
        assert abs(stage["realised_tokens"] - stage["token_budget"]) <= 10

    uses: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        uses[row["id"]].append(row["repetition"])
        original = inputs[row["id"]]
        assert {k: row[k] for k in original} == original, "input columns are copied unchanged"
    for doc_id, repetitions in uses.items():
        source = next(r["mix_source"] for r in rows if r["id"] == doc_id)
        assert sorted(repetitions) == list(range(len(repetitions)))
        assert len(repetitions) <= manifest["sources"][source]["max_repetitions"]
    assert max(len(r) for r in uses.values()) == 2, "science is repeated (cap 2) and nothing more"

    anneal = [row for row in rows if row["mix_stage"] == "anneal"]
    assert all(row["quality_score"] >= 0.6 for row in anneal)
    assert contaminated_id not in {row["id"] for row in anneal}
    requirements = manifest["stages"][1]["requirements"]
    assert requirements["min_quality"] == 0.6
    assert requirements["decontamination"]["ngram"] == 13
    assert requirements["decontamination"]["evaluation_files"][0]["path"] == str(eval_path)
    assert requirements["excluded"]["science"]["contaminated"] == 1
    assert requirements["excluded"]["science"]["below_min_quality"] > 0
    assert all(row["synthetic"] is False for row in rows if row["mix_source"] == "rest")
    assert {row["language"] for row in rows if row["mix_source"] in ("science", "news")} == {"en"}

    files = {f["path"] for stage in manifest["stages"] for f in stage["files"]}
    assert files == {
        str(p.relative_to(tmp_path / "out")) for p in (tmp_path / "out").rglob("*.parquet") if "_" not in p.parts[-4]
    }
    assert all(len(shard["fingerprint"]) == 32 for shard in manifest["inputs"]["curated"]["shards"])
    assert manifest["inputs"]["curated"]["documents"] == 1200
    assert not (tmp_path / "out" / ".staging").exists()


def test_infeasible_target_is_a_clear_error_and_nothing_is_written(tmp_path, corpus, evaluation, capsys):
    science_tokens = sum(
        row["token_count"]
        for rows in curated_rows(4, 300, 0).values()
        for row in rows
        if row["domain"] == "science" and row["language"] == "en"
    )
    stable = 300_000  # science needs 90,000 tokens; it has science_tokens, twice at most
    mixture = tmp_path / "mix.yaml"
    mixture.write_text(mixture_text(corpus, evaluation[0], stable=stable))
    out = tmp_path / "out"
    code = curate(["mix", str(mixture), "--output", str(out), "--workers", "1", "--progress", "none"])
    error = capsys.readouterr().err
    assert code == 2
    assert not out.exists()
    short = 90_000 - 2 * science_tokens
    assert (
        f"stage stable, source science: needs 90,000 tokens (0.3 of 300,000), can give {2 * science_tokens:,}" in error
    )
    assert f"{short:,} tokens short" in error
    assert f"max_repetitions: {math.ceil(90_000 / science_tokens)} would allow it" in error
    assert "nothing was written" in error

    with pytest.raises(InfeasibleMixtureError) as caught:
        build(mixture_text(corpus, evaluation[0]).replace("min_quality: 0.6", "min_quality: 2.0"), out)
    assert any(
        "stage anneal, source science cell science/high" in line
        and "no eligible document" in line
        and "below_min_quality" in line
        for line in caught.value.shortfalls
    )
    assert not out.exists()


def test_two_runs_are_byte_identical_and_workers_do_not_change_the_output(tmp_path, corpus, evaluation):
    text = mixture_text(corpus, evaluation[0])
    build(text, tmp_path / "a")
    build(text, tmp_path / "b", workers=2)
    first, second = tree_bytes(tmp_path / "a"), tree_bytes(tmp_path / "b")
    assert len(first) > 20
    assert first == second
    other = build(text.replace("seed: 7", "seed: 8"), tmp_path / "c")
    assert tree_bytes(tmp_path / "c")["mixture.json"] != first["mixture.json"]
    assert other.manifest["stages"][0]["realised_tokens"] == 60000


def test_rerun_skips_committed_files_and_another_plan_needs_force(tmp_path, corpus, evaluation):
    text = mixture_text(corpus, evaluation[0])
    out = tmp_path / "out"
    first = build(text, out)
    before = tree_bytes(out)
    again = build(text, out)
    assert again.jobs_skipped == again.jobs_total == first.jobs_total
    assert tree_bytes(out) == before
    changed = text.replace("tokens: 20000", "tokens: 15000")
    with pytest.raises(MixOutputError, match="another plan"):
        build(changed, out)
    assert tree_bytes(out) == before
    build(changed, out, force=True)
    assert json.loads((out / "mixture.json").read_text())["stages"][1]["token_budget"] == 15000
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    with pytest.raises(MixOutputError, match="not empty"):
        build(text, foreign)


def test_overlapping_sources_unknown_columns_and_missing_token_counts_are_refused(tmp_path, corpus, evaluation):
    text = mixture_text(corpus, evaluation[0])
    overlapping = text.replace("include: {domain: [code, fiction]}", "include: {domain: [code, fiction, news]}")
    with pytest.raises(MixInputError, match=r"sources news and rest both select [\d,]+ documents \(e\.g\. curated/"):
        build(overlapping, tmp_path / "a")
    typo = text.replace("include: {domain: news, language: en}", "include: {domian: news}")
    with pytest.raises(MixInputError, match=r"sources\.news\.include: no shard of curated has a column 'domian'"):
        build(typo, tmp_path / "b")
    no_counts = text.replace("name: test-mix", "name: test-mix\ntokens: {column: n_tokens}")
    with pytest.raises(MixInputError, match="documents have no usable token count in column 'n_tokens'"):
        build(no_counts, tmp_path / "c")
    assert not any((tmp_path / name).exists() for name in "abc")


def test_tokenizer_counts_are_computed_once_cached_and_written(tmp_path, corpus, evaluation):
    from tokenizers import Tokenizer, models, pre_tokenizers

    vocabulary = {word: i for i, word in enumerate(sorted({w for r in all_rows(corpus) for w in r["text"].split()}))}
    tokenizer = Tokenizer(models.WordLevel({**vocabulary, "[UNK]": len(vocabulary)}, unk_token="[UNK]"))
    # words split again at each 't' (kept as a token): counts differ from word counts
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.WhitespaceSplit(), pre_tokenizers.Split("t", behavior="isolated")]
    )
    tokenizer.save(str(tmp_path / "tokenizer.json"))
    cache = tmp_path / "cache"
    text = mixture_text(corpus, evaluation[0]).replace(
        "name: test-mix", f"name: test-mix\ntokens: {{tokenizer: {tmp_path / 'tokenizer.json'}, cache: {cache}}}"
    )
    first = build(text, tmp_path / "out")
    assert first.manifest["tokens"]["shards_counted"] == 16
    assert len(list(cache.rglob("*.npy"))) == 16
    second = build(text, tmp_path / "dry", dry_run=True)
    assert second.manifest["tokens"]["shards_cached"] == 16
    assert not (tmp_path / "dry").exists()
    rows = all_rows(tmp_path / "out")
    for row in rows[:50]:
        assert row["token_count"] == len(tokenizer.encode(row["text"], add_special_tokens=False).ids)
    assert any(row["token_count"] != len(row["text"].split()) for row in rows)
    assert sum(r["token_count"] for r in rows if r["mix_stage"] == "stable") == 60000


def test_jsonl_inputs_and_jsonl_output(tmp_path, evaluation):
    corpus = write_curated(tmp_path / "curated", shards=2, docs=300, seed=0, fmt="jsonl")
    text = mixture_text(corpus, evaluation[0], stable=30000).replace("tokens: 20000", "tokens: 8000")
    text += "output: {format: jsonl}\n"
    report = build(text, tmp_path / "out")
    rows = all_rows(tmp_path / "out")
    assert rows and all(
        path.endswith(".jsonl.gz") for s in report.manifest["stages"] for path in [f["path"] for f in s["files"]]
    )
    realised = tokens_by(rows, "mix_stage")
    assert realised[("stable",)] == report.manifest["stages"][0]["realised_tokens"]
    assert abs(realised[("stable",)] - 30000) <= 10
    assert Counter(row["mix_stage"] for row in rows)["anneal"] == report.manifest["stages"][1]["documents"]


def test_cli_prints_the_audit_table_and_dry_run_writes_nothing(tmp_path, corpus, evaluation, capsys):
    mixture = tmp_path / "mix.yaml"
    mixture.write_text(mixture_text(corpus, evaluation[0]))
    assert curate(["mix", str(mixture), "--dry-run", "--workers", "1", "--progress", "none"]) == 0
    printed = capsys.readouterr().out
    assert "stage stable · budget 60,000 tokens" in printed
    assert "science/high" in printed and "dry run: nothing written" in printed
    out = tmp_path / "out"
    assert curate(["mix", str(mixture), "-o", str(out), "--workers", "1", "--progress", "none"]) == 0
    printed = capsys.readouterr().out
    assert "realised" in printed and "mixture.json" in printed
    assert "Δ pp" in printed
    # the report of a mixture folder shows targets against realised shares, per stage
    assert curate(["report", str(out)]) == 0
    page = (out / "report.html").read_text()
    assert 'data-section="mixture"' in page
    assert 'data-plot="mixture-stable"' in page and 'data-table="mixture-stable"' in page


def test_kill_9_mid_write_then_rerun_equals_an_uninterrupted_run(tmp_path, evaluation):
    corpus = write_curated(tmp_path / "curated", shards=12, docs=500, seed=3)
    mixture = tmp_path / "mix.yaml"
    mixture.write_text(mixture_text(corpus, evaluation[0], stable=250_000))
    build(mixture.read_text(), tmp_path / "reference")
    reference = tree_bytes(tmp_path / "reference")
    total = len(list((tmp_path / "reference" / "_markers").rglob("*.done.json")))

    out = tmp_path / "out"
    command = [sys.executable, "-m", "curation", "mix", str(mixture), "-o", str(out), "-w", "2", "--progress", "none"]
    process = subprocess.Popen(command, cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and len(list((out / "_markers").rglob("*.done.json"))) < 3:
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.wait()
    time.sleep(1.0)  # workers die with their parent; give the kernel a moment

    done = list((out / "_markers").rglob("*.done.json"))
    assert 3 <= len(done) < total, "the kill should land midway through the write phase"
    assert not (out / "mixture.json").exists()
    visible = [
        p for p in out.rglob("*.parquet") if not any(part.startswith((".", "_")) for part in p.relative_to(out).parts)
    ]
    stems = {str(p.relative_to(out / "_markers")).removesuffix(".done.json") for p in done}
    for path in visible:
        assert str(path.relative_to(out)).removesuffix(".parquet") in stems, f"{path} visible without a marker"
        pq.read_table(path)
    frozen = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    time.sleep(0.5)
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()} == frozen, "an orphan is still writing"

    resumed = build(mixture.read_text(), out, workers=2)
    assert resumed.jobs_skipped == len(done)
    assert tree_bytes(out) == reference


def test_dask_local_cluster_writes_the_same_bytes_as_the_local_executor(tmp_path, corpus, evaluation, capfd):
    text = mixture_text(corpus, evaluation[0])
    build(text, tmp_path / "local")
    build(text, tmp_path / "dask", workers=2, executor="dask")
    assert "dask dashboard: http" in capfd.readouterr().err
    assert tree_bytes(tmp_path / "dask") == tree_bytes(tmp_path / "local")


def test_an_output_inside_an_input_is_never_read_back_as_input(tmp_path):
    corpus = write_curated(tmp_path / "curated", shards=2, docs=100, seed=5)
    text = f"""
name: inside
seed: 1
inputs: {{curated: {corpus}}}
sources: {{everything: {{}}}}
stages: [{{name: only, tokens: 5000, shares: {{everything: 1}}}}]
"""
    first = build(text, corpus / "mixture")
    again = build(text, corpus / "mixture")
    assert again.manifest["inputs"]["curated"]["documents"] == 200
    assert again.jobs_skipped == first.jobs_total
