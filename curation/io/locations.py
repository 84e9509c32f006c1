"""The input and output locations of a run: a folder or a single file, local or any fsspec URL.

Resolving them first turns the usual mistakes into one-line errors before any work starts: a URL whose
filesystem package is not installed (``s3://`` without ``s3fs`` names the package and the extra to install),
an unknown URL scheme, an output path that is an existing file. An input path that is a single file is a run
over that one shard.

Local paths are made absolute on the machine that starts a run (``absolute_location``) before anything is sent
to workers: a Dask worker runs in a working directory of its own, often on another machine, where a relative
path names something else. URLs (``s3://``, ``gs://``, ``memory://``, ...) pass through unchanged.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from datatrove.io import DataFolder, get_datafolder

FILESYSTEM_PACKAGES: dict[str, tuple[str, str]] = {
    "s3": ("s3fs", "s3"),
    "s3a": ("s3fs", "s3"),
    "gs": ("gcsfs", "gcs"),
    "gcs": ("gcsfs", "gcs"),
    "az": ("adlfs", "azure"),
    "abfs": ("adlfs", "azure"),
    "abfss": ("adlfs", "azure"),
    "adl": ("adlfs", "azure"),
}
"""URL scheme -> (the fsspec package that reads it, the extra of this project that installs it)."""


class LocationError(ValueError):
    """An input or output location that cannot be used, with what to do about it."""


@dataclass(frozen=True)
class InputLocation:
    """Where the input shards are: ``folder``, and ``single_file`` (relative to it) when one file was given."""

    folder: DataFolder
    single_file: str | None = None


def _protocol(url: str) -> str:
    from fsspec.utils import get_protocol

    return get_protocol(url)


LOCAL_PROTOCOLS = ("file", "local")
LOCAL_URL_PREFIXES = ("file://", "local://")


def is_url(path: str) -> bool:
    """Whether ``path`` names a location through a filesystem other than this machine's (``s3://b/x``, a
    chained ``simplecache::s3://...``); ``file://`` URLs and plain paths are local."""
    return _protocol(path) not in LOCAL_PROTOCOLS


def absolute_location(path: str) -> str:
    """``path`` made absolute in this process's working directory (``~`` expanded); URLs unchanged.

    A ``file://`` URL keeps its scheme. Symbolic links are kept as written: on a cluster, the name under
    which every machine mounts a shared folder is what must travel, not where it points on this one.
    """
    if is_url(path):
        return path
    for prefix in LOCAL_URL_PREFIXES:
        if path.startswith(prefix):
            return prefix + os.path.abspath(os.path.expanduser(path[len(prefix) :]))
    return os.path.abspath(os.path.expanduser(path))


def open_folder(url: str, storage_options: dict[str, Any] | None, role: str) -> DataFolder:
    """A ``DataFolder`` for ``url``; ``LocationError`` when its filesystem cannot be used here.

    ``role`` (``input``, ``output``) names the location in messages.
    """
    protocol = _protocol(url)
    if protocol not in LOCAL_PROTOCOLS:
        _check_filesystem(url, protocol, role)
    try:
        return get_datafolder((url, dict(storage_options or {})))
    except ImportError as error:
        raise LocationError(f"{role} {url!r}: {error}") from None


def _check_filesystem(url: str, protocol: str, role: str) -> None:
    import fsspec

    try:
        fsspec.get_filesystem_class(protocol)
    except ImportError as error:
        package, extra = FILESYSTEM_PACKAGES.get(protocol, (None, None))
        if package is None:
            raise LocationError(f"{role} {url!r} needs a package fsspec names: {error}") from None
        raise LocationError(
            f"{role} {url!r} needs the {package} package to read {protocol}:// URLs: "
            f"pip install {package} (or pip install 'curation[{extra}]')"
        ) from None
    except ValueError:
        raise LocationError(
            f"{role} {url!r}: unknown URL scheme {protocol!r}; give a local path or an fsspec URL "
            "(s3://, gs://, az://, hf://, https://, ...)"
        ) from None


def resolve_input(url: str, storage_options: dict[str, Any] | None = None) -> InputLocation:
    """The input: a folder of shards, or one file (then the folder is its parent)."""
    folder = open_folder(url, storage_options, "input")
    if folder.fs.isfile(folder.path):
        parent, _, name = folder.path.rstrip("/").rpartition("/")
        return InputLocation(DataFolder(parent or "/", fs=folder.fs), name)
    return InputLocation(folder)


def resolve_output(url: str, storage_options: dict[str, Any] | None = None) -> DataFolder:
    """The output folder (created as needed); an existing file at that path is an error."""
    folder = open_folder(url, storage_options, "output")
    if folder.fs.isfile(folder.path):
        raise LocationError(
            f"output {url!r} is an existing file; give a folder (it is created if missing) for the curated shards"
        )
    return folder
