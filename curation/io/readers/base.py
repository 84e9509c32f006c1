"""The reader contract shared by the JSONL, Parquet and WARC shard readers.

Readers are datatrove readers (``BaseDiskReader`` subclasses), so they drop into any datatrove pipeline.
What they add over datatrove's own readers: a bad record is never logged-and-forgotten. ``iter_records``
yields, for every input record, exactly one of

- a ``Document`` (kept going down the pipeline),
- a ``Skipped`` (a valid record the reader does not turn into a document, e.g. a WARC request record),
- a ``Quarantined`` (a bad record, with file, position and reason),

so every record is accounted for and a run's counts reconcile.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from datatrove.data import Document, DocumentsPipeline
from datatrove.io import DataFolderLike
from datatrove.pipeline.readers.base import BaseDiskReader
from datatrove.utils.logging import logger

from curation.io.jsontext import bounded
from curation.io.quarantine import Quarantined, QuarantineReason

_MISSING = object()


@dataclass(slots=True)
class Skipped:
    """A well-formed record the reader deliberately does not emit; counted as dropped by the reader."""

    reason: str


Record = Document | Skipped | Quarantined


class ShardReader(BaseDiskReader):
    """Base of our readers: datatrove-compatible, with quarantine and reader-level drop reasons."""

    type = "📖 - READER"

    def __init__(
        self,
        data_folder: DataFolderLike,
        *,
        text_field: str = "text",
        id_field: str = "id",
        glob_pattern: str | None = None,
        recursive: bool = True,
        default_metadata: dict[str, Any] | None = None,
        limit: int = -1,
    ):
        super().__init__(
            data_folder,
            limit=limit,
            text_key=text_field,
            id_key=id_field,
            default_metadata=default_metadata,
            recursive=recursive,
            glob_pattern=glob_pattern,
            add_file_path=False,
        )
        self.text_field = text_field
        self.id_field = id_field
        self.on_quarantine: Callable[[Quarantined], None] = self._log_quarantine

    @abstractmethod
    def iter_records(self, filepath: str) -> Iterator[Record]:
        """Yield one ``Document``, ``Skipped`` or ``Quarantined`` per input record of ``filepath``."""

    def read_file(self, filepath: str) -> DocumentsPipeline:
        """datatrove's entry point: documents only; quarantined and skipped records go to stats and the sink."""
        for record in self.iter_records(filepath):
            if type(record) is Document:
                yield record
            elif isinstance(record, Quarantined):
                self.stat_update(f"quarantined_{record.reason}", value=record.count)
                self.on_quarantine(record)
            else:
                self.stat_update(f"dropped_{record.reason}")

    @staticmethod
    def _log_quarantine(record: Quarantined) -> None:
        logger.warning(
            f"quarantined record from {record.source_file} "
            f"(line={record.line}, byte_offset={record.byte_offset}, row={record.row}): {record.reason} {record.detail}"
        )

    def document_from_fields(
        self, fields: dict[str, Any], source_file: str, position: str, check_depth: bool = True, **where: int | None
    ) -> Document | Quarantined:
        """Turn one parsed record into a Document, or a quarantine record if its text is unusable.

        The user's id is kept (stringified); a record without one gets ``<file>#<position>``. Every other
        field becomes metadata, with a nested ``metadata`` object merged in, as datatrove's readers do. A field
        nested deeper than ``curation.io.jsontext.MAX_NESTING_DEPTH`` levels is kept as its JSON text (counted as
        ``metadata_as_json_text``), so no stage or writer meets structure it cannot handle; a reader that knows
        the record cannot nest that deep (too few brackets, a shallow Parquet schema) passes
        ``check_depth=False`` to skip the walk.
        """
        text = fields.pop(self.text_field, _MISSING)
        if text is _MISSING or text is None:
            present = ", ".join(sorted(fields)[:20])
            state = "missing" if text is _MISSING else "null"
            return Quarantined(
                source_file,
                QuarantineReason.MISSING_TEXT,
                f"text field {self.text_field!r} is {state}; fields present: [{present}]",
                record_id=_id_or_none(fields.get(self.id_field)),
                **where,
            )
        if not isinstance(text, str):
            return Quarantined(
                source_file,
                QuarantineReason.NON_STRING_TEXT,
                f"text field {self.text_field!r} holds a {type(text).__name__}, not a string",
                record_id=_id_or_none(fields.get(self.id_field)),
                snippet=repr(text)[:200],
                **where,
            )
        raw_id = fields.pop(self.id_field, None)
        doc_id = str(raw_id) if raw_id is not None else f"{source_file}#{position}"
        nested = fields.pop("metadata", None)
        if isinstance(nested, dict):
            fields = nested | fields
        elif nested is not None:
            fields["metadata"] = nested
        if self.default_metadata:
            fields = self.default_metadata | fields
        for key, value in fields.items() if check_depth else ():
            if isinstance(value, dict | list):
                fields[key], converted = bounded(value)
                if converted:
                    self.stat_update("metadata_as_json_text")
        return Document(text=text, id=doc_id, metadata=fields)


def _id_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def quarantine_unreadable(source_file: str, error: BaseException, **where: int | None) -> Quarantined:
    """The catch-all for a file that fails in a way no specific check foresaw: keep the run going."""
    return Quarantined(source_file, QuarantineReason.UNREADABLE_FILE, f"{type(error).__name__}: {error}", **where)
