"""Shared fixtures: the path to ../shared/data and a recipe runner."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"


@pytest.fixture
def shared_data() -> Path:
    """The project's real measurement data; tests that need it skip cleanly without it."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data not available at {SHARED_DATA} (a fresh clone has no ../shared)")
    return SHARED_DATA


@pytest.fixture
def run_recipe_yaml(tmp_path: Path) -> Callable[..., Any]:
    """Run a recipe given as YAML text over a directory; returns the RunReport."""
    from curation import parse_recipe, run_recipe

    def _run(recipe_text: str, input_dir: Path, output_dir: Path | None = None, **kwargs: Any):
        recipe = parse_recipe(recipe_text, "test.yaml")
        kwargs.setdefault("workers", 1)
        kwargs.setdefault("progress", "none")
        return run_recipe(recipe, input_path=str(input_dir), output_path=str(output_dir or tmp_path / "out"), **kwargs)

    return _run
