"""Reading and writing dedup state in a work folder (any fsspec location), never leaving a partial file.

Every file is written under a temporary name and renamed into place, so a task killed midway leaves
either the old state or the new one; rerunning a task simply overwrites. Arrays are NumPy ``.npz``
(several named arrays per file, each loaded only when asked for), tables are Parquet.
"""

from __future__ import annotations

import io
import json
import os
import uuid
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from datatrove.io import DataFolder
from fsspec.implementations.local import LocalFileSystem


def _is_local(folder: DataFolder) -> bool:
    return isinstance(folder.fs, LocalFileSystem)


def _make_parent(folder: DataFolder, path: str) -> None:
    if _is_local(folder):
        os.makedirs(os.path.dirname(folder.resolve_paths(path)), exist_ok=True)
        return
    parent = path.rsplit("/", 1)[0] if "/" in path else ""
    if parent:
        folder.makedirs(parent, exist_ok=True)


def _write_local_durably(full_path: str, data: bytes) -> None:
    with open(full_path, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _sync_directory(full_path: str) -> None:
    descriptor = os.open(os.path.dirname(full_path) or ".", os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def write_bytes(folder: DataFolder, path: str, data: bytes, *, durable: bool = False) -> None:
    """Write ``data`` to ``path`` in ``folder`` atomically (temporary name, then rename).

    ``durable``: on a local disk, also flush the file and its directory to the device before returning, so
    not even a power cut can leave the rename without the data (for small files many runs share: an index
    manifest). Object stores replace an object whole anyway.
    """
    _make_parent(folder, path)
    temporary = f"{path}.tmp-{uuid.uuid4().hex[:12]}"
    if durable and _is_local(folder):
        _write_local_durably(folder.resolve_paths(temporary), data)
        os.replace(folder.resolve_paths(temporary), folder.resolve_paths(path))
        _sync_directory(folder.resolve_paths(path))
        return
    with folder.open(temporary, "wb") as handle:
        handle.write(data)
    folder.mv(temporary, path)


def create_exclusive(folder: DataFolder, path: str, data: bytes) -> bool:
    """Create ``path`` holding ``data`` unless it exists; True when this call created it.

    Atomic on a local disk (the data is written under a temporary name and hard-linked into place, which fails
    if the name exists, so nobody ever sees the file half written) and on file systems with an exclusive
    create mode (``xb``). Elsewhere it is check-then-write, which two processes can race.
    """
    _make_parent(folder, path)
    if _is_local(folder):
        temporary = folder.resolve_paths(f"{path}.tmp-{uuid.uuid4().hex[:12]}")
        _write_local_durably(temporary, data)
        try:
            os.link(temporary, folder.resolve_paths(path))
        except FileExistsError:
            return False
        finally:
            os.unlink(temporary)
        _sync_directory(folder.resolve_paths(path))
        return True
    try:
        with folder.open(path, "xb") as handle:
            handle.write(data)
        return True
    except FileExistsError:
        return False
    except (ValueError, NotImplementedError):  # no exclusive mode on this file system
        if folder.exists(path):
            return False
        write_bytes(folder, path, data)
        return True


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


def save_json(folder: DataFolder, path: str, value: Any, *, durable: bool = False) -> None:
    write_bytes(folder, path, json.dumps(value, indent=1, sort_keys=True).encode(), durable=durable)


def load_json(folder: DataFolder, path: str) -> Any:
    return json.loads(read_bytes(folder, path))
