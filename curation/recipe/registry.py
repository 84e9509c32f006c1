"""Resolve a stage name from a recipe to a ``PipelineStep`` class, check its parameters, build it.

Three kinds of names are accepted, tried in this order:

1. our registered stage names (``STAGES`` below, snake_case),
2. the class name of any datatrove step (``GopherQualityFilter``, ``C4QualityFilter``, ``PIIFormatter``…),
3. a dotted import path to any ``PipelineStep`` subclass (``mypkg.stages:MyFilter`` or ``mypkg.stages.MyFilter``).

Registered names map to import paths and are imported lazily, so ``curate --help`` or validating a recipe
never loads torch or a model.
"""

from __future__ import annotations

import importlib
import inspect
import typing
from dataclasses import dataclass
from typing import Any

from datatrove.pipeline.base import PipelineStep
from datatrove.pipeline.readers.base import BaseReader
from datatrove.pipeline.writers.disk_base import DiskWriter
from pydantic import ConfigDict, TypeAdapter, ValidationError

STAGE_AREAS = (
    "curation.extract",
    "curation.filters",
    "curation.dedup",
    "curation.inference",
    "curation.classify",
    "curation.topics",
    "curation.safety",
    "curation.synth",
)
"""Subpackages that may declare stages: each has a cheap ``STAGES = {"name": "module:Class"}`` in its
``__init__`` (no heavy imports there), so a newcomer finds a stage's registration next to its code."""

STAGES: dict[str, str] = {}
"""Our stages: recipe name -> ``module:Class``; filled from ``STAGE_AREAS`` on first use, plus
``register_stage`` calls."""

_areas_loaded = False


def _load_areas() -> None:
    global _areas_loaded
    if _areas_loaded:
        return
    _areas_loaded = True
    for area in STAGE_AREAS:
        try:
            module = importlib.import_module(area)
        except ModuleNotFoundError as error:
            if error.name == area:
                continue
            raise
        for name, path in getattr(module, "STAGES", {}).items():
            STAGES.setdefault(name, path)


DATATROVE_STEP_PACKAGES = (
    "datatrove.pipeline.filters",
    "datatrove.pipeline.formatters",
    "datatrove.pipeline.extractors",
    "datatrove.pipeline.dedup",
    "datatrove.pipeline.tokens",
    "datatrove.pipeline.stats",
    "datatrove.pipeline.decont",
    "datatrove.pipeline.readers",
    "datatrove.pipeline.writers",
)


class StageResolutionError(ValueError):
    """A stage name that resolves to nothing, or to something that is not a pipeline step."""


@dataclass(frozen=True)
class ParamProblem:
    """One problem with a stage parameter: which parameter (None for the whole mapping) and what is wrong."""

    param: str | None
    message: str


def register_stage(name: str, import_path: str) -> None:
    """Make ``name`` usable in recipes; ``import_path`` is ``module:Class``."""
    STAGES[name] = import_path


def _import_object(path: str) -> Any:
    module_name, _, attribute = path.partition(":") if ":" in path else path.rpartition(".")
    if not module_name or not attribute:
        raise StageResolutionError(f"{path!r} is not an import path of the form 'package.module:Class'")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise StageResolutionError(f"cannot import module {module_name!r} for stage {path!r}: {error}") from error
    try:
        return getattr(module, attribute)
    except AttributeError as error:
        raise StageResolutionError(f"module {module_name!r} has no attribute {attribute!r}") from error


def _datatrove_class(name: str) -> type | None:
    for package in DATATROVE_STEP_PACKAGES:
        try:
            module = importlib.import_module(package)
        except ImportError:
            continue
        candidate = getattr(module, name, None)
        if isinstance(candidate, type) and issubclass(candidate, PipelineStep):
            return candidate
    return None


def resolve_stage_class(name: str) -> type[PipelineStep]:
    """Find the class a recipe's stage name refers to."""
    _load_areas()
    if name in STAGES:
        candidate = _import_object(STAGES[name])
    elif (found := _datatrove_class(name)) is not None:
        candidate = found
    elif "." in name or ":" in name:
        candidate = _import_object(name)
    else:
        raise StageResolutionError(
            f"unknown stage {name!r}; use one of our stages ({', '.join(sorted(STAGES)) or 'none registered'}), "
            "a datatrove step class name (e.g. GopherQualityFilter), or an import path 'package.module:Class'. "
            "`curate stages` lists them"
        )
    if not (isinstance(candidate, type) and issubclass(candidate, PipelineStep)):
        raise StageResolutionError(f"{name!r} resolves to {candidate!r}, which is not a datatrove PipelineStep")
    return candidate


def check_is_processing_stage(cls: type[PipelineStep], name: str) -> None:
    """Readers and writers have their own recipe sections; keep the stage list for processing steps."""
    if issubclass(cls, BaseReader):
        raise StageResolutionError(f"{name!r} is a reader; name it in input.reader, not in stages")
    if issubclass(cls, DiskWriter):
        raise StageResolutionError(f"{name!r} is a writer; name it in output.writer, not in stages")
    reason = unusable_reason(cls)
    if reason:
        raise StageResolutionError(f"{name!r} cannot run inside a recipe: it {reason}")


def check_params(cls: type, params: dict[str, Any], *, reserved: tuple[str, ...] = ()) -> list[ParamProblem]:
    """Check ``params`` against the signature of ``cls.__init__`` without building the object.

    Unknown names, missing required parameters and values of the wrong type (where the annotation can be
    checked) are reported together, each with what would be allowed.
    """
    signature = inspect.signature(cls.__init__)
    accepted = [p for p in list(signature.parameters.values())[1:] if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    takes_kwargs = any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values())
    names = [p.name for p in accepted if p.name not in reserved]
    problems: list[ParamProblem] = []
    for key in params:
        if key in reserved:
            problems.append(ParamProblem(key, "is set by the runner and cannot be given in a recipe"))
        elif key not in names and not takes_kwargs:
            problems.append(
                ParamProblem(
                    key,
                    f"unknown parameter of {cls.__name__}; allowed: {', '.join(names)}",
                )
            )
    for parameter in accepted:
        if parameter.name in reserved:
            continue
        if parameter.default is parameter.empty and parameter.name not in params:
            problems.append(ParamProblem(parameter.name, f"required parameter of {cls.__name__} is missing"))
    hints = _type_hints(cls.__init__)
    for key, value in params.items():
        hint = hints.get(key)
        if hint is None or key not in names:
            continue
        problem = _check_value(hint, value)
        if problem:
            problems.append(ParamProblem(key, problem))
    return problems


def _type_hints(function: Any) -> dict[str, Any]:
    try:
        return typing.get_type_hints(function)
    except Exception:
        return {}


def _check_value(hint: Any, value: Any) -> str | None:
    try:
        adapter = TypeAdapter(hint, config=ConfigDict(arbitrary_types_allowed=True))
    except Exception:
        return None  # an annotation pydantic cannot check (a Protocol, a forward ref): skip, don't guess
    try:
        adapter.validate_python(value, strict=False)
    except ValidationError as error:
        first = error.errors()[0]
        return f"{first['msg']} (expected {_describe(hint)}, got {value!r})"
    except Exception:
        return None
    return None


def _describe(hint: Any) -> str:
    return getattr(hint, "__name__", None) or str(hint).replace("typing.", "")


def build_stage(name: str, params: dict[str, Any]) -> PipelineStep:
    """Import and construct one stage (in a worker: this is where a model stage loads its model)."""
    cls = resolve_stage_class(name)
    return cls(**params)


DATATROVE_SUMMARIES = {
    "FineWebQualityFilter": "FineWeb's line rules: share of lines ending in punctuation, short lines, "
    "duplicated characters, newline ratio.",
    "GopherQualityFilter": "Gopher's quality rules: word count, mean word length, symbols, bullet and ellipsis "
    "lines, alphabetic words, stop words (English word splitting; gopher_quality follows each document's "
    "language).",
    "GopherRepetitionFilter": "Gopher's repetition rules: duplicated lines and paragraphs, top and duplicated "
    "word n-grams.",
    "LambdaFilter": "Keep documents for which a Python function returns true.",
    "LanguageFilter": "Keep documents whose fastText language is wanted (downloads its model; language_id is the "
    "offline equivalent).",
    "RegexFilter": "Drop documents in which a regular expression matches.",
    "FastTextClassifierFilter": "Keep or drop documents by the labels a fastText model gives them (model_url: a "
    "local .bin, or a URL it downloads).",
    "UnigramLogProbFilter": "Drop documents whose mean unigram log-probability (English word frequencies, "
    "downloaded) is below a threshold.",
    "URLFilter": "Drop documents whose URL is on datatrove's block lists or holds banned words.",
    "FTFYFormatter": "Fix mojibake and other broken Unicode in the text with ftfy.",
    "LengthCounter": "Count documents by length (in tokens, after TokensCounter) into the stats.",
    "CCNetPerplexityStats": "Write per-document KenLM perplexity statistics to output_folder (downloads the models).",
    "DocStats": "Write per-document length, whitespace, punctuation and similar statistics to output_folder.",
    "LangStats": "Write per-document fastText language scores to output_folder (downloads lid.176).",
}
"""One-line descriptions of datatrove steps whose own docstring is missing or does not read as one line."""

NOT_IN_A_RECIPE = {
    "LambdaFilter": "takes a Python function: use it as a step instance in the Python API",
    "SingleBloomFilter": "keeps its Bloom filter per worker process, so it would only deduplicate within each "
    "worker's shards: use exact_dedup",
    "StatsMerger": "merges the stats files of a finished datatrove run: run it on its own",
}
"""datatrove steps that a recipe cannot run usefully, for reasons their signature does not show."""

EARLIER_STEP_RESULTS = ("data_folder", "input_folder", "sequence_folder")
"""Required parameters through which a datatrove step reads the files an earlier step of a multi-step
datatrove pipeline wrote for every rank (its dedup and exact-substring pipelines)."""


def list_stages() -> list[tuple[str, str, str]]:
    """(name, origin, one-line description) for our stages and every datatrove step a recipe can run."""
    _load_areas()
    rows: list[tuple[str, str, str]] = []
    for name, path in sorted(STAGES.items()):
        try:
            cls = _import_object(path)
            rows.append((name, "curation", describe_stage(cls)))
        except StageResolutionError as error:
            rows.append((name, "curation", f"(unavailable: {error})"))
    unusable = dict(unusable_datatrove_steps())
    for attribute, package, candidate in _datatrove_steps():
        if attribute not in unusable:
            rows.append((attribute, "datatrove " + package.rsplit(".", 1)[-1], describe_stage(candidate)))
    return rows


def unusable_datatrove_steps() -> list[tuple[str, str]]:
    """(name, why) for datatrove processing steps that cannot run inside a recipe.

    Told from the code: a step whose ``run`` does not yield documents ends the document stream (it writes
    files: step 1 or 2 of a multi-step datatrove pipeline, a tokenizer writing token files); a step that
    needs the folder an earlier step wrote for every rank only works after those steps ran as their own
    datatrove pipeline; and ``NOT_IN_A_RECIPE`` for the rest.
    """
    return [(name, reason) for name, _, cls in _datatrove_steps() if (reason := unusable_reason(cls))]


def unusable_reason(cls: type) -> str | None:
    """Why the datatrove step ``cls`` cannot run inside a recipe, or None when it can (see
    ``unusable_datatrove_steps``); our own stages always can."""
    if not cls.__module__.startswith("datatrove."):
        return None
    reason = NOT_IN_A_RECIPE.get(cls.__name__)
    if reason is None and not inspect.isgeneratorfunction(cls.run):
        reason = (
            "ends the document stream: it writes files of its own (token files, or the intermediate results of "
            "a multi-step datatrove pipeline)"
        )
    if reason is None:
        required = [
            p.name
            for p in list(inspect.signature(cls.__init__).parameters.values())[1:]
            if p.default is p.empty and p.name in EARLIER_STEP_RESULTS
        ]
        if required:
            reason = (
                f"reads what earlier steps of its datatrove pipeline wrote ({required[0]}): "
                "use exact_dedup / minhash_dedup, or run the whole datatrove pipeline on its own"
            )
    return reason


def _datatrove_steps() -> list[tuple[str, str, type]]:
    """(class name, package, class) of every concrete datatrove processing step, in listing order."""
    found: list[tuple[str, str, type]] = []
    seen: set[str] = set()
    for package in DATATROVE_STEP_PACKAGES:
        if package.endswith(("readers", "writers")):
            continue
        try:
            module = importlib.import_module(package)
        except ImportError:
            continue
        for attribute in sorted(dir(module)):
            candidate = getattr(module, attribute)
            if (
                isinstance(candidate, type)
                and issubclass(candidate, PipelineStep)
                and not inspect.isabstract(candidate)
                and attribute not in seen
            ):
                seen.add(attribute)
                found.append((attribute, package, candidate))
    return found


def describe_stage(cls: type) -> str:
    """A stage's one-line description: the first sentence of its own docstring (not one it inherits), else
    ours for datatrove steps without one, else its ``__init__`` docstring, else its display name."""
    ours = DATATROVE_SUMMARIES.get(cls.__name__) if cls.__module__.startswith("datatrove.") else None
    for text in (ours, cls.__dict__.get("__doc__"), cls.__init__.__doc__):
        line = _first_sentence(text)
        if line:
            return line
    return str(getattr(cls, "name", "") or cls.__name__).strip()


def _first_sentence(text: str | None, limit: int = 110) -> str:
    """The first paragraph of a docstring, on one line, cut after its first sentence or at ``limit``."""
    if not text:
        return ""
    paragraph = []
    for line in inspect.cleandoc(text).splitlines():
        if not line.strip():
            if paragraph:
                break
            continue
        if not paragraph and line.strip() in ("Args:", "Arguments:", "Parameters:", "Returns:"):
            return ""  # a parameter block with no description above it
        paragraph.append(line.strip())
    joined = " ".join(paragraph)
    end = joined.find(". ")
    if 0 < end < limit:
        joined = joined[: end + 1]
    return joined if len(joined) <= limit else joined[: limit - 1].rstrip() + "…"
