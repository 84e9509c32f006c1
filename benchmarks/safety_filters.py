"""Sensitive-content filters against datatrove's: word lists on a labelled set, and both filters on real web text.

1. **Labelled set** (``tests/data/safety_labelled.jsonl``: 362 short texts in en, de, fr, es, zh; adult and
   hateful texts against look-alikes that must survive: sex education, breast-cancer screening, history of
   hate movements, medical and legal text, news about crimes, homonyms). Precision and recall of removing
   the ``unsafe`` texts, per split (``dev``: what the defaults were chosen on; ``holdout``: written after),
   and the share of each look-alike category removed, for:

   - ``flagged_words`` with its defaults;
   - datatrove's ``C4BadWordsFilter`` (C4's rule: any listed word drops the document) given the same
     lists: the bundled LDNOOBW files, written where datatrove looks for its download
     (``install_for_datatrove``), so it runs offline on the very files it would fetch;
   - the same C4 rule with the lists lower-cased: datatrove lower-cases the text but not the lists, so the
     Spanish list's capitalised entries (most of them) never match there.

2. **Real web documents** (``../shared/data/web``, 717 Common Crawl documents, language from ``language_id``):
   documents each word-list filter removes and documents/s (one core); and the URL filters: datatrove's
   ``URLFilter`` (with tldextract kept offline, as ours) against ``url_filter``: the same decisions on
   every URL and on 2,000 URLs built from a seeded sample of the UT1 domains, time to load the lists,
   memory (RSS growth from before loading to after filtering, and the process's peak RSS) and URLs/s, each
   filter in a fresh process of its own, as a worker would load it. ``url_filter`` is loaded twice: the
   first load on a machine hashes the UT1 domains into its index (in a fresh folder here), every later one
   (each worker of a run, each later run) memory-maps that index.

    PYTHONPATH=. python benchmarks/safety_filters.py
"""

from __future__ import annotations

import atexit
import gzip
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LABELLED = REPO / "tests" / "data" / "safety_labelled.jsonl"
WEB = REPO.parent / "shared" / "data" / "web"
ASSETS = tempfile.mkdtemp(prefix="safety-bench-assets-")
atexit.register(shutil.rmtree, ASSETS, ignore_errors=True)
os.environ["HF_ASSETS_CACHE"] = ASSETS  # datatrove's C4 filter reads its lists from here; nothing is fetched

from datatrove.data import Document  # noqa: E402

from curation.safety.flagged import FlaggedWords  # noqa: E402
from curation.safety.wordlists import bundled_word_list, install_for_datatrove  # noqa: E402

LOOK_ALIKES = ("sex_education", "breast_screening", "hate_history", "medical", "legal", "crime_news", "everyday")


def rss_mb(field: str = "VmRSS") -> float:
    """This process's resident memory in MB (``VmHWM``: its peak; unlike ``ru_maxrss``, not inherited from
    the parent that started it)."""
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def document(row: dict) -> Document:
    metadata = {key: row[key] for key in ("language", "url") if row.get(key)}
    return Document(text=row["text"], id=row.get("id", ""), metadata=metadata)


def removed(step, rows: list[dict]) -> set[str]:
    return {row["id"] for row in rows if step.filter(document(row)) is not True}


def c4_filters():
    from datatrove.pipeline.filters import C4BadWordsFilter

    install_for_datatrove()
    as_is = C4BadWordsFilter(fail_on_missing_language=False)
    lowered = C4BadWordsFilter(fail_on_missing_language=False)
    for language in ("en", "de", "fr", "es", "zh"):
        as_is._get_badwords(language)
        lowered._get_badwords(language)
        import re

        words = [re.escape(word) for word in bundled_word_list(language)]
        lowered._badwords_regex[language] = (
            re.compile("|".join(words))
            if language in ("ja", "th", "zh")
            else re.compile(r"(?:\W|^)({})(?:\W|$)".format("|".join(words)))
        )
    return as_is, lowered


def labelled_set() -> None:
    rows = [json.loads(line) for line in LABELLED.read_text(encoding="utf-8").splitlines()]
    c4, c4_lowered = c4_filters()
    steps = {
        "flagged_words (defaults)": FlaggedWords(),
        "datatrove C4BadWordsFilter, same lists": c4,
        "C4 rule, lists lower-cased": c4_lowered,
    }
    print(f"1. labelled set: {len(rows)} texts ({sum(r['label'] == 'unsafe' for r in rows)} unsafe)\n")
    print(f"{'filter':40} {'split':8} {'precision':>9} {'recall':>7} {'removed':>8}")
    decisions = {}
    for name, step in steps.items():
        decisions[name] = removed(step, rows)
        for split in ("dev", "holdout", "all"):
            part = [row for row in rows if split == "all" or row["split"] == split]
            unsafe = {row["id"] for row in part if row["label"] == "unsafe"}
            gone = decisions[name] & {row["id"] for row in part}
            precision = len(gone & unsafe) / max(1, len(gone))
            print(f"{name:40} {split:8} {precision:9.3f} {len(gone & unsafe) / len(unsafe):7.3f} {len(gone):8}")
    print(f"\nshare removed per category (unsafe: the higher the better; look-alikes: the lower)\n{'':40}", end="")
    categories = ["adult", "hate", *LOOK_ALIKES]
    print("".join(f"{c[:10]:>11}" for c in categories))
    for name in steps:
        print(f"{name:40}", end="")
        for category in categories:
            ids = {row["id"] for row in rows if row["category"] == category}
            print(f"{len(decisions[name] & ids) / len(ids):11.2f}", end="")
        print()
    print("\nper language, all splits (precision / recall)")
    for name in steps:
        cells = []
        for language in ("en", "de", "fr", "es", "zh"):
            part = {row["id"] for row in rows if row["language"] == language}
            unsafe = {row["id"] for row in rows if row["language"] == language and row["label"] == "unsafe"}
            gone = decisions[name] & part
            cells.append(
                f"{language} {len(gone & unsafe) / max(1, len(gone)):.2f}/{len(gone & unsafe) / len(unsafe):.2f}"
            )
        print(f"{name:40} " + "  ".join(cells))


def web_documents() -> list[Document]:
    from curation.filters.langid import LanguageIdentifier

    documents = []
    for path in sorted(WEB.glob("*.jsonl*")):
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8") as handle:
            for number, line in enumerate(handle):
                if line.strip():
                    record = json.loads(line)
                    metadata = record.get("metadata") or {}
                    url = record.get("url") or metadata.get("url") or metadata.get("WARC-Target-URI")
                    documents.append(
                        Document(text=record["text"], id=f"{path.name}:{number}", metadata={"url": url} if url else {})
                    )
    identifier = LanguageIdentifier(label_only=True)
    for start in range(0, len(documents), 256):
        identifier.filter_batch(documents[start : start + 256])
    return documents


def timed(step, documents: list[Document], repeat: int = 3) -> tuple[int, float]:
    gone = 0
    started = time.process_time()
    for round_ in range(repeat):
        for doc in documents:
            copy = Document(text=doc.text, id=doc.id, metadata=dict(doc.metadata))
            if step.filter(copy) is not True and round_ == 0:
                gone += 1
    return gone, repeat * len(documents) / (time.process_time() - started)


def web_word_lists(documents: list[Document]) -> None:
    c4, _ = c4_filters()
    languages = defaultdict(int)
    for doc in documents:
        languages[doc.metadata.get("language")] += 1
    top = ", ".join(f"{k} {v}" for k, v in sorted(languages.items(), key=lambda x: -x[1])[:6])
    print(f"\n2. real web documents: {len(documents)} ({top}, ...)\n")
    print(f"{'filter':40} {'removed':>8} {'docs/s':>9}")
    speeds = {}
    for name, step in (("flagged_words (defaults)", FlaggedWords()), ("datatrove C4BadWordsFilter", c4)):
        gone, speeds[name] = timed(step, documents)
        print(f"{name:40} {gone:8} {speeds[name]:9,.0f}")
    ratio = speeds["flagged_words (defaults)"] / speeds["datatrove C4BadWordsFilter"]
    print(f"flagged_words / C4BadWordsFilter, documents/s: {ratio:.2f}x")


def ut1_urls(count: int, seed: int = 3) -> list[str]:
    from datatrove.utils._import_utils import ASSETS_PATH

    with tarfile.open(Path(ASSETS_PATH) / "url_filterblacklistsv0_3_0.tar.gz", "r:gz") as tar:
        lines = tar.extractfile("domains").read().decode("utf-8", "surrogateescape").splitlines()
    rng = random.Random(seed)
    return [f"https://{'www.' if rng.random() < 0.5 else ''}{d.strip()}/index.html" for d in rng.sample(lines, count)]


URL_FILTERS = {
    "datatrove": "datatrove URLFilter",
    "ours-build": "url_filter (first: builds the index)",
    "ours-cached": "url_filter (index cached)",
}


def measure_url_filter(kind: str, urls_file: str) -> None:
    """In a fresh process (so that its memory is its own): load one URL filter, filter every URL, print JSON."""
    from datatrove.pipeline.filters import URLFilter
    from tldextract import TLDExtract

    from curation.safety.urls import URLBlocklist

    urls = Path(urls_file).read_text(encoding="utf-8").splitlines()
    before = rss_mb()
    started = time.perf_counter()
    step = URLFilter() if kind == "datatrove" else URLBlocklist(index_dir=str(Path(urls_file).parent / "index"))
    step.tldextractor = TLDExtract(suffix_list_urls=(), cache_dir=None, fallback_to_snapshot=True)
    step.download_data()
    load = time.perf_counter() - started
    started = time.process_time()
    results = [step.filter(Document(text="", id=str(i), metadata={"url": url})) for i, url in enumerate(urls)]
    speed = len(urls) / (time.process_time() - started)
    grown = rss_mb() - before  # after the lookups, so the pages of a memory-mapped index they touched count
    peak = rss_mb("VmHWM")
    print(json.dumps({"load": load, "rss": grown, "peak": peak, "speed": speed, "results": results}))


def web_urls(documents: list[Document]) -> None:
    urls = [doc.metadata["url"] for doc in documents if doc.metadata.get("url")] + ut1_urls(2000)
    print(f"\nURL filters on {len(urls)} URLs ({len(urls) - 2000} of the web documents, 2,000 on UT1 domains)\n")
    print(
        f"{'filter (each in a fresh process)':40} {'load s':>7} {'+RSS MB':>8} {'peak MB':>8} {'URLs/s':>9} "
        f"{'removed':>8}"
    )
    folder = Path(tempfile.mkdtemp(prefix="safety-bench-urls-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    urls_file = folder / "urls.txt"
    urls_file.write_text("\n".join(urls), encoding="utf-8")
    measured = {}
    for kind, name in URL_FILTERS.items():
        command = [sys.executable, __file__, "--url-filter", kind, str(urls_file)]
        output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        measured[kind] = row = json.loads(output.strip().splitlines()[-1])
        removed = sum(result is not True for result in row["results"])
        print(f"{name:40} {row['load']:7.1f} {row['rss']:8.0f} {row['peak']:8.0f} {row['speed']:9,.0f} {removed:8}")
    reference = measured.pop("datatrove")
    for kind, row in measured.items():
        same = sum(a == b for a, b in zip(reference["results"], row["results"], strict=True))
        print(
            f"{URL_FILTERS[kind]}: same decision (and reason) as datatrove's on {same} of {len(urls)} URLs; "
            f"load {reference['load'] / row['load']:.2f}x as fast, memory {reference['rss'] / max(row['rss'], 1):.1f}x "
            f"smaller, URLs/s {row['speed'] / reference['speed']:.2f}x"
        )


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--url-filter":
        measure_url_filter(sys.argv[2], sys.argv[3])
        return
    labelled_set()
    if not WEB.is_dir():
        print(f"\n(no {WEB}: real-document part skipped)")
        return
    documents = web_documents()
    web_word_lists(documents)
    web_urls(documents)


if __name__ == "__main__":
    main()
