"""``synth_requests``: sample documents per topic and turn each into requests (template x rollout).

A global stage, because balanced sampling needs every shard's candidates:

- **collect** (per shard): each document's id, topic, quality score, language and token count go to
  ``candidates/<stem>.parquet`` in the stage's work folder (no text); documents pass on unchanged;
- **plan** (one task): ``planning.make_plan`` decides for every document, ``plan/<stem>.parquet`` and
  ``plan/_summary.json`` (per topic: eligible, quota, selected) are written;
- **apply** (per shard): a document not selected is dropped with its reason; a selected one becomes one
  request per applicable template and rollout. A request is a document whose text is the source text (cut
  to the template's input bound) and whose metadata holds the rendered messages, the response prefix and
  the template's expectations (see ``records``).

Topic names come from each document's ``topic_name``; keywords from ``topics.json`` (written by
``topic_cluster``): ``topics_file`` or, by default, ``topics.json`` in the run's input folder when there is one.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import orjson
import pyarrow as pa
from datatrove.data import Document, DocumentsPipeline
from datatrove.io import DataFolder, get_datafolder

from curation.dedup import storage
from curation.global_stage import GlobalStage, GlobalTask, ShardContext
from curation.synth import records as R
from curation.synth.planning import Candidate, applicable_templates, make_plan, quality_tier
from curation.synth.templates import Template, builtin_templates, cut_to_tokens, estimate_tokens, load_templates

DEFAULT_TIERS = {"high": 0.7, "medium": 0.4, "low": 0.0}
TOPICS_FILE = "topics.json"


class SynthRequests(GlobalStage):
    """Balanced per-topic sampling of source documents and request building (see the module docstring).

    Args:
        templates: built-in template ids or template YAML paths; default: every built-in template.
        rollouts: answers asked for per (document, template), each with its own seed.
        per_topic: documents sampled per topic.
        topic_quotas: per-topic overrides of ``per_topic``, keyed by topic id (as text) or topic name.
        max_documents: at most this many documents over all topics, topics taking turns.
        min_quality: documents scoring below this (``quality_field``) are not sampled.
        quality_field: the metadata field with the quality score.
        quality_tiers: tier name -> minimum score; templates apply to tiers (``applies_to.quality_tiers``).
        skip_low_confidence: leave out documents whose topic is flagged low-confidence.
        topic_field, topic_name_field: where each document's topic and its name are (``topic_cluster``'s
            ``topic_id`` / ``topic_name`` by default; any field works, e.g. ``domain``, whose text values
            are their own names).
        topics_file: ``topics.json`` for keywords; default: the input folder's, when present.
        keywords: keywords per topic given to the prompts.
        seed: the sampling order (a hash of seed and document id).
    """

    name = "📝 synth requests"
    path_params: ClassVar[dict[str, str]] = {"templates": "read", "topics_file": "read"}
    """Template files (built-in ids stay as they are) and the topics file it reads (``curation.recipe.paths``)."""

    def __init__(
        self,
        templates: list[str] | None = None,
        rollouts: int = 1,
        per_topic: int = 10,
        topic_quotas: dict[str, int] | None = None,
        max_documents: int | None = None,
        min_quality: float | None = None,
        quality_field: str = "quality_score",
        quality_tiers: dict[str, float] | None = None,
        skip_low_confidence: bool = True,
        topic_field: str = R.TOPIC_ID,
        topic_name_field: str = R.TOPIC_NAME,
        topics_file: str | None = None,
        keywords: int = 8,
        seed: int = 0,
    ):
        super().__init__()
        if rollouts < 1 or per_topic < 0 or keywords < 0:
            raise ValueError("rollouts must be at least 1, per_topic and keywords at least 0")
        if max_documents is not None and max_documents < 0:
            raise ValueError(f"max_documents must be at least 0, got {max_documents}")
        self.template_refs = list(templates or builtin_templates())
        self.templates: list[Template] = load_templates(self.template_refs)
        self.rollouts = rollouts
        self.per_topic = per_topic
        self.topic_quotas = dict(topic_quotas or {})
        self.max_documents = max_documents
        self.min_quality = min_quality
        self.quality_field = quality_field
        self.tiers = dict(quality_tiers if quality_tiers is not None else DEFAULT_TIERS)
        self.skip_low_confidence = skip_low_confidence
        self.topic_field = topic_field
        self.topic_name_field = topic_name_field
        self.topics_file = topics_file
        self.keyword_count = keywords
        self.seed = seed
        self._input_folder: DataFolder | None = None
        self._topics: dict[int, dict[str, Any]] | None = None

    def bind_run(self, input_folder: DataFolder, output_folder: DataFolder) -> None:
        """Told by the executor where the run reads from: the default ``topics.json`` is there."""
        self._input_folder = input_folder

    # ---- collect -----------------------------------------------------------------------------------------

    def collect(self, data: DocumentsPipeline, context: ShardContext) -> DocumentsPipeline:
        columns: dict[str, list[Any]] = {
            name: []
            for name in (
                "id",
                "topic_id",
                "topic_kind",
                "topic_name",
                "quality",
                "language",
                "tokens",
                "low_confidence",
            )
        }
        for document in data:
            metadata = document.metadata
            columns["id"].append(str(document.id))
            topic, name = self._topic_of(metadata)
            columns["topic_id"].append(None if topic is None else str(topic))
            columns["topic_kind"].append(isinstance(topic, int))
            columns["topic_name"].append(name)
            columns["quality"].append(_number(metadata.get(self.quality_field)))
            language = metadata.get("language")
            columns["language"].append(language if isinstance(language, str) else None)
            tokens = metadata.get("token_count")
            text = document.text if isinstance(document.text, str) else ""
            columns["tokens"].append(tokens if _is_count(tokens) else estimate_tokens(text))
            columns["low_confidence"].append(bool(metadata.get(R.TOPIC_LOW_CONFIDENCE, False)))
            self.stat_update("collected")
            yield document
        storage.save_table(
            context.workdir,
            f"candidates/{context.stem}.parquet",
            {
                "id": pa.array(columns["id"], pa.string()),
                "topic_id": pa.array(columns["topic_id"], pa.string()),
                "topic_is_int": pa.array(columns["topic_kind"], pa.bool_()),
                "topic_name": pa.array(columns["topic_name"], pa.string()),
                "quality": pa.array(columns["quality"], pa.float64()),
                "language": pa.array(columns["language"], pa.string()),
                "tokens": pa.array(columns["tokens"], pa.int64()),
                "low_confidence": pa.array(columns["low_confidence"], pa.bool_()),
            },
        )

    # ---- plan --------------------------------------------------------------------------------------------

    def global_waves(self, workdir: DataFolder, shard_stems: list[str]) -> list[list[GlobalTask]]:
        missing = [stem for stem in shard_stems if not workdir.exists(f"candidates/{stem}.parquet")]
        if missing:
            raise RuntimeError(f"synth_requests: collect did not finish for {len(missing)} shard(s) ({missing[0]!r})")
        return [[GlobalTask("plan", {"stems": sorted(shard_stems)})]]

    def run_global_task(self, task: GlobalTask, workdir: DataFolder) -> None:
        candidates: list[Candidate] = []
        for stem in task.params["stems"]:
            table = storage.load_table(workdir, f"candidates/{stem}.parquet").to_pydict()
            for position in range(len(table["id"])):
                candidates.append(
                    Candidate(
                        stem=stem,
                        position=position,
                        id=table["id"][position],
                        topic_id=_topic_key(table["topic_id"][position], table["topic_is_int"][position]),
                        topic_name=table["topic_name"][position],
                        quality=table["quality"][position],
                        language=table["language"][position],
                        tokens=table["tokens"][position],
                        low_confidence=table["low_confidence"][position],
                    )
                )
        plan = make_plan(
            candidates,
            self.templates,
            per_topic=self.per_topic,
            topic_quotas=self.topic_quotas,
            min_quality=self.min_quality,
            tiers=self.tiers,
            skip_low_confidence=self.skip_low_confidence,
            max_documents=self.max_documents,
            seed=self.seed,
        )
        for stem in task.params["stems"]:
            rows = sorted((c.position, c.id) for c in candidates if c.stem == stem)
            storage.save_table(
                workdir,
                f"plan/{stem}.parquet",
                {
                    "position": pa.array([p for p, _ in rows], pa.int64()),
                    "id": pa.array([i for _, i in rows], pa.string()),
                    "decision": pa.array([plan.decisions[(stem, p)] for p, _ in rows], pa.string()),
                },
            )
        storage.save_json(workdir, "plan/_summary.json", plan.summary())

    # ---- apply -------------------------------------------------------------------------------------------

    def apply(self, data: DocumentsPipeline, context: ShardContext) -> DocumentsPipeline:
        if not context.workdir.exists("plan/_summary.json"):
            raise RuntimeError("synth_requests: no plan in the work folder; run the recipe again to finish it")
        table = storage.load_table(context.workdir, f"plan/{context.stem}.parquet").to_pydict()
        topics = self._topic_table()
        position = -1
        for position, document in enumerate(data):
            if position >= len(table["id"]) or table["id"][position] != str(document.id):
                raise RuntimeError(f"synth_requests: shard {context.stem!r} changed between collect and apply")
            decision = table["decision"][position]
            if decision:
                self.stat_update(f"dropped_{decision}")
                continue
            self.stat_update("sources_selected")
            yield from self.requests_for(document, topics)
        if position + 1 != len(table["id"]):
            raise RuntimeError(f"synth_requests: shard {context.stem!r} had {len(table['id'])} documents at collect")

    def requests_for(self, document: Document, topics: dict[int, dict[str, Any]]) -> list[Document]:
        """The request documents for one selected source document."""
        metadata = document.metadata
        topic_id, topic_name = self._topic_of(metadata)
        known = topics.get(topic_id, {}) if isinstance(topic_id, int) else {}
        topic_name = topic_name or known.get("name")
        topic = {
            "id": topic_id,
            "name": topic_name or f"topic {topic_id}",
            "keywords": list(known.get("keywords", []))[: self.keyword_count],
        }
        quality = _number(metadata.get(self.quality_field))
        tier = quality_tier(quality, self.tiers)
        language = metadata.get("language") if isinstance(metadata.get("language"), str) else None
        tokens = metadata.get("token_count")
        tokens = tokens if _is_count(tokens) else estimate_tokens(document.text)
        candidate = Candidate("", 0, str(document.id), topic_id, topic_name, quality, language, tokens, False)

        requests = []
        for template in applicable_templates(candidate, tier, self.templates):
            text, truncated = cut_to_tokens(document.text, template.input_tokens.max)
            view = {
                "text": text,
                "id": str(document.id),
                "language": language,
                "quality_score": quality,
                "quality_tier": tier,
            }
            for rollout in range(self.rollouts):
                messages = template.render(view, topic, rollout)
                requests.append(
                    Document(
                        text=text,
                        id=R.request_id(str(document.id), template.id, template.version_tag, rollout),
                        metadata={
                            R.SOURCE_ID: str(document.id),
                            R.TOPIC_ID: topic_id,
                            R.TOPIC_NAME: topic["name"],
                            R.TEMPLATE_ID: template.id,
                            R.TEMPLATE_VERSION: template.version_tag,
                            R.ROLLOUT: rollout,
                            R.MESSAGES: orjson.dumps(list(messages)).decode(),
                            R.PREFILL: template.response_prefix,
                            R.EXPECT: orjson.dumps(template.expectations()).decode(),
                            R.SOURCE_LANGUAGE: language,
                            R.SOURCE_QUALITY: quality,
                            R.SOURCE_TIER: tier,
                            R.SOURCE_TRUNCATED: truncated,
                        },
                    )
                )
        self.stat_update("requests", value=len(requests))
        return requests

    def _topic_of(self, metadata: dict[str, Any]) -> tuple[int | str | None, str | None]:
        """A document's topic (an integer id, or a text group such as a domain) and its name."""
        value = metadata.get(self.topic_field)
        topic = _integer(value)
        if topic is None and isinstance(value, str) and value.strip():
            topic = value.strip()
        name = metadata.get(self.topic_name_field)
        if not isinstance(name, str) or not name:
            name = topic if isinstance(topic, str) else None
        return topic, name

    def _topic_table(self) -> dict[int, dict[str, Any]]:
        """Topic id -> {name, keywords} from ``topics.json`` (empty when there is none)."""
        if self._topics is not None:
            return self._topics
        folder, name = None, TOPICS_FILE
        if self.topics_file:
            head, _, name = self.topics_file.rpartition("/")
            folder = get_datafolder(head or ".")
            if not folder.exists(name):
                raise FileNotFoundError(f"synth_requests: topics_file {self.topics_file!r} does not exist")
        elif self._input_folder is not None and self._input_folder.exists(TOPICS_FILE):
            folder = self._input_folder
        self._topics = {}
        if folder is not None:
            with folder.open(name, "rb") as handle:
                report = orjson.loads(handle.read())
            for topic in report.get("topics", []):
                if isinstance(topic, dict) and _integer(topic.get("id")) is not None:
                    self._topics[int(topic["id"])] = {"name": topic.get("name"), "keywords": topic.get("keywords", [])}
        return self._topics

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_topics"] = None
        return state


def _integer(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


def _topic_key(text: str | None, is_int: bool) -> int | str | None:
    if text is None:
        return None
    return int(text) if is_int else text


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return None if math.isnan(value) else float(value)


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0
