"""Output writers: Parquet columns from metadata, schema growth midway, JSONL, safe templated names."""

from __future__ import annotations

import gzip
import json

import pyarrow.parquet as pq
import pytest
from datatrove.data import Document

from curation.io.writers import JsonlShardWriter, ParquetShardWriter, safe_path_component
from tests.helpers import docs, read_output_rows, write_jsonl


def write_all(writer, documents):
    for _ in writer.run(iter(documents)):
        pass


def test_metadata_columns_that_appear_and_change_type_midway(tmp_path):
    documents = [Document(text=f"t{i}", id=f"{i}", metadata={"n": i}) for i in range(5)]
    documents += [Document(text="late", id="late", metadata={"n": 2.5, "new": {"k": [1, 2]}, "id": "clash"})]
    writer = ParquetShardWriter(str(tmp_path), "shard", batch_rows=2)
    write_all(writer, documents)
    table = pq.read_table(tmp_path / "shard.parquet")
    assert table.column_names == ["id", "text", "n", "new", "metadata.id"]
    rows = table.to_pylist()
    assert [r["n"] for r in rows] == [0, 1, 2, 3, 4, 2.5]
    assert rows[-1]["new"] == {"k": [1, 2]} and rows[-1]["metadata.id"] == "clash" and rows[0]["new"] is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shard.parquet"], "no part or temp files left"


def test_mixed_types_in_one_batch_become_text_not_a_crash(tmp_path):
    documents = [Document(text="a", id="1", metadata={"v": 1}), Document(text="b", id="2", metadata={"v": "x"})]
    writer = ParquetShardWriter(str(tmp_path), "shard")
    write_all(writer, documents)
    assert [r["v"] for r in pq.read_table(tmp_path / "shard.parquet").to_pylist()] == ["1", "x"]
    assert writer.stats["json_encoded_column_v"].total == 1


def test_parquet_output_is_zstd_by_default(tmp_path):
    write_all(ParquetShardWriter(str(tmp_path), "s"), [Document(text="x", id="1")])
    metadata = pq.ParquetFile(tmp_path / "s.parquet").metadata
    assert metadata.row_group(0).column(0).compression == "ZSTD"


def test_jsonl_output_on_request(tmp_path, run_recipe_yaml):
    write_jsonl(tmp_path / "in" / "a.jsonl", docs(5))
    report = run_recipe_yaml("stages: []\noutput: {format: jsonl}\n", tmp_path / "in")
    assert report.ok and (tmp_path / "out" / "a.jsonl.gz").is_file()
    lines = gzip.decompress((tmp_path / "out" / "a.jsonl.gz").read_bytes()).splitlines()
    assert [json.loads(line)["id"] for line in lines] == [f"d{i}" for i in range(5)]
    assert json.loads(lines[0])["lang_hint"] == "en"


@pytest.mark.parametrize(
    "label",
    [
        "../x",
        "../../etc/passwd",
        "/abs/path",
        "a/../../b",
        "nul\x00byte",
        "..",
        ".",
        "",
        "x" * 5000,
        "\\win\\dir",
        "C:\\evil",
        "_markers",
        ".staging",
    ],
)
def test_hostile_labels_never_escape_the_output_folder(tmp_path, label):
    out = tmp_path / "out"
    writer = ParquetShardWriter(str(out), "${domain}/shard")
    write_all(writer, [Document(text="x", id="1", metadata={"domain": label})])
    (written,) = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert written.resolve().is_relative_to(out.resolve())
    relative = written.relative_to(out)
    assert len(relative.parts) == 2 and relative.parts[1] == "shard.parquet"
    assert not relative.parts[0].startswith((".", "_")) and len(relative.parts[0].encode()) <= 96


def test_safe_path_component_keeps_distinct_long_labels_distinct():
    assert safe_path_component("a" * 500 + "1") != safe_path_component("a" * 500 + "2")
    assert safe_path_component("science") == "science"
    assert safe_path_component(None) == "unknown"


def test_routing_by_metadata_writes_one_file_per_value_per_shard(tmp_path, run_recipe_yaml):
    records = docs(6)
    for i, record in enumerate(records):
        record["topic"] = ["a", "b", "../evil"][i % 3]
        record["token_count"] = 10 * (i + 1)
    write_jsonl(tmp_path / "in" / "s1.jsonl", records)
    write_jsonl(tmp_path / "in" / "s2.jsonl", [{**records[0], "id": "other"}])
    report = run_recipe_yaml("stages: []\noutput: {filename: '${topic}/${shard}'}\n", tmp_path / "in")
    assert report.ok
    assert sorted(report.summary["outputs"]) == ["a/s1.parquet", "a/s2.parquet", "b/s1.parquet", "evil/s1.parquet"]
    assert len(read_output_rows(tmp_path / "out")) == 7
    assert report.summary["routes"] == {
        "a": {"files": 2, "documents": 3, "tokens": 10 + 40 + 10},
        "b": {"files": 1, "documents": 2, "tokens": 20 + 50},
        "evil": {"files": 1, "documents": 2, "tokens": 30 + 60},
    }


def test_shard_whose_documents_are_all_dropped_still_gets_an_empty_output(tmp_path, run_recipe_yaml):
    write_jsonl(tmp_path / "in" / "spam.jsonl", [{"id": str(i), "text": "buy now " * 50} for i in range(4)])
    report = run_recipe_yaml("stages: [GopherRepetitionFilter]\n", tmp_path / "in")
    assert report.summary["totals"]["kept"] == 0
    assert pq.read_table(tmp_path / "out" / "spam.parquet").num_rows == 0


def test_jsonl_writer_atomic_rename(tmp_path):
    writer = JsonlShardWriter(str(tmp_path), "s", compression="zstd")
    documents = iter([Document(text="x", id="1")])
    generator = writer.run(documents)
    next(generator)
    assert not (tmp_path / "s.jsonl.zst").exists(), "not visible before the file is complete"
    for _ in generator:
        pass
    assert (tmp_path / "s.jsonl.zst").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["s.jsonl.zst"]
