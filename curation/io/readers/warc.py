"""WARC shards: each HTML response record becomes a document whose text is the decoded HTML payload.

Turning the HTML into main text is a separate stage (``curation.extract``), so a recipe can choose the
extractor. Every other record type, and non-HTML responses, are counted as reader drops with a reason.
"""

from __future__ import annotations

from collections.abc import Iterator

from datatrove.data import Document

from curation.io.quarantine import Quarantined, QuarantineReason
from curation.io.readers.base import Record, ShardReader, Skipped, quarantine_unreadable

HTML_TYPES = ("text/html", "application/xhtml+xml")


class WarcShardReader(ShardReader):
    """Read WARC/ARC files (plain or record-gzipped); the id is the WARC-Record-ID, url and date are metadata."""

    name = "🕷 WARC (quarantining)"

    def iter_records(self, filepath: str) -> Iterator[Record]:
        from warcio.archiveiterator import ArchiveIterator

        try:
            raw = self.data_folder.open(filepath, "rb")
        except OSError as error:
            yield quarantine_unreadable(filepath, error)
            return
        with raw:
            records = ArchiveIterator(raw, arc2warc=True)
            seen = 0
            while True:
                try:
                    record = next(records)
                except StopIteration:
                    break
                except Exception as error:  # warcio raises ArchiveLoadFailed, ValueError, EOFError, zlib.error
                    yield Quarantined(
                        filepath,
                        QuarantineReason.MALFORMED_WARC,
                        f"{type(error).__name__}: {error}; the rest of the file is unreadable",
                        byte_offset=getattr(records, "offset", None),
                        row=seen,
                    )
                    return
                offset = records.offset  # start of this record (get_record_offset() would consume it)
                try:
                    yield self._record_to_document(record, filepath, offset)
                except Exception as error:
                    yield Quarantined(
                        filepath,
                        QuarantineReason.MALFORMED_WARC,
                        f"{type(error).__name__}: {error}",
                        byte_offset=offset,
                        row=seen,
                    )
                seen += 1
            if seen == 0:
                yield Quarantined(filepath, QuarantineReason.EMPTY_FILE, "the file holds no WARC records")

    def _record_to_document(self, record, filepath: str, offset: int) -> Record:
        if record.rec_type != "response":
            return Skipped(f"warc_{record.rec_type}")
        content_type = _content_type(record)
        if not content_type.startswith(HTML_TYPES):
            return Skipped("non_html")
        payload = record.content_stream().read()
        html = _decode_payload(payload, content_type)
        headers = record.rec_headers
        record_id = headers.get_header("WARC-Record-ID")
        if html is None:
            return Quarantined(
                filepath,
                QuarantineReason.UNDECODABLE_PAYLOAD,
                f"no charset decodes the {len(payload)}-byte payload",
                byte_offset=offset,
                record_id=record_id,
            )
        url = (headers.get_header("WARC-Target-URI") or "").strip().strip("<>")
        metadata = {"url": url, "date": headers.get_header("WARC-Date"), "content_type": content_type}
        if self.default_metadata:
            metadata = self.default_metadata | metadata
        return Document(text=html, id=record_id or f"{filepath}@{offset}", metadata=metadata)


def _content_type(record) -> str:
    http = record.http_headers
    value = http.get_header("Content-Type") if http is not None else None
    value = value or record.rec_headers.get_header("WARC-Identified-Payload-Type") or ""
    return value.strip().lower()


def _decode_payload(payload: bytes, content_type: str) -> str | None:
    """Decode with the HTTP charset, then UTF-8, then a detected charset; None if nothing works."""
    candidates: list[str] = []
    if "charset=" in content_type:
        candidates.append(content_type.split("charset=", 1)[1].split(";")[0].strip(" \"'"))
    candidates.append("utf-8")
    for charset in candidates:
        try:
            return payload.decode(charset)
        except (UnicodeDecodeError, LookupError):
            continue
    import cchardet

    detected = cchardet.detect(payload).get("encoding")
    if detected:
        try:
            return payload.decode(detected)
        except (UnicodeDecodeError, LookupError):
            return None
    return None
