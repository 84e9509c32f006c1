"""The checks file schema: what a ``CHECKS.yaml`` may say, validated on load like a recipe.

A checks file names how to read the data, how each metric is computed (``metrics``) and the checks: each a
metric, a condition, a threshold (on the value, or on its change against a pinned baseline), a severity and
a name. Unknown fields are errors, and every check is validated against the metric catalog and against the
``metrics`` settings it needs, so a wrong file fails before any shard is read.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from curation.checks.catalog import find_metric, metric_names
from curation.dedup.exact import DEFAULT_NORMALISATION, NORMALISATION_STEPS

Condition = Literal["<", "<=", ">", ">=", "==", "between"]
Compare = Literal["value", "change", "abs_change", "relative_change"]
Severity = Literal["warn", "fail"]
ColumnType = Literal["string", "integer", "number", "boolean", "list", "struct", "any"]
DEFAULT_QUANTILES = (0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99)
_PERCENT = re.compile(r"^\s*([-+]?\d+(?:\.\d+)?)\s*(%|pp|percent|percentage points?)\s*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DataSpec(_Strict):
    """Which files of DATA are shards and how their records are read (as a recipe's ``input``)."""

    glob: str | None = Field(None, description="glob relative to DATA selecting the shards")
    format: Literal["auto", "jsonl", "parquet", "warc"] = "auto"
    text_field: str = "text"
    id_field: str = "id"
    recursive: bool = True


class SampleSpec(_Strict):
    """Check a seeded sample of documents instead of all of them (``--sample`` overrides ``size``)."""

    size: int | None = Field(None, ge=1, description="documents to check; none: every document")
    seed: int = 0


class LanguageSpec(_Strict):
    enabled: bool = True
    source: Literal["auto", "model", "column"] = Field(
        "auto",
        description="auto: `column` where a document has it, else the model; model: identify every text "
        "(fastText lid.176, as language_id); column: read `column` only",
    )
    column: str = "language"
    model_path: str | None = Field(None, description="a fastText language-id model; default lid.176")
    max_chars: int = Field(500, ge=0, description="identify from the first this many characters; 0: all")
    expected: list[str] | None = Field(None, description="languages the data should hold (unexpected_language_rate)")


class ExactDuplicatesSpec(_Strict):
    enabled: bool = True
    normalisation: list[str] = Field(default_factory=lambda: list(DEFAULT_NORMALISATION))

    @field_validator("normalisation")
    @classmethod
    def _known_steps(cls, value: list[str]) -> list[str]:
        unknown = [step for step in value if step not in NORMALISATION_STEPS]
        if unknown:
            raise ValueError(f"unknown step(s) {', '.join(unknown)}; allowed: {', '.join(NORMALISATION_STEPS)}")
        return value


class NearDuplicatesSpec(_Strict):
    """MinHash LSH as the ``minhash_dedup`` stage does it (banding chosen from the threshold, pairs verified)."""

    enabled: bool = True
    threshold: float = Field(0.7, gt=0.0, le=1.0, description="Jaccard similarity of shingle sets")
    num_perm: int = Field(128, ge=8)
    ngram: int = Field(5, ge=1)
    shingle: Literal["word", "char"] = "word"
    seed: int = 1


class PIISpec(_Strict):
    """The ``pii_redact`` stage's detectors, counting instead of redacting."""

    enabled: bool = True
    emails: bool = True
    phones: bool = True
    ips: bool = True
    phone_regions: list[str] = Field(default_factory=lambda: ["US"])
    max_documents: int | None = Field(
        20_000,
        ge=1,
        description="scan a seeded random subset of about this many checked documents (the phone detector costs "
        "more than every other metric together) when their number is known up front (a sample, Parquet shards); "
        "null: scan every checked document",
    )


class ContaminationSpec(_Strict):
    """Evaluation texts for the ``decontaminate`` stage's n-gram matching (inline ``texts`` and/or files)."""

    texts: list[str] = Field(default_factory=list)
    paths: list[str] = Field(default_factory=list, description="JSONL, JSONL.gz, Parquet, or text with one per line")
    ngram: int = Field(13, ge=1)
    text_field: str = "text"
    id_field: str | None = "id"

    @property
    def enabled(self) -> bool:
        return bool(self.texts or self.paths)


class QualitySpec(_Strict):
    enabled: bool = True
    field: str = Field("quality_score", description="metadata column holding a numeric quality score")


class SharesSpec(_Strict):
    enabled: bool = True
    columns: list[str] = Field(
        default_factory=lambda: ["domain", "topic", "topic_id", "mixture_cell"],
        description="columns whose values get shares (those absent from the data are left out)",
    )


class MetricsSpec(_Strict):
    """How each metric is computed."""

    tokens: str = Field("words", description="words (whitespace-separated), or a tokenizer.json file or folder")
    short_document_words: int = Field(50, ge=1, description="fewer words than this makes a document very short")
    quantiles: list[float] = Field(default_factory=lambda: list(DEFAULT_QUANTILES))
    examples: int = Field(5, ge=0, le=100, description="example document ids kept per metric")
    language: LanguageSpec = Field(default_factory=LanguageSpec)
    exact_duplicates: ExactDuplicatesSpec = Field(default_factory=ExactDuplicatesSpec)
    near_duplicates: NearDuplicatesSpec = Field(default_factory=NearDuplicatesSpec)
    pii: PIISpec = Field(default_factory=PIISpec)
    contamination: ContaminationSpec = Field(default_factory=ContaminationSpec)
    quality: QualitySpec = Field(default_factory=QualitySpec)
    shares: SharesSpec = Field(default_factory=SharesSpec)
    required_columns: dict[str, ColumnType] = Field(
        default_factory=dict,
        description="schema: column -> type (string, integer, number, boolean, list, struct, any)",
    )

    @field_validator("quantiles")
    @classmethod
    def _whole_percent(cls, value: list[float]) -> list[float]:
        bad = [q for q in value if not 0.0 < q < 1.0 or abs(q * 100 - round(q * 100)) > 1e-9]
        if bad:
            raise ValueError(f"{bad} not allowed; quantiles are whole percents strictly between 0 and 1 (0.05, 0.5)")
        return sorted(set(value))

    def group_enabled(self, group: str) -> bool:
        """Whether the section computing a metric group is on (``documents`` always is)."""
        if group == "schema":
            return bool(self.required_columns)
        section = getattr(self, group, None)
        return True if section is None else bool(section.enabled)


def parse_threshold(value: Any) -> Any:
    """Numbers stay numbers; ``"2%"``, ``"2pp"`` and ``"2 percentage points"`` become 0.02."""
    if isinstance(value, str):
        match = _PERCENT.match(value)
        if not match:
            raise ValueError(f"{value!r} is not a number; write 0.02, '2%' or '2pp'")
        return float(match.group(1)) / 100.0
    if isinstance(value, list):
        return [parse_threshold(item) for item in value]
    return value


class Check(_Strict):
    """One gate: ``metric`` (or its change against the baseline) must satisfy ``condition threshold``."""

    name: str = Field(min_length=1)
    metric: str
    condition: Condition
    threshold: float | list[float] = Field(
        description="a number ('2%' and '2pp' read as 0.02); [low, high] for between"
    )
    compare: Compare = Field(
        "value",
        description="value: the metric itself; change: value - baseline; abs_change: |value - baseline|; "
        "relative_change: (value - baseline) / |baseline|",
    )
    severity: Severity = "fail"
    description: str = ""

    @field_validator("threshold", mode="before")
    @classmethod
    def _percentages(cls, value: Any) -> Any:
        return parse_threshold(value)

    @field_validator("metric")
    @classmethod
    def _known_metric(cls, value: str) -> str:
        if find_metric(value) is None:
            raise ValueError(f"unknown metric {value!r}; allowed: {', '.join(metric_names())}")
        return value

    @model_validator(mode="after")
    def _threshold_fits_condition(self) -> Check:
        if self.condition == "between":
            if not isinstance(self.threshold, list) or len(self.threshold) != 2:
                raise ValueError("condition 'between' needs threshold: [low, high]")
            if self.threshold[0] > self.threshold[1]:
                raise ValueError(f"between: low {self.threshold[0]} is above high {self.threshold[1]}")
        elif isinstance(self.threshold, list):
            raise ValueError(f"condition {self.condition!r} needs one number as threshold; a pair is for 'between'")
        return self

    @property
    def uses_baseline(self) -> bool:
        return self.compare != "value"


class ChecksFile(_Strict):
    """A whole checks file."""

    version: Literal[1] = 1
    name: str = "checks"
    description: str = ""
    data: DataSpec = Field(default_factory=DataSpec)
    sample: SampleSpec = Field(default_factory=SampleSpec)
    metrics: MetricsSpec = Field(default_factory=MetricsSpec)
    checks: list[Check] = Field(min_length=1)

    def consistency_problems(self) -> list[tuple[str, str]]:
        """``(field, message)`` for each check whose name repeats or whose metric its settings cannot give."""
        problems = []
        seen: set[str] = set()
        for index, check in enumerate(self.checks):
            if check.name in seen:
                problems.append((f"checks[{index}].name", f"{check.name!r} is used twice; names must be unique"))
            seen.add(check.name)
            problem = metric_requirement(check.metric, self.metrics)
            if problem:
                problems.append((f"checks[{index}].metric", problem))
        return problems


def metric_requirement(metric: str, metrics: MetricsSpec) -> str | None:
    """Why ``metric`` cannot be computed with these settings (a disabled section, a missing setting), or None."""
    info = find_metric(metric)
    if info is None:
        return f"unknown metric {metric!r}"
    if info.group == "contamination" and not metrics.contamination.enabled:
        return f"{metric} needs evaluation texts: set metrics.contamination.paths or metrics.contamination.texts"
    if info.group != "schema" and not metrics.group_enabled(info.group):
        return f"{metric} needs metrics.{info.group} (it is disabled)"
    if metric == "unexpected_language_rate" and not metrics.language.expected:
        return "unexpected_language_rate needs metrics.language.expected (a list of language codes)"
    if info.group == "schema" and not metrics.required_columns:
        return f"{metric} needs metrics.required_columns (column: type)"
    if info.prefix in ("quality", "tokens_per_document"):
        statistic = metric.split(".", 1)[1]
        allowed = ["mean", *(f"p{round(q * 100):02d}" for q in metrics.quantiles)]
        if info.prefix == "quality":
            allowed.append("missing_rate")
        if statistic not in allowed:
            return f"{metric}: {statistic!r} is not computed; allowed: {', '.join(allowed)}"
    return None
