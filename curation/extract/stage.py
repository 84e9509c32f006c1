"""The ``extract_text`` stage: HTML documents in, main-text documents out, with a time limit per page.

A page that cannot give text is dropped with a reason, never silently: ``extract_timeout`` (ran past the time
limit), ``extract_crash`` (the helper process died on it), ``extract_error`` (the extractors raised),
``html_too_large`` (over ``max_html_chars``, refused before parsing), ``extract_empty`` (the page has no visible
text at all), and ``extract_empty:<extractors>`` (the page has text, but none of the extractors named, in the
order they ran, found main text in it: ``extract_empty:resiliparse+trafilatura``).
"""

from __future__ import annotations

from typing import Any, Literal

from datatrove.data import DocumentsPipeline
from datatrove.pipeline.base import PipelineStep
from datatrove.utils.logging import logger

from curation.extract.extractors import (
    Extraction,
    HtmlExtractor,
    OutputFormat,
    ResiliparseExtractor,
    TrafilaturaExtractor,
    make_extractor,
)
from curation.extract.time_limit import (
    ExtractorCrashed,
    ExtractorFailed,
    ExtractTimeout,
    TimeLimitMode,
    make_time_limit,
)

ExtractorName = Literal["routed", "trafilatura", "resiliparse"]


def fallback_extractor(name: str, output_format: OutputFormat = "text") -> HtmlExtractor | None:
    """The second extractor of a single-extractor mode: the other library, trafilatura favouring recall."""
    if name == TrafilaturaExtractor.name:
        return ResiliparseExtractor(output_format=output_format)
    if name == ResiliparseExtractor.name:
        return TrafilaturaExtractor(favour_recall=True, output_format=output_format)
    return None


def drop_reason_for(extraction: Extraction) -> str:
    """``extract_empty`` for a page without visible text, else ``extract_empty:`` and the extractors that tried."""
    if extraction.page_words == 0:
        return "extract_empty"
    return "extract_empty:" + "+".join(extraction.tried)


class ExtractText(PipelineStep):
    """Replace each document's HTML with its main text, within a per-page time limit.

    Args:
        extractor: ``routed`` (default: Resiliparse, trafilatura for pages whose Resiliparse text is empty, too
            short or menu-like; see ``curation.extract.routing``), ``trafilatura`` or ``resiliparse``.
        options: keyword options of the chosen extractor (e.g. ``{fast: true}`` for trafilatura,
            ``{coverage_below: 0.5}`` for routed); see ``curation.extract.extractors`` and ``.routing``.
        output_format: ``text``, or ``markdown`` to keep headings, lists, tables and code blocks as Markdown.
        fallback: for ``trafilatura`` and ``resiliparse``: when the extractor finds nothing, or almost nothing
            for a page with substantial text, the other one runs and the longer text is kept (``routed`` always
            does this). Off, such pages are dropped as ``extract_empty:<extractor>``.
        min_page_words, almost_nothing_share: when a text counts as "almost nothing": under this share of the
            page's visible words, on a page of at least ``min_page_words`` (see ``curation.extract.fallback``;
            ``routed`` uses the share for its last resort).
        timeout: seconds one page may take, all extractors included; a page past it is dropped as
            ``extract_timeout``.
        time_limit_mode: ``auto`` (SIGALRM for Python-level extractors on the main thread, a helper process
            otherwise), ``signal`` or ``process``; see ``curation.extract.time_limit``.
        max_html_chars: pages longer than this are dropped as ``html_too_large`` without being parsed. Real shop
            pages reach 5 MB (one of wcxb-dev's product pages: 5.3 million characters, 0.4 s in the routed
            extractor); the limit is there for runaway payloads, and ``timeout`` still bounds each page.
        keep_html_in: if set, the original HTML is kept in this metadata field.
        extractor_in: if set, the name of the extractor whose text was kept goes into this metadata field.
    """

    name = "📰 Extract main text"
    type = "🛢 - EXTRAC"

    def __init__(
        self,
        extractor: ExtractorName = "routed",
        options: dict[str, Any] | None = None,
        output_format: OutputFormat = "text",
        fallback: bool = True,
        min_page_words: int = 50,
        almost_nothing_share: float = 0.05,
        timeout: float = 5.0,
        time_limit_mode: TimeLimitMode = "auto",
        max_html_chars: int = 10_000_000,
        keep_html_in: str | None = None,
        extractor_in: str | None = None,
    ):
        super().__init__()
        if timeout <= 0:
            raise ValueError(f"timeout must be positive, got {timeout}")
        if not 0 <= almost_nothing_share < 1:
            raise ValueError(f"almost_nothing_share must be in [0, 1), got {almost_nothing_share}")
        self.extractor_name = extractor
        self.options = dict(options or {})
        self.output_format = output_format
        self.fallback = fallback
        self.min_page_words = min_page_words
        self.almost_nothing_share = almost_nothing_share
        self.timeout = timeout
        self.time_limit_mode = time_limit_mode
        self.max_html_chars = max_html_chars
        self.keep_html_in = keep_html_in
        self.extractor_in = extractor_in
        extractor_options = dict(self.options)
        if extractor == "routed":
            extractor_options.setdefault("almost_nothing_share", almost_nothing_share)
        self.extractor: HtmlExtractor = make_extractor(extractor, extractor_options, output_format)
        self._runner = None

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_runner"] = None  # a helper process does not travel; each worker starts its own
        return state

    def page_extractor(self) -> HtmlExtractor:
        """What runs on each page under the time limit: the extractor, with its fallback when it has one."""
        second = fallback_extractor(self.extractor.name, self.output_format)
        if not self.fallback or second is None:
            return self.extractor
        from curation.extract.fallback import WithFallback

        return WithFallback(
            self.extractor,
            second,
            min_page_words=self.min_page_words,
            almost_nothing_share=self.almost_nothing_share,
        )

    @property
    def runner(self):
        if self._runner is None:
            self._runner = make_time_limit(self.page_extractor(), self.timeout, self.time_limit_mode)
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
            extraction = self.runner.extract_page(html)
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
        if len(extraction.tried) > 1:
            self.stat_update("second_extractor_ran")
        text = extraction.text.strip()
        if not text:
            return drop_reason_for(extraction)
        self.stat_update(f"text_from_{extraction.used}")
        if self.keep_html_in:
            document.metadata[self.keep_html_in] = html
        if self.extractor_in:
            document.metadata[self.extractor_in] = extraction.used
        document.text = text
        return None

    def close(self) -> None:
        """Stop the helper process, if one was started (it also stops with the worker)."""
        if self._runner is not None:
            self._runner.close()
            self._runner = None
