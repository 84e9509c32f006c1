"""The mixture schema: what a mixture YAML file (or the Python API) may say, validated on load.

A mixture names curated outputs (``inputs``), selections of their documents (``sources``), and training
stages, each with a token budget and the share of that budget every source (or cell of a source) must get.
Models forbid unknown fields so a typo is an error, not a silently ignored setting. Checks that relate one
part of the file to another (a share naming an unknown source, shares that do not sum to one) are done by
``curation.mix.loader`` so that every problem is reported at once.
"""

from __future__ import annotations

import hashlib
import math
import re
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from curation.io.writers import CODECS_BY_FORMAT

NATURAL = "natural"
"""``shares: natural``: every source in proportion to its eligible tokens, within its ``max_share``."""
QUALITY_KEY = "quality"
QUALITY_TIER_KEY = "quality_tier"
ANY = "*"
"""Wildcard for either half of a cell key (``science/*``, ``*/high``)."""
MAX_STAGES = 32
MAX_REPETITIONS = 1000
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_SUFFIXES = {"": 1, "K": 10**3, "M": 10**6, "B": 10**9, "G": 10**9, "T": 10**12}
_BUDGET = re.compile(r"^\s*([0-9][0-9_]*(?:\.[0-9]+)?)\s*([KMBGT]?)\s*$", re.IGNORECASE)

Scalar = str | int | float | bool


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def parse_token_count(value: Any) -> int:
    """A token budget: an integer, or a string with a K/M/B/T suffix (``"2.5M"`` is 2,500,000)."""
    if isinstance(value, bool):
        raise ValueError("a token budget is a number, not a boolean")
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and (match := _BUDGET.match(value)):
        digits, suffix = match.group(1).replace("_", ""), match.group(2).upper()
        scaled = float(digits) * _SUFFIXES[suffix]
        if not scaled.is_integer():
            raise ValueError(f"{value!r} is not a whole number of tokens")
        number = int(scaled)
    else:
        raise ValueError(f"{value!r} is not a token count; allowed: an integer or a string like '500K', '2.5M', '1B'")
    if number <= 0:
        raise ValueError(f"a token budget must be positive, got {number}")
    return number


def check_name(value: str, what: str) -> str:
    if not _SAFE_NAME.match(value):
        raise ValueError(
            f"{what} {value!r} is not allowed; use letters, digits, '_', '-', '.' (starting with a letter or digit)"
        )
    return value


class InputSpec(_Strict):
    """A curated output folder to draw documents from."""

    path: str = Field(description="directory or fsspec URL of a curated output (as written by `curate run`)")
    glob: str | None = Field(None, description="glob relative to path selecting its shards; default: all")
    format: Literal["auto", "jsonl", "parquet"] = "auto"
    text_field: str = "text"
    id_field: str = "id"
    storage_options: dict[str, Any] = Field(default_factory=dict)


class Range(_Strict):
    """A score range: ``min`` inclusive, ``max`` exclusive; either may be left out."""

    min: float | None = None
    max: float | None = None

    @model_validator(mode="after")
    def _bounds(self) -> Range:
        if self.min is None and self.max is None:
            raise ValueError("give min, max or both")
        for bound in (self.min, self.max):
            if bound is not None and not math.isfinite(bound):
                raise ValueError("bounds must be finite numbers")
        if self.min is not None and self.max is not None and not self.min < self.max:
            raise ValueError(f"min ({self.min}) must be below max ({self.max})")
        return self

    def describe(self) -> str:
        low = "" if self.min is None else f"{self.min} <= "
        high = "" if self.max is None else f" < {self.max}"
        return f"{low}score{high}"


class Selection(_Strict):
    """Which documents a source takes: metadata conditions, all of which must hold (``include``), or any of
    which removes a document (``exclude``).

    ``quality`` is a score range on the quality column, ``quality_tier`` names tiers from the file's
    ``quality_tiers``; any other key is a metadata column and its value (or list of values) the values
    accepted. A boolean value (``synthetic: false``) treats a missing value as false.
    """

    quality: Range | None = None
    quality_tier: tuple[str, ...] = ()
    columns: dict[str, tuple[Scalar, ...]] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _split_columns(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            raise ValueError(f"a selection is a mapping of column to values, not {type(data).__name__}")
        special: dict[str, Any] = {}
        columns: dict[str, tuple[Scalar, ...]] = {}
        for key, value in data.items():
            if key == QUALITY_KEY:
                special[key] = value
            elif key == QUALITY_TIER_KEY:
                special[key] = [value] if isinstance(value, str) else value
            elif key == "columns":
                raise ValueError("'columns' is not a selection key; name metadata columns directly")
            else:
                values = value if isinstance(value, list) else [value]
                if not values:
                    raise ValueError(f"{key}: an empty list selects nothing; give at least one value")
                for item in values:
                    if not isinstance(item, (str, int, float, bool)):
                        raise ValueError(
                            f"{key}: {item!r} is not allowed; values are strings, numbers or booleans "
                            "(for a score range use quality: {min: ..., max: ...})"
                        )
                if any(isinstance(item, bool) for item in values) and len(values) > 1:
                    raise ValueError(f"{key}: a boolean condition takes one value, true or false")
                columns[str(key)] = tuple(values)
        return special | {"columns": columns}

    @property
    def empty(self) -> bool:
        return self.quality is None and not self.quality_tier and not self.columns

    def as_written(self) -> dict[str, Any]:
        """The selection in the mixture file's own form (``{domain: [...], quality: {min: ...}}``)."""
        written: dict[str, Any] = {column: list(values) for column, values in self.columns.items()}
        if self.quality is not None:
            written[QUALITY_KEY] = self.quality.model_dump(mode="json", exclude_none=True)
        if self.quality_tier:
            written[QUALITY_TIER_KEY] = list(self.quality_tier)
        return written


class SourceSpec(_Strict):
    """A named selection of documents from one or more inputs, with its caps."""

    inputs: tuple[str, ...] = Field((), description="names from `inputs`; default: every input")
    include: Selection = Field(default_factory=Selection)
    exclude: Selection = Field(default_factory=Selection)
    max_repetitions: int = Field(
        1,
        ge=1,
        le=MAX_REPETITIONS,
        description="times any one document of the source may appear in the whole mixture (all stages)",
    )
    max_share: float = Field(1.0, gt=0, le=1, description="largest share of any stage's token budget")

    @field_validator("inputs", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class DecontaminationSpec(_Strict):
    """Evaluation texts a stage's documents must not share a word n-gram with (see ``decontaminate``)."""

    paths: tuple[str, ...] = Field(min_length=1, description="JSONL, JSONL.gz, Parquet or plain-text files")
    ngram: int = Field(13, ge=1)
    text_field: str = "text"
    id_field: str | None = "id"

    def key(self) -> str:
        return hashlib.sha256(orjson.dumps(self.model_dump(mode="json"), option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]


class Requirements(_Strict):
    """What every document of a stage must satisfy, whichever source it comes from (an annealing set)."""

    min_quality: float | None = Field(None, description="quality score at least this (a missing score fails)")
    decontaminate: DecontaminationSpec | None = None

    @property
    def any(self) -> bool:
        return self.min_quality is not None or self.decontaminate is not None


CellShares = dict[str, float]


class StageSpec(_Strict):
    """A training stage: a token budget and the share of it each source (or cell of a source) gets."""

    name: str
    tokens: int = Field(description="the stage's token budget; an integer or '500K', '2.5M', '1B'")
    shares: Literal["natural"] | dict[str, float | CellShares] = Field(
        description="source -> share of the budget (shares sum to 1), source -> {domain/tier: share}, or 'natural'"
    )
    require: Requirements = Field(default_factory=Requirements)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return check_name(value, "stage name")

    @field_validator("tokens", mode="before")
    @classmethod
    def _tokens(cls, value: Any) -> int:
        return parse_token_count(value)


class TokenSpec(_Strict):
    """Where token counts come from: a metadata column (default ``token_count``) or a tokenizer."""

    column: str = "token_count"
    tokenizer: str | None = Field(
        None,
        description="'words', a tokenizer.json file, a folder holding one, or a hub id; counts are cached",
    )
    cache: str | None = Field(None, description="token-count cache folder (default: ~/.cache/curation/token-counts)")


class ColumnSpec(_Strict):
    """The metadata columns the mixture reads beyond those named in selections."""

    quality: str = "quality_score"
    domain: str = "domain"


class MixOutputSpec(_Strict):
    format: Literal["parquet", "jsonl"] = "parquet"
    compression: str | None = None
    row_group_rows: int = Field(
        16384, ge=1, description="Parquet rows per row group at most (a group also ends at 64 MB of text)"
    )

    @model_validator(mode="after")
    def _codec(self) -> MixOutputSpec:
        if self.compression is not None and self.compression not in CODECS_BY_FORMAT[self.format]:
            allowed = ", ".join(CODECS_BY_FORMAT[self.format])
            raise ValueError(f"compression {self.compression!r} is not allowed for {self.format}; allowed: {allowed}")
        return self

    @property
    def codec(self) -> str:
        return self.compression or ("zstd" if self.format == "parquet" else "gzip")


class Mixture(_Strict):
    """A whole mixture file."""

    version: Literal[1] = 1
    name: str
    description: str = ""
    seed: int = Field(description="the plan's seed: the same seed and inputs give the same mixture")
    inputs: dict[str, InputSpec]
    tokens: TokenSpec = Field(default_factory=TokenSpec)
    columns: ColumnSpec = Field(default_factory=ColumnSpec)
    quality_tiers: dict[str, Range] = Field(default_factory=dict)
    sources: dict[str, SourceSpec] = Field(min_length=1)
    stages: list[StageSpec] = Field(min_length=1, max_length=MAX_STAGES)
    output: MixOutputSpec = Field(default_factory=MixOutputSpec)

    @field_validator("inputs", mode="before")
    @classmethod
    def _path_shorthand(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {name: {"path": spec} if isinstance(spec, str) else spec for name, spec in value.items()}
        return value

    def source_inputs(self, source: str) -> tuple[str, ...]:
        """The inputs a source reads (all of them when it names none)."""
        return self.sources[source].inputs or tuple(self.inputs)

    def canonical_json(self) -> bytes:
        """The mixture as sorted JSON: what the plan's fingerprint is computed over."""
        return orjson.dumps(self.model_dump(mode="json"), option=orjson.OPT_SORT_KEYS)

    def fingerprint(self) -> str:
        return hashlib.sha256(self.canonical_json()).hexdigest()
