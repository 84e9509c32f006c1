"""The rule stages' word splitting: the regex splitter (default) against datatrove's blank spaCy tokenizers.

    python benchmarks/rule_words.py 2>/dev/null

Data: every document of ``../shared/data/web`` (697 Common Crawl documents from Dolma, 10 more Dolma
documents, 20 CCNet head documents; several languages), language from our ``language_id`` stage as in
``pipelines/web.yaml`` (``label_only``, so every document reaches the rules).

Part 1, decisions: each rule stage (gopher_repetition, gopher_quality, fineweb_quality, c4_quality, default
thresholds) decides every document twice, with ``word_splitter: spacy`` (datatrove's own tokenizers, what
the stages used before) and ``word_splitter: regex``; the script counts identical decisions (kept, or dropped
for the same reason) and lists every document decided differently with both decisions.

Part 2, cost: in a fresh process each, the seconds from start to the first rule decision (imports and
tokenizer loading included, the cost every worker pays), and the time of all rule decisions on the
documents once loaded. Both splitters run in the same invocation, one after the other.

Part 3, words: how many documents get exactly spaCy's word list, and the share of words that differ
(``difflib`` alignment), on the web documents (English rules, as the stages' default language) and on the
news sentences of ``../shared/data/langid/sentences`` in nine languages with their own spaCy rules.
"""

from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
WEB = REPO_ROOT.parent / "shared" / "data" / "web"
SENTENCES = REPO_ROOT.parent / "shared" / "data" / "langid" / "sentences"
SENTENCE_LANGUAGES = ("de", "fr", "es", "it", "pt", "nl", "ru", "pl", "sv")
sys.path.insert(0, str(REPO_ROOT))

STAGES = ("gopher_repetition", "gopher_quality", "fineweb_quality", "c4_quality")


def web_documents():
    from datatrove.data import Document

    records = []
    for path in sorted(WEB.glob("*.json*")):
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8") as handle:
            records += [json.loads(line) for line in handle if line.strip()]
    documents = [Document(text=r["text"], id=str(r["id"]), metadata={}) for r in records if r.get("text")]
    from curation.filters.langid import LanguageIdentifier

    return list(LanguageIdentifier(label_only=True).run(iter(documents)))


def decisions(splitter: str, documents) -> dict[tuple[str, str], str]:
    from curation.recipe.registry import build_stage

    result = {}
    for name in STAGES:
        stage = build_stage(name, {"word_splitter": splitter})
        for document in documents:
            copy = type(document)(text=document.text, id=document.id, metadata=dict(document.metadata))
            outcome = stage.filter(copy)
            result[name, document.id] = "kept" if outcome is True else f"dropped: {outcome[1]}"
    return result


def first_decision_seconds(splitter: str) -> float:
    """A fresh interpreter: import the stages, build them, decide one German and one English document."""
    code = (
        "import time; t = time.perf_counter()\n"
        "from datatrove.data import Document\n"
        "from curation.recipe.registry import build_stage\n"
        f"stages = [build_stage(n, {{'word_splitter': {splitter!r}}}) for n in {STAGES!r}]\n"
        "for language in ('en', 'de', 'fr'):\n"
        "    d = Document(text='Ein kurzer Satz. ' * 30, id='x', metadata={'language': language})\n"
        "    [s.filter(d) for s in stages]\n"
        "print(time.perf_counter() - t)\n"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO_ROOT
    ).stdout
    return float(output.strip().splitlines()[-1])


def word_agreement(language: str, texts: list[str]) -> tuple[int, int, int]:
    """(texts with spaCy's exact word list, words that differ, spaCy's words) for one language's rules."""
    import difflib

    from datatrove.utils.word_tokenizers import SpaCyTokenizer

    from curation.filters.words import RegexWordSplitter

    spacy, regex = SpaCyTokenizer(language), RegexWordSplitter(language)
    same = differing = total = 0
    for text in texts:
        expected, found = spacy.word_tokenize(text), regex.word_tokenize(text)
        total += len(expected)
        if expected == found:
            same += 1
            continue
        matcher = difflib.SequenceMatcher(a=expected, b=found, autojunk=False)
        differing += sum(max(i2 - i1, j2 - j1) for op, i1, i2, j1, j2 in matcher.get_opcodes() if op != "equal")
    return same, differing, total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--startups", type=int, default=3, help="fresh processes per splitter (best is reported)")
    args = parser.parse_args()
    if not WEB.is_dir():
        raise SystemExit(f"no data at {WEB}")
    documents = web_documents()
    languages = Counter(d.metadata.get("language") for d in documents)
    print(f"{len(documents)} documents; languages: {dict(languages.most_common(8))} ...")

    timings, results = {}, {}
    for splitter in ("spacy", "regex"):
        decisions(splitter, documents[:5])  # load the tokenizers of the main languages first
        started = time.perf_counter()
        results[splitter] = decisions(splitter, documents)
        timings[splitter] = time.perf_counter() - started
    differing = sorted(key for key in results["spacy"] if results["spacy"][key] != results["regex"][key])
    print("\nPart 1: decisions, spaCy words vs regex words")
    for name in STAGES:
        keys = [key for key in results["spacy"] if key[0] == name]
        same = sum(results["spacy"][key] == results["regex"][key] for key in keys)
        kept = sum(results["regex"][key] == "kept" for key in keys)
        print(f"  {name:18} identical {same}/{len(keys)}  (kept with regex words: {kept})")
    by_id = {d.id: d for d in documents}
    for name, doc_id in differing:
        language = by_id[doc_id].metadata.get("language")
        print(
            f"    {name:18} {doc_id[:40]:40} [{language}] spacy: {results['spacy'][name, doc_id]:34} "
            f"regex: {results['regex'][name, doc_id]}"
        )

    print("\nPart 2: cost")
    for splitter in ("spacy", "regex"):
        startup = min(first_decision_seconds(splitter) for _ in range(args.startups))
        per_doc = 1000 * timings[splitter] / (len(documents) * len(STAGES))
        print(
            f"  {splitter:6} start to first decision (fresh process, en+de+fr): {startup:6.2f} s   "
            f"all {len(STAGES)} stages on {len(documents)} docs: {timings[splitter]:6.2f} s "
            f"({per_doc:.2f} ms/doc/stage)"
        )

    print("\nPart 3: words, regex against spaCy")
    same, differing, total = word_agreement("en", [d.text for d in documents])
    print(f"  web documents (en rules): {same}/{len(documents)} identical, {differing}/{total} words differ")
    for language in SENTENCE_LANGUAGES:
        lines = (SENTENCES / f"{language}.txt").read_text(encoding="utf-8").splitlines()
        same, differing, total = word_agreement(language, lines)
        print(f"  {language} sentences: {same}/{len(lines)} identical, {differing}/{total} words differ")


if __name__ == "__main__":
    main()
