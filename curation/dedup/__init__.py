"""Deduplication: exact and MinHash near-duplicate removal across the whole corpus, and decontamination.

The algorithms are plain modules (``signatures``, ``lsh``, ``clusters``, ``exact``, ``index``) so they can be
used and tested alone and driven by any executor; the stages are thin wrappers. Stage registration stays
free of heavy imports (numba, scipy load only when a stage is built).
"""

STAGES = {
    "exact_dedup": "curation.dedup.exact_stage:ExactDedup",
    "minhash_dedup": "curation.dedup.minhash_stage:MinHashDedup",
    "decontaminate": "curation.dedup.decontamination:Decontaminate",
}
