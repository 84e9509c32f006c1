"""Topic names written by an LLM: a namer for ``topic_cluster`` (``curation.topics.naming``).

In a topics recipe::

    - stage: topic_cluster
      params:
        namer: curation.synth.naming:llm_namer
        namer_params:
          backend: {kind: openai, base_url: "http://127.0.0.1:8000/v1", model: my-model}
          cache: build/topic_names.sqlite

The namer sees a topic's keywords, a few representative texts and the names already taken, and answers
with a short name; the topic clustering keeps names unique (asking again, with the taken names, when an
answer repeats one). Requests go through the request cache, so renaming after a rerun sends nothing twice;
without ``cache`` an in-memory cache serves one run. An answer that gives no usable name returns None,
which keeps the topic's keyword name.
"""

from __future__ import annotations

import re
from typing import Any

from curation.synth.backends import make_backend
from curation.synth.backends.base import ChatRequest, SamplingParams, payload_hash
from curation.synth.cache import RequestCache, RequestKey
from curation.synth.dispatch import ANSWERED, Dispatcher, Job

TEMPLATE_ID = "topic_name"
TEMPLATE_VERSION = "1"
MAX_NAME_WORDS = 8
_MARKUP = re.compile(r"[*_`#]+")
_LABEL = re.compile(r"^\s*(?:topic\s*)?(?:name|title|label)?\s*[:\-]\s*", re.IGNORECASE)


class LLMTopicNamer:
    """A ``TopicNamer``: ``namer(request) -> name | None`` (see the module docstring).

    Args:
        backend: ``{kind: ..., ...}`` as for ``synth_generate``.
        temperature, top_p, seed, max_tokens: sampling, sent on every request.
        cache: SQLite request cache file; None keeps answers in memory for this run only.
        representatives, chars_per_representative: how much of the nearest documents the prompt shows.
    """

    def __init__(
        self,
        backend: dict[str, Any],
        temperature: float = 0.0,
        top_p: float = 1.0,
        seed: int = 0,
        max_tokens: int = 24,
        cache: str | None = None,
        representatives: int = 3,
        chars_per_representative: int = 400,
    ):
        self.backend = make_backend(backend)
        self.sampling = SamplingParams(temperature, top_p, max_tokens, seed)
        self.cache = RequestCache(cache or ":memory:")
        self.representatives = representatives
        self.chars_per_representative = chars_per_representative

    def messages(self, request: Any) -> tuple[dict[str, str], ...]:
        """The prompt for one ``NamingRequest``."""
        lines = [
            "Give a short, specific name (two to five words) for a group of documents about one topic.",
            f"The words that set this group apart: {', '.join(request.keywords[:12]) or '(none)'}.",
        ]
        texts = [t[: self.chars_per_representative].replace("\n", " ") for t in request.representatives]
        if texts[: self.representatives]:
            lines.append("Typical documents of the group:")
            lines += [f"- {text}" for text in texts[: self.representatives]]
        if request.taken:
            lines.append(
                f"These names are already used for other groups; choose another: {', '.join(sorted(request.taken))}."
            )
        lines.append("Answer with the name only, without quotes or explanation.")
        return ({"role": "user", "content": "\n".join(lines)},)

    def __call__(self, request: Any) -> str | None:
        chat = ChatRequest(self.messages(request), self.sampling)
        key = RequestKey(
            f"topic:{request.topic_id}",
            TEMPLATE_ID,
            TEMPLATE_VERSION,
            int(request.attempt),
            payload_hash(self.backend.payload(chat)),
        )
        # naming asks a handful of questions from a global task with no end hook: each call opens and
        # closes its own connection, so nothing is left open when the task ends
        dispatcher = Dispatcher(self.backend, self.cache, window=1)
        try:
            outcome = dispatcher.settle_one(Job(key, chat))
        finally:
            dispatcher.close()
        if outcome.status != ANSWERED or outcome.completion is None:
            raise RuntimeError(f"naming topic {request.topic_id} failed: {outcome.reason}")
        return clean_name(outcome.completion.text)


def clean_name(answer: str) -> str | None:
    """The name in an answer: its first non-empty line without labels, quotes, markup or a final period."""
    for line in answer.splitlines():
        name = _LABEL.sub("", _MARKUP.sub("", line).strip()).strip(" \t\"'.")
        if name:
            return " ".join(name.split()[:MAX_NAME_WORDS])
    return None


def llm_namer(**params: Any) -> LLMTopicNamer:
    """The factory a recipe names (``namer: curation.synth.naming:llm_namer``); ``params`` as for the class."""
    return LLMTopicNamer(**params)
