"""The word lists shipped with the package (LDNOOBW, per language) and word files of the operator's own.

The bundled lists are the "List of Dirty, Naughty, Obscene, and Otherwise Bad Words" in 28 languages, the
files C4 was filtered with and that datatrove's ``C4BadWordsFilter`` downloads at run time (same commits),
under ``lists/ldnoobw/`` with their CC BY 4.0 licence. Nothing is fetched: the files are package data.

Entries are lower-cased when loaded (the Spanish list, for one, capitalises most of its words, and C4's
filter lower-cases only the text, so those entries never match there). As in datatrove's C4 filter, a few
entries that are common parts of ordinary words in languages written without spaces are left out of every
list (``C4_ALLOWED``: Chinese 性 "nature, -ity", Japanese 女の子 "girl", ...).
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

LDNOOBW_PACKAGE = "curation.safety"
LDNOOBW_FOLDER = ("lists", "ldnoobw")

C4_ALLOWED = frozenset({"sm", "グロ", "女の子", "性"})
"""Entries datatrove's C4 filter removes from every list (each would flag over a tenth of the documents of
its language as a part of ordinary words)."""

LANGUAGE_ALIASES = {
    "ara": "ar", "ces": "cs", "cze": "cs", "dan": "da", "deu": "de", "ger": "de", "eng": "en", "epo": "eo",
    "spa": "es", "fas": "fa", "per": "fa", "pes": "fa", "fin": "fi", "tl": "fil", "tgl": "fil", "fra": "fr",
    "fre": "fr", "hin": "hi", "hun": "hu", "ita": "it", "jpn": "ja", "kor": "ko", "nld": "nl", "dut": "nl",
    "nb": "no", "nn": "no", "nor": "no", "nob": "no", "nno": "no", "pol": "pl", "por": "pt", "rus": "ru",
    "swe": "sv", "tha": "th", "tur": "tr", "zho": "zh", "chi": "zh", "cmn": "zh", "yue": "zh", "wuu": "zh",
}  # fmt: skip
"""ISO 639-3/639-2 codes (GlotLID writes these) and lid.176's codes for Norwegian and Tagalog -> the list's."""

INFLECTION_SUFFIXES: dict[str, tuple[str, ...]] = {
    "en": ("s", "es"),
    "de": ("e", "en", "n", "s", "es", "er", "ern"),
    "fr": ("s", "e", "es", "x"),
    "es": ("s", "es"),
    "pt": ("s", "es"),
    "it": (),
    "nl": ("s", "en"),
    "sv": ("er", "ar", "en", "na"),
    "da": ("e", "er", "en", "erne"),
    "no": ("er", "en", "a", "ene"),
}
"""Plural and case endings a listed word may also take in a language (``nutte`` -> ``nutten``, ``salope`` ->
``salopes``): the lists mostly give one form of each word, and C4's whole-word rule then misses the others.
Only appended endings: forms that change the stem are left to the lists."""


def _folder():
    folder = resources.files(LDNOOBW_PACKAGE)
    for part in LDNOOBW_FOLDER:
        folder = folder / part
    return folder


@cache
def bundled_languages() -> tuple[str, ...]:
    """Language codes of the bundled lists (``ar``, ``cs``, ..., ``zh``)."""
    return tuple(
        sorted(entry.name.removesuffix(".txt") for entry in _folder().iterdir() if entry.name.endswith(".txt"))
    )


def list_language(language: object) -> str | None:
    """The bundled list's code for a document's ``language`` metadata (``en``, ``eng``, ``eng_Latn``, ``zh-Hans``,
    ``nb``), or None when there is no list for it."""
    if not isinstance(language, str) or not language:
        return None
    if language in bundled_languages():
        return language
    code = language.replace("-", "_").split("_", 1)[0].lower()
    code = LANGUAGE_ALIASES.get(code, code)
    return code if code in bundled_languages() else None


@cache
def bundled_word_list(language: str) -> tuple[str, ...]:
    """The bundled list of a language (a code from ``bundled_languages``), lower-cased, ``C4_ALLOWED`` left out.

    Raises:
        KeyError: no bundled list for ``language``.
    """
    if language not in bundled_languages():
        raise KeyError(f"no bundled word list for {language!r}; bundled: {', '.join(bundled_languages())}")
    text = (_folder() / f"{language}.txt").read_text(encoding="utf-8")
    return _entries(text.splitlines(), comments=False, leave_out=C4_ALLOWED)


def read_word_file(path: str | Path) -> tuple[str, ...]:
    """A word file of one's own: one word or phrase per line, UTF-8; blank lines and lines starting with ``#``
    are skipped. Entries are lower-cased.

    Raises:
        FileNotFoundError: the file is not there (the message names it).
        ValueError: the file is not UTF-8 text (the message gives the line).
    """
    path = Path(path).expanduser()
    if not path.is_file():
        raise FileNotFoundError(f"word list {str(path)!r} does not exist")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise ValueError(f"word list {str(path)!r}: line {line} is not UTF-8 text") from None
    return _entries(text.splitlines(), comments=True, leave_out=frozenset())


def _entries(lines: list[str], comments: bool, leave_out: frozenset[str]) -> tuple[str, ...]:
    words = []
    for line in lines:
        word = " ".join(line.split()).lower()
        if not word or (comments and word.startswith("#")) or word in leave_out:
            continue
        words.append(word)
    return tuple(dict.fromkeys(words))


def install_for_datatrove(assets_dir: str | Path | None = None) -> list[Path]:
    """Put the bundled lists where datatrove's ``C4BadWordsFilter`` looks for its downloads, so that filter runs
    offline on the very files it would fetch (it pins the same commits).

    ``assets_dir``: Hugging Face's assets cache to fill (default: ``HF_ASSETS_CACHE``, as datatrove uses).
    Returns the files written (one per language, each with the ``.completed`` marker datatrove checks).
    """
    from datatrove.io import strip_protocol
    from datatrove.pipeline.filters import c4_filters
    from huggingface_hub import cached_assets_path

    folder = Path(
        cached_assets_path(
            library_name="datatrove", namespace="filters", subfolder="c4_badwords", assets_dir=assets_dir
        )
    )
    written = []
    for language in c4_filters._BADWORDS_LANGS:
        url = c4_filters._EN_BADWORDS_URL if language == "en" else c4_filters._BADWORDS_URL + language
        target = folder / strip_protocol(url).replace("/", "_")
        target.write_bytes((_folder() / f"{language}.txt").read_bytes())
        Path(f"{target}.completed").touch()
        written.append(target)
    return written
