"""``curate check``: the checks file, exit codes, baseline, reports, bad data and sampling, on real files."""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from curation.checks import ChecksFileError, load_checks, parse_checks, run_checks
from curation.checks.catalog import CATALOG
from curation.cli import main as curate
from tests.helpers import docs, write_jsonl, write_parquet

# Most tests measure only what they look at: the language model and PII scans cost time per document.
FAST_METRICS = """
metrics:
  language: {source: column}
  pii: {enabled: false}
"""


def checks_file(tmp_path: Path, checks: str, metrics: str = FAST_METRICS, name: str = "checks.yaml") -> Path:
    path = tmp_path / name
    path.write_text(f"version: 1\nname: t\n{metrics}\nchecks:\n{checks}")
    return path


def rows(n: int, prefix: str = "d", seed: int = 0, **columns: Any) -> list[dict[str, Any]]:
    """``n`` distinct English-like documents of 60-100 words with a ``language`` column and ``columns``."""
    records = docs(n, prefix=prefix, seed=seed, words=100)
    lengths = random.Random(seed).choices(range(60, 101), k=n)
    for record, length in zip(records, lengths, strict=True):
        record.pop("lang_hint")
        record.update(text=" ".join(record["text"].split()[:length]), language="en", **columns)
    return records


def problems_of(text: str) -> dict[str, str]:
    with pytest.raises(ChecksFileError) as caught:
        parse_checks(text, "ci.yaml")
    assert str(caught.value).startswith("invalid checks file\nci.yaml: ")
    return {problem.field: problem.message for problem in caught.value.problems}


# ---- the checks file ---------------------------------------------------------------------------------------


def test_checks_file_errors_name_the_field_and_what_is_allowed():
    problems = problems_of(
        """
metrics: {pii: {emails: true, colour: red}, quantiles: [0.05, 0.555]}
checks:
  - {name: a, metric: empty_rat, condition: "<", threshold: 0.01}
  - {name: b, metric: empty_rate, condition: between, threshold: 0.9}
  - {name: c, metric: empty_rate, condition: "~", threshold: 1}
  - {name: d, metric: empty_rate, condition: "<", threshold: two, severity: bad}
  - {name: e, metric: empty_rate, condition: between, threshold: [0.5, 0.1]}
"""
    )
    assert "unknown field; allowed here: enabled, emails, phones, ips" in problems["metrics.pii.colour"]
    assert "whole percents" in problems["metrics.quantiles"]
    assert "unknown metric 'empty_rat'; allowed: documents," in problems["checks[0].metric"]
    assert "language_share.<language>" in problems["checks[0].metric"]
    assert "needs threshold: [low, high]" in problems["checks[1]"]
    assert "'<', '<=', '>', '>=', '==' or 'between'" in problems["checks[2].condition"]
    assert "write 0.02, '2%' or '2pp'" in problems["checks[3].threshold"]
    assert "'warn' or 'fail'" in problems["checks[3].severity"]
    assert "low 0.5 is above high 0.1" in problems["checks[4]"]


def test_checks_must_fit_the_metric_settings():
    problems = problems_of(
        """
metrics: {quantiles: [0.5], near_duplicates: {enabled: false}}
checks:
  - {name: a, metric: contamination_rate, condition: "==", threshold: 0}
  - {name: a, metric: unexpected_language_rate, condition: "<", threshold: 0.01}
  - {name: c, metric: quality.p10, condition: ">", threshold: 0.2}
  - {name: d, metric: schema.violations, condition: "==", threshold: 0}
  - {name: e, metric: near_duplicate_rate, condition: "<", threshold: 0.01}
"""
    )
    assert "needs evaluation texts" in problems["checks[0].metric"]
    assert "used twice" in problems["checks[1].name"]
    assert "metrics.language.expected" in problems["checks[1].metric"]
    assert "allowed: mean, p50, missing_rate" in problems["checks[2].metric"]
    assert "metrics.required_columns" in problems["checks[3].metric"]
    assert "metrics.near_duplicates (it is disabled)" in problems["checks[4].metric"]
    assert problems_of("checks: []\n")["checks"].startswith("List should have at least 1 item")
    assert "top level must be a mapping" in problems_of("- a\n- b\n")[""]


def test_thresholds_read_percent_and_percentage_points():
    checks = parse_checks(
        """
checks:
  - {name: a, metric: empty_rate, condition: "<", threshold: 2%}
  - {name: b, metric: language_share.en, compare: abs_change, condition: "<", threshold: 2pp}
  - {name: c, metric: tokens, compare: relative_change, condition: between, threshold: [-10%, 1.5 percent]}
"""
    )
    assert [check.threshold for check in checks.checks] == [0.02, 0.02, [-0.1, 0.015]]
    assert checks.checks[1].uses_baseline and not checks.checks[0].uses_baseline


def test_the_example_checks_file_is_valid():
    checks = load_checks(Path(__file__).resolve().parents[1] / "pipelines" / "ci-checks.yaml")
    assert len(checks.checks) >= 10 and checks.metrics.contamination.enabled


# ---- exit codes, baseline ----------------------------------------------------------------------------------


@pytest.fixture
def small_data(tmp_path) -> Path:
    data = tmp_path / "data"
    records = rows(60, domain="science") + rows(40, prefix="e", seed=1, domain="sports")
    write_parquet(data / "part-00000.parquet", records[:50])
    write_parquet(data / "part-00001.parquet", records[50:])
    return data


def test_exit_codes(tmp_path, small_data, capsys):
    passing = checks_file(
        tmp_path, '  - {name: ok, metric: empty_rate, condition: "==", threshold: 0}\n', name="p.yaml"
    )
    failing = checks_file(
        tmp_path, '  - {name: science, metric: share.domain.science, condition: ">", threshold: 0.9}\n', name="f.yaml"
    )
    warning = checks_file(
        tmp_path,
        '  - {name: ok, metric: empty_rate, condition: "==", threshold: 0}\n'
        '  - {name: sports, metric: share.domain.sports, condition: "<", threshold: 10%, severity: warn}\n',
        name="w.yaml",
    )
    assert curate(["check", str(passing), str(small_data), "-w", "1"]) == 0
    assert curate(["check", str(failing), str(small_data), "-w", "1"]) == 1
    output = capsys.readouterr().out
    assert "share.domain.science = 60%; does not meet > 90%" in output
    assert "    e0" in output  # too small a share: the examples are documents of the other values
    assert curate(["check", str(warning), str(small_data), "-w", "1"]) == 0
    assert curate(["check", str(warning), str(small_data), "-w", "1", "--warn-exit"]) == 3
    assert "passed with warnings" in capsys.readouterr().out

    bad = tmp_path / "bad.yaml"
    bad.write_text("checks:\n  - {name: x, metric: nope, condition: '<', threshold: 1}\n")
    assert curate(["check", str(bad), str(small_data)]) == 2
    assert f"{bad}: checks[0].metric: unknown metric 'nope'" in capsys.readouterr().err
    assert curate(["check", str(tmp_path / "missing.yaml"), str(small_data)]) == 2
    assert "cannot read the checks file" in capsys.readouterr().err
    (tmp_path / "nothing").mkdir()
    assert curate(["check", str(passing), str(tmp_path / "nothing")]) == 2
    assert "no input shards found" in capsys.readouterr().err
    assert curate(["check", str(passing), str(small_data), "--sample", "-5"]) == 2


def test_a_metric_that_cannot_be_measured_fails_its_check(tmp_path, small_data):
    path = checks_file(tmp_path, '  - {name: q, metric: quality.p10, condition: ">", threshold: 0.5}\n')
    run = run_checks(load_checks(path), str(small_data), workers=1)
    [result] = run.results
    assert result.status == "error" and "no numeric column 'quality_score'" in result.message
    assert run.exit_code == 1


def test_baseline_is_pinned_and_compared(tmp_path, small_data, capsys):
    path = checks_file(
        tmp_path,
        "  - {name: science stable, metric: share.domain.science, compare: abs_change,\n"
        "     condition: '<', threshold: 5pp}\n"
        "  - {name: new domain, metric: share.domain.health, compare: change, condition: '<', threshold: 1pp}\n"
        "  - {name: tokens, metric: tokens, compare: relative_change, condition: between, threshold: [-10%, 10%]}\n",
    )
    baseline = tmp_path / "baseline.json"
    assert curate(["check", str(path), str(small_data), "-w", "1"]) == 2
    assert "pass --baseline FILE (write one with --write-baseline FILE)" in capsys.readouterr().err
    assert curate(["check", str(path), str(small_data), "-w", "1", "--write-baseline", str(baseline)]) == 0
    pinned = baseline.read_bytes()
    assert json.loads(pinned)["metrics"]["share"]["domain"] == {"science": 0.6, "sports": 0.4}
    assert curate(["check", str(path), str(small_data), "-w", "1", "--baseline", str(baseline)]) == 0

    changed = tmp_path / "changed"
    records = rows(40, domain="science") + rows(40, prefix="e", seed=1, domain="sports")
    records += rows(20, prefix="h", seed=2, domain="health")
    write_parquet(changed / "part-00000.parquet", records)
    run = run_checks(load_checks(path), str(changed), baseline=str(baseline), workers=1)
    verdicts = {result.check.name: result for result in run.results}
    assert verdicts["science stable"].status == "failed"
    assert verdicts["science stable"].baseline == 0.6 and verdicts["science stable"].value == 0.4
    assert verdicts["new domain"].status == "failed" and verdicts["new domain"].baseline == 0.0
    assert verdicts["tokens"].status == "passed"
    assert run.exit_code == 1
    assert baseline.read_bytes() == pinned  # compared, never rewritten unless asked

    baseline.write_text('{"format": "something else"}')
    assert curate(["check", str(path), str(small_data), "--baseline", str(baseline)]) == 2
    assert "not a curate check baseline" in capsys.readouterr().err


# ---- reports -----------------------------------------------------------------------------------------------


def test_junit_validates_against_both_schemas(tmp_path, small_data, shared_data, capsys):
    import xmlschema

    path = checks_file(
        tmp_path,
        '  - {name: passes, metric: empty_rate, condition: "==", threshold: 0}\n'
        '  - {name: "fails <&>", metric: share.domain.science, condition: ">", threshold: 0.9}\n'
        "  - {name: warns, metric: share.domain.sports, condition: '<', threshold: 0.1, severity: warn}\n"
        '  - {name: errors, metric: quality.mean, condition: ">", threshold: 0.5}\n'
        "  - {name: skipped, metric: tokens, compare: change, condition: '<', threshold: 10}\n",
    )
    junit, report, summary = tmp_path / "r" / "junit.xml", tmp_path / "r" / "r.json", tmp_path / "r" / "summary.md"
    arguments = ["check", str(path), str(small_data), "-w", "1", "--junit", str(junit), "--json", str(report)]
    code = curate([*arguments, "--markdown", str(summary), "--write-baseline", str(tmp_path / "b.json")])
    assert code == 1
    for schema in ("junit-10.xsd", "JUnit.xsd"):
        xmlschema.XMLSchema(str(shared_data / "junit" / schema)).validate(str(junit))
    suite = xmlschema.XMLSchema(str(shared_data / "junit" / "junit-10.xsd")).to_dict(str(junit))
    assert (suite["@tests"], suite["@failures"], suite["@errors"], suite["@skipped"]) == ("5", "2", "1", "1")
    cases = {case["@name"]: case for case in suite["testcase"]}
    assert set(cases) == {"passes", "fails <&>", "warns", "errors", "skipped"}
    [failure] = cases["fails <&>"]["failure"]
    assert failure["@type"] == "fail" and "share.domain.science = 60%" in failure["@message"]
    assert "> 90%" in failure["@message"] and "example documents:" in failure["$"] and "e0" in failure["$"]
    assert cases["warns"]["failure"][0]["@type"] == "warning"
    assert "quality_score" in cases["errors"]["error"][0]["@message"]

    data = json.loads(report.read_text())
    assert data["exit_code"] == 1 and data["counts"]["failed"] == 1 and data["counts"]["warned"] == 1
    assert data["metrics"]["values"]["documents"] == 100
    assert data["sample"]["statement"] == "every document (100 read)"
    markdown = summary.read_text()
    assert "| ❌ fail | fails <&> | `share.domain.science` | 60% |" in markdown
    assert "every document (100 read)" in markdown


# ---- bad data ----------------------------------------------------------------------------------------------


def test_unreadable_shards_are_reported_and_never_stop_the_check(tmp_path):
    data = tmp_path / "data"
    write_parquet(data / "good.parquet", rows(30))
    (data / "garbage.parquet").write_bytes(b"PAR1 this is not parquet")
    truncated = gzip.compress(b"".join(json.dumps(r).encode() + b"\n" for r in rows(20, prefix="t")))
    (data / "truncated.jsonl.gz").write_bytes(truncated[: len(truncated) // 2])
    write_jsonl(data / "malformed.jsonl", [*rows(5, prefix="m"), b"{not json", {"id": "x", "text": 7}])
    pq.write_table(
        pa.table({"id": pa.array([], pa.string()), "text": pa.array([], pa.string())}), data / "empty.parquet"
    )
    path = checks_file(tmp_path, '  - {name: readable, metric: unreadable_shards, condition: "==", threshold: 0}\n')
    for sample in (0, 20):
        run = run_checks(load_checks(path), str(data), sample=sample, workers=1)
        assert run.metrics.value("unreadable_shards") == 3, run.metrics.details["unreadable"]
        assert run.exit_code == 1
        unreadable = {entry["shard"]: entry["by_reason"] for entry in run.metrics.details["unreadable"]}
        assert set(unreadable) == {"garbage.parquet", "truncated.jsonl.gz", "malformed.jsonl"}
        assert unreadable["malformed.jsonl"] == {"malformed_json": 1, "non_string_text": 1}
        assert run.metrics.details["empty_shards"] == ["empty.parquet"]
        [result] = run.results
        assert any(example.startswith("garbage.parquet: unreadable_parquet") for example in result.examples)
    assert run.metrics.value("documents_checked") == 20


# ---- sampling ----------------------------------------------------------------------------------------------


def test_parquet_row_selection_reads_only_the_row_groups_it_needs(tmp_path):
    from datatrove.io import get_datafolder

    from curation.io.quarantine import Quarantined
    from curation.io.readers import ParquetShardReader

    path = write_parquet(tmp_path / "shard.parquet", rows(300), row_group_size=100)
    metadata = pq.read_metadata(path)
    column = metadata.row_group(1).column(1)  # the text column of the second row group
    data = bytearray(path.read_bytes())
    start = column.dictionary_page_offset or column.data_page_offset
    data[start + 20 : start + column.total_compressed_size - 20] = b"\x00" * (column.total_compressed_size - 40)
    path.write_bytes(bytes(data))
    reader = ParquetShardReader(get_datafolder(str(tmp_path)))
    chosen = reader.iter_records("shard.parquet", rows=[250, 5, 99, 200])
    assert [record.id for record in chosen] == ["d5", "d99", "d200", "d250"]
    damaged = list(reader.iter_records("shard.parquet", rows=[3, 150, 160]))
    assert damaged[0].id == "d3" and isinstance(damaged[1], Quarantined) and damaged[1].count == 2
    assert damaged[1].row == 100 and len(damaged) == 2


def test_a_sample_is_seeded_stated_and_uniform(tmp_path):
    data = tmp_path / "data"
    for shard in range(4):
        write_parquet(data / f"part-{shard}.parquet", rows(250, prefix=f"s{shard}-", seed=shard), row_group_size=64)
    path = checks_file(tmp_path, '  - {name: ok, metric: empty_rate, condition: "==", threshold: 0}\n')
    checks = load_checks(path)
    first = run_checks(checks, str(data), sample=200, seed=7, workers=1)
    again = run_checks(checks, str(data), sample=200, seed=7, workers=1)
    other = run_checks(checks, str(data), sample=200, seed=8, workers=1)
    assert first.metrics.value("documents") == 1000 and first.metrics.value("documents_checked") == 200
    assert first.sample_statement.startswith("seeded sample of 200 of 1,000 documents (--sample 200, seed 7;")
    assert "Parquet row counts" in first.sample_statement
    assert first.metrics.values == again.metrics.values
    assert first.metrics.values["tokens_per_document"] != other.metrics.values["tokens_per_document"]

    jsonl = tmp_path / "jsonl"
    for shard in range(3):
        write_jsonl(jsonl / f"part-{shard}.jsonl.gz", rows(100, prefix=f"j{shard}-", seed=shard))
    run = run_checks(checks, str(jsonl), sample=120, workers=1)
    assert run.metrics.value("documents") == 300 and run.metrics.value("documents_checked") == 120
    assert "documents counted per shard, then chosen" in run.sample_statement
    everything = run_checks(checks, str(jsonl), sample=10_000, workers=1)
    assert everything.metrics.value("documents_checked") == 300


def test_duplicate_rates_from_a_sample_estimate_the_data(tmp_path):
    records = rows(2000)
    rng = random.Random(0)
    copies = []
    for index, original in enumerate(rng.sample(records, 200)):
        copies.append({**original, "id": f"copy{index}"})
        words = original["text"].split()
        for position in rng.sample(range(len(words)), 2):  # Jaccard of word 5-grams about 0.8
            words[position] = "quite"
        copies.append({**original, "id": f"near{index}", "text": " ".join(words)})
    records += copies
    rng.shuffle(records)
    data = tmp_path / "data"
    write_parquet(data / "part-0.parquet", records[:1200])
    write_parquet(data / "part-1.parquet", records[1200:])
    path = checks_file(tmp_path, '  - {name: ok, metric: exact_duplicate_rate, condition: "<", threshold: 0.01}\n')
    checks = load_checks(path)
    full = run_checks(checks, str(data), sample=0, workers=1)
    assert full.metrics.value("exact_duplicate_rate") == pytest.approx(200 / 2400)
    assert full.results[0].status == "failed" and "copy" in " ".join(full.results[0].examples)
    sampled = run_checks(checks, str(data), sample=1200, workers=1)
    assert 0.05 < sampled.metrics.value("exact_duplicate_rate") < 0.12
    assert sampled.results[0].status == "failed"
    assert sampled.metrics.details["duplicates"]["exact"]["pairs_in_sample"] > 20
    # every original, its copy and its near copy form one cluster of three: two of them are removable
    assert full.metrics.value("near_duplicate_rate") == pytest.approx(400 / 2400, abs=0.01)
    assert sampled.metrics.value("near_duplicate_rate") > 0.1


def test_workers_do_not_change_the_metrics(tmp_path):
    data = tmp_path / "data"
    for shard in range(3):
        write_parquet(data / f"part-{shard}.parquet", rows(80, prefix=f"w{shard}-", seed=shard))
    path = checks_file(tmp_path, '  - {name: ok, metric: empty_rate, condition: "==", threshold: 0}\n', metrics="")
    checks = load_checks(path)
    one = run_checks(checks, str(data), sample=150, workers=1)
    two = run_checks(checks, str(data), sample=150, workers=2)
    assert two.workers == 2
    assert one.metrics.values == two.metrics.values and one.metrics.examples == two.metrics.examples


# ---- metrics -----------------------------------------------------------------------------------------------


def test_every_metric_of_the_catalog_is_computed(tmp_path):
    data = tmp_path / "data"
    records = rows(40, domain="science", topic_id=3, quality_score=0.8)
    records[0]["text"] = ""
    records[1]["text"] += " Write to ann.lee@example-mail.com today."
    write_parquet(data / "part-0.parquet", records)
    stage = {"name": "term_lists", "in": 40, "out": 40, "counts": {"brands_documents": 10, "brands_hits": 25}}
    (data / "summary.json").write_text(json.dumps({"totals": {"records_in": 50, "quarantined": 1, "stages": [stage]}}))
    metrics = f"""
metrics:
  language: {{expected: [en]}}
  contamination: {{texts: ["{records[2]["text"][:400]}"]}}
  shares: {{columns: [domain, topic_id]}}
  required_columns: {{id: string, text: string, domain: string, quality_score: number}}
"""
    path = checks_file(tmp_path, '  - {name: ok, metric: empty_rate, condition: ">", threshold: 0}\n', metrics=metrics)
    run = run_checks(load_checks(path), str(data), workers=1)
    examples = {
        "<language>": "en",
        "<statistic>": "p50",
        "<column>.<value>": "domain.science",
        "<stage>.<count>": "term_lists.brands_documents",
    }
    for info in CATALOG:
        name = info.name
        for pattern, value in examples.items():
            name = name.replace(pattern, value)
        assert isinstance(run.metrics.value(name), float), name
    values = run.metrics
    assert values.value("empty_rate") == 1 / 40 and values.value("pii_email_rate") == 1 / 40
    assert values.value("contamination_rate") == 1 / 40 and values.value("quarantine_rate") == 1 / 50
    assert values.value("share.topic_id.3") == 1.0 and values.value("share.domain.health") == 0.0
    assert values.value("language_share.en") == 1.0  # of the documents with text
    assert values.value("stage_count.term_lists.brands_hits") == 25
    assert values.value("stage_count_rate.term_lists.brands_documents") == 0.25
    assert run.metrics.details["language"].startswith("39 documents from column 'language'")


def test_the_language_model_catches_a_mislabelled_slice(tmp_path):
    from curation.sample import generate_sample, load_truth

    manifest = generate_sample(tmp_path / "sample", shards=1, docs_per_shard=120, seed=3)
    truth = load_truth(manifest.truth_path)
    lines = gzip.decompress(manifest.shard_paths[0].read_bytes()).split(b"\n")
    records = []
    for row in truth:
        if row["language"] and not row["is_junk"] and not row["malformed"]:
            record = json.loads(lines[row["line"] - 1])
            records.append({"id": record["id"], "text": record["text"], "language": "en"})  # every label says en
    german = sum(1 for row in truth if row["language"] == "de" and not row["is_junk"] and not row["malformed"])
    write_parquet(tmp_path / "data" / "part-0.parquet", records)
    metrics = "metrics:\n  language: {source: model, expected: [en]}\n  pii: {enabled: false}\n"
    path = checks_file(
        tmp_path, '  - {name: en, metric: unexpected_language_rate, condition: "<", threshold: 2%}\n', metrics
    )
    run = run_checks(load_checks(path), str(tmp_path / "data"), workers=1)
    assert run.exit_code == 1
    assert run.metrics.value("language_share.de") == pytest.approx(german / len(records), abs=0.02)
    assert "identified by fastText" in run.metrics.details["language"]


def test_pii_counting_uses_the_redaction_detectors_without_touching_stats():
    from curation.filters.pii import PIIRedactor

    text = "Mail bob@example.org or ann@example.net, call (212) 736-5000, server 8.8.8.8."
    redactor = PIIRedactor()
    assert redactor.count(text) == {"email": 2, "ip": 1, "phone": 1}
    assert redactor.count("nothing personal here") == {}
    assert not redactor.stats.stats
    redactor.format(text)
    assert {key: stat.total for key, stat in redactor.stats.stats.items()} == {
        "redacted_email": 2,
        "redacted_ip": 1,
        "redacted_phone": 1,
    }


def test_pii_scan_is_capped_to_a_seeded_subset(tmp_path):
    data = tmp_path / "data"
    records = rows(400)
    for record in records[::10]:
        record["text"] += " Write to ann.lee@example-mail.com today."
    write_parquet(data / "part-0.parquet", records)
    metrics = "metrics:\n  language: {source: column}\n  pii: {max_documents: 100}\n"
    path = checks_file(tmp_path, '  - {name: pii, metric: pii_rate, condition: "<", threshold: 1%}\n', metrics)
    run = run_checks(load_checks(path), str(data), workers=1)
    pii = run.metrics.details["pii"]
    assert 60 < pii["scanned"] < 140 and pii["of"] == 400 and "seeded random subset" in pii["statement"]
    assert 0.03 < run.metrics.value("pii_rate") < 0.2 and run.exit_code == 1
    assert run_checks(load_checks(path), str(data), workers=1).metrics.values == run.metrics.values
    assert np.isclose(run.metrics.value("pii_email_rate"), run.metrics.value("pii_rate"))
