"""LLM annotation: score documents with a rubric, parse the score robustly, write a labels file.

``llm_annotate`` is a stage: each document becomes one request (the rubric's prompt around the
document, cut to ``max_document_tokens``), sent through the request cache like ``synth_generate``'s, so
annotation resumes after a kill without sending anything twice. The parsed score goes into metadata
(``llm_score`` by default) with the rubric's id and version and the model's whole answer
(``llm_annotation``); an answer with no readable score is dropped as ``unparseable_score`` (or
``score_out_of_range``), a failed request as ``request_failed_<reason>``.

``curate annotate`` runs a recipe holding this stage (``pipelines/annotate.yaml``) and writes the scores as
a labels file ``curate train`` reads as it is (``{"id", "text", "score", "source"}`` per line; see
``curation.classify.labels``).

Rubrics are YAML + Jinja2 like templates: ``id``, ``version``, ``scale`` (min, max), ``system``, ``user``
(which sees ``document.text``), ``max_document_tokens`` and ``max_tokens``. The built-in
``educational_value`` rubric gives 0-5 additive points.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any, ClassVar

import yaml
from datatrove.data import Document, DocumentsPipeline
from datatrove.io import DataFolder
from datatrove.pipeline.base import PipelineStep
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from curation.synth.backends import LOCAL_BACKEND_KINDS, check_backend_spec, make_backend
from curation.synth.backends.base import Backend, ChatRequest, SamplingParams, payload_hash
from curation.synth.cache import RequestCache, RequestKey
from curation.synth.dispatch import ANSWERED, Dispatcher, Job
from curation.synth.generate_stage import CACHE_FILE
from curation.synth.templates import _compiled, cut_to_tokens

RUBRIC_DIR = Path(__file__).resolve().parent / "rubrics"
_LABELLED = re.compile(
    r"(?:score|points?|rating|grade|total)\s*(?:\([^)]*\))?\s*[*_]*\s*(?:[:=]|is|of)?\s*[*_]*\s*"
    r"(-?\d+(?:\.\d+)?)(?:\s*(?:/|out of)\s*(\d+))?",
    re.IGNORECASE,
)
_FRACTION = re.compile(r"(-?\d+(?:\.\d+)?)\s*(?:/|out of)\s*(\d+)", re.IGNORECASE)
_LAST_LINE_NUMBER = re.compile(r"^\s*[*_#]*\s*(-?\d+(?:\.\d+)?)\s*[*_.]*\s*$")


class RubricError(ValueError):
    """A rubric file that cannot be used, with the file and what to change."""


class Scale(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    min: float = 0
    max: float = 5


class Rubric(BaseModel):
    """An annotation rubric (see the module docstring)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    version: int = Field(..., ge=1)
    description: str = ""
    scale: Scale = Field(default_factory=Scale)
    max_document_tokens: int = Field(1500, ge=1)
    max_tokens: int = Field(300, ge=1)
    system: str | None = None
    user: str

    @property
    def tag(self) -> str:
        return f"{self.id}-v{self.version}"

    def render(self, text: str) -> tuple[dict[str, str], ...]:
        cut, _ = cut_to_tokens(text, self.max_document_tokens)
        context = {"document": {"text": cut}}
        messages = []
        if self.system:
            messages.append({"role": "system", "content": _compiled(self.system).render(context).strip()})
        messages.append({"role": "user", "content": _compiled(self.user).render(context).strip()})
        return tuple(messages)


def load_rubric(reference: str | dict[str, Any]) -> Rubric:
    """A built-in rubric by id (``educational_value``), a rubric YAML file by path, or a rubric as a mapping
    (what ``curate annotate`` puts in its recipe, so that a changed rubric file is a changed recipe).

    ``RubricError`` (with the file) when it is missing, does not validate, or holds a bad Jinja2 prompt.
    """
    if isinstance(reference, dict):
        return _validated(reference, "the inline rubric")
    path = Path(reference).expanduser()
    if not path.is_file():
        path = RUBRIC_DIR / f"{reference}.yaml"
        if not path.is_file():
            known = ", ".join(sorted(p.stem for p in RUBRIC_DIR.glob("*.yaml")))
            raise RubricError(f"no rubric {reference!r}: give a YAML file or a built-in id ({known})")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise RubricError(f"{path}: {error}") from error
    return _validated(data, str(path))


def _validated(data: Any, origin: str) -> Rubric:
    try:
        rubric = Rubric.model_validate(data)
        for prompt in (rubric.system, rubric.user):
            if prompt:
                _compiled(prompt)
    except (ValidationError, TypeError) as error:
        raise RubricError(f"{origin}: {error}") from error
    except Exception as error:  # a Jinja2 syntax error
        raise RubricError(f"{origin}: the prompt is not a valid Jinja2 template: {error}") from error
    return rubric


def parse_score(answer: str, low: float = 0, high: float = 5) -> tuple[float | None, str | None]:
    """The score an answer gives, or (None, reason): ``unparseable_score`` / ``score_out_of_range``.

    Tried in order, the last occurrence winning each time (models reason first, conclude last):
    a labelled score (``Educational score: 3``, ``**Score:** 4/5``, ``total points = 2``); a fraction
    (``3/5``, ``3 out of 5``) whose denominator is the scale's maximum; a last line that is only a number.
    """
    text = answer.strip()
    candidates = [(m.group(1), m.group(2)) for m in _LABELLED.finditer(text)]
    if not candidates:
        candidates = [(m.group(1), m.group(2)) for m in _FRACTION.finditer(text)]
    if not candidates:
        lines = [line for line in text.splitlines() if line.strip()]
        match = _LAST_LINE_NUMBER.match(lines[-1]) if lines else None
        candidates = [(match.group(1), None)] if match else []
    if not candidates:
        return None, "unparseable_score"
    value, denominator = candidates[-1]
    score = float(value)
    if denominator is not None and float(denominator) != high:
        return None, "unparseable_score"
    if not (low <= score <= high) or math.isnan(score):
        return None, "score_out_of_range"
    return score, None


class LLMAnnotate(PipelineStep):
    """Score each document with an LLM rubric through the request cache (see the module docstring).

    Args:
        backend: ``{kind: openai | transformers | vllm, ...}`` as for ``synth_generate``.
        rubric: a built-in rubric id, a rubric YAML path, or the rubric itself as a mapping.
        temperature, top_p, seed: sampling, sent on every request (greedy by default: one reading per rubric).
        max_tokens: cap on the answer; default: the rubric's.
        score_field: metadata field for the score.
        cache, max_requests, retry_failed, window: as for ``synth_generate``.
    """

    name = "🏷️ LLM annotate"
    path_params: ClassVar[dict[str, str]] = {"cache": "write"}
    """The request cache file it writes (see ``curation.recipe.paths``)."""
    type = "🧠 - GENERATE"

    @classmethod
    def path_params_for(cls, params: dict[str, Any]) -> dict[str, str]:
        """A local backend's ``model`` is a model folder (or hub id); an HTTP backend's is a served model's name."""
        backend = params.get("backend")
        if isinstance(backend, dict) and backend.get("kind") in LOCAL_BACKEND_KINDS:
            return {"backend.model": "model"}
        return {}

    def __init__(
        self,
        backend: dict[str, Any],
        rubric: str | dict[str, Any] = "educational_value",
        temperature: float = 0.0,
        top_p: float = 1.0,
        seed: int = 0,
        max_tokens: int | None = None,
        score_field: str = "llm_score",
        cache: str | None = None,
        max_requests: int | None = None,
        retry_failed: bool = True,
        window: int = 512,
    ):
        super().__init__()
        check_backend_spec(backend)
        self.rubric_ref = rubric
        self.rubric = load_rubric(rubric)
        self.sampling = SamplingParams(temperature, top_p, max_tokens or self.rubric.max_tokens, seed)
        self.score_field = score_field
        self.cache_path = cache
        self.max_requests = max_requests
        self.retry_failed = retry_failed
        self.window = window
        self.backend_spec = dict(backend)
        self.backend: Backend = make_backend(self.backend_spec)
        self._dispatcher: Dispatcher | None = None

    def bind_run(self, input_folder: DataFolder, output_folder: DataFolder) -> None:
        if self.cache_path is None:
            protocol = output_folder.fs.protocol
            if "file" not in (protocol if isinstance(protocol, (tuple, list)) else (protocol,)):
                raise ValueError("llm_annotate: the output is not on a local disk; give `cache:` a local path")
            self.cache_path = output_folder._join(CACHE_FILE)

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_dispatcher"] = None
        return state

    def dispatcher(self) -> Dispatcher:
        if self._dispatcher is None:
            if not self.cache_path:
                raise ValueError("llm_annotate needs `cache:` (a SQLite file path) outside `curate run`")
            cache = RequestCache(self.cache_path, max_sends=self.max_requests)
            self._dispatcher = Dispatcher(self.backend, cache, window=self.window, retry_failed=self.retry_failed)
        return self._dispatcher

    def job_for(self, document: Document) -> Job:
        request = ChatRequest(self.rubric.render(document.text), self.sampling)
        key = RequestKey(
            str(document.id), self.rubric.id, str(self.rubric.version), 0, payload_hash(self.backend.payload(request))
        )
        return Job(key, request)

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        def jobs():
            for document in data:
                if not isinstance(document.text, str) or not document.text.strip():
                    self.stat_update("dropped_empty_text")
                    continue
                yield document, self.job_for(document)

        dispatcher = self.dispatcher()
        try:
            for document, outcome in dispatcher.map(jobs()):
                if outcome.status != ANSWERED:
                    self.stat_update(f"dropped_request_{outcome.status}_{outcome.reason}")
                    continue
                assert outcome.completion is not None
                score, problem = parse_score(outcome.completion.text, self.rubric.scale.min, self.rubric.scale.max)
                if score is None:
                    self.stat_update(f"dropped_{problem}")
                    continue
                document.metadata[self.score_field] = score
                document.metadata[f"{self.score_field}_rubric"] = self.rubric.tag
                document.metadata["llm_annotation"] = outcome.completion.text
                document.metadata["llm_model"] = self.backend.model
                self.stat_update(f"score_{score:g}")
                yield document
        finally:  # per shard: no connection, thread or SQLite handle outlives it (a loaded model does)
            self._dispatcher = None
            dispatcher.close(close_cache=True)


def export_labels(output_dir: str | Path, labels_path: str | Path, score_field: str = "llm_score") -> int:
    """Write a run's scored rows as a labels file ``curate train`` reads (``score`` per line); returns rows.

    ``source`` is each row's own ``source`` metadata when it has one, else ``llm-annotations``. The file is
    written under a temporary name and renamed, so it is never seen half written.
    """
    from curation.classify.labels import LabeledExample, write_labeled
    from curation.report.ground_truth import load_output_rows

    rows = load_output_rows(Path(output_dir), ("id", "text", score_field, "source"))
    examples = [
        LabeledExample(
            text=row["text"],
            score=float(row[score_field]),
            source=str(row.get("source") or "llm-annotations"),
            id=str(row["id"]),
        )
        for row in sorted(rows, key=lambda r: str(r["id"]))
        if row.get(score_field) is not None and isinstance(row.get("text"), str)
    ]
    target = Path(labels_path)
    temporary = target.with_name(f".{target.name}.tmp")
    if target.name.endswith(".gz"):
        temporary = target.with_name(f".{target.name[:-3]}.tmp.gz")
    count = write_labeled(temporary, examples)
    temporary.replace(target)
    return count
