"""A trained classifier, whatever library reads it: outputs for a stream of texts, and scores from outputs.

Three backends behind one interface:

- ``transformers``: a Hugging Face model folder (or hub id) run by the inference engine
  (``curation.inference``): batched, length-sorted, tokenised ahead, on GPU when there is one;
- ``fasttext``: a fastText ``model.bin`` — a linear model over word n-grams, thousands of documents per
  second on one CPU core;
- ``combiner``: a logistic regression over quality signals (``curation.classify.combiner``).

Outputs are, per document, probabilities over ``label_names`` (a classification head) or one value (a
regression head). ``quality_scores`` turns them into one number per document; ``top_labels`` into a label and
its probability.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from curation.classify.card import CARD_FILE, ClassifierCard, load_card

FASTTEXT_FILE = "model.bin"
FASTTEXT_LABEL_PREFIX = "__label__"
NEWLINE_TOKEN = " <nl> "


def fasttext_line(text: str, lowercase: bool = False, max_chars: int = 100_000) -> str:
    """A document as one fastText input line: newlines kept as a ``<nl>`` token (line structure tells
    boilerplate from prose) and no ``__label__`` inside the text. fastText splits on whitespace itself."""
    if len(text) > max_chars:
        text = text[:max_chars]
    if FASTTEXT_LABEL_PREFIX in text:
        text = text.replace(FASTTEXT_LABEL_PREFIX, " ")
    text = text.replace("\n", NEWLINE_TOKEN)
    return text.lower() if lowercase else text


@cache
def load_fasttext(path: str):
    """One fastText model per process per file (stages in a worker share it)."""
    from fasttext.FastText import _FastText

    return _FastText(model_path=path)  # the public load_model() prints a deprecation banner on every call


class ClassifierModel:
    """Base: ``card``, ``label_names`` (empty for a regression head) and ``stream``/``predict``.

    ``reads_documents``: ``stream`` takes whole documents (text and metadata) rather than texts; a scoring
    stage then hands it the documents themselves (the combiner reads signals upstream stages wrote).
    """

    backend = ""
    reads_documents = False

    def __init__(self, card: ClassifierCard, label_names: list[str]):
        self.card = card
        self.label_names = label_names

    @property
    def is_regression(self) -> bool:
        return not self.label_names

    def stream(self, texts: Iterable[str]) -> Iterator[np.ndarray]:
        """Outputs a window at a time, in input order: (n, classes) probabilities or (n, 1) values."""
        raise NotImplementedError

    def predict(self, texts: Iterable[str]) -> np.ndarray:
        parts = list(self.stream(texts))
        width = 1 if self.is_regression else len(self.label_names)
        return np.concatenate(parts) if parts else np.zeros((0, width), dtype=np.float32)

    def close(self) -> None:
        """Release threads and memory held for inference."""

    def describe(self) -> str:
        return f"{self.card.name} ({self.backend})"


class FastTextModel(ClassifierModel):
    backend = "fasttext"

    def __init__(self, card: ClassifierCard, model_file: str, batch_size: int = 1024):
        self.model_file = model_file
        self.batch_size = batch_size
        model = load_fasttext(model_file)
        names = [label.removeprefix(FASTTEXT_LABEL_PREFIX) for label in model.get_labels()]
        self._order = {name: i for i, name in enumerate(card.labels or sorted(names))}
        missing = [n for n in names if n not in self._order]
        if missing:
            raise ValueError(f"{model_file}: labels {missing} are not in the card's labels {card.labels}")
        super().__init__(card, list(self._order))
        self._columns = {FASTTEXT_LABEL_PREFIX + name: column for name, column in self._order.items()}
        self.lowercase = bool(card.training.get("recipe", {}).get("fasttext", {}).get("lowercase", False))

    @property
    def model(self):
        return load_fasttext(self.model_file)

    def stream(self, texts: Iterable[str]) -> Iterator[np.ndarray]:
        texts = iter(texts)
        while batch := list(itertools.islice(texts, self.batch_size)):
            yield self._predict_batch(batch)

    def _predict_batch(self, texts: list[str]) -> np.ndarray:
        lines = [fasttext_line(t, self.lowercase) for t in texts]
        labels, probabilities = self.model.predict(lines, k=-1, threshold=0.0, on_unicode_error="replace")
        width = len(self.label_names)
        out = np.zeros((len(texts), width), dtype=np.float32)
        if all(len(names) == width for names in labels):  # the usual case: every class, one C++ call's worth
            columns = np.fromiter(
                (self._columns[name] for names in labels for name in names), dtype=np.int64, count=len(texts) * width
            )
            np.put_along_axis(out, columns.reshape(-1, width), np.stack(probabilities), axis=1)
        else:
            for row, (names, values) in enumerate(zip(labels, probabilities, strict=True)):
                for name, value in zip(names, values, strict=True):
                    out[row, self._columns[name]] = value
        return np.clip(out, 0.0, 1.0)


class TransformersModel(ClassifierModel):
    """A sequence-classification model run by the inference engine (one engine per worker process)."""

    backend = "transformers"
    MODEL_NAME = "classifier"

    def __init__(self, card: ClassifierCard, path: str, engine_options: dict[str, Any] | None = None):
        from curation.inference import EngineOptions, InferenceEngine, ModelSpec

        options = dict(engine_options or {})
        if (Path(path).expanduser() / CARD_FILE).is_file():
            options.setdefault("max_length", card.max_length)  # else the engine's default for the model
            if card.long_documents == "chunk":
                options.setdefault("long_documents", "chunk")
                options.setdefault("max_chunks", card.max_chunks)
        regression = card.head == "regression"
        spec = ModelSpec(path=path, name=self.MODEL_NAME, outputs=("score",) if regression else ("probabilities",))
        self.engine = InferenceEngine(spec, EngineOptions(**options))
        names = [] if regression else list(self.engine.label_names[self.MODEL_NAME])
        super().__init__(card, names)

    def stream(self, texts: Iterable[str]) -> Iterator[np.ndarray]:
        kind = "score" if self.is_regression else "probabilities"
        for predictions in self.engine.predict_stream(texts):
            values = predictions.arrays[self.MODEL_NAME][kind]
            yield values.reshape(len(values), -1).astype(np.float32, copy=False)

    def close(self) -> None:
        self.engine.close()

    def describe(self) -> str:
        return self.engine.describe()


def card_for(path: str, trust_remote_code: bool = False) -> ClassifierCard:
    """The model folder's card; for a folder or hub id without one, a card read from the model's config.

    Raises ``ModelLocationError`` for a path that is not on this machine and not a hub id given as such.
    """
    from curation.inference.locations import resolve_model_location

    location = resolve_model_location(path, what="classifier")
    folder = Path(location.source)
    if location.is_local and (folder / CARD_FILE).is_file():
        return load_card(folder)
    if location.is_local and ((folder / FASTTEXT_FILE).is_file() or folder.suffix in (".bin", ".ftz")):
        return ClassifierCard(name=folder.stem, backend="fasttext")
    from transformers import AutoConfig

    config = AutoConfig.from_pretrained(location.source, **location.pretrained_kwargs(trust_remote_code))
    regression = getattr(config, "problem_type", None) == "regression" or config.num_labels == 1
    labels = [] if regression else [str(config.id2label[i]) for i in range(config.num_labels)]
    return ClassifierCard(
        name=folder.name or path,
        head="regression" if regression else "classification",
        labels=labels,
        base_model=path,
        backend="transformers",
        score_range=(0.0, 5.0) if regression else (0.0, 1.0),
        threshold=3.0 if regression else 0.5,
    )


def open_model(path: str, engine_options: dict[str, Any] | None = None, batch_size: int = 1024) -> ClassifierModel:
    """Open a model folder written by ``curate train`` (or any HF classifier folder / hub id, or a fastText
    ``.bin``) for inference."""
    card = card_for(path, trust_remote_code=bool((engine_options or {}).get("trust_remote_code", False)))
    folder = Path(path).expanduser()
    if card.backend == "combiner":
        from curation.classify.combiner import CombinerModel

        return CombinerModel(card, str(folder), engine_options)
    if card.backend == "fasttext":
        model_file = folder / FASTTEXT_FILE if folder.is_dir() else folder
        if not model_file.is_file():
            raise FileNotFoundError(f"{path}: the card says fastText but there is no {FASTTEXT_FILE}")
        return FastTextModel(card, str(model_file), batch_size=batch_size)
    return TransformersModel(card, str(folder) if folder.is_dir() else path, engine_options)


def numeric_labels(names: list[str]) -> np.ndarray | None:
    """The labels as numbers ("0".."5"), or None when any is not a number."""
    try:
        return np.asarray([float(n) for n in names], dtype=np.float32)
    except ValueError:
        return None


def quality_scores(model: ClassifierModel, outputs: np.ndarray) -> np.ndarray:
    """One score per document.

    - regression head: its output;
    - a classifier with a ``positive_label``: that class's probability;
    - a classifier whose classes are numbers (0..5 scores learned as classes, or more than two numbered
      classes): the expected score;
    - otherwise: the probability of the last class.
    """
    if model.is_regression:
        return outputs[:, 0].astype(np.float32)
    names = model.label_names
    positive = model.card.positive_label
    if positive is not None and positive in names:
        return outputs[:, names.index(positive)]
    values = numeric_labels(names)
    if values is not None and (len(values) > 2 or model.card.head == "regression"):
        return (outputs * values).sum(axis=1) / np.maximum(outputs.sum(axis=1), 1e-12)
    return outputs[:, -1]


def top_labels(model: ClassifierModel, outputs: np.ndarray) -> tuple[list[str], np.ndarray]:
    """The most probable label of each document and its probability."""
    if model.is_regression:
        raise ValueError(f"{model.card.name} has a regression head: it gives a score, not a label")
    best = outputs.argmax(axis=1)
    return [model.label_names[i] for i in best], outputs[np.arange(len(best)), best]
