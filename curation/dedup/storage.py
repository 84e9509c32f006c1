"""Reading and writing dedup state in a work folder (any fsspec location), never leaving a partial file.

Every file is written under a temporary name and renamed into place, so a task killed midway leaves
either the old state or the new one; rerunning a task simply overwrites. Arrays are NumPy ``.npz``
(several named arrays per file, each loaded only when asked for), tables are Parquet.
"""

from __future__ import annotations

import io
import json
import uuid
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from datatrove.io import DataFolder


def write_bytes(folder: DataFolder, path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` in ``folder`` atomically (temporary name, then rename)."""
    parent = path.rsplit("/", 1)[0] if "/" in path else ""
    if parent:
        folder.makedirs(parent, exist_ok=True)
    temporary = f"{path}.tmp-{uuid.uuid4().hex[:12]}"
    with folder.open(temporary, "wb") as handle:
        handle.write(data)
    folder.mv(temporary, path)


def read_bytes(folder: DataFolder, path: str) -> bytes:
    with folder.open(path, "rb") as handle:
        return handle.read()


def save_arrays(folder: DataFolder, path: str, **arrays: np.ndarray) -> None:
    """Several named arrays in one ``.npz`` file (uncompressed: hashes do not compress)."""
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    write_bytes(folder, path, buffer.getvalue())


def load_arrays(folder: DataFolder, path: str) -> dict[str, np.ndarray]:
    with np.load(io.BytesIO(read_bytes(folder, path)), allow_pickle=False) as archive:
        return {name: archive[name] for name in archive.files}


def save_table(folder: DataFolder, path: str, columns: dict[str, Any]) -> None:
    """A Parquet table from a mapping of column name to list or array."""
    buffer = io.BytesIO()
    pq.write_table(pa.table(columns), buffer, compression="zstd")
    write_bytes(folder, path, buffer.getvalue())


def load_table(folder: DataFolder, path: str, columns: list[str] | None = None) -> pa.Table:
    return pq.read_table(io.BytesIO(read_bytes(folder, path)), columns=columns)


def save_json(folder: DataFolder, path: str, value: Any) -> None:
    write_bytes(folder, path, json.dumps(value, indent=1, sort_keys=True).encode())


def load_json(folder: DataFolder, path: str) -> Any:
    return json.loads(read_bytes(folder, path))
