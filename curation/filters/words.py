"""Word and sentence splitting for the rule filters: one splitter per language per process, ready at once.

datatrove's rules split words with a blank spaCy pipeline per language. Loading one costs seconds per process
(importing spaCy imports torch through thinc; French alone takes about 3.5 s to build its tokenizer), which
on small runs is most of the rule stages' time and makes two workers slower than one. The rules only count
words, their lengths, their characters and their n-grams, so ``RegexWordSplitter`` splits text the way a
blank spaCy tokenizer does on ordinary prose (punctuation, brackets and quotes on their own, contractions and
elisions split, numbers, URLs, e-mail addresses and dotted abbreviations kept whole) with a few compiled
regular expressions and a cache of the chunks it has split: no load time, and several times faster per
document. ``benchmarks/rule_words.py``
measures the rules' decisions with both on real web documents; differences are listed in BENCHMARKS.md.

``word_splitter_for`` gives each language its splitter, cached per process and shared by every rule stage:

- languages datatrove splits with spaCy's rules (its blank pipelines, the multi-language ``xx`` one, and its
  whitespace fallback): ``RegexWordSplitter``;
- languages written without spaces whose segmenter is installed (pythainlp for Thai, kiwipiepy for Korean,
  sudachipy for Japanese, ...): datatrove's tokenizer for them, loaded on first use;
- the same languages without their segmenter, and languages datatrove splits with Stanza (which downloads
  its models on first use): ``RegexWordSplitter``, marked as a fallback.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

import regex
from datatrove.utils.word_tokenizers import WordTokenizer

SEGMENTER_PACKAGES = {
    "ThaiTokenizer": "pythainlp",
    "KiwiTokenizer": "kiwipiepy",
    "IndicNLPTokenizer": "indicnlp",
    "KhmerTokenizer": "khmernltk",
    "LaoTokenizer": "laonlp",
    "TibetanTokenizer": "botok",
    "BurmeseTokenizer": "pyidaungsu",
}
"""datatrove's word tokenizers for scripts without spaces, and the package each needs."""
SPACY_SEGMENTER_PACKAGES = {"zh": "jieba", "vi": "pyvi", "ja": "sudachipy"}
"""Languages whose datatrove spaCy tokenizer hands segmentation to another package."""

TITLES = {
    "en": "Mr Mrs Ms Dr Jr Sr St Mt Inc Ltd Co Corp Bros Gen Gov Sen Rep Rev Prof Jan Feb Mar Apr Jun Jul Aug Sep "
    "Sept Oct Nov Dec vs",
    "de": "Dr Prof Hr Fr Nr Str St ca bzw usw vgl ggf evtl inkl",
    "fr": "M Mme Mlle Dr St Ste av bd",
    "es": "Sr Sra Srta Dr Dra Ud Uds Av",
    "it": "Sig Dott Prof St Cod",
    "ru": "г гг т тыс млн млрд руб",
    "pt": "Sr Sra Dr Dra",
    "nl": "Dhr Mevr Dr Prof",
}
"""Abbreviations that keep their period, per language (dotted ones such as ``e.g.`` or ``U.S.`` always do)."""
PRONOUNS = "i you he she it we they who what where when why how there that this here"
ENGLISH_CLITICS = regex.compile(r"(?i)^(?:(.+?)(n['’]t)|(" + PRONOUNS.replace(" ", "|") + r")(['’](?:m|re|ve|ll|d)))$")
"""``don't`` -> ``do n't``, ``we'll`` -> ``we 'll``: English contractions split as spaCy's English rules do
(``'s`` comes off any word as a suffix; the others only after a pronoun, so ``lov'd`` stays whole)."""
ENGLISH_UNMARKED = {
    word: (word[: -len(tail)], tail)
    for tail, heads in (
        ("nt", "do does did is are was were has have had ca wo could should would must ai need"),
        ("m", "i"),
        ("re", "you they"),
        ("ve", "i you we they"),
        ("d", "i you they"),
    )
    for word in (head + tail for head in heads.split())
}
"""Contractions written without the apostrophe (``dont``, ``im``), split the same way; ambiguous ones such as
``well``, ``wed`` or ``its`` are left alone."""
ELISIONS = {
    "fr": regex.compile(r"(?i)^((?:[cdjlmnst]|qu|jusqu|lorsqu|puisqu|quoiqu)['’])(\p{L}.*)$"),
    "it": regex.compile(r"(?i)^(\p{L}+['’])(\p{L}.*)$"),
    "ca": regex.compile(r"(?i)^([dlmnst]['’])(\p{L}.*)$"),
}
"""Elided articles and pronouns (``l'homme`` -> ``l' homme``) in the languages whose spaCy rules split them."""
FRENCH_INVERSION = regex.compile(
    r"(?i)^(\p{L}[\p{L}']*?)((?:-t)?-(?:je|tu|il|elle|on|nous|vous|ils|elles|ce|moi|toi|lui|leur|y|en))$"
)
"""French inverted subject pronouns come off as their own tokens: ``dit-il`` -> ``dit -il``,
``a-t-il`` -> ``a -t -il``."""
EXCEPTIONS = {
    "en": {"cannot": ("can", "not"), "gonna": ("gon", "na"), "gotta": ("got", "ta"), "and/or": ("and/or",)},
    "ca": {"al": ("a", "l"), "als": ("a", "ls"), "del": ("d", "el"), "dels": ("d", "els"), "pel": ("p", "el")},
}
"""Whole words split (or kept) as the language's rules do: English ``cannot``, Catalan contractions."""
ORDINAL_LANGUAGES = frozenset("de da nb no nn is cs sl hr hu et lv lt".split())
"""Languages that write ordinals as ``3.``: a number followed by a period is one token."""
EMOTICONS = frozenset(
    ":) :-) :( :-( ;) ;-) :D :-D :P :-P :p :-p :/ :| :o :O :3 :* ;D <3 </3 (: ): (= =) =( )= [: :] [= =] "
    "xD XD ^_^ 8) :'( -_-".split()
)
"""Emoticons stay one token, also when they touch a word (``(=`` in ``(=x``)."""
UNITS = (
    "km/h|km|cm|mm|nm|m|kg|mg|g|lbs|lb|oz|ml|cl|dl|l|ft|mi|yd|mph|kph|kmh|GB|MB|KB|TB|kB|Gb|Mb|Hz|kHz|MHz|GHz|kW|kWh|"
    "MW|W|V|K|mAh|°C|°F|°"
)
CURRENCY = "$£€¥₹₽₩₪₫฿₴₦"
_BOTH_ENDS = "\"'`*#&§%_|!?,;:—–،؛؟。、！？，：；"
_OPENING = _BOTH_ENDS + "¿¡<=+"
_CLOSING = _BOTH_ENDS + ">"
_BRACKETS_AND_QUOTES = r"\p{Ps}\p{Pe}\p{Pi}\p{Pf}"

_PREFIX = regex.compile(
    r"^(?:\.{2,}|…|-{2,}|''|``|\+(?![0-9])|["
    + regex.escape(_OPENING.replace("+", "") + CURRENCY)
    + _BRACKETS_AND_QUOTES
    + r"]|\p{So})"
)
HYPHENS_KEPT = frozenset("de es pt nl sv da fi el hu ro ca nb nn no fr".split())
"""Languages whose spaCy rules keep ``Saudi-Arabien``, ``segunda-feira`` whole (English splits at hyphens)."""
HYPHENS_BEFORE_LOWER = frozenset({"it"})
"""Languages that split at a hyphen only before a lower-case letter (``anti-Isis`` stays whole)."""
PERCENT_KEPT = frozenset("es nl el hu ro ca".split())
RANGES_KEPT = frozenset("es pt nl sv da fi el hu ro nb nn no lt".split())
SLASHES_KEPT = frozenset("nl hu ro".split())
COLONS_KEPT = frozenset("sv fi".split())
POSSESSIVE_SPLIT = frozenset("en xx it pt ru cs tr id uk bg hr sk lt lv et he hi".split())
"""Languages whose rules take ``'s`` off a word as a suffix (``it's`` -> ``it 's``)."""


def _suffix_pattern(language: str) -> regex.Pattern:
    after_number = regex.escape(CURRENCY) + ("" if language in PERCENT_KEPT else "%")
    possessive = r"|['’][sS]" if language in POSSESSIVE_SPLIT else ""
    return regex.compile(
        r"(?:\.{2,}|…|-{2,}|''"
        + possessive
        + r"|["
        + regex.escape(_CLOSING.replace("%", ""))
        + _BRACKETS_AND_QUOTES
        + r"]|(?<!\d)%|\p{So}|(?<=[0-9])\+|(?<=[0-9])(?:["
        + after_number
        + r"]|"
        + UNITS
        + r")|(?<=[0-9\p{Ll}\p{Lo}%²\-+…"
        + _BRACKETS_AND_QUOTES
        + r"\"'])\.|(?<=\p{Lu}\p{Lu})\.)$"
    )


def _infix_pattern(language: str) -> regex.Pattern:
    parts = [r"\.{2,}", "…", "°", r"(?<=[\p{Ll}])\.(?=\p{Lu})", r"(?<=\p{L}),(?=\p{L})"]
    if language not in RANGES_KEPT:
        parts.append(r"(?<=[0-9])[+\-*^](?=[0-9\-])")
    if language in HYPHENS_BEFORE_LOWER:
        parts.append(r"(?<=[\p{L}0-9])(?:-{1,3}|–|—|——|~)(?=\p{Ll})")
    elif language not in HYPHENS_KEPT:
        parts.append(r"(?<=[\p{L}0-9])(?:-{1,3}|–|—|——|~)(?=\p{L})")
    separators = "".join(
        mark
        for mark, kept in ((":", COLONS_KEPT), ("/", SLASHES_KEPT), ("<", ()), (">", ()), ("=", ()))
        if language not in kept
    )
    parts.append(r"(?<=[\p{L}0-9])[" + regex.escape(separators) + r"](?=\p{L})")
    return regex.compile("|".join(parts))


_URL = regex.compile(
    r"^(?:[A-Za-z][A-Za-z0-9+.\-]*://|www\.)\S+$"
    r"|^[\w.+\-]+@\w[\w\-]*(?:\.[\w\-]+)+$"
    r"|^(?:[\w\-]+\.)+[a-z]{2,}(?:[/:?#]\S*)?$"
)
_DOTTED = regex.compile(r"^(?:\p{L}{1,3}\.){2,}$|^[A-Za-z]\.$")
_ORDINAL = regex.compile(r"^\d+(?:\.\d+)*\.$")
_SPLIT_DOTTED = regex.compile(r"^(\p{Ll}\.)(\p{Lu}\.)$")
"""``a.C.`` -> ``a. C.`` (English rules; German keeps ``z.B.`` whole)."""
_SENTENCE_END = regex.compile(r"\p{Sentence_Terminal}")
_PUNCTUATION = regex.compile(r"\p{P}+")
_CHUNK = regex.compile(r"\S+")
CACHE_LIMIT = 200_000
"""Split chunks remembered per splitter (web text repeats words: most chunks are looked up, not split)."""

Pieces = tuple[tuple[int, int], ...]


class RegexWordSplitter(WordTokenizer):
    """Words and sentences the way a blank spaCy tokenizer splits ordinary prose, without loading spaCy.

    A datatrove ``WordTokenizer`` (``word_tokenize``, ``sent_tokenize``, ``span_tokenize``), so datatrove's
    rules take it as their ``language``. Text is split at whitespace; from each chunk, opening punctuation
    (brackets, quotes, ``¿``, currency, symbols) comes off the front and closing punctuation (brackets, quotes,
    ``,`` ``;`` ``!`` ``?``, a period after a lower-case letter or a digit, units after a number) off the back,
    one token each, unless what is left is an abbreviation, an emoticon or a URL; what remains is cut at
    hyphens and slashes between letters and at ``...``. ``language`` (ISO 639-1) adds its own rules: English
    contractions, French/Italian/Catalan elisions, titles that keep their period, ordinals written ``3.``.
    Sentences end at a sentence-terminal punctuation token (``.``, ``!``, ``?``, ``。``, ``।``, ...) and the
    next sentence starts at the next token that is not punctuation, as in spaCy's sentencizer.
    """

    def __init__(self, language: str = "xx"):
        super().__init__(language)
        self._titles = frozenset(f"{title}." for title in TITLES.get(language, "").split())
        self._english = language == "en"
        self._suffix = _suffix_pattern(language)
        self._infix = _infix_pattern(language)
        self._elision = ELISIONS.get(language)
        self._exceptions = EXCEPTIONS.get(language, {})
        self._ordinals = language in ORDINAL_LANGUAGES
        self._cache: dict[str, Pieces] = {}

    def __repr__(self) -> str:
        return f"RegexWordSplitter({self.language!r})"

    def __reduce__(self):
        return (type(self), (self.language,))

    def tokens(self, text: str) -> Iterator[tuple[str, int, int]]:
        """(token, start, end) for every token of ``text``, in order (character offsets)."""
        cache = self._cache
        for match in _CHUNK.finditer(text):
            chunk = match.group()
            pieces = cache.get(chunk)
            if pieces is None:
                if len(cache) >= CACHE_LIMIT:
                    cache.clear()
                pieces = cache[chunk] = self._split(chunk)
            offset = match.start()
            if len(pieces) == 1:
                yield chunk, offset, offset + len(chunk)
                continue
            for start, end in pieces:
                yield chunk[start:end], offset + start, offset + end

    def _split(self, chunk: str) -> Pieces:
        """The tokens of one whitespace-free chunk, as (start, end) within it."""
        front: list[tuple[int, int]] = []
        back: list[tuple[int, int]] = []
        start, end = 0, len(chunk)
        while start < end:
            piece = chunk[start:end]
            if self._is_whole(piece):
                break
            if (found := _PREFIX.match(piece)) and found.end() < len(piece):
                front.append((start, start + found.end()))
                start += found.end()
                continue
            found = self._suffix.search(piece)
            if found and found.start() > 0:
                back.append((start + found.start(), end))
                end = start + found.start()
                continue
            break
        middle = self._split_middle(chunk, start, end) if start < end else []
        pieces = front + middle + back[::-1]
        if len(pieces) > 1 and any(character in chunk for character in ":;=()[]<>"):
            pieces = _merge_emoticons(chunk, pieces)
        return tuple(pieces)

    def _is_whole(self, piece: str) -> bool:
        return (
            piece in EMOTICONS
            or piece in self._titles
            or (self._ordinals and piece.endswith(".") and _ORDINAL.match(piece) is not None)
            or _DOTTED.match(piece) is not None
        )

    def _split_middle(self, chunk: str, start: int, end: int) -> list[tuple[int, int]]:
        piece = chunk[start:end]
        if self._english and (found := _SPLIT_DOTTED.match(piece)) is not None:
            cut = start + len(found.group(1))
            return [(start, cut), (cut, end)]
        if self._is_whole(piece) or _URL.match(piece):
            return [(start, end)]
        lowered = piece.lower() if piece[:1].isupper() and piece[1:].islower() else piece  # ``Dont``, not ``ID``
        parts = self._exceptions.get(lowered) or (ENGLISH_UNMARKED.get(lowered) if self._english else None)
        if parts:
            if len(parts) == 1:
                return [(start, end)]
            cut = start + len(parts[0])
            return [(start, cut), (cut, end)]
        if self.language == "fr" and "-" in piece and (found := FRENCH_INVERSION.match(piece)):
            cut = start + len(found.group(1))
            tail = found.group(2)
            pieces = [(start, cut)]
            if tail.lower().startswith("-t-"):
                pieces.append((cut, cut + 2))
                cut += 2
            return [*pieces, (cut, end)]
        if "'" in piece or "’" in piece:
            if self._english and (found := ENGLISH_CLITICS.match(piece)):
                cut = start + len(found.group(1) or found.group(3))
                return [(start, cut), (cut, end)]
            if self._elision is not None and (found := self._elision.match(piece)):
                cut = start + len(found.group(1))
                return [(start, cut), *self._split_middle(chunk, cut, end)]
        pieces: list[tuple[int, int]] = []
        position = start
        for found in self._infix.finditer(piece):
            cut_start, cut_end = start + found.start(), start + found.end()
            if cut_start > position:
                pieces.append((position, cut_start))
            pieces.append((cut_start, cut_end))
            position = cut_end
        if position < end:
            pieces.append((position, end))
        return pieces

    def word_tokenize(self, text: str) -> list[str]:
        return [token for token, _, _ in self.tokens(text)]

    def span_tokenize(self, text: str) -> list[tuple[int, int]]:
        """(start, end) of each sentence, in characters (the sentencizer's rule on this splitter's tokens)."""
        spans: list[tuple[int, int]] = []
        start: int | None = None
        end = 0
        seen_end = False
        for token, token_start, token_end in self.tokens(text):
            is_end = len(token) == 1 and _SENTENCE_END.match(token) is not None
            if start is None:
                start = token_start
            elif seen_end and not is_end and not _PUNCTUATION.fullmatch(token):
                spans.append((start, end))
                start, seen_end = token_start, False
            if is_end:
                seen_end = True
            end = token_end
        if start is not None:
            spans.append((start, end))
        return spans

    def sent_tokenize(self, text: str) -> list[str]:
        return [text[a:b].strip() for a, b in self.span_tokenize(text) if text[a:b].strip()]


def _merge_emoticons(chunk: str, pieces: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Join neighbouring pieces that together spell an emoticon (``)`` + ``:`` -> ``):``)."""
    merged: list[tuple[int, int]] = []
    for piece in pieces:
        if merged and chunk[merged[-1][0] : piece[1]] in EMOTICONS:
            merged[-1] = (merged[-1][0], piece[1])
        else:
            merged.append(piece)
    return merged


def _assignment(language: str) -> tuple[str, str] | None:
    """datatrove's tokenizer for ``language`` as its table assigns it: (class name, language code it is built
    with), read from datatrove's own table loader so the two never disagree (no tokenizer is built)."""
    from datatrove.utils.word_tokenizers import load_tokenizer_assignments

    factory = load_tokenizer_assignments().get(language)
    if factory is None:
        return None
    kind, code = factory.args
    return kind, code or language


def _installed(package: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(package) is not None


@dataclass(frozen=True)
class WordSplitter:
    """The splitter a language gets, and whether it stands in for a segmenter that is not installed."""

    tokenizer: WordTokenizer
    fallback: bool


@cache
def word_splitter_for(language: str) -> WordSplitter:
    """The word splitter for ``language`` in this process (built on first use, then shared by all stages)."""
    assignment = _assignment(language)
    if assignment is None:
        return WordSplitter(RegexWordSplitter(language), fallback=False)
    kind, code = assignment
    if kind == "SpaCyTokenizer":
        package = SPACY_SEGMENTER_PACKAGES.get(code)
        if package is None:
            return WordSplitter(RegexWordSplitter(code), fallback=False)
    elif kind in ("WhitespaceTokenizer", "StanzaTokenizer"):
        return WordSplitter(RegexWordSplitter(language), fallback=kind == "StanzaTokenizer")
    else:
        package = SEGMENTER_PACKAGES.get(kind)
    if package is not None and _installed(package):
        from datatrove.utils.word_tokenizers import load_word_tokenizer

        try:
            tokenizer = load_word_tokenizer(language)
            tokenizer.word_tokenize("offline check")
            return WordSplitter(tokenizer, fallback=False)
        except Exception:  # a segmenter that needs data it cannot find offline
            pass
    return WordSplitter(RegexWordSplitter(language), fallback=True)
