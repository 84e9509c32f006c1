"""The labeled-data format, deterministic splits with held-out sources, and the labeled-set builders."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from curation.classify.labels import (
    LabeledExample,
    LabelError,
    balance_classes,
    infer_head,
    label_names,
    read_labeled,
    split_examples,
    write_labeled,
)
from curation.classify.labelsets import HIGH, LOW, OTHER_DOMAIN, build_domain_set, build_quality_set


def _write_lines(path, lines):
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def test_labels_scores_and_sources_are_read_with_defaults(tmp_path):
    path = _write_lines(
        tmp_path / "labels.jsonl",
        [
            json.dumps({"text": "good text", "label": 1, "source": "llm"}),
            json.dumps({"text": "bad text", "label": "0"}),
            "",
            json.dumps({"text": "other", "label": True, "id": "x7"}),
        ],
    )
    examples = read_labeled(path)
    assert [e.label for e in examples] == ["1", "0", "1"]
    assert [e.source for e in examples] == ["llm", "unknown", "unknown"]
    assert [e.id for e in examples] == ["1", "2", "x7"]
    assert infer_head(examples) == "classification"

    scores = _write_lines(tmp_path / "scores.jsonl", [json.dumps({"text": "t", "score": 3.5})])
    (example,) = read_labeled(scores)
    assert example.score == 3.5 and example.label is None and infer_head([example]) == "regression"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "not valid JSON"),
        ('["a list"]', "expected a JSON object"),
        ('{"label": 1}', "'text' must be a non-empty string"),
        ('{"text": "t"}', "exactly one of 'label'"),
        ('{"text": "t", "label": 1, "score": 2}', "exactly one of 'label'"),
        ('{"text": "t", "score": "high"}', "'score' must be a number"),
        ('{"text": "t", "label": 1.5}', "'label' must be a string or an integer"),
    ],
)
def test_a_bad_line_is_an_error_naming_file_and_line(tmp_path, line, message):
    path = _write_lines(tmp_path / "bad.jsonl", [json.dumps({"text": "fine", "label": "a"}), line])
    with pytest.raises(LabelError, match=message) as error:
        read_labeled(path)
    assert f"{path}:2" in str(error.value)


def test_labels_and_scores_cannot_be_mixed_in_one_file(tmp_path):
    path = _write_lines(
        tmp_path / "mixed.jsonl", [json.dumps({"text": "a", "label": "x"}), json.dumps({"text": "b", "score": 1})]
    )
    with pytest.raises(LabelError, match="one kind per file"):
        read_labeled(path)


def test_gzip_round_trip_and_numeric_label_order(tmp_path):
    examples = [LabeledExample(f"text {i}", str(i % 11), source="s", id=str(i)) for i in range(30)]
    write_labeled(tmp_path / "x.jsonl.gz", examples)
    assert read_labeled(tmp_path / "x.jsonl.gz") == examples
    assert label_names(examples) == [str(i) for i in range(11)]


def _examples(n_per_source=40):
    examples = []
    for source in ("a", "b", "c"):
        for i in range(n_per_source):
            examples.append(LabeledExample(f"{source} document number {i}", HIGH if i % 2 else LOW, source=source))
    return examples


def test_split_is_deterministic_stratified_and_holds_sources_out():
    examples = _examples()
    split = split_examples(examples, validation_fraction=0.25, seed=3, hold_out_sources=["c"])
    again = split_examples(list(reversed(examples)), validation_fraction=0.25, seed=3, hold_out_sources=["c"])
    assert {e.text for e in split.validation} == {e.text for e in again.validation}
    assert {e.source for e in split.held_out} == {"c"} and len(split.held_out) == 40
    assert not {e.source for e in split.train + split.validation} & {"c"}
    per_group = Counter((e.source, e.label) for e in split.validation)
    assert per_group == {("a", HIGH): 5, ("a", LOW): 5, ("b", HIGH): 5, ("b", LOW): 5}
    other_seed = split_examples(examples, validation_fraction=0.25, seed=4)
    assert {e.text for e in other_seed.validation} != {e.text for e in split.validation}


def test_a_duplicate_text_never_sits_on_both_sides_of_the_split():
    examples = _examples()
    duplicated = [*examples, *(LabeledExample(e.text, e.label, source="copy") for e in examples)]
    split = split_examples(duplicated, validation_fraction=0.3, seed=0)
    assert not {e.text for e in split.train} & {e.text for e in split.validation}


def test_holding_out_an_unknown_source_is_an_error():
    with pytest.raises(LabelError, match=r"\['nope'\] are not in the data"):
        split_examples(_examples(), hold_out_sources=["nope"])


def test_balancing_repeats_the_smaller_class_up_to_the_larger():
    examples = [LabeledExample(f"h{i}", HIGH) for i in range(10)] + [LabeledExample(f"l{i}", LOW) for i in range(3)]
    balanced = balance_classes(examples, seed=0)
    assert Counter(e.label for e in balanced) == {HIGH: 10, LOW: 10}
    assert {e.text for e in balanced} == {e.text for e in examples}


def test_quality_set_is_reference_vs_web_and_never_reads_the_human_labels(shared_data):
    examples = build_quality_set(shared_data, sample_docs=100)
    assert examples == build_quality_set(shared_data, sample_docs=100)
    by_source = Counter((e.source, e.label) for e in examples)
    for source in ("scrapinghub", "wikipedia_qa", "ccnet_head", "news_sentences"):
        assert by_source[(source, HIGH)] > 0 and by_source[(source, LOW)] == 0
    assert by_source[("common_crawl", LOW)] > 500 and by_source[("common_crawl", HIGH)] == 0
    assert by_source[("sample", HIGH)] > 0 and by_source[("sample", LOW)] > 0
    human = {
        json.loads(line)["text"].strip()
        for line in (shared_data / "quality/human-labels-dev.jsonl").read_text(encoding="utf-8").splitlines()
    }
    assert not human & {e.text.strip() for e in examples}


def test_domain_set_labels_junk_as_other_in_every_language():
    examples = build_domain_set(sample_docs=400)
    labels = Counter(e.label for e in examples)
    assert set(labels) == {"science", "health", "finance", "sports", "technology", "cooking", OTHER_DOMAIN}
    assert labels[OTHER_DOMAIN] >= 40
    assert {e.source for e in examples} == {"sample_en", "sample_de", "sample_fr", "sample_es"}
