"""A page that stalls the extractor is dropped as ``extract_timeout`` and the worker goes on with the next page.

The stalls are real: a Python-level endless loop (what a pathological page does to trafilatura) and a long
native call (``hashlib.pbkdf2_hmac`` runs in C and never returns to the interpreter, as a native extractor
stuck on a page would), plus a helper process that dies outright.
"""

from __future__ import annotations

import hashlib
import os
import time

from datatrove.data import Document

from curation.extract.extractors import ResiliparseExtractor, TrafilaturaExtractor
from curation.extract.stage import ExtractText
from curation.extract.time_limit import ProcessTimeLimit, SignalTimeLimit, make_time_limit
from tests.helpers import read_output_rows

ARTICLE = (
    "<html><body><nav><a href='/'>Home</a> <a href='/news'>News</a></nav><article><h1>River report</h1>"
    + "".join(
        f"<p>Paragraph {i}: the river carries meltwater from the mountain past the old village every spring.</p>"
        for i in range(8)
    )
    + "</article></body></html>"
)
STALL_MARKER = "<!-- stall -->"
CRASH_MARKER = "<!-- crash -->"


class PythonLoopOnMarker(TrafilaturaExtractor):
    """trafilatura, except on marked pages, where it spins in Python forever."""

    def extract(self, html: str) -> str:
        while STALL_MARKER in html:
            pass
        return super().extract(html)


class NativeStallOnMarker(ResiliparseExtractor):
    """Resiliparse, except on marked pages, where it sits in one long C call (minutes of key derivation)."""

    def extract(self, html: str) -> str:
        if STALL_MARKER in html:
            hashlib.pbkdf2_hmac("sha256", b"page", b"salt", 500_000_000)
        if CRASH_MARKER in html:
            os._exit(11)
        return super().extract(html)


def _documents(*markers: str) -> list[Document]:
    return [Document(text=ARTICLE + marker, id=f"page-{i}") for i, marker in enumerate(markers)]


def _stage_with(extractor, mode: str, timeout: float) -> ExtractText:
    stage = ExtractText(extractor="trafilatura", timeout=timeout, time_limit_mode=mode)
    stage.extractor = extractor
    return stage


def _run(stage: ExtractText, documents: list[Document]) -> tuple[list[Document], dict[str, int], float]:
    started = time.monotonic()
    kept = list(stage.run(iter(documents)))
    elapsed = time.monotonic() - started
    stage.close()
    dropped = {
        k.removeprefix("dropped_"): int(v.total) for k, v in stage.stats.stats.items() if k.startswith("dropped_")
    }
    return kept, dropped, elapsed


def test_signal_limit_stops_a_python_level_stall_in_the_worker_itself():
    stage = _stage_with(PythonLoopOnMarker(), "signal", timeout=0.5)
    kept, dropped, elapsed = _run(stage, _documents("", STALL_MARKER, ""))
    assert [d.id for d in kept] == ["page-0", "page-2"]
    assert dropped == {"extract_timeout": 1}
    assert elapsed < 10
    assert "meltwater" in kept[1].text and "Home" not in kept[1].text


def test_process_limit_stops_a_native_stall_that_signals_cannot_interrupt():
    stage = _stage_with(NativeStallOnMarker(), "process", timeout=1.0)
    kept, dropped, elapsed = _run(stage, _documents("", STALL_MARKER, "", ""))
    assert [d.id for d in kept] == ["page-0", "page-2", "page-3"]
    assert dropped == {"extract_timeout": 1}
    assert elapsed < 30


def test_a_helper_that_dies_costs_only_its_page():
    stage = _stage_with(NativeStallOnMarker(), "process", timeout=5.0)
    kept, dropped, _ = _run(stage, _documents("", CRASH_MARKER, ""))
    assert [d.id for d in kept] == ["page-0", "page-2"]
    assert dropped == {"extract_crash": 1}


def test_auto_mode_uses_signals_only_for_python_level_extractors():
    assert isinstance(make_time_limit(TrafilaturaExtractor(), 1.0), SignalTimeLimit)
    assert isinstance(make_time_limit(ResiliparseExtractor(), 1.0), ProcessTimeLimit)


def test_empty_and_oversized_pages_are_dropped_with_their_reasons():
    stage = ExtractText(extractor="resiliparse", max_html_chars=len(ARTICLE) + 10)
    documents = [
        Document(text=ARTICLE, id="ok"),
        Document(text="<html><body><script>var x = 1;</script></body></html>", id="empty"),
        Document(text=ARTICLE + " " * 100, id="huge"),
    ]
    kept, dropped, _ = _run(stage, documents)
    assert [d.id for d in kept] == ["ok"]
    assert dropped == {"extract_empty": 1, "html_too_large": 1}


def test_a_stall_inside_a_pool_worker_does_not_fail_the_shard(tmp_path):
    """End to end in a real worker process: the stalled page is counted, the shard completes."""
    from curation import InputSpec, OutputSpec, Recipe, run_recipe
    from tests.helpers import write_warc

    pages = [
        (f"https://example.org/{i}", "text/html", (ARTICLE + marker).encode())
        for i, marker in enumerate(["", STALL_MARKER, ""])
    ]
    write_warc(tmp_path / "in" / "crawl.warc.gz", pages, extra_request=False)
    recipe = Recipe(
        input=InputSpec(path=str(tmp_path / "in")),
        stages=[_stage_with(NativeStallOnMarker(), "process", timeout=1.0)],
        output=OutputSpec(path=str(tmp_path / "out")),
    )
    report = run_recipe(recipe, workers=2, progress="none")
    totals = report.summary["totals"]
    assert report.ok and totals["reconciled"] and totals["kept"] == 2
    assert totals["stages"][1]["dropped"] == {"extract_timeout": 1}
    assert sorted(row["url"] for row in read_output_rows(tmp_path / "out")) == [
        "https://example.org/0",
        "https://example.org/2",
    ]
