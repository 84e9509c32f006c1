"""The rule filters (Gopher repetition and quality, C4, FineWeb) used as a quality score, for comparison.

Each filter passes or fails a document; the score is the share of filters it passes (0, 0.25 ... 1) and the
pipeline's decision is "passes them all" (score 1). This is what a classifier has to beat: the rules cost
nothing to run and need no labels. The filters are the project's per-language versions of datatrove's
(``curation.filters.rules``); documents without a ``language`` are treated as English.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from datatrove.data import Document

RULE_FILTERS = ("gopher_repetition", "gopher_quality", "c4_quality", "fineweb_quality")


def _filters() -> dict[str, object]:
    from curation.filters.rules import C4Quality, FineWebQuality, GopherQuality, GopherRepetition

    return {
        "gopher_repetition": GopherRepetition(),
        "gopher_quality": GopherQuality(),
        "c4_quality": C4Quality(),
        "fineweb_quality": FineWebQuality(),
    }


def rule_passes(texts: Sequence[str], language: str = "en") -> dict[str, np.ndarray]:
    """For each rule filter, whether each text passes it (C4 edits the text it checks, so each filter gets
    its own copy of the document)."""
    results: dict[str, np.ndarray] = {}
    for name, rule in _filters().items():
        passed = []
        for index, text in enumerate(texts):
            outcome = rule.filter(Document(text=text, id=str(index), metadata={"language": language}))
            passed.append(outcome is True or (not isinstance(outcome, tuple) and bool(outcome)))
        results[name] = np.asarray(passed, dtype=bool)
    return results


def rule_score(passes: dict[str, np.ndarray]) -> np.ndarray:
    """The share of rule filters each document passes."""
    return np.mean(np.stack([passes[name] for name in RULE_FILTERS]), axis=0).astype(np.float32)
