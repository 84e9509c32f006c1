"""Dedup in scripts written without spaces (Chinese, Japanese, Thai, ...): shingles per script, exact normalisation."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest
from datasketch import MinHash
from datatrove.data import Document
from datatrove.io import get_datafolder

from curation import load_recipe, run_recipe
from curation.dedup import storage
from curation.dedup.exact import normalise, text_hashes
from curation.dedup.exact_stage import ExactDedup
from curation.dedup.inprocess import run_phases
from curation.dedup.minhash_stage import MinHashDedup
from curation.dedup.scripts import SCRIPTS, detect_script, script_hint, script_ngrams
from curation.dedup.shingles import auto_shingles, jaccard, shingle_hash, shingles, word_shingles
from curation.dedup.signatures import MinHasher
from curation.dedup.tokens import words
from curation.sample.duplicates import character_edits
from tests.helpers import docs, read_output_rows

REPO_ROOT = Path(__file__).resolve().parents[1]
MIXED = [
    "本市东区的滨河公园经过一年的改造，今天重新向市民开放。",
    "東京は晴れ。カタカナとひらがなと漢字の文章です。",
    "ภาษาไทยไม่มีการเว้นวรรคระหว่างคำ แต่เว้นวรรคระหว่างประโยค",
    "ພາສາລາວ ຂຽນຕິດກັນ",
    "ភាសាខ្មែរសរសេរជាប់គ្នា",
    "မြန်မာဘာသာစကား",
    "བོད་ཡིག་ནི་ཚེག་གིས་ཁ་གྱེས་ཡོད།",
    "使用 Python 3.11 编程，阅读 README.md 文件。",
    "An English sentence with one 中文 word.",
    "中",
    "テスト",
    "Ｆｕｌｌｗｉｄｔｈ ＡＢＣ and 半角ｶﾀｶﾅ",
]


def _datasketch(text: str, hasher: MinHasher, script: str | None = None) -> np.ndarray:
    minhash = MinHash(num_perm=hasher.num_perm, seed=hasher.seed, hashfunc=shingle_hash, scheme=hasher.scheme)
    minhash.update_batch(shingles(text, hasher.shingle, hasher.ngram, script, hasher.script_ngrams))
    return minhash.hashvalues.astype(np.uint64)


def sentences(shared_data: Path, language: str) -> list[str]:
    return (shared_data / "langid" / "sentences" / f"{language}.txt").read_text(encoding="utf-8").splitlines()


# ---- which script, from metadata or characters ------------------------------------------------------------


def test_language_metadata_names_the_script():
    assert script_hint("zh") == "Hani"
    assert script_hint("ja") == "Jpan"
    assert script_hint("th") == script_hint("tha") == "Thai"
    assert script_hint("km") == "Khmr" and script_hint("lo") == "Laoo" and script_hint("my") == "Mymr"
    assert script_hint("cmn_Hani") == "Hani"  # GlotLID-style label
    assert script_hint("zh-Hant") == "Hani"
    assert script_hint("cmn", "Hans") == "Hani"
    assert script_hint("jpn", "Jpan") == "Jpan"
    assert script_hint("zh", "Latn") is None, "a named Latin script wins over the language"
    for nothing in ("en", "ko", "vi", "und", "unknown", "", None, 3):
        assert script_hint(nothing) is None


def test_script_is_detected_from_the_characters():
    assert detect_script("".join(words(MIXED[0]))) == "Hani"
    assert detect_script("".join(words(MIXED[1]))) == "Jpan", "kanji beside kana are Japanese"
    assert detect_script("".join(words(MIXED[2]))) == "Thai"
    assert detect_script("".join(words(MIXED[7]))) == "Hani", "Latin words inside Chinese text"
    assert detect_script("".join(words(MIXED[8]))) is None, "one Chinese word in English text"
    assert detect_script("") is None


def test_real_sentences_are_detected_as_their_script(shared_data):
    expected = {"zh": "Hani", "ja": "Jpan", "th": "Thai", "en": None, "ko": None, "ru": None, "hi": None, "vi": None}
    for language, script in expected.items():
        lines = sentences(shared_data, language)[:100]
        detected = [detect_script("".join(words(line))) for line in lines]
        share = sum(found == script for found in detected) / len(lines)
        assert share >= 0.95, (language, share)


def test_script_lengths_can_be_overridden_and_are_checked():
    assert script_ngrams({"Thai": 10})["Thai"] == 10
    assert script_ngrams()["Hani"] == 5
    with pytest.raises(ValueError, match="unknown script"):
        script_ngrams({"Latn": 3})
    with pytest.raises(ValueError, match="positive integer"):
        script_ngrams({"Hani": 0})
    with pytest.raises(ValueError, match="unknown script"):
        MinHasher(shingle="auto").signatures(["x"], ["Cyrl"])


# ---- auto shingles: the compiled path equals the reference and datasketch ---------------------------------


def test_auto_shingles_of_spaced_text_are_word_shingles():
    text = "Café — «déjà vu», naïve façade; the QUICK brown fox jumps over the lazy dog. Привет, мир!"
    assert auto_shingles(text) == word_shingles(text)
    english = [record["text"] for record in docs(20, words=120, seed=5)]
    word, auto = MinHasher(shingle="word"), MinHasher(shingle="auto")
    assert np.array_equal(word.signatures(english)[0], auto.signatures(english)[0])


def test_auto_shingles_of_chinese_are_characters_of_its_words():
    assert auto_shingles("本市，东区 的公园。", 5) == [s.encode() for s in ("本市东区的", "市东区的公", "东区的公园")]
    assert auto_shingles("中文", 5) == ["中文".encode()], "a text shorter than one shingle is one shingle"


@pytest.mark.parametrize("scheme", ["affine32", "legacy"])
@pytest.mark.parametrize("ngram", [5, 1])
def test_auto_signatures_equal_datasketch_with_our_shingles(scheme, ngram):
    hasher = MinHasher(num_perm=64, seed=3, ngram=ngram, shingle="auto", scheme=scheme)
    signatures, counts = hasher.signatures(MIXED)
    for row, text in enumerate(MIXED):
        assert counts[row] == len(shingles(text, "auto", ngram)), text
        assert np.array_equal(signatures[row].astype(np.uint64), _datasketch(text, hasher)), text


def test_named_scripts_and_custom_lengths_equal_the_reference():
    hasher = MinHasher(num_perm=32, shingle="auto", script_ngrams={"Hani": 3, "Thai": 6})
    hints = [SCRIPTS[row % len(SCRIPTS)] if row % 3 else None for row in range(len(MIXED))]
    signatures, _ = hasher.signatures(MIXED, hints)
    for row, (text, hint) in enumerate(zip(MIXED, hints, strict=True)):
        assert np.array_equal(signatures[row].astype(np.uint64), _datasketch(text, hasher, hint)), text
    values, offsets = hasher.shingle_sets(MIXED, hints)
    for row, (text, hint) in enumerate(zip(MIXED, hints, strict=True)):
        expected = {shingle_hash(s) for s in shingles(text, "auto", 5, hint, hasher.script_ngrams)}
        assert set(values[offsets[row] : offsets[row + 1]].tolist()) == expected


def test_auto_signatures_equal_the_reference_in_75_languages(shared_data):
    hasher = MinHasher(num_perm=32, shingle="auto")
    texts = []
    for path in sorted((shared_data / "langid" / "sentences").glob("*.txt")):
        lines = path.read_text(encoding="utf-8").splitlines()
        texts += [lines[0], " ".join(lines[1:12])]
    signatures, counts = hasher.signatures(texts)
    for row, text in enumerate(texts):
        assert counts[row] == len(shingles(text, "auto")), text[:60]
        assert np.array_equal(signatures[row].astype(np.uint64), _datasketch(text, hasher)), text[:60]


# ---- the stage: near copies found, distinct documents kept ------------------------------------------------


def test_neardup_chinese_case_is_caught_by_the_dedup_recipe(shared_data, tmp_path):
    case = shared_data / "bugs" / "neardup-chinese"
    report = run_recipe(
        load_recipe(REPO_ROOT / "pipelines" / "dedup.yaml"),
        input_path=str(case),
        output_path=str(tmp_path / "out"),
        workers=1,
        progress="none",
    )
    assert report.ok and report.summary["totals"]["reconciled"]
    assert {row["id"] for row in read_output_rows(tmp_path / "out")} == {"zh-a", "en-a"}
    removed = {}
    for path in (tmp_path / "out" / "_work" / "stages").glob("*minhashdedup/removed/*.jsonl"):
        for line in path.read_text().splitlines():
            record = json.loads(line)
            removed[record["id"]] = record["duplicate_of"]
    assert removed == {"zh-b": "zh-a", "en-b": "en-a"}


def _planted_corpus(shared_data: Path, language: str, joiner: str) -> tuple[list[Document], dict[str, str]]:
    """50 documents of six real sentences (no sentence in two) and near copies of 15 of them.

    A copy has 2-4 characters replaced, inserted or deleted, and is planted only if its shingle Jaccard to
    the original is at least 0.75 (a short document with four edits can fall below the 0.7 threshold, and
    then it is no near duplicate by the stage's own definition).
    """
    lines = sentences(shared_data, language)
    rng = random.Random(language)
    documents = [Document(joiner.join(lines[6 * i : 6 * i + 6]), f"{language}-{i}") for i in range(50)]
    planted = {}
    for i in range(15):
        copy = character_edits(documents[i].text, rng.randint(2, 4), rng)
        if jaccard(documents[i].text, copy, "auto") >= 0.75:
            documents.append(Document(copy, f"{language}-copy-{i}"))
            planted[f"{language}-copy-{i}"] = f"{language}-{i}"
    assert len(planted) >= 12
    return documents, planted


@pytest.mark.parametrize(("language", "joiner"), [("zh", ""), ("ja", ""), ("th", " ")])
def test_near_copies_in_unspaced_scripts_are_found_and_distinct_documents_kept(shared_data, tmp_path, language, joiner):
    documents, planted = _planted_corpus(shared_data, language, joiner)
    shards = {"a": documents[:30], "b": documents[30:]}
    kept = {d.id for shard in run_phases(MinHashDedup(), shards, tmp_path / "auto").values() for d in shard}
    assert kept == {d.id for d in documents} - set(planted), "every copy removed, every distinct document kept"
    removed = {}
    for path in (tmp_path / "auto" / "removed").glob("*.jsonl"):
        removed.update({r["id"]: r["duplicate_of"] for r in map(json.loads, path.read_text().splitlines())})
    assert removed == planted, "each copy is removed as the duplicate of its own original"
    # word shingles, as before: a clause without spaces is one "word", so the same copies are missed
    kept = {
        d.id for shard in run_phases(MinHashDedup(shingle="word"), shards, tmp_path / "word").values() for d in shard
    }
    assert len(set(planted) - kept) < len(planted) / 2


def test_language_metadata_decides_when_the_characters_do_not(tmp_path):
    """A Chinese page that is mostly code and URLs: its characters say "words", its language says Chinese."""
    chinese = "本市东区的滨河公园经过一年的改造今天重新向市民开放"
    code = " ".join(f"var{i}=call(x{i}, 'https://example.org/p/{i}');" for i in range(12))
    text = f"{chinese} {code}"
    stage = MinHashDedup()
    document = Document(text, "doc", metadata={"language": "zh"})
    assert stage._key_hint(document) == "Hani"
    assert stage._key_hint(Document(text, "doc")) is None
    assert MinHashDedup(language_field=None)._key_hint(document) is None
    assert MinHashDedup(shingle="word")._key_hint(document) is None
    hasher = stage.hasher
    with_hint, _ = hasher.signatures([text, text], ["Hani", None])
    assert not np.array_equal(with_hint[0], with_hint[1])
    assert np.array_equal(with_hint[0].astype(np.uint64), _datasketch(text, hasher, "Hani"))
    # and the stage's collect phase hashes with it: the stored signatures are the hinted ones
    shards = {"a": [document, Document(text, "unlabelled")]}
    run_phases(stage, shards, tmp_path / "w")
    stored = storage.load_arrays(get_datafolder(str(tmp_path / "w")), "signatures/a.npz")["signatures"]
    assert np.array_equal(stored[0], with_hint[0]) and np.array_equal(stored[1], with_hint[1])


def test_index_parameters_name_the_shingling():
    params = MinHashDedup().index_params()
    assert params["shingle"] == "auto" and params["script_ngrams"]["Hani"] == 5 and "script_table" in params
    assert "script_ngrams" not in MinHashDedup(shingle="word").index_params()


# ---- exact dedup: normalisation that holds for every script ------------------------------------------------

STEPS = ["lowercase", "strip_punctuation", "collapse_whitespace"]


def test_strip_punctuation_keeps_vowel_signs_and_combining_marks():
    for text in ("ที่ทำงานของเขา", "हिन्दी भाषा", "தமிழ் மொழி", "ລາວ ພາສາ", "café"):
        assert normalise(text, ["strip_punctuation"]) == text
    assert normalise("ภาษาไทย, ที่นี่!", STEPS) == "ภาษาไทยที่นี่"
    assert normalise("Hello, World! 2024", STEPS) == "hello world 2024"


def test_whitespace_beside_scripts_without_spaces_is_formatting():
    wrapped = "本市东区的滨河公园\n经过一年的改造，今天\n重新开放。"
    assert normalise(wrapped) == normalise("本市东区的滨河公园经过一年的改造，今天重新开放。")
    assert normalise("使用 Python 编程") == normalise("使用Python编程") == "使用python编程"
    assert normalise("東京は 晴れ 。") == "東京は晴れ。"
    assert normalise("  Hello\n\nWORLD  and   more ") == "hello world and more", "spaced scripts as before"
    assert normalise("hello world") != normalise("helloworld")


def test_exact_dedup_removes_rewrapped_chinese_copies(tmp_path):
    original = "本市东区的滨河公园经过一年的改造，今天重新向市民开放。改造工程主要包括修缮步道、增加座椅。"
    copies = [original.replace("，", "，\n"), original.replace("改造工程", "改造\n工程"), original + "\n"]
    shards = {"a": [Document(original, "a0")], "b": [Document(t, f"b{i}") for i, t in enumerate(copies)]}
    kept = {d.id for shard in run_phases(ExactDedup(), shards, tmp_path / "w").values() for d in shard}
    assert kept == {"a0"}
    distinct = [original, original.replace("今天", "明天")]
    assert len({tuple(row) for row in text_hashes(distinct).tolist()}) == 2


def test_exact_index_parameters_carry_the_normalisation_version():
    assert ExactDedup().index_params()["normalisation_version"] >= 2
