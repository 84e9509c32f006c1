"""The demo's classifiers: fastText quality and domain models trained on a generated sample corpus in seconds.

Labels come from a sample corpus with seed 1 (``labelsets``); ``make demo`` scores the seed-0 corpus, so
the demo classifies documents its models never saw. Nothing is downloaded and nothing outside the project
is read, so this runs on a fresh clone.

    python -m curation.classify.demo build/demo/models      # then: curate run pipelines/demo_classify.yaml ...
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from curation.classify.labels import write_labeled
from curation.classify.labelsets import DEFAULT_SAMPLE_SEED, build_domain_set, build_quality_set
from curation.classify.train_cli import format_metrics
from curation.classify.training import TrainingReport, train_classifier

CLASSIFIERS_DIR = Path(__file__).resolve().parents[2] / "classifiers"
DEMO_SAMPLE_DOCS = 1500


def build_demo_models(
    out_dir: str | Path,
    sample_docs: int = DEMO_SAMPLE_DOCS,
    seed: int = DEFAULT_SAMPLE_SEED,
    classifiers_dir: str | Path = CLASSIFIERS_DIR,
) -> dict[str, TrainingReport]:
    """Write labeled sets and train the fastText quality and domain models under ``out_dir``."""
    out_dir, classifiers_dir = Path(out_dir), Path(classifiers_dir)
    labels = {
        "quality": build_quality_set(None, sample_docs=sample_docs, seed=seed),
        "domain": build_domain_set(sample_docs=sample_docs, seed=seed),
    }
    reports = {}
    for name, examples in labels.items():
        data = out_dir / "labels" / f"{name}.jsonl"
        write_labeled(data, examples)
        reports[name] = train_classifier(
            classifiers_dir / name,
            data,
            out_dir / name,
            overrides={"trainer": "fasttext", "hold_out_sources": []},
        )
    return reports


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m curation.classify.demo", description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", help="where the labeled sets and the two model folders go")
    parser.add_argument("--sample-docs", type=int, default=DEMO_SAMPLE_DOCS)
    args = parser.parse_args(argv)
    for name, report in build_demo_models(args.out_dir, sample_docs=args.sample_docs).items():
        print(f"{name}: fastText, {report.card.training['epochs']} epochs, {report.seconds:.1f}s -> {report.model_dir}")
        print(format_metrics(report.metrics))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
