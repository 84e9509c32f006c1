"""``flagged_words``: share of flagged words per language, offline lists, measured on a labelled set."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from datatrove.data import Document

from curation.recipe import parse_recipe, recipe_warnings
from curation.safety.flagged import FlaggedWords
from curation.safety.wordlists import (
    C4_ALLOWED,
    bundled_languages,
    bundled_word_list,
    install_for_datatrove,
    list_language,
)
from tests.helpers import read_output_rows, write_jsonl

LABELLED = Path(__file__).parent / "data" / "safety_labelled.jsonl"


def labelled(split: str | None = None) -> list[dict]:
    rows = [json.loads(line) for line in LABELLED.read_text(encoding="utf-8").splitlines()]
    return [row for row in rows if split is None or row["split"] == split]


def _document(row: dict) -> Document:
    metadata = {"language": row["language"]}
    if row.get("url"):
        metadata["url"] = row["url"]
    return Document(text=row["text"], id=row["id"], metadata=metadata)


def precision_recall(rows: list[dict], removed: set[str]) -> tuple[float, float]:
    unsafe = {row["id"] for row in rows if row["label"] == "unsafe"}
    true_positives = len(unsafe & removed)
    return true_positives / max(1, len(removed)), true_positives / len(unsafe)


def removed_by(step, rows: list[dict]) -> set[str]:
    return {row["id"] for row in rows if step.filter(_document(row)) is not True}


@pytest.fixture(scope="module")
def datatrove_c4(tmp_path_factory):
    """datatrove's own C4BadWordsFilter, reading the bundled lists from a private assets cache (no download)."""
    import huggingface_hub.utils._cache_assets as cache_assets

    folder = tmp_path_factory.mktemp("assets")
    install_for_datatrove(folder)
    original = cache_assets.HF_ASSETS_CACHE
    cache_assets.HF_ASSETS_CACHE = str(folder)
    try:
        from datatrove.pipeline.filters import C4BadWordsFilter

        step = C4BadWordsFilter()
        for language in ("en", "de", "fr", "es", "zh"):
            step._get_badwords(language)  # loads now, from the cache written above
        yield step
    finally:
        cache_assets.HF_ASSETS_CACHE = original


def test_the_labelled_set_is_several_hundred_texts_in_five_languages():
    rows = labelled()
    assert len(rows) >= 350
    assert {row["language"] for row in rows} == {"en", "de", "fr", "es", "zh"}
    assert {row["category"] for row in rows if row["label"] == "safe"} >= {
        "sex_education",
        "breast_screening",
        "hate_history",
        "medical",
        "legal",
        "crime_news",
    }


def test_defaults_beat_c4s_rule_on_the_same_lists(datatrove_c4):
    """Same recall as C4's any-hit rule at about twice its precision; on the holdout, written after the
    defaults were chosen, precision stays above 0.9."""
    flagged = FlaggedWords()
    for split, min_precision, min_recall in (("dev", 0.78, 0.65), ("holdout", 0.9, 0.7)):
        rows = labelled(split)
        ours = precision_recall(rows, removed_by(flagged, rows))
        c4 = precision_recall(rows, removed_by(datatrove_c4, rows))
        assert ours[0] >= min_precision and ours[1] >= min_recall, (split, ours)
        assert ours[0] >= c4[0] + 0.3 and ours[1] >= c4[1], (split, ours, c4)


def test_look_alikes_survive_where_c4_drops_them(datatrove_c4):
    flagged = FlaggedWords()
    for category in ("sex_education", "breast_screening", "legal", "crime_news", "everyday"):
        rows = [row for row in labelled() if row["category"] == category]
        ours = len(removed_by(flagged, rows))
        c4 = len(removed_by(datatrove_c4, rows))
        assert ours <= len(rows) * 0.25 and ours < c4, (category, ours, c4, len(rows))


def test_bundled_lists_are_the_ldnoobw_files_in_28_languages():
    assert len(bundled_languages()) == 28 and {"en", "de", "fr", "es", "zh", "ja", "ru"} <= set(bundled_languages())
    assert "porn" in bundled_word_list("en") and "三级片" in bundled_word_list("zh")
    assert "asesinato" in bundled_word_list("es")  # capitalised in the file, lower-cased here
    assert not C4_ALLOWED & set(bundled_word_list("zh")) and not C4_ALLOWED & set(bundled_word_list("ja"))
    assert [list_language(code) for code in ("eng", "eng_Latn", "zh-Hans", "nb", "cmn", "sw", None)] == [
        "en",
        "en",
        "zh",
        "no",
        "zh",
        None,
        None,
    ]


def test_languages_without_a_list_pass_counted_never_an_error():
    step = FlaggedWords()
    for language in ("sw", "xx", "und"):
        document = Document(text="porn porn xxx sex sluts", id=language, metadata={"language": language})
        assert step.filter(document) is True
        assert document.metadata["flagged_words"] is None
    assert step.stats["no_word_list"].total == 3 and step.stats["no_word_list_sw"].total == 1


def test_documents_without_language_use_the_default_and_glotlid_codes_find_their_list():
    spam = "free porn videos, hardcore sex, xxx sluts and milf clips, porn every day"
    assert FlaggedWords().filter(Document(text=spam, id="a")) == (False, "flagged_word_share")
    assert FlaggedWords(default_language="sw").filter(Document(text=spam, id="b")) is True
    glotlid = Document(text=spam, id="c", metadata={"language": "eng", "language_script": "Latn"})
    assert FlaggedWords().filter(glotlid) == (False, "flagged_word_share")


def test_one_word_repeated_is_a_topic_not_a_pattern():
    text = "A great tit, a blue tit and a coal tit visited the feeder."
    document = Document(text=text, id="birds", metadata={"language": "en"})
    assert FlaggedWords().filter(document) is True
    assert document.metadata["flagged_words"] == 3 and document.metadata["flagged_word_share"] > 0.2


def test_flagged_words_in_the_url_lower_the_threshold_or_drop_alone():
    step = FlaggedWords()
    text = "Welcome to our site. " * 15 + "Hot sex and nude pictures inside."
    plain = Document(text=text, id="a", metadata={"language": "en", "url": "https://site.example/gallery"})
    assert step.filter(plain) is True
    with_url = Document(text=text, id="b", metadata={"language": "en", "url": "https://site.example/sexy-pics"})
    assert step.filter(with_url) == (False, "flagged_word_share")
    url_only = Document(text="Welcome.", id="c", metadata={"language": "en", "url": "https://x.example/porn-xxx-milf"})
    assert step.filter(url_only) == (False, "flagged_url")
    escaped = Document(
        text="欢迎", id="d", metadata={"language": "zh", "url": "https://x.example/%E4%B8%89%E7%BA%A7%E7%89%87"}
    )
    step.filter(escaped)
    assert escaped.metadata["flagged_url_words"] == 1


def test_operator_lists_replace_extend_and_allow(tmp_path):
    own = tmp_path / "de.txt"
    own.write_text("# Hausliste\nSchwurbel\nQuatschkopf\n", encoding="utf-8")
    step = FlaggedWords(
        word_lists={"de": str(own), "sw": str(own)},
        extra_words={"en": ["frobnicate"]},
        allowed_words={"*": ["sex"], "en": ["porn"]},
        max_flagged_share=0.01,
    )
    assert step.lists["de"] == ("schwurbel", "quatschkopf")
    assert "sw" in step.lists and "frobnicate" in step.lists["en"]
    assert "sex" not in step.lists["en"] and "porn" not in step.lists["en"] and "sexo" in step.lists["es"]
    german = Document(text="Schwurbel und Quatschkopf, Arschloch!", id="de", metadata={"language": "de"})
    assert step.filter(german) == (False, "flagged_word_share") and german.metadata["flagged_words"] == 2


def test_unreadable_word_lists_fail_when_the_stage_is_built(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"missing\.txt"):
        FlaggedWords(word_lists={"en": str(tmp_path / "missing.txt")})
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes(b"ok\nfl\xfcgel\n")
    with pytest.raises(ValueError, match="line 2 is not UTF-8"):
        FlaggedWords(word_lists={"de": str(latin1)})


def test_tag_keeps_every_document_and_says_why_it_would_go():
    step = FlaggedWords(action="tag")
    rows = labelled("dev")
    documents = [_document(row) for row in rows]
    assert all(step.filter(document) is True for document in documents)
    tagged = {document.id for document in documents if document.metadata["flagged_words_reason"]}
    assert tagged == removed_by(FlaggedWords(), rows)
    assert step.stats["tagged_flagged_word_share"].total == len(tagged)


def test_in_a_recipe_drops_and_counts_reconcile(run_recipe_yaml, tmp_path):
    rows = [*labelled("holdout"), {"id": "sw-1", "language": "sw", "text": "Habari ya asubuhi, rafiki yangu."}]
    write_jsonl(tmp_path / "in" / "part-0.jsonl", [{"id": r["id"], "text": r["text"], **_meta(r)} for r in rows])
    report = run_recipe_yaml("stages: [flagged_words]\noutput: {format: jsonl}\n", tmp_path / "in", tmp_path / "out")
    totals = report.summary["totals"]
    assert report.ok and totals["reconciled"]
    (stage,) = [s for s in totals["stages"] if s["name"] == "flagged_words"]
    expected = removed_by(FlaggedWords(), labelled("holdout"))
    assert sum(stage["dropped"].values()) == len(expected) and "unspecified" not in stage["dropped"]
    assert stage["counts"]["no_word_list_sw"] == 1
    kept = {row["id"] for row in read_output_rows(tmp_path / "out")}
    assert kept == {r["id"] for r in rows} - expected


def _meta(row: dict) -> dict:
    return {"language": row["language"], **({"url": row["url"]} if row.get("url") else {})}


def test_validation_names_flagged_words_as_the_offline_alternative_to_c4_bad_words():
    recipe = parse_recipe("stages: [C4BadWordsFilter]\n", "c4.yaml")
    (warning,) = recipe_warnings(recipe)
    assert "C4BadWordsFilter downloads" in warning.message and "offline: flagged_words" in warning.message
    assert recipe_warnings(parse_recipe("stages: [flagged_words, url_filter]\n", "ours.yaml")) == []
