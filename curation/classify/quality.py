"""``quality_score``: a trained quality classifier's score for every document, in metadata; optionally a filter.

The score is always written (``quality_score`` by default), on every document that passes, so a user can
re-threshold later without rerunning the model; with ``drop_below_threshold`` the stage also drops
documents scoring below the threshold (reason ``quality_below_threshold``). The threshold defaults to the
one on the model's card.

The model is a folder written by ``curate train`` (transformers or fastText; the card says which), any
Hugging Face sequence-classification folder or hub id (a regression head such as FineWeb-Edu's gives its
0-5 score), or a fastText ``.bin``. Transformers models run through the inference engine; see
``docs/classifiers.md``.
"""

from __future__ import annotations

from typing import Any, Literal

from curation.classify.scoring import Precision, ThresholdedScoreStage, build_engine_options

BELOW_THRESHOLD = "quality_below_threshold"


class QualityScore(ThresholdedScoreStage):
    """Score every document with a quality classifier (``quality_score`` in metadata); optionally drop low ones.

    Args:
        model: a model folder from ``curate train``, a Hugging Face classifier folder or hub id, or a fastText
            ``.bin``.
        threshold: the decision point on the score; default: the card's (0.5 for a probability).
        drop_below_threshold: drop documents scoring below ``threshold`` (the score of every kept document is
            written either way).
        score_key: the metadata field the score goes into.
        decimals: round the score to this many decimals.
        device, precision, max_length, max_batch_tokens, quantize: the inference engine's options
            (transformers models); ``engine_options`` passes any other (``curation.inference.EngineOptions``).
        batch_size: documents per fastText call.
    """

    name = "⭐ Quality score"
    below_threshold_reason = BELOW_THRESHOLD

    def __init__(
        self,
        model: str,
        threshold: float | None = None,
        drop_below_threshold: bool = False,
        score_key: str = "quality_score",
        decimals: int = 4,
        device: str = "auto",
        precision: Precision = "auto",
        max_length: int | None = None,
        max_batch_tokens: int | None = None,
        quantize: Literal["none", "int8"] = "none",
        engine_options: dict[str, Any] | None = None,
        batch_size: int = 1024,
    ):
        options = build_engine_options(device, precision, max_length, max_batch_tokens, quantize, engine_options)
        super().__init__(model, options, batch_size)
        assert self.card is not None
        self.threshold = self.card.threshold if threshold is None else threshold
        self.drop_below_threshold = drop_below_threshold
        self.score_key = score_key
        self.decimals = decimals
