"""``curate check CHECKS.yaml DATA``: measure a curated output and gate it, for CI.

Exit codes: 0 every check passed; 1 a ``fail`` check failed (or could not be measured); 2 bad usage (an
unreadable or invalid checks file, no shards, a missing or unreadable baseline); 3 only ``warn`` checks
failed and ``--warn-exit`` was given.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXIT_USAGE = 2


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("checks", help="checks file (YAML; see pipelines/ci-checks.yaml)")
    parser.add_argument("data", help="a curated output folder, or any folder (or fsspec URL) of shards")
    parser.add_argument("--baseline", help="pinned metrics to compare with (checks with compare: change ...)")
    parser.add_argument("--write-baseline", metavar="FILE", help="pin the metrics measured now to FILE")
    parser.add_argument("--junit", metavar="FILE", help="write JUnit XML (one testcase per check)")
    parser.add_argument("--json", metavar="FILE", help="write the metrics and verdicts as JSON")
    parser.add_argument("--markdown", metavar="FILE", help="write a Markdown report (e.g. $GITHUB_STEP_SUMMARY)")
    parser.add_argument(
        "--sample", type=int, metavar="N", help="check a seeded sample of N documents (0: every document)"
    )
    parser.add_argument("--seed", type=int, help="sample seed (default: the checks file's sample.seed, 0)")
    parser.add_argument("--workers", "-w", type=int, help="measuring processes (default: the number of cores)")
    parser.add_argument("--warn-exit", action="store_true", help="exit 3 when only warn checks failed")
    parser.add_argument("--quiet", "-q", action="store_true", help="print only the verdict line")
    return parser


def add_parser(subcommands: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``check`` on the ``curate`` command's subparsers."""
    parser = subcommands.add_parser(
        "check",
        help="data-quality gates for CI: metrics vs thresholds or a baseline; JUnit, JSON, Markdown",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    return add_arguments(parser)


def run(args: argparse.Namespace) -> int:
    """The handler of ``curate check``; returns the exit code."""
    import os

    os.environ.setdefault("LOGURU_LEVEL", "WARNING")  # the stages' info lines would drown the table
    from curation.checks.loader import ChecksFileError, load_checks
    from curation.checks.metrics import dumps
    from curation.checks.render import markdown, render_table, verdict
    from curation.checks.runner import CheckUsageError, run_checks

    if args.sample is not None and args.sample < 0:
        print("curate check: --sample must be 0 (every document) or a positive number", file=sys.stderr)
        return EXIT_USAGE
    try:
        checks = load_checks(args.checks)
        result = run_checks(
            checks,
            args.data,
            checks_source=args.checks,
            sample=args.sample,
            seed=args.seed,
            baseline=args.baseline,
            write_baseline_to=args.write_baseline,
            workers=args.workers,
            warn_exit=args.warn_exit,
        )
    except (ChecksFileError, CheckUsageError) as error:
        print(f"curate check: {error}", file=sys.stderr)
        return EXIT_USAGE
    if args.junit:
        from curation.checks.junit import write_junit

        write_junit(result, args.junit)
    if args.json:
        _write(args.json, dumps(result.to_dict()) + b"\n")
    if args.markdown:
        _write(args.markdown, markdown(result).encode("utf-8"))
    if args.quiet:
        print(verdict(result))
    else:
        render_table(result)
    return result.exit_code


def _write(path: str, data: bytes) -> None:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
