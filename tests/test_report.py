"""Progress lines, the summary table and the end-of-run warnings, as a user reads them in a log or a pipe."""

from __future__ import annotations

import io
import time

from curation.report.diagnosis import quarantine_warning
from curation.report.progress import LogProgress
from curation.report.summary import plural, render_summary


def test_log_progress_prints_every_interval_even_while_no_document_moves():
    stream = io.StringIO()
    log = LogProgress(stream, interval=0.2)
    log.phase("shards", 2, 0)
    time.sleep(1.0)  # a first shard still loading its models: nothing reported by the workers
    log.close()
    lines = stream.getvalue().splitlines()
    assert len(lines) >= 4, lines  # the phase line, at least two timed lines, the final line
    assert all(line.startswith("[curate] shards 0/2, 0 docs") for line in lines)


def test_documents_are_counted_once_per_pass_not_summed_over_passes():
    stream = io.StringIO()
    log = LogProgress(stream, interval=3600)
    log.phase("pass 1/2", 1, 0)
    log.documents(500)
    log.finished(True)
    log.phase("pass 2/2", 1, 0)
    log.documents(480)
    log.finished(True)
    log.close()
    last = stream.getvalue().splitlines()[-1]
    assert last.startswith("[curate] pass 2/2 1/1, 480 docs"), last


def _summary(routes: dict[str, dict[str, int]], quarantined: int = 2) -> dict:
    return {
        "recipe": {"name": "demo", "fingerprint": "x"},
        "output": "out",
        "wall_seconds": 1.0,
        "this_run": {"records_per_second": 10.0},
        "shards": {
            "total": 1,
            "completed": 1,
            "processed_this_run": 1,
            "skipped_already_complete": 0,
            "failed": 0,
            "failures": [],
            "completed_outside_selection": 0,
        },
        "totals": {
            "records_in": 12,
            "kept": 9,
            "dropped": 1,
            "quarantined": quarantined,
            "quarantined_by_reason": {"malformed_json": quarantined},
            "added": 0,
            "reconciled": True,
            "stages": [
                {"name": "read", "in": 12, "out": 10, "dropped": {}, "seconds": 0.1},
                {"name": "gopher_quality", "in": 10, "out": 9, "dropped": {"gopher_short_doc": 1}, "seconds": 0.2},
                {"name": "write", "in": 9, "out": 9, "dropped": {}, "seconds": 0.0},
            ],
        },
        "routes": routes,
    }


def test_the_table_has_a_quarantined_column_and_routes_stay_on_one_line_in_a_pipe():
    routes = {f"domain-with-a-long-name-{i:02d}": {"files": 1, "documents": i, "tokens": 1000 * i} for i in range(12)}
    stream = io.StringIO()
    render_summary(_summary(routes), stream)
    text = stream.getvalue()
    header = next(line for line in text.splitlines() if "stage" in line and "in" in line)
    assert "quarantined" in header
    read_row = next(line for line in text.splitlines() if line.strip("│┃ ").startswith("read"))
    assert read_row.split("│")[5].strip() == "2"  # stage, in, out, dropped, quarantined
    route_lines = [line for line in text.splitlines() if "domain-with-a-long-name" in line]
    assert len(route_lines) == 1 and route_lines[0].startswith("routes: ")
    assert "domain-with-a-long-name-01 1 doc / 1,000 tokens" in route_lines[0]
    assert "domain-with-a-long-name-02 2 docs / 2,000 tokens" in route_lines[0]


def test_plural():
    assert (plural(1, "doc"), plural(0, "doc"), plural(1200, "doc")) == ("1 doc", "0 docs", "1,200 docs")


def test_quarantine_warning_above_half_of_the_records(tmp_path):
    from datatrove.io import get_datafolder

    folder = get_datafolder(str(tmp_path))
    totals = {"records_in": 10, "quarantined_by_reason": {"malformed_json": 6}}
    message = quarantine_warning(totals, folder)
    assert message.startswith("6 of 10 (60%) records were quarantined as malformed_json")
    assert quarantine_warning({"records_in": 10, "quarantined_by_reason": {"malformed_json": 4}}, folder) is None
    assert quarantine_warning({"records_in": 0, "quarantined_by_reason": {}}, folder) is None
