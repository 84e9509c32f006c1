"""``flagged_words``: drop documents by the share of flagged words in their language, not by a single hit.

C4 dropped every page holding any word of the LDNOOBW list ("bad words"). That removes adult pages, and
with them sex education, breast-cancer screening advice, anatomy, court reports and crime news: a page
about rape law says "rape", a Chinese text about milk (牛奶) contains 奶. Measured on the labelled set of
``tests/data/safety_labelled.jsonl``, C4's rule removes most such look-alikes (BENCHMARKS.md). Later
corpora (ROOTS/BigScience, CulturaX, RedPajama's quality signals) instead measure the *share* of flagged
words in a document and drop above a threshold, which is what this stage does:

- the list is chosen by the document's ``language`` (``language_id`` writes it); the bundled LDNOOBW lists
  cover 28 languages (``curation.safety.wordlists``), ``word_lists`` adds or replaces lists from files,
  ``extra_words`` and ``allowed_words`` adjust them. A document in a language without a list passes,
  counted as ``no_word_list`` (and ``no_word_list_<language>``); it is never an error;
- words are matched whole (``ass`` is not in ``class``), phrases across any whitespace, and in scripts
  written without spaces as substrings (``curation.safety.matching``);
- share = units covered by flagged words / units of the document, where a unit is a word, or one
  character of a script written without spaces (so Chinese and English shares are comparable);
- a document is dropped as ``flagged_word_share`` when its share exceeds ``max_flagged_share`` and it has
  at least ``min_flagged_words`` different flagged words (so a ten-word snippet with one hit is not judged
  on a share of 10 %, nor a text on birds that names the blue tit three times);
- its URL counts too, as in FineWeb's URL filter: a URL that itself holds flagged words lowers the share
  threshold to ``max_flagged_share_with_url``, and one holding ``url_flagged_words_to_drop`` or more drops
  the document as ``flagged_url``.

Each document gets ``flagged_words`` (count), ``flagged_word_share`` and ``flagged_url_words`` in its
metadata (None for a language without a list). ``action: tag`` keeps every document and writes the reason
it would have been dropped for into ``flagged_words_reason`` instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import unquote

from datatrove.data import Document
from datatrove.pipeline.filters.base_filter import BaseFilter

from curation.safety.matching import TermMatcher, count_units, leftmost_longest
from curation.safety.wordlists import (
    INFLECTION_SUFFIXES,
    bundled_languages,
    bundled_word_list,
    list_language,
    read_word_file,
)

DEFAULT_MAX_FLAGGED_SHARE = {"default": 0.04, "zh": 0.25}
"""4 % of the words, as in the flagged-word ratio filters of ROOTS and Data-Juicer (4.5 %); Chinese is
counted per character and its list holds 26 single characters that are parts of ordinary words (奶 in
牛奶 "milk", 乳 in 乳腺 "mammary gland"), so a Chinese text on breast screening reaches 10-20 %."""
NO_WORD_LIST = "no_word_list"


@dataclass(frozen=True)
class FlaggedScore:
    """A document against its language's list: flagged words (occurrences), distinct flagged words, the
    share of its units they cover (0..1), and flagged words in its URL."""

    words: int
    distinct: int
    share: float
    url_words: int


SHARE_REASON = "flagged_word_share"
URL_REASON = "flagged_url"


class FlaggedWords(BaseFilter):
    """Drop (or tag) documents whose share of flagged words is high, per language, with offline word lists.

    Args:
        max_flagged_share: the largest share of flagged units a document may have (0.04 = 4 %); a mapping
            ``{language: share}`` sets it per language, with ``default`` for the others.
        min_flagged_words: a document needs at least this many *different* flagged words (or phrases) to be
            dropped for its share: one word repeated (``tit`` in a text on birds, ``rape`` in a court report)
            is a topic, several different ones are a pattern.
        max_flagged_share_with_url: the share threshold for a document whose URL holds a flagged word.
        url_flagged_words_to_drop: drop a document whose URL holds this many flagged words or more (None:
            never for the URL alone).
        word_lists: ``{language: path}``: word files (one entry per line, ``#`` comments) that replace the
            bundled list of that language, or give one to a language that has none.
        extra_words: ``{language: [words]}`` added to that language's list.
        allowed_words: ``{language: [words]}`` taken out of that language's list; the language ``"*"``
            applies to every list.
        languages: score only documents in these languages; others pass, counted as ``skipped_language``.
        default_language: the language of a document without ``language`` metadata.
        action: ``drop`` (default) or ``tag`` (keep every document, write ``flagged_words_reason``).

    Raises:
        FileNotFoundError / ValueError: a word file that is missing or not UTF-8 (when the stage is built).
    """

    name = "🚩 Flagged words (per language)"

    def __init__(
        self,
        max_flagged_share: float | dict[str, float] | None = None,
        min_flagged_words: int = 2,
        max_flagged_share_with_url: float = 0.01,
        url_flagged_words_to_drop: int | None = 3,
        word_lists: dict[str, str] | None = None,
        extra_words: dict[str, list[str]] | None = None,
        allowed_words: dict[str, list[str]] | None = None,
        languages: list[str] | None = None,
        default_language: str = "en",
        action: Literal["drop", "tag"] = "drop",
    ):
        super().__init__()
        if action not in ("drop", "tag"):
            raise ValueError(f"action must be 'drop' or 'tag', not {action!r}")
        if max_flagged_share is None:
            max_flagged_share = DEFAULT_MAX_FLAGGED_SHARE
        if isinstance(max_flagged_share, dict):
            shares = dict(max_flagged_share)
            self.default_share = float(shares.pop("default", DEFAULT_MAX_FLAGGED_SHARE["default"]))
            self.shares = {str(language): float(share) for language, share in shares.items()}
        else:
            self.default_share = float(max_flagged_share)
            self.shares = {}
        self.min_flagged_words = min_flagged_words
        self.max_flagged_share_with_url = max_flagged_share_with_url
        self.url_flagged_words_to_drop = url_flagged_words_to_drop
        self.languages = frozenset(languages) if languages else None
        self.default_language = default_language
        self.action = action
        self.lists = self._build_lists(word_lists or {}, extra_words or {}, allowed_words or {})
        self._matchers: dict[str, TermMatcher] = {}

    @staticmethod
    def _build_lists(
        word_lists: dict[str, str], extra_words: dict[str, list[str]], allowed_words: dict[str, list[str]]
    ) -> dict[str, tuple[str, ...]]:
        """language -> its words: the bundled lists (lazily read later), files, extra and allowed words."""
        own = {language: read_word_file(path) for language, path in word_lists.items()}
        languages = set(bundled_languages()) | set(own) | set(extra_words)
        everywhere = {" ".join(word.split()).lower() for word in allowed_words.get("*", [])}
        lists: dict[str, tuple[str, ...]] = {}
        for language in sorted(languages):
            words = own.get(language)
            if words is None:
                words = bundled_word_list(language) if language in bundled_languages() else ()
            words = words + tuple(" ".join(w.split()).lower() for w in extra_words.get(language, []))
            allowed = everywhere | {" ".join(w.split()).lower() for w in allowed_words.get(language, [])}
            words = tuple(dict.fromkeys(word for word in words if word and word not in allowed))
            if words:
                lists[language] = words
        return lists

    def matcher(self, language: str) -> TermMatcher | None:
        """The compiled list for a list code (built on first use, once per process)."""
        if language not in self.lists:
            return None
        if language not in self._matchers:
            suffixes = INFLECTION_SUFFIXES.get(language.split("-", 1)[0], ())
            self._matchers[language] = TermMatcher(self.lists[language], suffixes=suffixes)
        return self._matchers[language]

    def list_for(self, language: object) -> str | None:
        """The list code for a document's language: its own list if the operator gave one, else the bundled one."""
        if isinstance(language, str) and language in self.lists:
            return language
        code = list_language(language)
        if code in self.lists:
            return code
        if isinstance(language, str):
            short = language.replace("-", "_").split("_", 1)[0].lower()
            if short in self.lists:
                return short
        return None

    def score(self, text: str, url: str | None, language: str) -> FlaggedScore:
        """How flagged a text (and its URL) is against the list of ``language`` (a list code)."""
        matcher = self.matcher(language)
        if matcher is None:
            raise KeyError(f"no word list for {language!r}")
        matches = leftmost_longest(matcher.find(text))
        units = count_units(text) if matches else 0  # no flagged word: the share is 0 whatever the length
        flagged_units = sum(matcher.units_of(match.term) for match in matches)
        url_words = len(leftmost_longest(matcher.find(_readable_url(url)))) if url else 0
        return FlaggedScore(
            words=len(matches),
            distinct=len({match.term for match in matches}),
            share=min(1.0, flagged_units / units) if units else 0.0,
            url_words=url_words,
        )

    def share_limit(self, language: str) -> float:
        return self.shares.get(language, self.default_share)

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        raw_language = doc.metadata.get("language") or self.default_language
        if self.languages is not None and raw_language not in self.languages:
            self.stat_update("skipped_language")
            return True
        language = self.list_for(raw_language)
        if language is None:
            self.stat_update(NO_WORD_LIST, f"{NO_WORD_LIST}_{raw_language}")
            doc.metadata.update(flagged_words=None, flagged_word_share=None, flagged_url_words=None)
            return True
        url = doc.metadata.get("url")
        score = self.score(doc.text, url if isinstance(url, str) else None, language)
        doc.metadata.update(
            flagged_words=score.words, flagged_word_share=round(score.share, 4), flagged_url_words=score.url_words
        )
        if score.words:
            self.stat_update("documents_with_flagged_words")
        reason = self.reason(score, language)
        if self.action == "tag":
            doc.metadata["flagged_words_reason"] = reason
            if reason:
                self.stat_update(f"tagged_{reason}")
            return True
        return (False, reason) if reason else True

    def reason(self, score: FlaggedScore, language: str) -> str | None:
        """Why a document with this score is dropped (``flagged_url``, ``flagged_word_share``), or None."""
        if self.url_flagged_words_to_drop is not None and score.url_words >= self.url_flagged_words_to_drop:
            return URL_REASON
        limit = self.share_limit(language)
        if score.url_words:
            limit = min(limit, self.max_flagged_share_with_url)
        if score.distinct >= self.min_flagged_words and score.share > limit:
            return SHARE_REASON
        return None

    def describe(self) -> dict[str, Any]:
        """The settings and list sizes, for reports."""
        return {
            "max_flagged_share": self.default_share,
            "max_flagged_share_by_language": self.shares,
            "min_flagged_words": self.min_flagged_words,
            "max_flagged_share_with_url": self.max_flagged_share_with_url,
            "url_flagged_words_to_drop": self.url_flagged_words_to_drop,
            "lists": {language: len(words) for language, words in self.lists.items()},
        }


def _readable_url(url: str) -> str:
    """The URL with percent-escapes decoded (``%E8%89%B2%E6%83%85`` -> 色情), so its words can be matched."""
    return unquote(url, errors="replace")
