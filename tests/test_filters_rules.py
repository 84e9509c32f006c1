"""Gopher/C4/FineWeb rules per document language: good German, French and Spanish prose survives."""

from __future__ import annotations

from collections import Counter

import pytest
from datatrove.data import Document
from datatrove.utils.word_tokenizers import SpaCyTokenizer

from curation.filters.rules import C4Quality, GopherQuality, word_tokenizer_for
from curation.filters.words import RegexWordSplitter
from curation.recipe.loader import RecipeError, check_recipe, parse_recipe
from curation.sample import generate_sample, load_truth
from tests.helpers import read_output_rows

WEB_RULES = """
stages:
  - language_id
  - gopher_repetition
  - gopher_quality
  - fineweb_quality
"""


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    root = tmp_path_factory.mktemp("sample")
    generate_sample(root, shards=1, docs_per_shard=300, seed=3)
    return root


def _kept_by_language_and_quality(output_dir, truth) -> tuple[Counter, Counter]:
    kept_ids = {row["id"] for row in read_output_rows(output_dir)}
    kept, total = Counter(), Counter()
    for row in truth:
        if row["malformed"]:
            continue
        key = (row["language"], row["quality"])
        total[key] += 1
        kept[key] += row["id"] in kept_ids
    return kept, total


def test_good_prose_in_every_language_is_kept_and_junk_is_dropped(sample, run_recipe_yaml, tmp_path):
    report = run_recipe_yaml(WEB_RULES, sample / "shards", tmp_path / "out")
    totals = report.summary["totals"]
    assert report.ok and totals["reconciled"]
    assert "unspecified" not in totals["dropped_by_reason"]  # every drop has its rule's reason
    kept, total = _kept_by_language_and_quality(tmp_path / "out", load_truth(sample / "truth.jsonl"))
    for language in ("en", "de", "fr", "es"):
        assert total[language, "good"] > 0
        assert kept[language, "good"] >= 0.97 * total[language, "good"], language
    junk_total = sum(n for (_, quality), n in total.items() if quality != "good")
    junk_kept = sum(n for (_, quality), n in kept.items() if quality != "good")
    assert junk_total > 0 and junk_kept <= 0.1 * junk_total


def test_english_only_stop_words_would_drop_that_prose(sample, run_recipe_yaml, tmp_path):
    """The contrast: datatrove's GopherQualityFilter as configured by default drops the non-English prose."""
    recipe = "stages:\n  - stage: language_id\n    params: {label_only: true}\n  - GopherQualityFilter\n"
    report = run_recipe_yaml(recipe, sample / "shards", tmp_path / "out")
    kept, total = _kept_by_language_and_quality(tmp_path / "out", load_truth(sample / "truth.jsonl"))
    assert kept["de", "good"] == 0 and total["de", "good"] > 0
    assert report.summary["totals"]["dropped_by_reason"]["gopher_enough_stop_words"] > 0


def test_stop_word_rule_is_skipped_for_languages_without_a_list():
    text = " ".join(["Katika kijiji chetu watu wengi hulima mahindi na maharage kila mwaka."] * 8)
    stage = GopherQuality()
    document = Document(text=text, id="sw", metadata={"language": "sw"})
    assert stage.filter(document) is True
    assert stage.stats["stop_word_rule_skipped"].total == 1


def test_only_languages_leaves_other_documents_alone():
    stage = GopherQuality(only_languages=["en"])
    assert stage.filter(Document(text="zu kurz", id="x", metadata={"language": "de"})) is True
    assert stage.filter(Document(text="too short", id="y", metadata={"language": "en"})) == (False, "gopher_short_doc")
    assert stage.stats["skipped_language"].total == 1


def test_word_splitting_gives_the_blank_spacy_words_and_spacy_stays_available_on_request():
    sentence = "Die Brücke, nicht das Boot."
    words = ["Die", "Brücke", ",", "nicht", "das", "Boot", "."]
    tokenizer = word_tokenizer_for("de")
    assert isinstance(tokenizer, RegexWordSplitter) and tokenizer.language == "de"
    assert tokenizer.word_tokenize(sentence) == words
    assert word_tokenizer_for("de") is tokenizer  # one per language and process, shared by every stage
    spacy = word_tokenizer_for("de", splitter="spacy")
    assert isinstance(spacy, SpaCyTokenizer) and spacy.word_tokenize(sentence) == words
    assert spacy.tokenizer.pipe_names == ["sentencizer"]  # no trained components, nothing to download


def test_c4_rules_are_configurable_and_report_their_reason():
    text = "\n".join(["This line ends properly and has words."] * 3)
    assert C4Quality(min_num_sentences=5).filter(Document(text=text, id="a")) == (False, "too_few_sentences")
    assert C4Quality(min_num_sentences=2).filter(Document(text=text, id="b")) is True


def test_recipe_parameters_are_checked_before_running(tmp_path):
    with pytest.raises(RecipeError, match=r"stages\[0\]\.params\.min_doc_words"):
        check_recipe(parse_recipe("stages:\n  - stage: gopher_quality\n    params: {min_doc_words: many}\n"))
