"""The WARC reader on real archives: every edge case reads correctly or is quarantined with a clear reason."""

from __future__ import annotations

import json

import pytest

from curation.io.readers import WarcShardReader
from tests.helpers import read_output_rows, write_warc

READ_ONLY = "stages: []\n"

# file -> (documents kept, {quarantine reason: count}, a reader drop reason that must appear or None)
EDGE_CASES = {
    "clipped.warc.gz": (0, {"malformed_warc": 1}, None),  # the one record is cut short: not a silent partial page
    "clueweb-quirk.warc.gz": (29, {}, "warc_warcinfo"),  # WARC/0.18, LF-only HTTP headers, EUC-JP pages
    "example-bad-non-chunked.warc.gz": (1, {}, "warc_revisit"),  # one gzip stream for all records: read through
    "example-digest.warc": (0, {}, "warc_request"),  # requests only
    "example-iana.org-chunked.warc": (1, {}, "warc_request"),  # chunked transfer encoding undone
    # Content-Length 2 bytes short; the block digest proves the true end: the page and the record after it read
    "example-trunc.warc": (1, {}, "warc_request"),
    "example-wget-bad-target-uri.warc.gz": (1, {}, "warc_resource"),
    "example.arc.gz": (1, {}, "warc_warcinfo"),  # legacy ARC, read with warcio
    "example.warc.gz": (1, {}, "warc_revisit"),
}


def test_every_edge_case_file_is_listed(shared_data):
    assert sorted(p.name for p in (shared_data / "warc" / "edge-cases").iterdir()) == sorted(EDGE_CASES)


@pytest.mark.parametrize("name", sorted(EDGE_CASES))
def test_edge_case_reads_or_is_quarantined_with_a_reason(shared_data, run_recipe_yaml, tmp_path, name):
    kept, quarantined, drop = EDGE_CASES[name]
    report = run_recipe_yaml(READ_ONLY, shared_data / "warc" / "edge-cases", tmp_path / "out", glob=name)
    totals = report.summary["totals"]
    assert report.ok and totals["reconciled"]
    assert totals["kept"] == kept
    assert dict(totals["quarantined_by_reason"] or {}) == quarantined
    if drop:
        assert totals["stages"][0]["dropped"].get(drop, 0) >= 1
    for line in (tmp_path / "out" / "_quarantine").glob("*.jsonl"):
        for record in map(json.loads, line.read_text().splitlines()):
            assert record["detail"] and record["source_file"].endswith(name)


def test_quarantine_says_why_a_record_was_truncated(shared_data, tmp_path, run_recipe_yaml):
    run_recipe_yaml(READ_ONLY, shared_data / "warc" / "edge-cases", tmp_path / "out", glob="clipped.warc.gz")
    (record,) = [
        json.loads(line) for line in (tmp_path / "out" / "_quarantine" / "clipped.jsonl").read_text().splitlines()
    ]
    assert "truncated record: 75207 of the 88275 bytes" in record["detail"] and record["record_id"]


def test_legacy_japanese_crawl_decodes_from_its_http_charset(shared_data):
    reader = WarcShardReader(str(shared_data / "warc" / "edge-cases"))
    documents = [r for r in reader.iter_records("clueweb-quirk.warc.gz") if hasattr(r, "text")]
    assert len(documents) == 29
    assert all("\ufffd" not in d.text for d in documents)
    assert sum(any("\u3040" <= ch <= "\u30ff" for ch in d.text) for d in documents) >= 25  # kana
    assert {d.metadata["charset"] for d in documents} <= {"euc_jp", "cp932", "utf-8", "ascii", "cp1252"}


def test_angle_bracketed_target_uri_is_cleaned(shared_data):
    reader = WarcShardReader(str(shared_data / "warc" / "edge-cases"))
    (document,) = [r for r in reader.iter_records("example-wget-bad-target-uri.warc.gz") if hasattr(r, "text")]
    assert document.metadata["url"].startswith("http") and "<" not in document.metadata["url"]


def test_checked_and_warcio_backends_give_the_same_documents(shared_data):
    folder = str(shared_data / "warc" / "commoncrawl")
    for name in ("cc-main-2020-34-excerpt.warc.gz", "wget-crawl-sample-0000.warc.gz", "whirlwind.warc.gz"):
        fast = [r for r in WarcShardReader(folder).iter_records(name) if hasattr(r, "text")]
        slow = [r for r in WarcShardReader(folder, backend="warcio").iter_records(name) if hasattr(r, "text")]
        assert [(d.id, d.text, d.metadata["url"]) for d in fast] == [(d.id, d.text, d.metadata["url"]) for d in slow]
        assert fast and all(d.id.startswith("<urn:uuid:") and d.metadata["date"] for d in fast)


def test_charset_from_http_header_is_recorded(tmp_path):
    page = "<html><body><p>Привет, мир! Это страница в кодировке windows-1251.</p></body></html>"
    write_warc(
        tmp_path / "in" / "ru.warc.gz", [("https://e.ru/", "text/html; charset=windows-1251", page.encode("cp1251"))]
    )
    (document,) = [r for r in WarcShardReader(str(tmp_path / "in")).iter_records("ru.warc.gz") if hasattr(r, "text")]
    assert "Привет, мир!" in document.text
    assert (document.metadata["charset"], document.metadata["charset_source"]) == ("cp1251", "http")


def test_a_file_that_is_not_a_warc_is_quarantined_and_the_run_goes_on(tmp_path, run_recipe_yaml):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "junk.warc").write_bytes(b"this is not an archive\n" * 10)
    write_warc(tmp_path / "in" / "good.warc.gz", [("https://e.org/", "text/html", b"<p>fine</p>")])
    report = run_recipe_yaml(READ_ONLY, tmp_path / "in")
    totals = report.summary["totals"]
    assert report.ok and totals["reconciled"] and totals["kept"] == 1
    assert totals["quarantined_by_reason"] == {"malformed_warc": 1}
    assert [row["url"] for row in read_output_rows(tmp_path / "out")] == ["https://e.org/"]
