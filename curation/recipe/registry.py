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


def list_stages() -> list[tuple[str, str, str]]:
    """(name, origin, first docstring line) for our stages and every datatrove processing step."""
    _load_areas()
    rows: list[tuple[str, str, str]] = []
    for name, path in sorted(STAGES.items()):
        try:
            cls = _import_object(path)
            rows.append((name, "curation", _first_line(cls)))
        except StageResolutionError as error:
            rows.append((name, "curation", f"(unavailable: {error})"))
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
                origin = "datatrove " + package.rsplit(".", 1)[-1]
                rows.append((attribute, origin, _first_line(candidate)))
    return rows


def _first_line(cls: type) -> str:
    doc = inspect.getdoc(cls) or ""
    return doc.splitlines()[0] if doc else ""
