"""Find the input shards of a run and name the output shard each one becomes.

A shard is one input file. The run keeps a one-to-one mapping from input shard to output shard (same
relative path, format suffix swapped), which is what makes resuming at shard granularity possible.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from datatrove.io import DataFolder
from loguru import logger

FORMAT_SUFFIXES: dict[str, tuple[str, ...]] = {
    "jsonl": (
        ".jsonl",
        ".jsonl.gz",
        ".jsonl.zst",
        ".jsonl.zstd",
        ".ndjson",
        ".ndjson.gz",
        ".ndjson.zst",
        ".ndjson.zstd",
        ".json",
        ".json.gz",
        ".json.zst",
        ".json.zstd",
    ),
    "parquet": (".parquet", ".pq"),
    "warc": (".warc", ".warc.gz", ".arc", ".arc.gz"),
}
INPUT_FORMATS = tuple(FORMAT_SUFFIXES)


class ShardDiscoveryError(ValueError):
    """The input selection is empty, ambiguous or names files of an unknown format."""


@dataclass(frozen=True, slots=True)
class Shard:
    """One input file and the name its outputs carry (``stem``: relative path without the format suffix)."""

    index: int
    path: str
    format: str
    stem: str


def detect_format(path: str) -> str | None:
    """Return the input format implied by a file name, or None if the suffix is not one we read."""
    lowered = path.lower()
    for fmt, suffixes in FORMAT_SUFFIXES.items():
        if lowered.endswith(suffixes):
            return fmt
    return None


def strip_format_suffix(path: str, fmt: str) -> str:
    """Drop the longest known suffix of ``fmt`` from ``path`` (``a/b.jsonl.gz`` -> ``a/b``)."""
    lowered = path.lower()
    for suffix in sorted(FORMAT_SUFFIXES.get(fmt, ()), key=len, reverse=True):
        if lowered.endswith(suffix):
            return path[: -len(suffix)]
    return path.rsplit(".", 1)[0] if "." in path.rsplit("/", 1)[-1] else path


def _is_hidden(path: str) -> bool:
    """Paths with a part starting with ``_`` or ``.`` are bookkeeping (markers, staging), as in pyarrow."""
    return any(part.startswith(("_", ".")) for part in path.split("/"))


def discover_shards(
    folder: DataFolder,
    *,
    glob: str | None = None,
    fmt: str = "auto",
    recursive: bool = True,
    exclude: Iterable[str] = (),
) -> list[Shard]:
    """List the input shards under ``folder`` in a stable (sorted) order.

    With ``fmt="auto"`` each file's format comes from its suffix; files of unknown formats are an error when
    a glob selected them explicitly and are otherwise left out with a warning that names them. Hidden and
    ``_``-prefixed paths are skipped so that an output directory inside the input directory is never read back
    as input.
    """
    excluded = tuple(p.rstrip("/") + "/" for p in exclude if p)
    if not folder.fs.exists(folder.path):
        raise ShardDiscoveryError(f"input directory {folder.path!r} does not exist")
    try:
        paths = folder.list_files(recursive=recursive, glob_pattern=glob)
    except FileNotFoundError as error:
        raise ShardDiscoveryError(f"input directory {folder.path!r} does not exist") from error
    paths = [p for p in paths if not _is_hidden(p) and not (p + "/").startswith(excluded)]
    written = _curated_output_files(folder)
    if written is not None:
        # a curated output read as input: its shards are the files its completion markers list, not the run's
        # own bookkeeping beside them (summary.json, topic tables, reports), which readable suffixes would take
        paths = [p for p in paths if p in written]
    shards: list[Shard] = []
    unknown: list[str] = []
    for path in paths:
        shard_format = detect_format(path) if fmt == "auto" else fmt
        if shard_format is None:
            unknown.append(path)
            continue
        shards.append(Shard(len(shards), path, shard_format, strip_format_suffix(path, shard_format)))
    if unknown and glob:
        shown = ", ".join(unknown[:5]) + (" …" if len(unknown) > 5 else "")
        raise ShardDiscoveryError(
            f"input.glob {glob!r} selected {len(unknown)} file(s) whose format cannot be told from the name "
            f"({shown}); set input.format to one of {', '.join(INPUT_FORMATS)}"
        )
    if unknown:
        shown = ", ".join(unknown[:5]) + (" …" if len(unknown) > 5 else "")
        logger.warning(
            f"{len(unknown)} file(s) under {folder.path!r} are not read: their format cannot be told from the name "
            f"({shown}); set input.format or input.glob to read them"
        )
    if not shards:
        where = f"{folder.path!r}" + (f" matching {glob!r}" if glob else "")
        raise ShardDiscoveryError(
            f"no input shards found in {where}; readable suffixes: "
            + ", ".join(s for suffixes in FORMAT_SUFFIXES.values() for s in suffixes)
        )
    _check_unique_stems(shards)
    return shards


def _curated_output_files(folder: DataFolder) -> set[str] | None:
    """The data files a curated output's completion markers list, or None when ``folder`` is not one."""
    import orjson

    from curation.io.layout import MARKERS_DIR

    try:
        markers = folder.list_files(MARKERS_DIR, glob_pattern="*.done.json")
    except (FileNotFoundError, OSError):
        return None
    files: set[str] = set()
    for marker in markers:
        try:
            with folder.open(marker, "rb") as handle:
                files.update(orjson.loads(handle.read()).get("files", []))
        except (OSError, ValueError, AttributeError):
            continue
    return files or None


def _check_unique_stems(shards: list[Shard]) -> None:
    seen: dict[str, str] = {}
    for shard in shards:
        if shard.stem in seen:
            raise ShardDiscoveryError(
                f"input shards {seen[shard.stem]!r} and {shard.path!r} would both write output {shard.stem!r}; "
                "rename one or narrow input.glob"
            )
        seen[shard.stem] = shard.path


def single_file_shard(name: str, fmt: str = "auto") -> list[Shard]:
    """The one shard of a run whose input is a single file (``name`` relative to its folder)."""
    shard_format = detect_format(name) if fmt == "auto" else fmt
    if shard_format is None:
        raise ShardDiscoveryError(
            f"cannot tell the format of {name!r} from its name; set input.format to one of {', '.join(INPUT_FORMATS)}"
        )
    return [Shard(0, name, shard_format, strip_format_suffix(name, shard_format))]
