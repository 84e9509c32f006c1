"""Decontamination: documents sharing a 13-word n-gram with an evaluation text are removed, with the match."""

from __future__ import annotations

import gzip
import json
import pickle

import cloudpickle
import pytest
from datatrove.data import Document

from curation import parse_recipe, run_recipe
from tests.helpers import docs, read_output_rows, write_jsonl, write_parquet

QUESTION = (
    "Which of the following best explains why the moon shows phases to an observer standing on the earth "
    "during one month of the year?"
)
PASSAGE = "The mitochondria is the powerhouse of the cell and produces most of the chemical energy needed."


def test_documents_sharing_a_long_ngram_are_dropped_with_the_match():
    from curation.dedup.decontamination import Decontaminate

    stage = Decontaminate(texts=[QUESTION, PASSAGE])
    clean = docs(5, words=60)
    leaked = Document(f"Quiz night! {QUESTION.upper()} Answer below.", "leak", {})
    reworded = Document("Which of the following best explains why the moon shows phases? Nobody knows.", "short", {})
    passage_leak = Document(
        "As every textbook says: the mitochondria is the POWERHOUSE of the cell, "
        "and produces most of the chemical energy",
        "p",
        {},
    )
    batch = [Document(r["text"], r["id"], {}) for r in clean] + [leaked, reworded, passage_leak]
    kept = list(stage.run(iter(batch)))
    assert [d.id for d in kept] == [r["id"] for r in clean] + ["short"]
    assert stage.stats["dropped_contaminated"].total == 2
    assert leaked.metadata["contamination"][0] == {
        "source": "inline:0",
        "ngram": "which of the following best explains why the moon shows phases to an",
    }
    assert leaked.metadata["contamination_count"] == len(QUESTION.split()) - 13 + 1
    assert passage_leak.metadata["contamination"][0]["source"] == "inline:1"


def test_annotate_mode_and_ngram_length():
    from curation.dedup.decontamination import Decontaminate

    stage = Decontaminate(texts=[QUESTION], ngram=5, action="annotate")
    document = Document("they asked why the moon shows phases, twice", "x", {})
    assert [d.id for d in stage.run(iter([document]))] == ["x"]
    assert document.metadata["contamination"] == [{"source": "inline:0", "ngram": "why the moon shows phases"}]


def test_evaluation_files_and_clear_errors(tmp_path):
    from curation.dedup.decontamination import Decontaminate

    write_jsonl(tmp_path / "eval.jsonl.gz", [{"id": "q1", "text": QUESTION}])
    write_parquet(tmp_path / "eval.parquet", [{"question": PASSAGE}])
    (tmp_path / "eval.txt").write_text("first line is short\n\n" + QUESTION + "\n")
    stage = Decontaminate(paths=[str(tmp_path / "eval.jsonl.gz"), str(tmp_path / "eval.txt")], text_field="text")
    document = Document(QUESTION, "d", {})
    list(stage.run(iter([document])))
    # the question is in both files; each matching n-gram names the first evaluation text that has it
    assert {m["source"] for m in document.metadata["contamination"]} == {"eval.jsonl:q1"}
    assert document.metadata["contamination_count"] == len(QUESTION.split()) - 13 + 1
    parquet_stage = Decontaminate(paths=[str(tmp_path / "eval.parquet")], text_field="question")
    assert not list(parquet_stage.run(iter([Document(PASSAGE, "p", {})])))
    with pytest.raises(ValueError, match="needs evaluation texts"):
        Decontaminate()
    with pytest.raises(ValueError, match="has 13 words or more"):
        Decontaminate(texts=["too short"])
    (tmp_path / "bad.jsonl").write_text('{"text": "ok"}\nnot json\n')
    with pytest.raises(ValueError, match=r"bad.jsonl, line 2: not JSON"):
        Decontaminate(paths=[str(tmp_path / "bad.jsonl")])
    with pytest.raises(ValueError, match="no column"):
        Decontaminate(paths=[str(tmp_path / "eval.parquet")])


def test_a_hash_hit_is_confirmed_by_the_words():
    """Forge a collision: the index claims a hash it does not hold the words for; nothing is removed."""
    from curation.dedup.decontamination import Decontaminate, ngram_hashes

    stage = Decontaminate(texts=[QUESTION])
    innocent = "completely different words that happen to be long enough to form one thirteen gram here"
    forged, _ = ngram_hashes([innocent], 13)
    stage.index.hashes[0] = forged[0]
    stage.index.hashes.sort()
    document = Document(innocent, "i", {})
    assert [d.id for d in stage.run(iter([document]))] == ["i"]
    assert "contamination" not in document.metadata


def test_stage_pickles_and_runs_in_a_recipe(tmp_path):
    from curation.dedup.decontamination import Decontaminate

    pickle.loads(cloudpickle.dumps(Decontaminate(texts=[QUESTION])))
    records = docs(6, words=60)
    records[2]["text"] += " " + QUESTION
    write_jsonl(tmp_path / "in" / "part-0.jsonl", records)
    recipe = f"""
name: decontaminate
stages:
  - stage: decontaminate
    params: {{texts: [{json.dumps(QUESTION)}], excluded_path: "{tmp_path / "excluded"}"}}
"""
    report = run_recipe(
        parse_recipe(recipe),
        input_path=str(tmp_path / "in"),
        output_path=str(tmp_path / "out"),
        workers=1,
        progress="none",
    )
    assert report.ok
    assert sorted(r["id"] for r in read_output_rows(tmp_path / "out")) == sorted(
        r["id"] for i, r in enumerate(records) if i != 2
    )
    row = next(r for r in report.summary["totals"]["stages"] if r["name"] == "decontaminate")
    assert row["dropped"] == {"contaminated": 1}
    excluded = [
        json.loads(line)
        for p in (tmp_path / "excluded").glob("*.jsonl.gz")
        for line in gzip.decompress(p.read_bytes()).splitlines()
    ]
    assert [e["id"] for e in excluded] == [records[2]["id"]]
    assert excluded[0]["metadata"]["contamination"][0]["source"] == "inline:0"
