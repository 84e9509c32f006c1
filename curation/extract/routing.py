"""The routed extractor: Resiliparse for every page, trafilatura only for pages whose Resiliparse text looks wrong.

Neither library wins on every kind of page. On the 400 pages of seven types in ``../shared/data/extraction/
wcxb-dev`` Resiliparse is the better one on service pages and forums (trafilatura drops replies and page
sections), trafilatura on articles, products, listings and collections (Resiliparse keeps related-item lists and
boilerplate, or reads unordered lists as navigation), at about a tenth of Resiliparse's speed. The routed
extractor pays for trafilatura only where Resiliparse's output shows one of those failures.

One Resiliparse parse gives the main text and the page's whole visible text. The main text leaves out the blocks
whose ``class`` or ``id`` names them as page furniture (share bars, related items, comment sections under an
article, captions, promotions, bylines, cookie notices: ``curation.extract.boilerplate``; never an element that
holds the page's ``<h1>``) and Resiliparse's post metadata, which Resiliparse's own heuristics keep when they sit
in the content column. Should a name have hit a wrapper of the content instead
(skipping left less than ``boilerplate_recheck_coverage`` of the page's words), the text without skipping is
extracted too, and kept if skipping took more than ``1 - boilerplate_keep_share`` of it, except on a page that
declares itself a news article or blog post (schema.org ``NewsArticle``, ``BlogPosting``) where at least
``news_article_skipped_words`` remain: there what went is the comment section and the related stories.

The page goes on to trafilatura (fast mode, ``favor_recall``, without comment sections) when

- it declares itself a product page (schema.org ``Product`` in JSON-LD or microdata, or Open Graph ``og:type``
  ``product``; ``product_pages``) and its main text has fewer than ``product_text_words_below`` words
  (700). There Resiliparse's main text is long and looks clean, yet holds reviews,
  specification tabs of other items and related products that trafilatura removes; no signal of the text itself
  tells such a page from a long article, so the page's own markup does. The word limit bounds the cost: on the
  20 declared pages of wcxb-dev with 700 words or more, trafilatura's text gained 0.017 F1 a page on average (better
  on 12, worse on 2), for 17 % of the routed extractor's time;
- or the main text is shorter than ``long_text_words`` and either covers less than ``coverage_below`` of the
  page's visible words (empty, or too short for the page: a listing whose items Resiliparse took for
  navigation), or has more than ``menu_share_above`` of its words in short lines (``short_line_word_share``:
  menus, link lists, product grids).

A long main text is kept as it is: there trafilatura mostly removes little and costs the most. Of the two texts,
trafilatura's is kept unless it is shorter than ``keep_second_above`` of Resiliparse's, which is how trafilatura
shows that it missed part of the content (forum replies, a product's description): its text is the more precise
one otherwise. When both are empty or nearly so for a page with visible text, trafilatura runs once more with
its own readability/jusText fallbacks.

The four thresholds were chosen by macro F1 over the seven page types, among rules at least 3x faster than
trafilatura, and checked by cross-validation (tuned on half of the pages, measured on the other half;
``benchmarks/extraction.py --cross-validate``); the figures are in ``docs/extraction.md``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from curation.extract.boilerplate import boilerplate_selectors
from curation.extract.extractors import (
    Extraction,
    HtmlExtractor,
    OutputFormat,
    ResiliparseExtractor,
    TrafilaturaExtractor,
    count_words,
    page_words,
    parse_html,
    short_line_word_share,
)

_PRODUCT_DECLARATIONS = (
    # each starts with a literal, which the regex engine finds with a fast string search
    re.compile(r'"@type"\s*:\s*(?:\[[^\]]{0,200}?)?"(?:https?://schema\.org/)?Product"'),  # JSON-LD, alone or in a list
    re.compile(r"itemtype\s*=\s*[\"']?https?://schema\.org/Product\b"),  # microdata
    re.compile(r"og:type[\"'][^>]{0,40}?content\s*=\s*[\"'](?:og:)?product\b"),  # Open Graph
)


_NEWS_ARTICLE_DECLARATIONS = (
    re.compile(
        r'"@type"\s*:\s*(?:\[[^\]]{0,200}?)?"(?:https?://schema\.org/)?'
        r'(?:NewsArticle|ReportageNewsArticle|AnalysisNewsArticle|OpinionNewsArticle|BlogPosting)"'
    ),  # JSON-LD
    re.compile(r"itemtype\s*=\s*[\"']?https?://schema\.org/(?:NewsArticle|BlogPosting)\b"),  # microdata
)


def declares_news_article(html: str) -> bool:
    """Whether the page declares itself a news article or a blog post (schema.org ``NewsArticle`` and its subtypes,
    or ``BlogPosting``, in JSON-LD or microdata).

    Plain ``Article`` and Open Graph ``og:type article`` do not count: content systems put them on listings and
    section pages too.
    """
    return any(pattern.search(html) is not None for pattern in _NEWS_ARTICLE_DECLARATIONS)


def declares_product(html: str) -> bool:
    """Whether the page declares itself a product page: schema.org ``Product`` (JSON-LD ``"@type"`` or microdata
    ``itemtype``) or Open Graph ``og:type`` ``product``.

    A product merely mentioned (``"@type": "Offer"``, a ``ProductGroup``) does not count; a ``Product`` inside a
    listing's ``ItemList`` does, and costs one trafilatura pass. Regular expressions over the markup, case as the
    vocabularies write it.
    """
    if "roduct" not in html:  # a substring search, much faster than the three patterns on a page without any
        return False
    return any(pattern.search(html) is not None for pattern in _PRODUCT_DECLARATIONS)


@dataclass(frozen=True, slots=True)
class PageSignals:
    """What the routing decision reads, all from one Resiliparse parse of the page.

    Attributes:
        first_text: Resiliparse's main text (boilerplate skipped unless that took the content, see the module).
        first_words: its number of words.
        page_words: words of the page's whole visible text.
        short_line_share: ``short_line_word_share(first_text)``.
        declares_product: the page's markup declares a product page (``declares_product``; looked for only with
            ``product_pages`` on and a text under ``product_text_words_below``).
    """

    first_text: str
    first_words: int
    page_words: int
    short_line_share: float
    declares_product: bool = False

    @property
    def coverage(self) -> float:
        """Share of the page's visible words that Resiliparse kept as main text (0 when it kept nothing)."""
        return self.first_words / max(self.page_words, self.first_words, 1)


@dataclass(frozen=True, slots=True)
class RoutingRule:
    """The thresholds of the routing decision (see the module docstring)."""

    menu_share_above: float = 0.3
    coverage_below: float = 0.3
    long_text_words: int = 300
    keep_second_above: float = 0.5
    almost_nothing_share: float = 0.05
    product_pages: bool = True
    product_text_words_below: int = 700
    skip_boilerplate: bool = True
    boilerplate_recheck_coverage: float = 0.3
    boilerplate_keep_share: float = 0.5
    news_article_skipped_words: int = 50

    def wants_second(self, signals: PageSignals) -> bool:
        """Whether Resiliparse's text looks wrong for the page, so trafilatura should run too."""
        if signals.page_words == 0 and signals.first_words == 0:
            return False  # no visible text at all: nothing for a second extractor to find
        if self.product_pages and signals.declares_product and signals.first_words < self.product_text_words_below:
            return True
        if signals.first_words >= self.long_text_words:
            return False
        return signals.short_line_share > self.menu_share_above or signals.coverage < self.coverage_below

    def keeps_second(self, first_words: int, second_words: int) -> bool:
        """Whether trafilatura's text replaces Resiliparse's: unless it is much shorter (it missed content)."""
        return second_words > 0 and second_words >= self.keep_second_above * first_words

    def rechecks_skipping(self, skipped_words: int, page_words: int) -> bool:
        """Whether the text with boilerplate skipped is short enough for the page that skipping may have taken
        the content (a boilerplate name on a wrapper of the main text)."""
        return skipped_words < self.boilerplate_recheck_coverage * page_words

    def undoes_skipping(self, skipped_words: int, unskipped_words: int) -> bool:
        """Whether skipping removed so much of Resiliparse's text that the text without skipping is kept."""
        return skipped_words < self.boilerplate_keep_share * unskipped_words

    def news_story_remains(self, skipped_words: int) -> bool:
        """Whether, on a page that declares itself a news article or blog post, skipping left enough words to be
        the story (``news_article_skipped_words``): what it removed there is the comment section and the related
        stories, which can outweigh the story itself, so the skipped text is kept however much went."""
        return skipped_words >= self.news_article_skipped_words

    def almost_nothing(self, words: int, page_words: int) -> bool:
        """Whether ``words`` is nothing or almost nothing for a page with ``page_words`` visible words."""
        return words < max(1.0, self.almost_nothing_share * page_words)


class RoutedExtractor(HtmlExtractor):
    """Resiliparse without page furniture first; trafilatura for declared product pages and for pages whose
    Resiliparse text is empty, too short or menu-like.

    Args:
        menu_share_above, coverage_below, long_text_words, keep_second_above: the routing thresholds
            (``RoutingRule``; see the module docstring).
        almost_nothing_share: both texts under this share of the page's visible words count as "almost nothing",
            and trafilatura runs again with its own fallbacks (the stage passes its ``almost_nothing_share``).
        product_pages: send every page that declares itself a product page to trafilatura too, when Resiliparse's
            text has fewer than ``product_text_words_below`` words.
        skip_boilerplate: leave out of Resiliparse's text the blocks whose class or id names them as page
            furniture (``curation.extract.boilerplate``; on by default).
        boilerplate_recheck_coverage, boilerplate_keep_share: when the text without them covers less than the
            first share of the page's visible words, the text with them is extracted too and kept if the text
            without them is under the second share of it.
        news_article_skipped_words: on a page that declares itself a news article or blog post, the text without
            them is kept whenever it has at least this many words (50, as the stage's ``min_page_words``).
        output_format: ``text`` or ``markdown`` (both extractors keep headings, lists, tables, code blocks).
    """

    name = "routed"
    interruptible = False  # Resiliparse is native code

    def __init__(
        self,
        menu_share_above: float = 0.3,
        coverage_below: float = 0.3,
        long_text_words: int = 300,
        keep_second_above: float = 0.5,
        almost_nothing_share: float = 0.05,
        product_pages: bool = True,
        product_text_words_below: int = 700,
        skip_boilerplate: bool = True,
        boilerplate_recheck_coverage: float = 0.3,
        boilerplate_keep_share: float = 0.5,
        news_article_skipped_words: int = 50,
        output_format: OutputFormat = "text",
    ):
        self.rule = RoutingRule(
            menu_share_above=menu_share_above,
            coverage_below=coverage_below,
            long_text_words=long_text_words,
            keep_second_above=keep_second_above,
            almost_nothing_share=almost_nothing_share,
            product_pages=product_pages,
            product_text_words_below=product_text_words_below,
            skip_boilerplate=skip_boilerplate,
            boilerplate_recheck_coverage=boilerplate_recheck_coverage,
            boilerplate_keep_share=boilerplate_keep_share,
            news_article_skipped_words=news_article_skipped_words,
        )
        self.first = ResiliparseExtractor(output_format=output_format)
        self.first_skipping = (
            ResiliparseExtractor(skip_elements=boilerplate_selectors(), post_meta=False, output_format=output_format)
            if skip_boilerplate
            else None
        )
        # Comment sections are left out: on the pages routed here they changed no F1 and cost a tenth of the time.
        self.second = TrafilaturaExtractor(
            fast=True, favour_recall=True, include_comments=False, output_format=output_format
        )
        self.last_resort = TrafilaturaExtractor(favour_recall=True, include_comments=False, output_format=output_format)

    def prepare(self) -> None:
        self.first.prepare()
        self.second.prepare()

    def signals(self, html: str) -> PageSignals:
        """Resiliparse's main text and the routing signals, from one parse."""
        tree = parse_html(html)
        words_on_page = page_words(tree)
        text = (self.first_skipping or self.first).extract(tree)
        words = count_words(text)
        if self.first_skipping is not None and self.rule.rechecks_skipping(words, words_on_page):
            unskipped = self.first.extract(tree)
            unskipped_words = count_words(unskipped)
            if self.rule.undoes_skipping(words, unskipped_words) and not (
                self.rule.news_story_remains(words) and declares_news_article(html)
            ):
                text, words = unskipped, unskipped_words
        return PageSignals(
            text,
            words,
            words_on_page,
            short_line_word_share(text),
            # the markup is searched only where the product rule can apply
            self.rule.product_pages and words < self.rule.product_text_words_below and declares_product(html),
        )

    def second_pass(self, html: str, signals: PageSignals) -> str:
        """trafilatura's text; with its own fallbacks if both extractors found (almost) nothing."""
        text = self.second.extract(html)
        most_words = max(signals.first_words, count_words(text))
        if self.rule.almost_nothing(most_words, signals.page_words):
            text = self.last_resort.extract(html) or text
        return text

    def choose(self, signals: PageSignals, second_text: str) -> Extraction:
        """The Extraction kept for a page both extractors ran on."""
        tried = (self.first.name, self.second.name)
        if self.rule.keeps_second(signals.first_words, count_words(second_text)):
            return Extraction(second_text, tried, self.second.name, signals.page_words)
        used = self.first.name if signals.first_text.strip() else None
        return Extraction(signals.first_text, tried, used, signals.page_words)

    def extract_page(self, html: str) -> Extraction:
        signals = self.signals(html)
        if not self.rule.wants_second(signals):
            used = self.first.name if signals.first_text.strip() else None
            return Extraction(signals.first_text, (self.first.name,), used, signals.page_words)
        try:
            second_text = self.second_pass(html, signals)
        except Exception as error:
            if not signals.first_text.strip():
                raise
            from datatrove.utils.logging import logger

            logger.warning(f"trafilatura failed on a routed page ({type(error).__name__}: {error}); kept Resiliparse's")
            second_text = ""
        return self.choose(signals, second_text)

    def extract(self, html: str) -> str:
        return self.extract_page(html).text
