"""Output writers: Parquet (default) and JSON lines, with safe templated names and atomic files."""

from curation.io.writers.base import ShardWriter, safe_path_component
from curation.io.writers.jsonl import JSONL_CODECS, JsonlShardWriter
from curation.io.writers.parquet import PARQUET_CODECS, ParquetShardWriter

WRITERS_BY_FORMAT: dict[str, type[ShardWriter]] = {"parquet": ParquetShardWriter, "jsonl": JsonlShardWriter}
CODECS_BY_FORMAT: dict[str, tuple[str, ...]] = {"parquet": PARQUET_CODECS, "jsonl": JSONL_CODECS}

__all__ = [
    "CODECS_BY_FORMAT",
    "JSONL_CODECS",
    "PARQUET_CODECS",
    "WRITERS_BY_FORMAT",
    "JsonlShardWriter",
    "ParquetShardWriter",
    "ShardWriter",
    "safe_path_component",
]
