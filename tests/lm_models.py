"""Tiny causal LMs for tests: a 2-layer Llama with random weights and a byte-level BPE tokenizer trained on the
spot, saved as a Hugging Face folder and as a GGUF file (what llama.cpp's converter writes: llama.cpp's tensor
names, its head-interleaved Q and K rows, the vocabulary and merges as metadata)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

END_OF_TEXT = "<|endoftext|>"
SHAPES = {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4}
KV_HEADS = 2


def _tokenizer(texts: list[str]):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    backend = Tokenizer(models.BPE())
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400, special_tokens=[END_OF_TEXT], initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    backend.train_from_iterator(texts * 5, trainer=trainer)
    return PreTrainedTokenizerFast(tokenizer_object=backend, eos_token=END_OF_TEXT, model_max_length=256)


def save_tiny_llama(folder: Path, texts: list[str], seed: int = 0) -> Path:
    """A random-weight Llama causal LM and its tokenizer in a Hugging Face folder (safetensors)."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    tokenizer = _tokenizer(texts)
    end = tokenizer.convert_tokens_to_ids(END_OF_TEXT)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        num_key_value_heads=KV_HEADS,
        max_position_embeddings=256,
        eos_token_id=end,
        bos_token_id=end,
        tie_word_embeddings=False,
        **SHAPES,
    )
    torch.manual_seed(seed)
    LlamaForCausalLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def _interleave_heads(weights: np.ndarray, heads: int) -> np.ndarray:
    """llama.cpp stores each head's rotary halves interleaved; transformers undoes this when it reads a GGUF."""
    return (
        weights.reshape(heads, 2, weights.shape[0] // heads // 2, *weights.shape[1:])
        .swapaxes(1, 2)
        .reshape(weights.shape)
    )


def write_gguf(hf_folder: Path, target: Path) -> Path:
    """The Hugging Face Llama folder ``hf_folder`` as an fp32 GGUF file."""
    import gguf
    from safetensors.numpy import load_file

    config = json.loads((hf_folder / "config.json").read_text())
    tokenizer = json.loads((hf_folder / "tokenizer.json").read_text())
    layers = config["num_hidden_layers"]
    writer = gguf.GGUFWriter(str(target), "llama")
    writer.add_context_length(config["max_position_embeddings"])
    writer.add_embedding_length(config["hidden_size"])
    writer.add_block_count(layers)
    writer.add_feed_forward_length(config["intermediate_size"])
    writer.add_head_count(config["num_attention_heads"])
    writer.add_head_count_kv(config["num_key_value_heads"])
    writer.add_layer_norm_rms_eps(config["rms_norm_eps"])
    writer.add_rope_freq_base(float((config.get("rope_parameters") or {}).get("rope_theta", 10000.0)))
    writer.add_rope_dimension_count(config["hidden_size"] // config["num_attention_heads"])
    vocabulary = sorted(tokenizer["model"]["vocab"].items(), key=lambda item: item[1])
    tokens = [token for token, _ in vocabulary]
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("default")
    writer.add_token_list(tokens)
    writer.add_token_types([3 if token == END_OF_TEXT else 1 for token in tokens])  # 3: control token
    writer.add_token_merges([m if isinstance(m, str) else " ".join(m) for m in tokenizer["model"]["merges"]])
    writer.add_bos_token_id(config["bos_token_id"])
    writer.add_eos_token_id(config["eos_token_id"])
    names = gguf.get_tensor_name_map(gguf.MODEL_ARCH.LLAMA, layers)
    for name, tensor in load_file(str(hf_folder / "model.safetensors")).items():
        if name.endswith("q_proj.weight"):
            tensor = _interleave_heads(tensor, config["num_attention_heads"])
        elif name.endswith("k_proj.weight"):
            tensor = _interleave_heads(tensor, config["num_key_value_heads"])
        writer.add_tensor(names.get_name(name, try_suffixes=(".weight", ".bias")), tensor.astype(np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return target
