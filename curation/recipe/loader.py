"""Load a YAML recipe and validate it completely before any work starts.

Every problem is reported at once, each as ``<file>: <field>: <what is wrong; what is allowed>``, so a user
fixes a recipe in one pass instead of one crash at a time.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from datatrove.pipeline.readers.base import BaseDiskReader
from datatrove.pipeline.writers.disk_base import DiskWriter
from pydantic import BaseModel, ValidationError

from curation.recipe.model import Recipe
from curation.recipe.registry import (
    StageResolutionError,
    check_is_processing_stage,
    check_params,
    resolve_stage_class,
)

READER_RESERVED_PARAMS = ("data_folder",)
WRITER_RESERVED_PARAMS = ("output_folder", "output_filename")


@dataclass(frozen=True)
class RecipeProblem:
    field: str
    message: str


def problems_message(what: str, source: str, problems: list[RecipeProblem]) -> str:
    """``invalid <what>`` and one ``source: field: message`` line per problem (the recipe, mixture and checks
    files report their problems the same way)."""
    lines = [f"{source}: {p.field}: {p.message}" if p.field else f"{source}: {p.message}" for p in problems]
    return f"invalid {what}\n" + "\n".join(lines)


def yaml_error_problem(error: yaml.YAMLError) -> RecipeProblem:
    """A YAML syntax error as a problem with its line and column, when PyYAML knows them."""
    mark = getattr(error, "problem_mark", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
    what = getattr(error, "problem", None) or str(error).splitlines()[0]
    return RecipeProblem("", f"{where}not valid YAML: {what}")


class RecipeError(ValueError):
    """An invalid recipe: carries every problem found, each with its field path."""

    def __init__(self, source: str, problems: list[RecipeProblem]):
        self.source = source
        self.problems = problems
        super().__init__(problems_message("recipe", source, problems))


def load_recipe(path: str | Path) -> Recipe:
    """Read and validate a recipe file; raise ``RecipeError`` naming the file and each bad field."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise RecipeError(source, [RecipeProblem("", f"cannot read the recipe: {error}")]) from error
    return parse_recipe(text, source)


def parse_recipe(text: str, source: str = "<recipe>") -> Recipe:
    """Validate recipe YAML text; ``source`` names it in error messages."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise RecipeError(source, [yaml_error_problem(error)]) from error
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise RecipeError(
            source,
            [RecipeProblem("", f"the top level must be a mapping, not {type(data).__name__}")],
        )
    return recipe_from_dict(data, source)


def recipe_from_dict(data: dict[str, Any], source: str = "<recipe>") -> Recipe:
    """Validate a recipe given as a mapping (what the YAML file holds)."""
    try:
        recipe = Recipe.model_validate(data)
    except ValidationError as error:
        problems = validation_problems(error, Recipe)
        stages = data.get("stages")
        if isinstance(stages, list):
            named = [
                (
                    i,
                    s if isinstance(s, str) else s.get("stage"),
                    {} if isinstance(s, str) else s.get("params"),
                )
                for i, s in enumerate(stages)
                if isinstance(s, (str, dict))
            ]
            problems += _stage_problems(
                [(i, n, p) for i, n, p in named if isinstance(n, str) and isinstance(p, (dict, type(None)))]
            )
        raise RecipeError(source, problems) from error
    check_recipe(recipe, source)
    recipe._source = source
    return recipe


def recipe_source(recipe: Recipe) -> str:
    """The file a recipe was read from, for messages (``<recipe NAME>`` for one built in Python)."""
    return recipe._source or f"<recipe {recipe.name}>"


def check_recipe(recipe: Recipe, source: str = "<recipe>") -> None:
    """The checks beyond the schema: every stage, reader and writer resolves and gets valid parameters."""
    problems = _stage_problems(
        [(index, spec.stage, spec.params) for index, spec in enumerate(recipe.stages) if spec.stage is not None]
    )
    if recipe.input.reader:
        problems += _check_plugin(
            recipe.input.reader,
            recipe.input.reader_params,
            "input",
            BaseDiskReader,
            READER_RESERVED_PARAMS,
        )
    if recipe.output.writer:
        problems += _check_plugin(
            recipe.output.writer,
            recipe.output.writer_params,
            "output",
            DiskWriter,
            WRITER_RESERVED_PARAMS,
        )
    if problems:
        raise RecipeError(source, problems)


def _stage_problems(
    stages: list[tuple[int, str, dict[str, Any] | None]],
) -> list[RecipeProblem]:
    problems: list[RecipeProblem] = []
    for index, name, params in stages:
        where = f"stages[{index}]"
        try:
            cls = resolve_stage_class(name)
            check_is_processing_stage(cls, name)
        except StageResolutionError as error:
            problems.append(RecipeProblem(f"{where}.stage", str(error)))
            continue
        for problem in check_params(cls, params or {}):
            problems.append(RecipeProblem(_param_field(f"{where}.params", problem.param), problem.message))
    return problems


def check_model_paths(recipe: Recipe, source: str | None = None) -> None:
    """Raise ``RecipeError`` for every model path the recipe's stages name that is not on this machine and
    not a hub id given as such (``hf://org/name``, or a clear ``org/name``).

    Kept apart from ``check_recipe``: a shipped recipe is valid before its models are built, but neither
    ``curate validate`` nor a run goes further with a model that is not there.
    """
    problems: list[RecipeProblem] = []
    for index, spec in enumerate(recipe.stages):
        if spec.stage is None:
            continue
        try:
            cls = resolve_stage_class(spec.stage)
        except StageResolutionError:
            continue
        for param, message in _model_location_problems(cls, spec.params):
            problems.append(RecipeProblem(f"stages[{index}].params.{param}", message))
    if problems:
        raise RecipeError(source or recipe_source(recipe), problems)


LOCAL_FILE_PARAMS = ("model_path",)
"""Parameters that name a model file on this machine, in stages that do not list their models themselves."""


def _model_location_problems(cls: type, params: dict[str, Any]) -> list[tuple[str, str]]:
    """Model paths a stage's parameters name that are neither on this machine nor a hub id given as such.

    A stage lists its model parameters with a ``model_locations(params)`` classmethod (parameter -> path);
    for any other stage a ``model_path`` must be an existing file or folder, and datatrove's
    ``FastTextClassifierFilter`` a local ``model_url`` likewise.
    """
    from curation.inference.locations import check_model_location, missing_model_message

    listed = getattr(cls, "model_locations", None)
    if callable(listed):
        try:
            locations = listed(params)
        except Exception:  # malformed parameters: check_params has already said what is wrong
            return []
        return [(param, problem) for param, path in locations.items() if (problem := check_model_location(path))]
    problems = []
    local = {name: params[name] for name in LOCAL_FILE_PARAMS if isinstance(params.get(name), str)}
    model_url = params.get("model_url")
    if cls.__name__ == "FastTextClassifierFilter" and isinstance(model_url, str) and "://" not in model_url:
        local["model_url"] = model_url
    for param, path in local.items():
        if not Path(path).expanduser().exists():
            problems.append((param, missing_model_message(path, "model file", hub=False)))
    return problems


def recipe_warnings(recipe: Recipe) -> list[RecipeProblem]:
    """What a valid recipe would do that a user may not expect: datatrove steps that download at run time."""
    from curation.recipe.downloads import download_warning

    warnings: list[RecipeProblem] = []
    for index, spec in enumerate(recipe.stages):
        if spec.stage is None:
            continue
        try:
            cls = resolve_stage_class(spec.stage)
        except StageResolutionError:
            continue
        if not cls.__module__.startswith("datatrove."):
            continue
        message = download_warning(cls.__name__, spec.params, _defaults(cls))
        if message:
            warnings.append(RecipeProblem(f"stages[{index}]", message))
    return warnings


def _defaults(cls: type) -> dict[str, Any]:
    import inspect

    try:
        parameters = inspect.signature(cls.__init__).parameters.values()
    except (TypeError, ValueError):
        return {}
    return {p.name: p.default for p in parameters if p.default is not p.empty}


def _check_plugin(
    name: str,
    params: dict[str, Any],
    section: str,
    base: type,
    reserved: tuple[str, ...],
) -> list[RecipeProblem]:
    kind = "reader" if section == "input" else "writer"
    try:
        cls = resolve_stage_class(name)
    except StageResolutionError as error:
        return [RecipeProblem(f"{section}.{kind}", str(error))]
    if not issubclass(cls, base):
        return [RecipeProblem(f"{section}.{kind}", f"{name!r} is not a datatrove {base.__name__}")]
    return [
        RecipeProblem(_param_field(f"{section}.{kind}_params", problem.param), problem.message)
        for problem in check_params(cls, params, reserved=reserved)
    ]


def _param_field(prefix: str, param: str | None) -> str:
    return f"{prefix}.{param}" if param else prefix


def _format_location(location: tuple[Any, ...]) -> str:
    text = ""
    for part in location:
        if isinstance(part, int):
            text += f"[{part}]"
        elif str(part).startswith(("function-", "list[", "dict[")):
            continue
        else:
            text += f".{part}" if text else str(part)
    return text


def validation_problems(error: ValidationError, root: type[BaseModel]) -> list[RecipeProblem]:
    """One problem per pydantic error of validating ``root`` (a recipe, or any file validated the same way):
    the field path as written in YAML, and the message with what is allowed there."""
    return [_problem_from_pydantic(item, root) for item in error.errors()]


def _problem_from_pydantic(item: dict[str, Any], root: type[BaseModel] = Recipe) -> RecipeProblem:
    location = tuple(item.get("loc", ()))
    field = _format_location(location)
    message = item.get("msg", "invalid")
    if item.get("type") == "extra_forbidden":
        allowed = _allowed_fields(location[:-1], root)
        message = "unknown field" + (f"; allowed here: {', '.join(allowed)}" if allowed else "")
    elif item.get("type") == "missing":
        message = "required field is missing"
    message = message.removeprefix("Value error, ")
    return RecipeProblem(field, message)


def _allowed_fields(location: tuple[Any, ...], root: type[BaseModel] = Recipe) -> list[str]:
    """The field names of the model found at ``location`` under ``root`` (for 'unknown field' messages)."""
    model: Any = root
    for part in location:
        if isinstance(part, int):
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)) or part not in model.model_fields:
            return []
        model = _model_in(model.model_fields[part].annotation)
    if isinstance(model, type) and issubclass(model, BaseModel):
        return [name for name, info in model.model_fields.items() if not info.exclude]
    return []


def _model_in(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in typing.get_args(annotation):
        found = _model_in(argument)
        if found is not None:
            return found
    return None
