"""Language identification, rule-based quality filters (per language) and PII redaction.

Kept free of heavy imports: the registry reads ``STAGES`` without loading fastText or spaCy.
"""

STAGES = {
    "language_id": "curation.filters.langid:LanguageIdentifier",
    "gopher_quality": "curation.filters.rules:GopherQuality",
    "gopher_repetition": "curation.filters.rules:GopherRepetition",
    "c4_quality": "curation.filters.rules:C4Quality",
    "fineweb_quality": "curation.filters.rules:FineWebQuality",
    "pii_redact": "curation.filters.pii:PIIRedactor",
}
