"""The ``term_lists`` stage with 10,000 terms against a plain regular-expression alternation of the same terms.

Documents: the real Common Crawl documents of ``../shared/data/web`` (717 in its JSON Lines files), read
repeatedly. Terms: 10,000 drawn (seeded) from those documents' own vocabulary, so that lists really hit:
8,500 words of rank 300 and beyond, 1,000 two-word phrases and 500 Chinese and Japanese character pairs,
split over four lists (drop, tag, redact, tag) as an operator's policy might be.

Peers, each finding every whole-word occurrence (lower case, leftmost-longest) and counting per list:

- ``re``: per list, one compiled alternation of its terms, longest first, between ``(?<!\\w)`` and
  ``(?!\\w)`` (Chinese and Japanese terms in a second alternation without them; a phrase's spaces as
  ``\\s+``), ``re.IGNORECASE``, ``finditer`` over the text;
- ``regex``: the same pattern with the ``regex`` module;
- ``term_lists``: our stage (Aho-Corasick over the text, boundaries checked per hit), run as a pipeline step.

Reported: documents per CPU second (one core) and the share of documents (the first ``--check``) on which
each peer's hit counts per list equal ours. The alternation's cost grows with the number of terms (it tries
them one after another at each position); the automaton's does not, which a second row with a tenth of the
terms shows.

    PYTHONPATH=. python benchmarks/term_lists.py [--terms 10000] [--seconds 20]
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import random
import re
import time
from collections import Counter
from pathlib import Path

import regex
from datatrove.data import Document

from curation.safety.terms import TermLists

REPO = Path(__file__).resolve().parents[1]
WEB = REPO.parent / "shared" / "data" / "web"
LIST_NAMES = (("blocked", "drop"), ("brands", "tag"), ("claims", "redact"), ("topics", "tag"))
_WORD = re.compile(r"[^\W\d_]{3,}")
_CJK = re.compile(r"[\u4e00-\u9fff\u3040-\u30ff]{2,}")


def load_texts() -> list[str]:
    texts = []
    for path in sorted(WEB.glob("*.jsonl*")):
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8") as handle:
            texts += [json.loads(line)["text"] for line in handle if line.strip()]
    if not texts:
        raise SystemExit(f"no documents under {WEB}")
    return texts


def draw_terms(texts: list[str], count: int, seed: int = 0) -> list[str]:
    """``count`` distinct terms from the documents' vocabulary (see the module docstring)."""
    words = Counter(word.lower() for text in texts for word in _WORD.findall(text))
    ranked = [word for word, _ in words.most_common()][300:]
    pairs = Counter()
    for text in texts:
        tokens = [t.lower() for t in _WORD.findall(text)]
        pairs.update(f"{a} {b}" for a, b in itertools.pairwise(tokens))
    cjk = Counter(run[i : i + 2] for text in texts for run in _CJK.findall(text) for i in range(len(run) - 1))
    rng = random.Random(seed)
    n_phrases, n_cjk = count // 10, count // 20
    terms = rng.sample(ranked, min(len(ranked), count - n_phrases - n_cjk))
    terms += rng.sample([p for p, _ in pairs.most_common(20 * n_phrases)], n_phrases)
    terms += rng.sample([c for c, _ in cjk.most_common(max(n_cjk * 4, n_cjk))], min(n_cjk, len(cjk)))
    terms = list(dict.fromkeys(terms))
    while len(terms) < count:  # a small corpus: fill with more words
        terms.append(f"{rng.choice(ranked)}{len(terms)}")
    return terms[:count]


def split_lists(terms: list[str]) -> list[dict]:
    size = -(-len(terms) // len(LIST_NAMES))
    return [
        {"name": name, "action": action, "terms": terms[i * size : (i + 1) * size], "min_hits": 1_000_000}
        for i, (name, action) in enumerate(LIST_NAMES)
    ]  # min_hits keeps every document, so every peer sees the same text


def regex_counter(lists: list[dict], module) -> callable:
    """One alternation per list (each list counts on its own, as in the stage), phrases across any whitespace."""
    patterns = []
    for entry in lists:
        terms = {" ".join(term.lower().split()) for term in entry["terms"]}
        spaced = sorted((t for t in terms if not _CJK.search(t)), key=len, reverse=True)
        unspaced = sorted((t for t in terms if _CJK.search(t)), key=len, reverse=True)
        words = "|".join(module.escape(term).replace(r"\ ", r"\s+") for term in spaced)
        alternation = rf"(?<!\w)(?:{words})(?!\w)"
        if unspaced:  # no word boundaries in scripts without spaces
            alternation += "|" + "|".join(map(module.escape, unspaced))
        patterns.append((entry["name"], module.compile(alternation, module.IGNORECASE)))

    def count(text: str) -> Counter:
        counts = Counter()
        for name, pattern in patterns:
            hits = sum(1 for _ in pattern.finditer(text))
            if hits:
                counts[name] = hits
        return counts

    return count


def ours_counter(lists: list[dict]) -> tuple[TermLists, callable]:
    stage = TermLists([{**entry, "action": "tag"} for entry in lists])
    names = [entry["name"] for entry in lists]

    def count(text: str) -> Counter:
        hits = stage.matcher.hits(text)
        return Counter({name: hits.counts[name] for name in names if hits.counts[name]})

    return stage, count


def rate(function, texts: list[str], seconds: float) -> float:
    """Documents per second of CPU time of this process, over at least ``seconds`` of wall time."""
    done, started, cpu = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - started < seconds:
        for text in texts:
            function(text)
            done += 1
            if time.perf_counter() - started >= seconds:
                break
    return done / (time.process_time() - cpu)


def stage_rate(stage: TermLists, texts: list[str], seconds: float) -> float:
    done, started, cpu = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - started < seconds:
        documents = (Document(text=text, id=str(i)) for i, text in enumerate(texts))
        for _ in stage.run(documents):
            done += 1
    return done / (time.process_time() - cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--terms", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--check", type=int, default=150, help="documents on which the hit counts are compared")
    args = parser.parse_args()
    texts = load_texts()
    print(f"{len(texts)} documents, mean {sum(map(len, texts)) / len(texts):,.0f} characters")
    for count in (args.terms, args.terms // 10):
        lists = split_lists(draw_terms(texts, count))
        stage, ours = ours_counter(lists)
        checked = texts[: args.check]
        reference = [ours(text) for text in checked]
        print(
            f"\n{count:,} terms in {len(lists)} lists; of {len(checked)} documents checked, with a hit: "
            f"{sum(map(bool, reference))}"
        )
        print(f"{'peer':34} {'docs/s':>9} {'same counts':>12}")
        results = {}
        for name, function in (
            ("re alternation", regex_counter(lists, re)),
            ("regex alternation", regex_counter(lists, regex)),
        ):
            same = sum(function(text) == expected for text, expected in zip(checked, reference, strict=True))
            results[name] = rate(function, texts, args.seconds)
            print(f"{name:34} {results[name]:9,.1f} {same / len(checked):11.1%}")
        results["term_lists"] = stage_rate(stage, texts, args.seconds)
        print(f"{'term_lists (the stage)':34} {results['term_lists']:9,.1f} {'-':>12}")
        print(f"term_lists / re: {results['term_lists'] / results['re alternation']:.1f}x")


if __name__ == "__main__":
    main()
