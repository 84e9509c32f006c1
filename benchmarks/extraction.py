"""HTML → text extraction and charset decoding, against trafilatura, Resiliparse and datatrove, in one run.

    python benchmarks/extraction.py [--cross-validate] 2>/dev/null

Part 1, extractors, on two sets of real pages with reviewed main texts: the 181 news and blog articles of
``../shared/data/extraction/scrapinghub`` and the 400 pages of seven types (article, service, forum,
documentation, listing, collection, product) of ``../shared/data/extraction/wcxb-dev``. Word-level precision,
recall and F1 per page (``curation.extract.scoring``), macro-averaged per page type and then over types, so each
type weighs the same. Speed is pages per CPU second on one core: the libraries' calls are timed with the thread's
CPU clock; pipeline steps with the CPU time of the process and of its child processes (datatrove's sandbox, our
helper process), so neither side gains by moving work into a child. Rows:

- peers: trafilatura 2.x with its defaults, trafilatura with ``favor_recall``, Resiliparse with its defaults
  (``main_content``), and datatrove's ``Trafilatura`` step (its own settings, sandbox process);
- ours: the ``extract_text`` stage in each mode, as a run pays for it (time limit and fallback included), and the
  routed default with ``output_format: markdown``, without ``product_pages`` and without boilerplate skipping;
- precision and recall per page type for every row;
- the share of pages on which the routed extractor ran trafilatura, and whose text it kept.

``--cross-validate`` also splits, per page type, the routed default's gap to trafilatura's defaults by routing
path (Resiliparse alone; both ran, one text kept), with two bounds: the router's trafilatura text on every page,
and an oracle router that knows both texts' F1 and is held to 3x trafilatura's speed. It checks the routing
thresholds: per page it keeps the routed extractor's signals, both
extractors' texts and their CPU times, then 25 times splits wcxb-dev in two halves (stratified by page type),
chooses the thresholds on one half by macro F1 (among those at least 3x trafilatura's speed) and measures them
on the other, against trafilatura's defaults on the same half.

Part 2, charset, on ``../shared/data/encodings`` (425 pages and feeds in 50+ encodings, folder = encoding[-
language]): share of pages decoded without U+FFFD, share decoded with the folder's codec (or one giving the
same text), and where the folder names a language, the share that lid.176 then identifies as that language.
Peer: datatrove's ``WarcReader`` decoding (UTF-8, else cchardet's guess; no header, no meta).
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import random
import resource
import statistics
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = REPO_ROOT.parent / "shared" / "data"
sys.path.insert(0, str(REPO_ROOT))

from datatrove.data import Document  # noqa: E402
from datatrove.utils.stats import Stats  # noqa: E402

from curation.extract.charset import codec_for_label, decode_page  # noqa: E402
from curation.extract.extractors import count_words  # noqa: E402
from curation.extract.routing import PageSignals, RoutedExtractor, RoutingRule  # noqa: E402
from curation.extract.scoring import WordScores, macro_average, word_scores  # noqa: E402

LANGUAGE_OF_FOLDER = {
    "arabic": "ar", "bulgarian": "bg", "croatian": "hr", "czech": "cs", "greek": "el", "hebrew": "he",
    "hungarian": "hu", "polish": "pl", "romanian": "ro", "russian": "ru", "slovak": "sk", "slovene": "sl",
    "turkish": "tr",
}  # fmt: skip
PAGE_TYPES = ("article", "service", "forum", "documentation", "listing", "collection", "product")
REFERENCE = "trafilatura 2.x, defaults"
MIN_SPEEDUP = 3.0
"""Speed floor (x trafilatura's defaults, library calls) for thresholds chosen in cross-validation: the stage's
goal. What the stage adds to the library calls (helper process, fallback check) is under 1 ms a page, about 3 %
of the routed extractor's time on wcxb-dev."""
TIMEOUT = 60.0
"""Per-page time limit of the steps here: generous, so that a loaded machine cannot turn slow pages into drops."""
CHUNK = 20
"""Pages per turn when the rows take turns (``measure``)."""


@dataclass(frozen=True)
class Page:
    id: str
    type: str
    html: str
    truth: str


def load_scrapinghub() -> list[Page]:
    root = SHARED / "extraction" / "scrapinghub"
    truth = json.loads((root / "ground-truth.json").read_text())
    return [
        Page(key, "article", _read_html(root / "html" / f"{key}.html.gz"), value["articleBody"])
        for key, value in sorted(truth.items())
    ]


def load_wcxb() -> list[Page]:
    root = SHARED / "extraction" / "wcxb-dev"
    pages = []
    for path in sorted((root / "ground-truth").glob("*.json")):
        entry = json.loads(path.read_text())
        pages.append(
            Page(
                path.stem,
                entry["_internal"]["page_type"]["primary"],
                _read_html(root / "html" / f"{path.stem}.html.gz"),
                entry["ground_truth"]["main_content"],
            )
        )
    return pages


def _read_html(path: Path) -> str:
    return gzip.decompress(path.read_bytes()).decode("utf-8", "replace")


@dataclass
class Row:
    """One extractor's texts for a set of pages and the CPU seconds they cost."""

    name: str
    texts: list[str]
    cpu_seconds: float
    page_cpu: list[float] | None = None  # per page, for library calls
    kept_from: list[str | None] | None = None  # per page, which extractor's text the routed mode kept
    second_ran: int | None = None  # pages on which a second extractor ran


def _process_tree_cpu() -> tuple[float, dict[int, float]]:
    """CPU seconds of this process and of its reaped children, and of each live child by pid."""
    import psutil

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    live = {}
    for child in psutil.Process().children(recursive=True):
        try:
            times = child.cpu_times()
        except psutil.NoSuchProcess:
            continue
        live[child.pid] = times.user + times.system
    return time.process_time() + usage.ru_utime + usage.ru_stime, live


def _cpu_since(start: tuple[float, dict[int, float]]) -> float:
    """CPU seconds spent since ``start`` by this process and its children, live or reaped.

    A child alive at ``start`` and reaped since is counted whole by the reaped total: its CPU before ``start``
    is taken off again.
    """
    before, live_before = start
    after, live_after = _process_tree_cpu()
    spent = after - before
    for pid, cpu in live_after.items():
        spent += cpu - live_before.get(pid, 0.0)
    for pid, cpu in live_before.items():
        if pid not in live_after:
            spent -= cpu
    return spent


def library_row(name: str, extract: Callable[[str], str], pages: Sequence[Page]) -> Row:
    """A library called directly: thread CPU time of each call."""
    from trafilatura.meta import reset_caches

    reset_caches()
    texts, page_cpu = [], []
    for page in pages:
        started = time.thread_time()
        texts.append(extract(page.html) or "")
        page_cpu.append(time.thread_time() - started)
    return Row(name, texts, sum(page_cpu), page_cpu)


def step_row(name: str, step, pages: Sequence[Page], field: str | None = None) -> Row:
    """A pipeline step over Documents: CPU of the process and of its children (sandbox, helper process)."""
    from trafilatura.meta import reset_caches

    reset_caches()
    documents = [Document(text=page.html, id=str(i)) for i, page in enumerate(pages)]
    start = _process_tree_cpu()
    kept = {document.id: document for document in step.run(iter(documents))}
    spent = _cpu_since(start)
    texts = [kept[str(i)].text if str(i) in kept else "" for i in range(len(pages))]
    row = Row(name, texts, spent)
    if field:
        row.kept_from = [kept[str(i)].metadata.get(field) if str(i) in kept else None for i in range(len(pages))]
        second = step.stats.stats.get("second_extractor_ran")
        row.second_ran = int(second.total) if second is not None else 0
    return row


def measure(pages: Sequence[Page], chunk: int = CHUNK) -> list[Row]:
    """Every row on ``pages``. Rows other than datatrove's step take turns on chunks of ``chunk`` pages, so that a
    change of load on the machine during the run hits all of them alike, not the rows that happen to run then.
    datatrove's step starts a sandbox process per call, so it reads all pages in one call."""
    import trafilatura
    from datatrove.pipeline.extractors import Trafilatura
    from resiliparse.extract.html2text import extract_plain_text

    from curation.extract.stage import ExtractText

    libraries: dict[str, Callable[[str], str]] = {
        REFERENCE: trafilatura.extract,
        "trafilatura 2.x, favor_recall": lambda h: trafilatura.extract(h, favor_recall=True),
        "Resiliparse, defaults (main_content)": lambda h: extract_plain_text(h, main_content=True),
    }
    ours = {
        "extract_text routed (default)": ExtractText(timeout=TIMEOUT, extractor_in="extractor"),
        "extract_text routed, markdown": ExtractText(
            output_format="markdown", timeout=TIMEOUT, extractor_in="extractor"
        ),
        "extract_text routed, product_pages off": ExtractText(
            options={"product_pages": False}, timeout=TIMEOUT, extractor_in="extractor"
        ),
        "extract_text routed, boilerplate not skipped": ExtractText(
            options={"skip_boilerplate": False}, timeout=TIMEOUT, extractor_in="extractor"
        ),
        "extract_text trafilatura": ExtractText(extractor="trafilatura", timeout=TIMEOUT, extractor_in="extractor"),
        "extract_text resiliparse": ExtractText(extractor="resiliparse", timeout=TIMEOUT, extractor_in="extractor"),
    }
    for step in ours.values():
        step_row("warm-up", step, pages[:3], "extractor")  # the helper process starts and imports
        step.stats = Stats(str(step))  # count the measured pass only
    rows = {name: Row(name, [], 0.0, []) for name in libraries}
    rows.update({name: Row(name, [], 0.0, kept_from=[]) for name in ours})
    for first in range(0, len(pages), chunk):
        part = pages[first : first + chunk]
        for name, extract in libraries.items():
            _extend(rows[name], library_row(name, extract, part))
        for name, step in ours.items():
            _extend(rows[name], step_row(name, step, part, "extractor"))
    for step in ours.values():
        step.close()
    measured = list(rows.values())
    measured.insert(3, step_row("datatrove Trafilatura step (sandbox process)", Trafilatura(timeout=TIMEOUT), pages))
    return measured


def _extend(total: Row, part: Row) -> None:
    total.texts += part.texts
    total.cpu_seconds += part.cpu_seconds
    if total.page_cpu is not None and part.page_cpu is not None:
        total.page_cpu += part.page_cpu
    if total.kept_from is not None and part.kept_from is not None:
        total.kept_from += part.kept_from
    if part.second_ran is not None:
        total.second_ran = part.second_ran  # the step's counter runs over all chunks


def scores_by_type(row: Row, pages: Sequence[Page]) -> dict[str, WordScores]:
    by_type: dict[str, list[WordScores]] = defaultdict(list)
    for text, page in zip(row.texts, pages, strict=True):
        by_type[page.type].append(word_scores(text, page.truth))
    return {page_type: macro_average(scores) for page_type, scores in by_type.items()}


def over_types(per_type: dict[str, WordScores]) -> WordScores:
    return macro_average(per_type.values())


def print_set(title: str, pages: Sequence[Page], rows: list[Row]) -> None:
    types = [t for t in PAGE_TYPES if any(page.type == t for page in pages)]
    reference = next(row for row in rows if row.name == REFERENCE)
    print(f"## Extraction: {title} ({len(pages)} pages), word-level F1 per page type, macro over types, 1 core\n")
    header = " | ".join(types) if len(types) > 1 else ""
    print(f"| extractor | {header + ' | ' if header else ''}F1 | precision | recall | pages/s | vs trafilatura |")
    print("|---|" + "---:|" * (len(types) if len(types) > 1 else 0) + "---:|---:|---:|---:|---:|")
    for row in rows:
        per_type = scores_by_type(row, pages)
        overall = over_types(per_type)
        cells = " | ".join(f"{per_type[t].f1:.3f}" for t in types) + " | " if len(types) > 1 else ""
        rate = len(pages) / row.cpu_seconds
        speed = reference.cpu_seconds / row.cpu_seconds
        print(
            f"| {row.name} | {cells}{overall.f1:.3f} | {overall.precision:.3f} | {overall.recall:.3f} "
            f"| {rate:.1f} | {speed:.2f}x |"
        )
    print()
    if len(types) > 1:
        print(f"Precision / recall per page type on {title}:\n")
        print(f"| extractor | {' | '.join(types)} |")
        print("|---|" + "---:|" * len(types))
        for row in rows:
            per_type = scores_by_type(row, pages)
            cells = " | ".join(f"{per_type[t].precision:.3f} / {per_type[t].recall:.3f}" for t in types)
            print(f"| {row.name} | {cells} |")
        print()
    routed = next(row for row in rows if row.name.startswith("extract_text routed (default)"))
    print(f"Routed default on {title}: trafilatura ran on {routed.second_ran}/{len(pages)} pages")
    print(f"({(routed.second_ran or 0) / len(pages):.0%}); text kept from each extractor, per page type:\n")
    print("| page type | pages | resiliparse | trafilatura | none |")
    print("|---|---:|---:|---:|---:|")
    for page_type in types:
        kept = Counter(
            source for source, page in zip(routed.kept_from or [], pages, strict=True) if page.type == page_type
        )
        total = sum(kept.values())
        print(
            f"| {page_type} | {total} | {kept['resiliparse'] / total:.0%} | {kept['trafilatura'] / total:.0%} "
            f"| {kept[None] / total:.0%} |"
        )
    print()


@dataclass(frozen=True)
class RoutedPage:
    """One page as the routed extractor sees it, to replay the routing decision with other thresholds."""

    type: str
    signals: PageSignals
    second_words: int
    first_f1: float  # F1 of Resiliparse's text
    second_f1: float  # F1 of trafilatura's text
    first_cpu: float  # the parse, Resiliparse's text and the signals
    second_cpu: float
    reference_f1: float
    reference_cpu: float


def routed_pages(pages: Sequence[Page]) -> list[RoutedPage]:
    """Each page through the routed extractor's two passes and through trafilatura's defaults, timed back to back
    (CPU time of the thread), so that a load change on the machine hits both sides alike."""
    import trafilatura

    extractor = RoutedExtractor()
    out = []
    for page in pages:
        started = time.thread_time()
        signals = extractor.signals(page.html)
        middle = time.thread_time()
        second = extractor.second_pass(page.html, signals)
        ended = time.thread_time()
        reference = trafilatura.extract(page.html) or ""
        reference_cpu = time.thread_time() - ended
        out.append(
            RoutedPage(
                page.type,
                signals,
                count_words(second),
                word_scores(signals.first_text, page.truth).f1,
                word_scores(second, page.truth).f1,
                middle - started,
                ended - middle,
                word_scores(reference, page.truth).f1,
                reference_cpu,
            )
        )
    return out


def replay(rule: RoutingRule, pages: Sequence[RoutedPage]) -> tuple[float, float, float]:
    """Macro F1 over types of ``rule`` on ``pages``, its speed-up over trafilatura, and trafilatura's macro F1."""
    ours: dict[str, list[float]] = defaultdict(list)
    reference: dict[str, list[float]] = defaultdict(list)
    cost = reference_cost = 0.0
    for page in pages:
        cost += page.first_cpu
        f1 = page.first_f1
        if rule.wants_second(page.signals):
            cost += page.second_cpu
            if rule.keeps_second(page.signals.first_words, page.second_words):
                f1 = page.second_f1
        ours[page.type].append(f1)
        reference[page.type].append(page.reference_f1)
        reference_cost += page.reference_cpu
    macro = statistics.fmean(statistics.fmean(values) for values in ours.values())
    reference_macro = statistics.fmean(statistics.fmean(values) for values in reference.values())
    return macro, reference_cost / cost, reference_macro


RULE_GRID = [
    RoutingRule(menu, coverage, long_words, keep)  # product_pages and skip_boilerplate as by default
    for menu, coverage, long_words, keep in itertools.product(
        (0.1, 0.2, 0.3, 1.0), (0.0, 0.2, 0.3, 0.4, 0.5, 0.6), (300, 500, 700, 1000, 1500, 10**9), (0.3, 0.5, 0.7)
    )
]


def _describe(rule: RoutingRule) -> str:
    long_words = "any" if rule.long_text_words >= 10**9 else str(rule.long_text_words)
    return (
        f"menu>{rule.menu_share_above:g} coverage<{rule.coverage_below:g} words<{long_words} "
        f"keep>={rule.keep_second_above:g}"
    )


def _half_splits(pages: Sequence[RoutedPage], repetitions: int, seed: int):
    """``repetitions`` random splits in two halves, stratified by page type; each half is tuned on once."""
    rng = random.Random(seed)
    by_type: dict[str, list[RoutedPage]] = defaultdict(list)
    for page in pages:
        by_type[page.type].append(page)
    for _ in range(repetitions):
        first, second = [], []
        for group in by_type.values():
            shuffled = rng.sample(group, len(group))
            first += shuffled[: len(group) // 2]
            second += shuffled[len(group) // 2 :]
        yield first, second
        yield second, first


def _mean_sd(values: Sequence[float], signed: bool = False) -> str:
    sign = "+" if signed else ""
    return f"{statistics.fmean(values):{sign}.3f} ± {statistics.pstdev(values):.3f} (min {min(values):{sign}.3f})"


def _path(rule: RoutingRule, page: RoutedPage) -> str:
    """The path ``rule`` sends a page down: Resiliparse alone, or both extractors with the text kept."""
    if not rule.wants_second(page.signals):
        return "resiliparse"
    kept = "trafilatura" if rule.keeps_second(page.signals.first_words, page.second_words) else "resiliparse"
    return f"both, kept {kept}"


def _oracle(pages: Sequence[RoutedPage], min_speedup: float) -> dict[str, float]:
    """Per-type F1 of a router that knows each page's F1 for both texts (an upper bound for any routing rule).

    Pages go to trafilatura in order of F1 gained (weighted by 1/pages of their type) per CPU second, while the
    total cost stays within ``min_speedup`` times less than trafilatura's defaults; the better text is kept."""
    budget = sum(page.reference_cpu for page in pages) / min_speedup - sum(page.first_cpu for page in pages)
    counts = Counter(page.type for page in pages)
    f1 = {id(page): page.first_f1 for page in pages}
    by_value = sorted(
        pages,
        key=lambda page: -max(0.0, page.second_f1 - page.first_f1) / counts[page.type] / max(page.second_cpu, 1e-6),
    )
    for page in by_value:
        if page.second_f1 <= page.first_f1 or page.second_cpu > budget:
            continue
        budget -= page.second_cpu
        f1[id(page)] = page.second_f1
    return {t: statistics.fmean(f1[id(page)] for page in pages if page.type == t) for t in counts}


def print_losses(title: str, routed: Sequence[RoutedPage], rule: RoutingRule | None = None) -> None:
    """Where the routed default loses against trafilatura's defaults, per page type, split by routing path.

    The gap of a type (trafilatura's mean F1 minus ours) is the sum over its pages of the F1 difference divided by
    the number of pages, so the paths' shares add up to the gap. Then two bounds: trafilatura's text (fast,
    ``favor_recall``, as the router runs it) kept on every page, and an oracle router held to 3x the speed."""
    rule = rule or RoutingRule()
    types = [t for t in PAGE_TYPES if any(page.type == t for page in routed)]
    paths = ("resiliparse", "both, kept resiliparse", "both, kept trafilatura")
    oracle = _oracle(routed, 3.0)
    print(f"## Where the routed default loses on {title} (library calls, against trafilatura's defaults)\n")
    print(
        "| page type | routed | trafilatura defaults | gap | "
        + " | ".join(f"gap from {path} (pages)" for path in paths)
        + " | router's trafilatura text on every page | oracle router at 3x |"
    )
    print("|---|" + "---:|" * (3 + len(paths) + 2))
    for page_type in types:
        pages = [page for page in routed if page.type == page_type]
        ours = [page.second_f1 if _path(rule, page) == paths[2] else page.first_f1 for page in pages]
        gaps = dict.fromkeys(paths, 0.0)
        counts: Counter = Counter()
        for page, f1 in zip(pages, ours, strict=True):
            gaps[_path(rule, page)] += (page.reference_f1 - f1) / len(pages)
            counts[_path(rule, page)] += 1
        reference = statistics.fmean(page.reference_f1 for page in pages)
        mean = statistics.fmean(ours)
        cells = " | ".join(f"{gaps[path]:+.3f} ({counts[path]})" for path in paths)
        every = statistics.fmean(page.second_f1 for page in pages)
        print(
            f"| {page_type} | {mean:.3f} | {reference:.3f} | {reference - mean:+.3f} | {cells} | {every:.3f} "
            f"| {oracle[page_type]:.3f} |"
        )
    every_cost = sum(page.first_cpu + page.second_cpu for page in routed)
    print(
        f"\nBoth passes on every page run at {sum(p.reference_cpu for p in routed) / every_cost:.2f}x "
        "trafilatura's defaults' speed (library calls, CPU time).\n"
    )


def cross_validate(pages: Sequence[Page], repetitions: int = 25, seed: int = 0, routed=None) -> None:
    routed = routed if routed is not None else routed_pages(pages)
    default = RoutingRule()
    macro, speed, reference_macro = replay(default, routed)
    print("## Routing thresholds: cross-validation on wcxb-dev\n")
    print(f"Default thresholds ({_describe(default)}) on all {len(pages)} pages: macro F1 {macro:.3f} against")
    print(f"{reference_macro:.3f} for trafilatura's defaults, at {speed:.2f}x its speed (library calls, CPU time).\n")
    ranked = sorted(((replay(rule, routed), rule) for rule in RULE_GRID), key=lambda item: -item[0][0])
    print(f"Best of {len(RULE_GRID)} threshold sets at >= {MIN_SPEEDUP}x, chosen and measured on all pages:\n")
    print("| thresholds | macro F1 | speed |")
    print("|---|---:|---:|")
    for (rule_macro, rule_speed, _), rule in [item for item in ranked if item[0][1] >= MIN_SPEEDUP][:5]:
        print(f"| {_describe(rule)} | {rule_macro:.3f} | {rule_speed:.2f}x |")
    print()
    held_out: dict[str, list[float]] = defaultdict(list)
    chosen: Counter = Counter()
    for tune, test in _half_splits(routed, repetitions, seed):
        candidates = [(replay(rule, tune), rule) for rule in RULE_GRID]
        fast_enough = [item for item in candidates if item[0][1] >= MIN_SPEEDUP]
        best = max(fast_enough or candidates, key=lambda item: item[0][0] if fast_enough else item[0][1])[1]
        chosen[_describe(best)] += 1
        chosen_macro, chosen_speed, reference_macro = replay(best, test)
        default_macro, default_speed, _ = replay(default, test)
        held_out["chosen"].append(chosen_macro)
        held_out["chosen_gain"].append(chosen_macro - reference_macro)
        held_out["chosen_speed"].append(chosen_speed)
        held_out["default"].append(default_macro)
        held_out["default_gain"].append(default_macro - reference_macro)
        held_out["default_speed"].append(default_speed)
        held_out["reference"].append(reference_macro)
    print(
        f"{repetitions} x 2 half splits (stratified by page type); measured on the half not tuned on, "
        "mean ± sd (min):\n"
    )
    print("| on the held-out half | macro F1 | minus trafilatura's | speed |")
    print("|---|---:|---:|---:|")
    for label, key in (("thresholds chosen on the other half", "chosen"), ("default thresholds", "default")):
        print(
            f"| {label} | {_mean_sd(held_out[key])} | {_mean_sd(held_out[key + '_gain'], signed=True)} "
            f"| {statistics.fmean(held_out[key + '_speed']):.2f}x (min {min(held_out[key + '_speed']):.2f}x) |"
        )
    print(f"| trafilatura 2.x, defaults | {_mean_sd(held_out['reference'])} | | 1x |")
    print("\nThresholds chosen most often:", "; ".join(f"{rule} ({count})" for rule, count in chosen.most_common(4)))
    print()


def datatrove_decode(payload: bytes) -> str | None:
    """datatrove's WarcReader: UTF-8, else cchardet's guess, else the record is dropped."""
    import cchardet

    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError:
        guess = cchardet.detect(payload)["encoding"]
        if not guess or guess.lower() == "utf-8":
            return None
        try:
            return payload.decode(guess)
        except (UnicodeDecodeError, LookupError):
            return None


def folder_codec(folder: str) -> str | None:
    name = folder
    for language in LANGUAGE_OF_FOLDER:
        name = name.removesuffix(f"-{language}")
    return codec_for_label(name)


def print_charset() -> None:
    from resiliparse.extract.html2text import extract_plain_text

    from curation.filters.langid import LanguageIdentifier

    identifier = LanguageIdentifier()
    root = SHARED / "encodings"
    files = [p for folder in sorted(root.iterdir()) if folder.is_dir() for p in sorted(folder.iterdir()) if p.is_file()]
    print(f"## Charset: {len(files)} pages and feeds in ../shared/data/encodings\n")
    print(
        "| decoder | decoded | no U+FFFD | folder's codec | language right (pages with a language folder) | ms/page |"
    )
    print("|---|---|---|---|---|---|")
    for name in ("curation (BOM, HTTP, meta, detection)", "datatrove WarcReader (UTF-8, else cchardet)"):
        started = time.perf_counter()
        results = []
        for path in files:
            payload = path.read_bytes()
            if name.startswith("curation"):
                decoded = decode_page(payload)
                results.append((path, decoded.text if decoded else None, decoded.charset if decoded else None))
            else:
                results.append((path, datatrove_decode(payload), None))
        elapsed = time.perf_counter() - started
        decoded = [r for r in results if r[1] is not None]
        clean = sum("\ufffd" not in text for _, text, _ in decoded)
        right_codec = 0
        for path, text, _ in decoded:
            expected = folder_codec(path.parent.name)
            if expected and text == path.read_bytes().decode(expected, "replace").lstrip("\ufeff"):
                right_codec += 1
        with_language = [(p, t) for p, t, _ in decoded if p.parent.name.rsplit("-", 1)[-1] in LANGUAGE_OF_FOLDER]
        total_with_language = sum(p.parent.name.rsplit("-", 1)[-1] in LANGUAGE_OF_FOLDER for p in files)
        texts = [extract_plain_text(text, main_content=False) or text for _, text in with_language]
        found = identifier.identify(texts) if texts else []
        language_right = sum(
            language == LANGUAGE_OF_FOLDER[p.parent.name.rsplit("-", 1)[-1]]
            for (p, _), (language, _, _) in zip(with_language, found, strict=True)
        )
        print(
            f"| {name} | {len(decoded) / len(files):.1%} | {clean / len(files):.1%} | {right_codec / len(files):.1%} "
            f"| {language_right}/{total_with_language} = {language_right / max(1, total_with_language):.1%} "
            f"| {elapsed / len(files) * 1000:.2f} |"
        )
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cross-validate", action="store_true", help="check the routing thresholds (adds ~1 min)")
    parser.add_argument("--skip-charset", action="store_true", help="only the extraction part")
    parser.add_argument(
        "--sets", nargs="+", choices=("wcxb-dev", "scrapinghub"), default=["wcxb-dev", "scrapinghub"],
        help="page sets to measure (default: both)",
    )  # fmt: skip
    args = parser.parse_args()
    if not SHARED.is_dir():
        sys.exit(f"real data not found at {SHARED}")
    loaders = {"wcxb-dev": load_wcxb, "scrapinghub": load_scrapinghub}
    for title in args.sets:
        pages = loaders[title]()
        rows = measure(pages)
        print_set(title, pages, rows)
        if args.cross_validate:
            routed = routed_pages(pages)
            print_losses(title, routed)
            if title == "wcxb-dev":
                cross_validate(pages, routed=routed)
    if not args.skip_charset:
        print_charset()


if __name__ == "__main__":
    main()
