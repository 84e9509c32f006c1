"""Mixture files are validated on load: every problem reported at once as ``file: field: what; allowed``."""

from __future__ import annotations

from pathlib import Path

import pytest

from curation.mix import MixtureError, load_mixture, parse_mixture
from curation.mix.model import parse_token_count

REPO_ROOT = Path(__file__).resolve().parents[1]

VALID = """
name: ok
seed: 1
inputs: {curated: out/}
quality_tiers:
  low: {max: 0.5}
  high: {min: 0.5}
sources:
  web: {include: {domain: [news]}, max_repetitions: 2, max_share: 0.8}
  books: {include: {domain: fiction, synthetic: false}}
stages:
  - name: stable
    tokens: 2.5M
    shares: {web: 0.7, books: 0.3}
  - name: anneal
    tokens: 100_000
    shares: {web: {news/high: 0.5}, books: {"*/high": 0.5}}
    require: {min_quality: 0.8}
"""


def problems_of(text: str) -> list[str]:
    with pytest.raises(MixtureError) as caught:
        parse_mixture(text, "mix.yaml")
    message = str(caught.value)
    assert message.startswith("invalid mixture\n")
    return message.splitlines()[1:]


def test_a_valid_mixture_loads_with_budgets_and_selections_normalised():
    mixture = parse_mixture(VALID, "mix.yaml")
    assert [stage.tokens for stage in mixture.stages] == [2_500_000, 100_000]
    assert mixture.sources["books"].include.columns == {"domain": ("fiction",), "synthetic": (False,)}
    assert mixture.sources["books"].include.as_written() == {"domain": ["fiction"], "synthetic": [False]}
    assert mixture.inputs["curated"].path == "out/"
    assert mixture.fingerprint() == parse_mixture(VALID).fingerprint()


@pytest.mark.parametrize(
    ("value", "expected"), [(1000, 1000), ("500K", 500_000), ("2.5M", 2_500_000), ("1B", 10**9), ("3_000", 3000)]
)
def test_token_budgets_accept_suffixes(value, expected):
    assert parse_token_count(value) == expected


@pytest.mark.parametrize("value", ["lots", "1.5", -5, 0, True, "2.5K5"])
def test_token_budgets_reject_what_is_not_a_whole_positive_count(value):
    with pytest.raises(ValueError):
        parse_token_count(value)


def test_shares_must_sum_to_one_and_name_known_sources():
    lines = problems_of(VALID.replace("shares: {web: 0.7, books: 0.3}", "shares: {web: 0.7, boks: 0.2}"))
    assert "mix.yaml: stages[0].shares.boks: unknown source 'boks'; sources: web, books" in lines
    assert any(
        line.startswith("mix.yaml: stages[0].shares: shares sum to 0.7;") and "must sum to 1" in line for line in lines
    )
    assert "mix.yaml: sources.books: no stage gives this source a share" not in lines  # anneal still uses it


def test_a_share_above_max_share_says_which_cap_would_allow_it():
    lines = problems_of(VALID.replace("shares: {web: 0.7, books: 0.3}", "shares: {web: 0.9, books: 0.1}"))
    assert lines == [
        "mix.yaml: stages[0].shares.web: share 0.9 is above the source's max_share 0.8; lower the share or set "
        "sources.web.max_share to at least 0.9"
    ]


def test_cells_need_known_tiers_and_must_not_overlap():
    text = VALID.replace(
        'shares: {web: {news/high: 0.5}, books: {"*/high": 0.5}}',
        'shares: {web: {news/top: 0.2, news/high: 0.1, "*/high": 0.2, plain: 0.1}, books: 0.4}',
    )
    lines = problems_of(text)
    assert "mix.yaml: stages[1].shares.web.news/top: unknown tier 'top'; quality_tiers: low, high" in lines
    assert "mix.yaml: stages[1].shares.web.*/high: overlaps cell 'news/high'; a document may fall in one cell only" in (
        lines
    )
    assert any(line.startswith("mix.yaml: stages[1].shares.web.plain: a cell key is 'domain/tier'") for line in lines)


def test_unknown_fields_list_what_is_allowed_and_bad_caps_are_reported():
    text = VALID.replace("max_repetitions: 2, max_share: 0.8", "max_repetitions: 0, max_share: 1.5, epochs: 3")
    lines = problems_of(text)
    assert any(
        line.startswith("mix.yaml: sources.web.max_repetitions: Input should be greater than or equal to 1")
        for line in lines
    )
    assert any(
        line.startswith("mix.yaml: sources.web.max_share: Input should be less than or equal to 1") for line in lines
    )
    allowed = "inputs, include, exclude, max_repetitions, max_share"
    assert f"mix.yaml: sources.web.epochs: unknown field; allowed here: {allowed}" in lines


def test_references_names_tiers_and_files_are_checked():
    text = (
        VALID.replace("include: {domain: [news]}", "inputs: [crawl], include: {domain: [news], quality_tier: [mid]}")
        .replace("name: anneal", "name: stable")
        .replace("require: {min_quality: 0.8}", "require: {decontaminate: {paths: [missing/eval.jsonl]}}")
        .replace("quality_tiers:\n  low: {max: 0.5}", "quality_tiers:\n  low: {max: 0.6}")
    )
    lines = problems_of(text)
    assert "mix.yaml: sources.web.inputs: unknown input 'crawl'; inputs: curated" in lines
    assert "mix.yaml: sources.web.include.quality_tier: unknown tier 'mid'; quality_tiers: low, high" in lines
    assert "mix.yaml: quality_tiers.high: overlaps tier 'low'; tiers must not overlap" in lines
    assert "mix.yaml: stages[1].name: stage 'stable' is named twice; stage names must be unique" in lines
    assert any(
        line.startswith("mix.yaml: stages[1].require.decontaminate.paths[0]: evaluation file 'missing/eval.jsonl'")
        for line in lines
    )


def test_natural_shares_need_caps_that_can_reach_one():
    text = VALID.replace("shares: {web: 0.7, books: 0.3}", "shares: natural").replace(
        "books: {include: {domain: fiction, synthetic: false}}",
        "books: {include: {domain: fiction, synthetic: false}, max_share: 0.1}",
    )
    assert problems_of(text) == [
        "mix.yaml: stages[0].shares: natural shares need the sources' max_share caps to sum to at least 1, they sum "
        "to 0.9; raise a cap or add a source",
        "mix.yaml: stages[1].shares.books: share 0.5 is above the source's max_share 0.1; lower the share or set "
        "sources.books.max_share to at least 0.5",
    ]


def test_included_tiers_must_touch_and_yaml_errors_have_a_position(tmp_path):
    text = (
        VALID.replace("high: {min: 0.5}", "mid: {min: 0.5, max: 0.7}\n  high: {min: 0.8}")
        .replace("include: {domain: [news]}", "include: {quality_tier: [low, high]}")
        .replace("news/high", "news/mid")
    )
    assert any("sources.web.include.quality_tier: the tiers listed leave a gap" in line for line in problems_of(text))
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nsources: [\n")
    with pytest.raises(MixtureError, match=r"bad.yaml: line \d+, column \d+: not valid YAML"):
        load_mixture(bad)


@pytest.mark.parametrize("path", sorted((REPO_ROOT / "pipelines" / "mixtures").glob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_mixture_is_valid(path, monkeypatch):
    monkeypatch.chdir(REPO_ROOT)  # their paths are relative to the repository, like the recipes'
    load_mixture(path.relative_to(REPO_ROOT))


def test_the_demo_mixture_has_an_annealing_stage(monkeypatch):
    monkeypatch.chdir(REPO_ROOT)
    mixture = load_mixture("pipelines/mixtures/demo.yaml")
    assert [stage.name for stage in mixture.stages] == ["stable", "anneal"]
    assert mixture.stages[1].require.decontaminate is not None
