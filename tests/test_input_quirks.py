"""Inputs as real exporters write them: byte-order marks, JSON arrays, BINARY text columns, invalid UTF-8 in
Parquet, metadata nested hundreds of levels deep, keys that collide once flattened into columns."""

from __future__ import annotations

import codecs
import json
import shutil

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from curation.io.compression import iter_lines
from curation.io.quarantine import Quarantined
from curation.io.readers import JsonlShardReader, ParquetShardReader
from curation.io.shards import discover_shards
from tests.helpers import jsonl_bytes, read_output_rows

PASSTHROUGH = "stages: []\n"


def _records(folder, name, reader_cls=JsonlShardReader):
    return list(reader_cls(str(folder)).iter_records(name))


def _quarantine_rows(out_dir):
    rows = []
    for path in sorted((out_dir / "_quarantine").glob("*.jsonl")):
        rows += [json.loads(line) for line in path.read_text().splitlines()]
    return rows


# ---- byte-order marks and wide encodings ------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".jsonl", ".jsonl.gz", ".jsonl.zst"])
def test_a_utf8_bom_costs_no_record(tmp_path, run_recipe_yaml, suffix):
    import gzip

    import zstandard

    data = codecs.BOM_UTF8 + jsonl_bytes([{"id": "a", "text": "first"}, {"id": "b", "text": "second"}])
    data = {".jsonl": data, ".jsonl.gz": gzip.compress(data), ".jsonl.zst": zstandard.compress(data)}[suffix]
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / f"export{suffix}").write_bytes(data)
    report = run_recipe_yaml(PASSTHROUGH, tmp_path / "in", strict=True)
    assert report.ok and report.summary["totals"]["quarantined"] == 0
    assert sorted(row["id"] for row in read_output_rows(tmp_path / "out")) == ["a", "b"]


def test_a_bom_inside_concatenated_files_is_ignored_and_offsets_stay_true(tmp_path):
    part = codecs.BOM_UTF8 + jsonl_bytes([{"id": "x", "text": "t"}])
    (tmp_path / "cat.jsonl").write_bytes(part + part)
    documents = _records(tmp_path, "cat.jsonl")
    assert [d.id for d in documents] == ["x", "x"]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_utf16_and_utf32_files_are_transcoded(tmp_path, encoding):
    text = '{"id": "a", "text": "Grüße 日本"}\n{"id": "b", "text": "zwei"}\n'
    data = text.encode(encoding)  # "utf-16"/"utf-32" write a BOM, the -le/-be forms none
    (tmp_path / "wide.jsonl").write_bytes(data)
    documents = _records(tmp_path, "wide.jsonl")
    assert [(d.id, d.text) for d in documents] == [("a", "Grüße 日本"), ("b", "zwei")]


def test_a_broken_utf16_file_quarantines_its_remainder(tmp_path):
    data = '{"id": "a", "text": "ok"}\n'.encode("utf-16") + b"\x00\xd8\x41"  # a lone surrogate, then a cut
    (tmp_path / "wide.jsonl").write_bytes(data)
    records = _records(tmp_path, "wide.jsonl")
    assert [getattr(r, "id", None) for r in records[:1]] == ["a"]
    assert isinstance(records[-1], Quarantined) and records[-1].reason == "corrupt_stream"


# ---- JSON arrays, .json files, files without newlines -----------------------------------------------------


def test_plain_json_files_are_discovered_not_skipped(tmp_path):
    (tmp_path / "lines.json").write_bytes(jsonl_bytes([{"text": "a"}]))
    (tmp_path / "notes.txt").write_text("not a shard")
    shards = discover_shards(_folder(tmp_path))
    assert [(s.path, s.format, s.stem) for s in shards] == [("lines.json", "jsonl", "lines")]


def test_a_curated_output_read_as_input_yields_its_shards_not_its_bookkeeping(tmp_path, run_recipe_yaml):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "part-0.jsonl").write_bytes(jsonl_bytes([{"id": "a", "text": "first"}]))
    (tmp_path / "in" / "part-1.jsonl").write_bytes(jsonl_bytes([{"id": "b", "text": "second"}]))
    assert run_recipe_yaml(PASSTHROUGH, tmp_path / "in", tmp_path / "curated").ok
    assert (tmp_path / "curated" / "summary.json").is_file()

    shards = discover_shards(_folder(tmp_path / "curated"))
    assert sorted(s.stem for s in shards) == ["part-0", "part-1"], "summary.json is not a shard of the output"
    report = run_recipe_yaml(PASSTHROUGH, tmp_path / "curated", tmp_path / "again", strict=True)
    assert report.ok
    assert sorted(r["id"] for r in read_output_rows(tmp_path / "again")) == ["a", "b"]


def test_a_json_array_file_is_read_item_by_item(tmp_path, run_recipe_yaml):
    items = [{"id": f"d{i}", "text": f"document {i}", "meta": {"n": i}} for i in range(5)]
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "dump.json").write_text(json.dumps(items, indent=2))
    (tmp_path / "in" / "flat.json").write_text(json.dumps([{"id": "f", "text": "one line"}]))
    report = run_recipe_yaml(PASSTHROUGH, tmp_path / "in", strict=True)
    assert report.ok
    rows = sorted(read_output_rows(tmp_path / "out"), key=lambda r: r["id"])
    assert [(r["id"], r["text"]) for r in rows] == [(f"d{i}", f"document {i}") for i in range(5)] + [("f", "one line")]
    assert rows[2]["meta"] == {"n": 2}


def test_json_array_items_that_are_not_objects_and_trailing_garbage_are_quarantined(tmp_path):
    (tmp_path / "a.json").write_bytes(codecs.BOM_UTF8 + b'[{"text": "ok"}, 7, {"text": "two"}] {"text": "lost"}')
    records = _records(tmp_path, "a.json")
    kinds = [(type(r).__name__, getattr(r, "reason", None), getattr(r, "row", None)) for r in records]
    assert kinds == [("Document", None, None), ("Quarantined", "not_a_json_object", 1), ("Document", None, None),
                     ("Quarantined", "malformed_json", 3)]  # fmt: skip
    assert records[0].id == "a.json#[0]" and "trailing garbage" in records[3].detail


def test_a_truncated_json_array_keeps_its_complete_items(tmp_path):
    (tmp_path / "cut.json").write_bytes(b'[{"text": "one"}, {"text": "two"}, {"text": "thr')
    records = _records(tmp_path, "cut.json")
    assert [r.text for r in records[:2]] == ["one", "two"]
    assert records[2].reason == "malformed_json" and records[2].row == 2 and len(records) == 3


def test_an_empty_json_array_is_reported(tmp_path):
    (tmp_path / "none.json").write_text("  []\n")
    (record,) = _records(tmp_path, "none.json")
    assert record.reason == "empty_file"


def test_line_splitting_is_linear_for_a_stream_without_newlines():
    """Each chunk is searched once; a 64 MiB line in 64 KiB chunks would copy ~32 GiB if it were glued per chunk."""
    import time

    chunk = b"x" * (1 << 16)

    def seconds(chunks: int) -> float:
        started = time.perf_counter()
        ((offset, line),) = list(iter_lines(iter([chunk] * chunks)))
        assert offset == 0 and len(line) == chunks * len(chunk)
        return time.perf_counter() - started

    small, large = seconds(64), seconds(1024)  # 4 MiB and 64 MiB
    assert large < max(0.05, small) * 40, (small, large)


def test_line_splitting_agrees_with_split_on_any_chunking():
    import random

    rng = random.Random(7)
    for _ in range(500):
        data = bytes(rng.choice(b"ab\n") for _ in range(rng.randint(0, 30)))
        cuts = sorted(rng.sample(range(len(data) + 1), k=min(len(data) + 1, rng.randint(0, 5))))
        chunks = [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]
        expected, offset = [], 0
        for part in data.split(b"\n")[:-1]:
            expected.append((offset, part))
            offset += len(part) + 1
        if data.split(b"\n")[-1]:
            expected.append((offset, data.split(b"\n")[-1]))
        assert list(iter_lines(iter(chunks))) == expected


# ---- Parquet text columns ---------------------------------------------------------------------------------


def test_binary_text_columns_are_decoded_and_non_utf8_rows_quarantined(tmp_path, run_recipe_yaml):
    table = pa.table(
        {
            "id": pa.array([b"r0", b"r1", b"r2", b"r3"], pa.binary()),
            "text": pa.array(["Grüße".encode(), b"plain", "caf\xe9".encode("latin-1"), None], pa.large_binary()),
            "url": pa.array([b"u0", b"u1", b"u2", b"u3"], pa.binary()),
            "blob": pa.array([b"\x00\xff", b"\x01", b"\x02", b"\x03"], pa.binary()),
        }
    )
    (tmp_path / "in").mkdir()
    pq.write_table(table, tmp_path / "in" / "export.parquet")
    report = run_recipe_yaml(PASSTHROUGH, tmp_path / "in")
    assert report.summary["totals"]["kept"] == 2 and report.summary["totals"]["reconciled"]
    rows = pq.read_table(tmp_path / "out" / "export.parquet").to_pylist()
    assert [(r["id"], r["text"], r["url"], r["blob"]) for r in rows] == [
        ("r0", "Grüße", "u0", b"\x00\xff"),
        ("r1", "plain", "u1", b"\x01"),
    ]
    quarantined = {q["row"]: q for q in _quarantine_rows(tmp_path / "out")}
    assert quarantined[2]["reason"] == "invalid_utf8" and "byte 3" in quarantined[2]["detail"]
    assert quarantined[3]["reason"] == "missing_text"


def test_invalid_utf8_in_string_columns_quarantines_only_its_rows(tmp_path, run_recipe_yaml):
    good = pa.array([b"fine", b"also fine", b"third"], pa.binary())
    bad_text = pa.array([b"fine", b"bad \xff text", b"third"], pa.binary()).view(pa.string())
    bad_meta = pa.array([b"m0", b"m1", b"m\xc3("], pa.binary()).view(pa.string())
    tags = pa.ListArray.from_arrays([0, 1, 2, 3], pa.array([b"t", b"\xfe", b"t"], pa.binary()).view(pa.string()))
    table = pa.table({"text": bad_text, "source": bad_meta, "tags": tags, "note": good.view(pa.string())})
    (tmp_path / "in").mkdir()
    pq.write_table(table, tmp_path / "in" / "s.parquet", row_group_size=2)
    report = run_recipe_yaml(PASSTHROUGH, tmp_path / "in")
    totals = report.summary["totals"]
    assert report.ok and totals["kept"] == 1 and totals["quarantined"] == 2 and totals["reconciled"]
    assert [r["note"] for r in read_output_rows(tmp_path / "out")] == ["fine"]
    quarantined = sorted(_quarantine_rows(tmp_path / "out"), key=lambda q: q["row"])
    assert [(q["row"], q["reason"]) for q in quarantined] == [(1, "invalid_utf8"), (2, "invalid_utf8")]
    assert "'text'" in quarantined[0]["detail"] and "byte 4" in quarantined[0]["detail"]
    assert "'source'" in quarantined[1]["detail"] and "byte 1" in quarantined[1]["detail"]


# ---- metadata shapes --------------------------------------------------------------------------------------


def _nested(depth: int) -> dict:
    value: object = "leaf"
    for _ in range(depth):
        value = {"k": value}
    return value  # type: ignore[return-value]


@pytest.mark.parametrize("depth", [40, 300, 2000])
def test_deeply_nested_metadata_is_kept_as_json_text_without_failing_the_shard(tmp_path, run_recipe_yaml, depth):
    line = b'{"id": "deep", "text": "nested", "deep": ' + b'{"k": ' * depth + b'"leaf"' + b"}" * depth + b"}"
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "m.jsonl").write_bytes(jsonl_bytes([{"id": "flat", "text": "x", "deep": {"k": 1}}, line]))
    report = run_recipe_yaml(PASSTHROUGH, tmp_path / "in", strict=True)
    assert report.ok and report.summary["totals"]["kept"] == 2
    rows = {r["id"]: r for r in pq.read_table(tmp_path / "out" / "m.parquet").to_pylist()}
    stored = rows["deep"]["deep"]
    assert isinstance(stored, str) and stored.startswith('{"k":{"k":') and stored.count("{") == depth


def test_deep_metadata_from_a_stage_is_written_as_text_in_both_formats(tmp_path):
    from datatrove.data import Document

    from curation.io.writers import JsonlShardWriter, ParquetShardWriter

    documents = [Document(text="t", id="a", metadata={"deep": _nested(300), "ok": {"n": 1}})]
    for writer_cls in (ParquetShardWriter, JsonlShardWriter):
        writer = writer_cls(str(tmp_path), writer_cls.__name__)
        list(writer.run(iter(documents)))
    (row,) = pq.read_table(tmp_path / "ParquetShardWriter.parquet").to_pylist()
    assert row["ok"] == {"n": 1} and json.loads(row["deep"]) == _nested(300)
    import gzip

    (line,) = gzip.decompress((tmp_path / "JsonlShardWriter.jsonl.gz").read_bytes()).splitlines()
    assert json.loads(line)["deep"] == json.dumps(_nested(300), separators=(",", ":"))


def test_keys_colliding_once_flattened_get_distinct_readable_columns(tmp_path, run_recipe_yaml):
    records = [
        {"id": "c1", "text": "outer", "metadata": {"id": "inner", "text": "inner text"}, "metadata.id": "literal",
         "metadata.metadata.id": "deeper"},
        {"id": "c2", "text": "second", "metadata.text": "literal text", "metadata.url": "from json_normalize"},
    ]  # fmt: skip
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "c.jsonl").write_bytes(jsonl_bytes(records))
    report = run_recipe_yaml(PASSTHROUGH, tmp_path / "in", strict=True)
    assert report.ok
    table = pq.read_table(tmp_path / "out" / "c.parquet")
    assert len(set(table.column_names)) == len(table.column_names)
    first = table.to_pylist()[0]
    assert (first["metadata.id"], first["metadata.metadata.id"], first["metadata.metadata.metadata.id"]) == (
        "inner", "literal", "deeper")  # fmt: skip
    second = table.to_pylist()[1]
    assert first["metadata.text"] == "inner text" and second["metadata.metadata.text"] == "literal text"
    assert second["metadata.url"] == "from json_normalize"  # a key that collides with nothing keeps its name


def test_colliding_keys_survive_a_global_stage_unchanged(tmp_path, run_recipe_yaml):
    """Intermediate shards are read back with their column names mapped to the original keys."""
    records = [{"id": "c1", "text": "alpha beta gamma", "metadata": {"id": "inner"}, "metadata.id": "literal"}]
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "c.jsonl").write_bytes(jsonl_bytes(records))
    report = run_recipe_yaml("stages: [exact_dedup]\n", tmp_path / "in", strict=True)
    assert report.ok
    (row,) = pq.read_table(tmp_path / "out" / "c.parquet").to_pylist()
    assert (row["metadata.id"], row["metadata.metadata.id"]) == ("inner", "literal")


def _folder(path):
    from datatrove.io import get_datafolder

    return get_datafolder(str(path))


# ---- the recorded failure cases ---------------------------------------------------------------------------


def _run_case(shared_data, tmp_path, run_recipe_yaml, case: str, **kwargs):
    source = shared_data / "bugs" / case
    if not source.is_dir():
        pytest.skip(f"{source} is not available")
    recipe = (source / "recipe.yaml").read_text() if (source / "recipe.yaml").exists() else PASSTHROUGH
    inputs = tmp_path / "in"
    shutil.copytree(source, inputs, ignore=shutil.ignore_patterns("recipe.yaml"))
    return run_recipe_yaml(recipe, inputs, **kwargs)


def test_case_jsonl_bom(shared_data, tmp_path, run_recipe_yaml):
    report = _run_case(shared_data, tmp_path, run_recipe_yaml, "jsonl-bom", strict=True)
    assert report.ok and report.summary["totals"]["kept"] == 2


def test_case_parquet_binary_text(shared_data, tmp_path, run_recipe_yaml):
    report = _run_case(shared_data, tmp_path, run_recipe_yaml, "parquet-binary-text")
    totals = report.summary["totals"]
    assert report.ok and totals["reconciled"] and totals["quarantined_by_reason"] == {"invalid_utf8": 1,
                                                                                       "missing_text": 1}  # fmt: skip
    rows = read_output_rows(tmp_path / "out")
    assert {r["id"] for r in rows} == {"b1", "b2"} and all(isinstance(r["text"], str) for r in rows)
    assert "Öffnungszeiten" in next(r["text"] for r in rows if r["id"] == "b1")


def test_case_parquet_invalid_utf8(shared_data, tmp_path, run_recipe_yaml):
    report = _run_case(shared_data, tmp_path, run_recipe_yaml, "parquet-invalid-utf8")
    assert report.ok and report.summary["totals"]["kept"] == 3
    (quarantined,) = _quarantine_rows(tmp_path / "out")
    assert (quarantined["reason"], quarantined["row"]) == ("invalid_utf8", 3)


def test_case_deep_metadata(shared_data, tmp_path, run_recipe_yaml):
    report = _run_case(shared_data, tmp_path, run_recipe_yaml, "deep-metadata", strict=True)
    assert report.ok and report.summary["totals"]["kept"] == 2


def test_case_duplicate_column_names(shared_data, tmp_path, run_recipe_yaml):
    report = _run_case(shared_data, tmp_path, run_recipe_yaml, "duplicate-column-names", strict=True)
    assert report.ok
    (path,) = (tmp_path / "out").glob("*.parquet")
    (row,) = pq.read_table(path).to_pylist()
    assert row["metadata.id"] == "inner-id" and row["metadata.metadata.id"] == "literal"


def test_case_all_filtered_before_dedup(shared_data, tmp_path, run_recipe_yaml):
    report = _run_case(shared_data, tmp_path, run_recipe_yaml, "all-filtered-before-dedup", strict=True)
    totals = report.summary["totals"]
    assert report.ok and totals["reconciled"] and totals["quarantined"] == 0 and totals["kept"] == 0
    assert not (tmp_path / "out" / "_quarantine").exists()


def test_a_shard_emptied_before_a_global_stage_reconciles_beside_others(tmp_path, run_recipe_yaml):
    from tests.helpers import docs, write_jsonl

    write_jsonl(tmp_path / "in" / "kept.jsonl", docs(4, prefix="k"))
    write_jsonl(tmp_path / "in" / "gone.jsonl", [{"id": "g", "text": "short"}])
    recipe = "stages:\n  - stage: GopherQualityFilter\n  - exact_dedup\n"
    report = run_recipe_yaml(recipe, tmp_path / "in", strict=True)
    totals = report.summary["totals"]
    assert report.ok and totals["reconciled"] and totals["quarantined"] == 0 and totals["kept"] == 4


def test_parquet_reader_used_directly_reads_a_binary_column(tmp_path):
    pq.write_table(pa.table({"text": pa.array([b"abc"], pa.binary())}), tmp_path / "b.parquet")
    (document,) = _records(tmp_path, "b.parquet", ParquetShardReader)
    assert document.text == "abc"
