"""Dedup in scripts written without spaces: planted near copies in Chinese, Japanese and Thai next to English.

    python benchmarks/dedup_scripts.py [--baseline DIR] [--originals 300] [--copies 100] 2>/dev/null

Needs ``../shared/data/langid/sentences`` (real news sentences, 300 per language). ``--baseline`` names a
checkout of an earlier commit (``git worktree add /tmp/dedup-base <commit>``) whose compiled MinHash kernel
and exact-dedup normalisation are timed and scored next to this tree's.

1. Near duplicates. Per language, ``--originals`` documents of six sentences drawn at random from the
   language's 300 (so distinct documents share a sentence now and then, as pages of one site share
   boilerplate) and ``--copies`` near copies of the first originals with 2-5 characters replaced, inserted or
   deleted (``curation.sample.duplicates.character_edits``). One shard per language, one ``minhash_dedup``
   over all of them (128 permutations, threshold 0.7, signature check), driven through its real phases.
   Recall: planted copies removed as duplicates of their original; also among the copies clearly above the
   threshold, whose true shingle Jaccard to their original (under the shingling compared) is at least 0.75
   (the signature check estimates Jaccard with a standard error of about 0.04, so pairs nearer 0.7 go either
   way). A false merge: an original removed, or a copy removed as the duplicate of
   another document. Shinglings compared:
   - ``word``: word 5-grams for every document (the stage's only mode before ``auto``);
   - ``auto``: the default now, words or the script's character shingles, chosen from the characters;
   - ``auto`` after ``language_id``: the same, chosen from the language metadata lid.176 writes;
   - ``char`` 24: 24-character shingles for every document (NeMo Curator's setting).
2. Exact copies re-wrapped. A copy of each original with line breaks inserted inside sentences (and, for
   Chinese and Japanese, spaces around Latin words and digits, as some sites typeset them): is it equal to
   the original after the default normalisation (lowercase, collapse whitespace)? Also: documents whose
   letters or vowel signs ``strip_punctuation`` deletes.
3. Speed: signatures per second of CPU time (best of ``--repeats``, methods interleaved so they share the
   machine's load) on the English news-like corpus of ``dedup_minhash.py`` and on the documents of step 1.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import random
import re
import sys
import tempfile
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from dedup_corpus import CorpusSpec, read_texts, write_corpus  # noqa: E402

SENTENCES = REPO_ROOT.parent / "shared" / "data" / "langid" / "sentences"
LANGUAGES = {"en": " ", "zh": "", "ja": "", "th": " "}
"""Language -> what joins its sentences into a document."""
SENTENCES_PER_DOCUMENT = 6
THRESHOLD = 0.7
CLEARLY_ABOVE = 0.75
EDITS = (2, 5)
SHINGLINGS: dict[str, dict[str, Any]] = {
    "word": {"shingle": "word"},
    "auto": {"shingle": "auto"},
    "auto, language_id": {"shingle": "auto"},
    "char 24": {"shingle": "char", "ngram": 24},
}


def build_corpus(originals: int, copies: int, seed: int) -> dict[str, list[dict[str, Any]]]:
    """Per language: documents with ``id``, ``text``, ``copy_of`` (the original's id for planted copies)."""
    from curation.sample.duplicates import character_edits

    corpus = {}
    for language, joiner in LANGUAGES.items():
        rng = random.Random(f"{seed}-{language}")
        sentences = (SENTENCES / f"{language}.txt").read_text(encoding="utf-8").splitlines()
        documents = [
            {
                "id": f"{language}-{index:04d}",
                "text": joiner.join(rng.sample(sentences, SENTENCES_PER_DOCUMENT)),
                "copy_of": None,
            }
            for index in range(originals)
        ]
        for index in range(min(copies, originals)):
            edited = character_edits(documents[index]["text"], rng.randint(*EDITS), rng)
            documents.append({"id": f"{language}-copy-{index:04d}", "text": edited, "copy_of": documents[index]["id"]})
        rng.shuffle(documents)
        corpus[language] = documents
    return corpus


def near_duplicates(corpus: dict[str, list[dict[str, Any]]]) -> dict[str, dict[str, dict[str, Any]]]:
    """For each shingling: per language, recall of the planted copies and false merges."""
    from datatrove.data import Document

    from curation.dedup.inprocess import run_phases
    from curation.dedup.minhash_stage import MinHashDedup
    from curation.filters.langid import LanguageIdentifier

    identifier = LanguageIdentifier(label_only=True)
    labels = {}
    for documents in corpus.values():
        identified = identifier.identify([d["text"] for d in documents])
        for document, (language, _, _) in zip(documents, identified, strict=True):
            labels[document["id"]] = language
    results: dict[str, dict[str, dict[str, Any]]] = {}
    for name, params in SHINGLINGS.items():
        with_labels = name.endswith("language_id")
        shards = {
            language: [
                Document(d["text"], d["id"], metadata={"language": labels[d["id"]]} if with_labels else {})
                for d in documents
            ]
            for language, documents in corpus.items()
        }
        with tempfile.TemporaryDirectory(prefix="dedup-scripts-") as work:
            stage = MinHashDedup(threshold=THRESHOLD, **params)
            run_phases(stage, shards, work)
            removed = {}
            for path in Path(work, "removed").glob("*.jsonl"):
                for line in path.read_text().splitlines():
                    record = json.loads(line)
                    removed[record["id"]] = record["duplicate_of"]
        results[name] = {language: _score(documents, removed, params) for language, documents in corpus.items()}
    return results


def _score(documents: list[dict[str, Any]], removed: dict[str, str], params: dict[str, Any]) -> dict[str, Any]:
    from curation.dedup.shingles import jaccard

    texts = {d["id"]: d["text"] for d in documents}
    planted = {d["id"]: d["copy_of"] for d in documents if d["copy_of"]}
    ids = {d["id"] for d in documents}
    found = {doc_id for doc_id, original in planted.items() if removed.get(doc_id) == original}
    kind, n = params["shingle"], params.get("ngram", 5)
    eligible = {
        doc_id
        for doc_id, original in planted.items()
        if jaccard(texts[original], texts[doc_id], kind, n) >= CLEARLY_ABOVE
    }
    false = sum(1 for doc_id, kept in removed.items() if doc_id in ids and planted.get(doc_id) != kept)
    removed_here = sum(1 for doc_id in removed if doc_id in ids)
    return {
        "copies": len(planted),
        "recall": round(len(found) / len(planted), 3) if planted else None,
        "copies_above_threshold": len(eligible),
        "recall_above_threshold": round(len(found & eligible) / len(eligible), 3) if eligible else None,
        "removed": removed_here,
        "false_merges": false,
        "precision": round((removed_here - false) / removed_here, 3) if removed_here else None,
    }


_CJK_LATIN_BOUNDARY = re.compile(r"(?<=[\u3040-\u9fff])(?=[0-9A-Za-z])|(?<=[0-9A-Za-z])(?=[\u3040-\u9fff])")


def rewrapped(text: str, language: str, rng: random.Random) -> str:
    """The same text wrapped at three other places, as HTML source often is.

    English is wrapped at spaces. Chinese, Japanese and Thai are wrapped between two of their own characters
    (never inside a Latin word or number); Chinese and Japanese also get a space between their characters
    and Latin letters or digits, as some sites typeset them.
    """
    if language in ("zh", "ja"):
        text = _CJK_LATIN_BOUNDARY.sub(" ", text)
    characters = list(text)
    if language == "en":
        spaces = [i for i, character in enumerate(characters) if character == " "]
        for position in rng.sample(spaces, min(3, len(spaces))):
            characters[position] = "\n"
        return "".join(characters)
    inside = [i for i in range(1, len(characters)) if ord(characters[i - 1]) > 0x2FF and ord(characters[i]) > 0x2FF]
    for position in sorted(rng.sample(inside, min(3, len(inside))), reverse=True):
        characters.insert(position, "\n")
    return "".join(characters)


def exact_copies(corpus: dict[str, list[dict[str, Any]]], baseline: ModuleType | None) -> dict[str, dict[str, Any]]:
    """Per language: re-wrapped copies equal after normalisation, and documents strip_punctuation damages."""
    from curation.dedup import exact

    versions: dict[str, ModuleType] = {"now": exact}
    if baseline is not None:
        versions = {"baseline": baseline, "now": exact}
    results: dict[str, dict[str, Any]] = {}
    for language, documents in corpus.items():
        rng = random.Random(f"wrap-{language}")
        originals = [d["text"] for d in documents if not d["copy_of"]]
        copies = [rewrapped(text, language, rng) for text in originals]
        row: dict[str, Any] = {"documents": len(originals)}
        for label, module in versions.items():
            equal = sum(
                module.normalise(a, ["lowercase", "collapse_whitespace"])
                == module.normalise(b, ["lowercase", "collapse_whitespace"])
                for a, b in zip(originals, copies, strict=True)
            )
            damaged = sum(
                _letters(module.normalise(text, ["strip_punctuation"])) != _letters(text) for text in originals
            )
            row[label] = {"rewrapped_equal": equal, "strip_punctuation_damages": damaged}
        results[language] = row
    return results


def _letters(text: str) -> str:
    """Letters, marks and digits of ``text``, in order: what a punctuation step must leave alone."""
    return "".join(c for c in text if unicodedata.category(c)[0] in "LMN")


def _load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def speeds(
    corpus: dict[str, list[dict[str, Any]]], baseline_kernels: ModuleType | None, repeats: int
) -> dict[str, dict[str, float]]:
    """Signatures per CPU second for each method on each corpus (best of ``repeats``, interleaved)."""
    from curation.dedup.signatures import MinHasher, encode_batch
    from curation.dedup.tokens import NON_WORD_RANGES_ARRAY

    with tempfile.TemporaryDirectory(prefix="dedup-scripts-en-") as folder:
        write_corpus(CorpusSpec(documents=4000, shards=2), Path(folder))
        news = [text for _, text in read_texts(Path(folder))]
    texts = {"en news-like (~500 words)": news}
    texts.update({f"{language} sentences": [d["text"] for d in documents] for language, documents in corpus.items()})
    word, auto = MinHasher(shingle="word"), MinHasher(shingle="auto")

    def batches(run: Callable[[list[str]], object], documents: list[str]) -> None:
        for start in range(0, len(documents), 1024):
            run(documents[start : start + 1024])

    def baseline_word(batch: list[str]) -> None:
        buffer, offsets = encode_batch(batch, "word")
        signatures = np.empty((len(batch), word.num_perm), dtype=np.uint32)
        counts = np.empty(len(batch), dtype=np.int64)
        baseline_kernels.minhash_batch(
            buffer, offsets, 5, 0, word._a, word._b, 0, 0, NON_WORD_RANGES_ARRAY, signatures, counts
        )

    methods: dict[str, Callable[[list[str]], object]] = {}
    if baseline_kernels is not None:
        methods["baseline word"] = baseline_word
    methods["word"] = word.signatures
    methods["auto"] = auto.signatures
    results: dict[str, dict[str, float]] = {}
    for corpus_name, documents in texts.items():
        best = dict.fromkeys(methods, 0.0)
        for method in methods.values():
            method(documents[:16])  # compile, or load the cached machine code
        for _ in range(repeats):
            for name, method in methods.items():
                started = time.process_time()
                batches(method, documents)
                best[name] = max(best[name], len(documents) / max(time.process_time() - started, 1e-9))
        results[corpus_name] = {name: round(rate) for name, rate in best.items()}
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--originals", type=int, default=300, help="distinct documents per language")
    parser.add_argument("--copies", type=int, default=100, help="planted near copies per language")
    parser.add_argument("--repeats", type=int, default=7, help="timing rounds (the best counts)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--baseline", type=Path, help="checkout of an earlier commit to compare with")
    args = parser.parse_args()
    if not SENTENCES.is_dir():
        sys.exit(f"needs {SENTENCES} (the project's shared measurement data)")
    baseline_kernels = baseline_exact = None
    if args.baseline:
        baseline_kernels = _load(args.baseline / "curation" / "dedup" / "kernels.py", "baseline_kernels")
        baseline_exact = _load(args.baseline / "curation" / "dedup" / "exact.py", "baseline_exact")

    corpus = build_corpus(args.originals, args.copies, args.seed)
    print(
        f"{args.originals} documents of {SENTENCES_PER_DOCUMENT} real sentences per language, {args.copies} near "
        f"copies each ({EDITS[0]}-{EDITS[1]} characters edited); minhash_dedup, 128 permutations, threshold {THRESHOLD}"
    )
    near = near_duplicates(corpus)
    print(f"\n{'shingles':18} " + " ".join(f"{language + ' recall':>10} {'false':>5}" for language in LANGUAGES))
    for name, per_language in near.items():
        cells = " ".join(
            f"{per_language[language]['recall']:10.3f} {per_language[language]['false_merges']:5d}"
            for language in LANGUAGES
        )
        print(f"{name:18} {cells}")
    print(
        f"\nrecall among the copies clearly above the threshold (true Jaccard >= {CLEARLY_ABOVE} under that shingling):"
    )
    for name, per_language in near.items():
        cells = " ".join(
            f"{language} {per_language[language]['recall_above_threshold'] or 0:.3f} "
            f"({per_language[language]['copies_above_threshold']:3d} copies)"
            for language in LANGUAGES
        )
        print(f"  {name:18} {cells}")

    exact = exact_copies(corpus, baseline_exact)
    print(
        "\nexact copies re-wrapped: equal after lowercase + collapse_whitespace / documents strip_punctuation damages"
    )
    for language, row in exact.items():
        cells = "   ".join(
            f"{label}: {row[label]['rewrapped_equal']}/{row['documents']} equal, "
            f"{row[label]['strip_punctuation_damages']} damaged"
            for label in row
            if label != "documents"
        )
        print(f"  {language}: {cells}")

    rates = speeds(corpus, baseline_kernels, args.repeats)
    print("\nsignatures per CPU second (best of repeats):")
    for corpus_name, row in rates.items():
        cells = "  ".join(f"{name} {rate:>9,}" for name, rate in row.items())
        ratio = f"  auto/word {row['auto'] / row['word']:.2f}"
        if "baseline word" in row:
            ratio += f", word/baseline {row['word'] / row['baseline word']:.2f}"
        print(f"  {corpus_name:28} {cells}{ratio}")
    print(json.dumps({"near_duplicates": near, "exact_copies": exact, "signatures_per_cpu_second": rates}))


if __name__ == "__main__":
    main()
