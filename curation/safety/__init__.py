"""Sensitive and unsafe content: URL block lists, word lists per language, the operator's term lists and a
safety classifier, each counted and configurable from a recipe.

Kept free of heavy imports: the registry reads ``STAGES`` without loading word lists, block lists or models.
"""

STAGES = {
    "url_filter": "curation.safety.urls:URLBlocklist",
    "flagged_words": "curation.safety.flagged:FlaggedWords",
    "term_lists": "curation.safety.terms:TermLists",
    "safety_score": "curation.safety.classifier:SafetyScore",
}
"""Recipe names of this area's stages (``module:Class``, imported lazily by the registry)."""
