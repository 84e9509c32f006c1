"""Score a run's output against a sample corpus's ground truth: did the pipeline do the right things?

The sample corpus (``curate sample``) records for every record whether it is junk, a duplicate, malformed,
and its language and domain. Comparing the curated output with that truth turns the demo and the tests
from "it ran" into "it removed 92% of the junk and kept 99% of the good prose".
"""

from __future__ import annotations

import gzip
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pyarrow.parquet as pq

from curation.io.layout import MARKERS_DIR, QUARANTINE_DIR, SUMMARY_FILE


@dataclass
class Evaluation:
    """Counts and rates of one comparison; ``to_dict`` is what ``curate evaluate --json`` prints."""

    records: int = 0
    kept: int = 0
    junk_total: int = 0
    junk_removed: int = 0
    good_total: int = 0
    good_kept: int = 0
    good_kept_by_language: dict[str, tuple[int, int]] = field(default_factory=dict)
    duplicates_total: int = 0
    duplicates_removed: int = 0
    malformed_total: int = 0
    malformed_quarantined: int = 0
    language_checked: int = 0
    language_correct: int = 0
    domain_checked: int = 0
    domain_correct: int = 0
    unexpected_ids: int = 0

    @staticmethod
    def _rate(part: int, whole: int) -> float | None:
        return round(part / whole, 4) if whole else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "records": self.records,
            "kept": self.kept,
            "junk_removed_rate": self._rate(self.junk_removed, self.junk_total),
            "good_kept_rate": self._rate(self.good_kept, self.good_total),
            "good_kept_by_language": {
                language: self._rate(kept, total)
                for language, (kept, total) in sorted(self.good_kept_by_language.items())
            },
            "duplicates_removed_rate": self._rate(self.duplicates_removed, self.duplicates_total),
            "malformed_quarantined_rate": self._rate(self.malformed_quarantined, self.malformed_total),
            "language_accuracy": self._rate(self.language_correct, self.language_checked),
            "domain_accuracy": self._rate(self.domain_correct, self.domain_checked),
            "unexpected_ids": self.unexpected_ids,
            "counts": {
                "junk": [self.junk_removed, self.junk_total],
                "good": [self.good_kept, self.good_total],
                "duplicates": [self.duplicates_removed, self.duplicates_total],
                "malformed": [self.malformed_quarantined, self.malformed_total],
            },
        }


def load_output_rows(output_dir: Path, columns: tuple[str, ...] = ("id", "language", "domain")) -> list[dict]:
    """The rows of every visible output shard (Parquet or JSONL), restricted to ``columns`` when present."""
    rows: list[dict] = []
    for path in sorted(output_dir.rglob("*")):
        relative = path.relative_to(output_dir)
        if not path.is_file() or any(part.startswith(("_", ".")) for part in relative.parts):
            continue
        if path.name.endswith(".parquet"):
            schema = pq.read_schema(path)
            rows += pq.read_table(path, columns=[c for c in columns if c in schema.names]).to_pylist()
        elif path.name.endswith((".jsonl.gz", ".jsonl")):
            data = path.read_bytes()
            data = gzip.decompress(data) if path.name.endswith(".gz") else data
            rows += [{c: row.get(c) for c in columns} for row in map(orjson.loads, data.splitlines()) if row]
    return rows


def _quarantined_positions(output_dir: Path) -> set[tuple[str, int]]:
    positions = set()
    for path in (output_dir / QUARANTINE_DIR).rglob("*.jsonl") if (output_dir / QUARANTINE_DIR).is_dir() else []:
        for line in path.read_bytes().splitlines():
            record = orjson.loads(line)
            if record.get("line") is not None:
                positions.add((Path(record["source_file"]).name, int(record["line"])))
    return positions


class EvaluationError(ValueError):
    """The output folder or the truth file cannot be compared: missing, empty, or not what they should be."""


def _read_truth(truth_path: Path) -> list[dict[str, Any]]:
    if not truth_path.is_file():
        raise EvaluationError(
            f"truth file {str(truth_path)!r} does not exist; `curate sample DIR` writes DIR/truth.jsonl"
        )
    try:
        truth = [orjson.loads(line) for line in truth_path.read_bytes().splitlines() if line.strip()]
    except orjson.JSONDecodeError as error:
        raise EvaluationError(f"truth file {str(truth_path)!r} is not JSON Lines: {error}") from None
    well_formed = all(isinstance(r, dict) and (r.get("malformed") or ("id" in r and "is_junk" in r)) for r in truth)
    if not truth or not well_formed:
        raise EvaluationError(
            f"{str(truth_path)!r} is not a sample's truth file (one JSON object per record with id, is_junk, ...)"
        )
    return truth


def _check_output(output_dir: Path) -> None:
    if not output_dir.is_dir():
        raise EvaluationError(f"output folder {str(output_dir)!r} does not exist; give the --output of a curate run")
    if not (output_dir / MARKERS_DIR).is_dir() and not (output_dir / SUMMARY_FILE).is_file():
        raise EvaluationError(
            f"{str(output_dir)!r} holds no run output (no {SUMMARY_FILE}, no {MARKERS_DIR}/); "
            "give the --output folder of a curate run over the sample's shards"
        )


def evaluate_against_truth(output_dir: str | Path, truth_path: str | Path) -> Evaluation:
    """Compare the curated output in ``output_dir`` with a sample's ``truth.jsonl``.

    Raises ``EvaluationError`` when either is missing or is not what it should be (a folder that never held
    a run would otherwise score as "nothing kept").
    """
    output_dir = Path(output_dir)
    _check_output(output_dir)
    truth = _read_truth(Path(truth_path))
    rows = load_output_rows(output_dir)
    kept = {str(row["id"]): row for row in rows}
    quarantined = _quarantined_positions(output_dir)
    result = Evaluation(records=len(truth), kept=len(kept))
    by_language: dict[str, Counter] = {}
    known_ids = set()
    for record in truth:
        if record.get("malformed"):
            result.malformed_total += 1
            result.malformed_quarantined += (record["shard"], record["line"]) in quarantined
            continue
        doc_id = record["id"]
        known_ids.add(doc_id)
        is_kept = doc_id in kept
        is_duplicate = bool(record.get("exact_dup_of") or record.get("near_dup_of"))
        if is_duplicate:
            result.duplicates_total += 1
            result.duplicates_removed += not is_kept
        elif record["is_junk"]:
            result.junk_total += 1
            result.junk_removed += not is_kept
        else:
            result.good_total += 1
            result.good_kept += is_kept
            counts = by_language.setdefault(record["language"], Counter())
            counts["total"] += 1
            counts["kept"] += is_kept
        if is_kept and not record["is_junk"]:
            row = kept[doc_id]
            if row.get("language") is not None:
                result.language_checked += 1
                result.language_correct += row["language"] == record["language"]
            if row.get("domain") is not None and record.get("domain"):
                result.domain_checked += 1
                result.domain_correct += row["domain"] == record["domain"]
    result.good_kept_by_language = {lang: (c["kept"], c["total"]) for lang, c in by_language.items()}
    result.unexpected_ids = len(set(kept) - known_ids)
    return result


def render_evaluation(evaluation: Evaluation) -> str:
    """A short human report: one line per property the ground truth lets us check."""
    data = evaluation.to_dict()

    def line(label: str, rate: float | None, counts: list[int] | None = None, note: str = "") -> str:
        shown = "n/a" if rate is None else f"{rate:7.1%}"
        tally = f"  ({counts[0]:,}/{counts[1]:,})" if counts else ""
        return f"  {label:34} {shown}{tally}{note}"

    counts = data["counts"]
    lines = [
        f"ground truth check: {data['records']:,} records, {data['kept']:,} documents in the output",
        line("junk removed", data["junk_removed_rate"], counts["junk"]),
        line("good documents kept", data["good_kept_rate"], counts["good"]),
    ]
    for language, rate in data["good_kept_by_language"].items():
        kept, total = evaluation.good_kept_by_language[language]
        lines.append(line(f"  good kept, {language}", rate, [kept, total]))
    lines += [
        line(
            "duplicates removed",
            data["duplicates_removed_rate"],
            counts["duplicates"],
            "" if data["duplicates_removed_rate"] else "  (no dedup stage in this recipe?)",
        ),
        line("malformed records quarantined", data["malformed_quarantined_rate"], counts["malformed"]),
        line(
            "language id accuracy",
            data["language_accuracy"],
            None,
            "" if data["language_accuracy"] is not None else "  (no language column)",
        ),
        line(
            "domain accuracy",
            data["domain_accuracy"],
            None,
            "" if data["domain_accuracy"] is not None else "  (no domain column)",
        ),
    ]
    if data["unexpected_ids"]:
        lines.append(f"  ! {data['unexpected_ids']} output ids are not in the ground truth")
    return "\n".join(lines)
