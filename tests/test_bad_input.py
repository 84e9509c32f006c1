"""Bad input is quarantined with file, position and reason; the run goes on; counts reconcile."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import zstandard

from curation.cli import main as curate
from tests.helpers import docs, jsonl_bytes, read_output_rows, write_jsonl, write_parquet


def quarantine_records(out: Path) -> list[dict]:
    records = []
    for path in sorted((out / "_quarantine").rglob("*.jsonl")):
        records += [json.loads(line) for line in path.read_text().splitlines()]
    return records


def assert_reconciles(summary: dict) -> None:
    totals = summary["totals"]
    assert totals["records_in"] == totals["kept"] + totals["dropped"] + totals["quarantined"]
    assert totals["reconciled"]
    for marker in summary["outputs"]:
        assert marker


def run_bad(run_recipe_yaml, tmp_path: Path, **kwargs):
    report = run_recipe_yaml("stages: [GopherRepetitionFilter]\n", tmp_path / "in", **kwargs)
    assert_reconciles(report.summary)
    return report, quarantine_records(tmp_path / "out")


def test_malformed_json_line_is_quarantined_with_line_and_offset(tmp_path, run_recipe_yaml):
    good = docs(3)
    write_jsonl(tmp_path / "in" / "a.jsonl.gz", [good[0], b'{"id": "x", "text": "unterminated', good[1], good[2]])
    report, quarantined = run_bad(run_recipe_yaml, tmp_path)
    assert report.ok
    (record,) = quarantined
    assert record["reason"] == "malformed_json" and record["line"] == 2
    assert record["source_file"].endswith("in/a.jsonl.gz")
    assert record["byte_offset"] == len(jsonl_bytes([good[0]]))
    assert "unterminated" in record["snippet"]
    assert sorted(r["id"] for r in read_output_rows(tmp_path / "out")) == ["d0", "d1", "d2"]


def test_invalid_utf8_line_is_quarantined(tmp_path, run_recipe_yaml):
    good = docs(2)
    write_jsonl(tmp_path / "in" / "a.jsonl", [good[0], b'{"id": "bad", "text": "caf\xe9 \xff"}', good[1]])
    report, quarantined = run_bad(run_recipe_yaml, tmp_path)
    assert [(q["reason"], q["line"]) for q in quarantined] == [("invalid_utf8", 2)]
    assert report.summary["totals"]["quarantined_by_reason"] == {"invalid_utf8": 1}


def test_missing_and_non_string_text_fields(tmp_path, run_recipe_yaml):
    good = docs(2)
    write_jsonl(
        tmp_path / "in" / "a.jsonl",
        [
            good[0],
            {"id": "no-text", "body": "x"},
            {"id": "num", "text": 42},
            {"id": "nul", "text": None},
            {"id": "list", "text": ["a"]},
            [1, 2],
            good[1],
        ],
    )
    report, quarantined = run_bad(run_recipe_yaml, tmp_path)
    reasons = [(q.get("record_id"), q["reason"], q["line"]) for q in quarantined]
    assert reasons == [
        ("no-text", "missing_text", 2),
        ("num", "non_string_text", 3),
        ("nul", "missing_text", 4),
        ("list", "non_string_text", 5),
        (None, "not_a_json_object", 6),
    ]
    assert report.summary["totals"]["kept"] == 2


def test_truncated_gzip_keeps_complete_lines_and_quarantines_the_rest(tmp_path, run_recipe_yaml):
    records = docs(400)
    compressed = gzip.compress(jsonl_bytes(records))
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "cut.jsonl.gz").write_bytes(compressed[: len(compressed) * 2 // 3])
    report, quarantined = run_bad(run_recipe_yaml, tmp_path)
    (record,) = quarantined
    kept = report.summary["totals"]["kept"]
    assert record["reason"] == "truncated_stream" and record["line"] == kept + 1
    assert 100 < kept < 400
    assert record["byte_offset"] == len(jsonl_bytes(records[:kept]))


def test_truncated_zstd_is_quarantined(tmp_path, run_recipe_yaml):
    compressed = zstandard.ZstdCompressor().compress(jsonl_bytes(docs(3000)))
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "cut.jsonl.zst").write_bytes(compressed[: len(compressed) // 2])
    report, quarantined = run_bad(run_recipe_yaml, tmp_path)
    assert [q["reason"] for q in quarantined] == ["truncated_stream"]
    assert 0 < report.summary["totals"]["kept"] < 3000


def test_corrupt_gzip_is_quarantined(tmp_path, run_recipe_yaml):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "junk.jsonl.gz").write_bytes(b"this is not gzip at all" * 10)
    write_jsonl(tmp_path / "in" / "fine.jsonl.gz", docs(3))
    report, quarantined = run_bad(run_recipe_yaml, tmp_path)
    assert [q["reason"] for q in quarantined] == ["corrupt_stream"]
    assert report.summary["totals"]["kept"] == 3


def test_empty_files_are_quarantined(tmp_path, run_recipe_yaml):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "zero.jsonl").write_bytes(b"")
    (tmp_path / "in" / "zero.jsonl.gz").write_bytes(b"")  # two stems would collide: keep names distinct
    (tmp_path / "in" / "zero.jsonl.gz").rename(tmp_path / "in" / "empty-gz.jsonl.gz")
    (tmp_path / "in" / "blank.jsonl.gz").write_bytes(gzip.compress(b""))
    (tmp_path / "in" / "nothing.parquet").write_bytes(b"")
    pq.write_table(
        pa.table({"id": pa.array([], pa.string()), "text": pa.array([], pa.string())}),
        tmp_path / "in" / "norows.parquet",
    )
    report, quarantined = run_bad(run_recipe_yaml, tmp_path)
    assert sorted((Path(q["source_file"]).name, q["reason"]) for q in quarantined) == [
        ("blank.jsonl.gz", "empty_file"),
        ("empty-gz.jsonl.gz", "empty_file"),
        ("norows.parquet", "empty_file"),
        ("nothing.parquet", "empty_file"),
        ("zero.jsonl", "empty_file"),
    ]
    assert report.ok and report.summary["shards"]["completed"] == 5


def test_unreadable_parquet_and_missing_text_column(tmp_path, run_recipe_yaml):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "garbage.parquet").write_bytes(b"PAR1" + b"\x00" * 100 + b"not parquet")
    write_parquet(tmp_path / "in" / "notext.parquet", [{"id": str(i), "body": "x"} for i in range(9)])
    write_parquet(tmp_path / "in" / "good.parquet", docs(4))
    report, quarantined = run_bad(run_recipe_yaml, tmp_path)
    by_file = {Path(q["source_file"]).name: q for q in quarantined}
    assert by_file["garbage.parquet"]["reason"] == "unreadable_parquet"
    assert by_file["notext.parquet"]["reason"] == "missing_text" and by_file["notext.parquet"]["count"] == 9
    totals = report.summary["totals"]
    assert totals["kept"] == 4 and totals["quarantined"] == 1 + 9


def test_parquet_rows_with_null_or_non_string_text(tmp_path, run_recipe_yaml):
    write_parquet(tmp_path / "in" / "mixed.parquet", [{"id": "a", "text": "fine words"}, {"id": "b", "text": None}])
    _, quarantined = run_bad(run_recipe_yaml, tmp_path)
    assert [(q["record_id"], q["reason"], q["row"]) for q in quarantined] == [("b", "missing_text", 1)]


def test_all_bad_cases_in_one_run_reconcile_per_shard_and_strict_exits_nonzero(tmp_path):
    good = docs(10)
    write_jsonl(tmp_path / "in" / "a.jsonl", [*good[:5], b"{oops", b"\xff\xfe", {"id": 1}])
    write_jsonl(tmp_path / "in" / "b.jsonl.gz", good[5:])
    (tmp_path / "in" / "c.jsonl").write_bytes(b"")
    recipe = tmp_path / "r.yaml"
    recipe.write_text("name: strict\nstages: [GopherRepetitionFilter]\n")
    out = tmp_path / "out"
    assert curate(["run", str(recipe), "-i", str(tmp_path / "in"), "-o", str(out), "-q"]) == 0
    assert curate(["run", str(recipe), "-i", str(tmp_path / "in"), "-o", str(out), "-q", "--strict"]) == 3
    summary = json.loads((out / "summary.json").read_text())
    assert_reconciles(summary)
    assert summary["totals"]["quarantined_by_reason"] == {
        "malformed_json": 1,
        "invalid_utf8": 1,
        "missing_text": 1,
        "empty_file": 1,
    }
    for marker_path in (out / "_markers").glob("*.done.json"):
        result = json.loads(marker_path.read_text())["result"]
        assert result["reconciled"]
        assert result["records_in"] == result["kept"] + sum(result["dropped"].values()) + sum(
            result["quarantined"].values()
        )
