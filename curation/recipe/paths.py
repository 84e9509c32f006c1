"""Every file and folder a recipe's stages name, with what each is used for.

A run makes these paths absolute before the recipe travels to worker processes (a Dask worker runs in a working
directory of its own, often on another machine, where ``models/quality`` names something else or nothing), and
a Dask run checks on every worker that they are there before work starts. So a stage says which of its
parameters are paths, with a class attribute::

    path_params: ClassVar[dict[str, PathRole]] = {"index_path": "write", "removed_path": "write"}

mapping a parameter (or a dotted address into a mapping parameter, ``backend.model``) to its role; its value
is one path or a list of paths. Where the roles depend on the parameters (a backend's ``model`` is a folder
for a local backend, a served model's name for an HTTP one), a ``path_params_for(params)`` classmethod
returns the extra declarations:

- ``model``: a model file or folder the stage reads; a hub id (``hf://org/name``) and a URL stay as they are;
- ``read``: a file or folder the stage reads (evaluation texts, prompt templates, word lists); a bare name
  that is no file here (a built-in template's id) stays as it is;
- ``write``: a folder the stage writes, and may read back (a persistent index, lists of removed documents).

Model parameters whose place a parameter name cannot say (a list of models, each with a ``path``) come from the
stage's ``model_locations(params)`` classmethod, which recipe validation already uses; a stage that has one
lists its models there only. For stages that declare nothing, a ``model_path`` parameter is a model file
(``LOCAL_FILE_PARAMS``), and datatrove's steps, which cannot declare theirs, use the parameter names in
``DATATROVE_PATH_PARAMS``. Paths are addressed as ``param``, ``param[2]`` or ``param[0].path``.
"""

from __future__ import annotations

import contextlib
import copy
import os
import re
from dataclasses import dataclass
from typing import Any, Literal

from curation.recipe.loader import LOCAL_FILE_PARAMS
from curation.recipe.model import Recipe, StageSpec
from curation.recipe.registry import StageResolutionError, resolve_stage_class

PathRole = Literal["model", "read", "write"]
ROLES: tuple[PathRole, ...] = ("model", "read", "write")
PATH_PARAMS_ATTRIBUTE = "path_params"
PATH_PARAMS_FOR_ATTRIBUTE = "path_params_for"
DATATROVE_PATH_PARAMS: dict[str, PathRole] = {"output_folder": "write", "model_url": "model"}
"""Parameters through which datatrove's steps name files: the stats steps' ``output_folder``, the fastText
classifier's ``model_url`` (a local file, or a URL, which stays as it is)."""
_ADDRESS_PART = re.compile(r"\[(\d+)\]|\.?([A-Za-z_][A-Za-z0-9_-]*)")


@dataclass(frozen=True)
class StagePath:
    """One path a stage's parameters name: where (``address`` in the parameters), the path, and its role."""

    address: str
    path: str
    role: PathRole


@dataclass(frozen=True)
class RecipePath:
    """One path a recipe names: ``field`` says where (``stages[3].params.index_path``), for messages."""

    field: str
    path: str
    role: PathRole
    stage: str | None = None
    """The stage's name as the summary shows it (None for the input and output)."""


def stage_paths(cls: type, params: dict[str, Any]) -> list[StagePath]:
    """The paths a stage of class ``cls`` with these recipe parameters names (see the module docstring).

    Raises ``ValueError`` for a ``path_params`` declaration with an unknown role.
    """
    found: dict[str, StagePath] = {}
    listed = getattr(cls, "model_locations", None)
    if callable(listed):
        try:
            locations = listed(params)
        except Exception:  # malformed parameters: recipe validation says what is wrong
            locations = {}
        for address, path in locations.items():
            found[address] = StagePath(address, str(path), "model")
    declared: dict[str, PathRole] = dict(getattr(cls, PATH_PARAMS_ATTRIBUTE, None) or {})
    dynamic = getattr(cls, PATH_PARAMS_FOR_ATTRIBUTE, None)
    if callable(dynamic):
        with contextlib.suppress(Exception):  # malformed parameters: recipe validation says what is wrong
            declared.update(dynamic(params))
    if not callable(listed):
        for name in LOCAL_FILE_PARAMS:
            declared.setdefault(name, "model")
    if cls.__module__.startswith("datatrove."):
        for name, role in DATATROVE_PATH_PARAMS.items():
            declared.setdefault(name, role)
    for name, role in declared.items():
        if role not in ROLES:
            raise ValueError(f"{cls.__name__}.{PATH_PARAMS_ATTRIBUTE}[{name!r}]: unknown role {role!r}; use {ROLES}")
        value = _get_at(params, name)
        if isinstance(value, str):
            found.setdefault(name, StagePath(name, value, role))
        elif isinstance(value, (list, tuple)):
            for index, item in enumerate(value):
                if isinstance(item, str):
                    address = f"{name}[{index}]"
                    found.setdefault(address, StagePath(address, item, role))
    return list(found.values())


def recipe_paths(recipe: Recipe) -> list[RecipePath]:
    """Every path the recipe's named stages give in their parameters (step instances are used as built)."""
    paths: list[RecipePath] = []
    for index, spec in enumerate(recipe.stages):
        cls = _stage_class(spec)
        if cls is None:
            continue
        for found in stage_paths(cls, spec.params):
            field = f"stages[{index}].params.{found.address}"
            paths.append(RecipePath(field, found.path, found.role, spec.display_name))
    return paths


def absolute_path(path: str, role: PathRole) -> str:
    """``path`` usable from any working directory: local paths absolute, URLs and hub ids unchanged; a bare
    name a stage reads that is no file here (a built-in template's id) stays as given."""
    from curation.inference.locations import _is_bare_name, absolute_model_location

    if role == "model":
        return absolute_model_location(path)
    from curation.io.locations import absolute_location

    if role == "read" and _is_bare_name(path) and not os.path.exists(path):
        return path
    return absolute_location(path)


def resolve_recipe_paths(recipe: Recipe) -> Recipe:
    """A copy of ``recipe`` whose local paths (stage parameters, ``input.path``, ``output.path``) are absolute
    in this process's working directory; URLs and hub ids are unchanged. The recipe's fingerprint is not
    meant to be taken from the copy: where the files are is not what the recipe does."""
    return rewrite_recipe_paths(recipe, lambda found: absolute_path(found.path, found.role), io=True)


def replace_paths(recipe: Recipe, mapping: dict[str, str], role: PathRole = "model") -> Recipe:
    """A copy of ``recipe`` in which each path of ``role`` found in ``mapping`` is replaced by its value
    (a worker using its own copy of a model folder the client shipped)."""
    return rewrite_recipe_paths(
        recipe, lambda found: mapping.get(found.path, found.path) if found.role == role else None
    )


def rewrite_recipe_paths(recipe: Recipe, new_path, *, io: bool = False) -> Recipe:
    """A copy of ``recipe`` with each stage path replaced by ``new_path(StagePath)`` (None keeps it); with
    ``io``, ``input.path`` and ``output.path`` too (as ``read`` and ``write`` paths)."""
    stages: list[StageSpec] = []
    changed = False
    for spec in recipe.stages:
        cls = _stage_class(spec)
        params = spec.params
        for found in stage_paths(cls, spec.params) if cls is not None else []:
            replacement = new_path(found)
            if replacement is None or replacement == found.path:
                continue
            if params is spec.params:
                params = copy.deepcopy(spec.params)
            _set_at(params, found.address, replacement)
        if params is not spec.params:
            changed = True
            spec = spec.model_copy(update={"params": params})
        stages.append(spec)
    update: dict[str, Any] = {"stages": stages} if changed else {}
    if io:
        for section, role in (("input", "read"), ("output", "write")):
            part = getattr(recipe, section)
            if part.path:
                replacement = new_path(StagePath("path", part.path, role))
                if replacement is not None and replacement != part.path:
                    update[section] = part.model_copy(update={"path": replacement})
    return recipe.model_copy(update=update) if update else recipe


def _stage_class(spec: StageSpec) -> type | None:
    if spec.stage is None:
        return None
    try:
        return resolve_stage_class(spec.stage)
    except StageResolutionError:
        return None


def _get_at(params: dict[str, Any], address: str) -> Any:
    """The value at a dotted ``address`` (``backend.model``) inside ``params``; None when it is not there."""
    value: Any = params
    for part in address.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _set_at(params: dict[str, Any], address: str, value: str) -> None:
    """Set the string at ``address`` (``name``, ``name[2]``, ``name[0].path``) inside ``params``."""
    parts: list[str | int] = []
    position = 0
    while position < len(address):
        match = _ADDRESS_PART.match(address, position)
        if match is None:
            raise ValueError(f"cannot read the parameter address {address!r}")
        parts.append(int(match[1]) if match[1] is not None else match[2])
        position = match.end()
    containers: list[Any] = [params]
    for part in parts[:-1]:
        containers.append(containers[-1][part])
    for depth in range(1, len(containers)):  # a tuple on the way is rebuilt as a list
        if isinstance(containers[depth], tuple):
            containers[depth] = list(containers[depth])
            containers[depth - 1][parts[depth - 1]] = containers[depth]
    containers[-1][parts[-1]] = value
