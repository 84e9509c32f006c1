"""Models load only what the user meant: local paths that exist, hub ids given as such, never remote code."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from curation.inference.locations import ModelLocationError, resolve_model_location
from curation.recipe import RecipeError, check_model_paths, parse_recipe

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    "given", ["models/quality", "./x", "../x", "/nowhere/model", "a/b/c", "gpt2", "~/no-such-model", "org/x.bin"]
)
def test_a_path_that_looks_local_and_is_missing_is_an_error_naming_it(given, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ModelLocationError) as raised:
        resolve_model_location(given)
    assert f"no model folder at {given!r}" in str(raised.value)
    assert str(Path(given).expanduser().absolute()) in str(raised.value)


def test_hub_ids_are_taken_only_when_given_as_such(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    explicit = resolve_model_location("hf://models/quality")
    assert (explicit.source, explicit.is_local) == ("models/quality", False)
    clear = resolve_model_location("FacebookAI/roberta-base")
    assert (clear.source, clear.is_local) == ("FacebookAI/roberta-base", False)
    (tmp_path / "FacebookAI").mkdir()  # a folder of that name here: the user means a path
    with pytest.raises(ModelLocationError):
        resolve_model_location("FacebookAI/roberta-base")
    assert resolve_model_location("hf://gpt2").source == "gpt2"


def test_an_existing_path_is_local_and_never_fetched(tmp_path):
    location = resolve_model_location(str(tmp_path))
    assert location.is_local and location.source == str(tmp_path)
    assert location.pretrained_kwargs() == {"local_files_only": True, "trust_remote_code": False}
    assert resolve_model_location("hf://org/name").pretrained_kwargs(True) == {
        "local_files_only": False,
        "trust_remote_code": True,
    }


def test_recipe_model_paths_are_checked_with_the_demo_hint(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    recipe = parse_recipe(
        "stages:\n"
        "  - stage: quality_score\n    params: {model: build/demo/models/quality}\n"
        "  - stage: model_outputs\n    params: {model: [{path: ./encoder}, {path: hf://org/encoder}]}\n"
        "  - stage: domain_classify\n    params: {token_counter: missing-tokenizer.json}\n"
        "  - stage: language_id\n    params: {model_path: lid.bin}\n",
        "r.yaml",
    )
    with pytest.raises(RecipeError) as raised:
        check_model_paths(recipe)
    fields = {problem.field: problem.message for problem in raised.value.problems}
    assert "make demo" in fields["stages[0].params.model"]
    assert "'./encoder'" in fields["stages[1].params.model[0].path"]
    assert "stages[1].params.model[1].path" not in fields  # a hub id given as such
    assert "missing-tokenizer.json" in fields["stages[2].params.token_counter"]
    assert "no model file at 'lid.bin'" in fields["stages[3].params.model_path"]


def test_a_missing_model_fails_the_engine_without_a_download(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    from curation.inference import InferenceEngine
    from curation.inference.loading import ModelLoadError

    with pytest.raises(ModelLoadError, match="no model folder at 'models/quality'"):
        InferenceEngine("models/quality", device="cpu", precision="fp32")


TRUSTED_SPREADS = {"common", "kwargs", "LOCAL_ONLY"}
"""``**name`` spreads known to carry ``trust_remote_code`` (built by ``ModelLocation.pretrained_kwargs`` or
``_hub_kwargs``; ``LOCAL_ONLY`` in the benchmarks); ``**pretrained_kwargs(...)`` and ``**_hub_kwargs(...)``
count too."""


def _states_trust(call: ast.Call) -> bool:
    for keyword in call.keywords:
        if keyword.arg == "trust_remote_code":
            return True
        if keyword.arg is None:
            value = keyword.value
            if isinstance(value, ast.Name) and value.id in TRUSTED_SPREADS:
                return True
            called = value.func if isinstance(value, ast.Call) else None
            name = getattr(called, "attr", None) or getattr(called, "id", None)
            if name in ("pretrained_kwargs", "_hub_kwargs"):
                return True
    return False


def test_every_from_pretrained_call_states_the_trust_setting():
    """Left unset, transformers may run a checkpoint's code or ask on the terminal; every call says it."""
    missing = []
    for root in ("curation", "benchmarks"):
        for path in sorted((REPO_ROOT / root).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                is_call = isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                if is_call and node.func.attr == "from_pretrained" and not _states_trust(node):
                    missing.append(f"{path.relative_to(REPO_ROOT)}:{node.lineno}")
    assert not missing, f"from_pretrained without trust_remote_code: {missing}"
