"""datatrove steps that download at run time are named at validation; steps a recipe cannot run are refused."""

from __future__ import annotations

import inspect
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from curation.recipe import RecipeError, list_stages, parse_recipe, recipe_warnings
from curation.recipe.downloads import DATATROVE_DOWNLOADS
from curation.recipe.registry import _datatrove_steps, unusable_datatrove_steps

REPO_ROOT = Path(__file__).resolve().parents[1]
DOWNLOAD_CALLS = re.compile(
    r"cached_asset_path_or_download|urlretrieve|hf_hub_url|hf_hub_download|FT176LID|GlotLID|KenlmModel|"
    r"LightevalTask|TLDExtract\(|PipelineStepWithTokenizer"
)
"""What fetches files in datatrove's code: asset downloads, urllib, the hub, lid models, KenLM, lighteval,
tldextract's suffix list, and the base class of steps that load a ``tokenizers`` tokenizer by name."""


def _source_of(cls: type) -> str:
    """The source of ``cls`` and of the datatrove classes it inherits from."""
    parts = []
    for klass in cls.__mro__:
        if klass.__module__.startswith("datatrove.pipeline."):
            try:
                parts.append(inspect.getsource(klass))
            except (OSError, TypeError):
                continue
    for base in cls.__mro__:
        if base.__name__ == "PipelineStepWithTokenizer":
            parts.append("PipelineStepWithTokenizer")
    return "\n".join(parts)


def test_every_datatrove_step_whose_code_downloads_is_in_the_table():
    usable = {name for name, _, _ in list_stages()}
    downloading = {name for name, _, cls in _datatrove_steps() if DOWNLOAD_CALLS.search(_source_of(cls))}
    assert downloading, "the scan found nothing: the patterns no longer match datatrove's code"
    missing = sorted((downloading & usable) - set(DATATROVE_DOWNLOADS))
    assert not missing, f"datatrove steps that download at run time but are not in DATATROVE_DOWNLOADS: {missing}"
    assert {"C4BadWordsFilter", "LanguageFilter", "TokensCounter", "URLFilter"} <= set(DATATROVE_DOWNLOADS)


def test_validation_names_what_would_be_downloaded_and_the_offline_alternative(tmp_path):
    local_model = tmp_path / "model.bin"
    local_model.write_bytes(b"")
    tokenizer = tmp_path / "tokenizer.json"
    tokenizer.write_text("{}")
    recipe = parse_recipe(
        "stages:\n"
        "  - C4BadWordsFilter\n"
        "  - LanguageFilter\n"
        "  - TokensCounter\n"
        f"  - {{stage: TokensCounter, params: {{tokenizer_name_or_path: '{tokenizer}'}}}}\n"
        "  - {stage: FastTextClassifierFilter, params: {model_url: 'https://example.org/m.bin'}}\n"
        f"  - {{stage: FastTextClassifierFilter, params: {{model_url: '{local_model}'}}}}\n"
        "  - {stage: GopherQualityFilter, params: {language: ar}}\n"
        "  - GopherQualityFilter\n"
        "  - gopher_quality\n"
    )
    warnings = {warning.field: warning.message for warning in recipe_warnings(recipe)}
    assert set(warnings) == {"stages[0]", "stages[1]", "stages[2]", "stages[4]", "stages[6]"}
    assert "C4BadWordsFilter downloads" in warnings["stages[0]"]
    assert "offline: language_id" in warnings["stages[1]"]
    assert "a local tokenizer.json path" in warnings["stages[2]"]
    assert "Stanza" in warnings["stages[6]"]


def test_validate_prints_the_warnings_and_still_accepts_the_recipe(tmp_path):
    (tmp_path / "r.yaml").write_text("stages: [C4BadWordsFilter]\n")
    result = subprocess.run(
        [sys.executable, "-m", "curation", "validate", "r.yaml"],
        cwd=tmp_path,
        env=os.environ | {"PYTHONPATH": str(REPO_ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0 and "valid recipe" in result.stdout
    assert "warning: r.yaml: stages[0]: C4BadWordsFilter downloads" in result.stderr


def test_steps_a_recipe_cannot_run_are_listed_apart_and_refused():
    unusable = dict(unusable_datatrove_steps())
    for name in ("MinhashDedupSignature", "MinhashDedupFilter", "DocumentTokenizer", "LambdaFilter", "StatsMerger"):
        assert name in unusable, name
    listed = {name for name, _, _ in list_stages()}
    assert not listed & set(unusable)
    with pytest.raises(RecipeError, match=r"stages\[0\]\.stage: 'MinhashDedupSignature' cannot run inside a recipe"):
        parse_recipe("stages:\n  - stage: MinhashDedupSignature\n    params: {output_folder: sigs}\n")


def test_every_listed_stage_has_its_own_one_line_description():
    inherited = {"Base module for Filters. Filters remove documents.", "Base pipeline block, all blocks should"}
    for name, _, description in list_stages():
        assert description and "\n" not in description, name
        assert not any(description.startswith(text) for text in inherited), (name, description)
