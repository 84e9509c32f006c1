"""The ``curate`` command: run recipes over shard directories, make a sample corpus, check recipes.

Every mistake a user can make on the command line ends in one line on stderr saying what is wrong and what
to do, with an exit code: 2 for a usage or configuration error (nothing was run), 1 for failed shards or an
unexpected error, 3 for quarantined records under ``--strict``, 4 for a lost Dask scheduler, 130 for Ctrl-C.
Tracebacks are printed only with ``--verbose``. What a finished run should make a user act on (most records
quarantined for one reason, say) is a warning line at the end.
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Sequence

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_QUARANTINED = 3
EXIT_CLUSTER_LOST = 4
EXIT_INTERRUPTED = 130


def positive_int(text: str) -> int:
    """argparse type: an integer of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1 (got {value})")
    return value


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="curate",
        description="Curate pretraining data: raw shards in, filtered, deduplicated, scored shards out.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="run a recipe over a directory of shards (or one file)")
    run.add_argument("recipe", help="recipe YAML file (see pipelines/)")
    run.add_argument("--input", "-i", help="input folder, single file or fsspec URL (overrides input.path)")
    run.add_argument("--output", "-o", help="output directory or fsspec URL (overrides output.path)")
    run.add_argument("--glob", help="glob selecting input shards, relative to the input (overrides input.glob)")
    run.add_argument("--text-field", help="the field holding each record's text (overrides input.text_field)")
    run.add_argument("--id-field", help="the field holding each record's id (overrides input.id_field)")
    run.add_argument("--workers", "-w", type=positive_int, help="worker processes (default: executor.workers or cores)")
    run.add_argument("--executor", choices=["local", "dask"], help="override executor.kind")
    run.add_argument(
        "--scheduler",
        help="dask: join this scheduler (tcp://host:8786 or a scheduler file .json) instead of starting a LocalCluster",
    )
    run.add_argument(
        "--ship-models",
        action="store_true",
        help="dask: send model folders the workers do not have to them for this run (1 GiB at most)",
    )
    run.add_argument("--format", choices=["parquet", "jsonl"], help="output format (overrides output.format)")
    run.add_argument("--force", action="store_true", help="redo shards that are already complete")
    run.add_argument("--strict", action="store_true", help="exit non-zero (3) if any record was quarantined")
    run.add_argument(
        "--progress",
        choices=["auto", "bar", "log", "none"],
        default="auto",
        help="auto: a bar on a terminal, a log line every 10 s otherwise",
    )
    run.add_argument("--quiet", "-q", action="store_true", help="no progress and no summary table")
    run.add_argument(
        "--no-report", action="store_true", help="do not write report.html (the visual run report) into the output"
    )
    run.add_argument(
        "--verbose", "-v", action="store_true", help="show the stages' log lines, and tracebacks of errors"
    )

    sample = commands.add_parser(
        "sample",
        help="write a sample corpus with ground truth",
        description="Write a deterministic, web-like sample corpus: OUT_DIR/shards/part-NNNNN.jsonl.gz (good prose "
        "in English, German, French and Spanish, junk, exact and near duplicates, malformed lines), "
        "OUT_DIR/truth.jsonl (what each record is) and OUT_DIR/manifest.json. Score a run over it with "
        "`curate evaluate`.",
    )
    sample.add_argument("out_dir", help="directory to create (shards/, truth.jsonl and manifest.json go inside)")
    sample.add_argument("--shards", type=positive_int, default=8, help="number of shard files to write (default: 8)")
    sample.add_argument(
        "--docs-per-shard",
        type=positive_int,
        default=250,
        help="records in each shard (default: 250); shards x docs-per-shard must be at least 40",
    )
    sample.add_argument(
        "--seed", type=int, default=0, help="the same seed always writes byte-identical files (default: 0)"
    )

    report = commands.add_parser(
        "report",
        help="write the visual HTML report of a run's output folder",
        description="Write one self-contained HTML page (no network needed to view it) with the run's funnel, drop "
        "reasons, metric distributions with their thresholds, composition, dedup, time per stage, and, when the "
        "folder has them, topics, mixture, synthetic-data yield and curate check results. `curate run` writes it "
        "to OUT/report.html by itself.",
    )
    report.add_argument("output_dir", help="the output folder of `curate run` (or `curate mix`)")
    report.add_argument("--compare", metavar="OTHER_OUT", help="a second output folder to show side by side")
    report.add_argument("-o", "--output", help="the HTML file to write (default: OUTPUT_DIR/report.html)")
    report.add_argument(
        "--checks",
        action="append",
        default=[],
        metavar="FILE",
        help="results of `curate check --json FILE` to include (repeatable; *.json of that shape at the top of "
        "OUTPUT_DIR are found without it)",
    )
    report.add_argument(
        "--sample", type=positive_int, help="output documents to sample for per-document plots (default: 10000)"
    )
    report.add_argument("--seed", type=int, default=0, help="seed of the output sample (default: 0)")

    validate = commands.add_parser(
        "validate", help="check a recipe (schema, stages, parameters, model paths) without running it"
    )
    validate.add_argument("recipe", help="recipe YAML file")

    evaluate = commands.add_parser("evaluate", help="score a run's output against a sample's ground truth")
    evaluate.add_argument("output_dir", help="the output directory of a run over a sample corpus")
    evaluate.add_argument("--truth", required=True, help="truth.jsonl written by `curate sample`")
    evaluate.add_argument("--json", action="store_true", help="print the figures as JSON")

    from curation.classify.train_cli import add_parser as add_train_parser

    add_train_parser(commands)
    from curation.classify.compare_cli import add_parser as add_compare_parser

    add_compare_parser(commands)
    from curation.mix.cli import add_parser as add_mix_parser

    add_mix_parser(commands)
    from curation.checks.cli import add_parser as add_check_parser

    add_check_parser(commands)
    from curation.synth.cli import add_parsers as add_synth_parsers

    add_synth_parsers(commands)  # annotate, synth-report

    commands.add_parser(
        "stages",
        help="list the stage names a recipe can use",
        description="Every stage name a recipe can use: ours, then datatrove's processing steps. datatrove steps "
        "that cannot run inside a recipe are listed last with the reason.",
    )
    for name, subparser in commands.choices.items():
        if name != "run":
            subparser.add_argument("--verbose", action="store_true", help="print tracebacks of errors")
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
        "compare": _compare,
        "mix": _mix,
        "check": _check,
        "report": _report,
    }
    try:
        return (handlers.get(args.command) or args.handler)(args)
    except KeyboardInterrupt as error:
        from curation.executors.runner import RunInterrupted

        if args.verbose:
            traceback.print_exc()
        print(f"curate: {error if isinstance(error, RunInterrupted) else 'interrupted'}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as error:
        if args.verbose:
            traceback.print_exc()
            details = getattr(error, "details", None)
            if details:
                print(details, file=sys.stderr)
        code = _exit_code(error)
        message = str(error).strip() or type(error).__name__
        if code == EXIT_FAILED:
            message = f"unexpected error: {type(error).__name__}: {message}"
        if not args.verbose and (code != EXIT_USAGE or getattr(error, "details", None)):
            message += " (rerun with --verbose for the traceback)"
        print(f"curate: {message}", file=sys.stderr)
        return code


def _exit_code(error: BaseException) -> int:
    """2 for errors that mean "fix the command, the recipe or the input"; 4 for a lost cluster; else 1."""
    if type(error).__name__ == "ClusterLostError":
        return EXIT_CLUSTER_LOST
    return EXIT_USAGE if isinstance(error, _user_error_types()) else EXIT_FAILED


def _user_error_types() -> tuple[type[BaseException], ...]:
    """The exception types whose message is the whole story for a user (imported only where already loaded,
    so reporting an error never imports torch)."""
    from curation.executors.jobs import WorkerStartupError
    from curation.executors.runner import RunConfigurationError
    from curation.global_stage import GlobalStageError
    from curation.inference.locations import ModelLocationError
    from curation.io.locations import LocationError
    from curation.io.shards import ShardDiscoveryError
    from curation.recipe.loader import RecipeError
    from curation.report.ground_truth import EvaluationError
    from curation.report.run_record import ReportInputError

    types: list[type[BaseException]] = [
        RecipeError,
        RunConfigurationError,
        ShardDiscoveryError,
        WorkerStartupError,
        GlobalStageError,
        LocationError,
        ModelLocationError,
        EvaluationError,
        ReportInputError,
        SampleArgumentError,
    ]
    for module, name in (
        ("curation.inference.loading", "ModelLoadError"),
        ("curation.inference.options", "OptionsError"),
        ("curation.executors.dask", "SchedulerUnreachableError"),
        ("curation.classify.card", "CardError"),
    ):
        loaded = sys.modules.get(module)
        if loaded is not None and hasattr(loaded, name):
            types.append(getattr(loaded, name))
    return tuple(types)


class SampleArgumentError(ValueError):
    """``curate sample`` arguments that cannot make a corpus."""


def _run(args: argparse.Namespace) -> int:
    # Stages log through loguru (datatrove's logger); keep the terminal for progress and the summary.
    # Set before the stages are imported so worker processes, which inherit the environment, agree.
    os.environ.setdefault("LOGURU_LEVEL", "INFO" if args.verbose else "WARNING")
    from curation.executors.runner import run_recipe
    from curation.recipe import load_recipe, recipe_warnings
    from curation.report.summary import plural, render_summary

    recipe = load_recipe(args.recipe)
    recipe = _with_overrides(recipe, args)
    for warning in recipe_warnings(recipe):
        print(f"curate: warning: {args.recipe}: {warning.field}: {warning.message}", file=sys.stderr)
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
        ship_models=args.ship_models,
    )
    summary = report.summary
    shards = summary["shards"]
    if not args.quiet:
        render_summary(summary)
    if shards["processed_this_run"] == 0 and not shards["failed"] and shards["skipped_already_complete"]:
        print(
            f"curate: nothing to do: {plural(shards['skipped_already_complete'], 'shard')} already complete "
            "(--force redoes them)",
            file=sys.stderr,
        )
    for warning in summary.get("warnings", []):
        print(f"curate: warning: {warning}", file=sys.stderr)
    if not args.no_report:
        _write_run_report(summary["output"], quiet=args.quiet, verbose=args.verbose)
    if report.exit_code == EXIT_QUARANTINED:
        print("curate: --strict: records were quarantined (see _quarantine/ in the output)", file=sys.stderr)
    return report.exit_code


def _write_run_report(output: str, quiet: bool, verbose: bool) -> None:
    """report.html after a run; a report that cannot be written is a warning, never a failed run."""
    from curation.report.html import write_report

    try:
        path = write_report(output)
    except Exception as error:
        if verbose:
            traceback.print_exc()
        print(f"curate: warning: report.html not written: {type(error).__name__}: {error}", file=sys.stderr)
        return
    if not quiet:
        print(f"report: {path}")


def _report(args: argparse.Namespace) -> int:
    from curation.report.html import write_report

    path = write_report(
        args.output_dir,
        args.output,
        compare=args.compare,
        check_files=args.checks,
        sample_size=args.sample,
        seed=args.seed,
    )
    print(f"wrote {path}")
    return 0


def _with_overrides(recipe, args: argparse.Namespace):
    """The recipe with the command line's --format, --text-field and --id-field applied."""
    if args.format:
        output = recipe.output.model_copy(update={"format": args.format, "compression": None})
        recipe = recipe.model_copy(update={"output": output})
    fields = {"text_field": args.text_field, "id_field": args.id_field}
    fields = {key: value for key, value in fields.items() if value}
    if fields:
        recipe = recipe.model_copy(update={"input": recipe.input.model_copy(update=fields)})
    return recipe


def _sample(args: argparse.Namespace) -> int:
    from curation.sample import generate_sample
    from curation.sample.plan import MIN_RECORDS

    if args.shards * args.docs_per_shard < MIN_RECORDS:
        raise SampleArgumentError(
            f"--shards {args.shards} x --docs-per-shard {args.docs_per_shard} is fewer than the {MIN_RECORDS} "
            "records a sample corpus needs"
        )
    if os.path.isfile(args.out_dir):
        raise SampleArgumentError(f"{args.out_dir!r} is an existing file; give a directory")
    manifest = generate_sample(args.out_dir, shards=args.shards, docs_per_shard=args.docs_per_shard, seed=args.seed)
    print(f"wrote {manifest.shards_dir} and {manifest.truth_path}")
    return 0


def _train(args: argparse.Namespace) -> int:
    from curation.classify.train_cli import run

    return run(args)


def _compare(args: argparse.Namespace) -> int:
    from curation.classify.compare_cli import run

    return run(args)


def _mix(args: argparse.Namespace) -> int:
    from curation.mix.cli import run

    return run(args)


def _check(args: argparse.Namespace) -> int:
    from curation.checks.cli import run

    return run(args)


def _evaluate(args: argparse.Namespace) -> int:
    import json

    from curation.report.ground_truth import evaluate_against_truth, render_evaluation

    evaluation = evaluate_against_truth(args.output_dir, args.truth)
    print(json.dumps(evaluation.to_dict(), indent=2) if args.json else render_evaluation(evaluation))
    return 0


def _validate(args: argparse.Namespace) -> int:
    from curation.recipe import check_model_paths, load_recipe, recipe_warnings

    recipe = load_recipe(args.recipe)
    check_model_paths(recipe)
    for warning in recipe_warnings(recipe):
        print(f"curate: warning: {args.recipe}: {warning.field}: {warning.message}", file=sys.stderr)
    names = ", ".join(stage.display_name for stage in recipe.stages) or "(no stages)"
    print(f"{args.recipe}: valid recipe {recipe.name!r}: {names}")
    return 0


def _stages(args: argparse.Namespace) -> int:
    from curation.recipe import list_stages
    from curation.recipe.registry import unusable_datatrove_steps

    for name, origin, summary in list_stages():
        print(f"{name:32} {origin:22} {summary}")
    unusable = unusable_datatrove_steps()
    if unusable:
        print("\nNot usable as a recipe stage (run them in a datatrove pipeline of their own):")
        for name, reason in unusable:
            print(f"{name:32} {reason}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
