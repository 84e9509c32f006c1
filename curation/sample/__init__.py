"""Deterministic sample corpus with ground truth, for the demo and the tests.

`generate_sample(out_dir)` writes a small web-like corpus (English majority plus German, French and
Spanish; six topical domains; boilerplate, spam and short junk; exact and near duplicates; a few
malformed lines) together with `truth.jsonl`, which says for every shard line what a correct
pipeline should conclude about it. Everything is generated from word lists and grammars in this
package, so it needs no network access or data files.

Ground-truth rows (`load_truth`) have the fields `id`, `shard`, `line` (1-based, in the decompressed
shard), `language`, `domain`, `quality` (`good`/`boilerplate`/`spam`/`short`), `is_junk`,
`exact_dup_of`, `near_dup_of` and `malformed` (`malformed_json`/`invalid_utf8`/`missing_text`/
`non_string_text`). Malformed rows have `is_junk` true and null `language`, `domain` and `quality`;
their `id` is null when the line holds no recoverable id (`malformed_json`).
"""

from curation.sample.generator import generate_sample
from curation.sample.manifest import SampleManifest, load_truth

__all__ = ["SampleManifest", "generate_sample", "load_truth"]
