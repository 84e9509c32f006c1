"""Prompt templates as data: YAML files with Jinja2 prompts, an id and a version.

A template says what to ask (``system`` and ``user`` prompts, Jinja2), what the answer must look like
(``response_prefix``, ``format``), how long input and output may be (``input_tokens``, ``output_tokens``,
``length_ratio``) and which documents it applies to (``applies_to``: quality tiers, languages, topics).
Changing a prompt means raising ``version``: the version is part of every request's cache key and of each
output row's provenance, so old and new answers are never mixed up.

The prompts see ``document`` (``text``, ``id``, ``language``, ``quality_score``, ``quality_tier``),
``topic`` (``id``, ``name``, ``keywords``) and ``rollout``. They are rendered in Jinja2's sandbox with
strict undefined variables, so a typo is an error, not an empty string.

Built-in templates live in ``curation/synth/templates/``: ``textbook_chapter``, ``wiki_paraphrase``,
``qa_pairs``, ``distilled_summary``, ``knowledge_list``. A recipe names them by id or gives a path.

Token counts of source documents are estimated from words (``estimate_tokens``: 4 tokens per 3 words, a
usual ratio for English text and BPE vocabularies) unless the document carries ``token_count``.
"""

from __future__ import annotations

import math
import re
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

BUILTIN_DIR = Path(__file__).resolve().parent / "templates"
TOKENS_PER_WORD = 4 / 3
_ID = re.compile(r"^[a-z0-9][a-z0-9_\-]*$")


class TemplateError(ValueError):
    """A template file that cannot be used, with the file and what to change."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TokenBounds(_Strict):
    min: int = Field(0, ge=0)
    max: int = Field(..., ge=1)

    @model_validator(mode="after")
    def _ordered(self) -> TokenBounds:
        if self.min > self.max:
            raise ValueError(f"min ({self.min}) is above max ({self.max})")
        return self


class RatioBounds(_Strict):
    """Output words divided by source words."""

    min: float = Field(0.0, ge=0)
    max: float = Field(math.inf, gt=0)


class Applicability(_Strict):
    """Which documents a template is for; a field left out places no condition."""

    quality_tiers: list[str] | None = None
    languages: list[str] | None = None
    topics: list[int | str] | None = Field(None, description="topic ids or names")


class FormatSpec(_Strict):
    """``prose``; ``qa_pairs`` (lines ``Question N:`` / ``Answer N:``); ``list`` (lines ``- `` or ``1.``)."""

    kind: Literal["prose", "qa_pairs", "list"] = "prose"
    min_items: int = Field(1, ge=1)


class Template(_Strict):
    """One prompt template (see the module docstring)."""

    id: str
    version: int = Field(..., ge=1)
    description: str = ""
    applies_to: Applicability = Field(default_factory=Applicability)
    input_tokens: TokenBounds
    output_tokens: TokenBounds
    length_ratio: RatioBounds = Field(default_factory=RatioBounds)
    response_prefix: str = ""
    format: FormatSpec = Field(default_factory=FormatSpec)
    system: str | None = None
    user: str

    @field_validator("id")
    @classmethod
    def _check_id(cls, value: str) -> str:
        if not _ID.match(value):
            raise ValueError(f"{value!r}: use lower-case letters, digits, '_' and '-'")
        return value

    @property
    def version_tag(self) -> str:
        return str(self.version)

    def applies(self, tier: str, language: str | None, topic_id: int | None, topic_name: str | None) -> bool:
        """Whether a document with these properties may be sent through this template."""
        rule = self.applies_to
        if rule.quality_tiers is not None and tier not in rule.quality_tiers:
            return False
        if rule.languages is not None and language not in rule.languages:
            return False
        if rule.topics is not None:
            wanted = {str(t) for t in rule.topics}
            if str(topic_id) not in wanted and (topic_name is None or topic_name not in wanted):
                return False
        return True

    def fits_input(self, tokens: int) -> bool:
        """At least ``input_tokens.min`` tokens (longer documents are cut to ``input_tokens.max``)."""
        return tokens >= self.input_tokens.min

    def render(self, document: dict[str, Any], topic: dict[str, Any], rollout: int) -> tuple[dict[str, str], ...]:
        """The chat messages for one document, topic and rollout."""
        context = {"document": document, "topic": topic, "rollout": rollout, "response_prefix": self.response_prefix}
        messages = []
        if self.system:
            messages.append({"role": "system", "content": _compiled(self.system).render(context).strip()})
        messages.append({"role": "user", "content": _compiled(self.user).render(context).strip()})
        return tuple(messages)

    def expectations(self) -> dict[str, Any]:
        """What the filters check an answer against (carried with each request)."""
        return {
            "response_prefix": self.response_prefix,
            "format": self.format.kind,
            "min_items": self.format.min_items,
            "min_tokens": self.output_tokens.min,
            "max_tokens": self.output_tokens.max,
            "min_ratio": self.length_ratio.min,
            "max_ratio": None if math.isinf(self.length_ratio.max) else self.length_ratio.max,
        }


@cache
def _compiled(source: str):
    from jinja2 import StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    environment = SandboxedEnvironment(undefined=StrictUndefined, keep_trailing_newline=False, autoescape=False)
    return environment.from_string(source)


def builtin_templates() -> list[str]:
    """Ids of the templates shipped with the package."""
    return sorted(path.stem for path in BUILTIN_DIR.glob("*.yaml"))


def load_template(reference: str) -> Template:
    """A built-in template by id, or a template YAML file by path."""
    path = Path(reference).expanduser()
    if not path.is_file():
        builtin = BUILTIN_DIR / f"{reference}.yaml"
        if not builtin.is_file():
            raise TemplateError(
                f"no template {reference!r}: give a YAML file or a built-in id ({', '.join(builtin_templates())})"
            )
        path = builtin
    return parse_template(path.read_text(encoding="utf-8"), str(path))


def parse_template(text: str, source: str = "<template>") -> Template:
    """Validate template YAML; errors name the file and the field."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise TemplateError(f"{source}: not valid YAML: {error}") from error
    if not isinstance(data, dict):
        raise TemplateError(f"{source}: a template is a mapping of fields")
    try:
        template = Template.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors())
        raise TemplateError(f"{source}: {problems}") from error
    try:
        for prompt in (template.system, template.user):
            if prompt:
                _compiled(prompt)
    except Exception as error:  # a Jinja2 syntax error
        raise TemplateError(f"{source}: the prompt is not a valid Jinja2 template: {error}") from error
    return template


def load_templates(references: list[str]) -> list[Template]:
    """Several templates; two with the same id are refused (their cache keys would collide)."""
    templates = [load_template(reference) for reference in references]
    seen: dict[str, str] = {}
    for reference, template in zip(references, templates, strict=True):
        if template.id in seen:
            raise TemplateError(f"templates {seen[template.id]!r} and {reference!r} share the id {template.id!r}")
        seen[template.id] = reference
    return templates


def estimate_tokens(text: str) -> int:
    """Tokens of ``text`` estimated from its words (see the module docstring)."""
    return math.ceil(len(text.split()) * TOKENS_PER_WORD)


def cut_to_tokens(text: str, max_tokens: int) -> tuple[str, bool]:
    """``text`` cut to about ``max_tokens`` (at a word boundary, at a paragraph end when one is near)."""
    words = text.split(" ")
    if estimate_tokens(text) <= max_tokens:
        return text, False
    keep = max(1, int(max_tokens / TOKENS_PER_WORD))
    cut, count = 0, 0
    for index, word in enumerate(words):
        count += len(word.split())
        if count > keep:
            cut = index
            break
    head = " ".join(words[:cut]) if cut else text
    paragraph = head.rfind("\n\n")
    if paragraph > len(head) * 0.8:
        head = head[:paragraph]
    return head.rstrip(), True
