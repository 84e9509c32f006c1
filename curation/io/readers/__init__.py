"""Shard readers that account for every record: documents, reader drops, or quarantine."""

from curation.io.readers.base import Record, ShardReader, Skipped
from curation.io.readers.jsonl import JsonlShardReader
from curation.io.readers.parquet import IntermediateShardReader, ParquetShardReader
from curation.io.readers.warc import WarcShardReader

READERS_BY_FORMAT: dict[str, type[ShardReader]] = {
    "jsonl": JsonlShardReader,
    "parquet": ParquetShardReader,
    "warc": WarcShardReader,
}

__all__ = [
    "READERS_BY_FORMAT",
    "IntermediateShardReader",
    "JsonlShardReader",
    "ParquetShardReader",
    "Record",
    "ShardReader",
    "Skipped",
    "WarcShardReader",
]
