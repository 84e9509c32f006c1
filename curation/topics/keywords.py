"""Topic keywords by class-based TF-IDF (c-TF-IDF): words frequent in one topic and rare in the others.

All of a topic's documents are treated as one document (the "class"), and each word is weighted by

    c-TF-IDF(t, c) = tf(t, c) / |c| * log(1 + A / f(t))

where ``tf(t, c)`` counts word ``t`` in topic ``c``, ``|c|`` is the number of words in ``c``, ``A`` is the
average number of words per topic and ``f(t)`` the count of ``t`` over all topics (the weighting
Grootendorst's BERTopic uses). Tokenising, stop words and the vocabulary are scikit-learn's
``CountVectorizer``: the vocabulary is fitted once on the fit sample, then every document's words are
counted into a ``(topics, vocabulary)`` sparse matrix shard by shard, so memory is bounded by the
vocabulary and the number of topics, not the corpus.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import sparse

DEFAULT_MAX_FEATURES = 50_000
MAX_DOCUMENT_SHARE = 0.5
MIN_DF_FROM = 500
TOKEN_PATTERN = r"(?u)\b[^\W\d_][^\W\d_]+\b"
"""Words of two or more letters (any script): numbers and underscores name no topic."""


def build_vectorizer(
    vocabulary: Sequence[str] | None = None,
    stop_words: str | list[str] | None = "english",
    max_features: int = DEFAULT_MAX_FEATURES,
    min_df: int = 2,
    max_df: float = 1.0,
):
    """A ``CountVectorizer``: with ``vocabulary`` fixed (to count), or ready to ``fit`` one (on the sample)."""
    from sklearn.feature_extraction.text import CountVectorizer

    if vocabulary is not None:
        return CountVectorizer(vocabulary=list(vocabulary), stop_words=stop_words, token_pattern=TOKEN_PATTERN)
    return CountVectorizer(
        stop_words=stop_words,
        token_pattern=TOKEN_PATTERN,
        max_features=max_features,
        min_df=min_df,
        max_df=max_df,
        dtype=np.int64,
    )


def fit_vocabulary(
    texts: Sequence[str],
    stop_words: str | list[str] | None = "english",
    max_features: int = DEFAULT_MAX_FEATURES,
    min_df: int | None = None,
    max_df: float = MAX_DOCUMENT_SHARE,
) -> list[str]:
    """The ``max_features`` most frequent words of ``texts`` seen in at least ``min_df`` and at most a share
    ``max_df`` of them, in vocabulary order.

    ``min_df`` None is 2 on samples of ``MIN_DF_FROM`` texts or more (a word seen once is noise there) and 1
    below. Words in most documents ("said", "also") name no topic, however the weighting treats them. Falls back to
    ``min_df = 1`` and no upper bound when the stricter setting leaves no word (a tiny sample), and to an
    empty vocabulary when the texts hold no words at all.
    """
    if min_df is None:
        min_df = 2 if len(texts) >= MIN_DF_FROM else 1
    for low, high in dict.fromkeys(((min_df, max_df), (1, 1.0))):
        vectorizer = build_vectorizer(None, stop_words, max_features, low, high)
        try:
            vectorizer.fit(texts)
        except ValueError:  # "empty vocabulary": every word was a stop word, or there were none
            continue
        return sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.get)
    return []


def topic_term_counts(vectorizer, texts: Sequence[str], topics: np.ndarray, k: int) -> sparse.csr_matrix:
    """``(k, vocabulary)`` int64 sparse counts of each vocabulary word in each topic's ``texts``."""
    width = len(vectorizer.vocabulary)
    if not len(texts) or not width:
        return sparse.csr_matrix((k, width), dtype=np.int64)
    documents = vectorizer.transform(texts)
    membership = sparse.csr_matrix(
        (np.ones(len(topics), dtype=np.int64), (np.asarray(topics), np.arange(len(topics)))), shape=(k, len(topics))
    )
    return (membership @ documents).tocsr()


def ctfidf(counts: sparse.spmatrix) -> sparse.csr_matrix:
    """c-TF-IDF weights of a ``(topics, vocabulary)`` count matrix (see the module docstring)."""
    counts = sparse.csr_matrix(counts, dtype=np.float64)
    words_per_topic = np.asarray(counts.sum(axis=1)).ravel()
    frequency = np.asarray(counts.sum(axis=0)).ravel()
    average = words_per_topic.mean() if len(words_per_topic) else 0.0
    idf = np.log1p(average / np.maximum(frequency, 1.0))
    tf = sparse.diags(1.0 / np.maximum(words_per_topic, 1.0)) @ counts
    return (tf @ sparse.diags(idf)).tocsr()


def top_keywords(weights: sparse.spmatrix, vocabulary: Sequence[str], count: int) -> list[list[str]]:
    """The ``count`` highest-weighted words of each row (ties: alphabetical order of the vocabulary)."""
    weights = sparse.csr_matrix(weights)
    result: list[list[str]] = []
    for row in range(weights.shape[0]):
        start, end = weights.indptr[row], weights.indptr[row + 1]
        columns, values = weights.indices[start:end], weights.data[start:end]
        keep = values > 0
        columns, values = columns[keep], values[keep]
        order = np.lexsort((columns, -values))[:count]
        result.append([vocabulary[c] for c in columns[order]])
    return result
