"""HTML → main text extractors: trafilatura, Resiliparse, and the routed extractor that combines them.

Each extractor is a small picklable object with ``extract(html) -> str`` (the main text, "" when there is none)
and ``extract_page(html) -> Extraction``, which also says which extractors ran on the page and which one gave
the text. Its ``interruptible`` flag says whether its hot loop runs Python bytecode, so that a SIGALRM-based time
limit can stop it (see ``time_limit.py``).

Both libraries can keep a page's structure: ``output_format="markdown"`` gives headings, lists, tables and code
blocks as Markdown (trafilatura's own Markdown output; Resiliparse's minimal HTML through ``markdown.py``).
Measured on ``../shared/data/extraction`` by ``benchmarks/extraction.py``; the figures are in
``docs/extraction.md``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

OutputFormat = Literal["text", "markdown"]
OUTPUT_FORMATS = ("text", "markdown")

_WORD = re.compile(r"\w+")


def count_words(text: str) -> int:
    """Number of ``\\w+`` words: the unit of every threshold here and of the benchmark's F1."""
    return len(_WORD.findall(text))


@dataclass(frozen=True, slots=True)
class Extraction:
    """What extracting one page gave.

    Attributes:
        text: the main text ("" when no extractor found any).
        tried: the extractors that ran on the page, in order (``("resiliparse", "trafilatura")``).
        used: the extractor whose text was kept; None when ``text`` is empty.
        page_words: words of the page's whole visible text (``page_words``), when it was measured; 0 means the
            page has no visible text at all, so there was nothing to extract.
    """

    text: str
    tried: tuple[str, ...]
    used: str | None
    page_words: int | None = None


class HtmlExtractor:
    """Base of the extractors: subclasses implement ``extract``; ``extract_page`` reports which one ran."""

    name: ClassVar[str] = "extractor"
    interruptible: ClassVar[bool] = True

    def prepare(self) -> None:
        """Import the libraries the extractor needs, so that the first page's time limit does not pay for it."""

    def extract(self, html: str) -> str:
        raise NotImplementedError

    def extract_page(self, html: str) -> Extraction:
        text = self.extract(html)
        return Extraction(text, (self.name,), self.name if text.strip() else None)


def _check_output_format(output_format: str) -> None:
    if output_format not in OUTPUT_FORMATS:
        raise ValueError(f"output_format must be one of {', '.join(OUTPUT_FORMATS)}, got {output_format!r}")


class TrafilaturaExtractor(HtmlExtractor):
    """trafilatura 2.x's ``extract``, with trafilatura's own defaults unless told otherwise.

    Args:
        fast: skip trafilatura's readability/jusText fallbacks (about 1.5x faster; lower recall on pages where its
            main pass finds little).
        favour_precision / favour_recall: trafilatura's ``favor_precision`` / ``favor_recall``.
        include_comments: keep comment sections (trafilatura's default; forum replies are often marked up as
            comments).
        include_tables: keep table text.
        deduplicate: trafilatura's ``deduplicate``. Off: it keeps a process-wide cache of paragraphs seen in
            *earlier* pages, so a page's text would depend on what the worker processed before it.
        output_format: ``text``, or ``markdown`` (headings, lists, tables, code blocks and emphasis kept).
    """

    name = "trafilatura"
    interruptible = True  # Python code around lxml calls that each return quickly

    def __init__(
        self,
        fast: bool = False,
        favour_precision: bool = False,
        favour_recall: bool = False,
        include_comments: bool = True,
        include_tables: bool = True,
        deduplicate: bool = False,
        output_format: OutputFormat = "text",
    ):
        _check_output_format(output_format)
        self.options: dict[str, Any] = {
            "fast": fast,
            "favor_precision": favour_precision,
            "favor_recall": favour_recall,
            "include_comments": include_comments,
            "include_tables": include_tables,
            "deduplicate": deduplicate,
        }
        if output_format == "markdown":
            self.options.update(output_format="markdown", include_formatting=True)

    def prepare(self) -> None:
        import trafilatura  # noqa: F401 - about a second on a cold start

    def extract(self, html: str) -> str:
        from trafilatura import extract

        return extract(html, **self.options) or ""


RESILIPARSE_TEXT_OPTIONS: dict[str, Any] = {"alt_texts": False, "links": False, "list_bullets": False, "noscript": True}
"""Resiliparse ``extract_plain_text`` options shared by the main-text and the whole-page pass. ``noscript``:
JavaScript-rendered forums (Discourse, Flarum) serve their posts inside ``<noscript>``."""


def parse_html(html: str):
    """Resiliparse's lexbor DOM of ``html``: parses what lxml gives up on (no nesting-depth limit)."""
    from resiliparse.parse.html import HTMLTree

    return HTMLTree.parse(html)


def page_words(page) -> int:
    """Words of the whole visible text of a page (HTML string or parsed tree), boilerplate included.

    The yardstick for "did the extractor find (almost) nothing on a page that has text". Resiliparse, because it
    reads pages nested deeper than lxml's parser allows and costs about 1 ms a page.
    """
    from resiliparse.extract.html2text import extract_plain_text

    tree = parse_html(page) if isinstance(page, str) else page
    return count_words(extract_plain_text(tree, main_content=False, **RESILIPARSE_TEXT_OPTIONS) or "")


class ResiliparseExtractor(HtmlExtractor):
    """Resiliparse's ``extract_plain_text`` with its main-content heuristics (lexbor DOM, native code).

    Args:
        main_content: keep only what Resiliparse takes for the main content.
        alt_texts, links, list_bullets: Resiliparse's options (image alt texts, link targets, bullets before
            list items in text output; Markdown output always marks list items).
        noscript: read ``<noscript>`` content (posts of JavaScript-rendered pages).
        post_meta: keep what Resiliparse takes for a blog post's or article's metadata (bylines, dates, tags).
        skip_elements: CSS selectors of elements to leave out (Resiliparse's ``skip_elements``; see
            ``curation.extract.boilerplate``).
        output_format: ``text``, or ``markdown`` (Resiliparse's minimal HTML turned into Markdown).
    """

    name = "resiliparse"
    interruptible = False  # one native call per page: a signal is only handled after it returns

    def __init__(
        self,
        main_content: bool = True,
        alt_texts: bool = False,
        links: bool = False,
        list_bullets: bool = False,
        noscript: bool = True,
        post_meta: bool = True,
        skip_elements: Sequence[str] | None = None,
        output_format: OutputFormat = "text",
    ):
        _check_output_format(output_format)
        self.output_format = output_format
        self.options: dict[str, Any] = {
            "post_meta": post_meta,
            "skip_elements": list(skip_elements) if skip_elements else None,
            "main_content": main_content,
            "alt_texts": alt_texts,
            "links": links,
            "list_bullets": list_bullets or output_format == "markdown",  # else its minimal HTML drops list tags
            "noscript": noscript,
            "preserve_formatting": "minimal_html" if output_format == "markdown" else True,
        }
        if skip_elements:
            _check_selectors(self.options["skip_elements"])

    def prepare(self) -> None:
        import resiliparse.extract.html2text
        import resiliparse.parse.html  # noqa: F401

        if self.output_format == "markdown":
            import curation.extract.markdown  # noqa: F401

    def extract(self, html) -> str:
        """Main text of ``html``: an HTML string or a tree from ``parse_html`` (to parse a page only once)."""
        from resiliparse.extract.html2text import extract_plain_text

        text = extract_plain_text(html, **self.options) or ""
        if self.output_format == "markdown" and text:
            from curation.extract.markdown import minimal_html_to_markdown

            return minimal_html_to_markdown(text)
        return text


def _check_selectors(selectors: list[str]) -> None:
    """A clear error when the recipe's ``skip_elements`` holds a selector lexbor cannot parse."""
    from resiliparse.extract.html2text import extract_plain_text
    from resiliparse.parse.html import CSSParserException

    for selector in selectors:
        try:
            extract_plain_text("<p>x</p>", skip_elements=[selector])
        except (CSSParserException, TypeError) as error:
            message = f"skip_elements: {selector!r} is not a CSS selector Resiliparse can use ({error})"
            raise ValueError(message) from None


SHORT_LINE_WORDS = 6


def short_line_word_share(text: str, short_line_words: int = SHORT_LINE_WORDS) -> float:
    """Share of the words of ``text`` that sit in lines of fewer than ``short_line_words`` words (1.0 if empty).

    Navigation menus, tag clouds, link lists and product grids are runs of short lines; running text is mostly
    long lines. Words are ``\\w+`` runs, so Markdown markers (``#``, ``-``, ``|``) do not count.
    """
    total = 0
    in_short = 0
    for line in text.splitlines():
        count = count_words(line)
        total += count
        if 0 < count < short_line_words:
            in_short += count
    return in_short / total if total else 1.0


def _extractor_classes() -> dict[str, type]:
    from curation.extract.routing import RoutedExtractor

    return {
        RoutedExtractor.name: RoutedExtractor,
        TrafilaturaExtractor.name: TrafilaturaExtractor,
        ResiliparseExtractor.name: ResiliparseExtractor,
    }


EXTRACTOR_NAMES = ("routed", "trafilatura", "resiliparse")


def make_extractor(
    name: str, options: dict[str, Any] | None = None, output_format: OutputFormat = "text"
) -> HtmlExtractor:
    """Build the extractor a recipe names, with its options; a clear error for an unknown name or option."""
    classes = _extractor_classes()
    try:
        cls = classes[name]
    except KeyError:
        raise ValueError(f"unknown extractor {name!r}; choose one of {', '.join(EXTRACTOR_NAMES)}") from None
    options = dict(options or {})
    options.setdefault("output_format", output_format)
    try:
        return cls(**options)
    except TypeError as error:
        raise ValueError(f"bad options for extractor {name!r}: {error}") from error
