"""What the quality and domain stages share: a classifier loaded once per worker, documents streamed through it.

Documents flow through without waiting for a whole shard: the model reads texts from the upstream stages
(for a transformers model, in the engine's feeder thread, a window ahead of the model) and each document
is handed on as soon as its window's outputs are back, in input order. A document whose text is not a
string is dropped with the reason ``non_string_text``.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Iterator
from typing import Any, ClassVar, Literal

import numpy as np
from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.base import PipelineStep
from datatrove.utils.typeshelper import StatHints

from curation.classify.models import ClassifierModel, card_for, open_model, quality_scores

NON_STRING_TEXT = "non_string_text"
PREPARE_CHUNK = 256
Precision = Literal["auto", "fp32", "bf16", "fp16"]


def build_engine_options(
    device: str,
    precision: str,
    max_length: int | None,
    max_batch_tokens: int | None,
    quantize: str,
    extra: dict[str, Any] | None,
) -> dict[str, Any]:
    """The engine's options from a stage's parameters (checked now, so a bad recipe fails at start-up)."""
    from curation.inference.options import EngineOptions

    options: dict[str, Any] = {"device": device, "precision": precision, "quantize": quantize}
    if max_length is not None:
        options["max_length"] = max_length
    if max_batch_tokens is not None:
        options["max_batch_tokens"] = max_batch_tokens
    options.update(extra or {})
    EngineOptions(**options)
    return options


class ClassifierStage(PipelineStep):
    """Base of the scoring stages: ``self.classifier`` is loaded at construction (once per worker process),
    dropped when the stage is pickled and reloaded on first use after unpickling."""

    type = "🔢 - CLASSIFIER"
    resources: ClassVar[dict[str, int]] = {"GPU": 1}
    """The Dask executor gives a job holding this stage a GPU when a worker offers one; CPU workers run it
    too when none does. ``resources_for`` narrows it per recipe: only a transformer model wants a GPU."""

    @classmethod
    def resources_for(cls, params: dict[str, Any]) -> dict[str, int]:
        """What this stage, with these recipe parameters, needs from a Dask worker.

        A fastText model, URL rules alone or ``device: cpu`` run on any worker's CPU, so they claim no GPU
        slot: on a mixed cluster they would otherwise queue behind the GPU jobs for nothing.
        """
        model = params.get("model")
        device = (params.get("engine_options") or {}).get("device", params.get("device", "auto"))
        if not model or str(device).startswith("cpu"):
            return {}
        try:
            backend = card_for(str(model)).backend
        except Exception:  # unreadable here (e.g. a hub id offline): the worker will say why; assume a GPU model
            backend = "transformers"
        return {} if backend == "fasttext" else dict(cls.resources)

    @classmethod
    def model_locations(cls, params: dict[str, Any]) -> dict[str, str]:
        """The model paths these recipe parameters name (parameter -> path), checked when a recipe is
        validated so a missing folder is reported before anything runs."""
        model = params.get("model")
        return {"model": str(model)} if model else {}

    def declared_resources(self) -> dict[str, int]:
        """``resources_for`` of this built stage (a step instance handed to the Python API)."""
        return self.resources_for({"model": self.model_path, "device": self.options.get("device", "auto")})

    def __init__(self, model: str | None, options: dict[str, Any], batch_size: int):
        super().__init__()
        self.model_path = model
        self.options = options
        self.batch_size = batch_size
        self.card = card_for(model, bool(options.get("trust_remote_code", False))) if model else None
        self._classifier: ClassifierModel | None = None
        if model:
            self.load()

    def load(self) -> ClassifierModel:
        if self._classifier is None:
            assert self.model_path is not None
            self._classifier = open_model(self.model_path, self.options, batch_size=self.batch_size)
        return self._classifier

    @property
    def classifier(self) -> ClassifierModel | None:
        return self.load() if self.model_path else None

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_classifier"] = None
        return state

    def stream_windows(self, data: DocumentsPipeline) -> Iterator[tuple[list[Document], np.ndarray | None]]:
        """Consecutive documents with their model outputs (one row each; None without a model), in input order."""
        classifier = self.classifier
        if classifier is None:
            data = iter(data)
            while batch := list(itertools.islice(data, self.batch_size)):
                yield batch, None
            return
        waiting: deque[Document] = deque()
        data = iter(data)

        def texts():
            while batch := list(itertools.islice(data, PREPARE_CHUNK)):
                waiting.extend(batch)
                if classifier.reads_documents:
                    yield from batch
                else:
                    yield from self.prepare_batch([d.text if isinstance(d.text, str) else "" for d in batch])

        for outputs in classifier.stream(texts()):
            yield [waiting.popleft() for _ in range(len(outputs))], outputs

    def prepare_batch(self, texts: list[str]) -> list[str]:
        """What the model reads for each text (the text itself; the LM stage frames it in a prompt)."""
        return texts

    def keep(self, document: Document) -> Document:
        self.stat_update(StatHints.total, StatHints.forwarded)
        self.update_doc_stats(document)
        return document

    def drop(self, reason: str) -> None:
        self.stat_update(StatHints.total, StatHints.dropped, f"dropped_{reason}")


class ThresholdedScoreStage(ClassifierStage):
    """A stage that writes one score per document and may drop those below a threshold.

    The score goes into ``metadata[score_key]`` on every kept document whether or not the filter is on, so a
    later run can re-threshold without the model. Subclasses set ``threshold``, ``drop_below_threshold``,
    ``score_key`` and ``decimals``, and name their drop reason.
    """

    below_threshold_reason: ClassVar[str] = "below_threshold"
    threshold: float
    drop_below_threshold: bool
    score_key: str
    decimals: int

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        classifier = self.classifier
        assert classifier is not None
        for documents, outputs in self.stream_windows(data):
            scores = np.round(quality_scores(classifier, outputs).astype(np.float64), self.decimals)
            passes = scores >= self.threshold
            above = int(passes.sum())
            self.stat_update("above_threshold", value=above)
            self.stat_update("below_threshold", value=len(documents) - above)
            for document, score, passed in zip(documents, scores.tolist(), passes.tolist(), strict=True):
                if not isinstance(document.text, str):
                    self.drop(NON_STRING_TEXT)
                    continue
                document.metadata[self.score_key] = score
                if self.drop_below_threshold and not passed:
                    self.drop(self.below_threshold_reason)
                    continue
                yield self.keep(document)
