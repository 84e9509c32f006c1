"""``mixture.json`` and the audit table: what was asked, what was delivered, and from which inputs.

The manifest is self-describing (it says what its fields mean) and deterministic: it holds no times, no
host names and no output path, so the same mixture file over the same inputs gives the same bytes. The
audit table printed after a run is rendered from the manifest alone, so anything that reads
``mixture.json`` (a report, a notebook) can show the same figures.
"""

from __future__ import annotations

import sys
from fractions import Fraction
from typing import Any, TextIO

from curation.mix.model import Mixture
from curation.mix.plan import MixPlan, StagePlan
from curation.mix.write import MIX_SOURCE, MIX_STAGE, REPETITION

MANIFEST_FILE = "mixture.json"
MANIFEST_FORMAT = "curation.mixture/1"
FIELD_NOTES = {
    "requested_share": "the target share of the stage's token budget (for 'natural' shares, as computed)",
    "requested_tokens": "the target in tokens: shares apportioned to the budget by largest remainder",
    "realised_tokens": "tokens of the documents written, repeats counted",
    "realised_share": "realised_tokens / the stage's realised tokens",
    "share_error_pp": "realised_share - requested_share, in percentage points",
    "documents": "documents written, repeats counted; unique_documents counts each once",
    "pool_documents": "documents the unit could draw from in this stage (after the stage's requirements)",
    "epochs": "realised_tokens / pool_tokens (unit) or tokens_used / candidate_tokens (source)",
    "most_uses": "the most times any one document of the source appears in the mixture up to that point",
    "max_share_tokens": "ceil(max_share * token_budget): the most tokens a source may have in the stage",
    "fingerprint": "input shard content: Parquet size and footer, or the SHA-256 of a JSONL file",
}


def build_manifest(
    mixture: Mixture,
    plan: MixPlan,
    *,
    plan_fingerprint: str,
    inputs: dict[str, Any],
    tokens: dict[str, Any],
    decontamination: dict[str, dict[str, Any]],
    files: dict[str, list[dict[str, Any]]],
) -> dict[str, Any]:
    """The manifest as a JSON-ready dict (see ``FIELD_NOTES`` for the meaning of the fields)."""
    stages = [_stage(mixture, stage, decontamination, files.get(stage.name, [])) for stage in plan.stages]
    sources = {}
    for usage in plan.sources:
        spec = mixture.sources[usage.name]
        sources[usage.name] = {
            "inputs": list(mixture.source_inputs(usage.name)),
            "include": spec.include.as_written(),
            "exclude": spec.exclude.as_written(),
            "max_repetitions": usage.max_repetitions,
            "max_share": usage.max_share,
            "candidates": usage.candidates,
            "candidate_tokens": usage.candidate_tokens,
            "tokens_used": usage.tokens_used,
            "documents_used": usage.documents_used,
            "epochs": round(usage.epochs, 6),
            "most_uses": usage.most_uses,
        }
    return {
        "format": MANIFEST_FORMAT,
        "field_notes": FIELD_NOTES,
        "name": mixture.name,
        "description": mixture.description,
        "mixture_sha256": mixture.fingerprint(),
        "plan_fingerprint": plan_fingerprint,
        "seed": mixture.seed,
        "tokens": tokens,
        "columns": {
            MIX_STAGE: "the stage the document was drawn for",
            MIX_SOURCE: "the source it was drawn from",
            REPETITION: "0 for a document's first appearance in the mixture, 1 for its second, ...",
        },
        "quality_tiers": {name: r.model_dump(mode="json") for name, r in mixture.quality_tiers.items()},
        "inputs": inputs,
        "sources": sources,
        "stages": stages,
    }


def _stage(mixture: Mixture, stage: StagePlan, decontamination, files) -> dict[str, Any]:
    spec = mixture.stages[stage.index]
    realised = stage.realised_tokens
    units = []
    by_source: dict[str, dict[str, Any]] = {}
    for unit in stage.units:
        share = float(unit.share)
        realised_share = unit.realised_tokens / realised if realised else 0.0
        units.append(
            {
                "source": unit.source,
                "cell": unit.cell,
                "requested_share": round(share, 9),
                "requested_share_exact": _fraction(unit.share),
                "requested_tokens": unit.target_tokens,
                "realised_tokens": unit.realised_tokens,
                "realised_share": round(realised_share, 9),
                "share_error_pp": round((realised_share - share) * 100, 6),
                "documents": unit.documents,
                "unique_documents": unit.unique_documents,
                "pool_documents": unit.pool_documents,
                "pool_tokens": unit.pool_tokens,
                "epochs": round(unit.realised_tokens / unit.pool_tokens, 6) if unit.pool_tokens else 0.0,
                "most_uses": unit.most_uses,
            }
        )
        entry = by_source.setdefault(
            unit.source,
            {
                "requested_share": 0.0,
                "requested_tokens": 0,
                "realised_tokens": 0,
                "documents": 0,
                "max_share_tokens": stage.source_caps[unit.source],
            },
        )
        entry["requested_share"] += share
        entry["requested_tokens"] += unit.target_tokens
        entry["realised_tokens"] += unit.realised_tokens
        entry["documents"] += unit.documents
    for entry in by_source.values():
        entry["requested_share"] = round(entry["requested_share"], 9)
        entry["realised_share"] = round(entry["realised_tokens"] / realised, 9) if realised else 0.0
        entry["share_error_pp"] = round((entry["realised_share"] - entry["requested_share"]) * 100, 6)
    requirements: dict[str, Any] = {
        "min_quality": spec.require.min_quality,
        "decontamination": None,
        "excluded": stage.excluded,
    }
    if spec.require.decontaminate is not None:
        requirements["decontamination"] = decontamination[spec.require.decontaminate.key()]
    return {
        "name": stage.name,
        "token_budget": stage.budget,
        "shares": stage.mode,
        "realised_tokens": realised,
        "documents": sum(unit.documents for unit in stage.units),
        "requirements": requirements,
        "sources": by_source,
        "units": units,
        "files": files,
    }


def _fraction(value: Fraction) -> str:
    return f"{value.numerator}/{value.denominator}"


def render_audit(manifest: dict[str, Any], stream: TextIO | None = None, planned_only: bool = False) -> None:
    """Print target vs realised share per source (and cell) and stage, then each source's use."""
    from rich.console import Console
    from rich.table import Table

    console = Console(file=stream or sys.stdout, width=max(150, Console().width or 150))
    verb = "planned" if planned_only else "realised"
    for stage in manifest["stages"]:
        table = Table(
            title=f"mix · {manifest['name']} · stage {stage['name']} · budget {stage['token_budget']:,} tokens"
            + (" · natural shares" if stage["shares"] == "natural" else ""),
        )
        table.add_column("source", no_wrap=True)
        table.add_column("cell", no_wrap=True)
        for name in ("target", verb, "Δ pp", "target tokens", f"{verb} tokens", "docs", "unique", "epochs", "uses/cap"):
            table.add_column(name, justify="right", no_wrap=True)
        for unit in stage["units"]:
            cap = manifest["sources"][unit["source"]]["max_repetitions"]
            delta = unit["share_error_pp"]
            table.add_row(
                unit["source"],
                unit["cell"] or "",
                f"{unit['requested_share'] * 100:.3f}%",
                f"{unit['realised_share'] * 100:.3f}%",
                f"{delta:+.4f}" if abs(delta) <= 0.1 else f"[red]{delta:+.4f}[/red]",
                f"{unit['requested_tokens']:,}",
                f"{unit['realised_tokens']:,}",
                f"{unit['documents']:,}",
                f"{unit['unique_documents']:,}",
                f"{unit['epochs']:.3f}",
                f"{unit['most_uses']} / {cap}",
            )
        console.print(table)
        requirements = stage["requirements"]
        notes = [f"{verb} {stage['realised_tokens']:,} tokens in {stage['documents']:,} documents"]
        if requirements["min_quality"] is not None:
            notes.append(f"quality >= {requirements['min_quality']}")
        if requirements["decontamination"]:
            info = requirements["decontamination"]
            names = ", ".join(entry["path"] for entry in info["evaluation_files"])
            notes.append(f"decontaminated ({info['ngram']}-grams) against {names}")
        for source, reasons in requirements["excluded"].items():
            notes.append(f"{source}: excluded " + ", ".join(f"{n:,} {r}" for r, n in reasons.items()))
        console.print("  " + "; ".join(notes))
    table = Table(title=f"mix · {manifest['name']} · sources")
    for name in ("source", "candidates", "candidate tokens", "tokens used", "epochs", "most uses / cap", "max share"):
        table.add_column(name, justify="left" if name == "source" else "right")
    for name, source in manifest["sources"].items():
        table.add_row(
            name,
            f"{source['candidates']:,}",
            f"{source['candidate_tokens']:,}",
            f"{source['tokens_used']:,}",
            f"{source['epochs']:.3f}",
            f"{source['most_uses']} / {source['max_repetitions']}",
            f"{source['max_share']:g}",
        )
    console.print(table)
