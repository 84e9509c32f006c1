"""The engine: documents in, each document's model outputs out, in input order, with the model kept busy.

Three kinds of threads share the work:

- the *feeder* pulls documents from the caller's iterable a window at a time and hands each window to
- the *tokenizer* thread (which splits it over ``tokenizer_threads`` encoding threads; the Rust tokenizer
  releases the GIL), up to ``prefetch_windows`` windows ahead of the model. The feeder then sorts each
  tokenised window's rows by length, cuts token-budget batches and writes each into a free host buffer;
- the *calling* thread only copies a ready batch to the device (asynchronously, from pinned memory, into a
  reused device buffer), runs every model on it, and collects the reduced outputs a step behind, so it
  never waits for tokenisation unless the tokenizer is slower than the model (``counters["waited_ms"]``).

On out-of-memory a batch is halved and retried, and later batches use the halved budget.
"""

from __future__ import annotations

import itertools
import logging
import queue
import threading
import time
import warnings
from collections import Counter, deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace

import numpy as np
import torch

from curation.inference.batching import HostBuffer, HostBufferRing, plan_batches
from curation.inference.devices import (
    configure_cpu_threads,
    default_tokenizer_threads,
    place,
    use_own_tokenizer_threads,
)
from curation.inference.loading import (
    LoadedModel,
    load_model,
    load_tokenizer,
    resolve_max_length,
    share_model,
    tokenizer_fingerprint,
)
from curation.inference.options import EngineOptions, ModelSpec, OptionsError
from curation.inference.outputs import Predictions, WindowAccumulator
from curation.inference.quantization import QuantizationReport, compare_predictions
from curation.inference.runner import ModelRunner
from curation.inference.tokenization import DocumentTokenizer, TokenizedWindow

logger = logging.getLogger(__name__)

CPU_DEFAULTS = {"max_batch_tokens": 2048, "window": 512, "pad_to_multiple": 1, "max_padding": 0.05}
GPU_DEFAULTS = {"max_batch_tokens": 65536, "window": 4096, "pad_to_multiple": 8, "max_padding": None}


class InferenceOutOfMemory(RuntimeError):
    """Even one row does not fit in device memory: lower max_length or use a smaller model."""


def is_out_of_memory(error: BaseException) -> bool:
    """CUDA out-of-memory, or a CPU allocation failure: both are retried with a smaller batch."""
    if isinstance(error, torch.OutOfMemoryError):
        return True
    message = str(error)
    return isinstance(error, RuntimeError) and ("out of memory" in message or "can't allocate memory" in message)


@dataclass
class _WindowStart:
    window: TokenizedWindow


@dataclass
class _Batch:
    buffer: HostBuffer
    ids: torch.Tensor
    lengths: torch.Tensor
    row_lengths: np.ndarray
    positions: np.ndarray


@dataclass
class _Failure:
    error: BaseException


_WINDOW_END = object()
_END = object()


class InferenceEngine:
    """Runs one or more models that share a tokenizer over documents; see the module docstring.

    ``models`` is a model path or hub id, a ``ModelSpec``, or a list of them (sharing one tokenisation
    pass: they must use the same tokenizer). Options come as an ``EngineOptions`` and/or keyword
    overrides. Build one engine per worker process: construction loads the models. One stream at a time:
    ``predict``/``predict_stream`` are not meant to be called from several threads at once.
    """

    def __init__(
        self,
        models: str | ModelSpec | Sequence[str | ModelSpec],
        options: EngineOptions | None = None,
        **overrides,
    ):
        options = options or EngineOptions()
        self.options = replace(options, **overrides) if overrides else options
        specs = _as_specs(models)
        self.placement = place(self.options.device, self.options.precision, self.options.autocast)
        if self.options.quantize == "int8" and self.options.precision == "auto" and not self.placement.is_cuda:
            self.placement = replace(self.placement, compute_dtype=torch.float32)  # int8 quantises an fp32 model
        is_cuda = self.placement.is_cuda
        defaults = GPU_DEFAULTS if is_cuda else CPU_DEFAULTS
        self.torch_threads = None if is_cuda else configure_cpu_threads(self.options.torch_threads)
        self.tokenizer_threads = self.options.tokenizer_threads or default_tokenizer_threads(is_cuda)
        use_own_tokenizer_threads()
        self.hf_tokenizer = load_tokenizer(specs[0], self.options)
        _check_shared_tokenizer(specs, self.hf_tokenizer, self.options)
        self.models = _load_models(specs, self.options, self.placement)
        self.runners = _group_runners(self.models)
        self.label_names = {m.name: m.labels for m in self.models}
        self.max_length = resolve_max_length(self.options.max_length, self.hf_tokenizer, self.models)
        self.pad_to_multiple = self.options.pad_to_multiple or defaults["pad_to_multiple"]
        self.max_batch_tokens = max(self.options.max_batch_tokens or defaults["max_batch_tokens"], self.max_length)
        self.window = self.options.window or defaults["window"]
        self.max_padding = self.options.max_padding if self.options.max_padding is not None else defaults["max_padding"]
        self.pad_id = self.runners[0].pad_token_id
        self.tokenizer = DocumentTokenizer(
            self.hf_tokenizer,
            self.max_length,
            long_documents=self.options.long_documents,
            overlap=self.options.chunk_overlap,
            max_chunks=self.options.max_chunks,
            threads=self.tokenizer_threads,
        )
        self.counters: Counter[str] = Counter()
        self.quantization: QuantizationReport | None = None
        self._quantization_pending = False
        self._use_reference = False
        self._budget = self.max_batch_tokens
        self._row_capacity = max(1, self.options.max_batch_size)
        self._token_capacity = self.max_batch_tokens + self.pad_to_multiple
        self._device_ids: torch.Tensor | None = None
        self._device_lengths: torch.Tensor | None = None
        self._ring: HostBufferRing | None = None
        self._ahead: ThreadPoolExecutor | None = None
        self._busy = threading.Lock()
        self._prepare_runners()

    # ----------------------------------------------------------------------------------------- set-up

    def _prepare_runners(self) -> None:
        if self.options.quantize == "int8":
            if self.placement.is_cuda:
                warnings.warn("quantize='int8' is a CPU feature (dynamic quantisation); ignored on GPU", stacklevel=3)
            elif self.placement.compute_dtype != torch.float32:
                raise OptionsError(
                    f"quantize='int8' quantises an fp32 model; precision {self.options.precision!r} asks for "
                    f"{self.placement.compute_dtype}. Use precision 'fp32' with int8 (or no int8)"
                )
            else:
                for runner in self.runners:
                    runner.quantize()
                self._quantization_pending = True
        if self.options.compile:
            for runner in self.runners:
                runner.compile()
        for runner in self.runners:
            runner.attach_hidden_capture()

    def close(self) -> None:
        """Release the tokenizer threads (the models go with the engine)."""
        self.tokenizer.close()
        if self._ahead is not None:
            self._ahead.shutdown(wait=False, cancel_futures=True)
            self._ahead = None

    def describe(self) -> str:
        """One line saying what runs where, for logs."""
        names = ", ".join(f"{m.name} ({m.task}: {', '.join(m.outputs)})" for m in self.models)
        precision = str(self.placement.compute_dtype).removeprefix("torch.")
        if self.placement.compute_dtype != torch.float32:
            precision += " autocast" if self.placement.autocast else " weights"
        threads = f", {self.torch_threads} torch threads" if self.torch_threads else ""
        return (
            f"{names} on {self.placement.device} in {precision}; max_length {self.max_length}, "
            f"{self.max_batch_tokens} tokens per batch, {self.tokenizer_threads} tokenizer thread(s){threads}"
        )

    # ----------------------------------------------------------------------------------------- public

    def predict(self, texts: Iterable[str]) -> Predictions:
        """Outputs for all ``texts``, in their order."""
        parts = list(self.predict_stream(texts))
        return Predictions.concatenate(parts, self.label_names) if parts else self._no_predictions()

    def _no_predictions(self) -> Predictions:
        """Outputs for no documents: every array present, with no rows (so callers need no special case)."""
        arrays: dict[str, dict[str, np.ndarray]] = {}
        for model in self.models:
            config = model.module.config
            widths = {"label": (), "loss": (), "embedding": (config.hidden_size,)}
            arrays[model.name] = {
                kind: np.zeros(
                    (0, *widths.get(kind, (config.num_labels,))), dtype=np.int64 if kind == "label" else np.float32
                )
                for kind in model.outputs
            }
        return Predictions(arrays, self.label_names, documents=0)

    def predict_stream(self, texts: Iterable[str]) -> Iterator[Predictions]:
        """Outputs a window at a time (consecutive documents, together all of them), in input order.

        ``texts`` is consumed by the feeder thread, ahead of the model; it may be a generator.
        """
        if not self._busy.acquire(blocking=False):
            raise RuntimeError("this engine is already running a stream; use one engine per thread")
        try:
            texts = iter(texts)
            if self._quantization_pending:
                head = list(itertools.islice(texts, self.options.quantize_check_docs))
                if head:
                    yield self._check_quantization(head)
            yield from self._run(texts)
        finally:
            self._busy.release()

    # ----------------------------------------------------------------------------------------- feeding

    def _ensure_buffers(self) -> HostBufferRing:
        if self._ring is None:
            pinned = self.placement.is_cuda
            self._ring = HostBufferRing(self.options.host_buffers, self._token_capacity, self._row_capacity, pinned)
            if pinned:
                device = self.placement.device
                self._device_ids = torch.empty(self._token_capacity, dtype=torch.int64, device=device)
                self._device_lengths = torch.empty(self._row_capacity, dtype=torch.int64, device=device)
        if self._ahead is None:
            self._ahead = ThreadPoolExecutor(1, thread_name_prefix="tokenize-ahead")
        return self._ring

    def _tokenize(self, texts: list[str]) -> tuple[TokenizedWindow, float]:
        started = time.perf_counter()
        return self.tokenizer.encode(texts), time.perf_counter() - started

    def _feed(self, texts: Iterator[str], out: queue.Queue, stop: threading.Event, ring: HostBufferRing) -> None:
        """Feeder thread: windows of texts -> tokenised ahead -> length-sorted token-budget batches."""
        ahead: deque[Future] = deque()
        exhausted = False
        try:
            while not stop.is_set():
                while not exhausted and len(ahead) < self.options.prefetch_windows:
                    window_texts = list(itertools.islice(texts, self.window))
                    if window_texts:
                        ahead.append(self._ahead.submit(self._tokenize, window_texts))
                    exhausted = len(window_texts) < self.window
                if not ahead:
                    break
                window, seconds = ahead.popleft().result()
                self.counters["tokenize_ms"] += int(1000 * seconds)
                plans = plan_batches(
                    window.lengths, self._budget, self._row_capacity, self.pad_to_multiple, self.max_padding
                )
                out.put(_WindowStart(window))
                for plan in plans:
                    buffer = ring.acquire(stop)
                    if buffer is None:
                        return
                    rows = [window.ids[r] for r in plan.rows]
                    ids, lengths = buffer.fill(rows, plan.length, self.pad_id)
                    out.put(_Batch(buffer, ids, lengths, window.lengths[plan.rows], plan.rows))
                out.put(_WINDOW_END)
            out.put(_END)
        except BaseException as error:
            out.put(_Failure(error))
        finally:
            for future in ahead:
                future.cancel()

    def _run(self, texts: Iterator[str]) -> Iterator[Predictions]:
        ring = self._ensure_buffers()
        ready: queue.Queue = queue.Queue()
        stop = threading.Event()
        feeder = threading.Thread(
            target=self._feed, args=(texts, ready, stop, ring), name="inference-feeder", daemon=True
        )
        feeder.start()
        pending: deque = deque()
        window: TokenizedWindow | None = None
        accumulator: WindowAccumulator | None = None
        try:
            while True:
                try:
                    item = ready.get_nowait()
                except queue.Empty:
                    waited = time.perf_counter()
                    item = ready.get()
                    self.counters["waited_ms"] += int(1000 * (time.perf_counter() - waited))
                if isinstance(item, _Batch):
                    self._run_batch(item, ring, accumulator, pending)
                    self._collect(pending, wait=False)
                elif isinstance(item, _WindowStart):
                    window = item.window
                    accumulator = WindowAccumulator(len(window.ids))
                elif item is _WINDOW_END:
                    self._collect(pending, wait=True)
                    yield self._finish_window(window, accumulator)
                elif item is _END:
                    return
                else:
                    raise item.error
        finally:
            stop.set()
            feeder.join(timeout=5)
            self._return_unused_buffers(ready, ring)

    @staticmethod
    def _return_unused_buffers(ready: queue.Queue, ring: HostBufferRing) -> None:
        """A stream closed early leaves staged batches in the queue: their buffers go back to the shared ring,
        or the next stream's feeder would wait forever for a free buffer."""
        while True:
            try:
                item = ready.get_nowait()
            except queue.Empty:
                return
            if isinstance(item, _Batch):
                ring.release(item.buffer)

    def _finish_window(self, window: TokenizedWindow, accumulator: WindowAccumulator) -> Predictions:
        arrays = accumulator.finish(self.models, window.row_document, window.documents, self.options.chunk_aggregate)
        self.counters["documents"] += window.documents
        self.counters["rows"] += len(window.ids)
        self.counters["tokens"] += window.document_tokens
        self.counters["truncated"] += window.truncated
        return Predictions(
            arrays,
            self.label_names,
            documents=window.documents,
            rows=len(window.ids),
            tokens=window.document_tokens,
            truncated=window.truncated,
        )

    # ----------------------------------------------------------------------------------------- running

    def _run_batch(self, batch: _Batch, ring: HostBufferRing, accumulator: WindowAccumulator, pending: deque) -> None:
        if self.placement.is_cuda:
            count, length = batch.ids.shape
            ids = self._device_ids[: count * length].view(count, length)
            ids.copy_(batch.ids, non_blocking=True)
            lengths = self._device_lengths[:count]
            lengths.copy_(batch.lengths, non_blocking=True)
            copied = torch.cuda.Event()
            copied.record()
            ring.release(batch.buffer, copied)
        else:
            ids, lengths = batch.ids, batch.lengths
        try:
            self.counters["batches"] += 1
            self.counters["padded_tokens"] += ids.numel()
            for runner in self.runners:
                for rows, outputs in self._forward_fitting(runner, ids, lengths, batch.row_lengths):
                    pending.append((batch.positions[rows], outputs, accumulator, self._transfer(outputs)))
        finally:
            if not self.placement.is_cuda:
                ring.release(batch.buffer)

    def _transfer(self, outputs: dict[str, dict[str, torch.Tensor]]) -> torch.cuda.Event | None:
        """Start copying a batch's outputs to the host; the event says when they have arrived."""
        if not self.placement.is_cuda:
            return None
        for per_model in outputs.values():
            for kind, tensor in per_model.items():
                per_model[kind] = tensor.to("cpu", non_blocking=True)
        arrived = torch.cuda.Event()
        arrived.record()
        return arrived

    def _collect(self, pending: deque, wait: bool) -> None:
        """Move finished outputs into their window's accumulator (all of them when ``wait``)."""
        while pending:
            positions, outputs, accumulator, arrived = pending[0]
            if arrived is not None:
                if wait:
                    arrived.synchronize()
                elif not arrived.query():
                    return
            pending.popleft()
            for name, per_model in outputs.items():
                accumulator.put(name, {kind: tensor.numpy() for kind, tensor in per_model.items()}, positions)

    def _forward_fitting(
        self, runner: ModelRunner, ids: torch.Tensor, lengths: torch.Tensor, row_lengths: np.ndarray
    ) -> Iterator[tuple[slice, dict[str, dict[str, torch.Tensor]]]]:
        """Run ``runner`` on the batch; on out-of-memory halve it (and the budget) and run the halves."""
        todo: deque[tuple[int, int]] = deque(self._split_to_budget(0, len(row_lengths), row_lengths))
        while todo:
            start, end = todo.popleft()
            length = self._padded_length(row_lengths[start:end])
            failed: BaseException | None = None
            try:
                rows = row_lengths[start:end]
                outputs = self._forward(runner, ids[start:end, :length], lengths[start:end], rows, length)
            except Exception as error:
                if not is_out_of_memory(error):
                    raise
                failed = error
            if failed is None:
                yield slice(start, end), outputs
                continue
            if end - start == 1:
                raise InferenceOutOfMemory(
                    f"models {runner.names}: one row of {length} tokens does not fit in memory on "
                    f"{self.placement.device}; lower max_length or use a smaller model"
                ) from failed
            failed = None  # drop the traceback (and the activations it holds) before retrying
            self._budget = max(self.max_length, (end - start) * length // 2)
            self.counters["oom_retries"] += 1
            logger.warning(
                "out of memory on %s with a %dx%d batch; halving it (token budget now %d)",
                self.placement.device,
                end - start,
                length,
                self._budget,
            )
            if self.placement.is_cuda:
                torch.cuda.empty_cache()
            middle = (start + end) // 2
            todo.extendleft([(middle, end), (start, middle)])

    def _split_to_budget(self, start: int, end: int, row_lengths: np.ndarray) -> Iterator[tuple[int, int]]:
        """Row ranges fitting the current budget (a batch planned before an out-of-memory may be larger).

        Rows are sorted longest first, so the first row of a range sets its padded length.
        """
        while start < end:
            length = self._padded_length(row_lengths[start : start + 1])
            count = max(1, min(end - start, self._budget // length))
            yield start, start + count
            start += count

    def _padded_length(self, row_lengths: np.ndarray) -> int:
        """The batch's longest row, rounded up to ``pad_to_multiple`` unless every row has that length."""
        longest = int(row_lengths.max())
        if longest == int(row_lengths.min()):
            return max(1, longest)
        multiple = self.pad_to_multiple
        return max(1, -(-longest // multiple) * multiple)

    def _forward(
        self, runner: ModelRunner, ids: torch.Tensor, lengths: torch.Tensor, row_lengths: np.ndarray, length: int
    ) -> dict[str, dict[str, torch.Tensor]]:
        """One forward pass. A batch without padding gets no attention mask at all: the model then needs no
        mask tensor, SDPA may use its fastest (flash) kernel, and transformers does not inspect the mask's
        contents, which on a GPU would wait for the device."""
        if int(row_lengths.min()) == length:
            mask = None
        else:
            positions = torch.arange(length, device=ids.device)
            mask = (positions.unsqueeze(0) < lengths.unsqueeze(1)).to(torch.int64)
        if not ids.is_contiguous():
            ids = ids.contiguous()
        if mask is not None and runner.pad_token_id != self.pad_id:
            ids = ids.masked_fill(mask == 0, runner.pad_token_id)
        with torch.inference_mode(), self.placement.autocast_context():
            return runner.forward(ids, mask, use_reference=self._use_reference)

    # ----------------------------------------------------------------------------------------- int8

    def _check_quantization(self, head: list[str]) -> Predictions:
        """Compare int8 with fp32 on the first documents; keep int8 only within the stated tolerance.

        Returns the kept model's outputs for those documents, so they are not computed a third time.
        """
        self._use_reference = True
        try:
            reference = Predictions.concatenate(list(self._run(iter(head))), self.label_names)
        finally:
            self._use_reference = False
        quantized = Predictions.concatenate(list(self._run(iter(head))), self.label_names)
        report = compare_predictions(reference, quantized, self.options.quantize_tolerance)
        self.quantization = report
        self._quantization_pending = False
        for runner in self.runners:
            runner.settle_quantization(report.accepted)
        if report.accepted:
            logger.info("int8 quantisation kept: %s", report.describe())
            return quantized
        message = f"int8 quantisation refused, running in fp32: {report.describe()}; raise quantize_tolerance to allow"
        logger.warning(message)
        warnings.warn(message, stacklevel=3)
        return reference


def _as_specs(models: str | ModelSpec | Sequence[str | ModelSpec]) -> list[ModelSpec]:
    if isinstance(models, (str, ModelSpec)):
        models = [models]
    specs = [
        m if isinstance(m, ModelSpec) else ModelSpec(path=m, name=f"model{i}" if i else "model")
        for i, m in enumerate(models)
    ]
    if not specs:
        raise OptionsError("no model given")
    names = [s.name for s in specs]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise OptionsError(f"model names must be unique within an engine; repeated: {duplicates}")
    return specs


def _check_shared_tokenizer(specs: list[ModelSpec], tokenizer, options: EngineOptions) -> None:
    """Models in one engine share one tokenisation pass, so they must tokenise identically."""
    reference = tokenizer_fingerprint(tokenizer)
    seen = {(specs[0].path, specs[0].revision)}
    for spec in specs[1:]:
        if (spec.path, spec.revision) in seen:
            continue
        seen.add((spec.path, spec.revision))
        if tokenizer_fingerprint(load_tokenizer(spec, options)) != reference:
            raise OptionsError(
                f"models {specs[0].path!r} and {spec.path!r} use different tokenizers; an engine shares one "
                "tokenisation pass, so run them in separate engines (separate stages)"
            )


def _load_models(specs: list[ModelSpec], options: EngineOptions, placement) -> list[LoadedModel]:
    """Load each distinct checkpoint once; specs naming the same checkpoint and task share its module."""
    loaded: list[LoadedModel] = []
    by_key: dict[tuple, LoadedModel] = {}
    for spec in specs:
        key = (spec.path, spec.revision, spec.task)
        model = share_model(by_key[key], spec) if key in by_key else load_model(spec, options, placement)
        by_key.setdefault(key, model)
        by_key.setdefault(model.checkpoint, model)
        loaded.append(model)
    return loaded


def _group_runners(models: list[LoadedModel]) -> list[ModelRunner]:
    """One runner per distinct module, in the order the models were given."""
    groups: dict[int, list[LoadedModel]] = {}
    for model in models:
        groups.setdefault(id(model.module), []).append(model)
    return [ModelRunner(members) for members in groups.values()]
