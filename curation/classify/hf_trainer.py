"""Fine-tune any Hugging Face encoder (RoBERTa, BERT, DeBERTa, ModernBERT, MiniLM...) as a classifier or a
regressor, with transformers' ``Trainer``.

Why ``Trainer`` and not a hand-written loop: the same code then runs MiniLM on a laptop CPU and
roberta-large on GPUs — mixed precision (bf16/fp16), gradient accumulation and checkpointing, and
multi-GPU data parallelism when launched with ``torchrun`` or ``accelerate launch`` — and early stopping
(``EarlyStoppingCallback`` + ``load_best_model_at_end``) is the library's tested implementation rather
than ours. The price is the ``accelerate`` dependency and per-evaluation checkpoints, which are written
to a scratch folder inside the model folder and removed at the end.

The classification head is new (randomly initialised) unless the base model already has one with the same
labels; the rest of the encoder is fine-tuned, or, with ``freeze_encoder``, left as it is (FineWeb-Edu's
recipe: a head trained on a frozen embedding model; fast, and it cannot forget what the encoder knew).
Long documents can be trained on whole (``long_documents: chunk``): every ``max_length`` window, up to
``max_chunks``, is a training row carrying its document's label, and the scoring stage averages the windows'
outputs. Weights are read and written as safetensors only.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from curation.classify.card import ClassifierCard, TrainingRecipe, resolve_base_model
from curation.classify.labels import LabeledExample

logger = logging.getLogger(__name__)
CHECKPOINT_DIR = "_checkpoints"


@dataclass
class TransformersResult:
    model_dir: Path
    best_validation_loss: float | None
    epochs_run: float
    history: list[dict] = field(default_factory=list)
    is_main_process: bool = True


class _Encoded:
    """Tokenised examples as the list-like dataset ``Trainer`` accepts."""

    def __init__(self, encodings: dict[str, list], labels: list):
        self.encodings = encodings
        self.labels = labels

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> dict[str, Any]:
        item = {key: values[index] for key, values in self.encodings.items()}
        item["labels"] = self.labels[index]
        return item


def _precision_flags(precision: str) -> dict[str, bool]:
    import torch

    if precision == "fp32" or not torch.cuda.is_available():
        return {}
    if precision == "bf16" or (precision == "auto" and torch.cuda.is_bf16_supported()):
        return {"bf16": True}
    return {"fp16": True}


def _encode(
    tokenizer,
    examples: list[LabeledExample],
    label_ids: dict[str, int] | None,
    max_length: int,
    max_chunks: int | None = None,
):
    """Tokenised examples: each document's head, or (``max_chunks``) up to that many ``max_length`` windows
    of it, each window a training row with the document's label."""
    texts = [e.text for e in examples]
    labels = [float(e.score) for e in examples] if label_ids is None else [label_ids[e.label] for e in examples]
    if not max_chunks:
        encodings = tokenizer(texts, truncation=True, max_length=max_length)
        keep = [k for k in ("input_ids", "attention_mask", "token_type_ids") if k in encodings]
        return _Encoded({k: encodings[k] for k in keep}, labels)
    encodings = tokenizer(texts, truncation=True, max_length=max_length, return_overflowing_tokens=True)
    keep = [k for k in ("input_ids", "attention_mask", "token_type_ids") if k in encodings]
    rows: dict[str, list] = {k: [] for k in keep}
    row_labels = []
    seen: dict[int, int] = {}
    for row, document in enumerate(encodings["overflow_to_sample_mapping"]):
        seen[document] = seen.get(document, 0) + 1
        if seen[document] > max_chunks:
            continue
        for key in keep:
            rows[key].append(encodings[key][row])
        row_labels.append(labels[document])
    return _Encoded(rows, row_labels)


def freeze_encoder(model) -> int:
    """Freeze everything but the head (pooler and output layer): FineWeb-Edu's frozen-embeddings recipe.
    Returns the number of parameters left to train."""
    base = model.base_model
    for name, parameter in base.named_parameters():
        parameter.requires_grad = "pooler" in name.split(".")
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def load_base_model(base: str, card: ClassifierCard, labels: list[str]):
    """Tokenizer and a sequence-classification model on ``base`` with a head for ``labels`` (or regression)."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from curation.inference.locations import resolve_model_location

    location = resolve_model_location(resolve_base_model(base), what="base model")
    source = location.source
    tokenizer = AutoTokenizer.from_pretrained(source, **location.pretrained_kwargs())
    if card.head == "regression":
        head: dict[str, Any] = {"num_labels": 1, "problem_type": "regression"}
    else:
        head = {
            "num_labels": len(labels),
            "id2label": dict(enumerate(labels)),
            "label2id": {name: i for i, name in enumerate(labels)},
            "problem_type": "single_label_classification",
        }
    model = AutoModelForSequenceClassification.from_pretrained(
        source,
        **location.pretrained_kwargs(),
        use_safetensors=True,
        ignore_mismatched_sizes=True,
        **head,
    )
    if model.config.pad_token_id is None and tokenizer.pad_token_id is not None:
        model.config.pad_token_id = tokenizer.pad_token_id
    return tokenizer, model


def train_transformer(
    train: list[LabeledExample],
    validation: list[LabeledExample],
    recipe: TrainingRecipe,
    card: ClassifierCard,
    labels: list[str],
    out_dir: Path,
) -> TransformersResult:
    """Fine-tune ``recipe.base_model`` (or the card's) and save the best model (by validation loss) to
    ``out_dir`` as safetensors, with its tokenizer."""
    import torch
    from transformers import DataCollatorWithPadding, EarlyStoppingCallback, Trainer, TrainingArguments

    base = recipe.base_model or card.base_model
    max_length = recipe.max_length or card.max_length
    tokenizer, model = load_base_model(base, card, labels)
    if recipe.gradient_checkpointing:
        model.gradient_checkpointing_enable()
    if recipe.freeze_encoder:
        logger.info("frozen encoder: %d parameters to train", freeze_encoder(model))
    label_ids = None if card.head == "regression" else {name: i for i, name in enumerate(labels)}
    chunked = (recipe.long_documents or card.long_documents) == "chunk"
    max_chunks = card.max_chunks if chunked else None
    train_set = _encode(tokenizer, train, label_ids, max_length, max_chunks)
    validation_set = _encode(tokenizer, validation, label_ids, max_length, max_chunks)
    checkpoints = out_dir / CHECKPOINT_DIR
    strategy = "steps" if recipe.eval_steps else "epoch"
    arguments = TrainingArguments(
        output_dir=str(checkpoints),
        num_train_epochs=recipe.epochs,
        learning_rate=recipe.learning_rate,
        per_device_train_batch_size=recipe.batch_size,
        per_device_eval_batch_size=recipe.batch_size * 2,
        gradient_accumulation_steps=recipe.gradient_accumulation,
        weight_decay=recipe.weight_decay,
        warmup_steps=recipe.warmup_ratio,  # a float below 1 is a share of the total steps
        lr_scheduler_type="linear",
        eval_strategy=strategy,
        save_strategy=strategy,
        eval_steps=recipe.eval_steps,
        save_steps=recipe.eval_steps,
        logging_strategy=strategy,
        logging_steps=recipe.eval_steps,
        load_best_model_at_end=True,
        metric_for_best_model="eval_loss",
        greater_is_better=False,
        save_total_limit=2,
        save_only_model=True,
        train_sampling_strategy="group_by_length",
        seed=recipe.seed,
        data_seed=recipe.seed,
        report_to=[],
        disable_tqdm=True,
        dataloader_num_workers=0,
        dataloader_pin_memory=torch.cuda.is_available(),
        **_precision_flags(recipe.precision),
    )
    trainer = Trainer(
        model=model,
        args=arguments,
        train_dataset=train_set,
        eval_dataset=validation_set,
        data_collator=DataCollatorWithPadding(tokenizer),
        processing_class=tokenizer,
        callbacks=[EarlyStoppingCallback(early_stopping_patience=recipe.patience)],
    )
    trainer.train()
    history = [
        {k: round(v, 5) if isinstance(v, float) else v for k, v in entry.items()}
        for entry in trainer.state.log_history
        if "eval_loss" in entry
    ]
    is_main = trainer.is_world_process_zero()
    if is_main:
        tokenizer.model_max_length = max_length  # the engine's default row length for this folder
        trainer.save_model(str(out_dir))
        tokenizer.save_pretrained(str(out_dir))
        (out_dir / "training_args.bin").unlink(missing_ok=True)  # a pickle; the card records the settings
        shutil.rmtree(checkpoints, ignore_errors=True)
    return TransformersResult(
        model_dir=out_dir,
        best_validation_loss=trainer.state.best_metric,
        epochs_run=round(trainer.state.epoch or 0.0, 3),
        history=history,
        is_main_process=is_main,
    )
