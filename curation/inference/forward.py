"""The model side of the engine: batches of token ids in, each row's reduced outputs out, on one device.

``BatchRunner`` owns the loaded models and everything that decides how fast they run: the device and
precision, reused device buffers, the out-of-memory halving, static-shape length buckets with
``torch.compile`` or CUDA graphs, and the precision check. It knows nothing about documents or
tokenisation, so the same object serves the engine in-process and a model process fed by CPU workers
(``curation.inference.service``).

**Precision check.** Where reduced precision is a choice (``precision: auto`` on a GPU with native bf16,
or anywhere with ``precision_check: true``), the first ``precision_check_docs`` rows run in fp32 and in
each candidate, fastest first (bf16 weights, then bf16 autocast); the fastest candidate whose outputs all
stay within ``precision_tolerance`` of fp32 is kept (the comparison the int8 check uses:
``curation.inference.quantization.compare_predictions``), fp32 if none does. The rows checked get the
fp32 outputs. ``report`` says what was compared and chosen; it is logged and goes into the run summary.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import warnings
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import torch

from curation.inference.batching import HostBuffer, HostBufferRing
from curation.inference.devices import Placement, cpu_has_native_bf16
from curation.inference.loading import LoadedModel, load_model, share_model
from curation.inference.options import EngineOptions, ModelSpec, OptionsError
from curation.inference.outputs import Predictions
from curation.inference.quantization import compare_predictions
from curation.inference.runner import ModelRunner

logger = logging.getLogger(__name__)


class InferenceOutOfMemory(RuntimeError):
    """Even one row does not fit in device memory: lower max_length or use a smaller model."""


def is_out_of_memory(error: BaseException) -> bool:
    """CUDA out-of-memory, or a CPU allocation failure: both are retried with a smaller batch."""
    if isinstance(error, torch.OutOfMemoryError):
        return True
    message = str(error)
    return isinstance(error, RuntimeError) and ("out of memory" in message or "can't allocate memory" in message)


@dataclass(frozen=True)
class ModelInfo:
    """What the document side needs to know of a loaded model (picklable: it travels from a model process)."""

    spec: ModelSpec
    task: str
    outputs: tuple[str, ...]
    labels: list[str]
    widths: dict[str, tuple[int, ...]]
    """Per output kind, the shape of one document's value (``()`` for a label)."""
    pad_token_id: int
    max_positions: int
    suggested_max_length: int | None = None

    @property
    def name(self) -> str:
        return self.spec.name


def describe_model(model: LoadedModel) -> ModelInfo:
    config = model.module.config
    labels_width = (getattr(config, "num_labels", 1),)
    widths = {"label": (), "loss": (), "embedding": (config.hidden_size,)}
    for kind in ("probabilities", "logits", "score"):
        widths[kind] = labels_width
    return ModelInfo(
        spec=model.spec,
        task=model.task,
        outputs=model.outputs,
        labels=model.labels,
        widths=widths,
        pad_token_id=model.pad_token_id,
        max_positions=model.max_positions,
        suggested_max_length=model.suggested_max_length,
    )


@dataclass(frozen=True)
class Candidate:
    """One precision the check may keep: weights in ``weights`` dtype, matmuls under autocast to ``autocast``."""

    name: str
    weights: torch.dtype
    autocast: torch.dtype | None


BF16_CANDIDATES = (
    Candidate("bf16 weights", torch.bfloat16, None),
    Candidate("bf16 autocast", torch.float32, torch.bfloat16),
)
"""Fastest first: on an H200, RoBERTa-base runs 1.34x faster with bf16 weights than under bf16 autocast."""
FP32 = Candidate("fp32", torch.float32, None)


@dataclass
class PrecisionReport:
    """The precision check: each candidate's largest deviation from fp32, and the one kept."""

    chosen: str
    tolerance: float
    rows: int = 0
    candidates: dict[str, dict[str, Any]] = field(default_factory=dict)

    def describe(self) -> str:
        parts = []
        for name, result in self.candidates.items():
            verdict = "within" if result["accepted"] else "outside"
            parts.append(f"{name} {verdict} ({result['detail']})")
        return f"kept {self.chosen} after {self.rows} rows against fp32: " + "; ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {"chosen": self.chosen, "tolerance": self.tolerance, "rows": self.rows, "candidates": self.candidates}


def check_candidates(options: EngineOptions, placement: Placement) -> tuple[Candidate, ...]:
    """The precisions the check compares with fp32, or none when the precision is not the engine's choice."""
    if options.precision != "auto" or options.autocast is not None or options.quantize == "int8":
        return ()
    if options.precision_check is False:
        return ()
    device = placement.device
    if device.type == "cuda":
        native = torch.cuda.is_bf16_supported(including_emulation=False)
        return BF16_CANDIDATES if native else ()
    if options.precision_check and cpu_has_native_bf16():
        return BF16_CANDIDATES
    return ()


def length_buckets(max_length: int, requested: tuple[int, ...] | None, multiple: int) -> tuple[int, ...]:
    """The padded lengths a static-shape run uses: the requested ones (or 64, 128, 256, 384 and 512 scaled
    to ``max_length``), rounded to ``multiple``, and ``max_length`` itself."""
    if requested:
        chosen = {min(int(length), max_length) for length in requested}
    else:
        chosen = {max(1, max_length * share // 8) for share in (1, 2, 4, 6)}
    rounded = {min(max_length, -(-length // multiple) * multiple) for length in chosen}
    return tuple(sorted(rounded | {max_length}))


class BatchRunner:
    """Loads the models of one engine on one device and runs batches through them (see the module docstring).

    ``counters`` is shared with the caller: ``batches``, ``padded_tokens``, ``oom_retries``, ``shapes``.
    """

    def __init__(
        self, specs: list[ModelSpec], options: EngineOptions, placement: Placement, counters: Counter | None = None
    ):
        self.options = options
        self.counters = counters if counters is not None else Counter()
        self.candidates = check_candidates(options, placement)
        if self.candidates:
            placement = replace(placement, compute_dtype=torch.float32, autocast=False)
        self.placement = placement
        self.models = _load_models(specs, options, placement)
        self.runners = _group_runners(self.models)
        self.infos = [describe_model(model) for model in self.models]
        self.precision: PrecisionReport | None = None
        self._check_rows_left = options.precision_check_docs if self.candidates else 0
        self._checked: dict[str, dict[str, dict[str, list[np.ndarray]]]] = {}
        self._variant_modules: dict[str, list[torch.nn.Module]] = {}
        self.budget = 0
        """Padded tokens a forward pass may hold (0: no limit); halved on out-of-memory."""
        self.use_reference = False
        """Run the fp32 reference of an int8 model (the int8 check)."""
        self.static_shapes = options.static_shapes
        self.shapes_seen: set[tuple[int, int, bool]] = set()
        self._device_ids: torch.Tensor | None = None
        self._device_lengths: torch.Tensor | None = None
        self._prepare()

    # ----------------------------------------------------------------------------------------- set-up

    def _prepare(self) -> None:
        options = self.options
        if options.quantize == "int8":
            if self.placement.is_cuda:
                warnings.warn("quantize='int8' is a CPU feature (dynamic quantisation); ignored on GPU", stacklevel=4)
            elif self.placement.compute_dtype != torch.float32:
                raise OptionsError(
                    f"quantize='int8' quantises an fp32 model; precision {options.precision!r} asks for "
                    f"{self.placement.compute_dtype}. Use precision 'fp32' with int8 (or no int8)"
                )
            else:
                for runner in self.runners:
                    runner.quantize()
        for candidate in self.candidates:
            if candidate.weights != torch.float32:
                self._variant_modules[candidate.name] = [
                    copy.deepcopy(runner.module).to(candidate.weights) for runner in self.runners
                ]
        if options.cuda_graphs and not options.static_shapes:
            raise OptionsError("cuda_graphs needs static_shapes: a CUDA graph replays one fixed shape")
        if not self.candidates:
            self._compile()
        for runner in self.runners:
            runner.attach_hidden_capture(extra=[m for modules in self._variant_modules.values() for m in modules])

    def _compile(self) -> None:
        options = self.options
        if not (options.compile or options.cuda_graphs):
            return
        if options.static_shapes:
            import torch._dynamo

            limit = 4 * (len(options.length_buckets or ()) + 6)
            torch._dynamo.config.cache_size_limit = max(torch._dynamo.config.cache_size_limit, limit)
        for runner in self.runners:
            runner.compile(dynamic=not options.static_shapes, mode="reduce-overhead" if options.cuda_graphs else None)

    def model_infos(self) -> list[ModelInfo]:
        return self.infos

    @property
    def pad_token_id(self) -> int:
        return self.runners[0].pad_token_id

    def describe_precision(self) -> str:
        dtype = self.placement.compute_dtype
        text = str(dtype).removeprefix("torch.")
        if dtype != torch.float32:
            text += " autocast" if self.placement.autocast else " weights"
        if self._check_rows_left > 0:
            text = "fp32 until the precision check has seen its rows"
        return text

    def report(self) -> dict[str, Any]:
        """How the models ran: device, precision (and the check), shapes, compile; for logs and the summary."""
        result: dict[str, Any] = {
            "device": str(self.placement.device),
            "precision": self.describe_precision(),
            "static_shapes": self.static_shapes,
            "compile": bool(self.options.compile or self.options.cuda_graphs),
            "cuda_graphs": bool(self.options.cuda_graphs),
            "shapes": len(self.shapes_seen),
        }
        if self.precision is not None:
            result["precision_check"] = self.precision.to_dict()
        return result

    # ----------------------------------------------------------------------------------------- running

    def host_buffers(self, count: int, token_capacity: int, row_capacity: int) -> HostBufferRing:
        """The ring of host buffers the feeder stages batches in (pinned on a GPU), and the device buffers
        they are copied into."""
        pinned = self.placement.is_cuda
        if pinned and self._device_ids is None:
            device = self.placement.device
            self._device_ids = torch.empty(token_capacity, dtype=torch.int64, device=device)
            self._device_lengths = torch.empty(row_capacity, dtype=torch.int64, device=device)
        return HostBufferRing(count, token_capacity, row_capacity, pinned)

    def run(
        self,
        ids: torch.Tensor,
        lengths: torch.Tensor,
        row_lengths: np.ndarray,
        release: Callable[[torch.cuda.Event | None], None],
        pad_to_multiple: int,
        buffer: HostBuffer | None = None,
    ) -> Iterator[tuple[slice, dict[str, dict[str, torch.Tensor]], torch.cuda.Event | None]]:
        """Run one host batch ``ids`` (rows, length), whose real lengths are ``row_lengths``.

        ``release`` is called once the host memory may be reused (with the copy's CUDA event on a GPU);
        ``buffer`` is the host buffer ``ids`` lives in (a model-process client names it in its request).
        Yields (rows, outputs on the host or on their way there, the event saying they have arrived).
        """
        if self.placement.is_cuda:
            count, length = ids.shape
            device_ids = self._device_ids[: count * length].view(count, length)
            device_ids.copy_(ids, non_blocking=True)
            device_lengths = self._device_lengths[:count]
            device_lengths.copy_(lengths, non_blocking=True)
            copied = torch.cuda.Event()
            copied.record()
            release(copied)
            ids, lengths = device_ids, device_lengths
        try:
            self.counters["batches"] += 1
            self.counters["padded_tokens"] += ids.numel()
            checking = self._check_rows_left > 0
            for runner in self.runners:
                for rows, outputs in self._forward_fitting(runner, ids, lengths, row_lengths, pad_to_multiple):
                    yield rows, outputs, self._transfer(outputs)
            if checking:
                self._check_rows_left -= len(row_lengths)
                if self._check_rows_left <= 0:
                    self._settle()
        finally:
            if not self.placement.is_cuda:
                release(None)

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

    def _forward_fitting(
        self,
        runner: ModelRunner,
        ids: torch.Tensor,
        lengths: torch.Tensor,
        row_lengths: np.ndarray,
        pad_to_multiple: int,
    ) -> Iterator[tuple[slice, dict[str, dict[str, torch.Tensor]]]]:
        """Run ``runner`` on the batch; on out-of-memory halve it (and the budget) and run the halves."""
        whole = ids.shape[1] if self.static_shapes else None
        todo = deque(self._split_to_budget(len(row_lengths), row_lengths, whole, pad_to_multiple))
        while todo:
            start, end = todo.popleft()
            length = whole or _padded_length(row_lengths[start:end], pad_to_multiple)
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
            self.budget = max(length, (end - start) * length // 2)
            self.counters["oom_retries"] += 1
            logger.warning(
                "out of memory on %s with a %dx%d batch; halving it (token budget now %d)",
                self.placement.device,
                end - start,
                length,
                self.budget,
            )
            if self.placement.is_cuda:
                torch.cuda.empty_cache()
            middle = (start + end) // 2
            todo.extendleft([(middle, end), (start, middle)])

    def _split_to_budget(
        self, end: int, row_lengths: np.ndarray, whole: int | None, pad_to_multiple: int
    ) -> Iterator[tuple[int, int]]:
        """Row ranges fitting the current budget (a batch planned before an out-of-memory may be larger).

        Rows are sorted longest first, so the first row of a range sets its padded length.
        """
        start = 0
        while start < end:
            length = whole or _padded_length(row_lengths[start : start + 1], pad_to_multiple)
            count = max(1, min(end - start, self.budget // length)) if self.budget else end - start
            yield start, start + count
            start += count

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
        if mask is not None and runner.pad_token_id != self.pad_token_id:
            ids = ids.masked_fill(mask == 0, runner.pad_token_id)
        self.shapes_seen.add((ids.shape[0], ids.shape[1], mask is not None))
        if self._check_rows_left > 0:
            return self._forward_checked(runner, ids, mask)
        with torch.inference_mode(), self.placement.autocast_context():
            return runner.forward(ids, mask, use_reference=self.use_reference)

    # ----------------------------------------------------------------------------------------- precision

    def _forward_checked(
        self, runner: ModelRunner, ids: torch.Tensor, mask: torch.Tensor | None
    ) -> dict[str, dict[str, torch.Tensor]]:
        """Run fp32 and every candidate on these rows and record both; the rows get the fp32 outputs.

        ``run`` settles the check once every runner has seen ``precision_check_docs`` rows."""
        position = self.runners.index(runner)
        with torch.inference_mode():
            reference = runner.forward(ids, mask)
            self._record("fp32", reference)
            for candidate in self.candidates:
                modules = self._variant_modules.get(candidate.name)
                context = (
                    torch.autocast(device_type=self.placement.device.type, dtype=candidate.autocast)
                    if candidate.autocast is not None
                    else contextlib.nullcontext()
                )
                with context:
                    outputs = runner.forward(ids, mask, module=modules[position] if modules else None)
                self._record(candidate.name, outputs)
        return reference

    def _record(self, name: str, outputs: dict[str, dict[str, torch.Tensor]]) -> None:
        """Keep one precision's outputs of a batch, per model and kind, in the order the rows ran."""
        per_model = self._checked.setdefault(name, {})
        for model, per_kind in outputs.items():
            for kind, tensor in per_kind.items():
                per_model.setdefault(model, {}).setdefault(kind, []).append(tensor.float().cpu().numpy())

    def _predictions(self, name: str) -> Predictions:
        """The recorded rows of one precision as ``Predictions`` (labels from the probabilities)."""
        arrays: dict[str, dict[str, np.ndarray]] = {}
        for model, per_kind in self._checked[name].items():
            arrays[model] = {kind: np.concatenate(parts) for kind, parts in per_kind.items()}
            if "probabilities" in arrays[model]:
                arrays[model]["label"] = arrays[model]["probabilities"].argmax(axis=1)
        rows = len(next(iter(next(iter(arrays.values())).values())))
        return Predictions(arrays, {info.name: info.labels for info in self.infos}, rows)

    def _settle(self) -> None:
        tolerance = self.options.precision_tolerance
        reference = self._predictions("fp32")
        chosen = FP32
        results: dict[str, dict[str, Any]] = {}
        for candidate in self.candidates:
            report = compare_predictions(reference, self._predictions(candidate.name), tolerance)
            results[candidate.name] = {
                "accepted": report.accepted,
                "detail": report.describe(),
                "deviations": report.deviations,
                "label_flips": report.label_flips,
            }
            if report.accepted and chosen is FP32:
                chosen = candidate
        self.precision = PrecisionReport(chosen.name, tolerance, reference.documents, results)
        self._adopt(chosen)
        self._checked.clear()
        self._check_rows_left = 0
        self._compile()
        logger.info("precision check: %s", self.precision.describe())

    def _adopt(self, chosen: Candidate) -> None:
        """Switch every runner to the chosen precision and release the other copies."""
        modules = self._variant_modules.get(chosen.name)
        for position, runner in enumerate(self.runners):
            if modules is not None:
                runner.replace_module(modules[position])
        self._variant_modules.clear()
        dtype = chosen.autocast or chosen.weights
        self.placement = replace(self.placement, compute_dtype=dtype, autocast=chosen.autocast is not None)
        if self.placement.is_cuda:
            torch.cuda.empty_cache()


def _padded_length(row_lengths: np.ndarray, multiple: int) -> int:
    """The batch's longest row, rounded up to ``multiple`` unless every row has that length."""
    longest = int(row_lengths.max())
    if longest == int(row_lengths.min()):
        return max(1, longest)
    return max(1, -(-longest // multiple) * multiple)


def _load_models(specs: list[ModelSpec], options: EngineOptions, placement: Placement) -> list[LoadedModel]:
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
