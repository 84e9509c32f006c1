"""Synthetic rewriting and LLM annotation: topic-driven requests to a larger model, many answers, strict
filters, and a request cache that makes every run resumable without sending anything twice.

- ``backends``: one interface (``Backend.complete``) over OpenAI-compatible HTTP, local transformers
  generation and vLLM's offline engine;
- ``templates``: prompt templates as YAML + Jinja2 data (id, version, bounds, response prefix, format);
- ``cache`` / ``dispatch``: the SQLite request cache and the loop that keeps requests in flight through it;
- ``planning`` / ``request_stage``: balanced per-topic sampling, requests = template x document x rollout;
- ``generate_stage``: requests -> answers with provenance; ``filters``, ``near_dedup``: the filter chain;
- ``annotate``: LLM rubric scores -> a labels file for ``curate train``; ``naming``: an LLM topic namer;
- ``server``: a small OpenAI-compatible server over a local model (tests, demos, benchmarks);
- ``report``: the yield of each filter step and the request ledger of a run.

See ``docs/synth.md``. This ``__init__`` imports nothing heavy.
"""

STAGES = {
    "synth_requests": "curation.synth.request_stage:SynthRequests",
    "synth_generate": "curation.synth.generate_stage:SynthGenerate",
    "synth_format": "curation.synth.filters:ResponseFormatFilter",
    "synth_length": "curation.synth.filters:LengthFilter",
    "synth_refusal": "curation.synth.filters:RefusalFilter",
    "synth_language": "curation.synth.filters:SameLanguageFilter",
    "synth_faithfulness": "curation.synth.filters:FaithfulnessFilter",
    "synth_near_dedup": "curation.synth.near_dedup:SynthNearDuplicates",
    "llm_annotate": "curation.synth.annotate:LLMAnnotate",
}
"""Recipe names of this area's stages (``module:Class``, imported lazily by the registry)."""
