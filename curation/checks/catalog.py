"""The metrics ``curate check`` computes: their names, what each measures, and what it needs.

A metric is named by a path into the metrics JSON: ``empty_rate``, ``quality.p10``, ``language_share.en``,
``share.domain.science``. Families (``language_share.<language>``, ``share.<column>.<value>``) take their last
parts from the data; the checks file is validated against this catalog on load, so a misspelt metric is an
error before any shard is read.

Rates are fractions of the checked documents (0.05 is 5%); shares of a family sum to 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Unit = Literal["documents", "tokens", "fraction", "score", "count"]


@dataclass(frozen=True)
class MetricInfo:
    """One metric or metric family of the catalog."""

    name: str
    """The name as written in a checks file; a family shows its variable parts in angle brackets."""
    unit: Unit
    description: str
    group: str
    """The ``metrics`` section of the checks file that computes it (``documents`` is always on)."""

    @property
    def prefix(self) -> str | None:
        """``language_share`` for ``language_share.<language>``; None for a plain metric."""
        return self.name.split(".<", 1)[0] if ".<" in self.name else None

    @property
    def parts(self) -> int:
        """How many dotted parts follow the prefix of a family (``share.<column>.<value>``: 2)."""
        return self.name.count(".<")


CATALOG: tuple[MetricInfo, ...] = (
    MetricInfo(
        "documents", "documents", "documents in the data (every shard is counted, also with a sample)", "documents"
    ),
    MetricInfo("documents_checked", "documents", "documents whose text was checked (the sample size)", "documents"),
    MetricInfo("tokens", "tokens", "tokens in the data (estimated from the sample when sampling)", "documents"),
    MetricInfo(
        "tokens_per_document.<statistic>",
        "tokens",
        "mean or quantile (p01 ... p99, as configured) of tokens per document",
        "documents",
    ),
    MetricInfo("empty_rate", "fraction", "documents whose text is empty or whitespace only", "documents"),
    MetricInfo(
        "short_rate", "fraction", "non-empty documents with fewer words than metrics.short_document_words", "documents"
    ),
    MetricInfo("language_share.<language>", "fraction", "documents identified as this language", "language"),
    MetricInfo("language_token_share.<language>", "fraction", "tokens in documents of this language", "language"),
    MetricInfo(
        "unexpected_language_rate",
        "fraction",
        "documents whose language is not in metrics.language.expected",
        "language",
    ),
    MetricInfo(
        "exact_duplicate_rate",
        "fraction",
        "documents that are copies of another after normalisation (what exact dedup would remove)",
        "exact_duplicates",
    ),
    MetricInfo(
        "near_duplicate_rate",
        "fraction",
        "documents in a MinHash near-duplicate cluster, beyond one per cluster (what MinHash dedup would remove)",
        "near_duplicates",
    ),
    MetricInfo(
        "quality.<statistic>",
        "score",
        "mean, quantile (p01 ... p99, as configured) or missing_rate of the quality score column",
        "quality",
    ),
    MetricInfo("pii_rate", "fraction", "documents with at least one email, phone number or public IP", "pii"),
    MetricInfo("pii_email_rate", "fraction", "documents with at least one email address", "pii"),
    MetricInfo("pii_phone_rate", "fraction", "documents with at least one phone number", "pii"),
    MetricInfo("pii_ip_rate", "fraction", "documents with at least one public IP address", "pii"),
    MetricInfo(
        "contamination_rate",
        "fraction",
        "documents sharing a word n-gram (13 by default) with the evaluation texts",
        "contamination",
    ),
    MetricInfo("share.<column>.<value>", "fraction", "documents whose column holds this value", "shares"),
    MetricInfo(
        "token_share.<column>.<value>", "fraction", "tokens in documents whose column holds this value", "shares"
    ),
    MetricInfo("schema.missing_columns", "count", "required columns absent (or null) in some document", "schema"),
    MetricInfo("schema.wrong_type_columns", "count", "required columns holding a value of another type", "schema"),
    MetricInfo("schema.violations", "count", "required columns missing or mistyped anywhere", "schema"),
    MetricInfo(
        "schema.invalid_document_rate", "fraction", "documents missing a required column or mistyping one", "schema"
    ),
    MetricInfo("unreadable_shards", "count", "shards with records the readers could not read", "documents"),
    MetricInfo("unreadable_records", "count", "records the readers could not read (quarantined)", "documents"),
    MetricInfo(
        "quarantine_rate",
        "fraction",
        "records the run quarantined, from summary.json in the data folder (when there is one)",
        "documents",
    ),
    MetricInfo(
        "stage_count.<stage>.<count>",
        "count",
        "a count a stage of the run kept besides its drops (term_lists' <list>_hits and <list>_documents, "
        "flagged_words' no_word_list, pii_redact's redacted_email...), from summary.json; 0 when that stage "
        "counted none",
        "documents",
    ),
    MetricInfo(
        "stage_count_rate.<stage>.<count>",
        "fraction",
        "stage_count over the documents that stage read (term_lists' <list>_documents: the share of documents "
        "holding that list's terms)",
        "documents",
    ),
)

_PLAIN = {info.name: info for info in CATALOG if info.prefix is None}
_FAMILIES = {info.prefix: info for info in CATALOG if info.prefix is not None}


def find_metric(name: str) -> MetricInfo | None:
    """The catalog entry for a metric name, plain or of a family; None if there is none."""
    if name in _PLAIN:
        return _PLAIN[name]
    prefix, _, rest = name.partition(".")
    family = _FAMILIES.get(prefix)
    if family is None or not rest:
        return None
    if family.parts == 2 and "." not in rest:
        return None
    return family


def metric_names() -> list[str]:
    """Every plain name and family pattern, for error messages and docs."""
    return [info.name for info in CATALOG]


def quantile_name(quantile: float) -> str:
    """``0.05`` -> ``p05``, ``0.5`` -> ``p50``."""
    return f"p{round(quantile * 100):02d}"
