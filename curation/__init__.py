"""curation: a pretraining data-curation pipeline built on datatrove.

The Python API does what a recipe does::

    from curation import InputSpec, OutputSpec, Recipe, run_recipe
    from datatrove.pipeline.filters import GopherRepetitionFilter

    recipe = Recipe(
        input=InputSpec(path="shards/", glob="*.jsonl.gz"),
        stages=[GopherRepetitionFilter(), {"stage": "GopherQualityFilter", "params": {"min_doc_words": 50}}],
        output=OutputSpec(path="curated/"),
    )
    report = run_recipe(recipe, workers=4)

Names are imported lazily so that ``curate --help`` starts fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "Recipe": "curation.recipe.model",
    "InputSpec": "curation.recipe.model",
    "OutputSpec": "curation.recipe.model",
    "StageSpec": "curation.recipe.model",
    "ExecutorSpec": "curation.recipe.model",
    "RecipeError": "curation.recipe.loader",
    "load_recipe": "curation.recipe.loader",
    "parse_recipe": "curation.recipe.loader",
    "run_recipe": "curation.executors.runner",
    "RunReport": "curation.executors.runner",
    "register_stage": "curation.recipe.registry",
}

if TYPE_CHECKING:
    from curation.executors.runner import RunReport, run_recipe
    from curation.recipe.loader import RecipeError, load_recipe, parse_recipe
    from curation.recipe.model import ExecutorSpec, InputSpec, OutputSpec, Recipe, StageSpec
    from curation.recipe.registry import register_stage

__all__ = [
    "ExecutorSpec",
    "InputSpec",
    "OutputSpec",
    "Recipe",
    "RecipeError",
    "RunReport",
    "StageSpec",
    "load_recipe",
    "parse_recipe",
    "register_stage",
    "run_recipe",
]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'curation' has no attribute {name!r}")
