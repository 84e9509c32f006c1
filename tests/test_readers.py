"""Each input format reads into documents with the user's ids, text field and metadata."""

from __future__ import annotations

import gzip
import io
import json

import pyarrow.parquet as pq
import pytest

from curation.io.compression import TruncatedStreamError, iter_decompressed, iter_lines
from curation.io.readers import JsonlShardReader, ParquetShardReader, Skipped, WarcShardReader
from curation.io.shards import ShardDiscoveryError, detect_format, discover_shards, strip_format_suffix
from tests.helpers import docs, read_output_rows, write_jsonl, write_parquet, write_warc


@pytest.mark.parametrize("name", ["a.jsonl", "a.jsonl.gz", "a.jsonl.zst"])
def test_jsonl_formats_round_trip_ids_text_and_metadata(tmp_path, run_recipe_yaml, name):
    records = docs(25)
    write_jsonl(tmp_path / "in" / name, records)
    report = run_recipe_yaml("stages: []\n", tmp_path / "in")
    assert report.ok
    rows = read_output_rows(tmp_path / "out")
    assert sorted((r["id"], r["text"], r["lang_hint"]) for r in rows) == sorted(
        (r["id"], r["text"], r["lang_hint"]) for r in records
    )
    assert (tmp_path / "out" / "a.parquet").is_file()


def test_parquet_input_with_custom_text_and_id_fields(tmp_path, run_recipe_yaml):
    rows = [{"doc_key": f"k{i}", "body": r["text"], "score": i / 10} for i, r in enumerate(docs(40))]
    write_parquet(tmp_path / "in" / "part.parquet", rows, row_group_size=7)
    report = run_recipe_yaml("input: {text_field: body, id_field: doc_key}\nstages: []\n", tmp_path / "in")
    assert report.ok and report.summary["totals"]["kept"] == 40
    out = pq.read_table(tmp_path / "out" / "part.parquet").to_pylist()
    assert [(r["id"], r["text"], r["score"]) for r in out] == [(r["doc_key"], r["body"], r["score"]) for r in rows]


def test_nested_metadata_object_is_flattened_like_datatrove(tmp_path):
    write_jsonl(tmp_path / "a.jsonl", [{"id": "x", "text": "t", "metadata": {"url": "u", "n": 1}, "src": "s"}])
    reader = JsonlShardReader(str(tmp_path))
    (document,) = list(reader.iter_records("a.jsonl"))
    assert document.metadata == {"url": "u", "n": 1, "src": "s"}


def test_missing_id_gets_a_stable_positional_id(tmp_path):
    write_jsonl(tmp_path / "a.jsonl", [{"text": "one"}, {"text": "two", "id": 7}])
    documents = list(JsonlShardReader(str(tmp_path)).iter_records("a.jsonl"))
    assert [d.id for d in documents] == ["a.jsonl#1", "7"]


def test_warc_keeps_html_responses_and_counts_the_rest(tmp_path, run_recipe_yaml):
    pages = [
        ("https://example.org/a", "text/html; charset=utf-8", "<html><body>Grüße aus Köln</body></html>".encode()),
        ("https://example.org/b", "text/html; charset=iso-8859-1", "<p>café crème</p>".encode("latin-1")),
        ("https://example.org/c.png", "image/png", b"\x89PNG\r\n"),
    ]
    write_warc(tmp_path / "in" / "crawl.warc.gz", pages)
    report = run_recipe_yaml("stages: []\n", tmp_path / "in")
    rows = sorted(read_output_rows(tmp_path / "out"), key=lambda r: r["url"])
    assert [r["url"] for r in rows] == ["https://example.org/a", "https://example.org/b"]
    assert "Grüße aus Köln" in rows[0]["text"] and "café crème" in rows[1]["text"]
    assert all(r["id"].startswith("<urn:uuid:") for r in rows) and all(r["date"] for r in rows)
    read = report.summary["totals"]["stages"][0]
    assert read["dropped"] == {"warc_request": 3, "non_html": 1}
    assert report.summary["totals"]["reconciled"]


def test_warc_reader_yields_skips_not_documents_for_requests(tmp_path):
    write_warc(tmp_path / "x.warc.gz", [("https://e.org/", "text/html", b"<p>hi</p>")])
    records = list(WarcShardReader(str(tmp_path)).iter_records("x.warc.gz"))
    assert isinstance(records[0], Skipped) and records[0].reason == "warc_request"


def test_real_common_crawl_warcs_read_and_reconcile(shared_data, run_recipe_yaml):
    report = run_recipe_yaml("stages: []\n", shared_data / "warc" / "commoncrawl", glob="*.warc.gz")
    totals = report.summary["totals"]
    assert report.ok and totals["reconciled"] and totals["kept"] >= 50
    assert totals["stages"][0]["dropped"]["warc_request"] > 0


def test_real_dolma_and_ccnet_jsonl_read(shared_data, run_recipe_yaml, tmp_path):
    report = run_recipe_yaml("stages: []\n", shared_data / "web")
    assert report.ok and report.summary["totals"]["kept"] == 727
    assert report.summary["totals"]["quarantined"] == 0


def test_format_detection_and_discovery(tmp_path):
    assert detect_format("x/part-1.jsonl.zst") == "jsonl"
    assert detect_format("x/part-1.warc.gz") == "warc"
    assert detect_format("x/part-1.parquet") == "parquet"
    assert detect_format("notes.txt") is None
    assert strip_format_suffix("dir/part-1.jsonl.gz", "jsonl") == "dir/part-1"
    for name in ["b/one.jsonl.gz", "a/two.parquet", "notes.txt", "_markers/x.jsonl", ".staging/y.jsonl"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"")
    from datatrove.io import get_datafolder

    shards = discover_shards(get_datafolder(str(tmp_path)))
    assert [(s.path, s.format, s.stem) for s in shards] == [
        ("a/two.parquet", "parquet", "a/two"),
        ("b/one.jsonl.gz", "jsonl", "b/one"),
    ]
    with pytest.raises(ShardDiscoveryError, match=r"input\.format"):
        discover_shards(get_datafolder(str(tmp_path)), glob="*.txt")
    with pytest.raises(ShardDiscoveryError, match="no input shards"):
        discover_shards(get_datafolder(str(tmp_path)), glob="*.csv")


def test_colliding_output_names_are_a_clear_error(tmp_path):
    from datatrove.io import get_datafolder

    write_jsonl(tmp_path / "a.jsonl", docs(1))
    write_parquet(tmp_path / "a.parquet", docs(1))
    with pytest.raises(ShardDiscoveryError, match=r"would both write output 'a'"):
        discover_shards(get_datafolder(str(tmp_path)))


def test_line_splitter_reports_offsets_and_truncation():
    data = b'{"a":1}\n{"b":2}\n' * 1000
    compressed = gzip.compress(data)
    lines = list(iter_lines(iter_decompressed(io.BytesIO(compressed), "gzip", chunk_bytes=97)))
    assert len(lines) == 2000 and lines[1] == (8, b'{"b":2}')
    seen = []
    with pytest.raises(TruncatedStreamError) as caught:
        for item in iter_lines(iter_decompressed(io.BytesIO(compressed[: len(compressed) // 2]), "gzip", 97)):
            seen.append(item)
    assert 0 < len(seen) < 2000
    assert caught.value.remainder_offset == seen[-1][0] + len(seen[-1][1]) + 1


def test_parquet_reader_reads_row_groups(tmp_path):
    write_parquet(tmp_path / "p.parquet", docs(10), row_group_size=3)
    documents = list(ParquetShardReader(str(tmp_path)).iter_records("p.parquet"))
    assert [d.id for d in documents] == [f"d{i}" for i in range(10)]


def test_fsspec_urls_for_input_and_output(tmp_path, run_recipe_yaml):
    import fsspec

    from tests.helpers import jsonl_bytes

    fs = fsspec.filesystem("memory")
    fs.pipe("/bucket/raw/part-1.jsonl", jsonl_bytes(docs(7)))
    fs.pipe("/bucket/raw/part-2.jsonl", jsonl_bytes([*docs(2, prefix="x"), b"{bad"]))
    report = run_recipe_yaml("stages: []\n", "memory://bucket/raw", "memory://bucket/curated")
    assert report.ok and report.summary["totals"]["kept"] == 9
    assert fs.exists("/bucket/curated/part-1.parquet") and fs.exists("/bucket/curated/_markers/part-2.done.json")
    quarantine = fs.cat("/bucket/curated/_quarantine/part-2.jsonl").decode()
    assert json.loads(quarantine)["source_file"].replace("///", "//") == "memory://bucket/raw/part-2.jsonl"
    again = run_recipe_yaml("stages: []\n", "memory://bucket/raw", "memory://bucket/curated")
    assert again.summary["shards"]["skipped_already_complete"] == 2
