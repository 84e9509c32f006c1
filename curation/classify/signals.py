"""The per-document quality signals a run computes, as numbers a combiner (or an evaluation) can use.

Each signal is computed the way a run computes it, by the same code: the word count, the rule filters
(``rule_scores``), the perplexity under a causal LM (the ``perplexity`` stage's engine), an LM's P("yes")
(the ``lm_quality_score`` stage) and any quality classifier's score (``quality_score``'s model). A signal
whose stage already ran upstream is read from the document's metadata instead of being computed again
(``metadata_key``); the rest are computed here, for a window of documents at a time.

``raw`` values are what the stages write (words, share of rules passed, perplexity, probability);
``feature`` turns them into what a linear model should see (log of counts and perplexities, log-odds of
probabilities). Missing values (an empty document has no perplexity) are NaN; the combiner fills them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from datatrove.data import Document

PROBABILITY_FLOOR = 1e-4
"""Probabilities are clipped to [floor, 1 - floor] before their log-odds: a saturated 0 or 1 would otherwise
weigh without limit in a linear model."""


class SignalError(ValueError):
    """A signal specification that cannot be used, with what to change."""


class Signal:
    """One number per document. Subclasses set ``kind``, compute raw values, and turn them into features."""

    kind = ""
    metadata_key: str | None = None

    def __init__(self, name: str | None = None, **params: Any):
        self.name = name or self.kind
        self.params = params

    def spec(self) -> dict[str, Any]:
        """What recreates this signal (``build_signal(spec)``): stored in a combiner's folder."""
        return {"kind": self.kind, "name": self.name, **self.params}

    def compute(self, documents: Sequence[Document]) -> np.ndarray:
        """(n,) raw values for documents (text, and metadata where the signal uses it)."""
        raise NotImplementedError

    def raw(self, documents: Sequence[Document]) -> np.ndarray:
        """Raw values, read from metadata where every document has ``metadata_key``, else computed."""
        key = self.metadata_key
        if key and documents and all(d.metadata.get(key) is not None for d in documents):
            return np.asarray([float(d.metadata[key]) for d in documents], dtype=np.float64)
        return np.asarray(self.compute(documents), dtype=np.float64)

    def feature(self, raw: np.ndarray) -> np.ndarray:
        return np.asarray(raw, dtype=np.float64)

    def close(self) -> None:
        """Release models and threads."""


def _texts(documents: Sequence[Document]) -> list[str]:
    return [d.text if isinstance(d.text, str) else "" for d in documents]


class WordCount(Signal):
    """Whitespace-separated words; the feature is log(1 + words), length's effect being roughly logarithmic."""

    kind = "word_count"

    def compute(self, documents: Sequence[Document]) -> np.ndarray:
        return np.asarray([len(t.split()) for t in _texts(documents)], dtype=np.float64)

    def feature(self, raw: np.ndarray) -> np.ndarray:
        return np.log1p(np.asarray(raw, dtype=np.float64))


class RuleShare(Signal):
    """The share of the four rule filters (Gopher repetition and quality, C4, FineWeb) a document passes, in
    the document's language (``language`` metadata; English without one)."""

    kind = "rules"

    def compute(self, documents: Sequence[Document]) -> np.ndarray:
        from curation.classify.rule_scores import rule_passes, rule_score

        values = np.zeros(len(documents), dtype=np.float64)
        by_language: dict[str, list[int]] = {}
        for index, document in enumerate(documents):
            by_language.setdefault(str(document.metadata.get("language") or "en"), []).append(index)
        texts = _texts(documents)
        for language, indices in by_language.items():
            values[indices] = rule_score(rule_passes([texts[i] for i in indices], language))
        return values


class PerplexitySignal(Signal):
    """Perplexity under a causal LM over each document's head (the ``perplexity`` stage); the feature is its
    log, the mean next-token loss in nats."""

    kind = "perplexity"
    metadata_key = "perplexity"

    def __init__(self, name: str | None = None, model: str = "bundled:smollm2", max_tokens: int = 256, **engine):
        super().__init__(name, model=model, max_tokens=max_tokens, **engine)
        self._stage = None

    @property
    def stage(self):
        if self._stage is None:
            from curation.classify.perplexity import Perplexity

            self._stage = Perplexity(**self.params)
        return self._stage

    def compute(self, documents: Sequence[Document]) -> np.ndarray:
        losses = np.concatenate([*self.stage.losses(_texts(documents)), np.zeros(0)])
        return np.exp(np.minimum(losses, 700.0))

    def feature(self, raw: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(np.asarray(raw, dtype=np.float64))

    def close(self) -> None:
        if self._stage is not None and self._stage._engine is not None:
            self._stage._engine.close()

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_stage": None}


def _log_odds(raw: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(raw, dtype=np.float64), PROBABILITY_FLOOR, 1 - PROBABILITY_FLOOR)
    return np.log(p / (1 - p))


class LMYes(Signal):
    """A causal LM's P("yes") asked whether the document is good text (the ``lm_quality_score`` stage); the
    feature is its log-odds."""

    kind = "lm_yes"
    metadata_key = "lm_quality_score"

    def __init__(self, name: str | None = None, model: str = "bundled:smollm2", **stage_params):
        super().__init__(name, model=model, **stage_params)
        self._stage = None

    @property
    def stage(self):
        if self._stage is None:
            from curation.classify.lm_classifier import LMQualityScore

            self._stage = LMQualityScore(**self.params)
        return self._stage

    def compute(self, documents: Sequence[Document]) -> np.ndarray:
        from curation.classify.models import quality_scores

        stage = self.stage
        classifier = stage.classifier
        outputs = classifier.predict(stage.prepare_batch(_texts(documents)))
        return quality_scores(classifier, outputs).astype(np.float64)

    def feature(self, raw: np.ndarray) -> np.ndarray:
        return _log_odds(raw)

    def close(self) -> None:
        if self._stage is not None and self._stage._classifier is not None:
            self._stage._classifier.close()

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_stage": None}


class ClassifierScore(Signal):
    """A quality classifier's score (a ``curate train`` folder: fastText or transformers); the feature is the
    log-odds of a probability, the score itself for a regression head."""

    kind = "classifier"

    def __init__(self, name: str | None = None, model: str = "", metadata_key: str | None = None, **engine):
        if not model:
            raise SignalError("a classifier signal needs `model`: a model folder from curate train")
        super().__init__(name, model=model, **({"metadata_key": metadata_key} if metadata_key else {}), **engine)
        self.model_path = model
        self.engine_options = engine
        self.metadata_key = metadata_key
        self._model = None

    @property
    def model(self):
        if self._model is None:
            from curation.classify.models import open_model

            self._model = open_model(self.model_path, self.engine_options)
        return self._model

    def compute(self, documents: Sequence[Document]) -> np.ndarray:
        from curation.classify.models import quality_scores

        model = self.model
        return quality_scores(model, model.predict(_texts(documents))).astype(np.float64)

    def feature(self, raw: np.ndarray) -> np.ndarray:
        if self.model.is_regression or self.model.card.head == "regression":
            return np.asarray(raw, dtype=np.float64)
        return _log_odds(raw)

    def close(self) -> None:
        if self._model is not None:
            self._model.close()

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_model": None}


SIGNAL_KINDS: dict[str, type[Signal]] = {
    cls.kind: cls for cls in (WordCount, RuleShare, PerplexitySignal, LMYes, ClassifierScore)
}


def build_signal(spec: str | dict[str, Any]) -> Signal:
    """A signal from its spec: a kind name (``perplexity``) or ``{"kind": ..., "name": ..., params}``."""
    if isinstance(spec, str):
        spec = {"kind": spec}
    spec = dict(spec)
    kind = spec.pop("kind", None)
    if kind not in SIGNAL_KINDS:
        raise SignalError(f"unknown signal kind {kind!r}; known: {', '.join(sorted(SIGNAL_KINDS))}")
    try:
        return SIGNAL_KINDS[kind](**spec)
    except TypeError as error:
        raise SignalError(f"signal {kind!r}: {error}") from None


def signal_matrix(signals: Sequence[Signal], documents: Sequence[Document]) -> tuple[np.ndarray, np.ndarray]:
    """(raw, features): (n, signals) arrays for documents, in the order of ``signals``."""
    raw = np.column_stack([s.raw(documents) for s in signals]) if signals else np.zeros((len(documents), 0))
    features = np.column_stack([s.feature(raw[:, i]) for i, s in enumerate(signals)]) if signals else raw
    return raw, features


def as_documents(texts: Sequence[str], metadata: Sequence[dict[str, Any]] | None = None) -> list[Document]:
    """Texts as documents (ids are positions), for computing signals outside a run."""
    return [
        Document(text=text, id=str(index), metadata=dict(metadata[index]) if metadata else {})
        for index, text in enumerate(texts)
    ]


def finite_or_nan(value: float | None) -> float:
    return float(value) if value is not None and math.isfinite(value) else float("nan")
