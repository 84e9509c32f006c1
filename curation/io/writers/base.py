"""What every output writer shares: file names from a template, safe path parts, files renamed when complete.

Writers are datatrove pipeline steps. A file name template may use ``${rank}`` and any metadata field
(``${domain}/${rank}`` routes documents by domain). Metadata values become single path components after
sanitising (``curation.io.writers.naming``), so a hostile label (``../x``, ``/etc``, NUL, ``CON``,
``summary.json``, a 10 kB string) can never write outside the output folder nor over the run's own files.
Each file is written under a temporary name and renamed only when complete.
"""

from __future__ import annotations

import uuid
from abc import abstractmethod
from collections import Counter
from string import Template
from typing import Any, ClassVar

from datatrove.data import Document, DocumentsPipeline
from datatrove.io import DataFolder, DataFolderLike, get_datafolder
from datatrove.pipeline.base import PipelineStep

from curation.io.layout import RUN_OWN_NAMES
from curation.io.writers.naming import safe_path_component

__all__ = ["TOKEN_COUNT_FIELD", "ShardWriter", "safe_path_component"]

TOKEN_COUNT_FIELD = "token_count"
"""Metadata field whose integer values writers sum per output file (stages that tokenise set it)."""


class _SafeMapping(dict):
    """Template values: rank as given, metadata values made safe path components, missing keys ``unknown``."""

    def __init__(self, rank: str, metadata: dict[str, Any], forbidden: dict[str, str]):
        super().__init__()
        self.rank = rank
        self.metadata = metadata
        self.forbidden = forbidden

    def __missing__(self, key: str) -> str:
        if key == "rank":
            return self.rank
        return safe_path_component(self.metadata.get(key), self.forbidden.get(key, ""))


class ShardWriter(PipelineStep):
    """Base writer: subclasses buffer and encode documents for one open file each."""

    type = "💽 - WRITER"
    extension: ClassVar[str] = ""

    def __init__(
        self,
        output_folder: DataFolderLike,
        output_filename: str = "${rank}",
        atomic_files: bool = True,
        label_separators: dict[str, str] | None = None,
    ):
        """``label_separators``: per metadata field, characters its values must not contain in a name
        (``naming.label_separators`` of the recipe's template, which keeps shards' names apart)."""
        super().__init__()
        self.output_folder: DataFolder = get_datafolder(output_folder)
        self.output_filename = output_filename
        self.template = Template(output_filename + self.extension)
        self._static_name = None if self._has_placeholders(output_filename) else output_filename + self.extension
        self.atomic_files = atomic_files
        self.label_separators = dict(label_separators or {})
        self._checked_names: set[str] = set()
        self.rows_by_file: Counter[str] = Counter()
        self.tokens_by_file: Counter[str] = Counter()
        self._temp_names: dict[str, str] = {}

    @staticmethod
    def _has_placeholders(template: str) -> bool:
        return any(m.group("named") or m.group("braced") for m in Template.pattern.finditer(template))

    def filename_for(self, document: Document, rank: int) -> str:
        """The output file (relative to the output folder) this document goes to."""
        if self._static_name is not None:
            filename = self._static_name
        else:
            filename = self.template.substitute(
                _SafeMapping(str(rank).zfill(5), document.metadata, self.label_separators)
            )
        if filename not in self._checked_names:
            top = filename.split("/", 1)[0]
            if top.casefold() in RUN_OWN_NAMES:
                raise ValueError(
                    f"output file {filename!r} would start with {top!r}, a name the run writes itself; rename the "
                    "input folder or change output.filename"
                )
            self._checked_names.add(filename)
        return filename

    def physical_name(self, filename: str) -> str:
        """Where bytes for ``filename`` go while the file is incomplete."""
        if not self.atomic_files:
            return filename
        if filename not in self._temp_names:
            head, _, tail = filename.rpartition("/")
            temp = f".{tail}.tmp-{uuid.uuid4().hex[:10]}"
            self._temp_names[filename] = f"{head}/{temp}" if head else temp
        return self._temp_names[filename]

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        """Write every document, then close (finalise and rename) all files; on error leave nothing visible."""
        try:
            for document in data:
                filename = self.filename_for(document, rank)
                self.write_document(document, filename)
                self.rows_by_file[filename] += 1
                tokens = document.metadata.get(TOKEN_COUNT_FIELD)
                if isinstance(tokens, int) and not isinstance(tokens, bool):
                    self.tokens_by_file[filename] += tokens
                yield document
        except BaseException:
            self.abort()
            raise
        self.close()

    def close(self) -> dict[str, int]:
        """Finalise every open file and make it visible under its final name; return rows per file.

        A shard whose documents were all dropped still gets its (empty) output file when the name does not
        depend on metadata, so every input shard has exactly one output shard.
        """
        if self._static_name is not None and not self.rows_by_file:
            self.write_empty(self._static_name)
            self.rows_by_file[self._static_name] = 0
        self.finish_files()
        if self.atomic_files:
            for filename, temp in self._temp_names.items():
                self.output_folder.mv(temp, filename)
            self._temp_names.clear()
        for rows in self.rows_by_file.values():
            self.stat_update("rows_written", value=rows, unit="file")
        return dict(self.rows_by_file)

    def abort(self) -> None:
        """Drop partial files (best effort): a failed shard must leave no half-written output behind."""
        try:
            self.discard_files()
        finally:
            for temp in self._temp_names.values():
                if self.output_folder.exists(temp):
                    self.output_folder.rm(temp)
            self._temp_names.clear()

    @abstractmethod
    def write_document(self, document: Document, filename: str) -> None:
        """Buffer or encode one document for ``filename``."""

    @abstractmethod
    def write_empty(self, filename: str) -> None:
        """Open ``filename`` so that finishing it yields a valid file with no rows."""

    @abstractmethod
    def finish_files(self) -> None:
        """Flush and close every open file (still under its physical name)."""

    @abstractmethod
    def discard_files(self) -> None:
        """Close every open file without finishing it."""
