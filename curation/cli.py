"""The ``curate`` command: run recipes over shard directories, make a sample corpus, check recipes."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

EXIT_USAGE = 2
EXIT_CLUSTER_LOST = 4


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="curate",
        description="Curate pretraining data: raw shards in, filtered, deduplicated, scored shards out.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="run a recipe over a directory of shards")
    run.add_argument("recipe", help="recipe YAML file (see pipelines/)")
    run.add_argument("--input", "-i", help="input directory or fsspec URL (overrides input.path)")
    run.add_argument("--output", "-o", help="output directory or fsspec URL (overrides output.path)")
    run.add_argument("--glob", help="glob selecting input shards, relative to the input (overrides input.glob)")
    run.add_argument("--workers", "-w", type=int, help="worker processes (default: executor.workers or cores)")
    run.add_argument("--executor", choices=["local", "dask"], help="override executor.kind")
    run.add_argument(
        "--scheduler",
        help="dask: join this scheduler (tcp://host:8786 or a scheduler file .json) instead of starting a LocalCluster",
    )
    run.add_argument("--format", choices=["parquet", "jsonl"], help="output format (overrides output.format)")
    run.add_argument("--force", action="store_true", help="redo shards that are already complete")
    run.add_argument("--strict", action="store_true", help="exit non-zero (3) if any record was quarantined")
    run.add_argument(
        "--progress",
        choices=["auto", "bar", "log", "none"],
        default="auto",
        help="auto: a bar on a terminal, log lines otherwise",
    )
    run.add_argument("--quiet", "-q", action="store_true", help="no progress and no summary table")
    run.add_argument("--verbose", "-v", action="store_true", help="show the stages' informational log lines")

    sample = commands.add_parser("sample", help="write a sample corpus with ground truth")
    sample.add_argument("out_dir", help="directory to create (shards/ and truth.jsonl go inside)")
    sample.add_argument("--shards", type=int, default=8)
    sample.add_argument("--docs-per-shard", type=int, default=250)
    sample.add_argument("--seed", type=int, default=0)

    validate = commands.add_parser("validate", help="check a recipe without running it")
    validate.add_argument("recipe")

    evaluate = commands.add_parser("evaluate", help="score a run's output against a sample's ground truth")
    evaluate.add_argument("output_dir", help="the output directory of a run over a sample corpus")
    evaluate.add_argument("--truth", required=True, help="truth.jsonl written by `curate sample`")
    evaluate.add_argument("--json", action="store_true", help="print the figures as JSON")

    from curation.classify.train_cli import add_parser as add_train_parser

    add_train_parser(commands)
    from curation.synth.cli import add_parsers as add_synth_parsers

    add_synth_parsers(commands)  # annotate, synth-report

    commands.add_parser("stages", help="list the stage names a recipe can use")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _build_parser().parse_args(argv)
    handlers = {
        "run": _run,
        "sample": _sample,
        "validate": _validate,
        "stages": _stages,
        "evaluate": _evaluate,
        "train": _train,
    }
    handler = handlers.get(args.command) or args.handler
    return handler(args)


def _run(args: argparse.Namespace) -> int:
    # Stages log through loguru (datatrove's logger); keep the terminal for progress and the summary.
    # Set before the stages are imported so worker processes, which inherit the environment, agree.
    os.environ.setdefault("LOGURU_LEVEL", "INFO" if args.verbose else "WARNING")
    from curation.executors.local import WorkerStartupError
    from curation.executors.runner import RunConfigurationError, run_recipe
    from curation.io.shards import ShardDiscoveryError
    from curation.recipe import RecipeError, load_recipe
    from curation.report.summary import render_summary

    try:
        recipe = load_recipe(args.recipe)
        if args.format:
            output = recipe.output.model_copy(update={"format": args.format, "compression": None})
            recipe = recipe.model_copy(update={"output": output})
        report = run_recipe(
            recipe,
            input_path=args.input,
            output_path=args.output,
            glob=args.glob,
            workers=args.workers,
            executor=args.executor,
            scheduler=args.scheduler,
            force=args.force,
            strict=args.strict,
            progress="none" if args.quiet else args.progress,
        )
    except (RecipeError, RunConfigurationError, ShardDiscoveryError, WorkerStartupError) as error:
        print(f"curate: {error}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as error:
        if type(error).__name__ != "ClusterLostError":
            raise
        print(f"curate: {error}", file=sys.stderr)
        return EXIT_CLUSTER_LOST
    if not args.quiet:
        render_summary(report.summary)
    if report.exit_code == 3:
        print("curate: --strict: records were quarantined (see _quarantine/ in the output)", file=sys.stderr)
    return report.exit_code


def _sample(args: argparse.Namespace) -> int:
    from curation.sample import generate_sample

    manifest = generate_sample(args.out_dir, shards=args.shards, docs_per_shard=args.docs_per_shard, seed=args.seed)
    print(f"wrote {manifest.shards_dir} and {manifest.truth_path}")
    return 0


def _train(args: argparse.Namespace) -> int:
    from curation.classify.train_cli import run

    return run(args)


def _evaluate(args: argparse.Namespace) -> int:
    import json

    from curation.report.ground_truth import evaluate_against_truth, render_evaluation

    evaluation = evaluate_against_truth(args.output_dir, args.truth)
    print(json.dumps(evaluation.to_dict(), indent=2) if args.json else render_evaluation(evaluation))
    return 0


def _validate(args: argparse.Namespace) -> int:
    from curation.recipe import RecipeError, load_recipe

    try:
        recipe = load_recipe(args.recipe)
    except RecipeError as error:
        print(str(error), file=sys.stderr)
        return EXIT_USAGE
    names = ", ".join(stage.display_name for stage in recipe.stages) or "(no stages)"
    print(f"{args.recipe}: valid recipe {recipe.name!r}: {names}")
    return 0


def _stages(args: argparse.Namespace) -> int:
    from curation.recipe import list_stages

    for name, origin, summary in list_stages():
        print(f"{name:32} {origin:22} {summary}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
