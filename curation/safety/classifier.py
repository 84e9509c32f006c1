"""``safety_score``: a local safety or toxicity classifier on every document, tagged by default.

Word lists see words; a classifier sees what a text does with them. This stage runs any Hugging Face
sequence-classification folder (a toxicity model such as a fine-tuned RoBERTa, a moderation model with
categories, one's own) through the project's inference engine (``model_outputs``: batching by tokens,
long documents, bf16 on GPU; ``docs/inference.md``) and writes, besides ``<model_name>_probabilities``
and ``<model_name>_label``:

- ``<model_name>_unsafe``: the highest probability among the unsafe labels (0..1);
- ``<model_name>_flagged``: the unsafe labels at or above their threshold (an empty list when none).

Which labels are unsafe: every label except ``safe_labels``; by default those whose name says so
(``safe``, ``non-toxic``, ``neutral``, ``ok``, ``clean``, ``normal``, ``benign``, ...). A multi-label head
(sigmoid, such as the Jigsaw toxicity models' ``toxic``, ``obscene``, ``threat``, ``insult``) has no safe
label: all its labels count. ``thresholds`` is one number for every unsafe label or a mapping per label
(``default`` for the rest), set in the recipe.

By default the stage only tags: classifiers are trained on comments and chats, not on web pages, and
their errors on medical or historical text are what a curation team must look at before dropping
anything. ``action: drop`` drops flagged documents as ``safety_<label>`` (the label with the highest
probability among the flagged ones).
"""

from __future__ import annotations

import re
from typing import Any, Literal

from datatrove.data import DocumentsPipeline

from curation.inference.stage import ModelOutputs

SAFE_LABEL_NAMES = frozenset(
    {"safe", "non-toxic", "non_toxic", "nontoxic", "not_toxic", "not-toxic", "neutral", "ok", "clean", "normal"}
    | {"benign", "none", "acceptable", "appropriate", "non-hate", "not_hate", "nothate", "no_hate"}
)
"""Label names (lower-cased) read as "safe" when ``safe_labels`` is not given."""
_REASON_CHARACTERS = re.compile(r"[^\w-]+")


class SafetyScore(ModelOutputs):
    """Score documents with a local safety/toxicity classifier; tag them (default) or drop above thresholds.

    Args:
        model: a local folder (or a hub id given as such) of a sequence-classification model.
        model_name: prefix of the metadata fields (default ``safety``).
        thresholds: probability at or above which an unsafe label flags a document: one number, or
            ``{label: threshold}`` with ``default`` for the labels not named.
        safe_labels: the labels that are not unsafe (default: those named like ``SAFE_LABEL_NAMES``).
        action: ``tag`` (default: keep every document) or ``drop`` (drop flagged documents).
        Every other parameter is ``model_outputs``' (device, precision, batching, long documents, ...).

    Raises:
        ValueError: a threshold outside 0..1, a label in ``thresholds`` or ``safe_labels`` the model does
            not have, or a model whose every label is safe.
    """

    name = "🛡 Safety score"
    type = "🔻 - FILTER"

    def __init__(
        self,
        model: str,
        model_name: str = "safety",
        thresholds: float | dict[str, float] = 0.5,
        safe_labels: list[str] | None = None,
        action: Literal["tag", "drop"] = "tag",
        device: str = "auto",
        precision: Literal["auto", "fp32", "bf16", "fp16"] = "auto",
        max_length: int | None = None,
        max_batch_tokens: int | None = None,
        long_documents: Literal["truncate", "chunk"] = "truncate",
        chunk_aggregate: Literal["mean", "max"] = "max",
        allow_unsafe_weights: bool = False,
        trust_remote_code: bool = False,
        engine_options: dict[str, Any] | None = None,
    ):
        if action not in ("tag", "drop"):
            raise ValueError(f"action must be 'tag' or 'drop', not {action!r}")
        super().__init__(
            model,
            model_name=model_name,
            outputs=["probabilities", "label"],
            task="classify",
            decimals=6,
            device=device,
            precision=precision,
            max_length=max_length,
            max_batch_tokens=max_batch_tokens,
            long_documents=long_documents,
            chunk_aggregate=chunk_aggregate,
            allow_unsafe_weights=allow_unsafe_weights,
            trust_remote_code=trust_remote_code,
            engine_options=engine_options,
        )
        self.model_name = model_name
        self.action = action
        self.labels: list[str] = list(self.engine.label_names[model_name])
        if safe_labels is None:
            safe = {label for label in self.labels if label.lower() in SAFE_LABEL_NAMES}
        else:
            unknown = sorted(set(safe_labels) - set(self.labels))
            if unknown:
                raise ValueError(f"safe_labels: {', '.join(unknown)} not among the model's labels {self.labels}")
            safe = set(safe_labels)
        self.unsafe_labels = [label for label in self.labels if label not in safe]
        if not self.unsafe_labels:
            raise ValueError(f"every label of the model is safe ({self.labels}); set safe_labels")
        self.thresholds = self._thresholds(thresholds)

    def _thresholds(self, thresholds: float | dict[str, float]) -> dict[str, float]:
        if isinstance(thresholds, dict):
            named = dict(thresholds)
            default = named.pop("default", 0.5)
            unknown = sorted(set(named) - set(self.labels))
            if unknown:
                raise ValueError(f"thresholds: {', '.join(unknown)} not among the model's labels {self.labels}")
            values = {label: float(named.get(label, default)) for label in self.unsafe_labels}
        else:
            values = dict.fromkeys(self.unsafe_labels, float(thresholds))
        for label, value in values.items():
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"thresholds: {label}: {value} is not a probability between 0 and 1")
        return values

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        probabilities_field = f"{self.model_name}_probabilities"
        for document in super().run(data, rank, world_size):
            probabilities = dict(zip(self.labels, document.metadata[probabilities_field], strict=True))
            unsafe = max(probabilities[label] for label in self.unsafe_labels)
            flagged = sorted(
                (label for label in self.unsafe_labels if probabilities[label] >= self.thresholds[label]),
                key=lambda label: -probabilities[label],
            )
            document.metadata[f"{self.model_name}_unsafe"] = unsafe
            document.metadata[f"{self.model_name}_flagged"] = flagged
            if flagged:
                self.stat_update(f"flagged_{_reason_part(flagged[0])}")
                if self.action == "drop":
                    self.stat_update(f"dropped_safety_{_reason_part(flagged[0])}")
                    continue
            yield document


def _reason_part(label: str) -> str:
    return _REASON_CHARACTERS.sub("_", label.strip().lower()).strip("_") or "label"
