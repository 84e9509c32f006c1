"""Recipes: YAML (or Python) descriptions of a pipeline, validated before anything runs."""

from curation.recipe.loader import (
    RecipeError,
    check_model_paths,
    check_recipe,
    load_recipe,
    parse_recipe,
    recipe_from_dict,
    recipe_warnings,
)
from curation.recipe.model import ExecutorSpec, InputSpec, OutputSpec, Recipe, StageSpec
from curation.recipe.registry import (
    STAGES,
    build_stage,
    list_stages,
    register_stage,
    resolve_stage_class,
)

__all__ = [
    "STAGES",
    "ExecutorSpec",
    "InputSpec",
    "OutputSpec",
    "Recipe",
    "RecipeError",
    "StageSpec",
    "build_stage",
    "check_model_paths",
    "check_recipe",
    "list_stages",
    "load_recipe",
    "parse_recipe",
    "recipe_from_dict",
    "recipe_warnings",
    "register_stage",
    "resolve_stage_class",
]
