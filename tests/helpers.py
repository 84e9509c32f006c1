"""Helpers that write real shards in each input format and read outputs back."""

from __future__ import annotations

import gzip
import io
import json
import random
import signal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import zstandard


def jsonl_bytes(records: list[dict[str, Any] | bytes]) -> bytes:
    """Encode records as JSON lines; ``bytes`` entries are written verbatim (for malformed lines)."""
    lines = [r if isinstance(r, bytes) else json.dumps(r).encode() for r in records]
    return b"".join(line + b"\n" for line in lines)


def write_jsonl(path: Path, records: list[dict[str, Any] | bytes]) -> Path:
    """Write a JSONL shard, compressed according to the suffix (.gz, .zst or plain)."""
    data = jsonl_bytes(records)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.name.endswith(".gz"):
        data = gzip.compress(data, mtime=0)
    elif path.name.endswith(".zst"):
        data = zstandard.ZstdCompressor().compress(data)
    path.write_bytes(data)
    return path


def write_parquet(path: Path, rows: list[dict[str, Any]], row_group_size: int | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows), path, row_group_size=row_group_size)
    return path


def write_warc(path: Path, pages: list[tuple[str, str, bytes]], extra_request: bool = True) -> Path:
    """Write a gzipped WARC with one response per (url, content_type, body) and a request before each."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        writer = WARCWriter(handle, gzip=True)
        for url, content_type, body in pages:
            if extra_request:
                request_headers = StatusAndHeaders("GET / HTTP/1.1", [("Host", "example.org")], is_http_request=True)
                writer.write_record(writer.create_warc_record(url, "request", http_headers=request_headers))
            headers = StatusAndHeaders("200 OK", [("Content-Type", content_type)], protocol="HTTP/1.1")
            record = writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=headers)
            writer.write_record(record)
    return path


_VOCABULARY = """
river mountain village harbour engine garden library market teacher doctor farmer painter window bridge forest
winter summer morning evening letter journey answer question history science music kitchen station island valley
castle meadow lantern pencil rocket planet ocean desert thunder quietly slowly bravely often never always carefully
suddenly warmly brightly early later builds carries finds opens writes reads paints follows remembers gathers
explains measures green old small bright heavy gentle distant modern ancient careful curious narrow silver
""".split()
_GLUE = ("the", "of", "and", "to", "with", "that", "in", "a")


def docs(n: int, prefix: str = "d", words: int = 80, seed: int = 0) -> list[dict[str, Any]]:
    """``n`` distinct, non-repetitive documents (they pass datatrove's Gopher rules) with one metadata field."""
    rng = random.Random(seed)
    records = []
    for i in range(n):
        tokens = [rng.choice(_VOCABULARY) if k % 3 else rng.choice(_GLUE) for k in range(words)]
        sentences = [" ".join(tokens[k : k + 10]).capitalize() + "." for k in range(0, words, 10)]
        records.append({"id": f"{prefix}{i}", "text": " ".join(sentences), "lang_hint": "en"})
    return records


def read_output_rows(out_dir: Path) -> list[dict[str, Any]]:
    """All rows of all visible Parquet/JSONL output shards (bookkeeping paths excluded)."""
    rows: list[dict[str, Any]] = []
    for path in sorted(out_dir.rglob("*")):
        relative = path.relative_to(out_dir)
        if any(part.startswith(("_", ".")) for part in relative.parts) or not path.is_file():
            continue
        if path.name.endswith(".parquet"):
            rows += pq.read_table(path).to_pylist()
        elif path.name.endswith(".jsonl.gz"):
            rows += [json.loads(line) for line in gzip.decompress(path.read_bytes()).splitlines()]
    return rows


def like_a_terminal_foreground_process() -> None:
    """``preexec_fn`` for a child that gets Ctrl-C: SIGINT at its default and unblocked, as a command started
    from an interactive shell has it. A child inherits an ignored or blocked SIGINT from the process that starts
    it (a test runner, a CI job, a background shell) and would then never see the Ctrl-C the test sends."""

    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
