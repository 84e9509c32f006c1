"""The rules' word splitter: the words of datatrove's blank spaCy pipelines, without loading spaCy."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from datatrove.utils.word_tokenizers import SpaCyTokenizer

from curation.filters.words import RegexWordSplitter, word_splitter_for

REPO_ROOT = Path(__file__).resolve().parents[1]
SENTENCES = {
    "en": [
        "Hello, world! It's a well-known fact (really) that the U.S. costs $5.00 vs. 10% e.g. at 3:30pm.",
        "Visit https://example.com/a?b=c or www.test.org, mail me@example.com!!",
        "I don't think they'll come; we've said it: \"no\" -- and that's that...",
        "Mr. Smith met Dr. Jones on Jan. 3rd in the 1990s, at 5km/h [see p. 4].",
    ],
    "de": ["Die Brücke, nicht das Boot. Herr Dr. Müller kam am 3. März (ca. 30 Jahre alt), z.B. heute."],
    "fr": ["C'est l'homme qu'il a vu aujourd'hui ; « bonjour », dit-il. Est-ce vrai ? A-t-il 3,5 kg ?"],
    "es": ["¿Qué tal? ¡Hola! El Sr. García pagó 1.000,5 euros en EE.UU. el año pasado."],
}


@pytest.mark.parametrize("language", sorted(SENTENCES))
def test_words_match_the_blank_spacy_pipeline(language):
    spacy = SpaCyTokenizer(language)
    splitter = RegexWordSplitter(language)
    for sentence in SENTENCES[language]:
        assert splitter.word_tokenize(sentence) == spacy.word_tokenize(sentence), sentence


def test_sentences_end_where_the_sentencizer_ends_them():
    text = 'Mr. Smith came home. He left again! "Why?" she asked. The U.S. team won 3.5 to 2... Then it rained'
    spacy = SpaCyTokenizer("en")
    assert RegexWordSplitter("en").sent_tokenize(text) == spacy.sent_tokenize(text)


def test_the_rule_stages_never_import_spacy():
    code = (
        "import sys\n"
        "from datatrove.data import Document\n"
        "from curation.recipe.registry import build_stage\n"
        "stages = [build_stage(n, {}) for n in ('gopher_quality', 'gopher_repetition', 'fineweb_quality',"
        " 'c4_quality')]\n"
        "for language in ('en', 'de', 'fr', 'zh', 'ar'):\n"
        "    d = Document(text='Ein Satz. ' * 60, id='x', metadata={'language': language})\n"
        "    [s.filter(d) for s in stages]\n"
        "print('spacy' in sys.modules, 'stanza' in sys.modules)\n"
    )
    env = os.environ | {"PYTHONPATH": str(REPO_ROOT)}
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False"]


def test_each_language_gets_one_shared_splitter_and_missing_segmenters_are_fallbacks():
    assert word_splitter_for("de") is word_splitter_for("de")
    assert not word_splitter_for("en").fallback
    chinese = word_splitter_for("zh")
    if chinese.fallback:  # jieba not installed: spaces and punctuation, counted as a fallback
        assert isinstance(chinese.tokenizer, RegexWordSplitter)
    hindi = word_splitter_for("hi")  # datatrove would use Stanza, which downloads its model
    assert isinstance(hindi.tokenizer, RegexWordSplitter) and hindi.fallback
    assert word_splitter_for("ar").tokenizer.language == "xx"  # datatrove's table: spaCy's multi-language rules


def test_a_splitter_travels_to_worker_processes():
    import pickle

    splitter = RegexWordSplitter("fr")
    splitter.word_tokenize("l'homme")
    copy = pickle.loads(pickle.dumps(splitter))
    assert copy.language == "fr" and copy.word_tokenize("l'homme") == ["l'", "homme"]
