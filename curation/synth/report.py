"""The yield of a synthetic run, step by step, and its request ledger.

``yield_table`` reads a run's ``summary.json`` rows from the generation step on: for each filter step the
answers in and out, the share kept, the share of all answers still standing, and the drop reasons.
``request_ledger`` reads the request cache: requests answered, failed, still pending (in flight at a
kill), sends in total and sends beyond the first.

    curate synth-report OUTPUT_DIR [--show 3]
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

GENERATION_STAGES = ("synth_generate", "llm_annotate")


def yield_table(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows (step, in, out, kept, cumulative, reasons) from the generation stage on; [] without one."""
    stages = [s for s in summary["totals"]["stages"] if not s["name"].endswith("(collect)") and s["name"] != "write"]
    start = next((i for i, s in enumerate(stages) if s["name"] in GENERATION_STAGES), None)
    if start is None:
        return []
    answers = stages[start]["out"]
    rows = []
    for stage in stages[start:]:
        rows.append(
            {
                "step": stage["name"],
                "in": stage["in"],
                "out": stage["out"],
                "kept": stage["out"] / stage["in"] if stage["in"] else None,
                "of_answers": stage["out"] / answers if answers else None,
                "dropped": dict(sorted(stage["dropped"].items(), key=lambda item: (-item[1], item[0]))),
            }
        )
    return rows


def request_ledger(cache_path: str | Path) -> dict[str, int] | None:
    """The cache's counts (answered, failed, pending, sends, sends beyond the first); None without a cache."""
    path = Path(cache_path)
    if not path.is_file():
        return None
    from curation.synth.cache import RequestCache

    cache = RequestCache(path)
    try:
        return cache.counts()
    finally:
        cache.close()


def render_markdown(rows: list[dict[str, Any]]) -> str:
    """The yield table as Markdown (for BENCHMARKS.md and docs)."""
    lines = ["| step | in | out | kept | of answers | dropped by reason |", "|---|---:|---:|---:|---:|---|"]
    for row in rows:
        reasons = ", ".join(f"{reason} {count:,}" for reason, count in row["dropped"].items())
        kept = f"{100 * row['kept']:.1f}%" if row["kept"] is not None else "-"
        share = f"{100 * row['of_answers']:.1f}%" if row["of_answers"] is not None else "-"
        lines.append(f"| {row['step']} | {row['in']:,} | {row['out']:,} | {kept} | {share} | {reasons} |")
    return "\n".join(lines)


def sample_rows(output_dir: str | Path, count: int, chars: int = 800) -> str:
    """The first ``count`` kept rows (by id): where each came from and its text (cut to ``chars``)."""
    from curation.report.ground_truth import load_output_rows

    columns = ("id", "text", "topic_name", "synth_template_id", "synth_model", "synth_completion_tokens")
    rows = sorted(load_output_rows(Path(output_dir), columns), key=lambda row: str(row["id"]))[:count]
    parts = []
    for row in rows:
        text = row["text"] if len(row["text"]) <= chars else row["text"][:chars] + " [...]"
        parts.append(
            f"--- {row['id']}  (topic: {row.get('topic_name')}; template: {row.get('synth_template_id')}; "
            f"model: {row.get('synth_model')}; {row.get('synth_completion_tokens')} tokens)\n{text}"
        )
    return "\n\n".join(parts) if parts else "(no rows kept)"


def report(output_dir: str | Path, cache: str | Path | None = None) -> str:
    """The yield table and the request ledger of a run's output folder, as text.

    ``cache``: the request cache file, when the recipe gave ``cache:``; default: the output folder's.
    ``FileNotFoundError`` when the folder has no ``summary.json`` or a given cache does not exist.
    """
    from curation.synth.generate_stage import CACHE_FILE

    output = Path(output_dir)
    if cache is not None and not Path(cache).is_file():
        raise FileNotFoundError(f"{cache} does not exist: give the cache file the recipe's `cache:` names")
    summary_path = output / "summary.json"
    if not summary_path.is_file():
        raise FileNotFoundError(f"{summary_path} does not exist: run the recipe first")
    rows = yield_table(json.loads(summary_path.read_text()))
    text = render_markdown(rows) if rows else "(no generation step in this run)"
    ledger = request_ledger(Path(cache) if cache is not None else output / CACHE_FILE)
    if ledger is not None:
        text += (
            f"\n\nrequest cache: {ledger['answered']:,} answered, {ledger['failed']:,} failed, "
            f"{ledger['pending']:,} pending; {ledger['sends']:,} sends, {ledger['sends_beyond_first']:,} beyond the "
            "first (requests in flight at a kill, or failed earlier)"
        )
    return text
