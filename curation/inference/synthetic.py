"""Random-weight models saved as ordinary Hugging Face folders, built offline from a config.

The cost per token of an encoder depends on its shapes, not its weights, so a ``RobertaConfig()`` with
random weights measures RoBERTa-base speed honestly; tiny configs of each architecture let tests run the
real loading and inference code in seconds. Tokenizers are trained here on local text with the
``tokenizers`` library (WordPiece, like BERT's, or byte-level BPE, like RoBERTa's), or taken from an
existing model folder, so nothing is downloaded.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Literal

import torch
from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
from transformers import (
    AutoModel,
    AutoModelForSequenceClassification,
    AutoTokenizer,
    PretrainedConfig,
    PreTrainedTokenizerFast,
)

TokenizerKind = Literal["wordpiece", "bpe"]
SPECIAL_TOKENS = {"pad": "[PAD]", "unk": "[UNK]", "cls": "[CLS]", "sep": "[SEP]", "mask": "[MASK]"}


def train_tokenizer(texts: Iterable[str], vocab_size: int = 1000, kind: TokenizerKind = "wordpiece"):
    """A fast tokenizer trained on ``texts``: BERT-style WordPiece (lower-cased) or RoBERTa-style byte BPE.

    Both add ``[CLS] ... [SEP]`` around a text and pad with ``[PAD]`` (id 0), so one config recipe fits both.
    """
    specials = list(SPECIAL_TOKENS.values())
    if kind == "wordpiece":
        backend = Tokenizer(models.WordPiece(unk_token=SPECIAL_TOKENS["unk"]))
        backend.normalizer = normalizers.BertNormalizer(lowercase=True)
        backend.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
        backend.decoder = decoders.WordPiece()
        trainer = trainers.WordPieceTrainer(vocab_size=vocab_size, special_tokens=specials)
    elif kind == "bpe":
        backend = Tokenizer(models.BPE(unk_token=SPECIAL_TOKENS["unk"]))
        backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        backend.decoder = decoders.ByteLevel()
        trainer = trainers.BpeTrainer(
            vocab_size=vocab_size, special_tokens=specials, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
        )
    else:
        raise ValueError(f"tokenizer kind {kind!r} is not one of wordpiece, bpe")
    backend.train_from_iterator(texts, trainer=trainer)
    cls, sep = SPECIAL_TOKENS["cls"], SPECIAL_TOKENS["sep"]
    backend.post_processor = processors.TemplateProcessing(
        single=f"{cls} $A {sep}",
        pair=f"{cls} $A {sep} $B:1 {sep}:1",
        special_tokens=[(cls, backend.token_to_id(cls)), (sep, backend.token_to_id(sep))],
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=backend,
        model_max_length=512,
        **{f"{role}_token": token for role, token in SPECIAL_TOKENS.items()},
    )


def fit_config_to_tokenizer(config: PretrainedConfig, tokenizer) -> PretrainedConfig:
    """Point the config's vocabulary size and special token ids at the tokenizer's."""
    config.vocab_size = max(getattr(config, "vocab_size", 0) or 0, len(tokenizer))
    config.pad_token_id = tokenizer.pad_token_id
    for attribute, token_id in (
        ("bos_token_id", tokenizer.cls_token_id),
        ("eos_token_id", tokenizer.sep_token_id),
        ("cls_token_id", tokenizer.cls_token_id),
        ("sep_token_id", tokenizer.sep_token_id),
    ):
        if hasattr(config, attribute):
            setattr(config, attribute, token_id)
    return config


def save_random_model(
    folder: str | Path,
    config: PretrainedConfig,
    tokenizer,
    head: Literal["classify", "embed"] = "classify",
    seed: int = 0,
) -> Path:
    """Build ``config``'s model with random weights (seeded), save it with ``tokenizer`` as safetensors.

    ``head`` ``classify`` saves a sequence-classification model (``config.num_labels`` outputs; 1 makes a
    regression head), ``embed`` a bare encoder.
    """
    folder = Path(folder)
    fit_config_to_tokenizer(config, tokenizer)
    torch.manual_seed(seed)
    cls = AutoModelForSequenceClassification if head == "classify" else AutoModel
    model = cls.from_config(config)
    model.eval()
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def tokenizer_from(folder: str | Path):
    """The tokenizer of a local model folder (no network)."""
    return AutoTokenizer.from_pretrained(str(folder), local_files_only=True, trust_remote_code=False)
