"""The recipe schema: what a YAML recipe (or the Python API) may say, validated on load.

A recipe names where shards come from, the stages documents go through (ours or datatrove's, with their
parameters) and how output is written. Models forbid unknown fields so a typo is an error, not a silently
ignored setting.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any, Literal

import orjson
from datatrove.pipeline.base import PipelineStep
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from curation.io.shards import INPUT_FORMATS
from curation.io.writers import CODECS_BY_FORMAT
from curation.io.writers.naming import check_filename_template

InputFormat = Literal["auto", "jsonl", "parquet", "warc"]
OutputFormat = Literal["parquet", "jsonl"]
DEFAULT_CODECS = {"parquet": "zstd", "jsonl": "gzip"}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class InputSpec(_Strict):
    """Where the shards are and how to read them."""

    path: str | None = Field(None, description="directory or fsspec URL of the input shards")
    glob: str | None = Field(
        None,
        description="glob relative to path selecting the shards, e.g. '**/*.jsonl.gz'",
    )
    format: InputFormat = Field("auto", description="auto: from each file's suffix")
    text_field: str = "text"
    id_field: str = "id"
    recursive: bool = True
    storage_options: dict[str, Any] = Field(default_factory=dict, description="fsspec options, e.g. credentials")
    reader: str | None = Field(None, description="a datatrove reader class to use instead of ours")
    reader_params: dict[str, Any] = Field(default_factory=dict)


class OutputSpec(_Strict):
    """Where and how curated shards are written."""

    path: str | None = None
    format: OutputFormat = "parquet"
    compression: str | None = Field(
        None,
        description="parquet: zstd (default), snappy, gzip, brotli, lz4, none; jsonl: gzip (default), zstd, none",
    )
    filename: str = Field(
        "${shard}",
        description="output name template; ${shard} is the input shard's stem, "
        "metadata fields route, e.g. '${domain}/${shard}'",
    )
    storage_options: dict[str, Any] = Field(default_factory=dict)
    writer: str | None = Field(None, description="a datatrove writer class to use instead of ours")
    writer_params: dict[str, Any] = Field(default_factory=dict)

    @field_validator("compression")
    @classmethod
    def _check_codec(cls, value: str | None, info: ValidationInfo) -> str | None:
        fmt = info.data.get("format", "parquet")
        if value is not None and value not in CODECS_BY_FORMAT.get(fmt, ()):
            raise ValueError(f"{value!r} is not allowed for {fmt}; allowed: {', '.join(CODECS_BY_FORMAT[fmt])}")
        return value

    @field_validator("filename")
    @classmethod
    def _check_filename(cls, value: str) -> str:
        check_filename_template(value)
        return value

    @property
    def codec(self) -> str:
        return self.compression or DEFAULT_CODECS[self.format]


class StageSpec(_Strict):
    """One stage: a registered name, a datatrove class name, or a dotted import path, with parameters."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    stage: str | None = Field(None, description="stage name (see `curate stages`)")
    params: dict[str, Any] = Field(default_factory=dict)
    label: str | None = Field(None, description="name shown in the summary; defaults to the stage name")
    step: PipelineStep | None = Field(None, exclude=True, description="Python API: a ready step instance")

    @model_validator(mode="after")
    def _one_source(self) -> StageSpec:
        if (self.stage is None) == (self.step is None):
            raise ValueError("give exactly one of `stage` (a name) or `step` (an instance, Python API only)")
        if self.step is not None and self.params:
            raise ValueError("`params` only apply to a named stage, not to a step instance")
        return self

    @property
    def display_name(self) -> str:
        if self.label:
            return self.label
        if self.stage:
            return self.stage.replace(":", ".").rsplit(".", 1)[-1]  # an import path shows as its class name
        return type(self.step).__name__

    def fingerprint(self) -> dict[str, Any]:
        """What identifies this stage in a recipe fingerprint: its name and parameters, or for a step instance
        its class and public attributes (the same from one process to the next: no memory addresses, sets
        sorted, functions by name and code)."""
        if self.step is not None:
            return {"step": _qualified_name(type(self.step)), "state": _stable_state(self.step, depth=0)}
        return {"stage": self.stage, "params": self.params}


_ADDRESS = re.compile(r" at 0x[0-9A-Fa-f]+")
MAX_STATE_DEPTH = 4


def _qualified_name(obj: Any) -> str:
    return f"{getattr(obj, '__module__', '')}.{getattr(obj, '__qualname__', type(obj).__qualname__)}"


def _stable_state(value: Any, depth: int) -> Any:
    """A JSON-able description of ``value`` that two processes agree on for equal configurations.

    Public attributes only: private ones (``_engine``, ``_classifier``) hold loaded models and caches, and
    ``stats`` holds counts, none of which is configuration.
    """
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, bytes):
        return hashlib.sha256(value).hexdigest()[:16]
    if isinstance(value, dict):
        return {
            str(key): _stable_state(item, depth + 1) for key, item in sorted(value.items(), key=lambda kv: str(kv[0]))
        }
    if isinstance(value, (list, tuple)):
        return [_stable_state(item, depth + 1) for item in value]
    if isinstance(value, (set, frozenset)):
        return sorted((_stable_state(item, depth + 1) for item in value), key=repr)
    if isinstance(value, re.Pattern):
        return {"pattern": value.pattern, "flags": value.flags}
    code = getattr(value, "__code__", None)
    if code is not None:
        body = code.co_code + repr(code.co_consts).encode() + repr(code.co_names).encode()
        return f"{_qualified_name(value)}:{hashlib.sha256(body).hexdigest()[:12]}"
    if isinstance(value, type):
        return _qualified_name(value)
    attributes = getattr(value, "__dict__", None)
    if attributes is not None and depth < MAX_STATE_DEPTH:
        public = {key: item for key, item in attributes.items() if not key.startswith("_") and key != "stats"}
        return {"class": _qualified_name(type(value)), "state": _stable_state(public, depth + 1)}
    return _ADDRESS.sub("", repr(value))


class ExecutorSpec(_Strict):
    """How shards are scheduled."""

    kind: Literal["local", "dask"] = "local"
    workers: int | None = Field(None, ge=1, description="worker processes; default: the number of cores")
    scheduler: str | None = Field(None, description="dask scheduler address or scheduler file")


class Recipe(_Strict):
    """A whole pipeline: input, stages, output, executor."""

    version: Literal[1] = 1
    name: str = "recipe"
    description: str = ""
    input: InputSpec = Field(default_factory=InputSpec)
    stages: list[StageSpec] = Field(default_factory=list)
    output: OutputSpec = Field(default_factory=OutputSpec)
    executor: ExecutorSpec = Field(default_factory=ExecutorSpec)
    _source: str | None = PrivateAttr(default=None)
    """The file the recipe was read from (set by the loader), named in error messages."""

    @field_validator("stages", mode="before")
    @classmethod
    def _expand_stage_shorthand(cls, value: Any) -> Any:
        """Accept ``- GopherQualityFilter`` and step instances as stage entries, besides mappings."""
        if not isinstance(value, list):
            return value
        expanded = []
        for entry in value:
            if isinstance(entry, str):
                expanded.append({"stage": entry})
            elif isinstance(entry, PipelineStep):
                expanded.append({"step": entry})
            else:
                expanded.append(entry)
        return expanded

    def fingerprint(self) -> str:
        """A short hash of everything that decides what the output of a shard is.

        Included: how records are read (format, text and id fields, reader), the stages with their
        parameters, and how output is written (format, codec, file names, writer). Left out: where input and
        output are, credentials, and which shards are selected (``glob``, ``recursive``): a narrower selection
        does not change what a selected shard becomes. Completion markers carry it, so a run can tell output
        of another recipe.
        """
        return hashlib.sha256(orjson.dumps(self.identity(), option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]

    def identity(self) -> dict[str, Any]:
        """What ``fingerprint`` hashes, as plain JSON values (markers keep it, so a changed recipe can be
        told field by field)."""
        payload = {
            "input": self.input.model_dump(exclude={"path", "storage_options", "glob", "recursive"}),
            "stages": [stage.fingerprint() for stage in self.stages],
            "output": self.output.model_dump(exclude={"path", "storage_options"}),
        }
        return orjson.loads(orjson.dumps(payload, default=str, option=orjson.OPT_SORT_KEYS))


__all__ = [
    "INPUT_FORMATS",
    "ExecutorSpec",
    "InputSpec",
    "OutputSpec",
    "Recipe",
    "StageSpec",
]
