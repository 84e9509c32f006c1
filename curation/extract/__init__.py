"""WARC/HTML → text: charset decoding (used by the WARC reader), main-text extractors, per-page time limit.

Kept free of heavy imports: the registry reads ``STAGES`` without loading trafilatura or Resiliparse.
"""

STAGES = {
    "extract_text": "curation.extract.stage:ExtractText",
}
