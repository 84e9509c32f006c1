"""Everything a run's output folder records, gathered once for the HTML report (``curation.report.html``).

Read, all bounded in size whatever the number of documents:

- ``summary.json`` and every shard's completion marker of the summary's recipe (so a resumed run is covered
  as a whole), with the shards' observations merged (``curation.report.observe``);
- the first records per reason of ``_quarantine/*.jsonl``;
- the dedup stages' lists of removed duplicates (``removed/*.jsonl`` in each global stage's work folder):
  duplicate-cluster sizes;
- ``topics.json`` (topic clustering), ``mixture.json`` (``curate mix``), results of ``curate check --json``
  (any top-level ``*.json`` of that shape, or files given), a synthetic run's request cache;
- a seeded sample of output rows (``curation.report.output_sample``).
"""

from __future__ import annotations

import contextlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import orjson
from datatrove.io import DataFolder, get_datafolder

from curation.io.layout import MARKERS_DIR, QUARANTINE_DIR, SUMMARY_FILE, WORK_DIR, OutputLayout
from curation.report.observe import merge_observations
from curation.report.output_sample import DEFAULT_SAMPLE_SIZE, DEFAULT_SEED, output_files, sample_output

TOPICS_FILE = "topics.json"
MIXTURE_FILE = "mixture.json"
SYNTH_CACHE_FILE = "synth_cache.sqlite"
QUARANTINE_EXAMPLES = 3
QUARANTINE_LINES_READ = 5_000
GENERATION_STAGES = ("synth_generate", "llm_annotate")


class ReportInputError(ValueError):
    """The folder holds nothing a report can show (no summary, markers, mixture or check results)."""


@dataclass
class RunRecord:
    """What one output folder records; every field is optional except ``path``."""

    path: str
    summary: dict[str, Any] | None = None
    shards: int = 0
    observations: dict[str, Any] = field(default_factory=dict)
    quarantine_examples: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    duplicate_clusters: dict[str, dict[int, int]] = field(default_factory=dict)
    """Per dedup stage: cluster size (documents, the kept one included) -> number of clusters."""
    topics: dict[str, Any] | None = None
    mixture: dict[str, Any] | None = None
    checks: list[dict[str, Any]] = field(default_factory=list)
    synth_ledger: dict[str, int] | None = None
    sample: list[dict[str, Any]] = field(default_factory=list)
    sample_size: int = DEFAULT_SAMPLE_SIZE
    sample_seed: int = DEFAULT_SEED

    @property
    def name(self) -> str:
        if self.summary:
            return str(self.summary["recipe"]["name"])
        if self.mixture:
            return str(self.mixture.get("name", "mixture"))
        return self.path.rstrip("/").rsplit("/", 1)[-1]


def read_run_record(
    path: str,
    *,
    check_files: list[str] | tuple[str, ...] = (),
    sample_size: int = DEFAULT_SAMPLE_SIZE,
    seed: int = DEFAULT_SEED,
    storage_options: dict[str, Any] | None = None,
) -> RunRecord:
    """Gather the record of the output folder ``path`` (local or fsspec URL).

    Raises ``ReportInputError`` when the folder does not exist or holds nothing to report.
    """
    folder = get_datafolder((path, storage_options or {}))
    if not folder.isdir(""):
        raise ReportInputError(f"{path!r} is not a folder: give the output folder of `curate run` or `curate mix`")
    record = RunRecord(path=path, sample_size=sample_size, sample_seed=seed)
    record.summary = _read_json(folder, SUMMARY_FILE)
    results = _shard_results(folder, record.summary)
    record.shards = len(results)
    record.observations = merge_observations(result.get("observations") for result in results)
    record.quarantine_examples = _quarantine_examples(folder)
    record.duplicate_clusters = _duplicate_clusters(folder, record.summary)
    record.topics = _read_json(folder, TOPICS_FILE)
    record.mixture = _read_json(folder, MIXTURE_FILE)
    record.checks = [check for check in _top_level_checks(folder) if check]
    for check_file in check_files:
        record.checks.append(_read_check_file(check_file))
    record.synth_ledger = _synth_ledger(folder, record.summary)
    if record.summary is None and not results and record.mixture is None and not record.checks:
        raise ReportInputError(
            f"{path!r} holds no summary.json, completion markers, mixture.json or check results: give the output "
            "folder of `curate run` or `curate mix`"
        )
    files = dict(record.summary["outputs"]) if record.summary else output_files(folder)
    unknown = [path for path, rows in files.items() if rows < 0]  # a datatrove writer's files: count them
    if unknown:
        counted = output_files(folder)
        files.update({path: counted.get(path, 0) for path in unknown})
    record.sample = sample_output(folder, files, size=sample_size, seed=seed, score_columns=_score_fields(record))
    return record


def _score_fields(record: RunRecord) -> list[str]:
    """Score columns worth a per-domain histogram: thresholded scores the run's stages recorded."""
    fields = []
    for stage in record.observations.get("stages", []):
        for metric in stage.get("metrics", []):
            if metric["field"].endswith("score") and metric["field"] not in ("language_score",):
                fields.append(metric["field"])
    return list(dict.fromkeys(fields or ["quality_score"]))


def _read_json(folder: DataFolder, path: str) -> dict[str, Any] | None:
    if not folder.isfile(path):
        return None
    with folder.open(path, "rb") as handle:
        try:
            data = orjson.loads(handle.read())
        except orjson.JSONDecodeError:
            return None
    return data if isinstance(data, dict) else None


def _shard_results(folder: DataFolder, summary: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Results of the shards the summary covers (same recipe fingerprint), in stem order."""
    if not folder.isdir(MARKERS_DIR):
        return []
    layout = OutputLayout(folder)
    fingerprint = summary["recipe"]["fingerprint"] if summary else None
    results = []
    for stem in sorted(layout.completed_stems()):
        marker = layout.read_marker(stem)
        if marker is None or (fingerprint and marker.get("recipe_fingerprint") != fingerprint):
            continue
        if isinstance(marker.get("result"), dict):  # markers of `curate mix` hold other things
            results.append(marker["result"])
    return results


def _quarantine_examples(folder: DataFolder) -> dict[str, list[dict[str, Any]]]:
    examples: dict[str, list[dict[str, Any]]] = {}
    if not folder.isdir(QUARANTINE_DIR):
        return examples
    read = 0
    for path in sorted(folder.find(QUARANTINE_DIR)):
        if not path.endswith(".jsonl"):
            continue
        with folder.open(path, "rb") as handle:
            for line in handle:
                read += 1
                if read > QUARANTINE_LINES_READ:
                    return examples
                with contextlib.suppress(orjson.JSONDecodeError):
                    entry = orjson.loads(line)
                    kept = examples.setdefault(str(entry.get("reason")), [])
                    if len(kept) < QUARANTINE_EXAMPLES:
                        kept.append(
                            {
                                "source_file": str(entry.get("source_file", ""))[-160:],
                                "line": entry.get("line"),
                                "byte_offset": entry.get("byte_offset"),
                                "detail": str(entry.get("detail", ""))[:300],
                                "snippet": str(entry.get("snippet", ""))[:400],
                            }
                        )
    return examples


def _duplicate_clusters(folder: DataFolder, summary: dict[str, Any] | None) -> dict[str, dict[int, int]]:
    """Per dedup stage, how many duplicate clusters have each size, from its lists of removed documents."""
    places: dict[str, DataFolder] = {}
    for name, stage in ((summary or {}).get("global_stages") or {}).items():
        workdir = stage.get("workdir")
        if workdir:
            with contextlib.suppress(Exception):
                places[name] = get_datafolder(workdir)
    if not places and folder.isdir(f"{WORK_DIR}/stages"):
        for entry in sorted(folder.ls(f"{WORK_DIR}/stages", detail=False)):
            slug = entry.rstrip("/").rsplit("/", 1)[-1]
            places[slug.split("-", 1)[-1]] = get_datafolder(folder.resolve_paths(f"{WORK_DIR}/stages/{slug}"))
    clusters: dict[str, dict[int, int]] = {}
    for name, workdir in places.items():
        if not workdir.isdir("removed"):
            continue
        members: Counter[str] = Counter()
        for path in sorted(workdir.find("removed")):
            if not path.endswith(".jsonl"):
                continue
            with workdir.open(path, "rb") as handle:
                for line in handle:
                    with contextlib.suppress(orjson.JSONDecodeError):
                        entry = orjson.loads(line)
                        members[str(entry.get("cluster") or entry.get("duplicate_of") or entry.get("id"))] += 1
        sizes = Counter(count + 1 for count in members.values())
        clusters[name] = dict(sorted(sizes.items()))
    return clusters


def _is_check_result(data: Any) -> bool:
    return isinstance(data, dict) and isinstance(data.get("results"), list) and "exit_code" in data


def _top_level_checks(folder: DataFolder) -> list[dict[str, Any]]:
    found = []
    for entry in sorted(folder.ls("", detail=False)):
        name = entry.rstrip("/").rsplit("/", 1)[-1]
        if not name.endswith(".json") or name in (SUMMARY_FILE, TOPICS_FILE, MIXTURE_FILE):
            continue
        data = _read_json(folder, name)
        if _is_check_result(data):
            found.append(data)
    return found


def _read_check_file(path: str) -> dict[str, Any]:
    try:
        with open(path, "rb") as handle:
            data = orjson.loads(handle.read())
    except (OSError, orjson.JSONDecodeError) as error:
        raise ReportInputError(f"check results {path!r} cannot be read: {error}") from None
    if not _is_check_result(data):
        raise ReportInputError(f"{path!r} is not the JSON that `curate check --json FILE` writes")
    return data


def _synth_ledger(folder: DataFolder, summary: dict[str, Any] | None) -> dict[str, int] | None:
    """The request cache's counts of a synthetic run (answered, failed, pending, sends), when it has one."""
    if not summary or not any(s["name"] in GENERATION_STAGES for s in summary["totals"]["stages"]):
        return None
    if not folder.isfile(SYNTH_CACHE_FILE):
        return None
    try:
        from curation.synth.report import request_ledger
    except ImportError:
        return None
    with contextlib.suppress(Exception):
        return request_ledger(folder.resolve_paths(SYNTH_CACHE_FILE))
    return None


def synth_yield(summary: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Rows (step, in, out, kept share, share of answers, reasons) from the generation stage on; [] without."""
    if not summary:
        return []
    stages = [s for s in summary["totals"]["stages"] if not s["name"].endswith("(collect)") and s["name"] != "write"]
    start = next((i for i, s in enumerate(stages) if s["name"] in GENERATION_STAGES), None)
    if start is None:
        return []
    answers = stages[start]["out"]
    return [
        {
            "step": stage["name"],
            "in": stage["in"],
            "out": stage["out"],
            "kept": stage["out"] / stage["in"] if stage["in"] else None,
            "of_answers": stage["out"] / answers if answers else None,
            "dropped": dict(sorted(stage["dropped"].items(), key=lambda item: -item[1])),
        }
        for stage in stages[start:]
    ]
