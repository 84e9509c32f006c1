"""The ``model_outputs`` stage: outputs in metadata, in a real recipe run, in order, picklable, counted."""

from __future__ import annotations

from pathlib import Path

import cloudpickle
import numpy as np
import pytest
from datatrove.data import Document

from curation.inference.options import OptionsError
from curation.inference.stage import ModelOutputs
from curation.inference.synthetic import save_random_model, train_tokenizer
from curation.recipe.registry import check_params, resolve_stage_class
from tests.helpers import docs, read_output_rows, write_jsonl
from tests.test_inference_engine import (
    mixed_texts,
    one_torch_thread_per_engine,  # noqa: F401  (autouse fixture)
    reference_outputs,
    reference_rows,
    softmax,
    tiny_roberta,
)


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> dict[str, Path]:
    tokenizer = train_tokenizer([d["text"] for d in docs(60, words=120, seed=8)], vocab_size=300, kind="bpe")
    root = tmp_path_factory.mktemp("stage_models")
    return {
        "classifier": save_random_model(root / "classifier", tiny_roberta(2), tokenizer, "classify", seed=1),
        "regressor": save_random_model(root / "regressor", tiny_roberta(1), tokenizer, "classify", seed=2),
        "encoder": save_random_model(root / "encoder", tiny_roberta(), tokenizer, "embed", seed=3),
    }


def _documents(texts: list[str]) -> list[Document]:
    return [Document(text=text, id=f"doc-{i}") for i, text in enumerate(texts)]


def test_outputs_land_in_each_documents_metadata_in_order(models):
    texts = mixed_texts()
    stage = ModelOutputs(
        str(models["classifier"]),
        model_name="quality",
        decimals=None,
        device="cpu",
        precision="fp32",
        window=7,
        max_length=48,
    )
    kept = list(stage.run(iter(_documents(texts))))

    assert [d.id for d in kept] == [f"doc-{i}" for i in range(len(texts))]
    expected = softmax(reference_outputs(models["classifier"], reference_rows(models["classifier"], texts, 48)))
    probabilities = np.array([d.metadata["quality_probabilities"] for d in kept])
    np.testing.assert_allclose(probabilities, expected, atol=2e-5)
    assert [d.metadata["quality_label"] for d in kept] == [f"LABEL_{i}" for i in expected.argmax(axis=1)]
    assert stage.stats["documents"].total == len(texts)
    assert stage.stats["truncated"].total >= 3  # the very long documents


def test_several_models_share_one_pass_and_write_their_own_fields(models):
    stage = ModelOutputs(
        [
            {"path": str(models["classifier"]), "name": "quality", "outputs": ["label"]},
            {"path": str(models["regressor"]), "name": "edu"},
            {"path": str(models["encoder"]), "name": "topic", "normalize_embeddings": True},
        ],
        device="cpu",
        precision="fp32",
        decimals=4,
    )
    (document,) = stage.run(iter(_documents(["The river runs through the old valley."])))
    assert set(document.metadata) == {"quality_label", "edu_score", "topic_embedding"}
    assert isinstance(document.metadata["edu_score"], float)
    assert round(document.metadata["edu_score"], 4) == document.metadata["edu_score"]
    assert np.linalg.norm(document.metadata["topic_embedding"]) == pytest.approx(1.0, abs=1e-3)


def test_a_document_without_string_text_is_dropped_with_a_reason(models):
    stage = ModelOutputs(str(models["regressor"]), device="cpu", precision="fp32")
    documents = _documents(["first", "second", "third"])
    documents[1].text = None
    kept = list(stage.run(iter(documents)))
    assert [d.id for d in kept] == ["doc-0", "doc-2"]
    assert stage.stats["dropped_non_string_text"].total == 1


def test_the_stage_travels_to_workers_without_its_models(models):
    stage = ModelOutputs(str(models["encoder"]), device="cpu", precision="fp32")
    payload = cloudpickle.dumps(stage)
    assert len(payload) < 50_000  # the weights do not travel
    copy = cloudpickle.loads(payload)
    (document,) = copy.run(iter(_documents(["a small test"])))
    assert len(document.metadata["model_embedding"]) == 32


def test_recipe_parameters_are_checked_against_the_signature():
    cls = resolve_stage_class("model_outputs")
    assert cls is ModelOutputs
    problems = check_params(cls, {"model": "x", "precision": "int3", "window": "big", "colour": 1})
    assert {p.param for p in problems} == {"precision", "window", "colour"}
    assert not check_params(cls, {"model": [{"path": "a", "name": "b"}], "long_documents": "chunk"})


def test_bad_model_lists_are_refused():
    with pytest.raises(OptionsError, match="needs 'path'"):
        ModelOutputs([{"name": "x"}], device="cpu", precision="fp32")
    with pytest.raises(OptionsError, match="unknown: colour"):
        ModelOutputs([{"path": "x", "colour": "red"}], device="cpu", precision="fp32")


RECIPE = """
version: 1
name: scores
stages:
  - stage: model_outputs
    params:
      model: {model}
      model_name: quality
      device: cpu
      max_batch_tokens: 512
output:
  format: jsonl
"""


def test_recipe_run_writes_scores_and_counts_reconcile(models, run_recipe_yaml, tmp_path):
    shards = tmp_path / "in"
    write_jsonl(shards / "a.jsonl", docs(25, prefix="a", words=60, seed=1))
    write_jsonl(shards / "b.jsonl", [*docs(10, prefix="b", words=300, seed=2), b"{not json"])
    report = run_recipe_yaml(RECIPE.format(model=models["classifier"]), shards, tmp_path / "out")

    rows = read_output_rows(tmp_path / "out")
    assert len(rows) == 35
    assert all(len(r["quality_probabilities"]) == 2 and r["quality_label"] in {"LABEL_0", "LABEL_1"} for r in rows)
    totals = report.summary["totals"]
    assert totals["kept"] == 35 and totals["quarantined"] == 1


@pytest.mark.slow
def test_two_worker_processes_each_load_the_model_once(models, run_recipe_yaml, tmp_path):
    shards = tmp_path / "in"
    for name in "abcd":
        write_jsonl(shards / f"{name}.jsonl", docs(8, prefix=name, words=40, seed=ord(name)))
    report = run_recipe_yaml(RECIPE.format(model=models["classifier"]), shards, tmp_path / "out", workers=2)
    rows = read_output_rows(tmp_path / "out")
    assert len(rows) == 32 and all("quality_probabilities" in r for r in rows)
    assert report.summary["totals"]["kept"] == 32


def test_other_engine_options_pass_through_and_are_checked(models):
    stage = ModelOutputs(str(models["regressor"]), device="cpu", engine_options={"max_padding": 0.0, "autocast": True})
    assert stage.engine.max_padding == 0.0 and stage.options.autocast
    with pytest.raises(OptionsError, match="unknown colour"):
        ModelOutputs(str(models["regressor"]), device="cpu", engine_options={"colour": 1})
    with pytest.raises(OptionsError, match="parameter of the stage itself"):
        ModelOutputs(str(models["regressor"]), device="cpu", engine_options={"device": "cpu"})


@pytest.mark.slow
def test_a_run_with_a_model_process_writes_what_in_process_workers_write(models, run_recipe_yaml, tmp_path):
    shards = tmp_path / "in"
    for name in "abc":
        write_jsonl(shards / f"{name}.jsonl", docs(12, prefix=name, words=80, seed=ord(name)))
    recipe = RECIPE.format(model=models["classifier"])
    in_process = recipe.replace("output:", "      engine_options: {model_process: false}\noutput:")
    remote = recipe.replace("output:", "      engine_options: {model_process: true}\noutput:")
    run_recipe_yaml(in_process, shards, tmp_path / "local", workers=2)
    report = run_recipe_yaml(remote, shards, tmp_path / "remote", workers=2)
    expected = {r["id"]: r["quality_probabilities"] for r in read_output_rows(tmp_path / "local")}
    rows = read_output_rows(tmp_path / "remote")
    assert [r["id"] for r in rows] == [r["id"] for r in read_output_rows(tmp_path / "local")]
    assert len(rows) == 36 and report.summary["totals"]["kept"] == 36
    for row in rows:
        np.testing.assert_allclose(row["quality_probabilities"], expected[row["id"]], atol=1e-5)
