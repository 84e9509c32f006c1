"""Load a mixture file and validate it completely before anything is read or written.

Every problem is reported at once, each as ``<file>: <field>: <what is wrong; what is allowed>``, the way
recipes are checked: first the schema (``curation.mix.model``), then how the parts refer to each other
(shares naming sources and tiers, shares summing to one, caps, evaluation files that exist).
"""

from __future__ import annotations

import math
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from curation.mix.model import ANY, NATURAL, Mixture, Range, StageSpec, check_name
from curation.mix.selection import merge_ranges
from curation.recipe.loader import problems_message, yaml_error_problem

SHARE_TOLERANCE = 1e-9
_TYPE_TAGS = ("function-", "list[", "dict[", "literal[", "union[", "tuple[", "json-or-python[", "lax-or-strict[")
_PLAIN_TYPES = {"float", "int", "str", "bool", "none", "constrained-float", "constrained-int"}


@dataclass(frozen=True)
class MixtureProblem:
    field: str
    message: str


class MixtureError(ValueError):
    """An invalid mixture file: carries every problem found, each with its field path."""

    def __init__(self, source: str, problems: list[MixtureProblem]):
        self.source = source
        self.problems = problems
        super().__init__(problems_message("mixture", source, problems))


def load_mixture(path: str | Path) -> Mixture:
    """Read and validate a mixture file; raise ``MixtureError`` naming the file and each bad field."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise MixtureError(source, [MixtureProblem("", f"cannot read the mixture file: {error}")]) from error
    return parse_mixture(text, source)


def parse_mixture(text: str, source: str = "<mixture>") -> Mixture:
    """Validate mixture YAML text; ``source`` names it in error messages."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        problem = yaml_error_problem(error)
        raise MixtureError(source, [MixtureProblem(problem.field, problem.message)]) from error
    if not isinstance(data, dict):
        kind = "nothing" if data is None else type(data).__name__
        raise MixtureError(source, [MixtureProblem("", f"the top level must be a mapping, not {kind}")])
    return mixture_from_dict(data, source)


def mixture_from_dict(data: dict[str, Any], source: str = "<mixture>") -> Mixture:
    """Validate a mixture given as a mapping (what the YAML file holds)."""
    try:
        mixture = Mixture.model_validate(data)
    except ValidationError as error:
        raise MixtureError(source, [_problem_from_pydantic(item) for item in error.errors()]) from error
    problems = check_mixture(mixture)
    if problems:
        raise MixtureError(source, problems)
    return mixture


def check_mixture(mixture: Mixture) -> list[MixtureProblem]:
    """The checks beyond the schema: names, cross-references, shares and caps, files that must exist."""
    problems: list[MixtureProblem] = []
    add = problems.append
    if not mixture.inputs:
        add(MixtureProblem("inputs", "name at least one curated output: inputs: {name: path}"))
    for name in mixture.inputs:
        _check_name(name, "input name", f"inputs.{name}", add)
    tiers = mixture.quality_tiers
    for name in tiers:
        _check_name(name, "tier name", f"quality_tiers.{name}", add)
    for (first, a), (second, b) in _pairs(list(tiers.items())):
        if _ranges_overlap(a, b):
            add(MixtureProblem(f"quality_tiers.{second}", f"overlaps tier {first!r}; tiers must not overlap"))
    used_by_stages: set[str] = set()
    for name, spec in mixture.sources.items():
        where = f"sources.{name}"
        _check_name(name, "source name", where, add)
        for input_name in spec.inputs:
            if input_name not in mixture.inputs:
                known = _names(mixture.inputs)
                add(MixtureProblem(f"{where}.inputs", f"unknown input {input_name!r}; inputs: {known}"))
        for part in ("include", "exclude"):
            selection = getattr(spec, part)
            unknown = [tier for tier in selection.quality_tier if tier not in tiers]
            for tier in unknown:
                add(MixtureProblem(f"{where}.{part}.quality_tier", _unknown_tier(tier, tiers)))
            if part == "include" and selection.quality_tier and not unknown:
                try:
                    merge_ranges([tiers[tier] for tier in selection.quality_tier], f"{where}.include.quality_tier")
                except ValueError as error:
                    field, _, message = str(error).partition(": ")
                    add(MixtureProblem(field, message))
    stage_names: set[str] = set()
    for index, stage in enumerate(mixture.stages):
        where = f"stages[{index}]"
        if stage.name in stage_names:
            add(MixtureProblem(f"{where}.name", f"stage {stage.name!r} is named twice; stage names must be unique"))
        stage_names.add(stage.name)
        used_by_stages |= _check_shares(mixture, stage, where, add)
        _check_requirements(stage, where, add)
    for name in mixture.sources:
        if name not in used_by_stages:
            add(MixtureProblem(f"sources.{name}", "no stage gives this source a share; remove it or add it to a stage"))
    _check_tokens(mixture, add)
    return problems


def _check_shares(mixture: Mixture, stage: StageSpec, where: str, add) -> set[str]:
    """Check a stage's shares; return the sources it uses."""
    if stage.shares == NATURAL:
        caps = sum(spec.max_share for spec in mixture.sources.values())
        if caps < 1 - SHARE_TOLERANCE:
            add(
                MixtureProblem(
                    f"{where}.shares",
                    f"natural shares need the sources' max_share caps to sum to at least 1, they sum to {caps:g}; "
                    "raise a cap or add a source",
                )
            )
        return set(mixture.sources)
    total = 0.0
    used: set[str] = set()
    if not stage.shares:
        add(MixtureProblem(f"{where}.shares", "give each source its share of the budget, or 'natural'"))
    for source, share in stage.shares.items():
        field = f"{where}.shares.{source}"
        if source not in mixture.sources:
            add(MixtureProblem(field, f"unknown source {source!r}; sources: {_names(mixture.sources)}"))
            continue
        used.add(source)
        if isinstance(share, dict):
            source_share = _check_cells(mixture, share, field, add)
        else:
            source_share = share
            if not (math.isfinite(share) and share > 0):
                add(MixtureProblem(field, f"share {share!r} is not allowed; a share is a number in (0, 1]"))
                continue
        total += source_share
        cap = mixture.sources[source].max_share
        if source_share > cap + SHARE_TOLERANCE:
            add(
                MixtureProblem(
                    field,
                    f"share {source_share:g} is above the source's max_share {cap:g}; "
                    f"lower the share or set sources.{source}.max_share to at least {source_share:g}",
                )
            )
    if stage.shares and abs(total - 1.0) > SHARE_TOLERANCE:
        add(
            MixtureProblem(
                f"{where}.shares",
                f"shares sum to {total:.12g}; shares are fractions of the stage's token budget and must sum to 1",
            )
        )
    return used


def _check_cells(mixture: Mixture, cells: dict[str, float], field: str, add) -> float:
    """Cells are ``domain/tier`` keys (either half may be ``*``); return their total share."""
    tiers = mixture.quality_tiers
    parsed: list[tuple[str, str, str]] = []
    total = 0.0
    if not cells:
        add(MixtureProblem(field, "give at least one cell ('domain/tier': share)"))
    for key, share in cells.items():
        where = f"{field}.{key}"
        domain, slash, tier = key.rpartition("/")
        if not slash or not domain or not tier:
            add(MixtureProblem(where, "a cell key is 'domain/tier' (either half may be '*'), e.g. 'science/high'"))
            continue
        if tier != ANY and tier not in tiers:
            add(MixtureProblem(where, _unknown_tier(tier, tiers)))
            continue
        if not (math.isfinite(share) and share > 0):
            add(MixtureProblem(where, f"share {share!r} is not allowed; a share is a number in (0, 1]"))
            continue
        if domain == ANY and tier == ANY:
            add(MixtureProblem(where, "'*/*' is the whole source: give the source a plain share instead"))
            continue
        parsed.append((key, domain, tier))
        total += share
    for (first, d1, t1), (second, d2, t2) in _pairs(parsed):
        if (d1 == d2 or ANY in (d1, d2)) and (t1 == t2 or ANY in (t1, t2)):
            add(MixtureProblem(f"{field}.{second}", f"overlaps cell {first!r}; a document may fall in one cell only"))
    return total


def _check_requirements(stage: StageSpec, where: str, add) -> None:
    require = stage.require
    if require.min_quality is not None and not math.isfinite(require.min_quality):
        add(MixtureProblem(f"{where}.require.min_quality", "must be a finite number"))
    if require.decontaminate is not None:
        for index, path in enumerate(require.decontaminate.paths):
            if "://" not in path and not Path(path).expanduser().is_file():
                add(
                    MixtureProblem(
                        f"{where}.require.decontaminate.paths[{index}]",
                        f"evaluation file {path!r} does not exist (paths are relative to the working directory)",
                    )
                )


def _check_tokens(mixture: Mixture, add) -> None:
    tokenizer = mixture.tokens.tokenizer
    if tokenizer is None or tokenizer == "words":
        return
    path = Path(tokenizer).expanduser()
    looks_local = tokenizer.startswith((".", "/", "~")) or tokenizer.endswith(".json") or tokenizer.count("/") != 1
    if looks_local and not path.exists():
        add(
            MixtureProblem(
                "tokens.tokenizer",
                f"{tokenizer!r} does not exist; allowed: 'words', a tokenizer.json file, a folder holding one, "
                "or a hub id (owner/name)",
            )
        )
    elif path.is_dir() and not (path / "tokenizer.json").is_file():
        add(MixtureProblem("tokens.tokenizer", f"folder {tokenizer!r} holds no tokenizer.json"))


def _check_name(name: str, what: str, field: str, add) -> None:
    try:
        check_name(name, what)
    except ValueError as error:
        add(MixtureProblem(field, str(error)))


def _ranges_overlap(a: Range, b: Range) -> bool:
    a_low = -math.inf if a.min is None else a.min
    a_high = math.inf if a.max is None else a.max
    b_low = -math.inf if b.min is None else b.min
    b_high = math.inf if b.max is None else b.max
    return a_low < b_high and b_low < a_high


def _unknown_tier(tier: str, tiers: dict[str, Range]) -> str:
    if not tiers:
        return f"tier {tier!r} is not defined; define quality_tiers: {{name: {{min: ..., max: ...}}}} first"
    return f"unknown tier {tier!r}; quality_tiers: {_names(tiers)}"


def _names(mapping: dict[str, Any]) -> str:
    return ", ".join(mapping) or "(none)"


def _pairs(items: list) -> typing.Iterator[tuple]:
    for i, first in enumerate(items):
        for second in items[i + 1 :]:
            yield first, second


def _format_location(location: tuple[Any, ...]) -> str:
    text = ""
    for part in location:
        if isinstance(part, int):
            text += f"[{part}]"
        elif str(part).startswith(_TYPE_TAGS) or str(part) in _PLAIN_TYPES:
            continue
        else:
            text += f".{part}" if text else str(part)
    return text


def _problem_from_pydantic(item: dict[str, Any]) -> MixtureProblem:
    location = tuple(item.get("loc", ()))
    field = _format_location(location)
    message = item.get("msg", "invalid")
    if item.get("type") == "extra_forbidden":
        allowed = _allowed_fields(location[:-1])
        message = "unknown field" + (f"; allowed here: {', '.join(allowed)}" if allowed else "")
    elif item.get("type") == "missing":
        message = "required field is missing"
    message = message.removeprefix("Value error, ")
    return MixtureProblem(field, message)


def _allowed_fields(location: tuple[Any, ...]) -> list[str]:
    """The field names of the mixture model found at ``location`` (for 'unknown field' messages)."""
    model: Any = Mixture
    for part in location:
        if isinstance(part, int) or not (isinstance(model, type) and issubclass(model, BaseModel)):
            continue
        if part not in model.model_fields:
            # a mapping keyed by user names (sources.<name>): the model is that of the values
            continue
        model = _model_in(model.model_fields[part].annotation)
    if isinstance(model, type) and issubclass(model, BaseModel):
        return [name for name in model.model_fields if name != "columns" or model.__name__ != "Selection"]
    return []


def _model_in(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in typing.get_args(annotation):
        found = _model_in(argument)
        if found is not None:
            return found
    return None
