"""WARC shards: each HTML response record becomes a document whose text is the decoded HTML payload.

Turning the HTML into main text is a separate stage (``curation.extract``), so a recipe can choose the
extractor. Every other record type, and non-HTML responses, are counted as reader drops with a reason; a
record the reader cannot parse is quarantined (``malformed_warc``, with its offset), never counted as a drop.

Two parsing backends:

- ``checked`` (default for WARC): records are framed by ``curation.io.readers.warc_framing``, which checks
  every record's frame (a ``Content-Length`` that swallows the next records or stops short of its block,
  bytes between records that are no record, bare-LF header lines, a file that ends inside a header) and
  resynchronises after a fault, so one bad record costs that record only. fastwarc and warcio trust the
  length and silently merge, cut or drop records on such files; the HTTP layer is parsed with warcio's
  forgiving parser (bare-LF headers of older crawls such as ClueWeb);
- ``warcio``: reads legacy ARC files (the framer reads WARC only), so ``.arc``/``.arc.gz`` always use it, and it
  can be chosen for WARC with ``backend: warcio``.

Both check that a record's block is as long as its ``Content-Length`` says (a clipped or cut-off record is
quarantined instead of passed on as a silently truncated page), undo chunked transfer and content codings
(``curation.io.readers.http_body``: gzip, x-gzip, deflate, br, zstd, stacked; an unsupported or corrupt coding
is quarantined with a reason that names it), then decode to text.

Decoding to text lives here, not in the extraction stage: the reader is the only place that holds both the
payload bytes and the HTTP ``Content-Type`` header, and a ``Document`` carries text. The order is BOM, HTTP
charset, ``<meta charset>``, detection with the URL's top-level domain as a hint (``curation.extract.charset``);
the codec used and where it came from are kept in metadata (``charset``, ``charset_source``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from datatrove.data import Document
from datatrove.io import DataFolderLike

from curation.extract.charset import charset_from_content_type, decode_page
from curation.io.quarantine import Quarantined, QuarantineReason
from curation.io.readers.base import Record, ShardReader, Skipped, quarantine_unreadable
from curation.io.readers.http_body import ContentCodingError, MalformedHttpError, decode_body, parse_response
from curation.io.readers.warc_framing import FramingFault, RawRecord, iter_framed

HTML_TYPES = ("text/html", "application/xhtml+xml")
ARC_SUFFIXES = (".arc", ".arc.gz")
WarcBackend = Literal["checked", "warcio"]
_TYPE_NAME = re.compile(r"[^a-z0-9_]+")


@dataclass(slots=True)
class _Response:
    """What the reader needs from one HTML response record, whichever backend parsed it."""

    record_id: str | None
    url: str
    date: str | None
    content_type: str
    body: bytes
    content_encoding: str = ""
    transfer_encoding: str = ""


@dataclass(slots=True)
class _Malformed:
    """One record (or stretch of the file) that is not well-formed WARC; the records after it are still read."""

    detail: str
    record_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


_Parsed = _Response | Skipped | _Malformed | BaseException
"""A backend yields, per record, a response, a skip, a malformed record; or an exception that ends the file."""


class WarcShardReader(ShardReader):
    """Read WARC/ARC files (plain or gzipped); the id is the WARC-Record-ID, url and date are metadata."""

    name = "🕷 WARC (quarantining)"

    def __init__(self, data_folder: DataFolderLike, *, backend: WarcBackend = "checked", **kwargs: Any):
        super().__init__(data_folder, **kwargs)
        if backend not in ("checked", "warcio"):
            raise ValueError(f"unknown WARC backend {backend!r}; use 'checked' (the default) or 'warcio'")
        self.backend = backend

    def iter_records(self, filepath: str) -> Iterator[Record]:
        try:
            raw = self.data_folder.open(filepath, "rb")
        except OSError as error:
            yield quarantine_unreadable(filepath, error)
            return
        use_warcio = self.backend == "warcio" or filepath.lower().endswith(ARC_SUFFIXES)
        parse = _iter_warcio if use_warcio else _iter_checked
        seen = 0
        with raw:
            for offset, item in parse(raw, filepath):
                if isinstance(item, BaseException):
                    yield Quarantined(
                        filepath,
                        QuarantineReason.MALFORMED_WARC,
                        f"{type(item).__name__}: {item}; the rest of the file is unreadable",
                        byte_offset=offset,
                        row=seen,
                    )
                    return
                if isinstance(item, _Malformed):
                    yield Quarantined(
                        filepath,
                        QuarantineReason.MALFORMED_WARC,
                        item.detail,
                        byte_offset=offset,
                        row=seen,
                        record_id=item.record_id,
                        extra=item.extra,
                    )
                else:
                    yield self._to_record(item, filepath, offset, seen)
                seen += 1
        if seen == 0:
            yield Quarantined(filepath, QuarantineReason.EMPTY_FILE, "the file holds no WARC records")

    def _to_record(self, item: _Response | Skipped, filepath: str, offset: int | None, index: int) -> Record:
        if isinstance(item, Skipped):
            return item
        where = {"byte_offset": offset, "row": index, "record_id": item.record_id}
        try:
            payload = decode_body(item.body, item.content_encoding, item.transfer_encoding)
        except ContentCodingError as error:
            reason = (
                QuarantineReason.CORRUPT_CONTENT_ENCODING
                if error.supported
                else QuarantineReason.UNSUPPORTED_CONTENT_ENCODING
            )
            return Quarantined(filepath, reason, str(error), extra={"content_encoding": error.coding}, **where)
        decoded = decode_page(payload, charset_from_content_type(item.content_type), url=item.url)
        if decoded is None:
            return Quarantined(
                filepath,
                QuarantineReason.UNDECODABLE_PAYLOAD,
                f"no charset decodes the {len(payload)}-byte payload",
                **where,
            )
        metadata = {
            "url": item.url,
            "date": item.date,
            "content_type": item.content_type,
            "charset": decoded.charset,
            "charset_source": decoded.source,
        }
        if self.default_metadata:
            metadata = self.default_metadata | metadata
        return Document(text=decoded.text, id=item.record_id or f"{filepath}@{offset}", metadata=metadata)


def _clean_uri(value: str | None) -> str:
    """wget writes ``WARC-Target-URI: <http://...>``; the angle brackets are not part of the URL."""
    return (value or "").strip().strip("<>")


def _truncated(declared: int, actual: int) -> str:
    return (
        f"truncated record: {actual} of the {declared} bytes its Content-Length announces "
        "(the file was cut or the record clipped)"
    )


def _iter_checked(raw, filepath: str) -> Iterator[tuple[int | None, _Parsed]]:
    """Records framed and checked by ``warc_framing``; the HTTP layer of responses parsed by ``http_body``."""
    compressed = filepath.lower().endswith(".gz")
    for item in iter_framed(raw, compressed):
        extra = {"uncompressed_offset": item.uncompressed_offset} if compressed else {}
        if isinstance(item, FramingFault):
            yield item.offset, _Malformed(item.detail, item.record_id, extra)
            if item.fatal:
                return
            continue
        yield item.offset, _checked_record(item, extra)


def _checked_record(record: RawRecord, extra: dict[str, Any]) -> _Response | Skipped | _Malformed:
    headers = record.headers
    record_id = headers.get("warc-record-id")
    if record.truncated:
        return _Malformed(_truncated(record.declared_length, len(record.block)), record_id, extra)
    record_type = headers.get("warc-type", "").strip().lower()
    if not record_type:
        return _Malformed("the record has no WARC-Type header", record_id, extra)
    if record_type != "response":
        return Skipped(f"warc_{_TYPE_NAME.sub('_', record_type)}")
    content_type, content_encoding, transfer_encoding, body = "", "", "", record.block
    if headers.get("content-type", "").lower().startswith("application/http"):
        try:
            http = parse_response(record.block)
        except MalformedHttpError as error:
            return _Malformed(f"response record: {error}", record_id, extra)
        content_type, body = http.content_type, http.body
        content_encoding, transfer_encoding = http.content_encoding, http.transfer_encoding
    content_type = (content_type or headers.get("warc-identified-payload-type") or "").strip().lower()
    if not content_type.startswith(HTML_TYPES):
        return Skipped("non_html")
    return _Response(
        record_id=record_id,
        url=_clean_uri(headers.get("warc-target-uri")),
        date=headers.get("warc-date"),
        content_type=content_type,
        body=body,
        content_encoding=content_encoding,
        transfer_encoding=transfer_encoding,
    )


def _iter_warcio(raw, filepath: str) -> Iterator[tuple[int | None, _Parsed]]:
    from warcio.archiveiterator import ArchiveIterator

    records = ArchiveIterator(raw, arc2warc=True)
    while True:
        try:
            record = next(records)
        except StopIteration:
            return
        except Exception as error:  # warcio raises ArchiveLoadFailed, ValueError, EOFError, zlib.error
            yield getattr(records, "offset", None), error
            return
        offset = records.offset  # start of this record (get_record_offset() would consume it)
        headers = record.rec_headers
        record_id = headers.get_header("WARC-Record-ID")
        try:
            if not record.rec_type:
                yield offset, _Malformed("the record has no WARC-Type header", record_id)
                continue
            if record.rec_type != "response":
                yield offset, Skipped(f"warc_{_TYPE_NAME.sub('_', record.rec_type.lower())}")
                continue
            http = record.http_headers
            content_type = (http.get_header("Content-Type") if http is not None else None) or ""
            content_type = (content_type or headers.get_header("WARC-Identified-Payload-Type") or "").strip()
            content_type = content_type.lower()
            if not content_type.startswith(HTML_TYPES):
                yield offset, Skipped("non_html")
                continue
            body = record.raw_stream.read()
        except Exception as error:
            yield offset, _Malformed(f"{type(error).__name__}: {error}", record_id)
            continue
        yield (
            offset,
            _Response(
                record_id=record_id,
                url=_clean_uri(headers.get_header("WARC-Target-URI")),
                date=headers.get_header("WARC-Date"),
                content_type=content_type,
                body=body,
                content_encoding=(http.get_header("Content-Encoding") or "") if http is not None else "",
                transfer_encoding=(http.get_header("Transfer-Encoding") or "") if http is not None else "",
            ),
        )
