"""WARC structure: records whose frame is broken are read correctly or quarantined as malformed_warc with their
offset, never merged, cut or counted as an ordinary skip. The inputs are good records with one thing broken."""

from __future__ import annotations

import gzip
import io
import re

import pytest

from curation.io.quarantine import Quarantined
from curation.io.readers import WarcShardReader
from curation.io.readers.base import Skipped

PAGES = 3


def record(index: int, *, newline: bytes = b"\r\n", length_delta: int = 0, digest: bool = True, **drop) -> bytes:
    """One response record for https://e.org/<index> with a correct frame unless told otherwise."""
    body = f"<html><body><p>Page {index}: Grüße aus Köln.</p></body></html>".encode()
    block = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + body
    headers = [
        ("WARC-Type", "response"),
        ("WARC-Record-ID", f"<urn:uuid:00000000-0000-0000-0000-00000000000{index}>"),
        ("WARC-Date", "2024-05-01T00:00:00Z"),
        ("WARC-Target-URI", f"https://e.org/{index}"),
        ("Content-Type", "application/http; msgtype=response"),
        ("Content-Length", str(len(block) + length_delta)),
    ]
    if digest:
        import base64
        import hashlib

        headers.append(("WARC-Block-Digest", "sha1:" + base64.b32encode(hashlib.sha1(block).digest()).decode()))
    lines = [b"WARC/1.0"] + [f"{k}: {v}".encode() for k, v in headers if k not in drop]
    return newline.join(lines) + newline + newline + block + newline + newline


def good_file(**first) -> bytes:
    return record(0, **first) + b"".join(record(i) for i in range(1, PAGES))


def read(tmp_path, data: bytes, name: str = "x.warc", backend: str = "checked"):
    (tmp_path / name).write_bytes(data)
    return list(WarcShardReader(str(tmp_path), backend=backend).iter_records(name))


def urls(records) -> list[str]:
    return [r.metadata["url"] for r in records if hasattr(r, "text")]


def faults(records) -> list[Quarantined]:
    return [r for r in records if isinstance(r, Quarantined)]


def test_a_good_file_reads_whole(tmp_path):
    records = read(tmp_path, good_file())
    assert urls(records) == [f"https://e.org/{i}" for i in range(PAGES)] and not faults(records)
    assert "Grüße aus Köln" in records[0].text


def test_bare_lf_header_lines_are_read(tmp_path):
    assert urls(read(tmp_path, good_file(newline=b"\n"))) == [f"https://e.org/{i}" for i in range(PAGES)]


def test_missing_separators_between_records_are_tolerated(tmp_path):
    data = good_file().replace(b"</html>\r\n\r\nWARC/", b"</html>WARC/")
    records = read(tmp_path, data)
    assert urls(records) == [f"https://e.org/{i}" for i in range(PAGES)] and not faults(records)


@pytest.mark.parametrize("delta", [+40, -7])
def test_a_wrong_length_proven_wrong_by_the_block_digest_is_read_correctly(tmp_path, delta):
    records = read(tmp_path, good_file(length_delta=delta))
    assert urls(records) == [f"https://e.org/{i}" for i in range(PAGES)] and not faults(records)
    assert records[0].text.endswith("Grüße aus Köln.</p></body></html>")


@pytest.mark.parametrize("delta", [+40, -7])
def test_a_wrong_length_without_a_digest_quarantines_that_record_only(tmp_path, delta):
    records = read(tmp_path, good_file(length_delta=delta, digest=False))
    assert urls(records) == [f"https://e.org/{i}" for i in range(1, PAGES)]
    (fault,) = faults(records)
    assert fault.reason == "malformed_warc" and fault.byte_offset == 0 and "Content-Length" in fault.detail
    assert fault.record_id == "<urn:uuid:00000000-0000-0000-0000-000000000000>"


def test_a_whole_file_swallowed_by_one_record_is_split_again(tmp_path):
    data = good_file(digest=False)
    length = re.search(rb"Content-Length: (\d+)", data)
    swallowing = data[: length.start(1)] + str(len(data)).encode() + data[length.end(1) :]
    records = read(tmp_path, swallowing)
    assert urls(records) == [f"https://e.org/{i}" for i in range(1, PAGES)]
    (fault,) = faults(records)
    assert fault.byte_offset == 0 and "runs over the next record" in fault.detail
    assert not [r for r in records if isinstance(r, Skipped)]  # never an ordinary skip


def test_bytes_between_records_are_quarantined_with_their_offset(tmp_path):
    junk = b"<html>stray bytes that are no record</html>\r\n"
    first, second = record(0), record(1)
    records = read(tmp_path, first + junk + second)
    assert urls(records) == ["https://e.org/0", "https://e.org/1"]
    (fault,) = faults(records)
    assert fault.byte_offset == len(first) and f"{len(junk)} bytes" in fault.detail


@pytest.mark.parametrize(("drop", "message"), [("Content-Length", "no Content-Length"), ("WARC-Type", "no WARC-Type")])
def test_a_record_without_a_required_header_is_malformed_not_skipped(tmp_path, drop, message):
    records = read(tmp_path, good_file(digest=False, **{drop: True}))
    assert urls(records)[-1] == f"https://e.org/{PAGES - 1}"
    (fault,) = faults(records)
    assert fault.reason == "malformed_warc" and message in fault.detail and fault.byte_offset == 0
    assert not [r for r in records if isinstance(r, Skipped)]


def test_a_response_block_that_is_no_http_response_is_malformed(tmp_path):
    records = read(tmp_path, good_file().replace(b"HTTP/1.1 200 OK", b"XTTP/1.1 200 OK", 1))
    (fault,) = faults(records)
    assert "HTTP status line" in fault.detail and urls(records) == ["https://e.org/1", "https://e.org/2"]


def test_a_file_cut_inside_a_header_loses_no_record_silently(tmp_path):
    data = good_file()
    cut = data[: data.rindex(b"WARC-Date") + 6]
    records = read(tmp_path, cut)
    assert urls(records) == ["https://e.org/0", "https://e.org/1"]
    (fault,) = faults(records)
    assert "ends inside the record's header" in fault.detail and fault.byte_offset == len(record(0)) * 2


def test_offsets_in_a_gzipped_file_are_those_of_the_members(tmp_path):
    members = [
        gzip.compress(record(0)),
        gzip.compress(record(1, length_delta=-7, digest=False)),
        gzip.compress(record(2)),
    ]
    records = read(tmp_path, b"".join(members), "x.warc.gz")
    assert urls(records) == ["https://e.org/0", "https://e.org/2"]
    (fault,) = faults(records)
    assert fault.byte_offset == len(members[0]) and fault.extra == {"uncompressed_offset": len(record(0))}


def test_a_corrupt_gzip_stream_is_quarantined_with_its_offset(tmp_path):
    first = gzip.compress(record(0))
    records = read(tmp_path, first + b"\x1f\x8b\x08\x00garbage-that-is-no-deflate-stream" * 3, "x.warc.gz")
    assert urls(records) == ["https://e.org/0"]
    (fault,) = faults(records)
    assert "corrupt gzip stream" in fault.detail


def test_a_warc_file_stored_inside_a_record_is_not_split(tmp_path):
    """A resource record holding a WARC file: its digest matches, so the inner records stay its content."""
    inner = record(7)
    import base64
    import hashlib

    digest = "sha1:" + base64.b32encode(hashlib.sha1(inner).digest()).decode()
    outer = (
        b"WARC/1.0\r\nWARC-Type: resource\r\nWARC-Record-ID: <urn:uuid:1>\r\nWARC-Target-URI: https://e.org/a.warc\r\n"
        b"Content-Type: application/warc\r\nWARC-Block-Digest: " + digest.encode() + b"\r\n"
        b"Content-Length: " + str(len(inner)).encode() + b"\r\n\r\n" + inner + b"\r\n\r\n"
    )
    records = read(tmp_path, outer + record(1))
    assert [getattr(r, "reason", None) for r in records] == ["warc_resource", None] and urls(records) == [
        "https://e.org/1"
    ]


def test_every_mutation_reconciles_in_a_run(tmp_path, run_recipe_yaml):
    """Through a whole run: every input record is a document, a drop or a quarantine, and the run is clean."""
    folder = tmp_path / "in"
    folder.mkdir()
    data = good_file(digest=False)
    length = re.search(rb"Content-Length: (\d+)", data)
    (folder / "swallow.warc").write_bytes(data[: length.start(1)] + str(len(data)).encode() + data[length.end(1) :])
    (folder / "short.warc").write_bytes(good_file(length_delta=-7, digest=False))
    (folder / "lf.warc").write_bytes(good_file(newline=b"\n"))
    report = run_recipe_yaml("stages: []\n", folder, tmp_path / "out")
    totals = report.summary["totals"]
    assert report.ok and totals["reconciled"]
    assert totals["kept"] == 2 + 2 + 3 and totals["quarantined_by_reason"] == {"malformed_warc": 2}


def test_the_reader_backends_agree_on_good_files(tmp_path):
    data = io.BytesIO()
    data.write(good_file())
    checked = read(tmp_path, data.getvalue())
    warcio = read(tmp_path, data.getvalue(), backend="warcio")
    assert [(d.id, d.text) for d in checked if hasattr(d, "text")] == [
        (d.id, d.text) for d in warcio if hasattr(d, "text")
    ]
