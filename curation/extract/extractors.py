"""HTML → main text extractors: trafilatura, Resiliparse, and Resiliparse with a trafilatura fallback.

Measured on the 181 real pages of ``../shared/data/extraction/scrapinghub`` (``benchmarks/extraction.py``):
trafilatura in its fast mode is the most accurate; Resiliparse is several times faster but keeps more
boilerplate (navigation, related-article lists). The fallback extractor runs Resiliparse first and hands a page
to trafilatura only when Resiliparse's text looks like boilerplate (many words in short, list-like lines), which
keeps most of trafilatura's accuracy at a fraction of its cost.

Each extractor is a small picklable object with ``extract(html) -> str`` and an ``interruptible`` flag: whether
its hot loop runs Python bytecode, so a SIGALRM-based time limit can stop it (see ``time_limit.py``).
"""

from __future__ import annotations

from typing import Any, Protocol


class Extractor(Protocol):
    """Turns one HTML page into its main text ("" when there is none)."""

    name: str
    interruptible: bool

    def extract(self, html: str) -> str: ...


class TrafilaturaExtractor:
    """trafilatura's ``extract``; ``fast`` skips its readability/jusText fallbacks (same F1 here, 2x faster)."""

    name = "trafilatura"
    interruptible = True  # Python code around lxml calls that each return quickly

    def __init__(
        self,
        fast: bool = True,
        favour_precision: bool = False,
        favour_recall: bool = False,
        include_tables: bool = True,
        include_comments: bool = False,
        deduplicate: bool = False,
    ):
        self.options: dict[str, Any] = {
            "no_fallback": fast,
            "favor_precision": favour_precision,
            "favor_recall": favour_recall,
            "include_tables": include_tables,
            "include_comments": include_comments,
            "deduplicate": deduplicate,
        }

    def extract(self, html: str) -> str:
        from trafilatura import extract

        return extract(html, **self.options) or ""


class ResiliparseExtractor:
    """Resiliparse's ``extract_plain_text`` with its main-content heuristics (lexbor DOM, native code)."""

    name = "resiliparse"
    interruptible = False  # one native call per page: a signal is only handled after it returns

    def __init__(
        self,
        main_content: bool = True,
        alt_texts: bool = False,
        links: bool = False,
        list_bullets: bool = False,
        preserve_formatting: bool = True,
    ):
        self.options: dict[str, Any] = {
            "main_content": main_content,
            "alt_texts": alt_texts,
            "links": links,
            "list_bullets": list_bullets,
            "preserve_formatting": preserve_formatting,
        }

    def extract(self, html: str) -> str:
        from resiliparse.extract.html2text import extract_plain_text

        return extract_plain_text(html, **self.options) or ""


SHORT_LINE_WORDS = 6


def short_line_word_share(text: str, short_line_words: int = SHORT_LINE_WORDS) -> float:
    """Share of the words of ``text`` that sit in lines of fewer than ``short_line_words`` words.

    Navigation menus, tag clouds and related-article lists are runs of short lines; an article body is mostly
    long lines. This is the signal the fallback extractor uses to decide that Resiliparse kept boilerplate.
    """
    total = 0
    in_short = 0
    for line in text.splitlines():
        count = len(line.split())
        total += count
        if 0 < count < short_line_words:
            in_short += count
    return in_short / total if total else 1.0


class FallbackExtractor:
    """Resiliparse first; trafilatura for pages where Resiliparse's text looks like boilerplate or is empty.

    ``fallback_above`` is the share of words in short lines (``short_line_word_share``) above which the page
    goes to trafilatura. 0.03 sent about a third of the scrapinghub pages to trafilatura; 0 sends every page
    (trafilatura's accuracy, slower), 1 sends none (Resiliparse alone).
    """

    name = "fallback"
    interruptible = False  # its first pass is native code

    def __init__(self, fallback_above: float = 0.03, fast: bool = True):
        self.fallback_above = fallback_above
        self.first = ResiliparseExtractor()
        self.second = TrafilaturaExtractor(fast=fast)

    def extract(self, html: str) -> str:
        text = self.first.extract(html)
        if text and short_line_word_share(text) <= self.fallback_above:
            return text
        return self.second.extract(html) or text


EXTRACTORS: dict[str, type] = {
    TrafilaturaExtractor.name: TrafilaturaExtractor,
    ResiliparseExtractor.name: ResiliparseExtractor,
    FallbackExtractor.name: FallbackExtractor,
}


def make_extractor(name: str, options: dict[str, Any] | None = None) -> Extractor:
    """Build the extractor a recipe names, with its options; a clear error for an unknown name or option."""
    try:
        cls = EXTRACTORS[name]
    except KeyError:
        raise ValueError(f"unknown extractor {name!r}; choose one of {', '.join(EXTRACTORS)}") from None
    try:
        return cls(**(options or {}))
    except TypeError as error:
        raise ValueError(f"bad options for extractor {name!r}: {error}") from error
