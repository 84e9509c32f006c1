"""The synthetic chain as a recipe over a topic-labelled corpus, against a real HTTP server with scripted
answers: per-topic sampling, provenance, every filter's drop reason, counts that reconcile, reruns that
send nothing, Dask equal to local."""

from __future__ import annotations

import gc
import random
from pathlib import Path

import pytest

from curation import parse_recipe, run_recipe
from curation.synth import records as R
from curation.synth.server import ChatServer
from tests.helpers import docs, read_output_rows, write_jsonl
from tests.synth_support import ScriptedResponder

EVALUATION = (
    "the quick examiner asked which three rivers meet at the old stone bridge near the northern harbour "
    "before the summer festival begins"
)
JUNK = " ".join(["Home | About | Contact | Privacy | Terms | Login | Cart | Accept all cookies | Sign up now!"] * 6)
FRENCH = (
    "La rivière traverse le village et les agriculteurs cultivent le riz le long de ses rives. Le marché du port "
    "est très animé pendant l'été, et les bateaux apportent du poisson frais chaque matin. Les enfants apprennent "
    "à nager dans l'eau calme près du vieux pont de pierre, tandis que leurs parents réparent les filets."
)
INVENTED = (
    "Bake the bread slowly in a hot oven. Knead dough for ten minutes, then rest it overnight. Sourdough needs "
    "a lively starter fed with flour twice daily. Butter, salt and patience make crusts crisp. Serve warm loaves "
    "with soup, cheese or jam; store leftovers wrapped in linen so crumb stays soft."
)
BEHAVIOURS = {
    0: ["good", "good", "good", "refuse", "meta"],
    1: ["french", "copy", "invent", "nearcopy", "short", "truncated"],
    2: ["junk", "contaminated", "failing"],
    3: ["good"] * 5,
}
TOPIC_NAMES = {0: "rivers and farming", 1: "harbour markets", 2: "castles", 3: "forests"}


def sentences(text: str) -> list[str]:
    return [s.strip() + "." for s in text.split(".") if s.strip()]


def answer_for(behaviour: str, source: str, topic: str):
    """The scripted answer to a textbook-chapter request (the client adds the "# " prefix)."""
    body = " ".join(sentences(source)[::2])
    own = f"This chapter explains {topic} for students. Each idea builds on the one before it, with care."
    good = f"{topic.title()} explained\n\n{body} {own}"
    if behaviour == "good":
        return good
    if behaviour == "refuse":
        return "As an AI language model, I cannot write this chapter. " + body
    if behaviour == "meta":
        return "Sure! Here is the rewritten version of the text.\n\n" + good
    if behaviour == "french":
        return FRENCH
    if behaviour == "copy":
        return source
    if behaviour == "invent":
        return INVENTED
    if behaviour == "nearcopy":
        return source.rsplit(" ", 1)[0] + " lanterns."
    if behaviour == "short":
        return "A short note on rivers."
    if behaviour == "truncated":
        return good, "length"
    if behaviour == "junk":
        return JUNK
    if behaviour == "contaminated":
        return f"{good} {EVALUATION}."
    raise AssertionError(behaviour)


def write_corpus(folder: Path) -> dict[str, str]:
    """Two shards of topic-labelled documents; returns source text -> behaviour."""
    rng = random.Random(3)
    rows, behaviour_of = [], {}
    texts = iter(d["text"] for d in docs(40, words=90, seed=11))
    for topic, behaviours in BEHAVIOURS.items():
        for index, behaviour in enumerate(behaviours):
            text = next(texts)
            behaviour_of[text] = behaviour
            rows.append(
                {
                    "id": f"t{topic}-{index}-{behaviour}",
                    "text": text,
                    "topic_id": topic,
                    "topic_name": TOPIC_NAMES[topic],
                    "topic_low_confidence": False,
                    "quality_score": 0.9,
                    "language": "en",
                }
            )
    extras = [
        {"id": "no-topic", "text": next(texts), "quality_score": 0.9, "language": "en"},
        {
            "id": "unsure",
            "text": next(texts),
            "topic_id": 0,
            "topic_name": TOPIC_NAMES[0],
            "topic_low_confidence": True,
            "quality_score": 0.9,
            "language": "en",
        },
        {"id": "weak", "text": next(texts), "topic_id": 0, "topic_name": TOPIC_NAMES[0], "quality_score": 0.1},
    ]
    rows += extras
    rng.shuffle(rows)
    write_jsonl(folder / "part-0.jsonl", rows[: len(rows) // 2])
    write_jsonl(folder / "part-1.jsonl", rows[len(rows) // 2 :])
    return behaviour_of


def make_responder(behaviour_of: dict[str, str]) -> ScriptedResponder:
    def answer(request):
        content = request.messages[-1]["content"]
        source = next(text for text in behaviour_of if text in content)
        topic = content.split('topic "', 1)[1].split('"', 1)[0]
        return answer_for(behaviour_of[source], source, topic)

    failing = [text for text, behaviour in behaviour_of.items() if behaviour == "failing"]
    return ScriptedResponder(answer, faults={failing[0][:60]: [500] * 100})


RECIPE = """
name: synth-test
stages:
  - stage: synth_requests
    params:
      templates: [textbook_chapter]
      rollouts: 2
      per_topic: 10
      topic_quotas: {{"3": 2}}
      min_quality: 0.2
      seed: 5
  - stage: synth_generate
    params:
      backend: {{kind: openai, base_url: "{base_url}", model: scripted, prefill: true, max_retries: 1, backoff: 0.01}}
      temperature: 0.8
      top_p: 0.9
      seed: 1234
      cache: "{cache}"
  - synth_format
  - synth_length
  - synth_refusal
  - synth_language
  - stage: quality_score
    params: {{model: "{quality_model}", threshold: 0.05, drop_below_threshold: true}}
  - stage: synth_faithfulness
    params: {{max_overlap: 0.995}}
  - synth_near_dedup
  - stage: decontaminate
    params: {{texts: ["{evaluation}"]}}
"""


@pytest.fixture(scope="module")
def quality_model(tmp_path_factory) -> Path:
    from curation.classify.demo import build_demo_models

    out = tmp_path_factory.mktemp("synth-quality")
    build_demo_models(out, sample_docs=400)
    return out / "quality"


@pytest.fixture
def setup(tmp_path, quality_model):
    behaviour_of = write_corpus(tmp_path / "in")
    responder = make_responder(behaviour_of)
    with ChatServer(responder, model="scripted") as server:
        recipe = parse_recipe(
            RECIPE.format(
                base_url=server.base_url,
                cache=tmp_path / "cache.sqlite",
                quality_model=quality_model,
                evaluation=EVALUATION,
            )
        )
        yield recipe, server, tmp_path


def stage_row(summary, name):
    return next(s for s in summary["totals"]["stages"] if s["name"] == name)


def test_the_chain_drops_each_bad_answer_for_its_reason_and_keeps_provenance(setup):
    recipe, server, tmp = setup
    report = run_recipe(recipe, input_path=str(tmp / "in"), output_path=str(tmp / "out"), workers=1, progress="none")
    assert report.ok, report.summary["shards"]["failures"]
    totals = report.summary["totals"]
    assert totals["reconciled"]
    requests = stage_row(report.summary, "synth_requests")
    assert requests["dropped"] == {
        "no_topic": 1,
        "low_confidence_topic": 1,
        "below_min_quality": 1,
        "over_topic_quota": 3,
    }
    selected = sum(len(b) for b in BEHAVIOURS.values()) - 3
    assert requests["out"] == 2 * selected
    generate = stage_row(report.summary, "synth_generate")
    assert generate["in"] == generate["out"] + 2 and generate["dropped"] == {"request_failed_server_error": 2}
    expected = {
        "synth_format": {"truncated_response": 2},
        "synth_length": {"too_short": 2},
        "synth_refusal": {"refusal": 2, "meta_talk": 2},
        "synth_language": {"language_differs_from_source": 2},
        "quality_score": {"quality_below_threshold": 2},
        "synth_faithfulness": {"copied": 2, "invented": 2},
        "synth_near_dedup": {"near_duplicate": 6, "near_duplicate_of_source": 2},
        "decontaminate": {"contaminated": 1},
    }
    for name, dropped in expected.items():
        assert stage_row(report.summary, name)["dropped"] == dropped, name
    rows = read_output_rows(tmp / "out")
    assert len(rows) == totals["kept"] == 5
    assert all(row["id"].split("/")[0].endswith("good") for row in rows)
    assert {row[R.TOPIC_ID] for row in rows} == {0, 3}
    for row in rows:
        for field in R.PROVENANCE_FIELDS:
            assert row[field] is not None, field
        assert row[R.MODEL] == "scripted" and row[R.BACKEND] == "openai"
        assert (row[R.TEMPERATURE], row[R.TOP_P], row[R.MAX_TOKENS]) == (0.8, 0.9, 600)
        assert row[R.SAMPLING_EXTRA] == "{}"
        assert row[R.TEMPLATE_ID] == "textbook_chapter" and row[R.TEMPLATE_VERSION] == "1"
        assert row["text"].startswith("# ")
        assert R.SOURCE_TEXT not in row and R.MESSAGES not in row
        assert row["token_count"] == row[R.COMPLETION_TOKENS]
    # rollouts have their own seeds; the same request keeps its seed on every run
    seeds = {(row[R.SOURCE_ID], row[R.ROLLOUT]): row[R.SEED] for row in rows}
    assert len(set(seeds.values())) == len(seeds)
    sent = sum(server.log.received.values())
    assert sent == generate["in"] + 2 * 1  # the failing request: 2 rollouts x (1 + 1 retry) attempts
    # the run report shows the yield of every filter step, from the generation on
    from curation.report.html import build_report
    from curation.report.run_record import read_run_record

    page = build_report(read_run_record(str(tmp / "out")))
    assert 'data-section="synthetic"' in page and 'data-plot="synth-yield"' in page
    table = page[page.index('data-table="synth-yield"') :]
    table = table[: table.index("</table>")]
    assert table.count("<tr>") == 1 + 1 + len(expected)  # the header, synth_generate, each filter step
    assert "contaminated 1" in table and "request_failed_server_error 2" in table


def test_rerun_force_and_changed_template_reuse_the_cache(setup):
    recipe, server, tmp = setup
    args = {"input_path": str(tmp / "in"), "output_path": str(tmp / "out"), "workers": 1, "progress": "none"}
    first = run_recipe(recipe, **args)
    sent = sum(server.log.received.values())
    again = run_recipe(recipe, force=True, **args)
    assert read_output_rows(tmp / "out") and again.summary["totals"]["kept"] == first.summary["totals"]["kept"]
    answered = stage_row(first.summary, "synth_generate")["out"]
    # only the failing requests are sent again (retry_failed); every answered one comes from the cache
    assert sum(server.log.received.values()) - sent == 2 * 2
    assert not server.log.repeats()
    data = recipe.model_dump(exclude_none=True)
    data["stages"][1]["params"]["temperature"] = 0.5
    from curation.recipe import recipe_from_dict

    changed = run_recipe(recipe_from_dict(data), force=True, **args)
    assert changed.ok
    new = sum(server.log.received.values()) - sent - 4
    assert new == answered + 2 * 2  # a changed sampling parameter is a new payload: every request is sent


def test_dask_gives_the_same_rows_as_local_with_the_same_seed_and_cache(setup):
    recipe, server, tmp = setup
    local = run_recipe(recipe, input_path=str(tmp / "in"), output_path=str(tmp / "local"), workers=2, progress="none")
    sent = sum(server.log.received.values())
    dask = run_recipe(
        recipe, input_path=str(tmp / "in"), output_path=str(tmp / "dask"), workers=2, executor="dask", progress="none"
    )
    assert local.ok and dask.ok
    assert sum(server.log.received.values()) - sent == 2 * 2  # only the failing ones again

    def rows(folder):
        return sorted((r["id"], r["text"], r[R.SEED], r[R.SOURCE_ID]) for r in read_output_rows(tmp / folder))

    assert rows("dask") == rows("local") and len(rows("local")) == 5
    assert dask.summary["totals"]["dropped_by_reason"] == local.summary["totals"]["dropped_by_reason"]


def test_synth_report_prints_the_yield_of_each_step_the_ledger_and_kept_rows(setup, capsys):
    from curation.cli import main

    recipe, _server, tmp = setup
    report = run_recipe(recipe, input_path=str(tmp / "in"), output_path=str(tmp / "out"), workers=1, progress="none")
    assert report.ok
    capsys.readouterr()
    assert main(["synth-report", str(tmp / "out"), "--cache", str(tmp / "cache.sqlite"), "--show", "2"]) == 0
    text = capsys.readouterr().out
    lines = text.splitlines()
    # 16 documents x 2 rollouts = 32 requests; 30 answers; each step's in, out, share kept, share of answers;
    # reasons by count, then by name
    for row in (
        "| synth_generate | 32 | 30 | 93.8% | 100.0% | request_failed_server_error 2 |",
        "| synth_format | 30 | 28 | 93.3% | 93.3% | truncated_response 2 |",
        "| synth_length | 28 | 26 | 92.9% | 86.7% | too_short 2 |",
        "| synth_refusal | 26 | 22 | 84.6% | 73.3% | meta_talk 2, refusal 2 |",
        "| synth_language | 22 | 20 | 90.9% | 66.7% | language_differs_from_source 2 |",
        "| quality_score | 20 | 18 | 90.0% | 60.0% | quality_below_threshold 2 |",
        "| synth_faithfulness | 18 | 14 | 77.8% | 46.7% | copied 2, invented 2 |",
        "| synth_near_dedup | 14 | 6 | 42.9% | 20.0% | near_duplicate 6, near_duplicate_of_source 2 |",
        "| decontaminate | 6 | 5 | 83.3% | 16.7% | contaminated 1 |",
    ):
        assert row in lines, row
    # the cache counts requests (claims), not HTTP attempts: the failing one's retry is inside one send
    assert "request cache: 30 answered, 2 failed, 0 pending; 32 sends, 0 beyond the first" in text
    kept = sorted(read_output_rows(tmp / "out"), key=lambda row: row["id"])
    shown = [line for line in lines if line.startswith("--- ")]
    assert [line.split()[1] for line in shown] == [row["id"] for row in kept[:2]]
    assert "template: textbook_chapter; model: scripted" in shown[0]
    assert kept[0]["text"][:200] in text

    assert main(["synth-report", str(tmp / "in")]) == 2  # no summary.json: a run folder is needed
    assert main(["synth-report", str(tmp / "out"), "--cache", str(tmp / "missing.sqlite")]) == 2
    assert "missing.sqlite does not exist" in capsys.readouterr().err


def test_the_demo_recipe_runs_end_to_end_with_only_its_backend_swapped(tmp_path, caplog):
    """pipelines/synth_demo.yaml as `make demo` runs it (stages, templates, sampling, quotas), except that a
    scripted server answers instead of SmolLM2, over a topics-like Parquet input."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from curation.recipe import load_recipe, recipe_from_dict

    shipped = load_recipe(Path(__file__).resolve().parents[1] / "pipelines" / "synth_demo.yaml")
    data = shipped.model_dump(exclude_none=True)
    assert data["stages"][1]["params"]["backend"]["model"] == "bundled:smollm2"
    rows = []
    for i, d in enumerate(docs(14, words=90, seed=21)):
        topic = i // 2
        quality = 0.3 if topic == 6 else 0.8  # topic 6: below the demo's min_quality
        rows.append(
            dict(d, topic_id=topic, topic_name=f"topic {topic}", topic_low_confidence=False, quality_score=quality)
        )
    rows = [dict(row, language="en") for row in rows]
    (tmp_path / "in").mkdir()
    pq.write_table(pa.Table.from_pylist(rows[::2]), tmp_path / "in" / "part-0.parquet")
    pq.write_table(pa.Table.from_pylist(rows[1::2]), tmp_path / "in" / "part-1.parquet")
    texts = [row["text"] for row in rows]

    def answer(request):
        content = request.messages[-1]["content"]
        source = next(text for text in texts if text in content)
        parts = sentences(source)
        if content.startswith("List the facts"):
            facts = [*parts[1:6:2], "Every fact in this list comes from one short document about a topic."]
            return "\n".join(f"- {fact}" for fact in facts)
        return " ".join([*parts[0:6:2], "The document covers these points in a plain and simple order."])

    with ChatServer(ScriptedResponder(answer), model="scripted") as server:
        swapped = dict(
            data["stages"][1]["params"], backend={"kind": "openai", "base_url": server.base_url, "model": "s"}
        )
        data["stages"][1]["params"] = swapped
        recipe = recipe_from_dict(data, "synth_demo.yaml with a scripted backend")
        report = run_recipe(recipe, input_path=str(tmp_path / "in"), output_path=str(tmp_path / "out"), progress="none")
        assert report.ok, report.summary["shards"]["failures"]
    gc.collect()  # an HTTP session left open is reported when it is collected
    assert not [r.getMessage() for r in caplog.records if "Unclosed" in r.getMessage()]
    ours = recipe.model_dump(exclude_none=True)
    for before, after in zip(shipped.model_dump(exclude_none=True)["stages"], ours["stages"], strict=True):
        if after.get("stage") == "synth_generate":
            before["params"].pop("backend"), after["params"].pop("backend")
        assert before == after  # every stage and parameter as shipped, the backend aside
    assert report.summary["totals"]["reconciled"]
    requests = stage_row(report.summary, "synth_requests")
    assert requests["out"] == 8 and requests["dropped"]["below_min_quality"] == 2  # 4 documents x 2 templates
    assert sum(server.log.received.values()) == 8
    kept = read_output_rows(tmp_path / "out")
    assert len(kept) == 8 and report.summary["totals"]["kept"] == 8
    assert {row[R.TEMPLATE_ID] for row in kept} == {"distilled_summary", "knowledge_list"}
    assert len({row[R.TOPIC_ID] for row in kept}) == 4  # one document from each of four topics
    assert all(row[R.MAX_TOKENS] == 250 and row[R.TEMPERATURE] == 0.2 and row[R.TOP_P] == 0.9 for row in kept)
