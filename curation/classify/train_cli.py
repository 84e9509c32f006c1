"""``curate train classifiers/<name> --data labeled.jsonl``: train a classifier, write its model folder.

The command line overrides the folder's ``train.yaml`` field by field; the model folder (default
``build/models/<name>``) gets the weights and a card with the metrics, which are also printed.

Multi-GPU: launch the same command under ``torchrun --nproc_per_node N -m curation.classify.train_cli ...``;
transformers' Trainer runs data-parallel and only the first process writes the model folder.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

DEFAULT_OUTPUT_ROOT = "build/models"


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("classifier", help="classifier folder holding card.yaml and train.yaml (classifiers/quality)")
    parser.add_argument("--data", required=True, help="labeled JSONL: text + label or score (+ source)")
    parser.add_argument("--output", "-o", help=f"model folder to write (default: {DEFAULT_OUTPUT_ROOT}/<name>)")
    parser.add_argument(
        "--trainer", choices=["transformers", "fasttext", "combiner"], help="override train.yaml's trainer"
    )
    parser.add_argument("--base-model", help="Hugging Face encoder: a local folder, or a hub id (hf://org/name)")
    parser.add_argument("--epochs", type=float, help="maximum epochs (transformers)")
    parser.add_argument("--batch-size", type=int, help="documents per training step (overrides train.yaml)")
    parser.add_argument("--learning-rate", type=float, help="peak learning rate (overrides train.yaml)")
    parser.add_argument("--max-length", type=int, help="tokens per document (head kept)")
    parser.add_argument("--patience", type=int, help="evaluations without improvement before stopping")
    parser.add_argument(
        "--long-documents",
        choices=["truncate", "chunk"],
        help="chunk: train on every max-length window of a document and score their mean (transformers)",
    )
    parser.add_argument(
        "--freeze-encoder",
        action="store_true",
        default=None,
        help="train only the head on the frozen encoder (FineWeb-Edu's recipe; raise --learning-rate, e.g. 3e-4)",
    )
    parser.add_argument(
        "--hold-out-source", action="append", dest="hold_out_sources", help="leave this source out (repeatable)"
    )
    parser.add_argument(
        "--no-hold-out", action="store_true", help="hold no source out (overrides train.yaml's hold_out_sources)"
    )
    parser.add_argument("--seed", type=int, help="random seed for splits, initialisation and order")
    parser.add_argument("--device", help="where to measure the trained model: auto, cpu, cuda (default auto)")
    parser.add_argument("--json", action="store_true", help="print the metrics as JSON")
    return parser


def add_parser(subcommands: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``train`` on the ``curate`` command's subparsers."""
    parser = subcommands.add_parser("train", help="train a quality or domain classifier from labeled JSONL")
    return add_arguments(parser)


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "trainer": args.trainer,
        "base_model": args.base_model,
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "learning_rate": args.learning_rate,
        "max_length": args.max_length,
        "patience": args.patience,
        "long_documents": args.long_documents,
        "freeze_encoder": args.freeze_encoder,
        "hold_out_sources": [] if args.no_hold_out else args.hold_out_sources,
        "seed": args.seed,
    }


def format_metrics(metrics: dict[str, Any]) -> str:
    """A short table: each split's overall figures (with the word count's AUC and the length-controlled AUC
    beside the AUC), then one line per source, then any warning that the model learned its sources."""
    lines = []
    for part, report in metrics.items():
        if part == "warnings":
            continue
        overall = report.get("overall", {})
        keys = [
            k
            for k in ("n", "roc_auc", "length_controlled_auc", "word_count_auc", "accuracy", "f1", "macro_f1")
            if overall.get(k) is not None
        ]
        lines.append(f"{part}: " + ", ".join(f"{k} {overall[k]}" for k in keys))
        for source, figures in report.get("per_source", {}).items():
            shown = [k for k in ("n", "roc_auc", "roc_auc_vs_other_class", "accuracy", "mean_score") if k in figures]
            lines.append(f"  {source:22} " + ", ".join(f"{k} {figures[k]}" for k in shown))
    lines.extend(f"WARNING: {warning}" for warning in metrics.get("warnings", []))
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """The handler of ``curate train``; returns the exit code."""
    from pathlib import Path

    from curation.classify.card import CardError, load_card
    from curation.classify.combiner import CombinerError
    from curation.classify.labels import LabelError
    from curation.classify.signals import SignalError
    from curation.classify.training import train_classifier

    try:
        card = load_card(args.classifier)
        output = args.output or str(Path(DEFAULT_OUTPUT_ROOT) / card.name)
        report = train_classifier(
            args.classifier,
            args.data,
            output,
            overrides=_overrides(args),
            engine_options={"device": args.device} if args.device else None,
        )
    except (CardError, LabelError, CombinerError, SignalError, FileNotFoundError) as error:
        print(f"curate train: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report.metrics, indent=2))
    else:
        training = report.card.training
        epochs = f", {training['epochs']} epochs" if training.get("epochs") is not None else ""
        print(
            f"trained {report.card.name} ({training['trainer']}{epochs}) in {report.seconds:.1f}s -> {report.model_dir}"
        )
        if report.card.backend == "combiner":
            from curation.classify.combiner import format_combiner_report

            print(format_combiner_report(report.metrics))
        else:
            print(format_metrics(report.metrics))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = add_arguments(argparse.ArgumentParser(prog="curate train", description=__doc__.splitlines()[0]))
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
