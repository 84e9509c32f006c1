"""``curate compare``: quality scorers against human labels, each beside the word count.

    curate compare labels.jsonl --model build/models/quality --rules --perplexity --lm-yes

Every scorer is computed the way a run computes it (``curation.classify.signals``), then measured by
``compare.compare_scorers``: ROC-AUC, length-controlled AUC and accuracy with bootstrap intervals, and the
AUC gap to the word count. The labels are only read, to measure: nothing is fitted on them. Accuracy is taken
at thresholds fixed without the labels: a model's card threshold, 0.5 for P("yes"), "passes every rule" for
the rules, and for perplexity the median perplexity of the labelled documents (label-free; its AUC needs no
threshold at all).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from curation.inference.loading import DEFAULT_CAUSAL_LM

RULES = "rules (Gopher+C4+FineWeb)"


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("labels", help='JSONL of {"text": ..., "label": 0 or 1} (human judgements)')
    parser.add_argument(
        "--model",
        action="append",
        default=[],
        help="a quality model folder (curate train; fastText, transformers or combiner); repeatable",
    )
    parser.add_argument("--rules", action="store_true", help="the share of the rule filters passed")
    parser.add_argument("--perplexity", action="store_true", help="perplexity under a causal LM (lower is better)")
    parser.add_argument("--lm-yes", action="store_true", help='a causal LM\'s P("Yes") asked whether the text is good')
    parser.add_argument("--lm", default=DEFAULT_CAUSAL_LM, help=f"the causal LM of both (default: {DEFAULT_CAUSAL_LM})")
    parser.add_argument("--max-tokens", type=int, default=256, help="document tokens the LM reads (default: 256)")
    parser.add_argument("--device", help="auto, cpu, cuda, cuda:1, ... (default: auto)")
    parser.add_argument("--bootstrap", type=int, default=1000, help="bootstrap resamples (default: 1000)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    return parser


def add_parser(commands) -> argparse.ArgumentParser:
    parser = commands.add_parser(
        "compare",
        help="measure quality scorers against human labels, beside the word count",
        description=(__doc__ or "").split("\n\n", 1)[0],
    )
    return add_arguments(parser)


def _specs(args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    engine = {"device": args.device} if args.device else {}
    specs: dict[str, dict[str, Any]] = {}
    if args.rules:
        specs[RULES] = {"kind": "rules"}
    if args.perplexity:
        specs["perplexity"] = {"kind": "perplexity", "model": args.lm, "max_tokens": args.max_tokens, **engine}
    if args.lm_yes:
        specs['P("Yes")'] = {"kind": "lm_yes", "model": args.lm, "max_document_tokens": args.max_tokens, **engine}
    for folder in args.model:
        specs[Path(folder).name or folder] = {"kind": "classifier", "model": folder, **engine}
    return specs


def compare_on_labels(args: argparse.Namespace) -> dict[str, Any]:
    """Score the labelled texts with every requested scorer and compare them (``compare.compare_scorers``)."""
    import numpy as np

    from curation.classify.compare import compare_scorers, load_human_labels
    from curation.classify.metrics import word_counts
    from curation.classify.signals import as_documents, build_signal

    texts, truth = load_human_labels(args.labels)
    documents = as_documents(texts)
    scores: dict[str, np.ndarray] = {}
    thresholds: dict[str, float] = {}
    for name, spec in _specs(args).items():
        signal = build_signal(spec)
        try:
            raw = signal.raw(documents)
            if spec["kind"] == "perplexity":
                raw = np.nan_to_num(raw, nan=float(np.nanmax(raw)) if np.isfinite(raw).any() else 1.0)
                scores[name] = -np.log(raw)
                thresholds[name] = round(-float(np.log(np.median(raw))), 4)
            else:
                scores[name] = raw
                thresholds[name] = {"rules": 1.0, "lm_yes": 0.5}.get(spec["kind"], 0.5)
                if spec["kind"] == "classifier":
                    thresholds[name] = float(signal.model.card.threshold)
        finally:
            signal.close()
    return compare_scorers(truth, scores, thresholds, word_counts(texts), rounds=args.bootstrap)


def run(args: argparse.Namespace) -> int:
    from curation.classify.combiner import CombinerError
    from curation.classify.compare import render_comparison
    from curation.classify.signals import SignalError

    try:
        report = compare_on_labels(args)
    except (ValueError, CombinerError, SignalError, FileNotFoundError) as error:
        print(f"curate compare: {error}", file=sys.stderr)
        return 2
    print(json.dumps(report, indent=2) if args.json else render_comparison(report))
    return 0
