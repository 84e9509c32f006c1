"""The ``extract_text`` stage: HTML documents in, main-text documents out, with a time limit per page.

A page that cannot give text is dropped with a reason, never silently: ``extract_timeout`` (ran past the time
limit), ``extract_crash`` (the helper process died on it), ``extract_error`` (the extractor raised),
``extract_empty`` (no main text), ``html_too_large`` (over ``max_html_chars``, refused before parsing).
"""

from __future__ import annotations

from typing import Any, Literal

from datatrove.data import DocumentsPipeline
from datatrove.pipeline.base import PipelineStep
from datatrove.utils.logging import logger

from curation.extract.extractors import Extractor, make_extractor
from curation.extract.time_limit import (
    ExtractorCrashed,
    ExtractorFailed,
    ExtractTimeout,
    TimeLimitMode,
    make_time_limit,
)

ExtractorName = Literal["trafilatura", "resiliparse", "fallback"]


class ExtractText(PipelineStep):
    """Replace each document's HTML with its main text (trafilatura by default), within a per-page time limit.

    Args:
        extractor: ``trafilatura`` (most accurate), ``resiliparse`` (fastest), or ``fallback`` (Resiliparse, with
            trafilatura for pages whose Resiliparse text looks like boilerplate).
        options: keyword options of the chosen extractor (e.g. ``{favour_precision: true}`` for trafilatura,
            ``{fallback_above: 0.05}`` for fallback); see ``curation.extract.extractors``.
        timeout: seconds one page may take; a page past it is dropped as ``extract_timeout``.
        time_limit_mode: ``auto`` (SIGALRM for Python-level extractors on the main thread, a helper process
            otherwise), ``signal`` or ``process``; see ``curation.extract.time_limit``.
        max_html_chars: pages longer than this are dropped as ``html_too_large`` without being parsed.
        keep_html_in: if set, the original HTML is kept in this metadata field.
    """

    name = "📰 Extract main text"
    type = "🛢 - EXTRAC"

    def __init__(
        self,
        extractor: ExtractorName = "trafilatura",
        options: dict[str, Any] | None = None,
        timeout: float = 5.0,
        time_limit_mode: TimeLimitMode = "auto",
        max_html_chars: int = 5_000_000,
        keep_html_in: str | None = None,
    ):
        super().__init__()
        if timeout <= 0:
            raise ValueError(f"timeout must be positive, got {timeout}")
        self.extractor_name = extractor
        self.options = dict(options or {})
        self.timeout = timeout
        self.time_limit_mode = time_limit_mode
        self.max_html_chars = max_html_chars
        self.keep_html_in = keep_html_in
        self.extractor: Extractor = make_extractor(extractor, self.options)
        self._runner = None

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_runner"] = None  # a helper process does not travel; each worker starts its own
        return state

    @property
    def runner(self):
        if self._runner is None:
            self._runner = make_time_limit(self.extractor, self.timeout, self.time_limit_mode)
        return self._runner

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        for document in data:
            self.stat_update("total")
            with self.track_time():
                reason = self._extract_into(document)
            if reason is None:
                self.stat_update("forwarded")
                self.update_doc_stats(document)
                yield document
            else:
                self.stat_update("dropped")
                self.stat_update(f"dropped_{reason}")

    def _extract_into(self, document) -> str | None:
        """Extract in place; return the drop reason, or None if the document keeps going."""
        html = document.text
        if len(html) > self.max_html_chars:
            return "html_too_large"
        try:
            text = self.runner.extract(html)
        except ExtractTimeout:
            logger.warning(f"extraction of {document.id} ran past {self.timeout} s; dropped as extract_timeout")
            return "extract_timeout"
        except ExtractorCrashed as error:
            logger.warning(f"extractor process died on {document.id}: {error}; dropped as extract_crash")
            return "extract_crash"
        except ExtractorFailed as error:
            logger.warning(f"extractor failed on {document.id}: {error}")
            return "extract_error"
        except Exception as error:
            logger.warning(f"extractor failed on {document.id}: {type(error).__name__}: {error}")
            return "extract_error"
        text = text.strip()
        if not text:
            return "extract_empty"
        if self.keep_html_in:
            document.metadata[self.keep_html_in] = html
        document.text = text
        return None

    def close(self) -> None:
        """Stop the helper process, if one was started (it also stops with the worker)."""
        if self._runner is not None:
            self._runner.close()
            self._runner = None
