"""What the synth tests share: a tiny chat model built from a config, scripted responders, real servers."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path
from typing import Any

from curation.synth.backends.base import ChatRequest, Completion
from curation.synth.server import Reply

CHAT_TEMPLATE = (
    "{% for message in messages %}<|{{ message['role'] }}|>{{ message['content'] }}<|end|>{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)
TRAINING_TEXT = [
    "The river flows through the village and farmers grow rice along its banks.",
    "Question: What do farmers grow? Answer: Rice, along the river banks.",
    "# Chapter one: rivers and villages. Water shapes where people live and work.",
    "- rivers carry water\n- villages grow near water\n- markets follow trade",
    "Write a textbook chapter about the topic below. Source document. Keywords. Summary.",
]


def build_tiny_chat_lm(folder: Path, seed: int = 0) -> Path:
    """A 2-layer Llama with random weights, a byte-level BPE tokenizer trained here and a chat template."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    backend = Tokenizer(models.BPE())
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    specials = ["<|end|>", "<|system|>", "<|user|>", "<|assistant|>"]
    trainer = trainers.BpeTrainer(
        vocab_size=600, special_tokens=specials, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    backend.train_from_iterator(TRAINING_TEXT * 5, trainer=trainer)
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=backend, eos_token="<|end|>", model_max_length=4096)
    tokenizer.chat_template = CHAT_TEMPLATE
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=4096,
        eos_token_id=tokenizer.eos_token_id,
        bos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.eos_token_id,
    )
    torch.manual_seed(seed)
    LlamaForCausalLM(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


class ScriptedResponder:
    """Answers by a function of the request (a text, or (text, finish_reason)); injects faults for the
    first attempts of chosen requests.

    ``faults``: maps a substring of the last user message to a list of faults applied to that request's
    first attempts in order: ``429``, ``500``, ``"slow"`` (sleep longer than the client's timeout),
    ``"malformed"`` (a 200 with a body that is not a completion), ``"garbage"`` (not JSON at all).
    """

    def __init__(self, answer=None, faults: dict[str, list[Any]] | None = None, slow_seconds: float = 2.0):
        self.answer = answer or (lambda request: f"Answer to: {request.messages[-1]['content'][:40]}")
        self.faults = {k: list(v) for k, v in (faults or {}).items()}
        self.slow_seconds = slow_seconds
        self.attempts: Counter[str] = Counter()
        self.gate: asyncio.Event | None = None
        self.hold_after: int | None = None
        self.answered = 0

    async def __call__(self, request: ChatRequest, body: dict[str, Any]) -> Completion | Reply:
        content = request.messages[-1]["content"]
        for marker, faults in self.faults.items():
            if marker in content:
                attempt = self.attempts[marker]
                self.attempts[marker] += 1
                if attempt < len(faults):
                    fault = faults[attempt]
                    if fault == 429:
                        return Reply(429, b'{"error": {"message": "slow down"}}', {"Retry-After": "0"})
                    if fault == 500:
                        return Reply(500, b'{"error": {"message": "boom"}}')
                    if fault == "slow":
                        await asyncio.sleep(self.slow_seconds)
                    elif fault == "malformed":
                        return Reply(200, b'{"choices": []}')
                    elif fault == "garbage":
                        return Reply(200, b"<html>proxy error</html>", {"Content-Type": "text/html"})
        if self.hold_after is not None and self.answered >= self.hold_after:
            if self.gate is None:
                self.gate = asyncio.Event()
            await self.gate.wait()
        self.answered += 1
        text = self.answer(request)
        finish = "stop"
        if isinstance(text, tuple):
            text, finish = text
        words = len(text.split())
        return Completion(request.prefill + text, finish, len(content.split()), words, str(body.get("model")))
