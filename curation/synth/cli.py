"""``curate annotate`` (LLM rubric scores -> a labels file) and ``curate synth-report`` (yield, ledger).

Synthetic generation itself is a recipe run with ``curate run pipelines/synth.yaml`` (see docs/synth.md).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

ANNOTATE_STAGE = "llm_annotate"


def add_parsers(subcommands: argparse._SubParsersAction) -> None:
    """Register ``annotate`` and ``synth-report`` on the ``curate`` command; each sets its ``handler``."""
    annotate = subcommands.add_parser("annotate", help="score documents with an LLM rubric; write a labels file")
    annotate.add_argument("input", help="folder (or fsspec URL) of shards to annotate")
    annotate.add_argument("--output", "-o", required=True, help="labels file to write (.jsonl or .jsonl.gz)")
    annotate.add_argument("--recipe", help="a recipe with an llm_annotate stage (default: that stage alone)")
    annotate.add_argument("--backend", choices=["openai", "transformers", "vllm"], help="backend kind")
    annotate.add_argument("--base-url", help="OpenAI-compatible server (default $OPENAI_BASE_URL)")
    annotate.add_argument("--model", help="served model name, or local model (bundled:smollm2, folder, .gguf)")
    annotate.add_argument("--rubric", help="rubric id or YAML file (default educational_value)")
    annotate.add_argument("--max-in-flight", type=int, help="HTTP requests in flight per worker")
    annotate.add_argument("--work", help="run folder with scored shards and the request cache (default: beside -o)")
    annotate.add_argument("--glob", help="glob selecting input shards")
    annotate.add_argument("--workers", "-w", type=int, default=1, help="worker processes (default 1)")
    annotate.add_argument("--executor", choices=["local", "dask"], help="executor kind (default: local)")
    annotate.add_argument("--force", action="store_true", help="redo scored shards (answers still come from the cache)")
    annotate.add_argument("--quiet", "-q", action="store_true", help="no progress output")
    annotate.set_defaults(handler=run_annotate)

    report = subcommands.add_parser("synth-report", help="yield per filter step and request ledger of a synth run")
    report.add_argument("output_dir", help="output folder of a run with synth stages")
    report.add_argument("--show", type=int, default=0, metavar="N", help="also print N kept rows")
    report.add_argument("--cache", help="the run's request cache, when the recipe put it elsewhere (`cache:`)")
    report.set_defaults(handler=run_report)


def work_folder(labels: str) -> Path:
    """``labels.jsonl`` -> ``labels.annotate/`` beside it."""
    path = Path(labels)
    stem = path.name.removesuffix(".gz").removesuffix(".jsonl")
    return path.with_name(f"{stem}.annotate")


def annotate_recipe(args: argparse.Namespace):
    """The recipe to run: ``--recipe`` or the stage alone, with the command line's overrides applied."""
    from curation.recipe import load_recipe, recipe_from_dict
    from curation.synth.annotate import load_rubric

    if args.recipe:
        data = load_recipe(args.recipe).model_dump(exclude_none=True)
    else:
        data = {"name": "annotate", "stages": [{"stage": ANNOTATE_STAGE, "params": {"backend": {"kind": "openai"}}}]}
    specs = [s for s in data["stages"] if s.get("stage") == ANNOTATE_STAGE]
    if len(specs) != 1:
        raise ValueError(f"the recipe must hold one {ANNOTATE_STAGE} stage, it holds {len(specs)}")
    params: dict[str, Any] = specs[0].setdefault("params", {})
    backend = dict(params.get("backend") or {"kind": "openai"})
    if args.backend and args.backend != backend.get("kind"):
        backend = {"kind": args.backend}
    if args.base_url:
        backend["base_url"] = args.base_url
    if args.model:
        backend["model"] = args.model
    if args.max_in_flight:
        backend["max_in_flight"] = args.max_in_flight
    params["backend"] = backend
    if args.rubric:
        params["rubric"] = args.rubric
    # the rubric's content goes into the recipe, so that an edited rubric file is a changed recipe (a rerun
    # says so instead of reusing shards scored with the old rubric)
    params["rubric"] = load_rubric(params.get("rubric", "educational_value")).model_dump()
    data["output"] = {**data.get("output", {}), "format": "parquet"}
    return recipe_from_dict(data, args.recipe or "curate annotate")


def run_annotate(args: argparse.Namespace) -> int:
    from curation.executors.runner import WorkerStartupError, run_recipe
    from curation.io.shards import ShardDiscoveryError
    from curation.report.summary import render_summary
    from curation.synth.annotate import export_labels

    work = Path(args.work) if args.work else work_folder(args.output)
    try:
        recipe = annotate_recipe(args)
        report = run_recipe(
            recipe,
            input_path=args.input,
            output_path=str(work),
            glob=args.glob,
            workers=args.workers,
            executor=args.executor,
            force=args.force,
            progress="none" if args.quiet else "auto",
        )
    except (ShardDiscoveryError, WorkerStartupError, ValueError) as error:  # recipe, rubric, backend, run set-up
        print(f"curate annotate: {error}", file=sys.stderr)
        return 2
    if not args.quiet:
        render_summary(report.summary)
    if not report.ok:
        print("curate annotate: some shards failed; run the same command again to finish them", file=sys.stderr)
        return report.exit_code
    count = export_labels(work, args.output)
    print(f"wrote {count:,} labels to {args.output} (run folder and request cache: {work})")
    return 0


def run_report(args: argparse.Namespace) -> int:
    from curation.synth.report import report, sample_rows

    try:
        print(report(args.output_dir, cache=args.cache))
        if args.show:
            print("\n" + sample_rows(args.output_dir, args.show))
    except FileNotFoundError as error:
        print(f"curate synth-report: {error}", file=sys.stderr)
        return 2
    return 0
