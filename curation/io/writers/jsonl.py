"""JSON-lines output, gzip (default) or zstd compressed, one object per document with flat metadata."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any

import orjson
from datatrove.data import Document

from curation.io.jsontext import bounded
from curation.io.writers.base import ShardWriter
from curation.io.writers.columns import document_to_row

JSONL_CODECS = ("gzip", "zstd", "none")
_EXTENSIONS = {"gzip": ".jsonl.gz", "zstd": ".jsonl.zst", "none": ".jsonl"}
FLUSH_BYTES = 1 << 20
_JSON_OPTIONS = orjson.OPT_APPEND_NEWLINE | orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS


def _json_default(value: Any) -> Any:
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "backslashreplace")
    return str(value)


@dataclass
class _OpenFile:
    handle: Any
    compressor: Any
    pending: list[bytes]
    pending_bytes: int = 0


class JsonlShardWriter(ShardWriter):
    """Write documents as JSON lines: ``{"id", "text", <metadata fields>}``."""

    name = "🐿 JSONL (atomic)"

    def __init__(
        self,
        output_folder,
        output_filename: str = "${rank}",
        compression: str = "gzip",
        compression_level: int | None = None,
        atomic_files: bool = True,
        label_separators: dict[str, str] | None = None,
    ):
        if compression not in JSONL_CODECS:
            raise ValueError(f"compression {compression!r} is not one of {', '.join(JSONL_CODECS)}")
        self.extension = _EXTENSIONS[compression]
        super().__init__(output_folder, output_filename, atomic_files, label_separators)
        self.compression = compression
        self.compression_level = compression_level
        self._files: dict[str, _OpenFile] = {}

    def _new_compressor(self):
        if self.compression == "gzip":
            level = 6 if self.compression_level is None else self.compression_level
            return zlib.compressobj(level, zlib.DEFLATED, zlib.MAX_WBITS | 16)
        if self.compression == "zstd":
            import zstandard

            level = 3 if self.compression_level is None else self.compression_level
            return zstandard.ZstdCompressor(level=level).compressobj()
        return None

    def _open(self, filename: str) -> _OpenFile:
        handle = self.output_folder.open(self.physical_name(filename), "wb")
        state = self._files[filename] = _OpenFile(handle, self._new_compressor(), [])
        return state

    def write_empty(self, filename: str) -> None:
        self._open(filename)

    def write_document(self, document: Document, filename: str) -> None:
        state = self._files.get(filename) or self._open(filename)
        row = document_to_row(document)
        try:
            line = orjson.dumps(row, default=_json_default, option=_JSON_OPTIONS)
        except orjson.JSONEncodeError:  # a value nested deeper than orjson encodes: stored as JSON text
            row = {key: bounded(value)[0] for key, value in row.items()}
            line = orjson.dumps(row, default=_json_default, option=_JSON_OPTIONS)
        state.pending.append(line)
        state.pending_bytes += len(line)
        if state.pending_bytes >= FLUSH_BYTES:
            self._drain(state)

    @staticmethod
    def _drain(state: _OpenFile) -> None:
        data = b"".join(state.pending)
        state.pending.clear()
        state.pending_bytes = 0
        state.handle.write(state.compressor.compress(data) if state.compressor else data)

    def finish_files(self) -> None:
        for state in self._files.values():
            self._drain(state)
            if state.compressor is not None:
                state.handle.write(state.compressor.flush())
            state.handle.close()
        self._files.clear()

    def discard_files(self) -> None:
        for state in self._files.values():
            state.handle.close()
        self._files.clear()
