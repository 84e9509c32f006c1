"""The HTML run report: what a real run records for it, what the page shows, escaping, resumes, the CLI."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from curation import parse_recipe, run_recipe
from curation.cli import main as curate
from curation.report.html import build_report, write_report
from curation.report.run_record import read_run_record
from tests.helpers import docs, write_jsonl

RECIPE = """
name: report-test
stages:
  - stage: language_id
    params:
      min_score: 0.3
  - stage: gopher_quality
  - stage: exact_dedup
"""
EVIL_TEXT = "<script>alert(1)</script> </svg> The cook puts the bread in the oven and waits for it to bake."
EVIL_LABEL = "</svg><script>alert(2)</script>"


class _Page(HTMLParser):
    """Tags, figure ids and text of an HTML page, as a browser's parser would see them."""

    def __init__(self, html: str):
        super().__init__()
        self.tags: list[str] = []
        self.plots: list[str] = []
        self.sections: list[str] = []
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        attributes = dict(attrs)
        if "data-plot" in attributes:
            self.plots.append(attributes["data-plot"])
        if "data-section" in attributes:
            self.sections.append(attributes["data-section"])

    def handle_data(self, data):
        self.text.append(data)

    @property
    def all_text(self) -> str:
        return "".join(self.text)


def _corpus(folder: Path) -> Path:
    """Two shards: good documents, a hostile short one, a hostile label, exact copies and a malformed line."""
    good = docs(60, prefix="g", words=120, seed=3)
    for record in good:
        record["domain"] = "science" if int(record["id"][1:]) % 2 else "cooking"
    good[0]["domain"] = EVIL_LABEL
    good[1]["text"] += " <script>alert(3)</script>"
    copies = [{**record, "id": f"copy-{record['id']}"} for record in good[2:6]]
    evil = {"id": "evil-short", "text": EVIL_TEXT, "domain": "cooking"}
    write_jsonl(folder / "part-00000.jsonl", [*good[:30], evil, *copies[:2]])
    write_jsonl(
        folder / "part-00001.jsonl", [*good[30:], *copies[2:], b'{"id": "broken", "text": "<script>alert(4)</script>']
    )
    return folder


@pytest.fixture(scope="module")
def report_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("report")
    shards = _corpus(base / "in")
    out = base / "out"
    recipe = parse_recipe(RECIPE, "report-test.yaml")
    report = run_recipe(recipe, input_path=str(shards), output_path=str(out), workers=1, progress="none")
    assert report.ok
    return out, report.summary


def test_the_run_records_histograms_examples_and_composition_that_reconcile(report_run):
    out, summary = report_run
    record = read_run_record(str(out))
    observed = record.observations
    assert observed["shards"] == 2
    stages = {stage["name"]: stage for stage in observed["stages"]}
    assert list(stages) == ["language_id", "gopher_quality", "exact_dedup (collect)", "exact_dedup"]
    rows = {row["name"]: row for row in summary["totals"]["stages"]}
    language = stages["language_id"]["metrics"][0]
    assert language["field"] == "language_score" and language["thresholds"][0]["value"] == 0.3
    # every document entering the stage is in the histogram, dropped ones included
    assert sum(language["histogram"]["counts"]) == language["observed"] == rows["language_id"]["in"]
    assert language["outside"][0] == rows["language_id"]["dropped"].get("language_score_too_low", 0)
    # drop examples carry the stage's own reason
    short = stages["gopher_quality"]["examples"]["gopher_short_doc"]
    assert [example["id"] for example in short] == ["evil-short"]
    assert short[0]["text"] == EVIL_TEXT
    duplicates = stages["exact_dedup"]["examples"]["exact_duplicate"]
    copied = {f"g{i}" for i in range(2, 6)}
    assert duplicates and {example["id"].removeprefix("copy-") for example in duplicates} <= copied
    # composition counts every written document once
    domains = observed["output"]["composition"]["domain"]
    assert sum(documents for documents, _ in domains.values()) == summary["totals"]["kept"]
    assert EVIL_LABEL in domains
    assert sum(observed["output"]["length_chars"]["counts"]) == summary["totals"]["kept"]
    assert record.duplicate_clusters["exact_dedup"] == {2: 4}
    assert set(record.quarantine_examples) == {"malformed_json"}
    assert len(record.sample) == summary["totals"]["kept"]


def test_the_page_has_every_section_and_plot_and_shows_hostile_text_as_text(report_run):
    out, summary = report_run
    html = build_report(read_run_record(str(out)))
    page = _Page(html)
    assert "script" not in page.tags
    assert {"overview", "funnel", "thresholds", "composition", "dedup", "performance", "examples"} <= set(page.sections)
    assert {
        "funnel",
        "drop-reasons",
        "quarantine-reasons",
        "threshold-language_id-language_score",
        "composition-language",
        "composition-domain",
        "length-chars",
        "dedup-share",
        "cluster-sizes-exact_dedup",
        "stage-seconds",
    } <= set(page.plots)
    # one <svg> element per plot: a hostile label never closes one early
    assert page.tags.count("svg") == len(page.plots)
    assert html.count("</svg>") == len(page.plots)
    text = page.all_text
    assert EVIL_TEXT in text  # the dropped document's text, shown as text
    assert "<script>alert(4)</script>" in text  # the quarantined record's snippet
    assert EVIL_LABEL in text  # the label inside the composition plot
    assert "<script>" not in re.sub(r"<pre class=\"doc\">.*?</pre>", "", html, flags=re.S).replace("&lt;", "")
    assert f"{summary['totals']['kept']:,}" in text
    assert len(html) < 1_000_000


def test_a_resumed_run_reports_the_whole_output(tmp_path):
    """The second invocation processes one shard; the report covers both (from every shard's marker)."""
    shards = _corpus(tmp_path / "in")
    recipe = parse_recipe(RECIPE.split("  - stage: exact_dedup")[0], "report-test.yaml")
    first = run_recipe(
        recipe, input_path=str(shards), output_path=str(tmp_path / "out"), glob="part-00000*", progress="none"
    )
    assert first.ok
    whole = run_recipe(recipe, input_path=str(shards), output_path=str(tmp_path / "out"), progress="none")
    assert whole.summary["shards"]["processed_this_run"] == 1
    record = read_run_record(str(tmp_path / "out"))
    assert record.observations["shards"] == 2
    domains = record.observations["output"]["composition"]["domain"]
    assert sum(documents for documents, _ in domains.values()) == whole.summary["totals"]["kept"]
    page = _Page(build_report(record))
    assert f"{whole.summary['totals']['records_in']:,}" in page.all_text


def test_curate_run_writes_the_report_and_curate_report_compares(tmp_path, capsys):
    shards = _corpus(tmp_path / "in")
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(RECIPE)
    assert curate(["run", str(recipe), "-i", str(shards), "-o", str(tmp_path / "a"), "-w", "1"]) == 0
    assert f"report: {tmp_path / 'a' / 'report.html'}" in capsys.readouterr().out
    assert (tmp_path / "a" / "report.html").is_file()
    assert curate(["run", str(recipe), "-i", str(shards), "-o", str(tmp_path / "b"), "-q", "--no-report"]) == 0
    assert not (tmp_path / "b" / "report.html").exists()
    target = tmp_path / "views" / "compare.html"
    assert curate(["report", str(tmp_path / "a"), "--compare", str(tmp_path / "b"), "-o", str(target)]) == 0
    page = _Page(target.read_text())
    assert "compare" in page.sections
    assert {"compare-funnel", "compare-drops", "compare-length", "compare-composition-domain"} <= set(page.plots)
    assert any(plot.startswith("compare-language_id") for plot in page.plots)
    assert curate(["report", str(tmp_path / "missing")]) == 2
    assert "is not a folder" in capsys.readouterr().err


def test_a_folder_with_nothing_to_report_is_a_clear_error(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert curate(["report", str(tmp_path / "empty")]) == 2
    assert "holds no summary.json" in capsys.readouterr().err


CHECKS = """
version: 1
name: ci
sample: {size: null, seed: 0}
metrics:
  language: {source: column, expected: [en]}
checks:
  - name: no empty documents
    metric: empty_rate
    condition: "<"
    threshold: 0.5%
  - name: "</svg><script>alert(5)</script> no exact duplicates"
    metric: exact_duplicate_rate
    condition: "=="
    threshold: 0
  - name: at least a million documents
    metric: documents
    condition: ">="
    threshold: 1000000
"""


def test_curate_check_results_in_the_output_folder_render(report_run, tmp_path):
    """``curate check --json OUT/check.json`` on the run's output: the report finds and shows the results."""
    out, _ = report_run
    checks = tmp_path / "checks.yaml"
    checks.write_text(CHECKS)
    assert curate(["check", str(checks), str(out), "--json", str(out / "check.json")]) == 1
    html = write_report(str(out), str(tmp_path / "r.html"))
    page = _Page(Path(html).read_text())
    assert "checks" in page.sections and "script" not in page.tags
    text = page.all_text
    assert "</svg><script>alert(5)</script> no exact duplicates" in text
    assert "2 passed, 1 failed" in text and "at least a million documents" in text
    (out / "check.json").unlink()
