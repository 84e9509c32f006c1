"""Recipes are validated on load; every error names the file, the field, and what is allowed."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from datatrove.pipeline.filters import GopherRepetitionFilter

from curation import InputSpec, OutputSpec, Recipe, RecipeError, load_recipe, parse_recipe, run_recipe
from tests.helpers import docs, read_output_rows, write_jsonl

REPO_ROOT = Path(__file__).resolve().parents[1]


def problems_of(text: str, source: str = "pipelines/bad.yaml") -> dict[str, str]:
    with pytest.raises(RecipeError) as caught:
        parse_recipe(text, source)
    assert all(line.startswith(source) for line in str(caught.value).splitlines()[1:])
    return {problem.field: problem.message for problem in caught.value.problems}


def test_unknown_field_lists_allowed_fields():
    problems = problems_of("input: {path: x, colour: red}\n")
    assert "unknown field" in problems["input.colour"]
    assert "text_field" in problems["input.colour"] and "glob" in problems["input.colour"]


def test_bad_enum_value_names_choices():
    problems = problems_of("input: {format: csv}\n")
    assert "'jsonl'" in problems["input.format"] and "'warc'" in problems["input.format"]


def test_output_codec_must_fit_format():
    problems = problems_of("output: {format: jsonl, compression: snappy}\n")
    assert "gzip" in problems["output.compression"] and "zstd" in problems["output.compression"]


def test_output_filename_needs_shard_placeholder():
    problems = problems_of("output: {filename: 'all'}\n")
    assert "${shard}" in problems["output.filename"]


def test_stage_problems_are_all_reported_at_once():
    problems = problems_of(
        """
stages:
  - GopherRepetitionFilter
  - stage: GopherQualityFilter
    params: {min_doc_words: lots, colour: 1}
  - NoSuchStage
  - JsonlReader
  - RegexFilter
executor: {workers: 0}
"""
    )
    assert "allowed:" in problems["stages[1].params.colour"] and "min_doc_words" in problems["stages[1].params.colour"]
    assert "integer" in problems["stages[1].params.min_doc_words"]
    assert "unknown stage 'NoSuchStage'" in problems["stages[2].stage"]
    assert "input.reader" in problems["stages[3].stage"]
    assert "required" in problems["stages[4].params.regex_exp"]
    assert "greater than or equal to 1" in problems["executor.workers"]


def test_yaml_syntax_error_has_position():
    problems = problems_of("stages: [\n")
    assert any("line" in message and "not valid YAML" in message for message in problems.values())


def test_dotted_import_path_stage_resolves_and_non_steps_are_refused():
    recipe = parse_recipe("stages:\n  - datatrove.pipeline.filters:GopherRepetitionFilter\n")
    assert recipe.stages[0].stage.endswith("GopherRepetitionFilter")
    problems = problems_of("stages:\n  - collections:OrderedDict\n")
    assert "not a datatrove PipelineStep" in problems["stages[0].stage"]


def test_datatrove_reader_and_writer_params_are_checked():
    problems = problems_of(
        "input: {reader: JsonlReader, reader_params: {data_folder: x, nope: 1}}\n"
        "output: {writer: GopherQualityFilter}\n"
    )
    assert "set by the runner" in problems["input.reader_params.data_folder"]
    assert "unknown parameter" in problems["input.reader_params.nope"]
    assert "not a datatrove DiskWriter" in problems["output.writer"]


def test_missing_file_is_a_recipe_error(tmp_path):
    with pytest.raises(RecipeError, match="cannot read"):
        load_recipe(tmp_path / "absent.yaml")


@pytest.mark.parametrize("recipe_path", sorted((REPO_ROOT / "pipelines").glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_recipe_is_valid(recipe_path):
    if "checks" in (yaml.safe_load(recipe_path.read_text()) or {}):  # a checks file (curate check), not a recipe
        from curation.checks import load_checks

        load_checks(recipe_path)
        return
    load_recipe(recipe_path)


def test_python_api_does_what_the_yaml_recipe_does(tmp_path):
    records = docs(30)
    for record in records[::3]:
        record["text"] = "buy now " * 60
    write_jsonl(tmp_path / "in" / "a.jsonl", records)
    yaml_recipe = parse_recipe("stages:\n  - GopherRepetitionFilter\n")
    api_recipe = Recipe(
        input=InputSpec(path=str(tmp_path / "in")),
        stages=[GopherRepetitionFilter()],
        output=OutputSpec(path=str(tmp_path / "api")),
    )
    run_recipe(
        yaml_recipe, input_path=str(tmp_path / "in"), output_path=str(tmp_path / "yaml"), progress="none", workers=1
    )
    report = run_recipe(api_recipe, progress="none", workers=2)
    assert report.ok
    yaml_rows = sorted(r["id"] for r in read_output_rows(tmp_path / "yaml"))
    api_rows = sorted(r["id"] for r in read_output_rows(tmp_path / "api"))
    assert yaml_rows == api_rows and 0 < len(yaml_rows) < 30


def test_the_fingerprint_counts_what_decides_a_shards_output_and_not_the_selection():
    base = parse_recipe("input: {glob: '*.jsonl'}\nstages: [gopher_quality]\n")
    narrower = parse_recipe("input: {glob: 'a*.jsonl', recursive: false}\nstages: [gopher_quality]\n")
    assert base.fingerprint() == narrower.fingerprint()
    for changed in (
        "input: {text_field: body}\nstages: [gopher_quality]\n",
        "input: {id_field: doc_id}\nstages: [gopher_quality]\n",
        "input: {format: jsonl}\nstages: [gopher_quality]\n",
        "stages: [gopher_quality, fineweb_quality]\n",
        "stages:\n  - stage: gopher_quality\n    params: {min_doc_words: 10}\n",
        "stages: [gopher_quality]\noutput: {format: jsonl}\n",
    ):
        assert parse_recipe(changed).fingerprint() != base.fingerprint(), changed


def test_the_fingerprint_of_step_instances_is_the_same_in_every_process():
    """Python-API recipes hold step objects: sets, compiled patterns and functions must not make two
    processes disagree (a rerun would otherwise be taken for another recipe)."""
    import os
    import subprocess
    import sys

    code = (
        "from datatrove.pipeline.filters import LambdaFilter\n"
        "from curation.filters.rules import GopherQuality\n"
        "from curation.recipe.model import Recipe\n"
        "recipe = Recipe(stages=[GopherQuality(), LambdaFilter(lambda d: len(d.text) > 3)])\n"
        "print(recipe.fingerprint())\n"
    )
    fingerprints = set()
    for seed in ("1", "2", "3"):
        env = os.environ | {"PYTHONPATH": str(REPO_ROOT), "PYTHONHASHSEED": seed}
        result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        fingerprints.add(result.stdout.strip())
    assert len(fingerprints) == 1
