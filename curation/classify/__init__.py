"""Quality and domain classifiers: build labeled sets, train, evaluate, score every document, route by domain.

- ``labelsets``: deterministic labeled sets (reference vs. web; the sample corpus's quality and domains);
- ``labels``: the labeled JSONL format (``label`` or ``score`` per document, ``source``), splits, held-out sources;
- ``card``: a classifier's card and training recipe (``classifiers/<name>/``);
- ``fasttext_trainer`` / ``hf_trainer``: the two trainers; ``training`` writes the model folder, ``train_cli``
  is ``curate train``; ``evaluation`` / ``metrics`` measure a model overall and per source;
- ``models``: a model folder behind one interface (transformers through the inference engine, or fastText);
- ``quality`` / ``domain`` / ``lm_classifier`` / ``perplexity``: the scoring stages (scores go into metadata);
- ``signals`` / ``combiner``: the quality signals a run computes, and a logistic regression over them;
- ``rule_scores`` / ``compare`` / ``compare_cli``: the rule filters as a score, several scorers against human
  labels beside the word count (``curate compare``);
- ``demo``: the demo's fastText models, trained in seconds.

See ``docs/classifiers.md``.

Kept free of heavy imports: the registry reads ``STAGES`` without loading torch or fastText.
"""

STAGES = {
    "quality_score": "curation.classify.quality:QualityScore",
    "domain_classify": "curation.classify.domain:DomainClassify",
    "lm_quality_score": "curation.classify.lm_classifier:LMQualityScore",
    "perplexity": "curation.classify.perplexity:Perplexity",
}
"""Recipe names of this area's stages (``module:Class``, imported lazily by the registry)."""
