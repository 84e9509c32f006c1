"""``model_outputs``: run models through the engine and write what they give into each document's metadata.

The reference use of the engine, and a stage on its own: a recipe can store a classifier's probabilities
and label, a regression head's score or an encoder's embedding next to every document, to route or filter
on later. Fields are named ``<model_name>_<output>``: ``quality_probabilities`` (list, in the order of the
model's labels), ``quality_label`` (the label's name), ``edu_score`` (a number, or a list for several
outputs), ``topic_embedding`` (list), ``quality_logits`` (list).

Documents stream through: the engine reads texts from the upstream stages in its feeder thread, a window
ahead of the model, and this stage hands each document on as soon as its window's outputs are back, in the
order they came.
"""

from __future__ import annotations

import inspect
from collections import deque
from typing import Any, Literal

import numpy as np
from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.base import PipelineStep

from curation.inference.options import EngineOptions, ModelSpec, OptionsError

NON_STRING_TEXT = "non_string_text"


class ModelOutputs(PipelineStep):
    """Write model outputs (probabilities, label, score, logits, embedding) into document metadata.

    Args:
        model: a local model folder or hub id; or a list of models sharing one tokenizer (and so one
            tokenisation pass), each a mapping with ``path`` and optionally ``name``, ``outputs``, ``task``,
            ``revision``, ``normalize_embeddings``, ``pooling``.
        model_name: the name in the metadata fields (``<model_name>_<output>``), for a single ``model``.
        outputs: what to write: ``probabilities``, ``label``, ``score``, ``logits``, ``embedding``; default:
            probabilities and label for a classifier, score for a regression head, embedding for a bare encoder.
        task: ``auto`` (a sequence-classification checkpoint classifies, anything else embeds), ``classify``,
            ``embed`` (a classifier checkpoint's encoder, mean-pooled).
        normalize_embeddings: scale embeddings to unit length.
        pooling: how an embedding is pooled: ``auto`` (a sentence-transformers folder's own pooling config,
            mean otherwise), ``mean``, ``cls`` or ``max``.
        decimals: round written numbers to this many decimals (None: full float32 precision).
        engine_options: any other ``curation.inference.EngineOptions`` field (``autocast``, ``max_padding``,
            ``compile``, ...).
        The other parameters are the engine's (``curation.inference.EngineOptions``): device and precision,
        batching, long documents, threads, int8 quantisation, and what the loader may trust.
    """

    name = "🧠 Model outputs"
    type = "🔢 - INFERENCE"

    def __init__(
        self,
        model: str | list[dict[str, Any]],
        model_name: str = "model",
        outputs: list[str] | None = None,
        task: Literal["auto", "classify", "embed"] = "auto",
        normalize_embeddings: bool = False,
        pooling: Literal["auto", "mean", "cls", "max"] = "auto",
        decimals: int | None = 6,
        device: str = "auto",
        precision: Literal["auto", "fp32", "bf16", "fp16"] = "auto",
        max_length: int | None = None,
        max_batch_tokens: int | None = None,
        window: int | None = None,
        long_documents: Literal["truncate", "chunk"] = "truncate",
        chunk_overlap: int = 0,
        chunk_aggregate: Literal["mean", "max"] = "mean",
        max_chunks: int | None = None,
        torch_threads: int | None = None,
        tokenizer_threads: int | None = None,
        quantize: Literal["none", "int8"] = "none",
        quantize_tolerance: float = 0.02,
        allow_unsafe_weights: bool = False,
        trust_remote_code: bool = False,
        engine_options: dict[str, Any] | None = None,
    ):
        arguments = {name: value for name, value in locals().items() if name not in ("self", "__class__")}
        super().__init__()
        self.specs, self.options = _configure(arguments)
        self.decimals = decimals
        self._engine = None
        self.load()  # now, once per worker process, so a bad model fails the run at start-up

    @classmethod
    def engine_configuration(cls, params: dict[str, Any]) -> tuple[list[ModelSpec], EngineOptions] | None:
        """The model specs and engine options these recipe parameters give, without loading anything (the
        executor starts model processes with them before its workers).

        None for a subclass with parameters of its own (a classifier or safety stage) that does not say how
        they map to the engine: its models then load in each worker, as they do without model processes.
        """
        if cls.__init__ is not ModelOutputs.__init__ and cls.engine_configuration.__func__ is _BASE_CONFIGURATION:
            return None
        bound = inspect.signature(cls.__init__).bind(None, **params)
        bound.apply_defaults()
        arguments = dict(bound.arguments)
        arguments.pop("self")
        return _configure(arguments)

    @classmethod
    def model_locations(cls, params: dict[str, Any]) -> dict[str, str]:
        """The model paths these recipe parameters name (parameter -> path), checked when a recipe is
        validated so a missing folder is reported before anything runs."""
        model = params.get("model")
        if isinstance(model, str):
            return {"model": model}
        if isinstance(model, list):
            return {
                f"model[{index}].path": str(entry["path"])
                for index, entry in enumerate(model)
                if isinstance(entry, dict) and entry.get("path")
            }
        return {}

    def load(self):
        """The engine, loading its models on first use (after unpickling in a worker, say)."""
        if self._engine is None:
            from curation.inference.engine import InferenceEngine

            self._engine = InferenceEngine(self.specs, self.options)
        return self._engine

    @property
    def engine(self):
        return self.load()

    def __getstate__(self) -> dict[str, Any]:
        """Travel without the loaded models: a worker process that unpickles the stage loads its own."""
        state = self.__dict__.copy()
        state["_engine"] = None
        return state

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        engine = self.engine
        waiting: deque[Document] = deque()

        def texts():
            for document in data:
                waiting.append(document)
                yield document.text if isinstance(document.text, str) else ""

        for predictions in engine.predict_stream(texts()):
            values = self._plain_values(predictions)
            for index in range(len(predictions)):
                document = waiting.popleft()
                if not isinstance(document.text, str):
                    self.stat_update(f"dropped_{NON_STRING_TEXT}")
                    continue
                for field, column in values.items():
                    document.metadata[field] = column[index]
                self.stat_update("documents")
                yield document
            self.stat_update("tokens", value=predictions.tokens, unit="window")
            if predictions.truncated:
                self.stat_update("truncated", value=predictions.truncated)
            if predictions.rows != predictions.documents:
                self.stat_update("chunks", value=predictions.rows, unit="window")

    def _plain_values(self, predictions) -> dict[str, list[Any]]:
        """Per metadata field, one plain Python value per document of the window (lists, floats, label names)."""
        columns: dict[str, list[Any]] = {}
        for model, outputs in predictions.arrays.items():
            for kind, array in outputs.items():
                field = f"{model}_{kind}"
                if kind == "label":
                    names = predictions.label_names[model]
                    columns[field] = [names[int(i)] for i in array]
                    continue
                if self.decimals is not None:
                    array = np.round(array.astype(np.float64), self.decimals)
                if kind == "score" and array.ndim == 2 and array.shape[1] == 1:
                    array = array[:, 0]
                columns[field] = array.tolist()
        return columns


_BASE_CONFIGURATION = ModelOutputs.engine_configuration.__func__


def _configure(arguments: dict[str, Any]) -> tuple[list[ModelSpec], EngineOptions]:
    """(specs, engine options) from the stage's arguments (see ``ModelOutputs``)."""
    specs = _specs(
        arguments["model"],
        arguments["model_name"],
        arguments["outputs"],
        arguments["task"],
        arguments["normalize_embeddings"],
        arguments["pooling"],
    )
    own = {"model", "model_name", "outputs", "task", "normalize_embeddings", "pooling", "decimals", "engine_options"}
    named = {name: value for name, value in arguments.items() if name not in own}
    return specs, _engine_options(arguments["engine_options"], **named)


def _engine_options(extra: dict[str, Any] | None, **named: Any) -> EngineOptions:
    """The stage's named engine parameters plus ``engine_options``; a field given both ways is refused."""
    extra = dict(extra or {})
    fields = set(EngineOptions.__dataclass_fields__)
    unknown = sorted(set(extra) - fields)
    if unknown:
        raise OptionsError(f"engine_options: unknown {', '.join(unknown)}; allowed: {', '.join(sorted(fields))}")
    twice = sorted(key for key in extra if key in named)
    if twice:
        raise OptionsError(f"engine_options: {', '.join(twice)} is a parameter of the stage itself; set it there")
    return EngineOptions(**named, **extra)


def _specs(
    model: str | list[dict[str, Any]],
    model_name: str,
    outputs: list[str] | None,
    task: str,
    normalize_embeddings: bool,
    pooling: str = "auto",
) -> list[ModelSpec]:
    if isinstance(model, str):
        return [
            ModelSpec(
                path=model,
                name=model_name,
                task=task,  # type: ignore[arg-type]
                outputs=tuple(outputs) if outputs else None,
                normalize_embeddings=normalize_embeddings,
                pooling=pooling,  # type: ignore[arg-type]
            )
        ]
    if not model:
        raise OptionsError("model: give a model folder or hub id, or a list of models")
    specs = []
    allowed = {"path", "name", "outputs", "task", "revision", "normalize_embeddings", "pooling"}
    for position, entry in enumerate(model):
        unknown = set(entry) - allowed
        if unknown or "path" not in entry:
            raise OptionsError(
                f"model[{position}]: each entry needs 'path' and may have {', '.join(sorted(allowed - {'path'}))}"
                + (f"; unknown: {', '.join(sorted(unknown))}" if unknown else "")
            )
        entry = dict(entry)
        entry.setdefault("name", f"model{position}" if position else model_name)
        if entry.get("outputs") is not None:
            entry["outputs"] = tuple(entry["outputs"])
        specs.append(ModelSpec(**entry))
    return specs
