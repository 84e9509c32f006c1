"""``curate mix``: scan the inputs, plan, write each stage's shards, commit, and write the manifest.

Order of work, and what a failure at each point leaves behind:

1. scan every input shard (metadata columns only; jobs on the executor) -> nothing written;
2. check the inputs (unknown columns, documents claimed by two sources, missing token counts) and plan
   every stage; any problem, including an infeasible target, stops here -> nothing written;
3. claim the output folder (``_work/mix-plan.json`` records the plan's fingerprint), then write one file
   per (stage, input shard), each committed with a marker; a kill loses at most the files in flight;
4. when every file is committed, write ``mixture.json``.

Rerunning the same command after a kill recomputes the same plan (same seed, same inputs), skips committed
files and writes the rest, so the output is byte for byte that of an uninterrupted run. A different plan
(the mixture or the inputs changed) over an existing output is refused unless ``force``.
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import orjson
from datatrove.io import DataFolder, get_datafolder

from curation.io.layout import MARKERS_DIR, STAGING_DIR, OutputLayout
from curation.io.locations import absolute_location
from curation.io.shards import ShardDiscoveryError
from curation.mix.execution import MixRunner, Outcome
from curation.mix.inputs import InputReadError, InputShard, discover_input_shards
from curation.mix.locations import located_mixture, located_scan_spec, worker_requirements
from curation.mix.manifest import MANIFEST_FILE, build_manifest
from curation.mix.model import Mixture
from curation.mix.plan import CandidatePool, MixPlan, Planner
from curation.mix.scan import CONTAMINATION_COUNT, ScanError, ScanJob, ShardScan
from curation.mix.token_cache import tokenizer_identity
from curation.mix.write import WriteJob, WriteSettings
from curation.report.progress import ProgressReporter, progress_for

PLAN_STATE = "_work/mix-plan.json"
PLAN_ALGORITHM = 1
"""Bumped whenever planning or sampling changes, so an old partial output is never resumed by a new plan."""
EXIT_OK = 0
EXIT_FAILED_JOBS = 1


class MixInputError(ValueError):
    """The inputs cannot serve the mixture as written (each problem names the file and what to change)."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(
            "the inputs cannot serve this mixture; nothing was written\n" + "\n".join(f"  {p}" for p in problems)
        )


class MixOutputError(ValueError):
    """The output folder holds something this run must not overwrite."""


@dataclass
class MixReport:
    """What a run did: the manifest (also in ``mixture.json``), failures, and time per phase."""

    manifest: dict[str, Any]
    output: str | None
    failures: list[str] = field(default_factory=list)
    jobs_total: int = 0
    jobs_skipped: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    documents_scanned: int = 0
    candidates: int = 0
    pool_bytes: int = 0
    written: bool = True

    @property
    def exit_code(self) -> int:
        return EXIT_FAILED_JOBS if self.failures else EXIT_OK

    @property
    def ok(self) -> bool:
        return not self.failures


def run_mixture(
    mixture: Mixture,
    output_path: str | None,
    *,
    executor: str = "local",
    workers: int | None = None,
    scheduler: str | None = None,
    force: bool = False,
    dry_run: bool = False,
    progress: str | ProgressReporter = "auto",
    storage_options: dict[str, Any] | None = None,
) -> MixReport:
    """Build the mixture into ``output_path`` (or, with ``dry_run``, only plan it and write nothing)."""
    from curation.executors.runner import exit_if_spawn_bootstrap

    exit_if_spawn_bootstrap()  # a worker process re-running a script that has no ``__main__`` guard
    if output_path is None and not dry_run:
        raise MixOutputError("no output directory: pass --output")
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    located = located_mixture(mixture)
    output_location = absolute_location(output_path) if output_path else None
    try:
        shards = discover_input_shards(located, output_location)
    except (ShardDiscoveryError, InputReadError) as error:
        raise MixInputError([str(error)]) from error
    reporter = progress_for(progress) if isinstance(progress, str) else progress
    requirements = None
    if executor == "dask" and scheduler:
        output_checked = None if dry_run else output_location
        requirements = worker_requirements(located, shards, output_checked, dict(storage_options or {}))
    runner = MixRunner(executor, workers=workers, scheduler=scheduler, progress=reporter, requirements=requirements)
    try:
        spec = located_scan_spec(mixture, located)
        outcomes = runner.map(
            "scan",
            [ScanJob(spec, shard) for shard in shards],
            documents=lambda scan: scan.documents,
            expected=(ScanError,),
        )
        scans = _scans_or_raise(outcomes, shards)
        seconds["scan"] = time.perf_counter() - started
        _check_inputs(mixture, shards, scans)
        summary = _input_summary(mixture, shards, scans)
        tokens = _token_summary(mixture, scans)
        contamination = _decontamination_summary(mixture, scans)
        excluded: Counter = Counter()
        for scan in scans:
            excluded.update(scan.excluded)
        documents_scanned = sum(scan.documents for scan in scans)
        planning = time.perf_counter()
        pool = CandidatePool.from_scans(scans, len(mixture.sources))
        plan = Planner(mixture, pool, dict(excluded)).plan()
        fingerprint = plan_fingerprint(mixture, shards, scans)
        settings = WriteSettings(
            output_path=output_location or "",
            format=mixture.output.format,
            codec=mixture.output.codec,
            row_group_rows=mixture.output.row_group_rows,
            plan=fingerprint,
            token_column=mixture.tokens.column,
            replace_tokens=mixture.tokens.tokenizer is not None,
            storage_options=dict(storage_options or {}),
        )
        jobs = write_jobs(mixture, plan, pool, shards, scans, settings)
        seconds["plan"] = time.perf_counter() - planning
        files = _files(jobs, settings)
        manifest = build_manifest(
            mixture,
            plan,
            plan_fingerprint=fingerprint,
            inputs=summary,
            tokens=tokens,
            decontamination=contamination,
            files=files,
        )
        report = MixReport(
            manifest,
            output_path,
            jobs_total=len(jobs),
            documents_scanned=documents_scanned,
            candidates=len(pool),
            pool_bytes=pool.nbytes,
            seconds=seconds,
            written=not dry_run,
        )
        del pool
        if dry_run:
            seconds["total"] = time.perf_counter() - started
            return report
        writing = time.perf_counter()
        folder = get_datafolder((output_path, settings.storage_options))
        layout = _claim_output(folder, fingerprint, [stage.name for stage in mixture.stages], force)
        completed = _completed(layout, fingerprint)
        todo = [job for job in jobs if job.stem not in completed]
        report.jobs_skipped = len(jobs) - len(todo)
        outcomes = runner.map("write", todo, already_done=report.jobs_skipped, documents=lambda m: m["documents"])
        report.failures = [f"{o.key}: {o.error}" for o in outcomes if not o.ok]
        seconds["write"] = time.perf_counter() - writing
        if not report.failures:
            missing = [job.stem for job in jobs if job.stem not in _completed(layout, fingerprint)]
            if missing:
                report.failures = [f"{stem}: no completion marker after the run" for stem in missing]
            else:
                layout.write_json_atomically(MANIFEST_FILE, manifest)
                layout.discard_all_staging()
        layout.remove_empty_staging()
    finally:
        runner.close()
    seconds["total"] = time.perf_counter() - started
    return report


def plan_fingerprint(mixture: Mixture, shards: list[InputShard], scans: list[ShardScan]) -> str:
    """What the plan depends on: the mixture, every input shard's content, the tokenizer, the algorithm."""
    digest = hashlib.sha256()
    digest.update(f"algorithm {PLAN_ALGORITHM}\n".encode())
    digest.update(mixture.canonical_json())
    if mixture.tokens.tokenizer is not None:
        digest.update(tokenizer_identity(mixture.tokens.tokenizer).encode())
    for shard, scan in zip(shards, scans, strict=True):
        digest.update(f"\n{shard.input_name}\t{shard.path}\t{scan.fingerprint}".encode())
    for spec in {
        s.require.decontaminate.key(): s.require.decontaminate for s in mixture.stages if s.require.decontaminate
    }.values():
        for path in spec.paths:
            digest.update(f"\n{path}\t{file_sha256(path)}".encode())
    return digest.hexdigest()[:32]


def write_jobs(
    mixture: Mixture,
    plan: MixPlan,
    pool: CandidatePool,
    shards: list[InputShard],
    scans: list[ShardScan],
    settings: WriteSettings,
) -> list[WriteJob]:
    """One job per (stage, input shard with chosen documents); rows in a seeded order within each file."""
    from curation.mix.plan import unit_seed

    names = tuple(mixture.sources)
    jobs: list[WriteJob] = []
    for stage in plan.stages:
        if not len(stage.positions):
            continue
        unit_source = np.asarray([names.index(unit.source) for unit in stage.units], dtype=np.int16)
        shuffled = unit_seed(mixture.seed, "order", stage.name).permutation(len(stage.positions))
        shard_of = pool.shard[stage.positions[shuffled]]
        if len(shards) < 2**16:
            shard_of = shard_of.astype(np.uint16)  # a stable sort of 16-bit keys is a radix sort
        order = shuffled[np.argsort(shard_of, kind="stable")]
        positions = stage.positions[order]
        shard_of = pool.shard[positions]
        boundaries = np.flatnonzero(np.diff(shard_of)) + 1
        for group in np.split(np.arange(len(order)), boundaries):
            shard_index = int(shard_of[group[0]])
            chosen = positions[group]
            jobs.append(
                WriteJob(
                    settings=settings,
                    stage=stage.name,
                    shard=shards[shard_index],
                    shard_fingerprint=scans[shard_index].fingerprint,
                    rows=pool.row[chosen],
                    sources=unit_source[stage.unit_of[order[group]]],
                    source_names=names,
                    repetitions=stage.repetitions[order[group]],
                    tokens=pool.tokens[chosen],
                )
            )
    return jobs


def file_sha256(path: str) -> str:
    import fsspec

    digest = hashlib.sha256()
    with fsspec.open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _scans_or_raise(outcomes: list[Outcome], shards: list[InputShard]) -> list[ShardScan]:
    errors = [
        o.error if o.expected else f"{shards[i].label}: scan failed:\n{o.error}"
        for i, o in enumerate(outcomes)
        if not o.ok
    ]
    if errors:
        raise MixInputError(errors)
    return [outcome.value for outcome in outcomes]


def _check_inputs(mixture: Mixture, shards: list[InputShard], scans: list[ShardScan]) -> None:
    """Problems that make any plan meaningless: they are reported together, before planning."""
    problems: list[str] = []
    names = list(mixture.sources)
    columns_by_input: dict[str, set[str]] = {}
    for shard, scan in zip(shards, scans, strict=True):
        columns_by_input.setdefault(shard.input_name, set()).update(scan.columns)
    for name, spec in mixture.sources.items():
        seen = set().union(*(columns_by_input.get(i, set()) for i in mixture.source_inputs(name)))
        for part in ("include", "exclude"):
            selection = getattr(spec, part)
            wanted = set(selection.columns)
            if selection.quality is not None or selection.quality_tier:
                wanted.add(mixture.columns.quality)
            for column in sorted(wanted - seen):
                if not any(isinstance(v, bool) for v in selection.columns.get(column, ())):
                    problems.append(
                        f"sources.{name}.{part}: no shard of {', '.join(mixture.source_inputs(name))} has a column "
                        f"{column!r}; columns: {', '.join(sorted(seen)) or '(none)'}"
                    )
    overlaps: dict[tuple[int, int], list] = {}
    missing: dict[int, list] = {}
    for shard, scan in zip(shards, scans, strict=True):
        for pair, (count, row) in scan.overlaps.items():
            entry = overlaps.setdefault(pair, [0, f"{shard.label} row {row}"])
            entry[0] += count
        for code, (count, row) in scan.missing_tokens.items():
            entry = missing.setdefault(code, [0, f"{shard.label} row {row}"])
            entry[0] += count
    for (a, b), (count, example) in sorted(overlaps.items()):
        problems.append(
            f"sources {names[a]} and {names[b]} both select {count:,} documents (e.g. {example}); a document may "
            "belong to one source only: narrow one of them with exclude"
        )
    for code, (count, example) in sorted(missing.items()):
        where = f"column {mixture.tokens.column!r}" if mixture.tokens.tokenizer is None else "the tokenizer's counts"
        problems.append(
            f"source {names[code]}: {count:,} documents have no usable token count in {where} (e.g. {example}); "
            "run domain_classify (which counts tokens), or name a tokenizer: tokens: {tokenizer: ...}"
        )
    if problems:
        raise MixInputError(problems)


def _input_summary(mixture: Mixture, shards: list[InputShard], scans: list[ShardScan]) -> dict[str, Any]:
    summary: dict[str, Any] = {
        name: {"path": spec.path, "documents": 0, "quarantined": 0, "shards": []}
        for name, spec in mixture.inputs.items()
    }
    for shard, scan in zip(shards, scans, strict=True):
        entry = summary[shard.input_name]
        entry["documents"] += scan.documents
        entry["quarantined"] += scan.quarantined
        entry["shards"].append({"path": shard.path, "documents": scan.documents, "fingerprint": scan.fingerprint})
    return summary


def _token_summary(mixture: Mixture, scans: list[ShardScan]) -> dict[str, Any]:
    if mixture.tokens.tokenizer is None:
        return {"from": "column", "column": mixture.tokens.column}
    how = Counter(scan.token_counts for scan in scans)
    return {
        "from": "tokenizer",
        "tokenizer": mixture.tokens.tokenizer,
        "identity": tokenizer_identity(mixture.tokens.tokenizer),
        "column": mixture.tokens.column,
        "shards_counted": how.get("counted", 0),
        "shards_cached": how.get("cached", 0),
    }


def _decontamination_summary(mixture: Mixture, scans: list[ShardScan]) -> dict[str, dict[str, Any]]:
    result = {}
    for stage in mixture.stages:
        spec = stage.require.decontaminate
        if spec is None or spec.key() in result:
            continue
        result[spec.key()] = {
            "evaluation_files": [{"path": path, "sha256": file_sha256(path)} for path in spec.paths],
            "ngram": spec.ngram,
            "documents_checked": sum(scan.checked_for_contamination.get(spec.key(), 0) for scan in scans),
            "also_excludes": f"documents with {CONTAMINATION_COUNT} > 0 from an earlier decontaminate pass",
        }
    return result


def _files(jobs: list[WriteJob], settings: WriteSettings) -> dict[str, list[dict[str, Any]]]:
    suffix = (
        ".parquet"
        if settings.format == "parquet"
        else {"gzip": ".jsonl.gz", "zstd": ".jsonl.zst"}.get(settings.codec, ".jsonl")
    )
    files: dict[str, list[dict[str, Any]]] = {}
    for job in jobs:
        files.setdefault(job.stage, []).append(
            {
                "path": job.stem + suffix,
                "source_file": job.shard.label,
                "documents": job.documents,
                "tokens": int(job.tokens.sum(dtype=np.int64)),
            }
        )
    return files


def _claim_output(folder: DataFolder, fingerprint: str, stages: list[str], force: bool) -> OutputLayout:
    """Make sure the output folder is empty or this plan's own; record the plan before writing data."""
    layout = OutputLayout(folder)
    if folder.exists(PLAN_STATE):
        with folder.open(PLAN_STATE, "rb") as handle:
            previous = orjson.loads(handle.read())
        if previous.get("plan") != fingerprint:
            if not force:
                raise MixOutputError(
                    f"{folder.path} holds a mixture written by another plan (the mixture file or its inputs changed); "
                    "use --force to replace it, or a new output directory"
                )
            _remove_previous(folder, previous.get("stages", []))
        elif force:
            _remove_previous(folder, previous.get("stages", []))
    elif folder.exists(""):
        foreign = [p for p in folder.ls("", detail=False) if p.rpartition("/")[2] not in ("_work", STAGING_DIR)]
        if foreign:
            raise MixOutputError(
                f"{folder.path} is not empty and holds no mixture; choose an empty or new output directory"
            )
    layout.recover()
    layout.write_json_atomically(PLAN_STATE, {"plan": fingerprint, "stages": stages})
    return layout


def _remove_previous(folder: DataFolder, stages: list[str]) -> None:
    for path in [*stages, MARKERS_DIR, STAGING_DIR, MANIFEST_FILE, PLAN_STATE]:
        if folder.exists(path):
            folder.rm(path, recursive=folder.isdir(path))


def _completed(layout: OutputLayout, fingerprint: str) -> set[str]:
    """Stems committed under this plan (a marker of another plan is not trusted)."""
    done = set()
    for stem in layout.completed_stems():
        marker = layout.read_marker(stem)
        if marker is not None and marker.get("plan") == fingerprint:
            done.add(stem)
    return done
