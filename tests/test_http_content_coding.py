"""HTTP content codings in WARC responses: every coding browsers accept is undone, in the order applied; an
unsupported or corrupt coding is quarantined with a reason that names it, never blamed on the charset."""

from __future__ import annotations

import gzip
import io
import zlib

import brotli
import pytest
import zstandard

from curation.io.quarantine import Quarantined
from curation.io.readers import WarcShardReader
from curation.io.readers.http_body import ContentCodingError, decode_body, parse_codings

PAGE = "<html><body><p>Grüße aus Köln — ein Messer, das schneidet.</p></body></html>".encode()


def raw_deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(wbits=-15)
    return compressor.compress(data) + compressor.flush()


CODERS = {
    "gzip": gzip.compress,
    "x-gzip": gzip.compress,
    "deflate": zlib.compress,
    "br": brotli.compress,
    "zstd": lambda data: zstandard.ZstdCompressor().compress(data),
    "identity": lambda data: data,
}


@pytest.mark.parametrize("coding", sorted(CODERS))
def test_each_coding_is_undone(coding):
    assert decode_body(CODERS[coding](PAGE), coding.upper()) == PAGE


def test_raw_deflate_as_many_servers_send_it():
    assert decode_body(raw_deflate(PAGE), "deflate") == PAGE


def test_stacked_codings_are_undone_in_reverse_order():
    assert decode_body(brotli.compress(gzip.compress(PAGE)), "gzip, br") == PAGE
    assert decode_body(gzip.compress(zstandard.ZstdCompressor().compress(PAGE)), "zstd,identity, gzip") == PAGE
    assert parse_codings(" GZIP ,, identity,br") == ["gzip", "br"]


def test_multi_member_gzip_and_multi_frame_zstd_are_read_through():
    assert decode_body(gzip.compress(PAGE[:20]) + gzip.compress(PAGE[20:]), "gzip") == PAGE
    zstd = zstandard.ZstdCompressor()
    assert decode_body(zstd.compress(PAGE[:20]) + zstd.compress(PAGE[20:]), "zstd") == PAGE


def test_chunked_transfer_then_the_content_coding():
    coded = gzip.compress(PAGE)
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(coded[i : i + 50]), coded[i : i + 50]) for i in range(0, len(coded), 50))
    assert decode_body(chunked + b"0\r\n\r\n", "gzip", "chunked") == PAGE


def test_a_plain_body_labelled_as_compressed_is_kept_as_browsers_show_it():
    for coding in ("gzip", "br", "zstd", "deflate", "utf-8"):
        assert decode_body(PAGE, coding) == PAGE


def test_an_unknown_coding_names_itself():
    with pytest.raises(ContentCodingError) as raised:
        decode_body(b"\x1f\x9d\x90compressed-with-lzw", "compress")
    assert raised.value.coding == "compress" and not raised.value.supported and "'compress'" in str(raised.value)


def test_a_corrupt_stream_names_its_coding():
    with pytest.raises(ContentCodingError) as raised:
        decode_body(gzip.compress(PAGE)[:-12], "gzip")
    assert raised.value.coding == "gzip" and raised.value.supported


def _warc(tmp_path, coding: str, body: bytes):
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    path = tmp_path / "in" / "coded.warc.gz"
    path.parent.mkdir(exist_ok=True)
    with path.open("wb") as handle:
        writer = WARCWriter(handle, gzip=True)
        headers = StatusAndHeaders(
            "200 OK", [("Content-Type", "text/html; charset=utf-8"), ("Content-Encoding", coding)], protocol="HTTP/1.1"
        )
        writer.write_record(
            writer.create_warc_record("https://e.org/", "response", payload=io.BytesIO(body), http_headers=headers)
        )
    return path


@pytest.mark.parametrize("backend", ["checked", "warcio"])
@pytest.mark.parametrize("coding", ["zstd", "x-gzip", "gzip, br", "deflate"])
def test_the_reader_decodes_coded_pages(tmp_path, backend, coding):
    body = PAGE
    for name in parse_codings(coding):
        body = CODERS[name](body)
    _warc(tmp_path, coding, body)
    (document,) = [r for r in WarcShardReader(str(tmp_path / "in"), backend=backend).iter_records("coded.warc.gz")]
    assert document.text == PAGE.decode() and document.metadata["charset"] == "utf-8"


def test_the_reader_quarantines_an_unsupported_coding_by_name(tmp_path):
    _warc(tmp_path, "compress", b"\x1f\x9d\x90not-a-page")
    (record,) = WarcShardReader(str(tmp_path / "in")).iter_records("coded.warc.gz")
    assert isinstance(record, Quarantined) and record.reason == "unsupported_content_encoding"
    assert record.extra == {"content_encoding": "compress"} and "'compress'" in record.detail


@pytest.mark.parametrize(
    ("case", "text"), [("content-encoding-zstd", "puncture"), ("content-encoding-x-gzip", "knife")]
)
def test_the_bug_cases_are_decompressed_and_extracted(shared_data, run_recipe_yaml, tmp_path, case, text):
    from tests.helpers import read_output_rows

    recipe = "stages:\n  - extract_text\n  - stage: language_id\n    params: {label_only: true}\n"
    report = run_recipe_yaml(recipe, shared_data / "bugs" / case, tmp_path / "out")
    totals = report.summary["totals"]
    assert report.ok and totals["reconciled"] and totals["kept"] == 1 and not totals["quarantined_by_reason"]
    (row,) = read_output_rows(tmp_path / "out")
    assert row["url"].endswith(text) and row["language"] == "en" and len(row["text"]) > 100
