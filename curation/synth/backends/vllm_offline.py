"""vLLM's offline engine (``LLM.generate``), used only when vLLM is installed.

Requests are gathered the same way as for the local transformers backend (a queue drained by one
thread) and handed to ``LLM.chat`` in a batch, which vLLM schedules with continuous batching. Each
request's ``SamplingParams`` carry its own temperature, top_p, max_tokens and seed, so results do not
depend on batch composition; ``generation_config="vllm"`` keeps the model's own defaults out.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Sequence
from typing import Any

from curation.synth.backends.base import Backend, BackendConfigError, BackendError, ChatRequest, Completion


def vllm_available() -> bool:
    try:
        import vllm  # noqa: F401
    except ImportError:
        return False
    return True


class VLLMBackend(Backend):
    """vLLM offline generation.

    Args:
        model: a local model folder (or a hub id where the environment allows downloads).
        batch_size: requests handed to vLLM per call (it batches further inside).
        max_wait: seconds to wait for a batch to fill.
        engine_args: more ``vllm.LLM`` arguments (``tensor_parallel_size``, ``gpu_memory_utilization``, ...).
    """

    kind = "vllm"
    prefill_supported = True

    def __init__(
        self, model: str, batch_size: int = 256, max_wait: float = 0.05, engine_args: dict[str, Any] | None = None
    ):
        if not vllm_available():
            raise BackendConfigError("the vllm backend needs vLLM installed (`pip install vllm`, on a GPU machine)")
        from vllm import LLM

        self.model = model
        self.batch_size = batch_size
        self.max_wait = max_wait
        self.engine_args = dict(engine_args or {})
        self.engine_args.setdefault("generation_config", "vllm")
        self.llm = LLM(model=model, **self.engine_args)
        self._queue: queue.Queue = queue.Queue()
        self._thread = threading.Thread(target=self._serve, name="synth-vllm", daemon=True)
        self._thread.start()

    @property
    def concurrency(self) -> int:
        return 2 * self.batch_size

    async def complete(self, request: ChatRequest) -> Completion:
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._queue.put((request, future, loop))
        return await future

    def _serve(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < self.batch_size:
                try:
                    batch.append(self._queue.get(timeout=self.max_wait))
                except queue.Empty:
                    break
            try:
                results: list[Any] = list(self.generate([request for request, _, _ in batch]))
            except Exception as error:
                results = [BackendError("generation_error", f"{type(error).__name__}: {error}")] * len(batch)
            for (_, future, loop), result in zip(batch, results, strict=True):
                loop.call_soon_threadsafe(_settle, future, result)

    def generate(self, requests: Sequence[ChatRequest]) -> list[Completion]:
        from vllm import SamplingParams

        conversations, params = [], []
        for request in requests:
            messages = [dict(m) for m in request.messages]
            if request.prefill:
                messages.append({"role": "assistant", "content": request.prefill})
            conversations.append(messages)
            sampling = request.sampling
            params.append(
                SamplingParams(
                    temperature=sampling.temperature,
                    top_p=sampling.top_p,
                    max_tokens=sampling.max_tokens,
                    seed=sampling.seed,
                )
            )
        prefilled = [bool(r.prefill) for r in requests]
        outputs = []
        # vLLM continues a final assistant turn only when told so, per call: split by that setting
        for flag in (False, True):
            rows = [i for i, p in enumerate(prefilled) if p is flag]
            if not rows:
                continue
            answers = self.llm.chat(
                [conversations[i] for i in rows],
                [params[i] for i in rows],
                add_generation_prompt=not flag,
                continue_final_message=flag,
                use_tqdm=False,
            )
            outputs += list(zip(rows, answers, strict=True))
        completions: list[Completion | None] = [None] * len(requests)
        for row, answer in outputs:
            choice = answer.outputs[0]
            completions[row] = Completion(
                text=requests[row].prefill + choice.text,
                finish_reason=str(choice.finish_reason or "stop"),
                prompt_tokens=len(answer.prompt_token_ids or []),
                completion_tokens=len(choice.token_ids),
                model=self.model,
            )
        return [c for c in completions if c is not None]


def _settle(future: asyncio.Future, result: Any) -> None:
    if future.done():
        return
    if isinstance(result, BaseException):
        future.set_exception(result)
    else:
        future.set_result(result)
