"""datatrove's Gopher, C4 and FineWeb rule filters, made to follow each document's language.

datatrove's filters split words with a tokenizer fixed at construction (English by default) and Gopher's
stop-word rule uses eight English words, so a German or French page fails "fewer than 2 stop words" however
good it is. These subclasses read the language that ``language_id`` wrote into metadata and, per document:

- split words with that language's splitter (``curation.filters.words``): by default one regular expression
  that splits the way datatrove's blank spaCy pipelines do, ready at once and shared by every rule stage in
  the process; ``word_splitter: spacy`` uses datatrove's spaCy tokenizers themselves (seconds to load per
  language and process). A language written without spaces whose segmenter is not installed (pythainlp,
  sudachipy...) is split at spaces and punctuation, counted as ``tokenizer_fallback``. Nothing is downloaded;
- Gopher quality: use that language's most frequent function words for the stop-word rule
  (``STOP_WORDS_BY_LANGUAGE``, overridable from the recipe). A language with no list skips that one rule
  (counted as ``stop_word_rule_skipped``) rather than failing every document; languages written without spaces
  between words skip the mean-word-length rule, which assumes spaces;
- ``only_languages`` limits a filter to some languages: other documents pass untouched, counted as
  ``skipped_language``.

Every drop carries datatrove's reason (``gopher_short_doc``, ``dup_line_frac``, ``too_few_sentences``,
``line_punct_ratio``…), so the summary shows why each document went.
"""

from __future__ import annotations

from functools import cache
from typing import Literal

from datatrove.data import Document
from datatrove.pipeline.filters import (
    C4QualityFilter,
    FineWebQualityFilter,
    GopherQualityFilter,
    GopherRepetitionFilter,
)
from datatrove.utils.word_tokenizers import WordTokenizer

from curation.filters.words import word_splitter_for

DEFAULT_LANGUAGE = "en"
WordSplitterName = Literal["regex", "spacy"]

STOP_WORDS_BY_LANGUAGE: dict[str, list[str]] = {
    "en": ["the", "be", "to", "of", "and", "that", "have", "with"],  # Gopher's own list
    "de": ["der", "die", "und", "das", "ist", "zu", "den", "mit", "nicht", "von"],
    "fr": ["le", "la", "les", "et", "de", "des", "est", "que", "pour", "dans"],
    "es": ["el", "la", "de", "que", "y", "en", "los", "las", "por", "con"],
    "it": ["il", "di", "che", "e", "la", "per", "un", "non", "sono", "con"],
    "pt": ["de", "que", "não", "para", "com", "uma", "os", "as", "por", "mais"],
    "nl": ["de", "het", "een", "en", "van", "is", "dat", "op", "te", "niet"],
    "sv": ["och", "att", "det", "som", "en", "är", "på", "för", "med", "inte"],
    "pl": ["i", "w", "nie", "na", "się", "że", "to", "jest", "do", "z"],
    "ru": ["и", "в", "не", "на", "что", "с", "по", "это", "как", "для"],
}
"""The most frequent function words of each language, in the spirit of Gopher's English list: a real text of
50+ words contains at least two of them, a list of product names or a keyword dump usually does not."""

TOP_N_GRAMS = ((2, 0.2), (3, 0.18), (4, 0.16))
DUP_N_GRAMS = ((5, 0.15), (6, 0.14), (7, 0.13), (8, 0.12), (9, 0.11), (10, 0.10))

LANGUAGES_WITHOUT_SPACES = frozenset({"zh", "ja", "th", "lo", "km", "my", "bo", "yue", "wuu"})


def word_tokenizer_for(language: str, splitter: WordSplitterName = "regex") -> WordTokenizer:
    """The word tokenizer the rules use for ``language`` in this process (built once, shared by all stages)."""
    if splitter == "spacy":
        return _spacy_tokenizer_for(language)[0]
    return word_splitter_for(language).tokenizer


@cache
def _spacy_tokenizer_for(language: str) -> tuple[WordTokenizer, bool]:
    """datatrove's own tokenizer for ``language`` if it works offline here (never Stanza, which downloads),
    else spaCy's multi-language blank one; and whether that was a fallback."""
    from datatrove.utils.word_tokenizers import SpaCyTokenizer, StanzaTokenizer, load_word_tokenizer

    try:
        tokenizer = load_word_tokenizer(language)
        if isinstance(tokenizer, StanzaTokenizer):
            raise LookupError("Stanza downloads its models")
        tokenizer.word_tokenize("offline check")
        return tokenizer, False
    except Exception:
        return SpaCyTokenizer("xx"), language != "xx"


class _FollowsDocumentLanguage:
    """Mixin: for each document, point datatrove's ``self.language`` at the document's word tokenizer (and put
    the configured value back afterwards, so a stage holds no per-document state between documents)."""

    default_language: str
    only_languages: frozenset[str] | None
    word_splitter: WordSplitterName

    def _init_language(
        self, default_language: str, only_languages: list[str] | None, word_splitter: WordSplitterName
    ) -> None:
        if word_splitter not in ("regex", "spacy"):
            raise ValueError(f"word_splitter {word_splitter!r} is not one of: regex, spacy")
        self.default_language = default_language
        self.only_languages = frozenset(only_languages) if only_languages else None
        self.word_splitter = word_splitter
        self._language_setting = self.language

    def document_language(self, doc: Document) -> str:
        return str(doc.metadata.get("language") or self.default_language)

    def _prepare(self, doc: Document) -> str | None:
        """Set the tokenizer for this document; return its language, or None if the filter skips it."""
        language = self.document_language(doc)
        if self.only_languages is not None and language not in self.only_languages:
            self.stat_update("skipped_language")
            return None
        if self.word_splitter == "spacy":
            tokenizer, fallback = _spacy_tokenizer_for(language)
        else:
            splitter = word_splitter_for(language)
            tokenizer, fallback = splitter.tokenizer, splitter.fallback
        if fallback:
            self.stat_update("tokenizer_fallback")
        self.language = tokenizer
        return language

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        language = self._prepare(doc)
        if language is None:
            return True
        try:
            return self._filter_in(doc, language)
        finally:
            self._restore()

    def _filter_in(self, doc: Document, language: str) -> bool | tuple[bool, str]:
        return super().filter(doc)  # type: ignore[misc]

    def _restore(self) -> None:
        self.language = self._language_setting


class GopherQuality(_FollowsDocumentLanguage, GopherQualityFilter):
    """Gopher quality rules (datatrove's), with per-language word splitting and stop words.

    Takes every parameter of datatrove's ``GopherQualityFilter`` (thresholds), plus:

    Args:
        stop_words_by_language: replaces the built-in lists (``STOP_WORDS_BY_LANGUAGE``) for the languages given.
        only_languages: apply the rules only to these languages; None: all.
        default_language: for documents without a ``language`` in metadata.
        word_splitter: ``regex`` (default: ready at once, the words of a blank spaCy pipeline on ordinary
            prose) or ``spacy`` (datatrove's spaCy tokenizers themselves; seconds to load per language).
    """

    name = "🥇 Gopher Quality (per language)"

    def __init__(
        self,
        min_doc_words: int | None = 50,
        max_doc_words: int | None = 100000,
        min_avg_word_length: int | None = 3,
        max_avg_word_length: int | None = 10,
        max_symbol_word_ratio: float | None = 0.1,
        max_bullet_lines_ratio: float | None = 0.9,
        max_ellipsis_lines_ratio: float | None = 0.3,
        max_non_alpha_words_ratio: float | None = 0.8,
        min_stop_words: int | None = 2,
        stop_words_by_language: dict[str, list[str]] | None = None,
        only_languages: list[str] | None = None,
        default_language: str = DEFAULT_LANGUAGE,
        word_splitter: WordSplitterName = "regex",
    ):
        super().__init__(
            min_doc_words=min_doc_words,
            max_doc_words=max_doc_words,
            min_avg_word_length=min_avg_word_length,
            max_avg_word_length=max_avg_word_length,
            max_symbol_word_ratio=max_symbol_word_ratio,
            max_bullet_lines_ratio=max_bullet_lines_ratio,
            max_ellipsis_lines_ratio=max_ellipsis_lines_ratio,
            max_non_alpha_words_ratio=max_non_alpha_words_ratio,
            min_stop_words=min_stop_words,
        )
        self._init_language(default_language, only_languages, word_splitter)
        self.stop_words_by_language = {
            language: frozenset(words)
            for language, words in (STOP_WORDS_BY_LANGUAGE | (stop_words_by_language or {})).items()
        }
        self._configured = (min_stop_words, min_avg_word_length, max_avg_word_length)
        self._configured_stop_words = self.stop_words

    def _filter_in(self, doc: Document, language: str) -> bool | tuple[bool, str]:
        min_stop_words, min_avg, max_avg = self._configured
        stop_words = self.stop_words_by_language.get(language)
        if stop_words is None and min_stop_words:
            self.stat_update("stop_word_rule_skipped")
        self.stop_words = stop_words or frozenset()
        self.min_stop_words = min_stop_words if stop_words else None
        spaced = language not in LANGUAGES_WITHOUT_SPACES
        self.min_avg_word_length = min_avg if spaced else None
        self.max_avg_word_length = max_avg if spaced else None
        return super()._filter_in(doc, language)

    def _restore(self) -> None:
        super()._restore()
        self.stop_words = self._configured_stop_words
        self.min_stop_words, self.min_avg_word_length, self.max_avg_word_length = self._configured


class GopherRepetition(_FollowsDocumentLanguage, GopherRepetitionFilter):
    """Gopher repetition rules (datatrove's: duplicate lines/paragraphs, top and duplicated n-grams), per language."""

    name = "👯 Gopher Repetition (per language)"

    def __init__(
        self,
        dup_line_frac: float | None = 0.3,
        dup_para_frac: float | None = 0.3,
        dup_line_char_frac: float | None = 0.2,
        dup_para_char_frac: float | None = 0.2,
        top_n_grams: tuple[tuple[int, float], ...] = ((2, 0.2), (3, 0.18), (4, 0.16)),
        dup_n_grams: tuple[tuple[int, float], ...] = (
            (5, 0.15),
            (6, 0.14),
            (7, 0.13),
            (8, 0.12),
            (9, 0.11),
            (10, 0.10),
        ),
        only_languages: list[str] | None = None,
        default_language: str = DEFAULT_LANGUAGE,
        word_splitter: WordSplitterName = "regex",
    ):
        super().__init__(
            dup_line_frac=dup_line_frac,
            dup_para_frac=dup_para_frac,
            dup_line_char_frac=dup_line_char_frac,
            dup_para_char_frac=dup_para_char_frac,
            top_n_grams=tuple(tuple(pair) for pair in top_n_grams),
            dup_n_grams=tuple(tuple(pair) for pair in dup_n_grams),
        )
        self._init_language(default_language, only_languages, word_splitter)


class C4Quality(_FollowsDocumentLanguage, C4QualityFilter):
    """C4's line and document rules (datatrove's ``C4QualityFilter``), sentence splitting per language.

    Note that C4 also *edits* documents: lines failing its line rules are removed from the text.
    """

    name = "⛰ C4 Quality (per language)"

    def __init__(
        self,
        split_paragraph: bool = True,
        remove_citations: bool = True,
        filter_no_terminal_punct: bool = True,
        min_num_sentences: int = 5,
        min_words_per_line: int = 3,
        max_word_length: int = 1000,
        filter_lorem_ipsum: bool = True,
        filter_javascript: bool = True,
        filter_curly_bracket: bool = True,
        filter_policy: bool = True,
        only_languages: list[str] | None = None,
        default_language: str = DEFAULT_LANGUAGE,
        word_splitter: WordSplitterName = "regex",
    ):
        super().__init__(
            split_paragraph=split_paragraph,
            remove_citations=remove_citations,
            filter_no_terminal_punct=filter_no_terminal_punct,
            min_num_sentences=min_num_sentences,
            min_words_per_line=min_words_per_line,
            max_word_length=max_word_length,
            filter_lorem_ipsum=filter_lorem_ipsum,
            filter_javascript=filter_javascript,
            filter_curly_bracket=filter_curly_bracket,
            filter_policy=filter_policy,
        )
        self._init_language(default_language, only_languages, word_splitter)


class FineWebQuality(_FollowsDocumentLanguage, FineWebQualityFilter):
    """FineWeb's line-punctuation, short-line, duplicate-character and list rules (datatrove's), per language."""

    name = "🍷 FineWeb Quality (per language)"

    def __init__(
        self,
        line_punct_thr: float = 0.12,
        line_punct_exclude_zero: bool = False,
        stop_chars: list[str] | None = None,
        short_line_thr: float = 0.67,
        short_line_length: int = 30,
        char_duplicates_ratio: float = 0.01,
        new_line_ratio: float = 0.3,
        only_languages: list[str] | None = None,
        default_language: str = DEFAULT_LANGUAGE,
        word_splitter: WordSplitterName = "regex",
    ):
        super().__init__(
            line_punct_thr=line_punct_thr,
            line_punct_exclude_zero=line_punct_exclude_zero,
            stop_chars=tuple(stop_chars) if stop_chars else None,
            short_line_thr=short_line_thr,
            short_line_length=short_line_length,
            char_duplicates_ratio=char_duplicates_ratio,
            new_line_ratio=new_line_ratio,
        )
        self._init_language(default_language, only_languages, word_splitter)
