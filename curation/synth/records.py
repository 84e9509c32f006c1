"""The metadata fields synthetic rows carry, in one place: requests, provenance, and working fields.

A *request* document (made by ``synth_requests``) holds the source text as its text and the rendered
prompt in metadata; a *response* document (made by ``synth_generate``) holds the answer as its text and the
provenance of every kept row:

- ``synth_source_id``, ``topic_id``, ``topic_name``: what it was made from;
- ``synth_template_id``, ``synth_template_version``, ``synth_rollout``: how it was asked for;
- ``synth_backend``, ``synth_model``, ``synth_temperature``, ``synth_top_p``, ``synth_max_tokens``,
  ``synth_seed``, ``synth_sampling_extra``: who answered and with which sampling (the last: a JSON object of
  what else the payload carried, such as an HTTP backend's ``extra_body`` or a local ``repetition_penalty``;
  ``{}`` when nothing);
- ``synth_finish_reason``, ``synth_prompt_tokens``, ``synth_completion_tokens``: how the answer ended and
  what it cost (``token_count`` too, which the writers sum per output file).

Working fields the filters read: ``synth_expect`` (the template's expectations, JSON) and
``synth_source_text`` (the source as it was sent; removed by ``synth_near_dedup``, the last step that
reads it, unless asked to keep it).
"""

from __future__ import annotations

import hashlib

SOURCE_ID = "synth_source_id"
TEMPLATE_ID = "synth_template_id"
TEMPLATE_VERSION = "synth_template_version"
ROLLOUT = "synth_rollout"
MESSAGES = "synth_messages"
PREFILL = "synth_prefill"
EXPECT = "synth_expect"
SOURCE_TEXT = "synth_source_text"
SOURCE_TRUNCATED = "synth_source_truncated"
SOURCE_LANGUAGE = "source_language"
SOURCE_QUALITY = "source_quality_score"
SOURCE_TIER = "source_quality_tier"
TOPIC_ID = "topic_id"
TOPIC_NAME = "topic_name"
TOPIC_LOW_CONFIDENCE = "topic_low_confidence"

BACKEND = "synth_backend"
MODEL = "synth_model"
TEMPERATURE = "synth_temperature"
TOP_P = "synth_top_p"
MAX_TOKENS = "synth_max_tokens"
SEED = "synth_seed"
SAMPLING_EXTRA = "synth_sampling_extra"
FINISH_REASON = "synth_finish_reason"
PROMPT_TOKENS = "synth_prompt_tokens"
COMPLETION_TOKENS = "synth_completion_tokens"

PROVENANCE_FIELDS = (
    SOURCE_ID,
    TOPIC_ID,
    TOPIC_NAME,
    TEMPLATE_ID,
    TEMPLATE_VERSION,
    BACKEND,
    MODEL,
    TEMPERATURE,
    TOP_P,
    MAX_TOKENS,
    SEED,
    SAMPLING_EXTRA,
    ROLLOUT,
    FINISH_REASON,
    PROMPT_TOKENS,
    COMPLETION_TOKENS,
)
"""The fields every kept synthetic row has."""


def request_id(source_id: str, template_id: str, version: str, rollout: int) -> str:
    """The id of a request and of the row made from its answer: ``<source>/<template>-v<version>/r<rollout>``."""
    return f"{source_id}/{template_id}-v{version}/r{rollout}"


def derive_seed(base_seed: int, source_id: str, template_id: str, version: str, rollout: int) -> int:
    """A 31-bit seed fixed by the base seed and the request's identity (stable across runs and machines)."""
    digest = hashlib.blake2b(
        f"{base_seed}\x00{source_id}\x00{template_id}\x00{version}\x00{rollout}".encode(), digest_size=8
    )
    return int.from_bytes(digest.digest(), "big") & 0x7FFFFFFF
