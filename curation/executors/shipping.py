"""Sending model folders that only the client has to the Dask workers, once per run (``--ship-models``).

A model folder on the client's disk is often not on the workers' (it was just trained, or lives in a home
folder no worker mounts). Rather than make the user copy it, the run can send it: each folder is packed into
a zip archive (stored, not compressed: model weights do not compress) and registered as a Dask worker plugin,
which the scheduler hands to every worker, including workers that join later; each worker unpacks it into its
own scratch directory (``local_directory``) and uses that copy in place of the client's path. Unregistering the
plugin at the end of the run removes the copies.

The archives travel through the scheduler and stay in its memory for the run, so the total is limited
(``SHIP_LIMIT_BYTES``, 1 GiB by default); bigger models belong on a shared filesystem or an object store.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import zipfile
from typing import Any

from distributed.diagnostics.plugin import WorkerPlugin

from curation.executors.probe import SHIPPED_MODELS_ATTRIBUTE
from curation.executors.runner import RunConfigurationError

SHIP_LIMIT_BYTES = 1 << 30
"""The most bytes of model files one run sends to the workers."""
SCRATCH_FOLDER = "curation-models"


class ModelShippingError(RunConfigurationError):
    """Model folders too big (or unreadable) to send to the workers; nothing was run."""


def size_of(path: str) -> int:
    """Bytes in a file, or in every file under a folder."""
    if os.path.isfile(path):
        return os.path.getsize(path)
    return sum(os.path.getsize(os.path.join(root, name)) for root, _, names in os.walk(path) for name in names)


def pack(path: str) -> bytes:
    """A zip archive of a file or folder, its entries under the file's or folder's own name."""
    buffer = io.BytesIO()
    base = os.path.basename(path.rstrip("/"))
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        if os.path.isfile(path):
            archive.write(path, base)
        else:
            for root, directories, names in os.walk(path):
                directories.sort()
                for name in sorted(names):
                    full = os.path.join(root, name)
                    archive.write(full, os.path.join(base, os.path.relpath(full, path)))
    return buffer.getvalue()


class ShippedModels(WorkerPlugin):
    """A Dask worker plugin carrying packed model folders; see the module docstring.

    ``archives`` maps each model path as the client names it to its packed bytes; on a worker,
    ``getattr(worker, SHIPPED_MODELS_ATTRIBUTE)`` then maps the same paths to the unpacked copies.
    """

    def __init__(self, archives: dict[str, bytes]):
        digest = hashlib.sha256()
        for path, data in sorted(archives.items()):
            digest.update(path.encode() + b"\0" + hashlib.sha256(data).digest())
        self.key = digest.hexdigest()[:16]
        self.name = f"curation-shipped-models-{self.key}"
        self.archives = archives

    def _root(self, worker: Any) -> str:
        return os.path.join(worker.local_directory, SCRATCH_FOLDER, self.key)

    def setup(self, worker: Any) -> None:
        root = self._root(worker)
        mapping = dict(getattr(worker, SHIPPED_MODELS_ATTRIBUTE, None) or {})
        for index, (path, data) in enumerate(sorted(self.archives.items())):
            target = os.path.join(root, str(index))
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                archive.extractall(target)
            mapping[path] = os.path.join(target, os.path.basename(path.rstrip("/")))
        setattr(worker, SHIPPED_MODELS_ATTRIBUTE, mapping)

    def teardown(self, worker: Any) -> None:
        mapping = dict(getattr(worker, SHIPPED_MODELS_ATTRIBUTE, None) or {})
        for path in self.archives:
            mapping.pop(path, None)
        setattr(worker, SHIPPED_MODELS_ATTRIBUTE, mapping)
        shutil.rmtree(self._root(worker), ignore_errors=True)


def ship(client: Any, paths: list[str], limit: int = SHIP_LIMIT_BYTES) -> ShippedModels:
    """Pack ``paths`` and register them with every worker of ``client``'s cluster; ``ModelShippingError`` when
    together they are bigger than ``limit`` bytes."""
    sizes = {path: size_of(path) for path in paths}
    total = sum(sizes.values())
    if total > limit:
        largest = max(sizes, key=sizes.__getitem__)
        raise ModelShippingError(
            f"the model files to send to the Dask workers take {_size(total)} (the largest, {largest}, "
            f"{_size(sizes[largest])}), more than the {_size(limit)} a run sends through the scheduler; put them "
            "where every worker reads them: a shared filesystem mounted at the same path, or an object store"
        )
    plugin = ShippedModels({path: pack(path) for path in paths})
    client.register_plugin(plugin, name=plugin.name)
    return plugin


def unship(client: Any, plugin: ShippedModels) -> None:
    """Remove the copies from the workers and the archives from the scheduler."""
    client.unregister_worker_plugin(plugin.name)


def _size(count: int) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if count >= scale:
            return f"{count / scale:.1f} {unit}"
    return f"{count} bytes"
