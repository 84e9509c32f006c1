"""Judge each check against the metrics (and the baseline), and turn the verdicts into an exit code.

A check passes when its quantity satisfies its condition: the metric's value (``compare: value``) or its
change against the pinned baseline. A metric that cannot be given for this data (no such column, no
summary.json, a baseline without it) is an *error*, never a pass: it counts as a failure of the check's
severity, so a gate can never pass by measuring nothing.

Exit codes: 0 every check passed (``warn`` failures allowed), 1 a ``fail`` check failed, 3 only ``warn``
checks failed and ``--warn-exit`` was given (2, bad usage, is decided before anything is measured).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

from curation.checks.baseline import Baseline
from curation.checks.catalog import find_metric
from curation.checks.config import Check
from curation.checks.metrics import Metrics, MetricUnavailable, resolve

Status = Literal["passed", "failed", "error", "skipped"]
EXIT_PASSED = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_WARNINGS = 3


@dataclass
class CheckResult:
    """The verdict on one check, with everything a report shows about it."""

    check: Check
    status: Status
    value: float | None = None
    baseline: float | None = None
    compared: float | None = None
    message: str = ""
    examples: list[str] = field(default_factory=list)

    @property
    def gate_failed(self) -> bool:
        """Failed or could not be judged: either way the gate did not pass."""
        return self.status in ("failed", "error")

    def to_dict(self) -> dict:
        check = self.check
        return {
            "name": check.name,
            "metric": check.metric,
            "condition": check.condition,
            "threshold": check.threshold,
            "compare": check.compare,
            "severity": check.severity,
            "status": self.status,
            "value": self.value,
            "baseline": self.baseline,
            "compared": self.compared,
            "message": self.message,
            "examples": self.examples,
        }


def satisfies(quantity: float, condition: str, threshold: float | list[float]) -> bool:
    """Whether ``quantity condition threshold`` holds; NaN never does."""
    if math.isnan(quantity):
        return False
    if condition == "between":
        low, high = threshold
        return low <= quantity <= high
    bound = float(threshold)
    return {
        "<": quantity < bound,
        "<=": quantity <= bound,
        ">": quantity > bound,
        ">=": quantity >= bound,
        "==": math.isclose(quantity, bound, rel_tol=1e-9, abs_tol=1e-12),
    }[condition]


def compared_quantity(check: Check, value: float, baseline: float | None) -> float:
    if check.compare == "value":
        return value
    assert baseline is not None
    change = value - baseline
    if check.compare == "change":
        return change
    if check.compare == "abs_change":
        return abs(change)
    if baseline == 0:
        return 0.0 if change == 0 else math.copysign(math.inf, change)
    return change / abs(baseline)


def evaluate_check(check: Check, metrics: Metrics, baseline: Baseline | None) -> CheckResult:
    """One verdict. ``baseline`` None with a baseline comparison means a baseline is being written: skipped."""
    try:
        value = metrics.value(check.metric)
    except MetricUnavailable as reason:
        return CheckResult(check, "error", message=f"{check.metric} is not available: {reason}")
    reference = None
    if check.uses_baseline:
        if baseline is None:
            return CheckResult(
                check, "skipped", value=value, message="compares with a baseline; none given (one is being written)"
            )
        try:
            reference = resolve(baseline.values, check.metric)
        except MetricUnavailable:
            return CheckResult(
                check,
                "error",
                value=value,
                message=f"the baseline {baseline.path} has no value for {check.metric}; "
                "rewrite it with --write-baseline",
            )
    quantity = compared_quantity(check, value, reference)
    passed = satisfies(quantity, check.condition, check.threshold)
    message = describe(check, value, reference, quantity, passed)
    too_small = check.condition in (">", ">=") or (check.condition == "between" and quantity < check.threshold[0])
    examples = [] if passed else metrics.examples_for(check.metric, too_small=too_small)
    return CheckResult(check, "passed" if passed else "failed", value, reference, quantity, message, examples)


def evaluate(checks: list[Check], metrics: Metrics, baseline: Baseline | None) -> list[CheckResult]:
    return [evaluate_check(check, metrics, baseline) for check in checks]


def exit_code(results: list[CheckResult], warn_exit: bool = False) -> int:
    if any(result.gate_failed and result.check.severity == "fail" for result in results):
        return EXIT_FAILED
    if warn_exit and any(result.gate_failed for result in results):
        return EXIT_WARNINGS
    return EXIT_PASSED


def format_number(value: float | None, metric: str, difference: bool = False) -> str:
    """A value as a reader wants it: counts as integers, fractions as percent (a difference of fractions in
    percentage points), anything else with four significant digits."""
    if value is None:
        return "-"
    if math.isinf(value) or math.isnan(value):
        return str(value)
    info = find_metric(metric)
    unit = info.unit if info else "score"
    if unit in ("documents", "tokens", "count") and not difference and float(value).is_integer():
        return f"{int(value):,}"
    if unit == "fraction":
        return f"{value * 100:.3g} pp" if difference else f"{value * 100:.3g}%"
    return f"{value:.4g}"


def format_condition(check: Check) -> str:
    quantity = {
        "value": "",
        "change": "change ",
        "abs_change": "|change| ",
        "relative_change": "relative change ",
    }[check.compare]
    difference = check.compare in ("change", "abs_change")
    if check.condition == "between":
        low, high = check.threshold
        return (
            f"{quantity}between {format_number(low, check.metric, difference)} "
            f"and {format_number(high, check.metric, difference)}"
        )
    shown = (
        f"{check.threshold:.4g}"
        if check.compare == "relative_change"
        else format_number(check.threshold, check.metric, difference)
    )
    return f"{quantity}{check.condition} {shown}"


def describe(check: Check, value: float, baseline: float | None, quantity: float, passed: bool) -> str:
    text = f"{check.metric} = {format_number(value, check.metric)}"
    if baseline is not None:
        difference = check.compare in ("change", "abs_change")
        shown = (
            f"{quantity:+.4g}"
            if check.compare == "relative_change"
            else format_number(quantity, check.metric, difference)
        )
        text += f", baseline {format_number(baseline, check.metric)}, {check.compare} {shown}"
    verdict = "meets" if passed else "does not meet"
    return f"{text}; {verdict} {format_condition(check)}"
