"""Templates, request planning, the answer filters and score parsing, on their own."""

from __future__ import annotations

import orjson
import pytest
from datatrove.data import Document

from curation.synth import records as R
from curation.synth.annotate import load_rubric, parse_score
from curation.synth.filters import FaithfulnessFilter, LengthFilter, RefusalFilter, ResponseFormatFilter
from curation.synth.planning import Candidate, make_plan, quality_tier
from curation.synth.templates import (
    TemplateError,
    builtin_templates,
    cut_to_tokens,
    load_template,
    parse_template,
)

TEMPLATE = """
id: custom
version: 3
applies_to: {quality_tiers: [low], languages: [en], topics: [7, "ships"]}
input_tokens: {min: 10, max: 50}
output_tokens: {min: 5, max: 100}
response_prefix: "Q:"
format: {kind: qa_pairs, min_items: 2}
user: "About {{ topic.name }} ({{ topic.keywords | join('/') }}): {{ document.text }}"
"""


def test_builtin_templates_load_and_render():
    assert builtin_templates() == [
        "distilled_summary",
        "knowledge_list",
        "qa_pairs",
        "textbook_chapter",
        "wiki_paraphrase",
    ]
    for name in builtin_templates():
        template = load_template(name)
        messages = template.render({"text": "Some text.", "id": "x"}, {"id": 1, "name": "boats", "keywords": []}, 0)
        assert messages[-1]["role"] == "user" and "Some text." in messages[-1]["content"]
        assert "boats" in messages[-1]["content"]
        assert template.output_tokens.max >= template.output_tokens.min


def test_custom_template_applicability_and_errors(tmp_path):
    template = parse_template(TEMPLATE)
    assert template.version_tag == "3"
    assert template.applies("low", "en", 7, "x") and template.applies("low", "en", 1, "ships")
    assert not template.applies("high", "en", 7, "x") and not template.applies("low", "de", 7, "x")
    assert not template.applies("low", "en", 1, "rivers")
    messages = template.render({"text": "T"}, {"id": 7, "name": "ships", "keywords": ["hull", "sail"]}, 0)
    assert messages == ({"role": "user", "content": "About ships (hull/sail): T"},)
    with pytest.raises(TemplateError, match="version"):
        parse_template(TEMPLATE.replace("version: 3", "version: 0"))
    with pytest.raises(TemplateError, match="min"):
        parse_template(TEMPLATE.replace("{min: 5, max: 100}", "{min: 500, max: 100}"))
    with pytest.raises(TemplateError, match="Jinja2"):
        parse_template(TEMPLATE.replace("{{ document.text }}", "{{ document.text"))
    with pytest.raises(TemplateError, match="built-in id"):
        load_template(str(tmp_path / "nothing.yaml"))
    with pytest.raises(Exception, match="has no attribute 'nmae'"):
        parse_template(TEMPLATE.replace("topic.name", "topic.nmae")).render({"text": "T"}, {"id": 1}, 0)


def test_cut_to_tokens_keeps_short_texts_and_cuts_long_ones():
    assert cut_to_tokens("a b c", 100) == ("a b c", False)
    text, cut = cut_to_tokens(" ".join(f"w{i}" for i in range(1000)), 300)
    assert cut and 200 <= len(text.split()) <= 226


def candidates(topic_sizes: dict[int, int], quality: float = 0.9) -> list[Candidate]:
    found = []
    for topic, size in topic_sizes.items():
        for i in range(size):
            found.append(
                Candidate("s", len(found), f"t{topic}-{i}", topic, f"topic {topic}", quality, "en", 300, False)
            )
    return found


def test_plan_balances_topics_respects_quotas_and_is_stable():
    templates = [load_template("textbook_chapter")]
    pool = candidates({0: 50, 1: 3, 2: 20})
    plan = make_plan(pool, templates, per_topic=10, topic_quotas={"2": 4})
    summary = plan.summary()
    assert {t: v["selected"] for t, v in summary["topics"].items()} == {"0": 10, "1": 3, "2": 4}
    assert summary["decisions"] == {"selected": 17, "over_topic_quota": 56}
    budget = make_plan(pool, templates, per_topic=10, max_documents=7)
    assert {t: v["selected"] for t, v in budget.summary()["topics"].items()} == {"0": 3, "1": 2, "2": 2}
    # the same documents are chosen whatever else is in the pool
    grown = make_plan(pool + candidates({5: 4}), templates, per_topic=10, topic_quotas={"2": 4})
    chosen = {k for k, v in plan.decisions.items() if not v}
    assert chosen <= {k for k, v in grown.decisions.items() if not v}


def test_plan_reasons():
    textbook = load_template("textbook_chapter")  # high, medium, unscored tiers; at least 60 tokens
    pool = [
        Candidate("s", 0, "none", None, None, 0.9, "en", 300, False),
        Candidate("s", 1, "unsure", 1, "x", 0.9, "en", 300, True),
        Candidate("s", 2, "weak", 1, "x", 0.05, "en", 300, False),
        Candidate("s", 3, "low-tier", 1, "x", 0.2, "en", 300, False),
        Candidate("s", 4, "tiny", 1, "x", 0.9, "en", 20, False),
        Candidate("s", 5, "fine", 1, "x", 0.9, "en", 300, False),
    ]
    plan = make_plan(pool, [textbook], per_topic=5, min_quality=0.1, tiers={"high": 0.7, "medium": 0.4, "low": 0.0})
    assert [plan.decisions[("s", i)] for i in range(6)] == [
        "no_topic",
        "low_confidence_topic",
        "below_min_quality",
        "no_template_applies",
        "no_template_applies",
        "",
    ]
    assert quality_tier(None, {"high": 0.5}) == "unscored" and quality_tier(0.1, {"high": 0.5, "low": 0.2}) == "low"


def synthetic(text: str, expect: dict, **metadata) -> Document:
    base = {"response_prefix": "", "format": "prose", "min_items": 1, "min_tokens": 0, "max_tokens": 100}
    return Document(text=text, id="x", metadata={R.EXPECT: orjson.dumps(base | expect).decode(), **metadata})


def verdicts(stage, documents):
    return [stage.filter(d) for d in documents]


def test_format_filter():
    stage = ResponseFormatFilter()
    qa = "Question 1: Why?\nAnswer 1: Because.\nQuestion 2: How?\nAnswer 2: Slowly."
    items = "- one fact here\n- another fact\n* a third one"
    assert verdicts(
        stage,
        [
            synthetic(qa, {"format": "qa_pairs", "min_items": 2, "response_prefix": "Question 1:"}),
            synthetic(qa, {"format": "qa_pairs", "min_items": 3}),
            synthetic(items, {"format": "list", "min_items": 3, "response_prefix": "- "}),
            synthetic("Answer without the prefix.", {"response_prefix": "# "}),
            synthetic("  ... ", {}),
            synthetic("# A long enough answer that stopped.", {}, **{R.FINISH_REASON: "length"}),
            Document(text="plain", id="y"),
        ],
    ) == [
        True,
        (False, "wrong_format"),
        True,
        (False, "missing_response_prefix"),
        (False, "empty_response"),
        (False, "truncated_response"),
        True,
    ]


def test_length_refusal_and_faithfulness_filters():
    source = "the river runs past the old mill and the farmers water their rice fields from it every summer"
    length = LengthFilter()
    assert verdicts(
        length,
        [
            synthetic("short", {"min_tokens": 5}, **{R.COMPLETION_TOKENS: 2}),
            synthetic("fine answer", {"min_ratio": 0.5}, **{R.SOURCE_TEXT: source}),
            synthetic((source + " ") * 3, {"max_ratio": 2.0, "max_tokens": 1000}, **{R.SOURCE_TEXT: source}),
        ],
    ) == [(False, "too_short"), (False, "length_ratio_too_low"), (False, "length_ratio_too_high")]
    refusal = RefusalFilter()
    assert verdicts(
        refusal,
        [
            synthetic("As an AI language model I cannot do that.", {}),
            synthetic("I'm sorry, but I can't help with this request.", {}),
            synthetic("Sure! Here is a chapter about rivers.\n\nRivers flow.", {}),
            synthetic("Rivers flow to the sea. I hope this helps!", {}),
            synthetic("Rivers flow to the sea, and farmers use them.", {}),
            # SmolLM2-135M-Instruct's answer to a wiki_paraphrase request (benchmarks/synth_smollm2.py)
            synthetic(
                "This is a perfect summary of the article. The text effectively conveys the story of Germany's "
                "economic growth, focusing on the key points.",
                {},
            ),
            synthetic("This is a river that floods every summer; a summary of its history follows.", {}),
        ],
    ) == [
        (False, "refusal"),
        (False, "refusal"),
        (False, "meta_talk"),
        (False, "meta_talk"),
        True,
        (False, "meta_talk"),
        True,
    ]
    faithful = FaithfulnessFilter(ngram=2, min_overlap=0.2, max_overlap=0.9)
    rewrite = "Farmers water their rice fields from the river every summer, near the old mill."
    assert verdicts(
        faithful,
        [
            synthetic(rewrite, {}, **{R.SOURCE_TEXT: source}),
            synthetic(source, {}, **{R.SOURCE_TEXT: source}),
            synthetic("Bake bread in a hot oven for forty minutes.", {}, **{R.SOURCE_TEXT: source}),
        ],
    ) == [True, (False, "copied"), (False, "invented")]


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("The text is informative.\nEducational score: 3", (3.0, None)),
        ("Points: 2, then more thinking... **Score:** 4", (4.0, None)),
        ("I would give it 4/5.", (4.0, None)),
        ("Total points = 2 out of 5", (2.0, None)),
        ("Reasoning first.\n\n5", (5.0, None)),
        ("Educational score: 7", (None, "score_out_of_range")),
        ("It rates 8/10.", (None, "unparseable_score")),
        ("No number at all, sorry.", (None, "unparseable_score")),
        ("", (None, "unparseable_score")),
    ],
)
def test_scores_are_parsed_robustly(answer, expected):
    assert parse_score(answer, 0, 5) == expected


def test_builtin_rubric():
    rubric = load_rubric("educational_value")
    messages = rubric.render("word " * 5000)
    assert "Educational score: N" in messages[-1]["content"]
    assert len(messages[-1]["content"].split()) < 1500  # the document is cut to max_document_tokens
    assert rubric.tag == "educational_value-v1"


def test_vllm_backend_says_what_to_install_when_missing():
    from curation.synth.backends import make_backend
    from curation.synth.backends.base import BackendConfigError
    from curation.synth.backends.vllm_offline import vllm_available

    if vllm_available():
        pytest.skip("vLLM is installed here")
    with pytest.raises(BackendConfigError, match="needs vLLM installed"):
        make_backend({"kind": "vllm", "model": "some/model"})


def test_sampling_and_completion_dicts_name_every_field():
    from dataclasses import asdict

    from curation.synth.backends.base import Completion, SamplingParams

    sampling = SamplingParams(0.3, 0.9, 12, 5)
    completion = Completion("text", "stop", 1, 2, "model")
    for value in (sampling, completion):  # written out by hand for speed: a new field must not be left out
        assert value.to_dict() == asdict(value) and list(value.to_dict()) == list(asdict(value))
    assert Completion.from_dict(completion.to_dict()) == completion
