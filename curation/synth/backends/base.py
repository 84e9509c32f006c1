"""What every LLM backend shares: a chat request with explicit sampling, a completion with token counts.

A backend answers one ``ChatRequest`` at a time through ``await backend.complete(request)``; batching
(local models) and bounded concurrency (HTTP) happen inside the backend, so callers simply keep many
requests in flight. A request that cannot be answered raises ``BackendError`` with a short ``reason``
(``rate_limited``, ``server_error``, ``timeout``, ``malformed_response``, ...), which callers count as a
drop reason.

Sampling parameters are always part of the request and always sent, so a server's own defaults (a
``generation_config.json``, a vLLM ``--generation-config``) can never change results silently.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

import orjson

ROLES = frozenset({"system", "user", "assistant"})


class BackendError(RuntimeError):
    """A request that failed for good (after any retries); ``reason`` is a short snake_case name."""

    def __init__(self, reason: str, message: str):
        super().__init__(f"{reason}: {message}")
        self.reason = reason


class BackendConfigError(ValueError):
    """A backend that cannot be built as configured (unknown kind, missing model, bad option)."""


@dataclass(frozen=True)
class SamplingParams:
    """Sampling, stated in full on every request.

    ``temperature`` 0 means greedy decoding. ``top_p`` is nucleus sampling's probability mass. ``max_tokens``
    caps the completion's tokens. ``seed`` makes sampling reproducible where the engine supports it
    (vLLM, SGLang and our local backend do per request; OpenAI's API treats it as best effort).
    """

    temperature: float = 0.7
    top_p: float = 0.95
    max_tokens: int = 512
    seed: int = 0

    def __post_init__(self) -> None:
        if self.temperature < 0:
            raise ValueError(f"temperature must be >= 0, got {self.temperature}")
        if not 0 < self.top_p <= 1:
            raise ValueError(f"top_p must be in (0, 1], got {self.top_p}")
        if self.max_tokens < 1:
            raise ValueError(f"max_tokens must be >= 1, got {self.max_tokens}")

    def to_dict(self) -> dict[str, Any]:
        # written out rather than dataclasses.asdict, which deep-copies: this runs on every request sent
        return {"temperature": self.temperature, "top_p": self.top_p, "max_tokens": self.max_tokens, "seed": self.seed}


@dataclass(frozen=True)
class ChatRequest:
    """A chat completion request: messages, sampling and an optional response prefix to continue from.

    ``messages`` is a tuple of ``{"role", "content"}`` mappings (roles system, user, assistant).
    ``prefill`` is text the answer must begin with: a backend that can continue a partial assistant turn
    starts the answer with it (and returns it as part of the text); others ignore it.
    """

    messages: tuple[dict[str, str], ...]
    sampling: SamplingParams = field(default_factory=SamplingParams)
    prefill: str = ""

    def __post_init__(self) -> None:
        if not self.messages:
            raise ValueError("a chat request needs at least one message")
        for message in self.messages:
            if message.get("role") not in ROLES or not isinstance(message.get("content"), str):
                raise ValueError(f"each message needs a role in {sorted(ROLES)} and a string content: {message!r}")

    def payload(self, model: str, prefill_sent: bool) -> dict[str, Any]:
        """What decides the answer: model, sampling and the messages as sent (with the prefix when sent)."""
        messages = [dict(m) for m in self.messages]
        if prefill_sent and self.prefill:
            messages.append({"role": "assistant", "content": self.prefill})
        return {"model": model, "messages": messages, **self.sampling.to_dict()}


def payload_hash(payload: dict[str, Any]) -> str:
    """SHA-256 (hex) of a payload in canonical JSON (sorted keys): equal payloads, equal hashes."""
    return hashlib.sha256(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)).hexdigest()


@dataclass(frozen=True)
class Completion:
    """One answer: its text (prefix included), why it ended, and the tokens billed for it.

    ``finish_reason`` is ``stop`` (the model ended) or ``length`` (``max_tokens`` reached), or what the
    server said. Token counts come from the server's ``usage`` (or the local tokenizer); None when a
    server gave none.
    """

    text: str
    finish_reason: str
    prompt_tokens: int | None
    completion_tokens: int | None
    model: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "finish_reason": self.finish_reason,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "model": self.model,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Completion:
        return cls(
            text=data["text"],
            finish_reason=data["finish_reason"],
            prompt_tokens=data.get("prompt_tokens"),
            completion_tokens=data.get("completion_tokens"),
            model=data.get("model", ""),
        )


class Backend(ABC):
    """One interface over several engines; ``complete`` is a coroutine, safe to await many times at once.

    Attributes every backend sets: ``kind`` (``openai``, ``transformers``, ``vllm``), ``model`` (what is
    recorded as the model and hashed into cache keys) and ``prefill_supported``.
    """

    kind: str = "base"
    model: str = ""
    prefill_supported: bool = False

    @property
    def concurrency(self) -> int:
        """Requests worth having in flight at once (HTTP: ``max_in_flight``; local: enough to fill batches)."""
        return 64

    @abstractmethod
    async def complete(self, request: ChatRequest) -> Completion:
        """Answer one request, or raise ``BackendError``."""

    def payload(self, request: ChatRequest) -> dict[str, Any]:
        """The payload this backend would send for ``request`` (what the request cache hashes)."""
        return request.payload(self.model, self.prefill_supported)

    def describe(self) -> dict[str, Any]:
        """What identifies the backend in provenance records."""
        return {"backend": self.kind, "model": self.model}

    async def aclose(self) -> None:
        """Release connections, threads or models; the backend is not used afterwards."""
        return None
