"""The term matcher: whole words where words have spaces, substrings where they do not, offsets kept."""

from __future__ import annotations

import pickle

import pytest

from curation.safety.matching import NormalisedText, TermMatcher, count_units, leftmost_longest


def _found(matcher: TermMatcher, text: str) -> list[str]:
    return [text[m.start : m.end] for m in matcher.find(text)]


def test_words_match_whole_and_any_case_but_not_inside_other_words():
    matcher = TermMatcher(["ass", "tit"])
    text = "Class assistant: ASS! The titmouse and a blue tit; passage, tit."
    assert _found(matcher, text) == ["ASS", "tit", "tit"]


def test_phrases_match_across_any_run_of_whitespace_with_original_offsets():
    matcher = TermMatcher(["blow job", "white power"])
    text = "a blow \n\n  job and\twhite\u00a0power, blowjob"
    assert _found(matcher, text) == ["blow \n\n  job", "white\u00a0power"]


def test_scripts_without_spaces_match_inside_words_and_latin_terms_next_to_them_are_whole_words():
    matcher = TermMatcher(["奶", "乳房", "sex"])
    text = "我喝牛奶。乳房检查。买sex片，sexy不算"
    assert _found(matcher, text) == ["奶", "乳房", "sex"]


def test_offsets_survive_characters_whose_lower_case_is_longer():
    matcher = TermMatcher(["ass"])
    text = "İİİ ass İ"
    (match,) = matcher.find(text)
    assert text[match.start : match.end] == "ass"


def test_case_sensitive_lists_compare_as_written():
    matcher = TermMatcher(["Apple"], case_sensitive=True)
    assert _found(matcher, "apple pie, Apple shares, APPLE") == ["Apple"]


def test_suffixes_find_inflected_forms_only_as_whole_words():
    matcher = TermMatcher(["nutte", "porn"], suffixes=("n", "s"))
    assert _found(matcher, "Nutten, nutte, porns, pornstar, nuttenx") == ["Nutten", "nutte", "porns"]


def test_whole_words_off_matches_substrings_in_any_script():
    matcher = TermMatcher(["casino"], whole_words=False)
    assert _found(matcher, "https://bestcasinos.example/") == ["casino"]


def test_terms_equal_after_normalisation_share_one_entry_with_every_payload():
    matcher = TermMatcher(["Sex", "sex", " sex "], payloads=["a", "b", "a"])
    assert matcher.terms == ["Sex"] and matcher.payloads == [["a", "b"]]


def test_empty_terms_are_refused_with_their_position():
    with pytest.raises(ValueError, match="term 2"):
        TermMatcher(["ok", "   "])


def test_leftmost_longest_keeps_non_overlapping_matches():
    matcher = TermMatcher(["他妈", "他妈的", "妈的"])
    chosen = leftmost_longest(matcher.find("你他妈的"))
    assert [(m.start, m.end) for m in chosen] == [(1, 4)]


def test_a_matcher_travels_to_another_process_by_pickle():
    matcher = TermMatcher(["blow job", "奶"])
    copy = pickle.loads(pickle.dumps(matcher))
    text = "blow  job 牛奶"
    assert copy.find(text) == matcher.find(text)


def test_units_count_words_and_each_character_of_scripts_without_spaces():
    assert count_units("breast cancer screening, 2 times") == 5
    assert count_units("乳腺癌筛查") == 5
    assert count_units("AV女优 hello") == 4  # av + 女 + 优, hello
    assert count_units("") == 0


def test_normalised_text_maps_positions_back():
    normalised = NormalisedText.of("a   b\n\nc d", lower=True)
    assert normalised.text == "a b c d"
    assert [normalised.original_offset(i) for i in range(len(normalised.text))] == [0, 1, 4, 5, 7, 8, 9]
