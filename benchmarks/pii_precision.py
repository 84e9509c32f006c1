"""PII redaction: precision and recall per kind (email, phone, IP) on a labelled set, and speed on real web text.

The labelled set (``tests/data/pii_labelled.jsonl``, 502 snippets) holds real-format emails, phone numbers in
20 countries' national and international formats and public IPv4/IPv6 addresses, next to the look-alikes a
corpus is full of: version and section numbers, changelog and table rows, dates, order, tracking and
invoice numbers, ISBNs, coordinates, decimals, prices, retina image names, npm pins and git remotes.
Snippets carry the ``language`` a language-id stage would give them, and some a ``url``. The ``dev`` split
(421) is what the redaction rules were developed against; the ``holdout`` split (81, other phrasings and
other numbers) was written after the rules were frozen and estimates how they do on unseen text.

Every detector is scored the same way, from what it does to the text: an expected item counts as found when
its text is gone from the output; precision is found items over redactions made (per kind). Detectors:

- ``curation`` — our ``pii_redact`` stage (``PIIRedactor``), with its default regions and with every region
  of the set; run this script with ``PYTHONPATH`` at another checkout to score that version the same way;
- ``datatrove`` — datatrove's ``PIIFormatter`` (emails and IPs; it has no phone rule);
- ``phonenumbers`` — libphonenumber's ``PhoneNumberMatcher`` alone (VALID leniency), US only and every region;
- ``presidio`` — Presidio's pattern recognisers (``EmailRecognizer``, ``IpRecognizer``, ``PhoneRecognizer``
  with every region), without the spaCy NLP engine; skipped when ``presidio-analyzer`` is not installed.

Speed is documents per second over the real Common Crawl documents of ``../shared/data/web`` (one core).

    PYTHONPATH=. python benchmarks/pii_precision.py
"""

from __future__ import annotations

import argparse
import gzip
import json
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SET = REPO / "tests" / "data" / "pii_labelled.jsonl"
WEB_DOCS = REPO.parent / "shared" / "data" / "web"
KINDS = ("email", "phone", "ip")
ALL_REGIONS = ["US", "CA", "GB", "DE", "FR", "IN", "JP", "BR", "AU", "ES", "IT", "NL", "CN", "MX", "PL", "SE", "ZA",
               "CH", "KR", "RU"]  # fmt: skip
PLACEHOLDER = "\x00"

Detector = Callable[[str, dict[str, Any]], tuple[str, Counter]]


def load_set(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def score(rows: list[dict[str, Any]], detector: Detector) -> dict[str, dict[str, float]]:
    """Precision and recall per kind (see the module docstring)."""
    expected, found, made = Counter(), Counter(), Counter()
    for row in rows:
        metadata = {key: row[key] for key in ("language", "url") if key in row}
        output, counts = detector(row["text"], metadata)
        made.update(counts)
        for item in row["pii"]:
            expected[item["type"]] += 1
            found[item["type"]] += item["text"] not in output
    result = {}
    for kind in KINDS:
        hits = min(found[kind], made[kind])
        result[kind] = {
            "precision": hits / made[kind] if made[kind] else float("nan"),
            "recall": found[kind] / expected[kind] if expected[kind] else float("nan"),
            "redactions": made[kind],
            "expected": expected[kind],
        }
    return result


def redact_spans(text: str, spans: list[tuple[str, int, int]]) -> tuple[str, Counter]:
    """Replace spans (kind, start, end), longest first where they overlap; count them per kind."""
    spans = sorted(spans, key=lambda s: (s[1], -(s[2] - s[1])))
    kept: list[tuple[str, int, int]] = []
    for span in spans:
        if kept and span[1] < kept[-1][2]:
            continue
        kept.append(span)
    pieces, position = [], 0
    for _, start, end in kept:
        pieces += [text[position:start], PLACEHOLDER]
        position = end
    pieces.append(text[position:])
    return "".join(pieces), Counter(kind for kind, _, _ in kept)


# ---- detectors ---------------------------------------------------------------------------------------------


def curation_detector(**params: Any) -> Detector:
    from datatrove.data import Document

    from curation.filters.pii import PIIRedactor

    stage = PIIRedactor(**params)

    def detect(text: str, metadata: dict[str, Any]) -> tuple[str, Counter]:
        stage.stats.stats.clear()
        (document,) = stage.run(iter([Document(text=text, id="x", metadata=dict(metadata))]))
        counts = Counter(
            {key.removeprefix("redacted_"): int(v.total) for key, v in stage.stats.stats.items() if "redacted_" in key}
        )
        return document.text, counts

    return detect


def datatrove_detector() -> Detector:
    from datatrove.pipeline.formatters.pii import PIIFormatter

    formatter = PIIFormatter(email_replacement=PLACEHOLDER, ip_replacement=PLACEHOLDER)
    emails, ips = formatter.emails_replacer, formatter.ip_replacer

    def detect(text: str, metadata: dict[str, Any]) -> tuple[str, Counter]:
        spans = [("email", m.start(), m.end()) for m in emails.regex.finditer(text)]
        spans += [("ip", m.start(), m.end()) for m in ips.regex.finditer(text) if ips.validator(m.group(0))]
        return redact_spans(text, spans)

    return detect


def phonenumbers_detector(regions: list[str]) -> Detector:
    import phonenumbers

    def detect(text: str, metadata: dict[str, Any]) -> tuple[str, Counter]:
        spans = []
        for region in regions:
            for match in phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.VALID):
                spans.append(("phone", match.start, match.end))
        return redact_spans(text, spans)

    return detect


def presidio_detector() -> Detector | None:
    try:
        import tldextract
        from presidio_analyzer.predefined_recognizers import EmailRecognizer, IpRecognizer, PhoneRecognizer
    except ImportError:
        return None
    # Presidio validates email domains with tldextract's default extractor, which would try to download the
    # suffix list; point it at the snapshot shipped in the wheel so the benchmark stays offline.
    offline = tldextract.TLDExtract(cache_dir=None, suffix_list_urls=(), fallback_to_snapshot=True)
    tldextract.extract = offline
    recognisers = {
        "email": EmailRecognizer(),
        "ip": IpRecognizer(),
        "phone": PhoneRecognizer(supported_regions=tuple(ALL_REGIONS)),
    }

    def detect(text: str, metadata: dict[str, Any]) -> tuple[str, Counter]:
        spans = []
        for kind, recogniser in recognisers.items():
            for result in recogniser.analyze(text, entities=recogniser.supported_entities, nlp_artifacts=None):
                spans.append((kind, result.start, result.end))
        return redact_spans(text, spans)

    return detect


# ---- report ------------------------------------------------------------------------------------------------


def web_documents(limit: int) -> list[tuple[str, dict[str, Any]]]:
    documents = []
    for path in sorted(WEB_DOCS.glob("*.jsonl.gz")):
        for line in gzip.decompress(path.read_bytes()).splitlines():
            record = json.loads(line)
            metadata = record.get("metadata") or {}
            documents.append((record["text"], {"url": metadata.get("url"), "language": "en"}))
    return documents[:limit]


def docs_per_second(detector: Detector, documents: list[tuple[str, dict[str, Any]]]) -> float:
    started = time.perf_counter()
    for text, metadata in documents:
        detector(text, metadata)
    return len(documents) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_SET)
    parser.add_argument("--speed-docs", type=int, default=300, help="web documents timed per detector (0: skip)")
    args = parser.parse_args()
    rows = load_set(args.data)
    splits = {split: [r for r in rows if r.get("split", "dev") == split] for split in ("dev", "holdout")}
    for split, members in splits.items():
        kinds = Counter(item["type"] for row in members for item in row["pii"])
        without = sum(not row["pii"] for row in members)
        print(f"{split}: {len(members)} snippets, expected {dict(kinds)}, {without} without PII")

    detectors: list[tuple[str, tuple[str, ...], Detector]] = [
        ("curation (default regions)", KINDS, curation_detector()),
        ("curation (all 20 regions)", KINDS, curation_detector(phone_regions=ALL_REGIONS)),
        ("datatrove PIIFormatter", ("email", "ip"), datatrove_detector()),
        ("phonenumbers, US", ("phone",), phonenumbers_detector(["US"])),
        ("phonenumbers, all 20 regions", ("phone",), phonenumbers_detector(ALL_REGIONS)),
    ]
    presidio = presidio_detector()
    if presidio is None:
        print("presidio-analyzer not installed: its row is skipped (pip install --no-deps presidio-analyzer)")
    else:
        detectors.append(("presidio recognisers (all 20 regions)", KINDS, presidio))

    documents = web_documents(args.speed_docs) if args.speed_docs and WEB_DOCS.is_dir() else []
    header = "| detector | split | " + " | ".join(f"{k} P | {k} R" for k in KINDS) + " | docs/s (web) |"
    print(header)
    print("|" + "---|" * (3 + 2 * len(KINDS)))
    for name, kinds, detector in detectors:
        speed = f"{docs_per_second(detector, documents):,.0f}" if documents else "–"
        for split, members in splits.items():
            result = score(members, detector)
            cells = []
            for kind in KINDS:
                entry = result[kind]
                cells += [f"{entry['precision']:.3f}", f"{entry['recall']:.3f}"] if kind in kinds else ["–", "–"]
            print(f"| {name} | {split} | " + " | ".join(cells) + f" | {speed if split == 'dev' else ''} |")


if __name__ == "__main__":
    main()
