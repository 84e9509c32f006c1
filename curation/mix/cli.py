"""``curate mix MIXTURE.yaml --output DIR``: build a training mixture by tokens from curated outputs.

Prints the audit table (target vs realised share per source and stage) and writes ``mixture.json``.
Exit codes: 0 done; 1 some files failed (rerun to continue); 2 the mixture, its inputs or its output
folder are wrong, a target cannot be met, or the Dask workers lack a file or package the mixture needs
(nothing was written).
"""

from __future__ import annotations

import argparse
import os
import sys

EXIT_USAGE = 2


def add_parser(subcommands: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``mix`` on the ``curate`` command's subparsers."""
    from curation.cli import positive_int

    parser = subcommands.add_parser("mix", help="build a training mixture by tokens from curated outputs")
    parser.add_argument("mixture", help="mixture YAML file (see pipelines/mixtures/demo.yaml and docs/mix.md)")
    parser.add_argument("--output", "-o", help="output directory or fsspec URL (required unless --dry-run)")
    parser.add_argument(
        "--executor", choices=["local", "dask"], default="local", help="local processes (default) or a Dask cluster"
    )
    parser.add_argument("--workers", "-w", type=positive_int, help="worker processes (default: the number of cores)")
    parser.add_argument("--scheduler", help="dask: join this scheduler (tcp://host:8786 or a scheduler file .json)")
    parser.add_argument("--force", action="store_true", help="replace an output written by another plan")
    parser.add_argument("--dry-run", action="store_true", help="scan and plan, print the planned table, write nothing")
    parser.add_argument(
        "--progress",
        choices=["auto", "bar", "log", "none"],
        default="auto",
        help="auto: a bar on a terminal, log lines otherwise",
    )
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress and no audit table")
    return parser


def run(args: argparse.Namespace) -> int:
    os.environ.setdefault("LOGURU_LEVEL", "WARNING")
    from curation.executors.cluster_check import WorkerEnvironmentError
    from curation.mix.execution import ExecutorError
    from curation.mix.loader import MixtureError, load_mixture
    from curation.mix.manifest import MANIFEST_FILE, render_audit
    from curation.mix.plan import InfeasibleMixtureError
    from curation.mix.run import MixInputError, MixOutputError, run_mixture

    if not args.output and not args.dry_run:
        print("curate: mix needs --output DIR (or --dry-run)", file=sys.stderr)
        return EXIT_USAGE
    try:
        mixture = load_mixture(args.mixture)
        report = run_mixture(
            mixture,
            args.output,
            executor=args.executor,
            workers=args.workers,
            scheduler=args.scheduler,
            force=args.force,
            dry_run=args.dry_run,
            progress="none" if args.quiet else args.progress,
        )
    except (
        MixtureError,
        MixInputError,
        InfeasibleMixtureError,
        MixOutputError,
        ExecutorError,
        WorkerEnvironmentError,
    ) as error:
        print(f"curate: {error}", file=sys.stderr)
        return EXIT_USAGE
    if not args.quiet:
        render_audit(report.manifest, planned_only=args.dry_run)
        scanned = report.documents_scanned
        total = report.seconds.get("total", 0.0)
        rate = f", {scanned / total:,.0f} docs/s" if total else ""
        print(f"scanned {scanned:,} documents ({report.candidates:,} candidates){rate}; wall {total:.1f}s")
    if args.dry_run:
        print("dry run: nothing written")
        return 0
    if report.failures:
        for failure in report.failures:
            print(f"curate: failed: {failure}", file=sys.stderr)
        print("curate: committed files are kept; run the same command again to continue", file=sys.stderr)
        return report.exit_code
    if not args.quiet:
        done = report.jobs_total - report.jobs_skipped
        print(
            f"files: {report.jobs_total} ({done} written now, {report.jobs_skipped} already complete); "
            f"manifest: {args.output.rstrip('/')}/{MANIFEST_FILE}"
        )
    return 0
