"""Train a classifier from its folder (card + training recipe) and a labeled file; write a model folder.

The model folder holds the weights (``model.safetensors`` + tokenizer for transformers, ``model.bin`` for
fastText) and ``card.yaml``: the classifier's card plus the backend, the label names, the training settings
and data, and the measured metrics (overall and per source, on the validation split and on any held-out
source). Metrics are measured by loading the folder back the way a scoring stage does, so they describe
what a recipe will actually get.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from curation.classify.card import (
    ClassifierCard,
    TrainingRecipe,
    load_card,
    load_training_recipe,
    resolve_base_model,
    save_card,
)
from curation.classify.evaluation import evaluate_examples
from curation.classify.labels import (
    LabelError,
    balance_classes,
    infer_head,
    label_names,
    read_labeled,
    split_examples,
)
from curation.classify.models import open_model

logger = logging.getLogger(__name__)


@dataclass
class TrainingReport:
    model_dir: Path
    card: ClassifierCard
    seconds: float

    @property
    def metrics(self) -> dict[str, Any]:
        return self.card.metrics


def _check_data_matches_card(card: ClassifierCard, examples, data_path: str) -> list[str]:
    """The label names to train with; an error when the data does not fit the card."""
    head = infer_head(examples, data_path)
    if head != card.head:
        kind = "scores" if head == "regression" else "labels"
        raise LabelError(f"{data_path}: the data has {kind} but the card's head is {card.head!r}")
    if head == "regression":
        return []
    present = label_names(examples)
    if card.labels:
        unknown = sorted(set(present) - set(card.labels))
        if unknown:
            raise LabelError(f"{data_path}: labels {unknown} are not in the card's labels {card.labels}")
        return list(card.labels)
    if len(present) < 2:
        raise LabelError(f"{data_path}: a classifier needs at least two labels, found {present}")
    return present


def train_classifier(
    classifier_dir: str | Path,
    data_path: str | Path,
    output_dir: str | Path,
    overrides: dict[str, Any] | None = None,
    engine_options: dict[str, Any] | None = None,
) -> TrainingReport:
    """Train the classifier described by ``classifier_dir`` on ``data_path``; write the model to ``output_dir``."""
    started = time.perf_counter()
    classifier_dir, output_dir = Path(classifier_dir), Path(output_dir)
    card = load_card(classifier_dir)
    recipe: TrainingRecipe = load_training_recipe(classifier_dir, overrides)
    examples = read_labeled(data_path)
    labels = _check_data_matches_card(card, examples, str(data_path))
    if recipe.trainer == "combiner":
        return _train_combiner(card, recipe, examples, labels, str(data_path), output_dir, engine_options, started)
    split = split_examples(examples, recipe.validation_fraction, recipe.seed, recipe.hold_out_sources)
    train = split.train
    if recipe.balance_classes and card.head == "classification":
        train = balance_classes(train, recipe.seed)
    output_dir.mkdir(parents=True, exist_ok=True)
    training_info: dict[str, Any] = {
        "trainer": recipe.trainer,
        "data": str(data_path),
        "examples": split.describe(),
        "balanced_training_examples": len(train),
        "recipe": recipe.model_dump(mode="json"),
    }
    if recipe.trainer == "fasttext":
        from curation.classify.fasttext_trainer import train_fasttext

        result = train_fasttext(train, split.validation, recipe, output_dir)
        training_info.update(epochs=result.epochs, validation_loss=result.validation_loss, history=result.history)
        base_model = "fasttext"
        if card.head == "regression":
            labels = sorted({str(round(e.score or 0.0)) for e in examples}, key=float)
    else:
        from curation.classify.hf_trainer import train_transformer

        base_model = recipe.base_model or card.base_model
        training_info["base_model_source"] = resolve_base_model(base_model)
        result = train_transformer(train, split.validation, recipe, card, labels, output_dir)
        training_info.update(
            epochs=result.epochs_run, validation_loss=result.best_validation_loss, history=result.history
        )
        if not result.is_main_process:
            return TrainingReport(output_dir, card, time.perf_counter() - started)
    model_card = card.model_copy(
        update={
            "backend": recipe.trainer,
            "labels": labels,
            "base_model": base_model,
            "max_length": recipe.max_length or card.max_length,
            "long_documents": recipe.long_documents or card.long_documents,
            "training": training_info,
            "metrics": {},
        }
    )
    save_card(model_card, output_dir)
    model = open_model(str(output_dir), engine_options)
    try:
        metrics = evaluate_examples(model, split.validation, split.held_out)
    finally:
        model.close()
    seconds = time.perf_counter() - started
    model_card.training["seconds"] = round(seconds, 1)
    model_card = model_card.model_copy(update={"metrics": metrics})
    save_card(model_card, output_dir)
    return TrainingReport(output_dir, load_card(output_dir), seconds)


def _train_combiner(
    card: ClassifierCard,
    recipe: TrainingRecipe,
    examples,
    labels: list[str],
    data_path: str,
    output_dir: Path,
    engine_options: dict[str, Any] | None,
    started: float,
) -> TrainingReport:
    """Fit a combiner over the recipe's signals; its metrics are cross-validated (no split, no held-out source:
    every document is scored by combiners that never saw it)."""
    from curation.classify.combiner import save_combiner, train_combiner
    from curation.classify.signals import build_signal

    if card.head != "classification" or len(labels) != 2:
        raise LabelError(f"{data_path}: a combiner learns two classes (bad, good); the card has {labels}")
    positive = card.positive_label or labels[-1]
    settings = recipe.combiner
    signals = [build_signal(spec) for spec in settings.signals]
    for signal in signals:
        if signal.kind in ("perplexity", "lm_yes", "classifier"):
            for key, value in (engine_options or {}).items():
                signal.params.setdefault(key, value)
    try:
        combiner, report = train_combiner(
            [e.text for e in examples],
            [e.label or "" for e in examples],
            signals,
            positive,
            folds=settings.folds,
            repeats=settings.repeats,
            seed=recipe.seed,
            C=settings.C,
        )
    finally:
        for signal in signals:
            signal.close()
    seconds = time.perf_counter() - started
    model_card = card.model_copy(
        update={
            "backend": "combiner",
            "labels": labels,
            "positive_label": positive,
            "base_model": "combiner: " + ", ".join(s.name for s in signals),
            "training": {
                "trainer": "combiner",
                "data": data_path,
                "examples": len(examples),
                "recipe": recipe.model_dump(mode="json", include={"trainer", "seed", "combiner"}),
                "seconds": round(seconds, 1),
            },
            "metrics": report,
        }
    )
    save_combiner(output_dir, model_card, signals, combiner)
    return TrainingReport(output_dir, load_card(output_dir), seconds)
