"""``term_lists``: the operator's lists in YAML or text, each with drop, tag or redact, counted per list."""

from __future__ import annotations

import cloudpickle
import pytest
from datatrove.data import Document

from curation.executors.jobs import WorkerStartupError
from curation.safety.terms import TermListError, TermLists, load_term_lists
from tests.helpers import read_output_rows, write_jsonl


def _run(stage: TermLists, documents: list[Document]) -> list[Document]:
    return list(stage.run(iter(documents)))


@pytest.fixture
def list_files(tmp_path):
    (tmp_path / "brands.yaml").write_text(
        "name: brands\naction: tag\nterms: [Acme, Globex Corporation, 某品牌]\n", encoding="utf-8"
    )
    (tmp_path / "claims.txt").write_text("# health claims\ncures cancer\nmiracle cure\n", encoding="utf-8")
    (tmp_path / "policy.yaml").write_text(
        "lists:\n"
        "  - {name: politics, action: drop, terms: [敏感词, 禁词], min_hits: 2}\n"
        "  - {name: ticker, action: tag, terms: [ACME], case_sensitive: true}\n",
        encoding="utf-8",
    )
    return tmp_path


def test_yaml_text_and_inline_lists_load_with_their_actions(list_files):
    lists = load_term_lists(
        [
            "brands.yaml",
            {"path": "claims.txt", "action": "redact", "replacement": "[claim]"},
            "policy.yaml",
            {"name": "spam", "action": "drop", "terms": ["free porn"]},
        ],
        base=list_files,
    )
    assert [(t.name, t.action) for t in lists] == [
        ("brands", "tag"),
        ("claims", "redact"),
        ("politics", "drop"),
        ("ticker", "tag"),
        ("spam", "drop"),
    ]
    assert lists[1].terms == ("cures cancer", "miracle cure") and lists[1].replacement == "[claim]"
    assert lists[2].min_hits == 2 and lists[3].case_sensitive


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("missing.yaml", "does not exist"),
        ({"path": "claims.txt"}, "needs an action"),
        ({"name": "x", "action": "delete", "terms": ["a"]}, "needs an action: drop, tag, redact"),
        ({"name": "x", "action": "tag", "terms": []}, "has no terms"),
        ({"name": "bad name", "action": "tag", "terms": ["a"]}, "names a column"),
        ({"name": "x", "action": "tag", "terms": ["a"], "colour": "red"}, "unknown key colour"),
        ({"name": "x", "action": "drop", "terms": ["a"], "min_hits": 0}, "at least 1"),
        ({"path": "policy.yaml", "action": "tag"}, "holds several lists"),
    ],
)
def test_bad_lists_are_refused_saying_what_and_where(list_files, entry, message):
    with pytest.raises(TermListError, match=message):
        load_term_lists([entry], base=list_files)


def test_two_lists_of_one_name_and_broken_files_are_refused(list_files):
    with pytest.raises(TermListError, match="two term lists are named 'brands'"):
        load_term_lists(["brands.yaml", "brands.yaml"], base=list_files)
    (list_files / "broken.yaml").write_text("name: x\nterms: [a\n", encoding="utf-8")
    with pytest.raises(TermListError, match=r"broken.yaml: line \d+: not valid YAML"):
        load_term_lists(["broken.yaml"], base=list_files)
    (list_files / "latin1.txt").write_bytes(b"ok\nfl\xfcgel\n")
    with pytest.raises(TermListError, match="line 2 is not UTF-8"):
        load_term_lists([{"path": "latin1.txt", "action": "tag"}], base=list_files)


def test_drop_tag_and_redact_each_do_their_job(list_files):
    stage = TermLists(
        [
            "brands.yaml",
            {"path": "claims.txt", "action": "redact", "replacement": "[claim]"},
            "policy.yaml",
        ],
        base_dir=str(list_files),
    )
    documents = [
        Document(text="Acme sells anvils; ACME and Globex  Corporation compete. 某品牌很好。", id="tagged"),
        Document(text="This miracle cure cures cancer overnight!", id="redacted"),
        Document(text="这里有敏感词和禁词。", id="dropped"),
        Document(text="只有一个敏感词。", id="below-min-hits"),
        Document(text="Acmeology and globexcorporation are not the terms.", id="clean"),
    ]
    kept = {document.id: document for document in _run(stage, documents)}
    assert set(kept) == {"tagged", "redacted", "below-min-hits", "clean"}
    assert kept["tagged"].metadata["term_hits_brands"] == 4 and kept["tagged"].metadata["term_hits_ticker"] == 1
    assert kept["clean"].metadata["term_hits_brands"] == 0
    assert kept["redacted"].text == "This [claim] [claim] overnight!"
    stats = stage.stats
    assert stats["dropped_term_list_politics"].total == 1
    assert stats["brands_documents"].total == 1 and stats["brands_hits"].total == 4
    assert stats["claims_redacted"].total == 2 and stats["politics_hits"].total == 3


def test_overlapping_redactions_replace_the_longest_leftmost_span_once():
    stage = TermLists(
        [
            {"name": "short", "action": "redact", "terms": ["Globex"], "replacement": "[A]"},
            {"name": "long", "action": "redact", "terms": ["Globex Corporation"], "replacement": "[B]"},
        ]
    )
    (document,) = _run(stage, [Document(text="Globex Corporation and Globex.", id="x")])
    assert document.text == "[B] and [A]."


def test_lists_limited_to_languages_leave_other_documents_alone():
    stage = TermLists([{"name": "de_only", "action": "drop", "terms": ["verboten"], "languages": ["de"]}])
    documents = [
        Document(text="Das ist verboten.", id="de", metadata={"language": "de"}),
        Document(text="The word verboten is German.", id="en", metadata={"language": "en"}),
    ]
    assert [document.id for document in _run(stage, documents)] == ["en"]


def test_the_stage_travels_to_workers():
    stage = TermLists([{"name": "spam", "action": "drop", "terms": ["free porn", "三级片"]}])
    copy = cloudpickle.loads(cloudpickle.dumps(stage))
    assert [d.id for d in _run(copy, [Document(text="看三级片", id="a"), Document(text="fine", id="b")])] == ["b"]


def test_in_a_recipe_counts_per_list_reach_the_summary(run_recipe_yaml, list_files, tmp_path):
    write_jsonl(
        tmp_path / "in" / "part-0.jsonl",
        [
            {"id": "1", "text": "Acme and Globex Corporation."},
            {"id": "2", "text": "A miracle cure!"},
            {"id": "3", "text": "敏感词，禁词。"},
            {"id": "4", "text": "Nothing to see."},
        ],
    )
    recipe = (
        "stages:\n"
        "  - stage: term_lists\n"
        "    params:\n"
        f"      base_dir: {list_files}\n"
        "      lists: [brands.yaml, {path: claims.txt, action: redact}, policy.yaml]\n"
        "output: {format: jsonl}\n"
    )
    report = run_recipe_yaml(recipe, tmp_path / "in", tmp_path / "out")
    totals = report.summary["totals"]
    assert report.ok and totals["reconciled"] and totals["dropped_by_reason"] == {"term_list_politics": 1}
    (stage,) = [s for s in totals["stages"] if s["name"] == "term_lists"]
    assert stage["counts"]["brands_hits"] == 2 and stage["counts"]["claims_redacted"] == 1
    rows = {row["id"]: row for row in read_output_rows(tmp_path / "out")}
    assert rows["2"]["text"] == "A [redacted]!" and rows["1"]["term_hits_brands"] == 2


def test_counts_per_list_are_curate_check_metrics(run_recipe_yaml, list_files, tmp_path):
    """The run's per-list counts reach ``curate check`` through summary.json: a list without a hit is 0, a
    stage the run does not have is an error, not a pass."""
    from curation.checks import load_checks, run_checks
    from tests.test_checks import checks_file

    write_jsonl(
        tmp_path / "in" / "part-0.jsonl",
        [
            {"id": "1", "text": "Acme and Globex Corporation, Acme again."},
            {"id": "2", "text": "A miracle cure, they say."},
            {"id": "3", "text": "Acme once."},
            {"id": "4", "text": "Nothing to see."},
        ],
    )
    recipe = (
        "stages:\n"
        "  - stage: term_lists\n"
        "    params:\n"
        f"      base_dir: {list_files}\n"
        "      lists: [brands.yaml, {path: claims.txt, action: redact}, policy.yaml]\n"
        "output: {format: jsonl}\n"
    )
    assert run_recipe_yaml(recipe, tmp_path / "in", tmp_path / "out").ok
    checks = (
        '  - {name: brand-hits, metric: stage_count.term_lists.brands_hits, condition: "==", threshold: 4}\n'
        '  - {name: brand-docs, metric: stage_count_rate.term_lists.brands_documents, condition: "<=", '
        "threshold: 0.4}\n"
        '  - {name: claims, metric: stage_count.term_lists.claims_redacted, condition: "==", threshold: 1}\n'
        '  - {name: politics, metric: stage_count_rate.term_lists.politics_documents, condition: "==", '
        "threshold: 0}\n"
        '  - {name: misspelt, metric: stage_count.term_list.brands_hits, condition: "<", threshold: 1}\n'
    )
    run = run_checks(load_checks(checks_file(tmp_path, checks)), str(tmp_path / "out"), workers=1)
    status = {result.check.name: result.status for result in run.results}
    assert run.metrics.value("stage_count_rate.term_lists.brands_documents") == 0.5
    assert status == {
        "brand-hits": "passed",
        "brand-docs": "failed",
        "claims": "passed",
        "politics": "passed",
        "misspelt": "error",
    }
    (misspelt,) = [result for result in run.results if result.check.name == "misspelt"]
    assert "no stage 'term_list'" in misspelt.message


def test_a_missing_list_stops_the_run_before_any_shard(run_recipe_yaml, tmp_path):
    write_jsonl(tmp_path / "in" / "part-0.jsonl", [{"id": "1", "text": "x"}])
    recipe = "stages:\n  - stage: term_lists\n    params: {lists: [/nonexistent/policy.yaml]}\n"
    with pytest.raises(WorkerStartupError, match=r"policy\.yaml' does not exist"):
        run_recipe_yaml(recipe, tmp_path / "in", tmp_path / "out")
