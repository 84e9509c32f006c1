"""Human-readable results: a table on the terminal and Markdown for a CI job summary."""

from __future__ import annotations

import sys
from typing import TextIO

from curation.checks.evaluate import CheckResult, format_condition, format_number
from curation.checks.runner import CheckRun

_MARK = {"passed": "✅ pass", "failed": "❌ fail", "error": "⛔ error", "skipped": "⏭ skipped"}
_WARN_MARK = "⚠️ warn"


def verdict(run: CheckRun) -> str:
    counts = run.counts()
    code = run.exit_code
    head = {0: "passed", 1: "FAILED", 3: "passed with warnings (--warn-exit)"}.get(code, "FAILED")
    return (
        f"{head}: {counts['passed']} passed, {counts['failed']} failed, {counts['warned']} warnings, "
        f"{counts['errors']} errors, {counts['skipped']} skipped (exit code {code})"
    )


def _status(result: CheckResult) -> str:
    if result.status == "failed" and result.check.severity == "warn":
        return _WARN_MARK
    return _MARK[result.status]


def _value(result: CheckResult) -> str:
    return format_number(result.value, result.check.metric)


def _baseline(result: CheckResult) -> str:
    return format_number(result.baseline, result.check.metric) if result.baseline is not None else ""


def render_table(run: CheckRun, stream: TextIO | None = None) -> None:
    """The results as a table, then what was read, notes, the examples of failed checks, and the verdict."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console(file=stream or sys.stdout, width=max(120, Console().width or 120))
    table = Table(title=f"curate check · {run.checks.name} · {run.data}")
    table.add_column("check")
    table.add_column("metric", no_wrap=True)
    table.add_column("value", justify="right", no_wrap=True)
    table.add_column("baseline", justify="right", no_wrap=True)
    table.add_column("condition")
    table.add_column("severity")
    table.add_column("result")
    for result in run.results:
        style = {"passed": "green", "skipped": "dim"}.get(
            result.status, "yellow" if result.check.severity == "warn" else "red"
        )
        table.add_row(
            escape(result.check.name),
            escape(result.check.metric),
            _value(result),
            _baseline(result),
            escape(format_condition(result.check)),
            result.check.severity,
            f"[{style}]{_status(result)}[/{style}]",
        )
    console.print(table)
    console.print(f"read: {escape(run.sample_statement)}; {run.seconds:.1f}s with {run.workers} worker(s)")
    for note in run.notes:
        console.print(f"[yellow]note:[/yellow] {escape(note)}")
    for result in run.results:
        if result.gate_failed:
            console.print(f"[bold]{escape(result.check.name)}[/bold]: {escape(result.message)}")
            for example in result.examples:
                console.print(f"    {escape(example)}")
    if run.baseline_written:
        console.print(f"baseline written: {escape(run.baseline_written)}")
    console.print(verdict(run))


def markdown(run: CheckRun) -> str:
    """A Markdown report (for ``$GITHUB_STEP_SUMMARY`` or a pull-request comment)."""
    lines = [
        f"## curate check: {run.checks.name}",
        "",
        f"**{verdict(run)}**",
        "",
        f"Data `{run.data}`: {run.sample_statement}.",
        "",
        "| | check | metric | value | baseline | condition | severity |",
        "|---|---|---|---:|---:|---|---|",
    ]
    for result in run.results:
        cells = [
            _status(result),
            result.check.name,
            f"`{result.check.metric}`",
            _value(result),
            _baseline(result),
            format_condition(result.check),
            result.check.severity,
        ]
        lines.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
    failed = [result for result in run.results if result.gate_failed]
    if failed:
        lines += ["", "### Failed checks", ""]
        for result in failed:
            lines.append(f"- **{_cell(result.check.name)}**: {_cell(result.message)}")
            lines += [f"  - `{_cell(example)}`" for example in result.examples]
    if run.notes:
        lines += ["", *[f"> {note}" for note in run.notes]]
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")
