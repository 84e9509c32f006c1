"""Load a checks file and validate it completely before any data is read.

Problems are reported all at once, each as ``<file>: <field>: <what is wrong; what is allowed>``, exactly as
recipes are (``curation.recipe.loader``).
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError

from curation.checks.config import ChecksFile
from curation.recipe.loader import RecipeProblem, problems_message, validation_problems, yaml_error_problem


class ChecksFileError(ValueError):
    """An unreadable or invalid checks file: carries every problem found, each with its field path."""

    def __init__(self, source: str, problems: list[RecipeProblem]):
        self.source = source
        self.problems = problems
        super().__init__(problems_message("checks file", source, problems))


def load_checks(path: str | Path) -> ChecksFile:
    """Read and validate a checks file; raise ``ChecksFileError`` naming the file and each bad field."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise ChecksFileError(source, [RecipeProblem("", f"cannot read the checks file: {error}")]) from error
    return parse_checks(text, source)


def parse_checks(text: str, source: str = "<checks>") -> ChecksFile:
    """Validate checks-file YAML text; ``source`` names it in error messages."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ChecksFileError(source, [yaml_error_problem(error)]) from error
    if not isinstance(data, dict):
        kind = "empty" if data is None else f"a {type(data).__name__}"
        raise ChecksFileError(
            source, [RecipeProblem("", f"the top level must be a mapping with `checks:`, not {kind}")]
        )
    try:
        checks = ChecksFile.model_validate(data)
    except ValidationError as error:
        raise ChecksFileError(source, validation_problems(error, ChecksFile)) from error
    problems = [RecipeProblem(field, message) for field, message in checks.consistency_problems()]
    if problems:
        raise ChecksFileError(source, problems)
    return checks
