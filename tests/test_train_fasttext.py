"""fastText training through `curate train`: early stopping, the model folder, per-source metrics."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from curation.classify.card import load_card
from curation.classify.labels import LabeledExample, write_labeled
from curation.classify.labelsets import build_quality_set
from curation.classify.models import open_model, quality_scores
from curation.classify.train_cli import main as train_main
from curation.classify.training import train_classifier

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def quality_data(tmp_path_factory) -> Path:
    """Sample-corpus quality labels in two sources, so one can be held out."""
    examples = build_quality_set(None, sample_docs=500)
    relabeled = [
        LabeledExample(e.text, e.label, source="sample_a" if i % 3 else "sample_b", id=e.id)
        for i, e in enumerate(examples)
    ]
    path = tmp_path_factory.mktemp("labels") / "quality.jsonl"
    write_labeled(path, relabeled)
    return path


@pytest.fixture(scope="module")
def trained(quality_data, tmp_path_factory):
    out = tmp_path_factory.mktemp("models") / "quality"
    overrides = {"trainer": "fasttext", "hold_out_sources": ["sample_b"], "fasttext.max_epochs": 15}
    return train_classifier(REPO / "classifiers/quality", quality_data, out, overrides=overrides)


def test_model_folder_holds_the_weights_and_a_card_with_metrics(trained):
    folder = trained.model_dir
    assert (folder / "model.bin").is_file() and (folder / "card.yaml").is_file()
    card = load_card(folder)
    assert card.backend == "fasttext" and card.labels == ["low", "high"] and card.positive_label == "high"
    assert card.training["examples"]["held_out"] == {"sample_b": card.metrics["held_out"]["overall"]["n"]}
    assert "sample_b" not in card.training["examples"]["train"]
    validation = card.metrics["validation"]
    assert validation["overall"]["roc_auc"] > 0.95 and validation["overall"]["accuracy"] > 0.9
    assert set(validation["per_source"]) == {"sample_a"}
    assert card.metrics["held_out"]["per_source"]["sample_b"]["roc_auc"] > 0.9


def test_early_stopping_keeps_the_epoch_count_with_the_lowest_validation_loss(trained):
    training = trained.card.training
    history = training["history"]
    assert [h["epochs"] for h in history] == list(range(5, 5 * len(history) + 1, 5))
    best = min(history, key=lambda h: h["validation_loss"])
    assert training["epochs"] == best["epochs"]
    assert training["validation_loss"] == pytest.approx(best["validation_loss"], abs=1e-4)


def test_the_folder_scores_documents_the_way_its_card_reports(trained):
    model = open_model(str(trained.model_dir))
    good = "The committee met on Tuesday to review the budget.\n\n" + "It approved the plan after a long debate. " * 5
    junk = "Home | About | Contact | Privacy | Terms | Login | Cart | Shop\nCookie settings\nAccept all cookies"
    scores = quality_scores(model, model.predict([good, junk]))
    assert scores.shape == (2,) and 0.0 <= scores.min() <= scores.max() <= 1.0
    assert scores[0] > scores[1]


def test_scores_train_a_binned_model_whose_score_is_the_expected_value(tmp_path):
    examples = build_quality_set(None, sample_docs=300)
    scored = [LabeledExample(e.text, score=4.6 if e.label == "high" else 0.8, source="s") for e in examples]
    write_labeled(tmp_path / "scores.jsonl", scored)
    classifier = tmp_path / "edu"
    classifier.mkdir()
    (classifier / "card.yaml").write_text(
        "name: edu\nhead: regression\nscore_range: [0, 5]\nthreshold: 3\n", encoding="utf-8"
    )
    (classifier / "train.yaml").write_text("trainer: fasttext\nfasttext: {max_epochs: 10}\n", encoding="utf-8")
    report = train_classifier(classifier, tmp_path / "scores.jsonl", tmp_path / "model")
    assert report.card.labels == ["1", "5"]
    regression = report.metrics["validation"]["regression"]
    targets = [4.6 if e.label == "high" else 0.8 for e in examples]
    variance = sum((t - sum(targets) / len(targets)) ** 2 for t in targets) / len(targets)
    assert regression["binary_roc_auc"] > 0.9 and regression["mse"] < variance
    model = open_model(str(report.model_dir))
    values = quality_scores(model, model.predict([e.text for e in scored[:20]]))
    assert ((values >= 1.0) & (values <= 5.0)).all()


def test_cli_trains_and_prints_per_source_metrics(quality_data, tmp_path, capsys):
    code = train_main(
        [
            str(REPO / "classifiers/quality"),
            "--data",
            str(quality_data),
            "--trainer",
            "fasttext",
            "--no-hold-out",
            "--output",
            str(tmp_path / "m"),
            "--json",
        ]
    )
    assert code == 0
    metrics = json.loads(capsys.readouterr().out)
    assert set(metrics["validation"]["per_source"]) == {"sample_a", "sample_b"} and "held_out" not in metrics


def test_cli_reports_data_that_does_not_fit_the_card(tmp_path, capsys):
    write_labeled(tmp_path / "d.jsonl", [LabeledExample("x y z", "spam"), LabeledExample("a b c", "high")])
    code = train_main([str(REPO / "classifiers/quality"), "--data", str(tmp_path / "d.jsonl"), "-o", str(tmp_path)])
    assert code == 2
    assert "labels ['spam'] are not in the card's labels" in capsys.readouterr().err


def test_every_split_reports_the_word_count_beside_the_auc(trained):
    from curation.classify.train_cli import format_metrics

    for part in ("validation", "held_out"):
        overall = trained.card.metrics[part]["overall"]
        assert 0.0 <= overall["word_count_auc"] <= 1.0 and 0.0 <= overall["length_controlled_auc"] <= 1.0
    first = format_metrics(trained.card.metrics).splitlines()[0]
    assert "word_count_auc" in first and "length_controlled_auc" in first


def test_a_held_out_source_far_below_validation_draws_a_warning():
    from curation.classify.evaluation import source_warnings
    from curation.classify.train_cli import format_metrics

    report = {
        "validation": {"overall": {"n": 100, "accuracy": 0.95}, "per_source": {}},
        "held_out": {
            "overall": {"n": 60, "accuracy": 0.6},
            "per_source": {"wiki": {"n": 30, "accuracy": 0.22}, "news": {"n": 30, "accuracy": 0.9}},
        },
    }
    warnings = source_warnings(report)
    assert len(warnings) == 1 and "'wiki'" in warnings[0] and "training sources" in warnings[0]
    assert "WARNING" in format_metrics({**report, "warnings": warnings})
