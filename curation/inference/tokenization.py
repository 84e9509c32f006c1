"""Turn a window of documents into model rows: token ids per row and which document each row belongs to.

The work is done by the Rust ``tokenizers`` backend (``encode_batch`` releases the GIL, so slices of a
window encode in parallel threads while the model runs). Two policies for long documents:

- ``truncate`` (default): one row per document, its first ``max_length`` tokens. A document far longer than
  that is cut to a character budget before encoding (tokenising 50k tokens to keep 512 is the slowest part
  of the naive way); the cut is checked against the token offsets and encoded again with a larger budget
  in the rare case where the kept tokens reach the word the cut went through.
- ``chunk``: every ``max_length`` window of the document becomes a row (the tokenizer's own overflow
  handling, with ``overlap`` tokens shared between neighbours and special tokens around each window); with
  ``max_chunks``, only that many windows are kept and the text is cut the same way before encoding.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from tokenizers import Encoding, Tokenizer

CHARS_PER_TOKEN_BUDGET = 6
"""Characters kept per wanted token before encoding a long document. Real web text runs at 2-5 characters
per token (99% of Common Crawl documents under 6 with a BERT or RoBERTa tokenizer); a cut that turns out
too short is detected and redone with a four times larger budget, then with the whole text."""
BUDGET_GROWTH = 4


@dataclass
class TokenizedWindow:
    """Rows of one window of documents, in document order (rows of one document are adjacent)."""

    ids: list[list[int]]
    lengths: np.ndarray
    row_document: np.ndarray
    documents: int
    truncated: int

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
        self.backend = Tokenizer.from_str(hf_tokenizer.backend_tokenizer.to_str())
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
        self.empty_row = [hf_tokenizer.unk_token_id or hf_tokenizer.pad_token_id or 0]
        """Stands in for a document that tokenises to nothing (a tokenizer that adds no special tokens): the
        model needs at least one position to attend to."""
        self.threads = max(1, threads)
        self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="tokenize") if self.threads > 1 else None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False)
            self._pool = None

    def _encode(self, texts: list[str]) -> list[Encoding]:
        if self._pool is None or len(texts) < 2 * self.threads:
            return self.backend.encode_batch(texts, add_special_tokens=True)
        step = -(-len(texts) // self.threads)
        parts = self._pool.map(
            lambda start: self.backend.encode_batch(texts[start : start + step], add_special_tokens=True),
            range(0, len(texts), step),
        )
        return [encoding for part in parts for encoding in part]

    def encode(self, texts: Sequence[str]) -> TokenizedWindow:
        """Rows for a window of documents (see the module docstring for the two long-document policies)."""
        texts = list(texts)
        keep = 1 if not self.chunk else self.max_chunks
        budget = None if keep is None else keep * self.char_budget
        encodings = self._encode_with_cut(texts, budget, keep)
        ids: list[list[int]] = []
        owners: list[int] = []
        truncated = 0
        for index, encoding in enumerate(encodings):
            windows = [encoding, *encoding.overflowing]
            if keep is not None and len(windows) > keep:
                truncated += 1
                windows = windows[:keep]
            ids.extend(window.ids or self.empty_row for window in windows)
            owners.extend([index] * len(windows))
        return TokenizedWindow(
            ids=ids,
            lengths=np.fromiter((len(row) for row in ids), dtype=np.int64, count=len(ids)),
            row_document=np.asarray(owners, dtype=np.int64),
            documents=len(texts),
            truncated=truncated,
        )

    def _encode_with_cut(self, texts: list[str], budget: int | None, keep: int | None) -> list[Encoding]:
        """Encode, cutting very long texts to a character budget first and redoing any unsafe cut larger."""
        if budget is None:
            return self._encode(texts)
        inputs = [_cut_text(text, budget) for text in texts]
        encodings = self._encode(inputs)
        redo = [i for i, text in enumerate(texts) if inputs[i] is not text]
        while redo:
            redo = [i for i in redo if not _cut_is_safe(encodings[i], inputs[i], keep)]
            if not redo:
                break
            budget *= BUDGET_GROWTH
            for i in redo:
                inputs[i] = _cut_text(texts[i], budget)
            for i, encoding in zip(redo, self._encode([inputs[i] for i in redo]), strict=True):
                encodings[i] = encoding
            redo = [i for i in redo if inputs[i] is not texts[i]]
        return encodings


def _cut_text(text: str, budget: int) -> str:
    return text[:budget] if len(text) > budget else text


def _cut_is_safe(encoding: Encoding, cut_text: str, keep: int) -> bool:
    """True when encoding the cut text kept exactly the rows the full text would have given.

    The cut text must still have overflowed its ``keep`` rows (so those rows are full), and the last kept
    token must end before the run of whitespace that precedes the word the cut went through: pre-tokenizers
    (byte-level BPE, WordPiece, SentencePiece's metaspace) never join text across such a run, so everything
    before it is tokenised the same with or without the rest of the document.
    """
    windows = [encoding, *encoding.overflowing]
    if len(windows) <= keep:
        return False
    boundary = len(cut_text)
    while boundary > 0 and not cut_text[boundary - 1].isspace():
        boundary -= 1  # the word the cut went through
    while boundary > 0 and cut_text[boundary - 1].isspace():
        boundary -= 1  # the whitespace before it
    if boundary == 0:
        return False
    last = windows[keep - 1]
    for offset, special in zip(reversed(last.offsets), reversed(last.special_tokens_mask), strict=True):
        if not special:
            return offset[1] <= boundary
    return False
