"""A pinned baseline: the metrics of one accepted state of the data, written only when asked.

``curate check ... --write-baseline FILE`` writes the metrics it measured; later runs pass ``--baseline FILE``
and checks with ``compare: change | abs_change | relative_change`` are judged against it. The file is plain
JSON (commit it next to the checks file), and it records what was measured (sample, seed, settings) so a
comparison between different measurements is pointed out.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from curation.checks.config import ChecksFile
from curation.checks.metrics import Metrics

BASELINE_FORMAT = "curate-check-baseline"
BASELINE_VERSION = 1


class BaselineError(ValueError):
    """A baseline file that cannot be read or is not a baseline."""


@dataclass(frozen=True)
class Baseline:
    path: str
    values: dict[str, Any]
    sample: dict[str, Any]
    settings: str
    created_at: str
    data: str

    def differences(self, metrics: Metrics, checks: ChecksFile) -> list[str]:
        """How this baseline was measured differently from now (empty when comparable)."""
        notes = []
        if self.settings != settings_fingerprint(checks):
            notes.append("the checks file's data or metrics settings changed since the baseline was written")
        now = metrics.details.get("sample", {})
        if (self.sample.get("sampled"), self.sample.get("requested"), self.sample.get("seed")) != (
            now.get("sampled"),
            now.get("requested"),
            now.get("seed"),
        ):
            notes.append(f"baseline: {self.sample.get('statement')}; now: {now.get('statement')}")
        return notes


def settings_fingerprint(checks: ChecksFile) -> str:
    """A short hash of everything that decides a metric's value (how data is read and metrics computed)."""
    payload = {"data": checks.data.model_dump(), "metrics": checks.metrics.model_dump()}
    return hashlib.sha256(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]


def write_baseline(path: str | Path, metrics: Metrics, checks: ChecksFile, data: str) -> None:
    """Write the measured metrics as a baseline (through a temporary name, so a reader never sees half)."""
    payload = {
        "format": BASELINE_FORMAT,
        "version": BASELINE_VERSION,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "checks": checks.name,
        "data": data,
        "settings": settings_fingerprint(checks),
        "sample": metrics.details.get("sample", {}),
        "metrics": metrics.values,
    }
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.tmp")
    temporary.write_bytes(orjson.dumps(payload, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS) + b"\n")
    temporary.replace(target)


def read_baseline(path: str | Path) -> Baseline:
    """Read a baseline written by ``write_baseline``; ``BaselineError`` saying what is wrong otherwise."""
    try:
        data = orjson.loads(Path(path).read_bytes())
    except OSError as error:
        raise BaselineError(f"{path}: cannot read the baseline: {error}") from error
    except orjson.JSONDecodeError as error:
        raise BaselineError(f"{path}: not JSON ({error}); write one with --write-baseline") from error
    if not isinstance(data, dict) or data.get("format") != BASELINE_FORMAT:
        raise BaselineError(f"{path}: not a curate check baseline; write one with --write-baseline")
    if data.get("version") != BASELINE_VERSION:
        raise BaselineError(f"{path}: baseline version {data.get('version')!r}; this curate reads {BASELINE_VERSION}")
    if not isinstance(data.get("metrics"), dict):
        raise BaselineError(f"{path}: the baseline holds no metrics")
    return Baseline(
        path=str(path),
        values=data["metrics"],
        sample=data.get("sample") or {},
        settings=data.get("settings", ""),
        created_at=data.get("created_at", ""),
        data=data.get("data", ""),
    )
