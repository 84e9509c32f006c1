"""``curate annotate``: rubric scores from a real HTTP server, parsed robustly, resumable, written as a
labels file that ``curate train`` takes as it is; and the LLM topic namer."""

from __future__ import annotations

from dataclasses import dataclass

from curation.classify.labels import read_labeled
from curation.cli import main
from curation.synth.naming import clean_name, llm_namer
from curation.synth.server import ChatServer
from tests.helpers import docs, write_jsonl
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
