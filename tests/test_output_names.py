"""The output folder's own names: routed names never collide across shards nor with the run's own files, are
safe on Windows and under Unicode normalisation, and readers globbing ``OUT/**/*.parquet`` see only output."""

from __future__ import annotations

import shutil
import unicodedata

import pytest

from curation.io.writers.naming import check_filename_template, label_separators, safe_path_component
from curation.recipe import RecipeError, parse_recipe
from tests.helpers import docs, read_output_rows, write_jsonl


def _routed(tmp_path, run_recipe_yaml, template: str, shards: dict[str, list[str]], **kwargs):
    """One document per label; returns the report and the output files relative to the output folder."""
    for stem, labels in shards.items():
        write_jsonl(
            tmp_path / "in" / f"{stem}.jsonl",
            [{"id": f"{stem}:{i}", "text": f"text {stem} {i}", "route": label} for i, label in enumerate(labels)],
        )
    report = run_recipe_yaml(f"stages: []\noutput: {{filename: '{template}'}}\n", tmp_path / "in", **kwargs)
    out = tmp_path / "out"
    files = sorted(str(p.relative_to(out)) for p in out.rglob("*.parquet"))
    return report, files


def _all_ids(shards: dict[str, list[str]]) -> list[str]:
    return sorted(f"{stem}:{i}" for stem, labels in shards.items() for i in range(len(labels)))


@pytest.mark.parametrize(
    ("template", "shards"),
    [
        ("${route}_${shard}", {"b_c": ["a"], "c": ["a_b"]}),
        ("${route}-${shard}", {"x-y": ["p"], "y": ["p-x"], "p-x-y": ["q"]}),
        ("${shard}.${route}", {"a.b": ["c"], "a": ["b.c"]}),
        ("${shard}_${route}/x", {"s": ["t_u"], "s_t": ["u"]}),
        ("${route}/${shard}", {"one": ["sub/x", "sub"], "sub/x": ["one"]}),
    ],
)
def test_routed_names_never_collide_across_shards(tmp_path, run_recipe_yaml, template, shards):
    report, files = _routed(tmp_path, run_recipe_yaml, template, shards, strict=True)
    assert report.ok
    # one file per (shard, label) and every document in one of them: no shard overwrote another's file
    assert sorted(r["id"] for r in read_output_rows(tmp_path / "out")) == _all_ids(shards)
    assert len(files) == sum(len(set(labels)) for labels in shards.values())


def test_labels_can_never_take_the_run_own_names(tmp_path, run_recipe_yaml):
    labels = ["summary.json", "SUMMARY.JSON", "_markers", "_quarantine", "_work", ".staging", "markers"]
    report, files = _routed(tmp_path, run_recipe_yaml, "${route}/${shard}", {"x": labels}, strict=True)
    assert report.ok
    out = tmp_path / "out"
    assert (out / "summary.json").is_file() and (out / "_markers" / "x.done.json").is_file()
    for file in files:
        top = file.split("/")[0]
        assert top.casefold() not in {"summary.json", "_markers", "_quarantine", "_work", ".staging"}, file
        assert not top.startswith(("_", "."))
    assert sorted(r["id"] for r in read_output_rows(out)) == _all_ids({"x": labels})


@pytest.mark.parametrize("label", ["CON", "con", "Nul", "aux.txt", "COM1", "lpt9", "COM¹", "prn.tar.gz", "name. "])
def test_windows_reserved_names_are_made_safe(label):
    name = safe_path_component(label)
    base = name.split(".")[0].strip().casefold()
    reserved = {"con", "prn", "aux", "nul"} | {f"{p}{n}" for p in ("com", "lpt") for n in "0123456789¹²³"}
    assert base not in reserved and not name.endswith((".", " "))


def test_labels_that_differ_only_by_normalisation_stay_distinct(tmp_path, run_recipe_yaml):
    composed, decomposed = unicodedata.normalize("NFC", "café"), unicodedata.normalize("NFD", "café")
    report, files = _routed(tmp_path, run_recipe_yaml, "${route}/${shard}", {"s": [composed, decomposed]})
    assert report.ok and len(files) == 2
    folders = [file.split("/")[0] for file in files]
    assert all(unicodedata.is_normalized("NFC", folder) for folder in folders)
    assert len({unicodedata.normalize("NFD", folder).casefold() for folder in folders}) == 2
    assert "café/s.parquet" in files


def test_windows_reserved_labels_and_their_case_variants_get_distinct_folders(tmp_path, run_recipe_yaml):
    report, files = _routed(tmp_path, run_recipe_yaml, "${route}/${shard}", {"s": ["CON", "con", "CON_"]})
    assert report.ok and len({file.split("/")[0].casefold() for file in files}) == 3
    assert len(read_output_rows(tmp_path / "out")) == 3


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("${domain}${shard}", "right before ${shard}"),
        ("${shard}${lang}", "right after ${shard}"),
        ("${shard}x${lang}", "not a letter or digit"),
        ("_private/${shard}", "may not start with '_'"),
        (".hidden/${shard}", "may not start with '.'"),
        ("summary.json/${shard}", "the run writes itself"),
        ("${shard}/${shard}", "exactly once"),
        ("/abs/${shard}", "relative"),
        ("all", "${shard}"),
    ],
)
def test_ambiguous_or_clashing_templates_are_refused_at_validation(template, message):
    with pytest.raises(ValueError, match=message.replace("$", r"\$").replace("{", r"\{").replace("}", r"\}")):
        check_filename_template(template)
    with pytest.raises(RecipeError):
        parse_recipe(f"output: {{filename: '{template}'}}\n", "r.yaml")


def test_separators_next_to_the_shard_are_kept_out_of_labels():
    assert label_separators("${a}_x_${shard}-${b}") == {"a": "_", "b": "-"}
    assert label_separators("${domain}/${shard}") == {"domain": "/"}
    assert safe_path_component("news_en", "_") == "news-en"
    assert "_" not in safe_path_component("a/b_c", "_")


def test_an_input_folder_named_like_the_summary_fails_its_shard_clearly(tmp_path, run_recipe_yaml):
    write_jsonl(tmp_path / "in" / "summary.json" / "x.jsonl", docs(1))
    write_jsonl(tmp_path / "in" / "fine.jsonl", docs(1, prefix="f"))
    report = run_recipe_yaml("stages: []\n", tmp_path / "in")
    (failure,) = report.summary["shards"]["failures"]
    assert "a name the run writes itself" in failure["error"]
    assert (tmp_path / "out" / "summary.json").is_file()


# ---- what readers of the output folder see ----------------------------------------------------------------


def _glob_ids(out) -> dict[str, list[str]]:
    import duckdb
    import polars as pl

    pattern = str(out / "**" / "*.parquet")
    return {
        "duckdb": sorted(row[0] for row in duckdb.sql(f"select id from read_parquet('{pattern}')").fetchall()),
        "polars": sorted(_polars_ids(pl, pattern)),
    }


def _polars_ids(pl, pattern: str) -> list[str]:
    """Files of one output differ in their metadata columns (each shard has its own), as Polars is told here."""
    frame = pl.scan_parquet(pattern, missing_columns="insert", extra_columns="ignore").select("id").collect()
    return frame["id"].to_list()


@pytest.mark.parametrize(
    "stages",
    ["[]", "[exact_dedup]", "[{stage: GopherQualityFilter}, exact_dedup, minhash_dedup]"],
)
def test_duckdb_and_polars_see_exactly_the_kept_documents(tmp_path, run_recipe_yaml, stages):
    records = [*docs(12, prefix="a"), {"id": "copy", "text": docs(1, prefix="a")[0]["text"], "lang_hint": "en"}]
    for i, record in enumerate(records):
        record["topic"] = ["news", "summary.json", "CON"][i % 3]
    write_jsonl(tmp_path / "in" / "one.jsonl", records[:7])
    write_jsonl(tmp_path / "in" / "sub" / "two.jsonl", [*records[7:], {"id": "short", "text": "tiny"}])
    recipe = f"stages: {stages}\noutput: {{filename: '${{topic}}/${{shard}}'}}\n"
    report = run_recipe_yaml(recipe, tmp_path / "in", strict=True)
    assert report.ok
    kept = sorted(row["id"] for row in read_output_rows(tmp_path / "out"))
    assert len(kept) == report.summary["totals"]["kept"]
    seen = _glob_ids(tmp_path / "out")
    assert seen["duckdb"] == kept and seen["polars"] == kept


def test_case_routed_name_collision(shared_data, tmp_path, run_recipe_yaml):
    report = _run_case(shared_data, tmp_path, run_recipe_yaml, "routed-name-collision")
    assert report.ok and len(report.summary["outputs"]) == 2
    assert sorted(r["id"] for r in read_output_rows(tmp_path / "out")) == ["x1", "y1"]


def test_case_route_label_summary_json(shared_data, tmp_path, run_recipe_yaml):
    report = _run_case(shared_data, tmp_path, run_recipe_yaml, "route-label-summary-json")
    assert report.ok and (tmp_path / "out" / "summary.json").is_file()
    assert [r["id"] for r in read_output_rows(tmp_path / "out")] == ["s1"]


def _run_case(shared_data, tmp_path, run_recipe_yaml, case: str):
    source = shared_data / "bugs" / case
    if not source.is_dir():
        pytest.skip(f"{source} is not available")
    shutil.copytree(source, tmp_path / "in", ignore=shutil.ignore_patterns("recipe.yaml"))
    return run_recipe_yaml((source / "recipe.yaml").read_text(), tmp_path / "in", strict=True)
