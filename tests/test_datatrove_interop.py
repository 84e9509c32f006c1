"""datatrove's own readers and writers can be named in a recipe; our steps run in a datatrove pipeline."""

from __future__ import annotations

import gzip
import json

from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.filters import GopherRepetitionFilter

from curation.io.readers import JsonlShardReader
from curation.io.writers import ParquetShardWriter
from tests.helpers import docs, read_output_rows, write_jsonl


def test_datatrove_reader_and_writer_named_in_a_recipe(tmp_path, run_recipe_yaml):
    write_jsonl(tmp_path / "in" / "a.jsonl.gz", docs(12))
    write_jsonl(tmp_path / "in" / "b.jsonl.gz", docs(5, prefix="b"))
    report = run_recipe_yaml(
        "input: {reader: JsonlReader, reader_params: {text_key: text}}\n"
        "stages: [GopherRepetitionFilter]\n"
        "output: {writer: JsonlWriter}\n",
        tmp_path / "in",
    )
    assert report.ok and report.summary["totals"]["kept"] == 17
    assert sorted(report.summary["outputs"]) == ["a.jsonl.gz", "b.jsonl.gz"]
    lines = gzip.decompress((tmp_path / "out" / "a.jsonl.gz").read_bytes()).splitlines()
    assert sorted(json.loads(line)["id"] for line in lines) == sorted(f"d{i}" for i in range(12))


def test_our_reader_and_writer_inside_a_datatrove_executor(tmp_path):
    write_jsonl(tmp_path / "in" / "a.jsonl", [*docs(6), b"{broken"])
    executor = LocalPipelineExecutor(
        pipeline=[
            JsonlShardReader(str(tmp_path / "in")),
            GopherRepetitionFilter(),
            ParquetShardWriter(str(tmp_path / "out"), "${rank}"),
        ],
        tasks=1,
        logging_dir=str(tmp_path / "logs"),
    )
    executor.run()
    assert sorted(r["id"] for r in read_output_rows(tmp_path / "out")) == [f"d{i}" for i in range(6)]
    stats = json.loads((tmp_path / "logs" / "stats.json").read_text())
    reader_stats = stats[0]["stats"]
    quarantined = reader_stats["quarantined_malformed_json"]
    assert (quarantined["total"] if isinstance(quarantined, dict) else quarantined) == 1
