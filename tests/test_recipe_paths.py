"""Every local path a recipe names is made absolute before the recipe travels to a worker; URLs and hub ids are not."""

from __future__ import annotations

import os

import pytest

from curation import parse_recipe
from curation.io.locations import absolute_location
from curation.recipe.paths import recipe_paths, replace_paths, resolve_recipe_paths

RECIPE = """
input: {path: raw/shards}
stages:
  - stage: language_id
    params: {model_path: models/lid.bin}
  - stage: quality_score
    params: {model: models/quality}
  - stage: domain_classify
    params: {model: hf://org/domain-model}
  - stage: decontaminate
    params: {paths: [evals/a.jsonl, s3://bucket/b.jsonl], excluded_path: excluded}
  - stage: minhash_dedup
    params: {index_path: index/minhash, removed_path: gs://bucket/removed}
  - stage: topic_embed
    params: {model: all-MiniLM-L6-v2, cache_path: cache/embeddings}
  - stage: topic_cluster
    params: {k: 4, topic_model: runs/old/topic_model, model_path: models/topics}
  - stage: gopher_quality
output: {path: curated}
"""


@pytest.fixture
def in_folder(tmp_path):
    previous = os.getcwd()
    os.chdir(tmp_path)
    (tmp_path / "models" / "quality").mkdir(parents=True)
    try:
        yield tmp_path
    finally:
        os.chdir(previous)


def paths_by_field(recipe) -> dict[str, tuple[str, str]]:
    return {found.field: (found.path, found.role) for found in recipe_paths(recipe)}


def test_every_local_path_of_a_recipe_is_made_absolute_and_urls_and_hub_ids_are_kept(in_folder):
    recipe = parse_recipe(RECIPE)
    located = resolve_recipe_paths(recipe)
    root = str(in_folder)
    assert paths_by_field(located) == {
        "stages[0].params.model_path": (f"{root}/models/lid.bin", "model"),
        "stages[1].params.model": (f"{root}/models/quality", "model"),
        "stages[2].params.model": ("hf://org/domain-model", "model"),
        "stages[3].params.paths[0]": (f"{root}/evals/a.jsonl", "read"),
        "stages[3].params.paths[1]": ("s3://bucket/b.jsonl", "read"),
        "stages[3].params.excluded_path": (f"{root}/excluded", "write"),
        "stages[4].params.index_path": (f"{root}/index/minhash", "write"),
        "stages[4].params.removed_path": ("gs://bucket/removed", "write"),
        "stages[5].params.model": ("all-MiniLM-L6-v2", "model"),
        "stages[5].params.cache_path": (f"{root}/cache/embeddings", "write"),
        "stages[6].params.topic_model": (f"{root}/runs/old/topic_model", "read"),
        "stages[6].params.model_path": (f"{root}/models/topics", "write"),
    }
    assert located.input.path == f"{root}/raw/shards" and located.output.path == f"{root}/curated"
    assert recipe.stages[1].params["model"] == "models/quality", "the recipe itself is left as written"
    assert resolve_recipe_paths(located) == located
    assert recipe.fingerprint() == parse_recipe(RECIPE).fingerprint()


def test_a_worker_copy_replaces_only_model_paths(in_folder):
    located = resolve_recipe_paths(parse_recipe(RECIPE))
    quality = str(in_folder / "models" / "quality")
    shipped = replace_paths(located, {quality: "/scratch/0/quality", f"{in_folder}/excluded": "/elsewhere"})
    assert shipped.stages[1].params["model"] == "/scratch/0/quality"
    assert shipped.stages[3].params["excluded_path"] == f"{in_folder}/excluded"
    assert located.stages[1].params["model"] == quality


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("out", "{cwd}/out"),
        ("~/out", "{home}/out"),
        ("file://out", "file://{cwd}/out"),
        ("s3://bucket/out", "s3://bucket/out"),
        ("memory://curated", "memory://curated"),
        ("/abs/out", "/abs/out"),
    ],
)
def test_locations_are_absolute_urls_unchanged(in_folder, given, expected):
    assert absolute_location(given) == expected.format(cwd=os.getcwd(), home=os.path.expanduser("~"))


SYNTH_RECIPE = """
stages:
  - stage: synth_requests
    params: {templates: [qa_pairs, templates/mine.yaml], topics_file: topics/topics.json}
  - stage: synth_generate
    params: {backend: {kind: transformers, model: models/smol}, cache: cache/requests.sqlite}
  - stage: llm_annotate
    params: {backend: {kind: openai, base_url: "http://127.0.0.1:8000/v1", model: served-name}}
"""


def test_synth_stages_templates_backend_models_and_caches(in_folder):
    located = resolve_recipe_paths(parse_recipe(SYNTH_RECIPE))
    root = str(in_folder)
    assert paths_by_field(located) == {
        "stages[0].params.templates[0]": ("qa_pairs", "read"),
        "stages[0].params.templates[1]": (f"{root}/templates/mine.yaml", "read"),
        "stages[0].params.topics_file": (f"{root}/topics/topics.json", "read"),
        "stages[1].params.backend.model": (f"{root}/models/smol", "model"),
        "stages[1].params.cache": (f"{root}/cache/requests.sqlite", "write"),
    }
    assert located.stages[2].params["backend"]["model"] == "served-name"
