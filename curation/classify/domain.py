"""``domain_classify``: a domain label and its probability for every document, for routing and for vertical
corpora.

Where the label comes from, in order:

1. ``min_quality``: a document whose quality score (written upstream by ``quality_score``) is below it is
   ``other`` — a vertical corpus should hold the vertical's good text, not its spam;
2. the classifier (a model folder from ``curate train``: transformers or fastText), when its top
   probability reaches ``min_probability`` (default: the card's threshold);
3. URL rules (``curation.classify.url_rules``), the cheap fallback — or the only source, without a model;
4. otherwise ``other``.

Metadata: ``domain`` (the label), ``domain_score`` (its probability: the model's, or the URL rule's share
of matched keywords; null when nothing spoke for it), ``domain_source`` (``model``, ``url``, ``quality`` or
``none``) and ``token_count`` (kept if an upstream step already wrote one). Route with
``output.filename: "${domain}/${shard}"``: the writer turns any label into one safe path component.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from datatrove.data import Document, DocumentsPipeline

from curation.classify.scoring import NON_STRING_TEXT, ClassifierStage, Precision, build_engine_options
from curation.classify.tokens import WORDS, TokenCounter
from curation.classify.url_rules import UrlRules
from curation.io.writers.base import safe_path_component

NOT_WANTED = "domain_not_wanted"


class DomainClassify(ClassifierStage):
    """Label every document with a domain (classifier, URL rules, or both) and count its tokens.

    Args:
        model: a domain model folder from ``curate train``, a Hugging Face classifier folder or hub id, or a
            fastText ``.bin``; None for URL rules only.
        min_probability: below this top probability the model's label is not trusted (default: the card's
            threshold).
        use_url_rules: fall back to URL rules when there is no trusted model label.
        url_rules: ``{domain: [keywords]}`` replacing the built-in multilingual rules.
        url_field: the metadata field holding the document's URL.
        other_label: the label for documents no source places.
        min_quality: documents whose ``quality_key`` score is below this are ``other_label``.
        quality_key: where ``quality_score`` wrote the quality score.
        keep_domains: drop documents of any other domain (reason ``domain_not_wanted``); None keeps all.
        domain_key: the metadata field for the label (``<domain_key>_score``, ``_source`` beside it).
        token_counter: ``words``, or a tokenizer (folder, tokenizer.json, ``hf://`` hub id) for exact token counts.
        device, precision, max_length, max_batch_tokens, quantize, engine_options: the inference engine's
            options (transformers models).
        batch_size: documents per fastText call.
    """

    name = "🧭 Domain"

    def __init__(
        self,
        model: str | None = None,
        min_probability: float | None = None,
        use_url_rules: bool = True,
        url_rules: dict[str, list[str]] | None = None,
        url_field: str = "url",
        other_label: str = "other",
        min_quality: float | None = None,
        quality_key: str = "quality_score",
        keep_domains: list[str] | None = None,
        domain_key: str = "domain",
        token_counter: str = WORDS,
        device: str = "auto",
        precision: Precision = "auto",
        max_length: int | None = None,
        max_batch_tokens: int | None = None,
        quantize: Literal["none", "int8"] = "none",
        engine_options: dict[str, Any] | None = None,
        batch_size: int = 1024,
    ):
        if model is None and not use_url_rules:
            raise ValueError("domain_classify needs a model, URL rules (use_url_rules: true), or both")
        options = build_engine_options(device, precision, max_length, max_batch_tokens, quantize, engine_options)
        super().__init__(model, options, batch_size)
        if self.classifier is not None and self.classifier.is_regression:
            raise ValueError(f"{model}: a domain model must be a classifier, not a regression head")
        threshold = self.card.threshold if self.card is not None else 0.5
        self.min_probability = threshold if min_probability is None else min_probability
        self.rules = UrlRules(url_rules) if use_url_rules else None
        self.url_field = url_field
        self.other_label = other_label
        self.min_quality = min_quality
        self.quality_key = quality_key
        self.keep_domains = frozenset(keep_domains) if keep_domains is not None else None
        self.domain_key = domain_key
        self.tokens = TokenCounter(token_counter)

    @classmethod
    def model_locations(cls, params: dict[str, Any]) -> dict[str, str]:
        """The classifier and, when it is not ``words``, the token counter's tokenizer."""
        locations = super().model_locations(params)
        counter = params.get("token_counter", WORDS)
        if counter and counter != WORDS:
            locations["token_counter"] = str(counter)
        return locations

    def _probability_of(self, label: str, row: np.ndarray | None) -> float | None:
        if row is None or self.classifier is None or label not in self.classifier.label_names:
            return None
        return float(row[self.classifier.label_names.index(label)])

    def decide(self, document: Document, row: np.ndarray | None) -> tuple[str, float | None, str]:
        """(label, probability, source) for one document."""
        if self.min_quality is not None:
            quality = document.metadata.get(self.quality_key)
            if isinstance(quality, (int, float)) and quality < self.min_quality:
                return self.other_label, self._probability_of(self.other_label, row), "quality"
        if row is not None and self.classifier is not None:
            best = int(row.argmax())
            if row[best] >= self.min_probability:
                return self.classifier.label_names[best], float(row[best]), "model"
        if self.rules is not None:
            match = self.rules.match(document.metadata.get(self.url_field))
            if match is not None:
                return match.domain, match.score, "url"
        return self.other_label, self._probability_of(self.other_label, row), "none"

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        for documents, outputs in self.stream_windows(data):
            texts = [d.text if isinstance(d.text, str) else "" for d in documents]
            counts = self.tokens.count(texts)
            for index, document in enumerate(documents):
                if not isinstance(document.text, str):
                    self.drop(NON_STRING_TEXT)
                    continue
                label, probability, source = self.decide(document, None if outputs is None else outputs[index])
                metadata = document.metadata
                metadata[self.domain_key] = label
                metadata[f"{self.domain_key}_score"] = None if probability is None else round(probability, 4)
                metadata[f"{self.domain_key}_source"] = source
                metadata.setdefault("token_count", counts[index])
                self.stat_update(f"{self.domain_key}_{safe_path_component(label)}", f"from_{source}")
                if self.keep_domains is not None and label not in self.keep_domains:
                    self.drop(NOT_WANTED)
                    continue
                yield self.keep(document)
