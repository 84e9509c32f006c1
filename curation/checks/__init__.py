"""``curate check``: data-quality gates for CI.

A checks file (``pipelines/ci-checks.yaml``) names metrics of a curated output — documents and tokens, empty
and very short documents, language shares, exact and near-duplicate rates, quality-score quantiles, PII and
contamination rates, shares per domain/topic/mixture cell, schema, unreadable shards, the run's quarantine
rate — and the thresholds they must meet, absolutely or against a pinned baseline. A check reads every
document or a seeded sample, measures with the pipeline's own stages, and reports to the terminal, JUnit XML,
JSON and Markdown, with an exit code for CI.

- ``catalog``: the metric names; ``config`` / ``loader``: the checks file and its validation;
- ``sampling``: which documents are read; ``profile``: per-document measurements of a shard;
- ``duplicates`` / ``metrics``: from measurements to the data's metrics; ``baseline``: pinned metrics;
- ``evaluate``: verdicts and the exit code; ``runner``: the whole run; ``junit`` / ``render``: reports;
- ``cli``: the ``curate check`` command.
"""

from importlib import import_module
from typing import Any

_EXPORTS = {
    "Check": "curation.checks.config",
    "ChecksFile": "curation.checks.config",
    "CheckResult": "curation.checks.evaluate",
    "exit_code": "curation.checks.evaluate",
    "ChecksFileError": "curation.checks.loader",
    "load_checks": "curation.checks.loader",
    "parse_checks": "curation.checks.loader",
    "CheckRun": "curation.checks.runner",
    "CheckUsageError": "curation.checks.runner",
    "measure": "curation.checks.runner",
    "run_checks": "curation.checks.runner",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    """Import on first use: the ``curate`` command registers ``check`` without loading NumPy or the stages."""
    if name not in _EXPORTS:
        raise AttributeError(f"module 'curation.checks' has no attribute {name!r}")
    return getattr(import_module(_EXPORTS[name]), name)
