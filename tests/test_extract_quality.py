"""Extraction accuracy on real news and blog pages (scrapinghub's benchmark, word-level F1 per page)."""

from __future__ import annotations

import gzip
import json

import pytest

from curation.extract.extractors import make_extractor, short_line_word_share
from curation.extract.scoring import macro_average, word_scores
from tests.conftest import SHARED_DATA


@pytest.fixture(scope="module")
def scrapinghub_pages() -> list[tuple[str, str]]:
    root = SHARED_DATA / "extraction" / "scrapinghub"
    if not root.is_dir():
        pytest.skip(f"real data not available at {root} (a fresh clone has no ../shared)")
    truth = json.loads((root / "ground-truth.json").read_text())
    pages = []
    for page_id, entry in sorted(truth.items()):
        html = gzip.decompress((root / "html" / f"{page_id}.html.gz").read_bytes()).decode("utf-8", "replace")
        pages.append((html, entry["articleBody"]))
    return pages


# Floors a few points under the figures measured by benchmarks/extraction.py, so a real regression fails.
@pytest.mark.parametrize(("name", "min_f1"), [("resiliparse", 0.89), ("routed", 0.90), ("trafilatura", 0.93)])
def test_extractor_f1_on_real_pages(scrapinghub_pages, name, min_f1):
    extractor = make_extractor(name)
    scores = macro_average(word_scores(extractor.extract(html), truth) for html, truth in scrapinghub_pages)
    assert len(scrapinghub_pages) == 181
    assert scores.f1 >= min_f1, scores


def test_word_scores_count_repeated_words_once_per_occurrence():
    scores = word_scores("the river the river", "the river flows")
    assert scores.precision == pytest.approx(0.5) and scores.recall == pytest.approx(2 / 3)
    assert word_scores("", "").f1 == 1.0 and word_scores("text", "").f1 == 0.0


def test_short_line_share_tells_menus_from_prose():
    menu = "\n".join(["Home", "News", "Sport", "Contact us", "About"] * 4)
    prose = "The river carries meltwater from the mountains past the village every single spring.\n" * 5
    assert short_line_word_share(menu) == 1.0
    assert short_line_word_share(prose) == 0.0


def test_unknown_extractor_or_option_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown extractor 'boilerpipe'"):
        make_extractor("boilerpipe")
    with pytest.raises(ValueError, match="bad options for extractor 'resiliparse'"):
        make_extractor("resiliparse", {"favour_precision": True})
