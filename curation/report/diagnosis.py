"""What a finished run's numbers say that a user should act on, in one line each.

A run can end "successfully" and still be useless: every record quarantined because the text is under
another field name, or a folder that mixes shards of two recipes. ``run_warnings`` reads the summary (and,
to name the fields the records do have, one quarantine record) and says what happened and the likely fix.
The warnings go into ``summary.json`` and ``curate run`` prints them at the end.
"""

from __future__ import annotations

from typing import Any

import orjson
from datatrove.io import DataFolder

from curation.io.layout import QUARANTINE_DIR
from curation.io.quarantine import QuarantineReason

QUARANTINE_WARNING_SHARE = 0.5
"""Warn when at least this share of a run's records went to quarantine for one reason."""

FIXES = {
    QuarantineReason.MISSING_TEXT: "set input.text_field in the recipe or pass --text-field",
    QuarantineReason.NON_STRING_TEXT: "point input.text_field (or --text-field) at a field that holds text",
    QuarantineReason.MALFORMED_JSON: "check that the files are JSON Lines (one object per line), or set input.format",
    QuarantineReason.NOT_AN_OBJECT: "each line must be a JSON object with a text field",
    QuarantineReason.INVALID_UTF8: "the files are not UTF-8; convert them first",
    QuarantineReason.EMPTY_FILE: "the input files are empty",
    QuarantineReason.UNREADABLE_PARQUET: "the files are not readable Parquet; check input.format and the files",
    QuarantineReason.TRUNCATED_STREAM: "the compressed files end early (incomplete downloads?)",
    QuarantineReason.CORRUPT_STREAM: "the compressed files are damaged or not of the format their suffix says",
    QuarantineReason.MALFORMED_WARC: "the files are not valid WARC; check input.format",
}


def run_warnings(summary: dict[str, Any], output: DataFolder, other_recipe: list[str] | None = None) -> list[str]:
    """One line per thing to act on (empty when all is well)."""
    warnings = []
    quarantine = quarantine_warning(summary["totals"], output)
    if quarantine:
        warnings.append(quarantine)
    if other_recipe:
        count = len(other_recipe)
        warnings.append(
            f"{count} shard{'s' if count != 1 else ''} in the output folder (e.g. {other_recipe[0]!r}) "
            f"{'were' if count != 1 else 'was'} completed by another recipe and left as "
            f"{'they are' if count != 1 else 'it is'}: not in this run's selection, and not counted in this summary"
        )
    return warnings


def quarantine_warning(totals: dict[str, Any], output: DataFolder) -> str | None:
    """Say so when most records of the run were quarantined for one reason, with the likely fix."""
    records = totals["records_in"]
    by_reason = totals["quarantined_by_reason"]
    if not records or not by_reason:
        return None
    reason, count = max(by_reason.items(), key=lambda item: item[1])
    if count < QUARANTINE_WARNING_SHARE * records:
        return None
    share = f"all {records:,}" if count == records else f"{count:,} of {records:,} ({100 * count / records:.0f}%)"
    noun = "record" if records == 1 else "records"
    message = f"{share} {noun} were quarantined as {reason}"
    detail = _example_detail(output, reason)
    if detail:
        message += f" ({detail})"
    fix = FIXES.get(reason)
    if fix:
        message += f"; {fix}"
    return message + f"; each record's position and reason: {QUARANTINE_DIR}/ in the output"


def _example_detail(output: DataFolder, reason: str, max_files: int = 20) -> str | None:
    """The ``detail`` of one quarantine record with ``reason`` (e.g. which fields the records do have)."""
    if not output.exists(QUARANTINE_DIR):
        return None
    for path in sorted(output.find(QUARANTINE_DIR))[:max_files]:
        try:
            with output.open(path, "rb") as handle:
                for _, line in zip(range(100), handle, strict=False):
                    record = orjson.loads(line)
                    if record.get("reason") == reason and record.get("detail"):
                        return str(record["detail"])
        except (OSError, orjson.JSONDecodeError):
            continue
    return None
