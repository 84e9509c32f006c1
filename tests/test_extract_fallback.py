"""A page with visible text is never dropped as empty before a second extractor has tried; the reason names both.

The failure kind: one extractor returns nothing, or almost nothing, for a page whose text the other one reads.
trafilatura (lxml) gives up on text nested past lxml's depth limit (a few hundred elements, whatever the tag);
Resiliparse drops a whole page wrapped in an element whose class it takes for boilerplate.
"""

from __future__ import annotations

from datatrove.data import Document

from curation.extract.extractors import ResiliparseExtractor, TrafilaturaExtractor, count_words, page_words
from curation.extract.fallback import WithFallback
from curation.extract.stage import ExtractText
from tests.helpers import read_output_rows, write_warc

BODY = "".join(
    f"<p>Paragraph {i} explains in plain words how the river carries meltwater down from the mountains "
    "every spring, past the mill and the old stone bridge.</p>"
    for i in range(6)
)


def nested(tag: str, depth: int) -> str:
    head = "<!DOCTYPE html><html><head><title>Notes</title></head><body>"
    return f"{head}{f'<{tag}>' * depth}{BODY}{f'</{tag}>' * depth}</body></html>"


SIDEBAR_WRAPPED = f"<html><body><div class='layout sidebar'>{BODY}</div></body></html>"
"""The whole page inside a wrapper whose class Resiliparse's main-content heuristics take for a sidebar."""
FOOTER_ONLY = f"<html><body><footer>{BODY}</footer></body></html>"
"""Visible text that neither extractor keeps as main text with its defaults."""
NO_TEXT = "<html><head><script>var page = 1;</script></head><body><img src='a.png'></body></html>"


def run_stage(stage: ExtractText, pages: dict[str, str]) -> tuple[dict[str, Document], dict[str, int]]:
    kept = {
        document.id: document
        for document in stage.run(iter(Document(text=html, id=key) for key, html in pages.items()))
    }
    stage.close()
    stats = {key: int(value.total) for key, value in stage.stats.stats.items()}
    return kept, {k.removeprefix("dropped_"): v for k, v in stats.items() if k.startswith("dropped_")} | {
        k: v for k, v in stats.items() if k.startswith(("text_from_", "second_extractor"))
    }


def test_text_nested_past_lxmls_depth_limit_is_read_by_the_second_extractor():
    pages = {
        f"{tag}-{depth}": nested(tag, depth)
        for tag in ("div", "section", "span", "blockquote")
        for depth in (300, 2000)
    }
    assert TrafilaturaExtractor().extract(pages["div-300"]) == ""  # the failure guarded against
    kept, stats = run_stage(ExtractText(extractor="trafilatura", extractor_in="extractor"), pages)
    assert sorted(kept) == sorted(pages)
    for document in kept.values():
        assert "meltwater" in document.text and count_words(document.text) >= 100
        assert document.metadata["extractor"] == "resiliparse"
    assert stats["second_extractor_ran"] == stats["text_from_resiliparse"] == len(pages)


def test_a_page_resiliparse_misses_is_read_by_trafilatura():
    assert ResiliparseExtractor().extract(SIDEBAR_WRAPPED) == ""
    for mode in ("resiliparse", "routed"):
        kept, _ = run_stage(ExtractText(extractor=mode, extractor_in="extractor"), {"page": SIDEBAR_WRAPPED})
        assert "meltwater" in kept["page"].text, mode
        assert kept["page"].metadata["extractor"] == "trafilatura", mode


def test_when_both_find_nothing_the_reason_names_both_in_the_order_they_ran():
    pages = {"footer": FOOTER_ONLY, "no-text": NO_TEXT}
    _, stats = run_stage(ExtractText(extractor="trafilatura"), pages)
    assert stats["extract_empty:trafilatura+resiliparse"] == 1
    assert stats["extract_empty"] == 1  # a page without any visible text: there was nothing to find
    _, stats = run_stage(ExtractText(extractor="trafilatura", fallback=False), pages)
    assert stats["extract_empty:trafilatura"] == 2


def test_almost_nothing_on_a_page_with_text_also_calls_the_second_extractor():
    """A heading is all trafilatura keeps of a page whose paragraphs sit too deep for lxml."""
    html = f"<html><body><h1>Spring notes from the valley</h1>{'<div>' * 400}{BODY}{'</div>' * 400}</body></html>"
    first = TrafilaturaExtractor().extract(html)
    assert 0 < count_words(first) < 0.05 * page_words(html)
    result = WithFallback(TrafilaturaExtractor(), ResiliparseExtractor()).extract_page(html)
    assert result.tried == ("trafilatura", "resiliparse") and result.used == "resiliparse"
    assert "meltwater" in result.text and result.page_words == page_words(html)


class RaisesOnMarker(TrafilaturaExtractor):
    """trafilatura, except that it raises on marked pages, as a library bug would."""

    def extract(self, html: str) -> str:
        if "<!-- raise -->" in html:
            raise ValueError("lxml refused the page")
        return super().extract(html)


def test_an_extractor_that_raises_is_not_the_pages_end():
    stage = ExtractText(extractor="trafilatura", extractor_in="extractor")
    stage.extractor = RaisesOnMarker()
    kept, stats = run_stage(
        stage, {"raises": nested("div", 3) + "<!-- raise -->", "no-text": NO_TEXT + "<!-- raise -->"}
    )
    assert kept["raises"].metadata["extractor"] == "resiliparse" and "meltwater" in kept["raises"].text
    assert stats["extract_error"] == 1  # neither gave text: the first error is the reason


def test_deep_nesting_case_through_the_web_chain(shared_data, run_recipe_yaml, tmp_path):
    """../shared/data/bugs/extract-deep-nesting: the reply under 300, 1,000 and 3,000 nested <div>s."""
    case = shared_data / "bugs" / "extract-deep-nesting"
    for mode in ("routed", "trafilatura", "resiliparse"):
        recipe = (
            "input: {format: warc}\n"
            f"stages:\n  - {{stage: extract_text, params: {{extractor: {mode}}}}}\n"
            "  - {stage: language_id, params: {label_only: true}}\n"
        )
        report = run_recipe_yaml(recipe, case, tmp_path / mode)
        totals = report.summary["totals"]
        assert report.ok and totals["reconciled"] and totals["kept"] == 3, (mode, totals)
        rows = read_output_rows(tmp_path / mode)
        assert all(row["text"].startswith("Thanks for sending the draft over") for row in rows), mode
        assert all("Friday" in row["text"] and row["language"] == "en" for row in rows), mode


def test_without_fallback_the_deep_nesting_case_is_dropped_with_a_reason(shared_data, run_recipe_yaml, tmp_path):
    recipe = (
        "input: {format: warc}\nstages: [{stage: extract_text, params: {extractor: trafilatura, fallback: false}}]\n"
    )
    report = run_recipe_yaml(recipe, shared_data / "bugs" / "extract-deep-nesting", tmp_path / "out")
    totals = report.summary["totals"]
    assert totals["reconciled"] and totals["kept"] == 0
    assert totals["dropped_by_reason"]["extract_empty:trafilatura"] == 3


def test_datatrove_trafilatura_step_runs_in_a_recipe(tmp_path, run_recipe_yaml):
    """datatrove's own extractor step, named in a recipe, runs on trafilatura 2.x."""
    pages = [(f"https://example.org/{i}", "text/html", nested("div", 3).encode()) for i in range(3)]
    write_warc(tmp_path / "in" / "crawl.warc.gz", pages)
    report = run_recipe_yaml(
        "input: {format: warc}\nstages: [{stage: Trafilatura, params: {timeout: 30, deduplicate: false}}]\n",
        tmp_path / "in",
    )
    assert report.ok and report.summary["totals"]["kept"] == 3
    assert all("meltwater" in row["text"] and "<p>" not in row["text"] for row in read_output_rows(tmp_path / "out"))
