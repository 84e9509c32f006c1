"""The web chain, WARC → text → language → Gopher rules: curation against datatrove on the same WARCs, one run.

    python benchmarks/web_chain.py [--copies 8] [--repeats 2] 2>/dev/null

Data: the four WARCs of ``../shared/data/warc/commoncrawl`` (54 HTML responses: a Common Crawl excerpt in
several languages, two wget crawls, the whirlwind capture), copied ``--copies`` times into a temporary
directory so a run lasts long enough to time. Everything runs in this one process, one core, as plain
generator chains (no executor on either side, no output writing), best of ``--repeats``.

Part 1, WARC reading (HTML responses/s, decoded to text): warcio alone, fastwarc alone, datatrove's
``WarcReader`` (warcio), and our ``WarcShardReader`` with each backend. This is the measurement behind the
reader's default backend.

Part 2, the chain the issue names: datatrove ``WarcReader → Trafilatura → LanguageFilter →
GopherRepetitionFilter → GopherQualityFilter`` against curation ``WarcShardReader → extract_text →
language_id → gopher_repetition → gopher_quality``. Same WARCs, same lid.176 model file (datatrove's
``LanguageFilter`` is handed the local model, see ``benchmarks/langid.py``; nothing is downloaded), default
thresholds on both sides. datatrove's ``Trafilatura`` step deduplicates paragraphs against every page it saw
before in the process, so on copied WARCs it empties the later copies and its Gopher stages get fewer pages:
that favours datatrove, and a second datatrove row turns it off. datatrove's ``Trafilatura`` step and our
helper process run extraction in a child process, so "docs/s per core" divides documents by the CPU seconds
of this process *and its children* (``getrusage``), not by wall time.
"""

from __future__ import annotations

import argparse
import io
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
COMMONCRAWL = REPO_ROOT.parent / "shared" / "data" / "warc" / "commoncrawl"
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(REPO_ROOT / "benchmarks"))

HTML = ("text/html", "application/xhtml+xml")


def replicate(copies: int, target: Path) -> list[Path]:
    files = []
    for copy in range(copies):
        for source in sorted(COMMONCRAWL.glob("*.warc.gz")):
            destination = target / f"c{copy:03d}-{source.name}"
            shutil.copyfile(source, destination)
            files.append(destination)
    return files


def cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def measure(run: Callable[[], int], repeats: int) -> tuple[int, float, float]:
    """(documents out, best wall seconds, CPU seconds of that run incl. children)."""
    best = (0, float("inf"), float("inf"))
    for _ in range(repeats):
        cpu, wall = cpu_seconds(), time.perf_counter()
        count = run()
        wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
        if wall < best[1]:
            best = (count, wall, cpu)
    return best


# ---- part 1: reading -------------------------------------------------------------------------------------------


def read_warcio(files: list[Path]) -> int:
    from warcio.archiveiterator import ArchiveIterator

    count = 0
    for path in files:
        with path.open("rb") as handle:
            for record in ArchiveIterator(handle, arc2warc=True):
                if record.rec_type != "response" or record.http_headers is None:
                    continue
                if (record.http_headers.get_header("Content-Type") or "").lower().startswith(HTML):
                    record.content_stream().read().decode("utf-8", "replace")
                    count += 1
    return count


def read_fastwarc(files: list[Path]) -> int:
    from fastwarc.warc import ArchiveIterator, WarcRecordType

    count = 0
    for path in files:
        with path.open("rb") as handle:
            for record in ArchiveIterator(handle, record_types=WarcRecordType.response, auto_decode="all"):
                if (record.http_content_type or "").lower().startswith(HTML):
                    record.reader.read().decode("utf-8", "replace")
                    count += 1
    return count


def read_datatrove(folder: Path) -> int:
    from datatrove.pipeline.readers import WarcReader

    return sum(1 for _ in WarcReader(str(folder), glob_pattern="*.warc.gz").run(None, 0, 1))


def read_ours(folder: Path, files: list[Path], backend: str) -> int:
    from curation.io.readers import WarcShardReader

    reader = WarcShardReader(str(folder), backend=backend)
    return sum(1 for path in files for _ in reader.read_file(path.name))


# ---- part 2: the chain -------------------------------------------------------------------------------------------


def datatrove_chain(folder: Path, deduplicate: bool = True) -> Callable[[], int]:
    from datatrove.pipeline.extractors import Trafilatura
    from datatrove.pipeline.filters import GopherQualityFilter, GopherRepetitionFilter
    from datatrove.pipeline.readers import WarcReader
    from langid import datatrove_language_filter_on_local_model

    from curation.filters.langid import bundled_lid176_path

    def run() -> int:
        steps = [
            WarcReader(str(folder), glob_pattern="*.warc.gz"),
            Trafilatura(favour_precision=True, timeout=5, deduplicate=deduplicate),
            datatrove_language_filter_on_local_model(bundled_lid176_path()),
            GopherRepetitionFilter(),
            GopherQualityFilter(),
        ]
        documents: Iterator = iter(())
        for step in steps:
            documents = step.run(documents, 0, 1)
        return sum(1 for _ in documents)

    return run


def our_chain(folder: Path, files: list[Path], extractor: str) -> Callable[[], int]:
    from curation.extract.stage import ExtractText
    from curation.filters.langid import LanguageIdentifier
    from curation.filters.rules import GopherQuality, GopherRepetition
    from curation.io.readers import WarcShardReader

    extract = ExtractText(extractor=extractor)
    steps = [extract, LanguageIdentifier(), GopherRepetition(), GopherQuality()]
    reader = WarcShardReader(str(folder))

    def run() -> int:
        def read() -> Iterator:
            for path in files:
                yield from reader.read_file(path.name)

        documents: Iterator = read()
        for step in steps:
            documents = step.run(documents, 0, 1)
        count = sum(1 for _ in documents)
        extract.close()  # reap the helper process, if any, so its CPU time is counted
        return count

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--copies", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    if not COMMONCRAWL.is_dir():
        sys.exit(f"real data not found at {COMMONCRAWL}")
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        files = replicate(args.copies, folder)
        megabytes = sum(p.stat().st_size for p in files) / 1e6
        print(f"## WARC reading: {len(files)} files, {megabytes:.1f} MB gzipped, 1 core\n")
        print("| reader | HTML docs | docs/s |")
        print("|---|---|---|")
        readers = {
            "warcio (ArchiveIterator, content_stream)": lambda: read_warcio(files),
            "fastwarc (ArchiveIterator, auto_decode)": lambda: read_fastwarc(files),
            "datatrove WarcReader (warcio)": lambda: read_datatrove(folder),
            "curation WarcShardReader, backend=warcio": lambda: read_ours(folder, files, "warcio"),
            "curation WarcShardReader, backend=checked (default)": lambda: read_ours(folder, files, "checked"),
        }
        for name, run in readers.items():
            count, wall, _ = measure(run, args.repeats)
            print(f"| {name} | {count} | {count / wall:,.0f} |")

        print("\n## Chain: read → extract → language id → Gopher repetition → Gopher quality, 1 process\n")
        print("| pipeline | docs in | docs out | wall s | docs/s | CPU s (incl. children) | docs/s per core |")
        print("|---|---|---|---|---|---|---|")
        docs_in = read_ours(folder, files, "checked")
        chains = {
            "datatrove (Trafilatura favour_precision)": datatrove_chain(folder),
            "datatrove (Trafilatura favour_precision, deduplicate off)": datatrove_chain(folder, deduplicate=False),
            "curation (extract_text routed, default)": our_chain(folder, files, "routed"),
            "curation (extract_text trafilatura)": our_chain(folder, files, "trafilatura"),
        }
        rates = {}
        for name, run in chains.items():
            run()  # warm-up: imports, spaCy pipelines, model files
            count, wall, cpu = measure(run, args.repeats)
            rates[name] = docs_in / cpu
            row = [name, docs_in, count, f"{wall:.2f}", f"{docs_in / wall:.1f}", f"{cpu:.2f}", f"{docs_in / cpu:.1f}"]
            print("| " + " | ".join(map(str, row)) + " |")
        baseline = max(rate for name, rate in rates.items() if name.startswith("datatrove"))
        print()
        for name, rate in rates.items():
            if not name.startswith("datatrove"):
                print(f"{name}: {rate / baseline:.2f}x datatrove's best docs/s per core")


if __name__ == "__main__":
    sys.stdout = io.TextIOWrapper(sys.stdout.buffer, line_buffering=True)
    main()
