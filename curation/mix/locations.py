"""The files a mixture names, made absolute for the workers and checked on a Dask cluster, as a recipe's are.

A mixture reads curated outputs (``inputs``), evaluation texts (``require.decontaminate.paths``) and perhaps a
tokenizer (``tokens.tokenizer``), keeps token counts in a cache folder (``tokens.cache``) and writes one output
folder. Relative paths mean the client's working directory; jobs carry them absolute (URLs and hub ids as
they are), so a worker in another directory reads the same files. The plan's fingerprint and the manifest
keep the mixture as written: where the files are is not what the mixture is.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from curation.executors.cluster_check import RequiredPath, WorkerRequirements, is_local_model
from curation.io.locations import absolute_location
from curation.mix.inputs import InputShard
from curation.mix.model import Mixture
from curation.mix.scan import ScanSpec
from curation.recipe.paths import absolute_path

TOKENIZER_WORDS = "words"


def located_mixture(mixture: Mixture) -> Mixture:
    """A copy of ``mixture`` whose local paths are absolute in this process's working directory."""
    inputs = {
        name: spec.model_copy(update={"path": absolute_location(spec.path)}) for name, spec in mixture.inputs.items()
    }
    tokens = mixture.tokens
    update: dict[str, Any] = {}
    if tokens.tokenizer and tokens.tokenizer != TOKENIZER_WORDS:
        update["tokenizer"] = absolute_path(tokens.tokenizer, "model")
    if tokens.cache:
        update["cache"] = absolute_location(tokens.cache)
    stages = []
    for stage in mixture.stages:
        spec = stage.require.decontaminate
        if spec is not None:
            located = spec.model_copy(update={"paths": tuple(absolute_location(path) for path in spec.paths)})
            stage = stage.model_copy(update={"require": stage.require.model_copy(update={"decontaminate": located})})
        stages.append(stage)
    return mixture.model_copy(
        update={"inputs": inputs, "tokens": tokens.model_copy(update=update) if update else tokens, "stages": stages}
    )


def located_scan_spec(mixture: Mixture, located: Mixture) -> ScanSpec:
    """``ScanSpec.from_mixture(mixture)`` reading the files of ``located`` (its keys, which name each set of
    evaluation texts in the manifest, stay those of the mixture as written)."""
    spec = ScanSpec.from_mixture(mixture)
    paths = {
        stage.require.decontaminate.key(): located_stage.require.decontaminate.paths
        for stage, located_stage in zip(mixture.stages, located.stages, strict=True)
        if stage.require.decontaminate is not None
    }
    return dataclasses.replace(
        spec,
        tokenizer=located.tokens.tokenizer,
        token_cache=located.tokens.cache,
        decontaminations=tuple(
            (key, decontamination.model_copy(update={"paths": paths[key]}))
            for key, decontamination in spec.decontaminations
        ),
    )


def worker_requirements(
    located: Mixture, shards: list[InputShard], output: str | None, output_options: dict[str, Any]
) -> WorkerRequirements:
    """What each Dask worker must see for this mixture: every input folder and one shard of each, the
    evaluation files, a local tokenizer, and the output folder (none for a dry run)."""
    paths: list[RequiredPath] = []
    for name, spec in located.inputs.items():
        paths.append(RequiredPath(f"inputs.{name}", spec.path, "read", dict(spec.storage_options)))
        first = next((shard for shard in shards if shard.input_name == name), None)
        if first is not None:
            shard_path = f"{spec.path.rstrip('/')}/{first.path}"
            paths.append(RequiredPath(f"inputs.{name} shard", shard_path, "read", dict(spec.storage_options)))
    for index, stage in enumerate(located.stages):
        if stage.require.decontaminate is not None:
            for number, path in enumerate(stage.require.decontaminate.paths):
                paths.append(RequiredPath(f"stages[{index}].require.decontaminate.paths[{number}]", path, "read"))
    tokenizer = located.tokens.tokenizer
    if tokenizer and tokenizer != TOKENIZER_WORDS and is_local_model(tokenizer):
        paths.append(RequiredPath("tokens.tokenizer", tokenizer, "model"))
    modules = [("curation.mix.scan", "scan"), ("curation.mix.write", "write")]
    return WorkerRequirements(paths, modules, output, dict(output_options))
