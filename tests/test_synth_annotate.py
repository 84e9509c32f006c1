"""``curate annotate``: rubric scores from a real HTTP server, parsed robustly, resumable, written as a
labels file that ``curate train`` takes as it is; and the LLM topic namer."""

from __future__ import annotations

from dataclasses import dataclass

from curation.classify.labels import read_labeled
from curation.cli import main
from curation.synth.naming import clean_name, llm_namer
from curation.synth.server import ChatServer
from tests.helpers import docs, read_output_rows, write_jsonl
from tests.synth_support import ScriptedResponder

STYLES = {
    "alpha": "Clear and well organised; it explains one idea with an example.\nEducational score: 4",
    "beta": "Mostly adverts. **Score:** 1/5",
    "gamma": "I am not sure how to rate this.",
    "delta": "unused: this one always fails",
}


def write_corpus(folder, per_style: int = 5) -> None:
    rows = []
    for style in STYLES:
        for row in docs(per_style, prefix=f"{style}-", words=40, seed=len(rows)):
            rows.append(dict(row, text=f"{style} {row['text']}", source="web"))
    write_jsonl(folder / "part-0.jsonl", rows[::2])
    write_jsonl(folder / "part-1.jsonl", rows[1::2])


def rater(request):
    content = request.messages[-1]["content"]
    style = next(s for s in STYLES if f"\n{s} " in content)
    return STYLES[style]


def test_annotate_writes_labels_that_train_takes_and_resumes_without_resending(tmp_path, capsys):
    write_corpus(tmp_path / "in")
    responder = ScriptedResponder(rater, faults={"\ndelta ": [500] * 1000})
    with ChatServer(responder, model="judge") as server:
        labels = tmp_path / "labels.jsonl"
        command = ["annotate", str(tmp_path / "in"), "-o", str(labels), "--base-url", server.base_url]
        command += ["--model", "judge", "-q"]
        recipe = tmp_path / "annotate.yaml"
        backend = "{kind: openai, max_retries: 1, backoff: 0.01}"
        recipe.write_text(f"stages:\n  - stage: llm_annotate\n    params:\n      backend: {backend}\n")
        assert main([*command, "--recipe", str(recipe)]) == 0
        examples = read_labeled(labels)
        assert sorted({e.score for e in examples}) == [1.0, 4.0]
        assert len(examples) == 10 and all(e.source == "web" for e in examples)
        summary = (tmp_path / "labels.annotate" / "summary.json").read_text()
        assert '"unparseable_score": 5' in summary and '"request_failed_server_error": 5' in summary
        sent = sum(server.log.received.values())
        assert sent == 10 + 5 + 5 * 2  # parsed + unparseable + failing (1 retry each)
        assert main([*command, "--recipe", str(recipe)]) == 0  # a rerun: everything complete, nothing sent
        assert sum(server.log.received.values()) == sent
    model = tmp_path / "model"
    train = ["train", "classifiers/edu", "--data", str(labels), "--trainer", "fasttext", "--no-hold-out"]
    code = main([*train, "-o", str(model)])
    assert code == 0 and (model / "card.yaml").is_file()
    capsys.readouterr()


@dataclass(frozen=True)
class NamingRequest:  # the fields of curation.topics.naming.NamingRequest the namer reads
    topic_id: int
    keywords: tuple[str, ...]
    representatives: tuple[str, ...]
    size: int
    taken: frozenset[str] = frozenset()
    attempt: int = 1


def test_llm_namer_names_topics_through_the_cache(tmp_path):
    def name(request):
        content = request.messages[-1]["content"]
        if "choose another: crude oil markets" in content:  # asked again with the taken names
            return "Name: OPEC Supply Decisions."
        return '"Crude Oil Markets"' if "opec" in content else "Wheat Harvests"

    with ChatServer(ScriptedResponder(name), model="namer") as server:
        params = {"backend": {"kind": "openai", "base_url": server.base_url, "model": "namer"}}
        namer = llm_namer(**params, cache=str(tmp_path / "names.sqlite"))
        oil = NamingRequest(0, ("oil", "opec", "barrel"), ("OPEC cut output again.",), 40)
        assert namer(oil) == "Crude Oil Markets"
        again = NamingRequest(1, ("oil", "opec"), (), 10, frozenset({"crude oil markets"}), attempt=2)
        assert namer(again) == "OPEC Supply Decisions"
        assert namer(NamingRequest(2, ("wheat",), (), 5)) == "Wheat Harvests"
        sent = sum(server.log.received.values())
        renamed = llm_namer(**params, cache=str(tmp_path / "names.sqlite"))
        assert renamed(oil) == "Crude Oil Markets" and sum(server.log.received.values()) == sent
    assert clean_name("\n\n**Topic name:** Ocean Tides.\nBecause...") == "Ocean Tides"
    assert clean_name("   ") is None


CLARITY_RUBRIC = """\
id: clarity
version: {version}
description: how clearly a passage explains its subject, 1 to 3
scale: {{min: 1, max: 3}}
max_document_tokens: 20
max_tokens: 40
system: You judge passages for a reading course.
user: |
  Rate how clearly the passage explains its subject, from 1 (muddled) to 3 (clear).
  Passage:
  {{{{ document.text }}}}
  End with "Rating: N".
"""
CLARITY_ANSWERS = {
    "alpha": "It states one idea plainly.\nRating: 3",
    "beta": "Rating: 2/3",
    "gamma": "Score: 5",  # outside the rubric's 1-3 scale
    "delta": "Rating: 2/5",  # a fraction of another scale: not this rubric's score
}


def test_a_custom_rubric_file_sets_prompt_scale_and_cache_keys(tmp_path, capsys):
    write_corpus(tmp_path / "in")
    seen = []

    def rate(request):
        seen.append((request.messages, request.sampling.max_tokens))
        style = next(s for s in CLARITY_ANSWERS if f"\n{s} " in request.messages[-1]["content"])
        return CLARITY_ANSWERS[style]

    rubric = tmp_path / "clarity.yaml"
    rubric.write_text(CLARITY_RUBRIC.format(version=2))
    with ChatServer(ScriptedResponder(rate), model="judge") as server:
        labels = tmp_path / "labels.jsonl"
        command = ["annotate", str(tmp_path / "in"), "-o", str(labels), "--base-url", server.base_url]
        command += ["--model", "judge", "--rubric", str(rubric), "-q"]
        assert main(command) == 0
        assert len(seen) == 20
        for messages, max_tokens in seen:
            assert messages[0] == {"role": "system", "content": "You judge passages for a reading course."}
            user = messages[1]["content"]
            assert user.startswith("Rate how clearly the passage") and user.endswith('End with "Rating: N".')
            passage = user.split("Passage:\n", 1)[1].rsplit("\nEnd with", 1)[0]
            assert 5 < len(passage.split()) < 20  # cut to the rubric's max_document_tokens (41 words given)
            assert max_tokens == 40
        examples = read_labeled(labels)
        assert len(examples) == 10 and sorted({e.score for e in examples}) == [2.0, 3.0]
        summary = (tmp_path / "labels.annotate" / "summary.json").read_text()
        assert '"score_out_of_range": 5' in summary and '"unparseable_score": 5' in summary
        rows = read_output_rows(tmp_path / "labels.annotate")
        assert {row["llm_score_rubric"] for row in rows} == {"clarity-v2"}

        assert main(command) == 0 and len(seen) == 20  # the same rubric again: every answer from the cache
        assert not server.log.repeats()
        rubric.write_text(CLARITY_RUBRIC.format(version=3))
        capsys.readouterr()
        assert main(command) == 2 and len(seen) == 20  # the edited rubric is a changed recipe: nothing reused
        assert "different recipe" in capsys.readouterr().err
        # a new version is a new cache key for every document (the prompt text here is the same)
        assert main([*command, "--force"]) == 0 and len(seen) == 40
        rows = read_output_rows(tmp_path / "labels.annotate")
        assert {row["llm_score_rubric"] for row in rows} == {"clarity-v3"} and len(read_labeled(labels)) == 10

        broken = tmp_path / "broken.yaml"
        broken.write_text("id: clarity\nversion: 1\nscale: {min: 1, max: 3}\n")  # no user prompt
        capsys.readouterr()
        assert main([*command, "--rubric", str(broken)]) == 2  # the last --rubric counts
        error = capsys.readouterr().err
        assert str(broken) in error and "user" in error
