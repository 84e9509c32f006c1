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

import contextlib
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

from curation.inference.batching import HostBuffer, HostBufferRing, plan_batches, static_rows
from curation.inference.devices import (
    configure_cpu_threads,
    cores_per_worker,
    default_tokenizer_threads,
    place,
    use_own_tokenizer_threads,
)
from curation.inference.forward import BatchRunner, InferenceOutOfMemory, ModelInfo, is_out_of_memory, length_buckets
from curation.inference.loading import load_tokenizer, resolve_max_length, tokenizer_fingerprint
from curation.inference.options import EngineOptions, ModelSpec, OptionsError
from curation.inference.outputs import Predictions, WindowAccumulator
from curation.inference.quantization import QuantizationReport, compare_predictions
from curation.inference.tokenization import DocumentTokenizer, TokenizedWindow

logger = logging.getLogger(__name__)

CPU_DEFAULTS = {"max_batch_tokens": 2048, "window": 512, "pad_to_multiple": 1, "max_padding": 0.05}
GPU_DEFAULTS = {"max_batch_tokens": 65536, "window": 4096, "pad_to_multiple": 8, "max_padding": None}

__all__ = ["InferenceEngine", "InferenceOutOfMemory", "is_out_of_memory"]


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
    overrides. Build one engine per worker process: construction loads the models (or, with a model
    process, connects to the process that holds them). One stream at a time: ``predict``/``predict_stream``
    are not meant to be called from several threads at once.
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
        self.specs = specs
        self.counters: Counter[str] = Counter()
        self.remote = _wants_model_process(self.options)
        use_own_tokenizer_threads()
        self.hf_tokenizer = load_tokenizer(specs[0], self.options)
        _check_shared_tokenizer(specs, self.hf_tokenizer, self.options)
        if self.remote:
            if self.options.quantize == "int8":
                raise OptionsError("quantize='int8' runs in the worker's own process; set model_process: false")
            from curation.inference.service.client import RemoteBatchRunner

            self.batches = RemoteBatchRunner(specs, self.options, self.counters)
        else:
            placement = place(self.options.device, self.options.precision, self.options.autocast)
            if self.options.quantize == "int8" and self.options.precision == "auto" and not placement.is_cuda:
                placement = replace(placement, compute_dtype=torch.float32)  # int8 quantises an fp32 model
            self.batches = BatchRunner(specs, self.options, placement, self.counters)
        is_cuda = self.batches.placement.is_cuda
        defaults = GPU_DEFAULTS if is_cuda else CPU_DEFAULTS
        self.torch_threads = None if is_cuda or self.remote else configure_cpu_threads(self.options.torch_threads)
        # a worker feeding a model process does nothing but read and tokenise: it encodes on all its cores
        self.tokenizer_threads = self.options.tokenizer_threads or (
            cores_per_worker() if self.remote else default_tokenizer_threads(is_cuda)
        )
        self.infos: list[ModelInfo] = self.batches.model_infos()
        self.label_names = {m.name: m.labels for m in self.infos}
        self.max_length = resolve_max_length(self.options.max_length, self.hf_tokenizer, self.infos)
        self.pad_to_multiple = self.options.pad_to_multiple or defaults["pad_to_multiple"]
        self.max_batch_tokens = max(self.options.max_batch_tokens or defaults["max_batch_tokens"], self.max_length)
        self.window = self.options.window or defaults["window"]
        self.max_padding = self.options.max_padding if self.options.max_padding is not None else defaults["max_padding"]
        self.buckets = (
            length_buckets(self.max_length, self.options.length_buckets, self.pad_to_multiple)
            if self.options.static_shapes
            else None
        )
        self.pad_id = self.batches.pad_token_id
        self.batches.budget = self.max_batch_tokens
        self.tokenizer = DocumentTokenizer(
            self.hf_tokenizer,
            self.max_length,
            long_documents=self.options.long_documents,
            overlap=self.options.chunk_overlap,
            max_chunks=self.options.max_chunks,
            threads=self.tokenizer_threads,
        )
        self.quantization: QuantizationReport | None = None
        self._quantization_pending = self.options.quantize == "int8" and not is_cuda
        self._row_capacity = max(1, self.options.max_batch_size)
        self._token_capacity = self.max_batch_tokens + self.pad_to_multiple
        self._ring: HostBufferRing | None = None
        self._ahead: ThreadPoolExecutor | None = None
        self._busy = threading.Lock()

    # ----------------------------------------------------------------------------------------- views

    @property
    def placement(self):
        """Where the models run and in which precision (after the precision check, the precision kept)."""
        return self.batches.placement

    @property
    def models(self):
        """The loaded models (in this process; with a model process, what is known of them)."""
        return getattr(self.batches, "models", self.infos)

    @property
    def runners(self):
        return self.batches.runners

    @property
    def precision(self):
        """The precision check's report (``None`` when there was none, or it has not finished)."""
        return self.batches.precision

    @property
    def _budget(self) -> int:
        return self.batches.budget

    def close(self) -> None:
        """Release the tokenizer threads and any model-process connection (the models go with the engine)."""
        self.tokenizer.close()
        if self._ahead is not None:
            self._ahead.shutdown(wait=False, cancel_futures=True)
            self._ahead = None
        closing = getattr(self.batches, "close", None)
        if callable(closing):
            closing()

    def describe(self) -> str:
        """One line saying what runs where, for logs."""
        names = ", ".join(f"{m.name} ({m.task}: {', '.join(m.outputs)})" for m in self.infos)
        threads = f", {self.torch_threads} torch threads" if self.torch_threads else ""
        where = f"{self.placement.device}" + (" (model process)" if self.remote else "")
        shapes = f", static shapes {list(self.buckets)}" if self.buckets else ""
        return (
            f"{names} on {where} in {self.batches.describe_precision()}; max_length {self.max_length}, "
            f"{self.max_batch_tokens} tokens per batch{shapes}, {self.tokenizer_threads} tokenizer thread(s)"
            f"{threads}"
        )

    def report(self) -> dict:
        """How the engine ran so far: device, precision (and its check), shapes, padding and waiting; the
        ``model_outputs`` stage puts this into the run summary."""
        counters = self.counters
        tokens = counters["tokens"]
        result = dict(self.batches.report())
        result.update(
            {
                "model_process": self.batches.address if self.remote else None,
                "max_length": self.max_length,
                "max_batch_tokens": self.max_batch_tokens,
                "tokenizer_threads": self.tokenizer_threads,
                "documents": counters["documents"],
                "tokens": tokens,
                "padded_tokens": counters["padded_tokens"],
                "padding_overhead": round(counters["padded_tokens"] / tokens - 1, 4) if tokens else 0.0,
                "batches": counters["batches"],
                "oom_retries": counters["oom_retries"],
                "waited_for_input_s": round(counters["waited_ms"] / 1000, 3),
            }
        )
        if self.buckets:
            result["length_buckets"] = list(self.buckets)
        if self.quantization is not None:
            result["int8"] = {"kept": self.quantization.accepted, "detail": self.quantization.describe()}
        return result

    # ----------------------------------------------------------------------------------------- public

    def predict(self, texts: Iterable[str]) -> Predictions:
        """Outputs for all ``texts``, in their order."""
        parts = list(self.predict_stream(texts))
        return Predictions.concatenate(parts, self.label_names) if parts else self._no_predictions()

    def _no_predictions(self) -> Predictions:
        """Outputs for no documents: every array present, with no rows (so callers need no special case)."""
        arrays = {
            info.name: {
                kind: np.zeros((0, *info.widths.get(kind, ())), dtype=np.int64 if kind == "label" else np.float32)
                for kind in info.outputs
            }
            for info in self.infos
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
            self._ring = self.batches.host_buffers(self.options.host_buffers, self._token_capacity, self._row_capacity)
        if self._ahead is None:
            self._ahead = ThreadPoolExecutor(1, thread_name_prefix="tokenize-ahead")
        return self._ring

    def _tokenize(self, texts: list[str]) -> tuple[TokenizedWindow, float]:
        started = time.perf_counter()
        return self.tokenizer.encode(texts), time.perf_counter() - started

    def plan(self, window: TokenizedWindow):
        """The window's batches under the current token budget (static shapes: bucketed lengths)."""
        return plan_batches(
            window.lengths,
            self.batches.budget,
            self._row_capacity,
            self.pad_to_multiple,
            self.max_padding,
            buckets=self.buckets,
        )

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
                out.put(_WindowStart(window))
                for plan in self.plan(window):
                    buffer = ring.acquire(stop)
                    if buffer is None:
                        return
                    rows = static_rows(plan.length, self.batches.budget, self._row_capacity) if self.buckets else None
                    row_lengths = window.lengths[plan.rows]
                    ids, lengths = buffer.fill(
                        window.flat, window.offsets[plan.rows], row_lengths, plan.length, self.pad_id, rows
                    )
                    if rows is not None:
                        row_lengths = lengths.numpy().copy()
                    out.put(_Batch(buffer, ids, lengths, row_lengths, plan.rows))
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
                    if self.remote and pending:
                        # a model process's buffers come back only once their outputs are read: with none
                        # staged, read the oldest reply (the feeder may be waiting for that buffer)
                        self._collect_oldest(pending)
                        continue
                    waited = time.perf_counter()
                    item = ready.get()
                    self.counters["waited_ms"] += int(1000 * (time.perf_counter() - waited))
                if isinstance(item, _Batch):
                    self._run_batch(item, ring, accumulator, pending)
                    self._collect(pending, wait=False)
                elif isinstance(item, _WindowStart):
                    window = item.window
                    accumulator = WindowAccumulator(window.rows)
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
            self._collect_quietly(pending)
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

    def _collect_quietly(self, pending: deque) -> None:
        """A stream that ends early (an error, a closed generator) still waits for the batches it sent, so
        their buffers are free and a model process's replies do not reach the next stream."""
        while pending:
            _, _, _, arrived = pending.popleft()
            if arrived is not None:
                with contextlib.suppress(Exception):  # the error that ended the stream is the one to report
                    arrived.synchronize()
                finish = getattr(arrived, "finish", None)
                if callable(finish):
                    finish()

    def _finish_window(self, window: TokenizedWindow, accumulator: WindowAccumulator) -> Predictions:
        arrays = accumulator.finish(self.infos, window.row_document, window.documents, self.options.chunk_aggregate)
        self.counters["documents"] += window.documents
        self.counters["rows"] += window.rows
        self.counters["tokens"] += window.document_tokens
        self.counters["truncated"] += window.truncated
        return Predictions(
            arrays,
            self.label_names,
            documents=window.documents,
            rows=window.rows,
            tokens=window.document_tokens,
            truncated=window.truncated,
        )

    # ----------------------------------------------------------------------------------------- running

    def _run_batch(self, batch: _Batch, ring: HostBufferRing, accumulator: WindowAccumulator, pending: deque) -> None:
        def release(event=None, buffer=batch.buffer):
            ring.release(buffer, event)

        real = len(batch.positions)
        for rows, outputs, arrived in self.batches.run(
            batch.ids, batch.lengths, batch.row_lengths, release, self.pad_to_multiple, buffer=batch.buffer
        ):
            start, stop = rows.start, min(rows.stop, real)
            if start >= real:
                continue  # rows of padding only (static shapes)
            pending.append((batch.positions[start:stop], (outputs, stop - start), accumulator, arrived))

    def _collect_oldest(self, pending: deque) -> None:
        """Wait for the oldest batch in flight, then take every finished one."""
        arrived = pending[0][3]
        if arrived is not None:
            arrived.synchronize()
        self._collect(pending, wait=False)

    def _collect(self, pending: deque, wait: bool) -> None:
        """Move finished outputs into their window's accumulator (all of them when ``wait``)."""
        while pending:
            positions, (outputs, count), accumulator, arrived = pending[0]
            if arrived is not None:
                if wait:
                    arrived.synchronize()
                elif not arrived.query():
                    return
            pending.popleft()
            if outputs is None:
                outputs = arrived.outputs
            for name, per_model in outputs.items():
                arrays = {kind: _host_array(values)[:count] for kind, values in per_model.items()}
                accumulator.put(name, arrays, positions)
            finish = getattr(arrived, "finish", None)
            if callable(finish):
                finish()

    # ----------------------------------------------------------------------------------------- int8

    def _check_quantization(self, head: list[str]) -> Predictions:
        """Compare int8 with fp32 on the first documents; keep int8 only within the stated tolerance.

        Returns the kept model's outputs for those documents, so they are not computed a third time.
        """
        self.batches.use_reference = True
        try:
            reference = Predictions.concatenate(list(self._run(iter(head))), self.label_names)
        finally:
            self.batches.use_reference = False
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


def _host_array(values) -> np.ndarray:
    return values.numpy() if isinstance(values, torch.Tensor) else values


def _wants_model_process(options: EngineOptions) -> bool:
    """A model process when asked for, or by default when the executor started model processes."""
    if options.model_process is not None:
        return options.model_process
    from curation.inference.service.hosts import announced_addresses

    return bool(announced_addresses())


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
