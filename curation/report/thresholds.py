"""Which stages decide by a number against a threshold, and how to read that number off a document.

A filter that keeps documents above a score is best judged by the score's distribution with the threshold
drawn on it: is the cut in a valley or through the middle of the mass? ``probes_for(step)`` says, for one
built stage, which per-document metrics to histogram while documents pass it (``curation.report.observe``)
and where its thresholds are. Thresholds are read from the built stage, so defaults that come from a model
card or a datatrove default are the values that actually applied.

Stages are recognised by the qualified names in their class hierarchy, so this module imports none of them
(and a worker that runs no model stage never loads a model library because of it):

- ``language_id`` (``LanguageIdentifier``): ``language_score``, the top language's probability, against
  ``min_score``;
- ``quality_score``, ``lm_quality_score`` (``ThresholdedScoreStage``): the score (``score_key``) against
  ``threshold``;
- ``domain_classify`` (``DomainClassify``): ``domain_score``, the top label's probability, against
  ``min_probability``;
- ``topic_cluster`` (``TopicCluster``): ``topic_confidence``, the quantile within its topic, against
  ``low_confidence``;
- ``gopher_quality`` (datatrove's ``GopherQualityFilter``): words per document (the rule's own count: words with
  a letter or digit, the language's splitter) on 1 document in 8, against ``min_doc_words`` and
  ``max_doc_words``.

A stage that only labels (a score without ``drop_below_threshold``, a domain fallback, a low-confidence
flag) has ``removes`` False: the share on the wrong side of its threshold is what *would* be removed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

KEEP_AT_LEAST = "min"
"""The stage keeps documents whose metric is at least the threshold."""
KEEP_AT_MOST = "max"
"""The stage keeps documents whose metric is at most the threshold."""

GOPHER_WORDS_SAMPLE_EVERY = 8


@dataclass(frozen=True)
class Threshold:
    """One cut: ``parameter`` = ``value``; ``side`` says which side is kept (``min``: value and above)."""

    parameter: str
    value: float
    side: str

    def to_dict(self) -> dict[str, Any]:
        return {"parameter": self.parameter, "value": self.value, "side": self.side}


@dataclass(frozen=True)
class MetricProbe:
    """A per-document number to histogram at one stage: ``bins`` equal bins over [``low``, ``high``].

    ``field``: the metadata key holding the number after the stage ran, or, with ``compute``, the name of the
    number ``compute(document)`` returns (then measured on 1 document in ``sample_every``, chosen by a hash of
    the document id). ``log``: bins equal on a log10 scale (for counts spanning decades); values outside the
    range go to the first or last bin.
    """

    field: str
    low: float
    high: float
    thresholds: tuple[Threshold, ...]
    removes: bool
    bins: int = 50
    log: bool = False
    compute: Callable[[Any], float | None] | None = field(default=None, compare=False)
    sample_every: int = 1

    def describe(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "low": self.low,
            "high": self.high,
            "bins": self.bins,
            "log": self.log,
            "thresholds": [threshold.to_dict() for threshold in self.thresholds],
            "removes": self.removes,
            "sample_every": self.sample_every,
        }


def _class_names(step: Any) -> set[str]:
    return {f"{cls.__module__}.{cls.__qualname__}" for cls in type(step).__mro__}


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def probes_for(step: Any) -> list[MetricProbe]:
    """The metrics to histogram at ``step`` (a built stage), with its thresholds; [] for other stages."""
    names = _class_names(step)
    probes: list[MetricProbe] = []
    if "curation.filters.langid.LanguageIdentifier" in names and not getattr(step, "label_only", False):
        min_score = _number(getattr(step, "min_score", None))
        if min_score is not None:
            probes.append(
                MetricProbe("language_score", 0.0, 1.0, (Threshold("min_score", min_score, KEEP_AT_LEAST),), True)
            )
    if "curation.classify.scoring.ThresholdedScoreStage" in names:
        threshold = _number(getattr(step, "threshold", None))
        card = getattr(step, "card", None)
        low, high = getattr(card, "score_range", (0.0, 1.0)) if card is not None else (0.0, 1.0)
        if threshold is not None:
            probes.append(
                MetricProbe(
                    str(getattr(step, "score_key", "quality_score")),
                    float(low),
                    float(high),
                    (Threshold("threshold", threshold, KEEP_AT_LEAST),),
                    bool(getattr(step, "drop_below_threshold", False)),
                )
            )
    if "curation.classify.domain.DomainClassify" in names:
        min_probability = _number(getattr(step, "min_probability", None))
        key = str(getattr(step, "domain_key", "domain"))
        if min_probability is not None and getattr(step, "model_path", None):
            probes.append(
                MetricProbe(
                    f"{key}_score", 0.0, 1.0, (Threshold("min_probability", min_probability, KEEP_AT_LEAST),), False
                )
            )
    if "curation.topics.cluster_stage.TopicCluster" in names:
        low_confidence = _number(getattr(step, "low_confidence", None))
        if low_confidence is not None:
            probes.append(
                MetricProbe(
                    "topic_confidence", 0.0, 1.0, (Threshold("low_confidence", low_confidence, KEEP_AT_LEAST),), False
                )
            )
    if "datatrove.pipeline.filters.gopher_quality_filter.GopherQualityFilter" in names:
        cuts = []
        for parameter, side in (("min_doc_words", KEEP_AT_LEAST), ("max_doc_words", KEEP_AT_MOST)):
            value = _number(getattr(step, parameter, None))
            if value:
                cuts.append(Threshold(parameter, value, side))
        if cuts:
            probes.append(
                MetricProbe(
                    "gopher_words",
                    1.0,
                    1e6,
                    tuple(cuts),
                    True,
                    bins=60,
                    log=True,
                    compute=_gopher_word_counter(step),
                    sample_every=GOPHER_WORDS_SAMPLE_EVERY,
                )
            )
    return probes


def _gopher_word_counter(step: Any) -> Callable[[Any], float | None]:
    """Words as the Gopher length rule counts them: the language's splitter, tokens with a non-punctuation
    character. For our per-language subclass the document's own language picks the splitter, as in its rule."""
    from datatrove.utils.text import PUNCTUATION_SET, split_into_words

    follows_language = hasattr(step, "document_language") and hasattr(step, "word_splitter")

    def count(document: Any) -> float | None:
        text = document.text
        if not isinstance(text, str):
            return None
        if follows_language:
            from curation.filters.rules import word_tokenizer_for

            language = word_tokenizer_for(step.document_language(document), step.word_splitter)
        else:
            language = step.language
        words = split_into_words(text, language)
        return float(sum(1 for word in words if any(ch not in PUNCTUATION_SET for ch in word)))

    return count
