"""Turn a window of documents into model rows: one flat array of token ids, row lengths, and row owners.

The work is done by the Rust ``tokenizers`` backend (``encode_batch`` releases the GIL, so slices of a
window encode in parallel threads while the model runs); what Python does per document is kept to taking
each encoding's ids, and the window is handed on as numpy arrays (``TokenizedWindow.flat`` and
``offsets``), so packing a batch is one vectorised gather.

Two policies for long documents:

- ``truncate`` (default): one row per document, its first ``max_length`` tokens.
- ``chunk``: every ``max_length`` window of the document becomes a row (the tokenizer's own overflow
  handling, with ``overlap`` tokens shared between neighbours and special tokens around each window); with
  ``max_chunks``, only that many windows are kept.

**Never tokenise what truncation throws away.** A document far longer than what is kept is cut before it
is encoded, at the start of a run of spaces near ``CHARS_PER_TOKEN_BUDGET`` characters per kept token, and
the cut is used only when the prefix alone already overflows what is kept. Then its ids are exactly those
of the whole text: the tokenizer's pre-tokenizer never joins text across a space (``is_space_splitting``
says for which tokenizers that holds, from their definition), so every pre-token of the prefix, its last
one included, is a pre-token of the whole text too, and the kept tokens are the first tokens of the
prefix. A prefix that does not overflow is cut again four times longer, then not at all. Tokenizers not
known to split at spaces (no pre-tokenizer, a custom one) always encode the whole text.
"""

from __future__ import annotations

import itertools
import json
import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from tokenizers import Encoding, Tokenizer

logger = logging.getLogger(__name__)

CHARS_PER_TOKEN_BUDGET = 6
"""Characters kept per wanted token before encoding a long document. Real web text runs at 2-5 characters
per token (99% of Common Crawl documents under 6 with a BERT or RoBERTa tokenizer); a cut that turns out
too short is detected (the prefix does not overflow) and redone with a four times larger budget, then with
the whole text."""
BUDGET_GROWTH = 4
SPACE = " "

SPACE_SPLITTING_PRE_TOKENIZERS = frozenset(
    {"BertPreTokenizer", "Whitespace", "WhitespaceSplit", "ByteLevel", "Metaspace"}
)
"""Pre-tokenizers that start a new pre-token at every space (U+0020) following a non-space character, so
text before such a space tokenises the same whatever follows it. ``ByteLevel`` only with its GPT-2 regex,
``Metaspace`` only when it splits (its default)."""
REFINING_PRE_TOKENIZERS = frozenset({"Digits", "Punctuation", "Split", "UnicodeScripts", "CharDelimiterSplit"})
"""Pre-tokenizers that may follow a space-splitting one in a ``Sequence``: they only split pieces further.
(``Split`` *before* a space-splitting one could join text across a space, so order is checked.)"""
LOCAL_NORMALIZERS = frozenset(
    {"NFC", "NFD", "NFKC", "NFKD", "Lowercase", "StripAccents", "BertNormalizer", "Prepend", "Strip", "Precompiled"}
)
"""Normalizers that map text without looking across a space (per character, or composing a character with
the combining marks that follow it), so normalising a prefix gives the prefix of the normalised text."""


def is_space_splitting(definition: dict) -> bool:
    """Whether a tokenizer (its ``tokenizer.json`` definition) tokenises text before a space independently of
    what follows, which is what makes cutting a long text before encoding exact (see the module docstring)."""
    return _normalizer_is_local(definition.get("normalizer")) and _pre_tokenizer_splits(definition.get("pre_tokenizer"))


def _normalizer_is_local(normalizer: dict | None) -> bool:
    if normalizer is None:
        return True
    kind = normalizer.get("type")
    if kind == "Sequence":
        return all(_normalizer_is_local(part) for part in normalizer.get("normalizers", []))
    if kind == "Replace":
        return _replacement_is_local(normalizer.get("pattern") or {})
    return kind in LOCAL_NORMALIZERS


def _replacement_is_local(pattern: dict) -> bool:
    """A ``Replace`` normalizer is local when no match can start before a space-run start and reach past it:
    a plain string without a non-space followed by a space (XLM-R's and DeBERTa-v3's quote and space
    rewrites), or a regular expression made of spaces and repetition counts only (``" {2,}"``)."""
    if "String" in pattern:
        text = pattern["String"]
        return not any(a != SPACE and b == SPACE for a, b in itertools.pairwise(text))
    regex = pattern.get("Regex")
    return isinstance(regex, str) and SPACE in regex and set(regex) <= set(" {},+*?0123456789")


def _pre_tokenizer_splits(pre_tokenizer: dict | None) -> bool:
    if pre_tokenizer is None:
        return False
    kind = pre_tokenizer.get("type")
    if kind == "Sequence":
        parts = pre_tokenizer.get("pretokenizers", [])
        splitting = [i for i, part in enumerate(parts) if _pre_tokenizer_splits(part)]
        if not splitting:
            return False
        # everything before the first space-splitting step must itself be a refinement that keeps spaces
        # as boundaries; anything after it may only split further
        first = splitting[0]
        after_ok = all(
            _pre_tokenizer_splits(part) or part.get("type") in REFINING_PRE_TOKENIZERS for part in parts[first + 1 :]
        )
        before_ok = all(part.get("type") in ("Digits", "Punctuation", "UnicodeScripts") for part in parts[:first])
        return after_ok and before_ok
    if kind == "ByteLevel":
        return pre_tokenizer.get("use_regex", True)
    if kind == "Metaspace":
        return pre_tokenizer.get("split", True) is not False
    return kind in SPACE_SPLITTING_PRE_TOKENIZERS


@dataclass
class TokenizedWindow:
    """Rows of one window of documents, in document order (rows of one document are adjacent).

    ``flat`` holds every row's ids back to back (int64); row ``r`` is ``flat[offsets[r] : offsets[r] +
    lengths[r]]``. ``row_document[r]`` is the window position of the document row ``r`` belongs to.
    """

    flat: np.ndarray
    offsets: np.ndarray
    lengths: np.ndarray
    row_document: np.ndarray
    documents: int
    truncated: int

    @property
    def rows(self) -> int:
        return len(self.lengths)

    @property
    def ids(self) -> list[list[int]]:
        """Each row's ids as a list (for inspection; the engine reads ``flat``)."""
        pairs = zip(self.offsets, self.lengths, strict=True)
        return [self.flat[start : start + length].tolist() for start, length in pairs]

    def row(self, index: int) -> np.ndarray:
        start = self.offsets[index]
        return self.flat[start : start + self.lengths[index]]

    @property
    def document_tokens(self) -> int:
        """Tokens the model reads for this window (special tokens included, padding excluded)."""
        return int(self.lengths.sum())


class DocumentTokenizer:
    """Encodes documents into rows for one ``max_length`` and long-document policy; safe to share by threads."""

    def __init__(
        self,
        hf_tokenizer,
        max_length: int,
        long_documents: str = "truncate",
        overlap: int = 0,
        max_chunks: int | None = None,
        threads: int = 1,
    ):
        definition = hf_tokenizer.backend_tokenizer.to_str()
        self.backend = Tokenizer.from_str(definition)
        self.backend.no_padding()
        specials = self.backend.num_special_tokens_to_add(False)
        if max_length <= specials:
            raise ValueError(f"max_length {max_length} leaves no room beside {specials} special tokens")
        if overlap >= max_length - specials:
            raise ValueError(
                f"chunk_overlap {overlap} must be less than the {max_length - specials} text tokens a row holds"
            )
        self.backend.enable_truncation(max_length, stride=overlap if long_documents == "chunk" else 0)
        self.max_length = max_length
        self.chunk = long_documents == "chunk"
        self.max_chunks = max_chunks
        self.char_budget = max_length * CHARS_PER_TOKEN_BUDGET
        self.cuts_texts = is_space_splitting(json.loads(definition))
        """Whether long texts are cut before encoding (only for tokenizers that split at spaces)."""
        if not self.cuts_texts:
            logger.info("this tokenizer does not provably split at spaces: long texts are encoded whole")
        self.empty_row = hf_tokenizer.unk_token_id or hf_tokenizer.pad_token_id or 0
        """Stands in for a document that tokenises to nothing (a tokenizer that adds no special tokens): the
        model needs at least one position to attend to."""
        self.threads = max(1, threads)
        self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="tokenize") if self.threads > 1 else None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False)
            self._pool = None

    def encode(self, texts: Sequence[str]) -> TokenizedWindow:
        """Rows for a window of documents (see the module docstring for the two long-document policies)."""
        texts = list(texts)
        pool = self._pool
        if pool is None or len(texts) < 2 * self.threads:
            parts = [self._encode_slice(texts)]
        else:
            step = -(-len(texts) // self.threads)
            parts = list(pool.map(self._encode_slice, [texts[s : s + step] for s in range(0, len(texts), step)]))
        return _join(parts, len(texts))

    def _encode_slice(self, texts: list[str]) -> tuple[list[list[int]], np.ndarray, int]:
        """(rows' ids, rows per document, truncated documents) of consecutive documents (runs in a thread)."""
        keep = None if self.chunk and self.max_chunks is None else (self.max_chunks if self.chunk else 1)
        encodings = self._encode_with_cut(texts, keep)
        if not self.chunk:
            ids = [encoding.ids or [self.empty_row] for encoding in encodings]
            truncated = sum(1 for encoding in encodings if encoding.overflowing)
            return ids, np.ones(len(texts), dtype=np.int64), truncated
        ids = []
        counts = np.empty(len(texts), dtype=np.int64)
        truncated = 0
        for index, encoding in enumerate(encodings):
            windows = [encoding, *encoding.overflowing]
            if keep is not None and len(windows) > keep:
                truncated += 1
                windows = windows[:keep]
            ids.extend(window.ids or [self.empty_row] for window in windows)
            counts[index] = len(windows)
        return ids, counts, truncated

    def _encode_with_cut(self, texts: list[str], keep: int | None) -> list[Encoding]:
        """Encode, cutting very long texts first; a cut whose prefix does not overflow is redone longer."""
        encode = self.backend.encode_batch
        if keep is None or not self.cuts_texts:
            return encode(texts, add_special_tokens=True)
        budget = keep * self.char_budget
        inputs = [cut_at_space(text, budget) for text in texts]
        encodings = encode(inputs, add_special_tokens=True)
        redo = [i for i, text in enumerate(texts) if inputs[i] is not text]
        while redo:
            redo = [i for i in redo if len(encodings[i].overflowing) < keep]
            if not redo:
                break
            budget *= BUDGET_GROWTH
            for i in redo:
                inputs[i] = cut_at_space(texts[i], budget)
            for i, encoding in zip(redo, encode([inputs[i] for i in redo], add_special_tokens=True), strict=True):
                encodings[i] = encoding
            redo = [i for i in redo if inputs[i] is not texts[i]]
        return encodings


def cut_at_space(text: str, budget: int) -> str:
    """``text`` cut before the last space at or before ``budget`` characters that follows a non-space
    character (the start of a run of spaces); ``text`` itself when it is short or has no such space.

    A prefix cut there tokenises exactly as the head of the whole text (see the module docstring).
    """
    if len(text) <= budget:
        return text
    position = text.rfind(SPACE, 0, budget + 1)
    while position > 0:
        if not text[position - 1].isspace():
            return text[:position]
        position = text.rfind(SPACE, 0, position)
    return text


def _join(parts: list[tuple[list[list[int]], np.ndarray, int]], documents: int) -> TokenizedWindow:
    """One window from its slices' rows, as flat numpy arrays (one C-level pass over the ids)."""
    rows = [row for ids, _, _ in parts for row in ids] if len(parts) > 1 else parts[0][0]
    lengths = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))
    offsets = np.zeros(len(rows), dtype=np.int64)
    if len(rows) > 1:
        np.cumsum(lengths[:-1], out=offsets[1:])
    flat = np.fromiter(itertools.chain.from_iterable(rows), dtype=np.int64, count=int(lengths.sum()))
    counts = np.concatenate([c for _, c, _ in parts]) if parts else np.zeros(0, dtype=np.int64)
    return TokenizedWindow(
        flat=flat,
        offsets=offsets,
        lengths=lengths,
        row_document=np.repeat(np.arange(documents, dtype=np.int64), counts),
        documents=documents,
        truncated=sum(t for _, _, t in parts),
    )
