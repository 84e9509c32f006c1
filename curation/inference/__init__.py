"""The batched transformer inference engine every model stage uses (quality, domain, embeddings).

Documents go in, each document's outputs come back in input order. In between, a feeder thread tokenises
ahead of the model (fast tokenizers, GIL released), sorts rows by token length within a window, cuts
token-budget batches with per-batch padding, and stages them in reused host buffers; the model thread only
copies and runs. See ``docs/inference.md``.

This ``__init__`` stays free of heavy imports (torch, transformers): names below are imported on first use,
so validating a recipe or ``curate --help`` never loads torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

STAGES = {
    "model_outputs": "curation.inference.stage:ModelOutputs",
}
"""Recipe names of this area's stages (``module:Class``, imported lazily by the registry)."""

_EXPORTS = {
    "InferenceEngine": "curation.inference.engine",
    "InferenceOutOfMemory": "curation.inference.engine",
    "EngineOptions": "curation.inference.options",
    "ModelSpec": "curation.inference.options",
    "OptionsError": "curation.inference.options",
    "ModelLoadError": "curation.inference.loading",
    "Predictions": "curation.inference.outputs",
    "ModelOutputs": "curation.inference.stage",
}

if TYPE_CHECKING:
    from curation.inference.engine import InferenceEngine, InferenceOutOfMemory
    from curation.inference.loading import ModelLoadError
    from curation.inference.options import EngineOptions, ModelSpec, OptionsError
    from curation.inference.outputs import Predictions
    from curation.inference.stage import ModelOutputs

__all__ = [
    "STAGES",
    "EngineOptions",
    "InferenceEngine",
    "InferenceOutOfMemory",
    "ModelLoadError",
    "ModelOutputs",
    "ModelSpec",
    "OptionsError",
    "Predictions",
]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'curation.inference' has no attribute {name!r}")
