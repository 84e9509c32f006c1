"""The mutation suite of ``curate check``: each defect injected into a clean curated output fails the check
that guards against it (and only the checks it should), and the clean output passes every check."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from curation.checks import load_checks, run_checks
from tests import checks_data
from tests.checks_data import build_clean_output, mutated_copy


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> dict[str, Any]:
    return build_clean_output(tmp_path_factory.mktemp("checks-clean"))


def failing_checks(checks_path: Path, data: Path) -> tuple[set[str], Any]:
    run = run_checks(load_checks(checks_path), str(data), workers=1)
    return {result.check.name for result in run.results if result.status != "passed"}, run


def test_clean_output_passes_every_check(clean):
    failing, run = failing_checks(clean["checks"], clean["output"])
    assert failing == set(), [result.message for result in run.results if result.status != "passed"]
    assert run.exit_code == 0
    assert run.metrics.value("documents") == clean["documents"]


MUTATIONS = {
    "5% empty documents": (lambda clean: checks_data.empty_documents(0.05), {"no empty documents"}),
    "10% exact duplicates": (
        lambda clean: checks_data.exact_duplicates(0.10),
        {"no exact duplicates", "no near duplicates"},  # an exact copy is also a near copy
    ),
    "10% near duplicates": (lambda clean: checks_data.near_duplicates(0.10), {"no near duplicates"}),
    "10% wrong-language slice": (
        lambda clean: checks_data.wrong_language(0.10, clean["foreign"]),
        {"only English", "English share"},
    ),
    "benchmark passages": (lambda clean: checks_data.benchmark_passages(0.02), {"no benchmark text"}),
    "personal data": (lambda clean: checks_data.personal_data(0.05), {"no personal data"}),
    "a missing column": (lambda clean: checks_data.missing_column("domain"), {"schema holds"}),
}


@pytest.mark.parametrize("defect", list(MUTATIONS))
def test_each_defect_fails_its_check(clean, tmp_path, defect):
    make_mutation, expected = MUTATIONS[defect]
    data = mutated_copy(clean["output"], tmp_path / "data", make_mutation(clean))
    failing, run = failing_checks(clean["checks"], data)
    assert failing == expected, [result.message for result in run.results if result.status != "passed"]
    assert run.exit_code == 1
    for result in run.results:
        if result.check.name in expected:
            assert result.status == "failed" and result.examples, result
