"""The end-of-run summary: ``summary.json`` in the output directory and a table for people.

The summary covers every shard of the output directory completed by this recipe, including shards
completed by an earlier (interrupted) run and shards outside this run's selection (a narrower ``--glob``), so
a resumed run reports the same totals an uninterrupted one would and ``summary.json`` always describes the
folder it sits in. ``shards`` says how many of them this run selected, processed and skipped.
"""

from __future__ import annotations

import sys
from typing import Any, TextIO

from curation.report.stats import RunTotals, ShardResult

GROUPS_SHOWN = 5


def build_summary(
    *,
    recipe_name: str,
    fingerprint: str,
    input_path: str,
    output_path: str,
    executor: dict[str, Any],
    started_at: str,
    finished_at: str,
    wall_seconds: float,
    total_shards: int,
    skipped: int,
    stale: int,
    results: list[ShardResult],
    processed_now: list[ShardResult],
    failures: list[dict[str, Any]],
    completed_selected: int | None = None,
) -> dict[str, Any]:
    """Assemble the summary dictionary written to ``summary.json``.

    ``results``: every shard result the summary covers (the whole output folder); ``total_shards`` and
    ``completed_selected``: the shards this run selected, and how many of them are complete.
    """
    totals = RunTotals()
    for result in results:
        totals.add(result)
    now = RunTotals()
    for result in processed_now:
        now.add(result)
    docs_now = sum(r.records_in for r in processed_now)
    return {
        "recipe": {"name": recipe_name, "fingerprint": fingerprint},
        "input": input_path,
        "output": output_path,
        "executor": executor,
        "started_at": started_at,
        "finished_at": finished_at,
        "wall_seconds": round(wall_seconds, 3),
        "scope": "every shard in the output folder completed by this recipe, from this run and earlier ones",
        "shards": {
            "total": total_shards,
            "completed": len(results) if completed_selected is None else completed_selected,
            "in_summary": len(results),
            "completed_outside_selection": 0 if completed_selected is None else len(results) - completed_selected,
            "processed_this_run": len(processed_now),
            "skipped_already_complete": skipped,
            "completed_with_other_recipe": stale,
            "failed": len(failures),
            "failures": failures,
        },
        "totals": totals.to_dict(),
        "this_run": {
            "records_in": docs_now,
            "kept": now.kept,
            "records_per_second": round(docs_now / wall_seconds, 1) if wall_seconds > 0 else None,
        },
        "outputs": dict(sorted(totals.outputs.items())),
        "routes": totals.routes(),
        "groups": totals.grouped(),
    }


SHOWN_COUNTS = 8
"""A stage's own counts printed under the table (the largest first); summary.json has them all."""


def plural(count: int, noun: str) -> str:
    """``1 doc``, ``2 docs``, ``1,200 docs``."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def render_summary(summary: dict[str, Any], stream: TextIO | None = None) -> None:
    """Print the per-stage table and the reconciliation line.

    Lines other than the table are printed without hard wrapping, so a pipe or a log file gets each on one line.
    """
    from rich.console import Console
    from rich.table import Table

    stream = stream or sys.stdout
    terminal = stream.isatty()
    console = Console(file=stream, width=max(100, Console().width or 100) if terminal else 160)
    totals = summary["totals"]
    quarantined = totals["quarantined_by_reason"]
    table = Table(title=f"curate · {summary['recipe']['name']} · {summary['output']}", show_lines=False)
    table.add_column("stage")
    table.add_column("in", justify="right")
    table.add_column("out", justify="right")
    table.add_column("dropped", justify="right")
    table.add_column("quarantined", justify="right")
    table.add_column("dropped by reason")
    table.add_column("seconds", justify="right")
    for position, stage in enumerate(totals["stages"]):
        dropped = stage["dropped"]
        reasons = ", ".join(f"{reason} {count:,}" for reason, count in sorted(dropped.items(), key=lambda x: -x[1]))
        held = f"{totals['quarantined']:,}" if position == 0 else ""
        table.add_row(
            stage["name"],
            f"{stage['in']:,}",
            f"{stage['out']:,}",
            f"{sum(dropped.values()):,}",
            held,
            reasons,
            f"{stage['seconds']:.2f}",
        )
    console.print(table)
    for stage in totals["stages"]:
        counts = stage.get("counts") or {}
        if counts:
            shown = sorted(counts.items(), key=lambda item: -item[1])[:SHOWN_COUNTS]
            more = f", … {len(counts) - len(shown)} more in summary.json" if len(counts) > len(shown) else ""
            console.print(f"{stage['name']}: " + ", ".join(f"{key} {value:,}" for key, value in shown) + more)
    shards = summary["shards"]
    outside = shards.get("completed_outside_selection", 0)
    console.print(
        f"shards: {shards['completed']}/{shards['total']} complete "
        f"({shards['processed_this_run']} this run, {shards['skipped_already_complete']} already done"
        + (f", [red]{shards['failed']} failed[/red]" if shards["failed"] else "")
        + ")"
        + (
            f"; the totals also cover {plural(outside, 'shard')} completed earlier in this folder, outside this "
            "run's selection"
            if outside
            else ""
        ),
        soft_wrap=True,
    )
    mark = "[green]✓ reconciled[/green]" if totals["reconciled"] else "[red]✗ NOT reconciled[/red]"
    added = f" - added {totals['added']:,}" if totals["added"] else ""
    console.print(
        f"records in {totals['records_in']:,}{added} = kept {totals['kept']:,} + dropped {totals['dropped']:,} "
        f"+ quarantined {totals['quarantined']:,}  {mark}",
        soft_wrap=True,
    )
    if quarantined:
        console.print(
            "quarantined: " + ", ".join(f"{reason} {count:,}" for reason, count in quarantined.items()), soft_wrap=True
        )
    routes = summary.get("routes", {})
    if len(routes) > 1 or any(entry["tokens"] for entry in routes.values()):
        console.print(
            "routes: "
            + ", ".join(
                f"{route} {plural(entry['documents'], 'doc')}"
                + (f" / {plural(entry['tokens'], 'token')}" if entry["tokens"] else "")
                for route, entry in routes.items()
            ),
            soft_wrap=True,
            markup=False,
            highlight=False,
        )
    for name, values in summary.get("groups", {}).items():
        largest = list(values.items())[:GROUPS_SHOWN]
        console.print(
            f"{name}: {len(values):,} values; largest: "
            + ", ".join(f"{value} {entry['documents']:,} docs / {entry['tokens']:,} tokens" for value, entry in largest)
        )
    rate = summary["this_run"]["records_per_second"]
    console.print(
        f"wall {summary['wall_seconds']:.1f}s"
        + (f", {rate:,.0f} records/s this run" if rate else "")
        + f"; summary: {summary['output'].rstrip('/')}/summary.json",
        soft_wrap=True,
    )
    for failure in shards["failures"]:
        last_line = failure["error"].strip().splitlines()[-1] if failure["error"] else ""
        console.print(f"[red]failed[/red] {failure['source']}: {last_line}", soft_wrap=True, highlight=False)
