"""Deterministic labeled sets for the quality and domain classifiers, built from data the project can read.

Quality, the *reference vs. web* way (positives from trusted text, negatives from raw crawl), from the
project's measurement data (``../shared/data``, read in place):

==================  ========  ===========================================================================
source              label     what
==================  ========  ===========================================================================
``scrapinghub``     high      news and blog article pages (hand-picked), full-page text as crawl text is
``wikipedia_qa``    high      Wikipedia source texts and short written answers (plagiarism corpus)
``ccnet_head``      high      CCNet "head" bucket documents (low perplexity under a Wikipedia LM)
``news_sentences``  high      Leipzig news sentences, six consecutive ones per document
``common_crawl``    low       unfiltered Common Crawl documents
``sample``          both      the generated sample corpus: good prose high, boilerplate/spam/short low
==================  ========  ===========================================================================

Domain: the sample corpus's six topical domains; its junk (boilerplate, spam, fragments) is labeled
``other``, so the classifier learns to treat low-quality in-domain text as out of domain.

The human-labeled quality file (``quality/human-labels-*.jsonl``) is an evaluation set and is never read
here. The same arguments always give the same examples in the same order.

    python -m curation.classify.labelsets quality --data-dir ../shared/data --out build/labels/quality.jsonl
    python -m curation.classify.labelsets domain --out build/labels/domain.jsonl
"""

from __future__ import annotations

import argparse
import gzip
import json
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path

from curation.classify.labels import LabeledExample, write_labeled

HIGH = "high"
LOW = "low"
OTHER_DOMAIN = "other"
QUALITY_LABELS = (LOW, HIGH)
SENTENCES_PER_DOCUMENT = 6
DEFAULT_SAMPLE_SEED = 1
"""The sample corpus used for training labels; ``make demo`` scores the seed-0 corpus, a different one."""


def _read_jsonl(path: Path) -> Iterator[dict]:
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def scrapinghub_pages(data_dir: Path) -> Iterator[LabeledExample]:
    """Hand-picked news and blog article pages, as full-page text (navigation and all), extracted from their
    HTML the way raw crawl text is. Not the clean article bodies: a classifier trained on clean bodies against
    full-page crawl text learns "clean extraction vs. full page" — scored on the same articles as full pages,
    such a model gave a mean P(high) of 0.06 against 0.93 for their bodies."""
    from resiliparse.extract.html2text import extract_plain_text

    from curation.extract.charset import decode_page

    folder = data_dir / "extraction/scrapinghub"
    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    for key in sorted(truth):
        path = folder / "html" / f"{key}.html.gz"
        if not path.is_file():
            continue
        page = decode_page(gzip.decompress(path.read_bytes()))
        text = extract_plain_text(page.text, main_content=False).strip() if page else ""
        if text:
            yield LabeledExample(text, HIGH, source="scrapinghub", id=f"scrapinghub:{key[:16]}")


def scrapinghub_articles(data_dir: Path) -> Iterator[LabeledExample]:
    """The same pages' hand-checked article bodies (clean text): a check of format invariance, not training data."""
    truth = json.loads((data_dir / "extraction/scrapinghub/ground-truth.json").read_text(encoding="utf-8"))
    for key in sorted(truth):
        body = (truth[key].get("articleBody") or "").strip()
        if body:
            yield LabeledExample(body, HIGH, source="scrapinghub_bodies", id=f"scrapinghub_bodies:{key[:16]}")


def wikipedia_qa(data_dir: Path) -> Iterator[LabeledExample]:
    folder = data_dir / "neardup"
    names = sorted(p.name for p in folder.glob("*.txt"))
    for name in names:
        text = (folder / name).read_text(encoding="utf-8", errors="replace").strip()
        if text:
            yield LabeledExample(text, HIGH, source="wikipedia_qa", id=f"wikipedia_qa:{name}")


def ccnet_head(data_dir: Path) -> Iterator[LabeledExample]:
    folder = data_dir / "web"
    for path in sorted([*folder.glob("cc_en_head-*.jsonl"), *folder.glob("[0-9][0-9][0-9].json.gz")]):
        for number, record in enumerate(_read_jsonl(path), start=1):
            if (record.get("metadata") or {}).get("bucket") == "head" and record.get("text", "").strip():
                yield LabeledExample(
                    record["text"].strip(), HIGH, source="ccnet_head", id=f"ccnet:{path.name}:{number}"
                )


def news_sentences(data_dir: Path, language: str = "en") -> Iterator[LabeledExample]:
    lines = (data_dir / f"langid/sentences/{language}.txt").read_text(encoding="utf-8").splitlines()
    lines = [line.strip() for line in lines if line.strip()]
    for start in range(0, len(lines) - SENTENCES_PER_DOCUMENT + 1, SENTENCES_PER_DOCUMENT):
        text = " ".join(lines[start : start + SENTENCES_PER_DOCUMENT])
        yield LabeledExample(text, HIGH, source="news_sentences", id=f"news:{language}:{start}")


def common_crawl(data_dir: Path) -> Iterator[LabeledExample]:
    for path in sorted((data_dir / "web").glob("CC-MAIN-*.jsonl.gz")):
        for number, record in enumerate(_read_jsonl(path), start=1):
            text = (record.get("text") or "").strip()
            if text:
                yield LabeledExample(text, LOW, source="common_crawl", id=f"cc:{path.name[:40]}:{number}")


REFERENCE_SOURCES = {
    "scrapinghub": scrapinghub_pages,
    "scrapinghub_bodies": scrapinghub_articles,
    "wikipedia_qa": wikipedia_qa,
    "ccnet_head": ccnet_head,
    "news_sentences": news_sentences,
}
WEB_SOURCES = {"common_crawl": common_crawl}


def sample_records(docs: int, seed: int = DEFAULT_SAMPLE_SEED) -> list:
    """Well-formed, non-duplicate records of a generated sample corpus (built in memory, nothing written)."""
    from curation.sample.builder import build_records
    from curation.sample.plan import corpus_plan

    records = build_records(corpus_plan(1, docs, seed), seed)
    return [
        r
        for r in records
        if r.malformed is None and r.text and r.exact_dup_of is None and r.near_dup_of is None and r.quality
    ]


def sample_quality(docs: int, seed: int = DEFAULT_SAMPLE_SEED) -> Iterator[LabeledExample]:
    for record in sample_records(docs, seed):
        label = HIGH if record.quality == "good" else LOW
        yield LabeledExample(record.text, label, source="sample", id=record.id)


def sample_domains(docs: int, seed: int = DEFAULT_SAMPLE_SEED) -> Iterator[LabeledExample]:
    for record in sample_records(docs, seed):
        label = record.domain if record.quality == "good" and record.domain else OTHER_DOMAIN
        yield LabeledExample(record.text, label, source=f"sample_{record.language}", id=record.id)


def build_quality_set(
    data_dir: str | Path | None, *, sample_docs: int = 400, seed: int = DEFAULT_SAMPLE_SEED
) -> list[LabeledExample]:
    """Reference vs. web from ``data_dir`` (skipped when None) plus ``sample_docs`` sample-corpus records."""
    examples: list[LabeledExample] = []
    if data_dir is not None:
        data_dir = Path(data_dir)
        if not data_dir.is_dir():
            raise FileNotFoundError(f"{data_dir}: no such data directory (the project's ../shared/data)")
        for reader in (*REFERENCE_SOURCES.values(), *WEB_SOURCES.values()):
            examples += reader(data_dir)
    if sample_docs:
        examples += sample_quality(sample_docs, seed)
    return examples


def build_domain_set(*, sample_docs: int = 1500, seed: int = DEFAULT_SAMPLE_SEED) -> list[LabeledExample]:
    """The sample corpus's domains, junk as ``other``."""
    return list(sample_domains(sample_docs, seed))


def describe(examples: Sequence[LabeledExample]) -> str:
    counts = Counter((e.source, e.label) for e in examples)
    return ", ".join(f"{source}/{label}: {n}" for (source, label), n in sorted(counts.items()))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m curation.classify.labelsets", description="Write a deterministic labeled set as JSONL."
    )
    parser.add_argument("kind", choices=["quality", "domain"])
    parser.add_argument("--out", required=True, help="labeled JSONL to write (.jsonl or .jsonl.gz)")
    parser.add_argument("--data-dir", help="the project's measurement data (../shared/data); quality only")
    parser.add_argument("--sample-docs", type=int, help="sample-corpus records to generate (0: none)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SAMPLE_SEED, help="sample-corpus seed")
    args = parser.parse_args(argv)
    if args.kind == "quality":
        docs = 400 if args.sample_docs is None else args.sample_docs
        examples = build_quality_set(args.data_dir, sample_docs=docs, seed=args.seed)
    else:
        docs = 1500 if args.sample_docs is None else args.sample_docs
        examples = build_domain_set(sample_docs=docs, seed=args.seed)
    if not examples:
        parser.error("nothing to write: give --data-dir or a positive --sample-docs")
    count = write_labeled(args.out, examples)
    print(f"wrote {count} examples to {args.out} ({describe(examples)})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
