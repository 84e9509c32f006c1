"""Word-level precision, recall and F1 of an extracted text against a reference text.

The scrapinghub article-extraction benchmark's measure, at the word level: both texts are lower-cased and cut
into ``\\w+`` words; the overlap is the multiset intersection (a word counts as often as it appears in both).
Scores are computed per page and macro-averaged over pages, so a long page weighs no more than a short one.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

_WORD = re.compile(r"\w+")


@dataclass(frozen=True, slots=True)
class WordScores:
    precision: float
    recall: float
    f1: float


def word_scores(extracted: str, reference: str) -> WordScores:
    """Precision, recall and F1 of the words of ``extracted`` against those of ``reference``."""
    predicted = Counter(_WORD.findall(extracted.lower()))
    expected = Counter(_WORD.findall(reference.lower()))
    if not predicted and not expected:
        return WordScores(1.0, 1.0, 1.0)
    overlap = sum((predicted & expected).values())
    precision = overlap / sum(predicted.values()) if predicted else 0.0
    recall = overlap / sum(expected.values()) if expected else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return WordScores(precision, recall, f1)


def macro_average(scores: Iterable[WordScores]) -> WordScores:
    """The mean of each measure over pages."""
    items = list(scores)
    if not items:
        return WordScores(0.0, 0.0, 0.0)
    count = len(items)
    return WordScores(
        sum(s.precision for s in items) / count,
        sum(s.recall for s in items) / count,
        sum(s.f1 for s in items) / count,
    )
