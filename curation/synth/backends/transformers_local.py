"""Local generation with ``transformers``: requests are batched in a background thread.

``complete`` puts the request on a queue and awaits it; one generation thread takes up to ``batch_size``
waiting requests (waiting at most ``max_wait`` seconds for more), pads them on the left, and runs one
``generate`` call for the batch. So a caller that keeps many requests in flight gets batching without
knowing about it, exactly as with a server.

Sampling is done per row with the row's own seed (``SeededSampling``: temperature, then top-p, then a
draw from a ``torch.Generator`` seeded by the request), and ``generate`` then only picks the drawn token.
A request's answer therefore depends on its own prompt, parameters and seed, not on which other requests
shared its batch; the model's ``generation_config.json`` is never consulted for sampling. Temperature 0
is greedy decoding.

A response prefix (``prefill``) is appended after the chat template's assistant header, so the answer
continues it; the prefix is part of the returned text.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Sequence
from typing import Any

from curation.synth.backends.base import Backend, BackendConfigError, BackendError, ChatRequest, Completion
from curation.synth.models import ModelNotFoundError, resolve_model

logger = logging.getLogger(__name__)
PLAIN_ROLE_NAMES = {"system": "System", "user": "User", "assistant": "Assistant"}


class SeededSampling:
    """A logits processor that samples each row with its own generator and parameters.

    It returns scores where only the drawn token is finite, so greedy selection in ``generate`` takes it.
    Rows with temperature 0 are left as they are (greedy). Shapes: ``scores`` is (batch, vocab).
    """

    def __init__(self, temperatures: Sequence[float], top_ps: Sequence[float], seeds: Sequence[int], device: Any):
        import torch

        self.temperatures = list(temperatures)
        self.top_ps = list(top_ps)
        self.generators = []
        for seed in seeds:
            generator = torch.Generator(device=device)
            generator.manual_seed(int(seed))
            self.generators.append(generator)

    def __call__(self, input_ids, scores):
        import torch

        chosen = scores.clone()
        for row, (temperature, top_p, generator) in enumerate(
            zip(self.temperatures, self.top_ps, self.generators, strict=True)
        ):
            if temperature <= 0:
                continue
            logits = scores[row].float() / temperature
            probabilities = torch.softmax(logits, dim=-1)
            if top_p < 1.0:
                sorted_probs, order = torch.sort(probabilities, descending=True)
                before = torch.cumsum(sorted_probs, dim=-1) - sorted_probs
                sorted_probs[before >= top_p] = 0.0  # keep the smallest set whose mass reaches top_p
                probabilities = torch.zeros_like(probabilities).scatter_(0, order, sorted_probs)
            token = torch.multinomial(probabilities, 1, generator=generator)
            chosen[row] = float("-inf")
            chosen[row, token] = 0.0
        return chosen


class TransformersBackend(Backend):
    """A causal LM generating locally, batched (see the module docstring).

    Args:
        model: ``bundled:smollm2``, a GGUF file, a Hugging Face model folder, or a hub id (fetched only where
            the environment allows it). Recorded as given, and hashed into cache keys.
        device: ``cpu``, ``cuda``, ``cuda:1``...; ``auto`` takes a GPU when there is one.
        dtype: ``auto`` (float32 on CPU, bfloat16 on GPU), ``float32``, ``bfloat16``, ``float16``.
        batch_size: requests generated together.
        max_wait: seconds the generation thread waits for a batch to fill before starting.
        threads: torch CPU threads; default: the cores divided among the worker processes.
        repetition_penalty: CTRL's penalty (Keskar et al., 2019) on the logits of tokens the answer already
            holds (``transformers``' ``RepetitionPenaltyLogitsProcessor`` with the prompt ignored: a rewrite
            must be free to reuse the source's words, or it drifts away from the source); 1.0 = off. Small
            models loop without it (a 135M model repeats one sentence until ``max_tokens``); 1.1-1.3 is the
            usual range. Part of the payload, so a changed value makes new cache keys.
    """

    kind = "transformers"
    prefill_supported = True

    def __init__(
        self,
        model: str,
        device: str = "auto",
        dtype: str = "auto",
        batch_size: int = 8,
        max_wait: float = 0.02,
        threads: int | None = None,
        trust_remote_code: bool = False,
        repetition_penalty: float = 1.0,
    ):
        if batch_size < 1:
            raise BackendConfigError(f"batch_size must be at least 1, got {batch_size}")
        if not repetition_penalty > 0:
            raise BackendConfigError(f"repetition_penalty must be above 0 (1.0 = off), got {repetition_penalty}")
        self.repetition_penalty = float(repetition_penalty)
        self.model = model
        self.device_name = device
        self.dtype = dtype
        self.batch_size = batch_size
        self.max_wait = max_wait
        self.threads = threads
        self.trust_remote_code = trust_remote_code
        self.tokens_generated = 0
        self.generation_seconds = 0.0
        self._queue: queue.Queue | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.lm = None
        try:
            resolve_model(model)  # a missing file fails here; the weights load on first use
        except ModelNotFoundError as error:
            raise BackendConfigError(str(error)) from error

    def payload(self, request: ChatRequest) -> dict[str, Any]:
        payload = super().payload(request)
        if self.repetition_penalty != 1.0:  # absent when off, so keys made before the option stay valid
            payload["repetition_penalty"] = self.repetition_penalty
        return payload

    def describe(self) -> dict[str, Any]:
        described = super().describe()
        if self.repetition_penalty != 1.0:
            described["repetition_penalty"] = self.repetition_penalty
        return described

    @property
    def concurrency(self) -> int:
        return 2 * self.batch_size  # one batch generating, the next one waiting

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state.update(_queue=None, _thread=None, _lock=None, tokenizer=None, lm=None, device=None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def load(self) -> None:
        """Load the tokenizer and model (once per process, on first use: a worker whose pass needs no
        generation, such as a collect pass before a global stage, never pays for it)."""
        import time

        import torch

        from curation.inference.devices import choose_device, configure_cpu_threads
        from curation.synth.models import load_causal_lm

        self.device = choose_device(self.device_name)
        if self.device.type == "cpu":
            configure_cpu_threads(self.threads)
        started = time.perf_counter()
        try:
            self.tokenizer, self.lm = load_causal_lm(self.model, str(self.device), self.dtype, self.trust_remote_code)
        except (OSError, ValueError) as error:
            raise BackendConfigError(f"cannot load the model {self.model!r}: {error}") from error
        eos = {self.tokenizer.eos_token_id, *_as_list(getattr(self.lm.generation_config, "eos_token_id", None))}
        self.eos_ids = sorted(i for i in eos if i is not None)
        self.load_seconds = time.perf_counter() - started
        self._torch = torch

    def ready(self) -> TransformersBackend:
        """Load the model unless it is loaded; returns the backend."""
        with self._lock:
            if self.lm is None:
                self.load()
        return self

    def prompt_text(self, request: ChatRequest) -> str:
        """The text the model continues: the chat template with the assistant header, then the prefix."""
        messages = [dict(m) for m in request.messages]
        self.ready()
        if getattr(self.tokenizer, "chat_template", None):
            text = self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        else:
            text = "".join(f"{PLAIN_ROLE_NAMES[m['role']]}: {m['content']}\n" for m in messages) + "Assistant:"
        return text + request.prefill

    async def complete(self, request: ChatRequest) -> Completion:
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._ensure_thread().put((request, future, loop))
        return await future

    def _ensure_thread(self) -> queue.Queue:
        self.ready()
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._queue = queue.Queue()
                self._thread = threading.Thread(target=self._serve, name="synth-generate", daemon=True)
                self._thread.start()
            assert self._queue is not None
            return self._queue

    def _serve(self) -> None:
        assert self._queue is not None
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            while len(batch) < self.batch_size:
                try:
                    item = self._queue.get(timeout=self.max_wait)
                except queue.Empty:
                    break
                if item is None:
                    self._queue.put(None)
                    break
                batch.append(item)
            try:
                results: list[Completion | BaseException] = list(self.generate([r for r, _, _ in batch]))
            except Exception as error:  # a failed batch fails its requests, not the thread
                logger.exception("local generation failed")
                results = [BackendError("generation_error", f"{type(error).__name__}: {error}")] * len(batch)
            for (_, future, loop), result in zip(batch, results, strict=True):
                loop.call_soon_threadsafe(_settle, future, result)

    def generate(self, requests: Sequence[ChatRequest]) -> list[Completion]:
        """Generate for a batch synchronously (the generation thread's work; also usable directly)."""
        import time

        from transformers import GenerationConfig, LogitsProcessorList, RepetitionPenaltyLogitsProcessor

        self.ready()
        torch = self._torch
        texts = [self.prompt_text(r) for r in requests]
        encoded = self.tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False)
        encoded = {k: v.to(self.device) for k, v in encoded.items()}
        limits = [r.sampling.max_tokens for r in requests]
        sampling = SeededSampling(
            [r.sampling.temperature for r in requests],
            [r.sampling.top_p for r in requests],
            [r.sampling.seed for r in requests],
            self.device,
        )
        config = GenerationConfig(
            max_new_tokens=max(limits),
            do_sample=False,
            num_beams=1,
            pad_token_id=self.tokenizer.pad_token_id,
            eos_token_id=self.eos_ids or None,
        )
        processors = LogitsProcessorList([sampling])
        if self.repetition_penalty != 1.0:  # before sampling, on the answer's tokens only
            processors.insert(
                0, RepetitionPenaltyLogitsProcessor(self.repetition_penalty, encoded["input_ids"].shape[1])
            )
        started = time.perf_counter()
        with torch.inference_mode():
            output = self.lm.generate(**encoded, generation_config=config, logits_processor=processors)
        self.generation_seconds += time.perf_counter() - started
        prompt_width = encoded["input_ids"].shape[1]
        prompt_lengths = encoded["attention_mask"].sum(dim=1).tolist()
        completions = []
        eos = set(self.eos_ids)
        for row, request in enumerate(requests):
            generated = output[row, prompt_width:].tolist()[: limits[row]]
            end = next((i for i, token in enumerate(generated) if token in eos), None)
            kept = generated if end is None else generated[:end]
            used = len(generated) if end is None else end + 1
            self.tokens_generated += used
            text = self.tokenizer.decode(kept, skip_special_tokens=True)
            completions.append(
                Completion(
                    text=request.prefill + text,
                    finish_reason="length" if end is None else "stop",
                    prompt_tokens=int(prompt_lengths[row]),
                    completion_tokens=used,
                    model=self.model,
                )
            )
        return completions

    async def aclose(self) -> None:
        """Stop the generation thread once it has finished what it holds (the model stays loaded; the next
        request starts a new thread, never one that is about to stop)."""
        with self._lock:
            thread, work = self._thread, self._queue
            self._thread = self._queue = None
        if work is not None:
            work.put(None)
        if thread is not None:
            await asyncio.to_thread(thread.join)


def _settle(future: asyncio.Future, result: Completion | BaseException) -> None:
    if future.done():
        return
    if isinstance(result, BaseException):
        future.set_exception(result)
    else:
        future.set_result(result)


def _as_list(value: Any) -> list[int]:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]
