"""The combined quality score: logistic regression over signals, cross-validated, saved as JSON, run by
quality_score; and the length-controlled AUC that tells what a scorer knows beyond length."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from datatrove.data import Document

from curation.classify.combiner import (
    COMBINER_FILE,
    CombinerError,
    QualityCombiner,
    cross_validated_report,
    out_of_fold,
)
from curation.classify.compare import WORD_COUNT, compare_scorers, render_comparison
from curation.classify.metrics import length_buckets, length_controlled_auc, roc_auc
from curation.classify.quality import QualityScore
from curation.classify.training import train_classifier
from tests.lm_models import save_tiny_llama

GOOD = [
    "The committee met on Tuesday to review the budget for the coming year. After a long debate, the members "
    "approved the plan, which raises spending on schools and roads while keeping taxes unchanged.",
    "Rain fell across the valley for three days, and the river rose until the old bridge closed. Farmers moved "
    "their animals to higher ground, and the town opened its school as a shelter for families.",
    "The museum's new wing shows tools from the region's first settlements, with notes on how each was made, "
    "what it was used for, and where in the valley it was found by the archaeologists.",
]
BAD = [
    "Home | About | Contact | Privacy | Terms | Login | Cart",
    "BUY NOW!!! CHEAP PILLS!!! BEST PRICE!!! CLICK HERE!!! FREE SHIPPING!!!",
    "Accept cookies\nCookie settings\nReject all\n© 2024",
]


def _labelled(rng: np.random.Generator, n: int) -> tuple[list[str], list[str]]:
    texts, labels = [], []
    for i in range(n):
        good = i % 2 == 0
        pool = GOOD if good else BAD
        pieces = [pool[j] for j in rng.integers(0, len(pool), size=int(rng.integers(1, 4)))]
        texts.append(" ".join(pieces) if good else "\n".join(pieces))
        labels.append("1" if good else "0")
    return texts, labels


def test_length_controlled_auc_sees_through_a_scorer_that_only_measures_length():
    rng = np.random.default_rng(0)
    lengths = rng.integers(10, 2000, size=800)
    buckets = length_buckets(lengths)
    truth = (buckets >= 2).astype(int)  # long documents are good, nothing else matters
    flip = rng.random(800) < 0.1
    truth = np.where(flip, 1 - truth, truth)
    assert roc_auc(truth, lengths) > 0.8
    assert abs(length_controlled_auc(truth, lengths, buckets) - 0.5) < 0.1, "within a bucket, length is no help"
    knows_quality = truth + rng.normal(0, 0.5, 800)
    assert length_controlled_auc(truth, knows_quality, buckets) > 0.8


def test_comparison_puts_the_word_count_beside_every_scorer():
    rng = np.random.default_rng(1)
    truth = rng.integers(0, 2, 200)
    words = rng.integers(20, 900, 200) + 200 * truth
    scores = {"good scorer": truth + rng.normal(0, 0.7, 200), "noise": rng.random(200)}
    report = compare_scorers(truth, scores, {"good scorer": 0.5, "noise": 0.5}, words, rounds=200)
    assert next(iter(report["scorers"])) == WORD_COUNT
    good = report["scorers"]["good scorer"]
    assert good["minus_word_count_auc"]["difference"] > 0 and good["length_controlled_auc"] > 0.7
    assert abs(report["scorers"]["noise"]["length_controlled_auc"] - 0.5) < 0.15
    table = render_comparison(report)
    assert "len-ctrl AUC" in table and "AUC - words" in table and WORD_COUNT in table


def test_out_of_fold_scores_come_from_models_that_never_saw_the_document():
    rng = np.random.default_rng(2)
    features = rng.normal(size=(120, 30))  # noise: only memorising could score it
    truth = rng.integers(0, 2, 120)
    in_sample = QualityCombiner(C=100.0).fit(features, truth).predict_proba(features)
    assert roc_auc(truth, in_sample) > 0.8, "a model scoring its own training documents looks good"
    held_out, per_repeat = out_of_fold(features, truth, folds=5, repeats=3, C=100.0)
    assert roc_auc(truth, held_out) < 0.65 and len(per_repeat) == 3


def test_a_combiner_of_length_alone_is_flagged():
    rng = np.random.default_rng(3)
    words = rng.integers(10, 3000, 300).astype(float)
    truth = (words > np.median(words)).astype(int)
    truth = np.where(rng.random(300) < 0.15, 1 - truth, truth)
    report, _ = cross_validated_report(np.log1p(words)[:, None], truth, words, rounds=200)
    assert report["roc_auc"] > 0.75 and "learned length alone" in report["warning"]


def test_missing_values_are_filled_and_the_json_round_trip_is_exact():
    rng = np.random.default_rng(4)
    features = rng.normal(size=(60, 3))
    truth = (features[:, 0] + rng.normal(0, 0.3, 60) > 0).astype(int)
    features[5, 1] = np.nan
    combiner = QualityCombiner().fit(features, truth)
    assert np.isfinite(combiner.predict_proba(features)).all() and combiner.coef_[0] > 1.0
    again = QualityCombiner.from_dict(json.loads(json.dumps(combiner.to_dict())))
    np.testing.assert_array_equal(again.predict_proba(features), combiner.predict_proba(features))
    with pytest.raises(CombinerError, match="one class"):
        QualityCombiner().fit(features, np.ones(60, dtype=int))


@pytest.fixture(scope="module")
def combiner_folder(tmp_path_factory) -> Path:
    """A combiner over word count, rules and a tiny LM's perplexity, trained by `curate train`'s code."""
    root = tmp_path_factory.mktemp("combiner")
    lm = save_tiny_llama(root / "lm", GOOD + BAD)
    texts, labels = _labelled(np.random.default_rng(5), 60)
    (root / "labels.jsonl").write_text(
        "".join(json.dumps({"text": t, "label": int(y)}) + "\n" for t, y in zip(texts, labels, strict=True))
    )
    classifier = root / "classifier"
    classifier.mkdir()
    (classifier / "card.yaml").write_text('name: combined\nlabels: ["0", "1"]\npositive_label: "1"\n')
    (classifier / "train.yaml").write_text(
        "trainer: combiner\ncombiner:\n  signals: [word_count, rules, {kind: perplexity, model: "
        f"'{lm}', max_tokens: 32, device: cpu}}]\n  folds: 3\n  repeats: 2\n"
    )
    train_classifier(classifier, root / "labels.jsonl", root / "model")
    return root / "model"


def test_curate_train_writes_a_json_combiner_with_cross_validated_metrics(combiner_folder):
    from curation.classify.card import load_card

    card = load_card(combiner_folder)
    assert card.backend == "combiner" and (combiner_folder / COMBINER_FILE).is_file()
    assert not list(combiner_folder.glob("*.pkl")) and not list(combiner_folder.glob("*.bin"))
    cv = card.metrics["cross_validated"]
    assert cv["folds"] == 3 and cv["repeats"] == 2 and cv["roc_auc"] > 0.9, "the toy labels are easy"
    assert set(card.metrics["signals"]) == {"word_count", "rules", "perplexity"}
    assert "word_count_auc" in cv and "length_controlled_auc_ci95" in cv


def test_quality_score_runs_the_combiner_and_reuses_an_upstream_perplexity(combiner_folder):
    from curation.classify.combiner import load_combiner
    from curation.classify.signals import as_documents, signal_matrix

    texts = [GOOD[0], BAD[0], GOOD[1] + " " + GOOD[2], BAD[1]]
    stage = QualityScore(model=str(combiner_folder), device="cpu", decimals=6)
    kept = list(stage.run(iter(as_documents(texts))))
    scores = [d.metadata["quality_score"] for d in kept]
    signals, combiner = load_combiner(combiner_folder)
    _, features = signal_matrix(signals, as_documents(texts))
    np.testing.assert_allclose(scores, combiner.predict_proba(features), atol=1e-5)
    assert scores[0] > 0.5 > scores[1]

    perplexity = next(s for s in signals if s.kind == "perplexity")
    upstream = perplexity.raw(as_documents(texts))
    documents = [Document(text=t, id=str(i), metadata={"perplexity": 1e6}) for i, t in enumerate(texts)]
    reused = [d.metadata["quality_score"] for d in stage.run(iter(documents))]
    assert reused != pytest.approx(scores), "an upstream perplexity in metadata is read, not recomputed"
    documents = [
        Document(text=t, id=str(i), metadata={"perplexity": float(p)})
        for i, (t, p) in enumerate(zip(texts, upstream, strict=True))
    ]
    same = [d.metadata["quality_score"] for d in stage.run(iter(documents))]
    np.testing.assert_allclose(same, scores, atol=1e-4)


def test_curate_compare_puts_every_scorer_beside_the_word_count(tmp_path, capsys):
    from curation.cli import main

    lm = save_tiny_llama(tmp_path / "lm", GOOD + BAD)
    texts, labels = _labelled(np.random.default_rng(6), 40)
    labels_file = tmp_path / "labels.jsonl"
    labels_file.write_text(
        "".join(json.dumps({"text": t, "label": int(y)}) + "\n" for t, y in zip(texts, labels, strict=True))
    )
    arguments = ["compare", str(labels_file), "--rules", "--perplexity", "--lm", str(lm), "--device", "cpu"]
    assert main([*arguments, "--max-tokens", "32", "--bootstrap", "50", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert list(report["scorers"]) == [WORD_COUNT, "rules (Gopher+C4+FineWeb)", "perplexity"]
    for name in ("rules (Gopher+C4+FineWeb)", "perplexity"):
        figures = report["scorers"][name]
        assert figures["length_controlled_auc_ci95"] and figures["minus_word_count_auc"]["ci95"]
    assert report["scorers"]["rules (Gopher+C4+FineWeb)"]["roc_auc"] > 0.9, "the toy labels are easy for the rules"

    labels_file.write_text('{"text": "no label"}\n')
    assert main(["compare", str(labels_file), "--rules"]) == 2
    assert "labels.jsonl:1" in capsys.readouterr().err


def test_the_rank_auc_equals_scikit_learns_with_ties_and_any_two_labels():
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(7)
    for round_ in range(50):
        truth = rng.integers(0, 2, int(rng.integers(5, 80)))
        if len(set(truth.tolist())) < 2:
            continue
        scores = rng.integers(0, 4, len(truth)).astype(float) if round_ % 2 else rng.normal(size=len(truth))
        assert roc_auc(truth, scores) == pytest.approx(roc_auc_score(truth, scores), abs=1e-12)
        named = np.where(truth == 1, "good", "bad")
        assert roc_auc(named, scores) == pytest.approx(roc_auc_score(named, scores), abs=1e-12)
    assert roc_auc([1, 1, 1], [0.1, 0.2, 0.3]) is None
    with pytest.raises(ValueError, match="NaN"):
        roc_auc([0, 1], [0.5, float("nan")])
