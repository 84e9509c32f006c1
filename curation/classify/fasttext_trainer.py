"""fastText: the cheap CPU classifier (the kind DCLM and FineWeb-Edu's cheap baselines use).

fastText trains for a fixed number of epochs with a learning rate that decays to zero over them, so "stop
early" means choosing the number of epochs: models are trained for ``epoch_step``, 2x, 3x ... epochs up to
``max_epochs``, each scored by its log-loss on the validation split, until ``patience`` steps bring no
improvement; the best one is kept. On the data sizes labeled sets have, each model takes seconds.

Scores (``score`` field, 0-5 style) are learned as classes ``0``..``5`` (rounded); the model's score is then
the expected value under its class probabilities.

fastText 0.9.2 initialises its input matrix in ten blocks, one per training thread, so fewer than 11 threads
leave rows uninitialised and training fails at random with "Encountered NaN" (or silently learns little).
Training therefore always runs at least 11 threads (``FastTextSettings.threads``); parallel SGD makes the
result differ slightly from run to run.
"""

from __future__ import annotations

import logging
import math
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from curation.classify.card import MIN_FASTTEXT_THREADS, FastTextSettings, TrainingRecipe
from curation.classify.labels import LabeledExample
from curation.classify.models import FASTTEXT_FILE, FASTTEXT_LABEL_PREFIX, fasttext_line

logger = logging.getLogger(__name__)
NAN_RETRIES = 4


@dataclass
class FastTextResult:
    model_file: Path
    epochs: int
    validation_loss: float
    history: list[dict] = field(default_factory=list)


def class_of(example: LabeledExample) -> str:
    """The class fastText learns for an example: its label, or its score rounded to an integer."""
    return example.label if example.label is not None else str(round(example.score or 0.0))


def write_training_file(path: Path, examples: list[LabeledExample], settings: FastTextSettings) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for example in examples:
            label = class_of(example).replace(" ", "_")
            handle.write(f"{FASTTEXT_LABEL_PREFIX}{label} {fasttext_line(example.text, settings.lowercase)}\n")


def log_loss(model, examples: list[LabeledExample], settings: FastTextSettings) -> float:
    """Mean negative log-probability of the true class (the validation criterion)."""
    lines = [fasttext_line(e.text, settings.lowercase) for e in examples]
    labels, probabilities = model.predict(lines, k=-1, threshold=0.0)
    total = 0.0
    for example, names, values in zip(examples, labels, probabilities, strict=True):
        wanted = FASTTEXT_LABEL_PREFIX + class_of(example).replace(" ", "_")
        probability = dict(zip(names, values, strict=True)).get(wanted, 0.0)
        total -= math.log(min(1.0, max(float(probability), 1e-6)))
    return total / max(1, len(examples))


def _train(path: Path, epochs: int, settings: FastTextSettings, seed: int, learning_rate: float):
    import fasttext

    minn, maxn = settings.char_ngrams
    return fasttext.train_supervised(
        input=str(path),
        lr=learning_rate,
        dim=settings.dim,
        epoch=epochs,
        wordNgrams=settings.word_ngrams,
        minCount=settings.min_count,
        minn=minn,
        maxn=maxn,
        bucket=settings.bucket if settings.word_ngrams > 1 or maxn > 0 else 0,
        thread=max(settings.threads, MIN_FASTTEXT_THREADS),
        seed=seed,
        loss="softmax",
        verbose=0,
    )


def _train_stable(path: Path, epochs: int, settings: FastTextSettings, seed: int) -> tuple[object, float]:
    """Train; when SGD diverges (fastText raises "Encountered NaN"), halve the learning rate and retry, as
    fastText's authors advise. Returns the model and the learning rate that worked."""
    learning_rate = settings.learning_rate
    for _ in range(NAN_RETRIES):
        try:
            return _train(path, epochs, settings, seed, learning_rate), learning_rate
        except RuntimeError as error:
            if "nan" not in str(error).lower():
                raise
            logger.warning("fastText diverged at learning rate %g (%d epochs); halving it", learning_rate, epochs)
            learning_rate /= 2
    raise RuntimeError(
        f"fastText diverged {NAN_RETRIES} times (last learning rate {learning_rate * 2:g}); "
        "lower fasttext.learning_rate in train.yaml"
    )


def train_fasttext(
    train: list[LabeledExample], validation: list[LabeledExample], recipe: TrainingRecipe, out_dir: Path
) -> FastTextResult:
    """Train with early stopping on ``validation``; write the best model to ``out_dir/model.bin``."""
    settings = recipe.fasttext
    out_dir.mkdir(parents=True, exist_ok=True)
    history: list[dict] = []
    best: tuple[float, int] | None = None
    with tempfile.TemporaryDirectory(prefix="fasttext-") as scratch:
        scratch_dir = Path(scratch)
        training_file = scratch_dir / "train.txt"
        write_training_file(training_file, train, settings)
        stale = 0
        for epochs in range(settings.epoch_step, settings.max_epochs + 1, settings.epoch_step):
            model, learning_rate = _train_stable(training_file, epochs, settings, recipe.seed)
            loss = log_loss(model, validation, settings)
            history.append({"epochs": epochs, "learning_rate": learning_rate, "validation_loss": round(loss, 5)})
            logger.info("fastText: %d epochs, validation log-loss %.4f", epochs, loss)
            if best is None or loss < best[0] - 1e-4:
                best = (loss, epochs)
                model.save_model(str(scratch_dir / "best.bin"))
                stale = 0
            else:
                stale += 1
                if stale >= recipe.patience:
                    break
        assert best is not None
        target = out_dir / FASTTEXT_FILE
        shutil.move(str(scratch_dir / "best.bin"), target)
    return FastTextResult(model_file=target, epochs=best[1], validation_loss=round(best[0], 5), history=history)
