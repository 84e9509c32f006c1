"""pipelines/web.yaml end to end on real Common Crawl and wget WARCs, checked against Common Crawl's own WET."""

from __future__ import annotations

from pathlib import Path

import yaml

from curation.extract.scoring import word_scores
from tests.conftest import REPO_ROOT
from tests.helpers import read_output_rows

WEB_RECIPE = REPO_ROOT / "pipelines" / "web.yaml"


def test_web_recipe_runs_end_to_end_on_real_crawls(shared_data, run_recipe_yaml, tmp_path):
    report = run_recipe_yaml(WEB_RECIPE.read_text(), shared_data / "warc" / "commoncrawl", tmp_path / "out")
    totals = report.summary["totals"]
    assert report.ok and totals["reconciled"] and totals["quarantined"] == 0
    assert "unspecified" not in totals["dropped_by_reason"]
    stages = {stage["name"]: stage for stage in totals["stages"]}
    assert stages["read"]["dropped"]["warc_request"] > 0 and stages["extract_text"]["out"] > 50
    rows = read_output_rows(tmp_path / "out")
    assert len(rows) >= 15
    assert {"en", "ru", "nl"} <= {row["language"] for row in rows}
    assert all(row["url"].startswith("http") and row["id"].startswith("<urn:uuid:") for row in rows)
    assert all("<div" not in row["text"] and "\ufffd" not in row["text"] for row in rows)


def _wet_text(path: Path) -> str:
    from fastwarc.warc import ArchiveIterator, WarcRecordType

    with path.open("rb") as handle:
        texts = [record.reader.read().decode("utf-8") for record in ArchiveIterator(handle, WarcRecordType.conversion)]
    (text,) = texts
    return text


def test_whirlwind_text_overlaps_common_crawls_own_wet_text(shared_data, run_recipe_yaml, tmp_path):
    """The web recipe's extraction on the whirlwind capture, against the WET text Common Crawl extracted.

    WET keeps every text node (menus included), so our main text should be nearly all inside it (precision)
    and hold a good part of it (recall). The capture is a short Aragonese page that the recipe's later
    filters rightly drop, so the language stage only labels here.
    """
    recipe = yaml.safe_load(WEB_RECIPE.read_text())
    (extract,) = [stage for stage in recipe["stages"] if stage["stage"] == "extract_text"]
    recipe["stages"] = [extract, {"stage": "language_id", "params": {"label_only": True}}]
    report = run_recipe_yaml(
        yaml.safe_dump(recipe), shared_data / "warc" / "commoncrawl", tmp_path / "out", glob="whirlwind.warc.gz"
    )
    assert report.ok
    (row,) = read_output_rows(tmp_path / "out")
    assert row["url"] == "https://an.wikipedia.org/wiki/Escopete"
    scores = word_scores(row["text"], _wet_text(shared_data / "warc" / "commoncrawl" / "whirlwind.warc.wet.gz"))
    assert scores.precision >= 0.95 and scores.recall >= 0.3, scores
    assert "Escopete ye un municipio" in row["text"]
