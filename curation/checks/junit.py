"""JUnit XML for CI: one ``testsuite``, one ``testcase`` per check.

The file validates against both the Jenkins/Surefire ``junit-10.xsd`` (what pytest validates its own reports
with, and what CI test reporters read) and the stricter Ant ``JUnit.xsd``: a bare ``testsuite`` root with
``properties``, the test cases, ``system-out`` and ``system-err``; a timestamp without fractions or zone.

A failed check is a ``<failure>`` (``type`` ``fail``, or ``warning`` for a ``warn`` check, which does not
fail the exit code unless ``--warn-exit``), whose message holds the metric, its value and the threshold and
whose text lists example documents; a metric that could not be measured is an ``<error>``; a baseline check
while the baseline is being written is ``<skipped>``. Written with the standard library's ``xml.etree``.
"""

from __future__ import annotations

import socket
import xml.etree.ElementTree as ElementTree
from datetime import datetime
from pathlib import Path

from curation.checks.evaluate import CheckResult
from curation.checks.runner import CheckRun


def junit_tree(run: CheckRun) -> ElementTree.ElementTree:
    counts = run.counts()
    timestamp = datetime.fromisoformat(run.started_at).strftime("%Y-%m-%dT%H:%M:%S")
    suite = ElementTree.Element(
        "testsuite",
        {
            "name": f"curate check {run.checks.name}",
            "tests": str(counts["checks"]),
            "failures": str(counts["failed"] + counts["warned"]),
            "errors": str(counts["errors"]),
            "skipped": str(counts["skipped"]),
            "time": f"{run.seconds:.3f}",
            "timestamp": timestamp,
            "hostname": socket.gethostname() or "localhost",
        },
    )
    properties = ElementTree.SubElement(suite, "properties")
    for name, value in _properties(run):
        ElementTree.SubElement(properties, "property", {"name": name, "value": value})
    classname = f"curate.check.{_token(run.checks.name)}"
    for result in run.results:
        suite.append(_testcase(result, classname))
    ElementTree.SubElement(suite, "system-out").text = _summary_text(run)
    ElementTree.SubElement(suite, "system-err").text = "\n".join(run.notes)
    ElementTree.indent(suite)
    return ElementTree.ElementTree(suite)


def write_junit(run: CheckRun, path: str | Path) -> None:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    junit_tree(run).write(target, encoding="utf-8", xml_declaration=True)


def _testcase(result: CheckResult, classname: str) -> ElementTree.Element:
    case = ElementTree.Element("testcase", {"name": result.check.name, "classname": classname, "time": "0"})
    if result.status == "failed":
        kind = "fail" if result.check.severity == "fail" else "warning"
        failure = ElementTree.SubElement(case, "failure", {"type": kind, "message": result.message})
        failure.text = _failure_text(result)
    elif result.status == "error":
        error = ElementTree.SubElement(case, "error", {"type": "metric_unavailable", "message": result.message})
        error.text = f"severity: {result.check.severity}\n{result.message}"
    elif result.status == "skipped":
        ElementTree.SubElement(case, "skipped", {"message": result.message})
    return case


def _failure_text(result: CheckResult) -> str:
    check = result.check
    lines = [
        f"metric: {check.metric}",
        f"value: {result.value}",
        f"condition: {check.compare + ' ' if check.compare != 'value' else ''}{check.condition} {check.threshold}",
        f"severity: {check.severity}",
    ]
    if result.baseline is not None:
        lines.append(f"baseline: {result.baseline}")
    if result.examples:
        lines.append("example documents:")
        lines += [f"  {example}" for example in result.examples]
    return "\n".join(lines)


def _properties(run: CheckRun) -> list[tuple[str, str]]:
    properties = [
        ("checks_file", run.checks_source),
        ("data", run.data),
        ("sample", run.sample_statement),
        ("exit_code", str(run.exit_code)),
    ]
    if run.baseline is not None:
        properties.append(("baseline", run.baseline.path))
    for result in run.results:
        if result.value is not None:
            value = result.value
            properties.append((f"metric.{result.check.metric}", str(int(value)) if value.is_integer() else repr(value)))
    return list(dict(properties).items())


def _summary_text(run: CheckRun) -> str:
    counts = run.counts()
    return (
        f"{run.data}: {run.sample_statement}\n"
        f"{counts['passed']} passed, {counts['failed']} failed, {counts['warned']} warnings, "
        f"{counts['errors']} errors, {counts['skipped']} skipped; exit code {run.exit_code}"
    )


def _token(name: str) -> str:
    """A name usable as an xs:token class name (no line breaks, tabs or runs of spaces)."""
    return "_".join(name.split()) or "checks"
