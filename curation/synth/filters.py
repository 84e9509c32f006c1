"""The checks synthetic answers must pass, each a datatrove filter with counted drop reasons.

In a recipe they run in this order, cheapest and most telling first (the quality score, near-duplicate
and decontamination steps are the project's own ``quality_score``, ``synth_near_dedup`` (MinHash) and
``decontaminate`` stages):

``synth_format``        ``empty_response``, ``truncated_response`` (stopped at ``max_tokens``),
                        ``missing_response_prefix``, ``wrong_format`` (too few question-answer pairs or
                        list items for the template);
``synth_length``        ``too_short`` / ``too_long`` (completion tokens against the template's output
                        bounds), ``length_ratio_too_low`` / ``length_ratio_too_high`` (output words per
                        source word);
``synth_refusal``       ``refusal`` ("As an AI ...", "I can't help with ...") and ``meta_talk`` ("Sure!
                        Here is the rewritten text", "I hope this helps");
``synth_language``      ``language_differs_from_source``, ``language_undetermined`` (fastText lid.176,
                        the ``language_id`` stage's model and code);
``synth_faithfulness``  ``invented`` (too few of the answer's word n-grams occur in the source) and
                        ``copied`` (too many do).

Each filter reads what the template expects from ``synth_expect`` and the source from
``synth_source_text`` (see ``records``); a document without them passes and is counted
``not_synthetic``.
"""

from __future__ import annotations

import re
from typing import Any

import orjson
from datatrove.data import Document
from datatrove.pipeline.filters.base_filter import BaseFilter

from curation.dedup.tokens import words
from curation.filters.langid import UNDETERMINED, LanguageIdentifier
from curation.synth import records as R
from curation.synth.templates import estimate_tokens

FilterResult = bool | tuple[bool, str]
_QUESTION = re.compile(r"^\s*(?:[*_#]+\s*)?(?:Q|Question)\s*\d*\s*[:.)]", re.IGNORECASE | re.MULTILINE)
_ANSWER = re.compile(r"^\s*(?:[*_#]+\s*)?(?:A|Answer)\s*\d*\s*[:.)]", re.IGNORECASE | re.MULTILINE)
_LIST_ITEM = re.compile(r"^\s*(?:[-*\u2022]|\d+[.)])\s+\S", re.MULTILINE)
_LETTER = re.compile(r"[^\W\d_]")

REFUSAL_PATTERNS = (
    r"\bas an ai\b",
    r"\bas an? (?:ai|artificial intelligence|large )?language model\b",
    r"\bi(?:'m| am) (?:sorry|unable|not able)\b",
    r"\bi (?:can(?:no|')t|won't|will not|must decline to) (?:help|assist|provide|create|write|comply|fulfil)",
    r"\b(?:against|violates?) my (?:guidelines|policies|programming)\b",
)
META_OPENING_PATTERNS = (
    r"^(?:sure|certainly|of course|absolutely|okay|ok)\b[,!.:]",
    r"^here(?:'s| is| are) (?:a|an|the|your|some)\b",
    r"\b(?:rewritten|paraphrased|revised|requested) (?:version|text|article|chapter)\b",
    r"\bthe (?:text|article|passage|document|material|web page) (?:above|below|provided)\b",
    # the answer judging itself or the source instead of being the text ("This is a perfect summary of ...")
    r"^(?:this|that|the above) is (?:a|an) (?:\w+ ){0,2}(?:summary|paraphrase|rewrite|rewording|version)\b",
    r"\bthe (?:text|article|passage|document|summary) (?:effectively|clearly|successfully|accurately) "
    r"(?:conveys|captures|summari[sz]es|presents)\b",
)
META_CLOSING_PATTERNS = (
    r"\bi hope (?:this|that|it) helps\b",
    r"\blet me know if\b",
    r"\bfeel free to (?:ask|reach|let)\b",
)
WINDOW_CHARS = 240


def expectations(document: Document) -> dict[str, Any] | None:
    raw = document.metadata.get(R.EXPECT)
    if not isinstance(raw, str):
        return None
    return orjson.loads(raw)


class _SynthFilter(BaseFilter):
    def filter(self, doc: Document) -> FilterResult:
        expect = expectations(doc)
        if expect is None:
            self.stat_update("not_synthetic")
            return True
        return self.check(doc, expect)

    def check(self, doc: Document, expect: dict[str, Any]) -> FilterResult:
        raise NotImplementedError


class ResponseFormatFilter(_SynthFilter):
    """Answers that are empty, cut off, lack the template's response prefix or its format are dropped.

    Args:
        drop_truncated: drop answers that stopped at ``max_tokens`` (``finish_reason`` ``length``).
    """

    name = "🧾 synth format"

    def __init__(self, drop_truncated: bool = True):
        super().__init__()
        self.drop_truncated = drop_truncated

    def check(self, doc: Document, expect: dict[str, Any]) -> FilterResult:
        text = doc.text.strip()
        if not _LETTER.search(text):
            return False, "empty_response"
        if self.drop_truncated and doc.metadata.get(R.FINISH_REASON) == "length":
            return False, "truncated_response"
        prefix = str(expect.get("response_prefix") or "").strip()
        if prefix and not text.startswith(prefix):
            return False, "missing_response_prefix"
        kind, needed = expect.get("format", "prose"), int(expect.get("min_items") or 1)
        if kind == "qa_pairs":
            found = min(len(_QUESTION.findall(text)), len(_ANSWER.findall(text)))
        elif kind == "list":
            found = len(_LIST_ITEM.findall(text))
        else:
            found = sum(1 for paragraph in text.split("\n\n") if len(paragraph.split()) >= 3)
        if found < needed:
            return False, "wrong_format"
        return True


class LengthFilter(_SynthFilter):
    """Answers outside the template's output token bounds or length ratio to the source are dropped."""

    name = "📏 synth length"

    def check(self, doc: Document, expect: dict[str, Any]) -> FilterResult:
        tokens = doc.metadata.get(R.COMPLETION_TOKENS)
        if not isinstance(tokens, int):
            tokens = estimate_tokens(doc.text)
        if tokens < int(expect.get("min_tokens") or 0):
            return False, "too_short"
        if expect.get("max_tokens") and tokens > int(expect["max_tokens"]):
            return False, "too_long"
        source = doc.metadata.get(R.SOURCE_TEXT)
        if isinstance(source, str) and source.split():
            ratio = len(doc.text.split()) / len(source.split())
            doc.metadata["synth_length_ratio"] = round(ratio, 4)
            if ratio < float(expect.get("min_ratio") or 0.0):
                return False, "length_ratio_too_low"
            if expect.get("max_ratio") is not None and ratio > float(expect["max_ratio"]):
                return False, "length_ratio_too_high"
        return True


class RefusalFilter(_SynthFilter):
    """Refusals anywhere and meta-talk at the start or end of an answer are dropped.

    Args:
        extra_refusals, extra_meta: more regular expressions (case-insensitive) for either reason.
    """

    name = "🙅 synth refusal"

    def __init__(self, extra_refusals: list[str] | None = None, extra_meta: list[str] | None = None):
        super().__init__()
        flags = re.IGNORECASE | re.MULTILINE
        self.refusals = [re.compile(p, flags) for p in (*REFUSAL_PATTERNS, *(extra_refusals or []))]
        self.opening = [re.compile(p, flags) for p in (*META_OPENING_PATTERNS, *(extra_meta or []))]
        self.closing = [re.compile(p, flags) for p in META_CLOSING_PATTERNS]

    def check(self, doc: Document, expect: dict[str, Any]) -> FilterResult:
        text = doc.text.strip()
        if any(p.search(text) for p in self.refusals):
            return False, "refusal"
        head, tail = text[:WINDOW_CHARS], text[-WINDOW_CHARS:]
        if any(p.search(head) for p in self.opening) or any(p.search(tail) for p in self.closing):
            return False, "meta_talk"
        return True


class SameLanguageFilter(LanguageIdentifier):
    """Answers in another language than their source are dropped (fastText lid.176, as ``language_id``).

    The answer's ``language`` and ``language_score`` are written; the source's language is its
    ``source_language`` or, when that is missing, identified from ``synth_source_text``.
    """

    name = "🌍 synth language"

    def __init__(self, model_path: str | None = None, max_chars: int = 10_000, batch_size: int = 256):
        super().__init__(model_path=model_path, max_chars=max_chars, batch_size=batch_size)

    def filter_batch(self, batch: list[Document]) -> list[FilterResult]:
        answers = self.identify([d.text for d in batch])
        unknown = [i for i, d in enumerate(batch) if not isinstance(d.metadata.get(R.SOURCE_LANGUAGE), str)]
        sources: dict[int, str] = {}
        texts = [batch[i].metadata.get(R.SOURCE_TEXT) for i in unknown]
        if unknown:
            found = self.identify([t if isinstance(t, str) else "" for t in texts])
            sources = {i: language for i, (language, _, _) in zip(unknown, found, strict=True)}
        results: list[FilterResult] = []
        for index, (document, (language, _script, score)) in enumerate(zip(batch, answers, strict=True)):
            document.metadata["language"] = language
            document.metadata["language_score"] = round(score, 4)
            source = sources.get(index) or document.metadata.get(R.SOURCE_LANGUAGE)
            if language == UNDETERMINED:
                results.append((False, "language_undetermined"))
            elif source and source != UNDETERMINED and language != source:
                results.append((False, "language_differs_from_source"))
            else:
                results.append(True)
        return results


class FaithfulnessFilter(_SynthFilter):
    """Word n-gram overlap with the source: too little is invented content, too much is a copy.

    The overlap is the share of the answer's distinct word n-grams (words as in ``curation.dedup.tokens``:
    lower-cased, punctuation ignored) that also occur in the source; it is written as
    ``synth_source_overlap``.

    Args:
        ngram: n-gram length in words.
        min_overlap: below this the answer is ``invented``.
        max_overlap: above this the answer is ``copied``.
    """

    name = "🔗 synth faithfulness"

    def __init__(self, ngram: int = 2, min_overlap: float = 0.1, max_overlap: float = 0.9):
        super().__init__()
        if ngram < 1 or not 0.0 <= min_overlap <= max_overlap <= 1.0:
            raise ValueError("ngram >= 1 and 0 <= min_overlap <= max_overlap <= 1 are needed")
        self.ngram = ngram
        self.min_overlap = min_overlap
        self.max_overlap = max_overlap

    def overlap(self, answer: str, source: str) -> float:
        """Share of ``answer``'s distinct n-grams found in ``source`` (0 when the answer has none)."""
        mine = _ngrams(words(answer), self.ngram)
        if not mine:
            return 0.0
        return len(mine & _ngrams(words(source), self.ngram)) / len(mine)

    def check(self, doc: Document, expect: dict[str, Any]) -> FilterResult:
        source = doc.metadata.get(R.SOURCE_TEXT)
        if not isinstance(source, str):
            self.stat_update("no_source_text")
            return True
        overlap = self.overlap(doc.text, source)
        doc.metadata["synth_source_overlap"] = round(overlap, 4)
        if overlap < self.min_overlap:
            return False, "invented"
        if overlap > self.max_overlap:
            return False, "copied"
        return True


def _ngrams(tokens: list[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)}
