"""Optional dynamic int8 quantisation of Linear layers on CPU, kept only where the outputs stay close.

Dynamic quantisation (weights stored as int8, activations quantised per batch, fbgemm/oneDNN int8 kernels)
roughly doubles the speed of an encoder's Linear layers on a CPU with VNNI, but how far its outputs move
depends on the model. So the engine runs the first documents through both the fp32 and the int8 model and
keeps int8 only when every output is within the stated tolerance:

- probabilities, scores and logits: the largest absolute difference;
- embeddings: the largest ``1 - cosine similarity``;
- labels: a flipped label counts as out of tolerance unless the fp32 model's top two probabilities were
  themselves within the tolerance of each other (a coin toss either way).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import torch

from curation.inference.outputs import Predictions


def quantize_int8(module: torch.nn.Module) -> torch.nn.Module:
    """An int8 copy of ``module`` with dynamically quantised Linear layers (the original is left untouched)."""
    try:
        from torch.ao.quantization import quantize_dynamic
    except ImportError as error:  # pragma: no cover - depends on the installed torch
        raise RuntimeError(
            "this torch has no dynamic quantisation (torch.ao.quantization.quantize_dynamic); use quantize='none'"
        ) from error
    with warnings.catch_warnings():
        # torch announces a move of eager-mode quantisation to torchao; the eager kernels are still the
        # fastest int8 path on CPU without torch.compile
        warnings.simplefilter("ignore")
        return quantize_dynamic(module, {torch.nn.Linear}, dtype=torch.qint8, inplace=False)


@dataclass
class QuantizationReport:
    """How far the int8 outputs moved from fp32 on the checked documents, and whether int8 was kept."""

    accepted: bool
    tolerance: float
    documents: int = 0
    deviations: dict[str, float] = field(default_factory=dict)
    label_flips: int = 0

    def describe(self) -> str:
        parts = [f"{name} {value:.4g}" for name, value in sorted(self.deviations.items())]
        if self.label_flips:
            parts.append(f"{self.label_flips} label(s) flipped")
        detail = ", ".join(parts) or "no outputs compared"
        return f"largest deviation on {self.documents} documents: {detail} (tolerance {self.tolerance:g})"


def compare_predictions(reference: Predictions, quantized: Predictions, tolerance: float) -> QuantizationReport:
    """Compare int8 outputs with the fp32 reference on the same documents (see the module docstring)."""
    deviations: dict[str, float] = {}
    flips = 0
    for model, outputs in reference.arrays.items():
        for kind, expected in outputs.items():
            actual = quantized.arrays[model][kind]
            if kind == "label":
                continue
            if kind == "embedding":
                deviations[f"{model}.{kind} (1 - cosine)"] = _cosine_gap(expected, actual)
            else:
                deviations[f"{model}.{kind}"] = float(np.max(np.abs(expected - actual), initial=0.0))
        flips += _label_flips(reference, quantized, model, tolerance)
    accepted = flips == 0 and all(value <= tolerance for value in deviations.values())
    return QuantizationReport(accepted, tolerance, reference.documents, deviations, flips)


def _cosine_gap(expected: np.ndarray, actual: np.ndarray) -> float:
    if not len(expected):
        return 0.0
    norms = np.linalg.norm(expected, axis=1) * np.linalg.norm(actual, axis=1)
    cosine = np.sum(expected * actual, axis=1) / np.maximum(norms, 1e-12)
    return float(np.max(1.0 - cosine))


def _label_flips(reference: Predictions, quantized: Predictions, model: str, tolerance: float) -> int:
    expected = reference.arrays[model].get("label")
    if expected is None:
        return 0
    flipped = expected != quantized.arrays[model]["label"]
    probabilities = reference.arrays[model].get("probabilities")
    if probabilities is None or probabilities.shape[1] < 2:
        return int(np.sum(flipped))
    top_two = np.sort(probabilities, axis=1)[:, -2:]
    undecided = (top_two[:, 1] - top_two[:, 0]) <= tolerance
    return int(np.sum(flipped & ~undecided))
