"""Training mixtures by tokens: sources selected from curated outputs, staged budgets, capped repetition.

``curate mix MIXTURE.yaml --output DIR`` (or ``run_mixture``) scans the inputs' metadata, plans every stage
to the token (largest remainder over the shares, seeded sampling in whole passes, ``max_repetitions`` and
``max_share`` caps), refuses an infeasible target before writing anything, then writes each stage's shards
with ``mix_stage``, ``mix_source`` and ``repetition`` columns and a ``mixture.json`` manifest. See
``docs/mix.md``.
"""

from curation.mix.loader import MixtureError, load_mixture, parse_mixture
from curation.mix.model import Mixture
from curation.mix.plan import InfeasibleMixtureError
from curation.mix.run import MixInputError, MixOutputError, MixReport, run_mixture

__all__ = [
    "InfeasibleMixtureError",
    "MixInputError",
    "MixOutputError",
    "MixReport",
    "Mixture",
    "MixtureError",
    "load_mixture",
    "parse_mixture",
    "run_mixture",
]
