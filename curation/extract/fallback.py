"""A second extractor for pages on which the chosen one finds nothing or almost nothing.

Extractors fail quietly on whole kinds of pages: trafilatura returns nothing for text nested deeper than
lxml's parser allows (about 250 elements), Resiliparse for listings whose items it takes for navigation and for
pages wrapped in an element whose class looks like boilerplate. Such a page has visible text, so dropping it as
empty would lose it silently. ``WithFallback`` measures the page's visible words (``page_words``, Resiliparse's
whole-page text) and, when the first extractor's text is empty, or under ``almost_nothing_share`` of those words
on a page of at least ``min_page_words``, runs the second extractor and keeps the longer text.
``Extraction.tried`` names both, and the stage's drop reason names them too when neither found text.
"""

from __future__ import annotations

from curation.extract.extractors import Extraction, HtmlExtractor, ResiliparseExtractor, count_words, page_words


class WithFallback(HtmlExtractor):
    """Run ``first``; if it finds (almost) nothing on a page that has text, run ``second`` and keep the longer.

    Args:
        first: the chosen extractor.
        second: the other one.
        min_page_words: a page with fewer visible words gets the second extractor only if the first found nothing.
        almost_nothing_share: the first text counts as "almost nothing" under this share of the page's words.

    An exception in one extractor is not the page's end: the other one still runs; if neither gives text,
    the first error is raised again.
    """

    interruptible = False  # the page's visible words are measured with Resiliparse (native code)

    def __init__(
        self,
        first: HtmlExtractor,
        second: HtmlExtractor,
        min_page_words: int = 50,
        almost_nothing_share: float = 0.05,
    ):
        self.first = first
        self.second = second
        self.min_page_words = min_page_words
        self.almost_nothing_share = almost_nothing_share

    @property
    def name(self) -> str:  # type: ignore[override]
        return self.first.name

    def prepare(self) -> None:
        self.first.prepare()
        self.second.prepare()
        ResiliparseExtractor().prepare()  # page_words

    def needs_second(self, words: int, visible_words: int) -> bool:
        """Whether ``words`` of main text is nothing or almost nothing for a page of ``visible_words``."""
        if visible_words == 0:
            return False  # no visible text at all: nothing to find
        if words == 0:
            return True
        return visible_words >= self.min_page_words and words < self.almost_nothing_share * visible_words

    def extract_page(self, html: str) -> Extraction:
        error: Exception | None = None
        try:
            first = self.first.extract_page(html)
        except Exception as raised:
            error = raised
            first = Extraction("", (self.first.name,), None)
        visible = page_words(html)
        words = count_words(first.text)
        if not self.needs_second(words, visible) and error is None:
            return Extraction(first.text, first.tried, first.used, visible)
        second_error: Exception | None = None
        try:
            second_text = self.second.extract(html)
        except Exception as raised:
            second_error = raised
            second_text = ""
        tried = (*first.tried, self.second.name)
        if count_words(second_text) > words:
            return Extraction(second_text, tried, self.second.name, visible)
        if not first.text.strip() and (error or second_error) is not None:
            raise error or second_error
        return Extraction(first.text, tried, first.used, visible)

    def extract(self, html: str) -> str:
        return self.extract_page(html).text
