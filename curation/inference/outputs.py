"""From a model's forward pass to per-document outputs, in input order.

On the device, each batch is reduced to what was asked for (probabilities, logits, pooled embeddings) in
fp32, so only a few numbers per row travel back. On the host, rows land at their window positions; rows of
one chunked document are then aggregated (mean or max) and labels are taken from the aggregate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from curation.inference.loading import LoadedModel


def device_outputs(
    model: LoadedModel, logits: torch.Tensor | None, hidden: torch.Tensor | None, mask: torch.Tensor | None
) -> dict[str, torch.Tensor]:
    """The requested outputs of one batch for one model, as fp32 tensors still on the device."""
    wanted = model.outputs
    result: dict[str, torch.Tensor] = {}
    if logits is not None:
        logits = logits.float()
        if "logits" in wanted or "score" in wanted:
            result["logits"] = logits
        if "probabilities" in wanted or "label" in wanted:
            if model.problem_type == "multi_label_classification":
                result["probabilities"] = torch.sigmoid(logits)
            else:
                result["probabilities"] = torch.softmax(logits, dim=-1)
    if "embedding" in wanted:
        result["embedding"] = pool(hidden, mask, model.pooling)
    return result


def pool(hidden: torch.Tensor, mask: torch.Tensor | None, mode: str) -> torch.Tensor:
    """One vector per row from the last hidden states ``(rows, tokens, width)``: ``mean``, ``cls`` or ``max``.

    As sentence-transformers' ``Pooling`` module computes them: ``cls`` is the first token's state, ``max``
    the element-wise maximum over the tokens the attention mask keeps.
    """
    if mode == "cls":
        return hidden[:, 0].float()
    if mode == "max":
        values = hidden.float()
        if mask is not None:
            values = values.masked_fill(mask.unsqueeze(-1) == 0, float("-inf"))
        return values.max(dim=1).values
    return mean_pool(hidden, mask)


def mean_pool(hidden: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """Mean of the hidden states over the tokens the attention mask keeps (special tokens included)."""
    if mask is None:
        return hidden.float().mean(dim=1)
    weights = mask.unsqueeze(-1).to(torch.float32)
    summed = (hidden.float() * weights).sum(dim=1)
    return summed / weights.sum(dim=1).clamp(min=1.0)


class WindowAccumulator:
    """Per-row outputs of one window, filled batch by batch in whatever order the batches ran."""

    def __init__(self, rows: int):
        self.rows = rows
        self.arrays: dict[str, dict[str, np.ndarray]] = {}

    def put(self, model: str, outputs: dict[str, np.ndarray], positions: np.ndarray) -> None:
        per_model = self.arrays.setdefault(model, {})
        for kind, values in outputs.items():
            target = per_model.get(kind)
            if target is None:
                target = per_model[kind] = np.full((self.rows, *values.shape[1:]), np.nan, dtype=np.float32)
            target[positions] = values

    def finish(
        self, models: list[LoadedModel], row_document: np.ndarray, documents: int, aggregate: str
    ) -> dict[str, dict[str, np.ndarray]]:
        """Per-document arrays: rows aggregated per document, labels from the (aggregated) probabilities."""
        chunked = len(row_document) != documents or not np.array_equal(row_document, np.arange(documents))
        result: dict[str, dict[str, np.ndarray]] = {}
        for model in models:
            per_row = self.arrays.get(model.name, {})
            per_document = {
                kind: aggregate_rows(values, row_document, documents, aggregate) if chunked else values
                for kind, values in per_row.items()
            }
            if "embedding" in per_document and model.spec.normalize_embeddings:
                vectors = per_document["embedding"]
                per_document["embedding"] = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
            if "label" in model.outputs:
                per_document["label"] = per_document["probabilities"].argmax(axis=1).astype(np.int64)
            if "score" in model.outputs:
                per_document["score"] = per_document["logits"]
            result[model.name] = {kind: per_document[kind] for kind in model.outputs}
        return result


def aggregate_rows(values: np.ndarray, row_document: np.ndarray, documents: int, how: str) -> np.ndarray:
    """Combine the rows of each document (mean or element-wise max)."""
    shape = (documents, *values.shape[1:])
    if how == "max":
        combined = np.full(shape, -np.inf, dtype=np.float32)
        np.maximum.at(combined, row_document, values)
        return combined
    combined = np.zeros(shape, dtype=np.float32)
    np.add.at(combined, row_document, values)
    counts = np.bincount(row_document, minlength=documents).astype(np.float32)
    return combined / np.maximum(counts, 1.0).reshape(-1, *([1] * (values.ndim - 1)))


@dataclass
class Predictions:
    """Outputs of a run of documents, in input order: ``arrays[model][output]`` has one entry per document.

    Labels are class indices in ``arrays``; ``label_names[model]`` maps them to the model's class names.
    """

    arrays: dict[str, dict[str, np.ndarray]]
    label_names: dict[str, list[str]]
    documents: int
    rows: int = 0
    tokens: int = 0
    truncated: int = 0
    timings: dict[str, float] = field(default_factory=dict)

    def __len__(self) -> int:
        return self.documents

    def document(self, index: int) -> dict[str, dict[str, Any]]:
        """One document's outputs as plain Python values: ``{model: {output: value}}``."""
        result: dict[str, dict[str, Any]] = {}
        for model, outputs in self.arrays.items():
            values: dict[str, Any] = {}
            for kind, array in outputs.items():
                value = array[index]
                if kind == "label":
                    values[kind] = self.label_names[model][int(value)]
                elif kind == "score" and value.shape == (1,):
                    values[kind] = float(value[0])
                else:
                    values[kind] = value.tolist()
            result[model] = values
        return result

    @classmethod
    def concatenate(cls, parts: list[Predictions], label_names: dict[str, list[str]]) -> Predictions:
        if not parts:
            return cls({}, label_names, 0)
        arrays = {
            model: {kind: np.concatenate([p.arrays[model][kind] for p in parts]) for kind in outputs}
            for model, outputs in parts[0].arrays.items()
        }
        return cls(
            arrays,
            label_names,
            documents=sum(p.documents for p in parts),
            rows=sum(p.rows for p in parts),
            tokens=sum(p.tokens for p in parts),
            truncated=sum(p.truncated for p in parts),
        )
