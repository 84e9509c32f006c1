"""Token counts for the per-domain summary: whitespace words by default, or exact counts from a tokenizer.

``words`` costs almost nothing and is what most corpus statistics quote. A tokenizer (a local folder with
``tokenizer.json``, a ``tokenizer.json`` file, or a hub id given as ``hf://org/name``) gives the count the
training run will see; it encodes a whole window at once in Rust threads, without truncation and without
special tokens.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

WORDS = "words"


class TokenCounter:
    def __init__(self, counter: str = WORDS):
        self.counter = counter
        self._tokenizer = None
        if counter != WORDS:
            self._tokenizer = _load(counter)

    def __getstate__(self) -> dict:
        return {"counter": self.counter, "_tokenizer": None}

    def count(self, texts: Sequence[str]) -> list[int]:
        if self.counter == WORDS:
            return [len(text.split()) for text in texts]
        if self._tokenizer is None:
            self._tokenizer = _load(self.counter)
        encodings = self._tokenizer.encode_batch(list(texts), add_special_tokens=False)
        return [len(e.ids) for e in encodings]


def _load(source: str):
    """A ``tokenizers.Tokenizer`` without truncation or padding."""
    from tokenizers import Tokenizer

    from curation.inference.locations import resolve_model_location

    location = resolve_model_location(source, what="tokenizer")
    path = Path(location.source)
    if location.is_local and path.is_file():
        tokenizer = Tokenizer.from_file(str(path))
    elif location.is_local and (path / "tokenizer.json").is_file():
        tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
    elif location.is_local:
        raise FileNotFoundError(f"token_counter {source!r}: no tokenizer.json there")
    else:
        from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(location.source, **location.pretrained_kwargs()).backend_tokenizer
    tokenizer.no_truncation()
    tokenizer.no_padding()
    return tokenizer
