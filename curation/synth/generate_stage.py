"""``synth_generate``: send each request through the request cache and a backend; answers become rows.

Every request ends as exactly one of: answered (a row goes on, with its provenance), failed (dropped as
``request_failed_<reason>``: ``rate_limited``, ``server_error``, ``timeout``, ``connection_error``,
``malformed_response``, ``http_<status>``...) or skipped (dropped as ``request_skipped_over_budget`` once the
cache's ``max_requests`` budget is spent). So the stage's row in the summary is the request ledger:
requests planned (in) = answered (out) + failed + skipped, by reason.

The cache is ``synth_cache.sqlite`` in the output folder unless ``cache`` names another file (it must be
local: SQLite). It survives ``--force`` and is keyed on payloads, so rerunning, resuming after a kill, or
re-filtering with other thresholds sends nothing that was already answered. Sampling parameters are sent
explicitly on every request; each request's seed is derived from ``seed`` and its identity (source,
template, version, rollout), so rollouts differ from each other and every rerun asks the same thing.
"""

from __future__ import annotations

from typing import Any, ClassVar

import orjson
from datatrove.data import Document, DocumentsPipeline
from datatrove.io import DataFolder
from datatrove.pipeline.base import PipelineStep

from curation.synth import records as R
from curation.synth.backends import LOCAL_BACKEND_KINDS, check_backend_spec, make_backend
from curation.synth.backends.base import Backend, ChatRequest, Completion, SamplingParams, payload_hash
from curation.synth.cache import RequestCache, RequestKey
from curation.synth.dispatch import ANSWERED, Dispatcher, Job

CACHE_FILE = "synth_cache.sqlite"
NOT_A_REQUEST = "not_a_request"


class SynthGenerate(PipelineStep):
    """Answer requests with an LLM backend, through the request cache (see the module docstring).

    Args:
        backend: ``{kind: openai | transformers | vllm, ...options}`` (see ``curation.synth.backends``).
        temperature, top_p: sampling, sent on every request.
        seed: the base of every request's seed.
        max_tokens: cap on completion tokens; default: each template's ``output_tokens.max``.
        cache: the SQLite cache file; default ``synth_cache.sqlite`` in the output folder.
        max_requests: a budget: requests this cache file may ever send (later ones are skipped).
        retry_failed: on a rerun, send again requests that failed before (rate limits pass, servers recover).
        window: requests settled concurrently per worker (the backend bounds what is really in flight).
    """

    name = "🤖 synth generate"
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
        temperature: float = 0.7,
        top_p: float = 0.95,
        seed: int = 0,
        max_tokens: int | None = None,
        cache: str | None = None,
        max_requests: int | None = None,
        retry_failed: bool = True,
        window: int = 512,
    ):
        super().__init__()
        check_backend_spec(backend)
        SamplingParams(temperature=temperature, top_p=top_p, max_tokens=max_tokens or 1, seed=seed)
        self.backend_spec = dict(backend)
        self.temperature = temperature
        self.top_p = top_p
        self.seed = seed
        self.max_tokens = max_tokens
        self.cache_path = cache
        self.max_requests = max_requests
        self.retry_failed = retry_failed
        self.window = window
        self.backend: Backend = make_backend(self.backend_spec)
        self._dispatcher: Dispatcher | None = None

    def bind_run(self, input_folder: DataFolder, output_folder: DataFolder) -> None:
        """Told by the executor where the run writes: the default cache file goes there."""
        if self.cache_path is None:
            protocol = output_folder.fs.protocol
            local = "file" in (protocol if isinstance(protocol, (tuple, list)) else (protocol,))
            if not local:
                raise ValueError(
                    f"synth_generate: the output {output_folder.path!r} is not on a local disk; give `cache:` a "
                    "local path for the SQLite request cache"
                )
            self.cache_path = output_folder._join(CACHE_FILE)

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_dispatcher"] = None
        return state

    def dispatcher(self) -> Dispatcher:
        if self._dispatcher is None:
            if not self.cache_path:
                raise ValueError("synth_generate needs `cache:` (a SQLite file path) outside `curate run`")
            cache = RequestCache(self.cache_path, max_sends=self.max_requests)
            self._dispatcher = Dispatcher(self.backend, cache, window=self.window, retry_failed=self.retry_failed)
        return self._dispatcher

    def job_for(self, document: Document) -> Job | None:
        """The request a request document stands for, with its cache key; None for other documents."""
        metadata = document.metadata
        messages = metadata.get(R.MESSAGES)
        if not isinstance(messages, str):
            return None
        expect = orjson.loads(metadata.get(R.EXPECT) or "{}")
        source_id = str(metadata.get(R.SOURCE_ID))
        template_id = str(metadata.get(R.TEMPLATE_ID))
        version = str(metadata.get(R.TEMPLATE_VERSION))
        rollout = int(metadata.get(R.ROLLOUT) or 0)
        sampling = SamplingParams(
            temperature=self.temperature,
            top_p=self.top_p,
            max_tokens=self.max_tokens or int(expect.get("max_tokens") or 512),
            seed=R.derive_seed(self.seed, source_id, template_id, version, rollout),
        )
        request = ChatRequest(tuple(orjson.loads(messages)), sampling, str(metadata.get(R.PREFILL) or ""))
        key = RequestKey(source_id, template_id, version, rollout, payload_hash(self.backend.payload(request)))
        return Job(key, request)

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        dispatcher = self.dispatcher()

        def jobs():
            for document in data:
                job = self.job_for(document)
                if job is None:
                    self.stat_update(f"dropped_{NOT_A_REQUEST}")
                    continue
                yield (document, job), job

        try:
            for (document, job), outcome in dispatcher.map(jobs()):
                if outcome.status != ANSWERED:
                    self.stat_update(f"dropped_request_{outcome.status}_{outcome.reason}")
                    continue
                assert outcome.completion is not None
                self.stat_update("answered_from_cache" if outcome.from_cache else "answered_now")
                yield self.response_document(document, job, outcome.completion)
        finally:  # per shard: no connection, thread or SQLite handle outlives it (a loaded model does)
            self._dispatcher = None
            dispatcher.close(close_cache=True)

    def _sampling_extra(self, request: ChatRequest) -> str:
        """What the payload carries beyond the model, the messages and the four sampling parameters (JSON)."""
        payload = self.backend.payload(request)
        standard = {"model", "messages", *request.sampling.to_dict()}
        return orjson.dumps(
            {k: v for k, v in payload.items() if k not in standard}, option=orjson.OPT_SORT_KEYS
        ).decode()

    def response_document(self, request: Document, job: Job, completion: Completion) -> Document:
        """The row made from an answer: the answer as text, the source and provenance in metadata."""
        sampling = job.request.sampling
        metadata = {k: v for k, v in request.metadata.items() if k not in (R.MESSAGES, R.PREFILL)}
        metadata.update(
            {
                R.SOURCE_TEXT: request.text,
                R.BACKEND: self.backend.kind,
                R.MODEL: self.backend.model,
                R.TEMPERATURE: sampling.temperature,
                R.TOP_P: sampling.top_p,
                R.MAX_TOKENS: sampling.max_tokens,
                R.SEED: sampling.seed,
                R.SAMPLING_EXTRA: self._sampling_extra(job.request),
                R.FINISH_REASON: completion.finish_reason,
                R.PROMPT_TOKENS: completion.prompt_tokens,
                R.COMPLETION_TOKENS: completion.completion_tokens,
            }
        )
        if completion.completion_tokens is not None:
            metadata["token_count"] = completion.completion_tokens
            self.stat_update("completion_tokens", value=completion.completion_tokens)
        if completion.prompt_tokens is not None:
            self.stat_update("prompt_tokens", value=completion.prompt_tokens)
        return Document(text=completion.text, id=request.id, metadata=metadata)
