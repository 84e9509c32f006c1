"""The visual run report: one self-contained HTML page with the plots people look at after a run.

``build_report(record, compare=None)`` turns a ``RunRecord`` (``curation.report.run_record``) into the page;
``write_report(output_dir, ...)`` gathers the record and writes ``report.html`` (what ``curate run`` does at
the end and ``curate report`` does on demand). The page:

- works offline: styles inline, plots as inline SVG (``curation.report.plots``), no script, and a
  Content-Security-Policy that forbids loading or running anything;
- is safe: every piece of document text, id, label and metadata goes through Jinja2's autoescaping, and the
  SVG text is escaped by matplotlib, so ``<script>`` or ``</svg>`` in a document is shown as text;
- has a size bounded by the recipe, not the corpus: histograms and counts only, a fixed number of examples.

Every figure and table column carries a one-line explanation.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from curation.io.layout import REPORT_FILE
from curation.report import plots
from curation.report.run_record import RunRecord, read_run_record, synth_yield

EXAMPLES_SHOWN = 5
TOPICS_SHOWN = 50
SCORE_BINS = 20
DOMAINS_SHOWN = 8
DEDUP_REASONS = {"exact_duplicate": "exact", "near_duplicate": "near"}


def write_report(
    output_dir: str,
    destination: str | None = None,
    *,
    compare: str | None = None,
    check_files: tuple[str, ...] | list[str] = (),
    sample_size: int | None = None,
    seed: int = 0,
) -> str:
    """Gather ``output_dir``'s record (and ``compare``'s), render the page and write it atomically.

    ``destination``: the file to write (default ``output_dir/report.html``; local paths only). Returns the
    path written. Raises ``ReportInputError`` for a folder holding nothing to report.
    """
    options = {"sample_size": sample_size} if sample_size else {}
    record = read_run_record(output_dir, check_files=check_files, seed=seed, **options)
    other = read_run_record(compare, seed=seed, **options) if compare else None
    page = build_report(record, other)
    if destination is None:
        from datatrove.io import get_datafolder

        folder = get_datafolder(output_dir)
        with folder.open(f".{REPORT_FILE}.tmp", "w", encoding="utf-8") as handle:
            handle.write(page)
        folder.mv(f".{REPORT_FILE}.tmp", REPORT_FILE)
        return folder.resolve_paths(REPORT_FILE)
    target = Path(destination)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.tmp")
    temporary.write_text(page, encoding="utf-8")
    os.replace(temporary, target)
    return str(target)


def build_report(record: RunRecord, compare: RunRecord | None = None) -> str:
    """The HTML page for ``record`` (with a comparison section against ``compare``), as a string."""
    from jinja2 import Environment, PackageLoader, select_autoescape
    from markupsafe import Markup

    sections = [
        section
        for section in (
            _overview(record),
            _funnel(record),
            _thresholds(record),
            _composition(record),
            _dedup(record),
            _performance(record),
            _topics(record),
            _mixture(record),
            _synthetic(record),
            _checks(record),
            _examples(record),
            _comparison(record, compare) if compare is not None else None,
        )
        if section is not None
    ]
    for section in sections:
        for block in section["blocks"]:
            if block["kind"] == "plot":
                block["svg"] = Markup(block["svg"])  # matplotlib's SVG: its text is already XML-escaped
    environment = Environment(
        loader=PackageLoader("curation.report", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    summary = record.summary or {}
    subtitle = [f"output: {record.path}"]
    if summary:
        subtitle.append(
            f"started {summary.get('started_at')}, finished {summary.get('finished_at')}; "
            f"report written {datetime.now(UTC).isoformat(timespec='seconds')}"
        )
    if compare is not None:
        subtitle.append(f"compared with: {compare.path} ({compare.name})")
    return environment.get_template("report.html.j2").render(
        title=f"curate · {record.name}",
        subtitle=subtitle,
        sections=sections,
        version=_version(),
    )


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("curation")
    except Exception:
        return "dev"


def _section(section_id: str, title: str, why: str, blocks: list[dict[str, Any]]) -> dict[str, Any]:
    return {"id": section_id, "title": title, "why": why, "blocks": blocks}


def _plot(plot_id: str, svg: str, caption: str) -> dict[str, Any]:
    return {"kind": "plot", "id": plot_id, "svg": svg, "caption": caption}


NUMBER = re.compile(r"^[-+]?[\d,.]+%?$|^-$|^$")


def _table(table_id: str, columns: list[tuple[str, str]], rows: list[list[Any]]) -> dict[str, Any]:
    """A table block; columns whose cells are all numbers are right-aligned."""
    rows = [[cell if isinstance(cell, str) else _n(cell) for cell in row] for row in rows]
    numeric = [
        any(row[i] not in ("", "-") for row in rows) and all(NUMBER.match(row[i]) for row in rows)
        for i in range(len(columns))
    ]
    return {"kind": "table", "id": table_id, "columns": columns, "rows": rows, "numeric": numeric}


def _text(text: str, style: str = "") -> dict[str, Any]:
    return {"kind": "text", "text": text, "style": style}


def _n(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _stage_rows(record: RunRecord) -> list[dict[str, Any]]:
    return list((record.summary or {}).get("totals", {}).get("stages", []))


def _observed_stages(record: RunRecord) -> list[dict[str, Any]]:
    """The observations aligned with the summary's stage rows (which add ``read`` first and ``write`` last)."""
    observed = record.observations.get("stages", [])
    rows = _stage_rows(record)
    aligned: list[dict[str, Any]] = [{} for _ in rows]
    for position, stage in enumerate(observed, start=1):
        if position < len(rows) - 1 and rows[position]["name"] == stage.get("name"):
            aligned[position] = stage
    return aligned


# ---------------------------------------------------------------- sections


def _overview(record: RunRecord) -> dict[str, Any] | None:
    summary = record.summary
    if not summary:
        return None
    totals = summary["totals"]
    shards = summary["shards"]
    executor = summary.get("executor", {})
    reconciled = totals["reconciled"]
    items = [
        ("records in", _n(totals["records_in"]), "input records read, malformed ones included"),
        (
            "kept",
            f"{_n(totals['kept'])} ({_pct(totals['kept'] / totals['records_in'] if totals['records_in'] else None)})",
            "documents written to the output",
        ),
        ("dropped", _n(totals["dropped"]), "documents a stage removed, each with a reason"),
        (
            "quarantined",
            _n(totals["quarantined"]),
            "records the reader could not use, kept in _quarantine/ with file and position",
        ),
        (
            "reconciled",
            "yes" if reconciled else "NO",
            "records in (+ documents a stage added) = kept + dropped + quarantined",
        ),
        (
            "shards",
            f"{shards['completed']}/{shards['total']} complete, {shards['failed']} failed",
            "this report covers every completed shard in the folder, from this run and earlier (resumed) ones",
        ),
        (
            "executor",
            f"{executor.get('kind')} · {executor.get('workers')} workers"
            + (f" · scheduler {executor.get('scheduler')}" if executor.get("scheduler") else ""),
            "how the last invocation ran: in local processes or on a Dask cluster",
        ),
        ("wall time", f"{summary.get('wall_seconds', 0):,.1f} s", "the last invocation, start to summary"),
        (
            "worker time",
            f"{totals.get('worker_seconds', 0):,.1f} s",
            "seconds spent on shards, summed over workers and invocations",
        ),
    ]
    blocks: list[dict[str, Any]] = [{"kind": "figures", "items": items}]
    if not reconciled:
        blocks.append(_text("The counts do not reconcile: some documents are unaccounted for.", "bad"))
    for warning in summary.get("warnings", []):
        blocks.append(_text(f"warning: {warning}", "warn"))
    for failure in shards.get("failures", []):
        last = failure["error"].strip().splitlines()[-1] if failure.get("error") else ""
        blocks.append(_text(f"failed shard {failure.get('source')}: {last}", "bad"))
    return _section(
        "overview",
        "Overview",
        f"Recipe {summary['recipe']['name']!r} (fingerprint "
        f"{summary['recipe']['fingerprint']}), input {summary.get('input')}.",
        blocks,
    )


def _funnel(record: RunRecord) -> dict[str, Any] | None:
    stages = _stage_rows(record)
    if not stages:
        return None
    observed = _observed_stages(record)
    totals = record.summary["totals"]
    blocks = [
        _plot(
            "funnel",
            plots.funnel(stages, "documents through each stage"),
            "Each bar is a stage in pipeline order: blue, documents it passed on; red, documents it dropped.",
        )
    ]
    rows = []
    for stage, seen in zip(stages, observed, strict=True):
        dropped = stage["dropped"]
        reasons = ", ".join(f"{reason} {count:,}" for reason, count in sorted(dropped.items(), key=lambda x: -x[1]))
        rows.append(
            [
                stage["name"],
                _n(stage["in"]),
                _n(stage["out"]),
                _n(sum(dropped.values())),
                _pct(sum(dropped.values()) / stage["in"] if stage["in"] else None),
                _n(seen.get("chars_out")) if seen else "",
                _n(seen.get("tokens_out")) if seen and seen.get("tokens_out") else "",
                reasons,
            ]
        )
    blocks.append(
        _table(
            "funnel",
            [
                ("stage", "the recipe's stages in order; (collect) rows are a global stage's first pass"),
                ("in", "documents entering"),
                ("out", "documents leaving"),
                ("dropped", "documents removed here"),
                ("dropped %", "dropped / in"),
                ("characters out", "characters of text leaving the stage"),
                ("tokens out", "token_count of documents leaving, where a stage counted tokens"),
                ("drop reasons", "the stage's own reason for each drop"),
            ],
            rows,
        )
    )
    reasons = {
        f"{stage['name']}: {reason}": count for stage in stages for reason, count in stage["dropped"].items() if count
    }
    if reasons:
        ordered = sorted(reasons.items(), key=lambda item: -item[1])
        blocks.append(
            _plot(
                "drop-reasons",
                plots.bars(
                    [k for k, _ in ordered], {"documents": [v for _, v in ordered]}, "drops by reason", "documents"
                ),
                "Documents dropped, by stage and reason, largest first.",
            )
        )
    quarantined = totals.get("quarantined_by_reason", {})
    if quarantined:
        ordered = sorted(quarantined.items(), key=lambda item: -item[1])
        blocks.append(
            _plot(
                "quarantine-reasons",
                plots.bars(
                    [k for k, _ in ordered], {"records": [v for _, v in ordered]}, "quarantine by reason", "records"
                ),
                "Input records the reader could not turn into documents (malformed JSON, bad encoding, no text...).",
            )
        )
    return _section(
        "funnel",
        "Funnel",
        "Where the documents went: every record is kept, dropped with a reason, or quarantined.",
        blocks,
    )


def _thresholds(record: RunRecord) -> dict[str, Any] | None:
    blocks = []
    for stage in record.observations.get("stages", []):
        for metric in stage.get("metrics", []):
            observed = metric["observed"]
            if not observed:
                continue
            cuts = [
                (f"{t['parameter']} ({'keep ≥' if t['side'] == 'min' else 'keep ≤'})", t["value"])
                for t in metric["thresholds"]
            ]
            outside = sum(metric["outside"])
            verb = "removed" if metric["removes"] else "on the far side (labelled only, not removed)"
            sampled = (
                f"; measured on 1 document in {metric['sample_every']}" if metric.get("sample_every", 1) > 1 else ""
            )
            blocks.append(
                _plot(
                    f"threshold-{stage['name']}-{metric['field']}",
                    plots.histogram(
                        {metric["field"]: metric["histogram"]},
                        f"{stage['name']}: {metric['field']}",
                        metric["field"],
                        thresholds=[(name, value) for name, value in cuts],
                    ),
                    f"{metric['field']} of every document entering {stage['name']} ({observed:,} documents"
                    f"{sampled}), the threshold dashed. {_pct(outside / observed)} {verb}"
                    + (f"; {metric['missing']:,} without a value" if metric["missing"] else "")
                    + ".",
                )
            )
    if not blocks:
        return None
    return _section(
        "thresholds",
        "Thresholds",
        "For each stage that decides by a number: the number's distribution "
        "with the cut drawn. A cut through the middle of the mass removes much; one in a valley is safe.",
        blocks,
    )


def _composition(record: RunRecord) -> dict[str, Any] | None:
    output = record.observations.get("output") or {}
    composition = output.get("composition") or {}
    blocks: list[dict[str, Any]] = []
    names = {"language": "language", "domain": "domain", "topic_id": "topic"}
    topic_names = {str(t["id"]): t.get("name", "") for t in (record.topics or {}).get("topics", [])}
    for field_name, title in names.items():
        values = composition.get(field_name)
        if not values:
            continue
        ordered = sorted(values.items(), key=lambda item: -item[1][0])[: plots.MAX_BARS]
        labels = [f"{k} {topic_names[k]}" if field_name == "topic_id" and k in topic_names else k for k, _ in ordered]
        series = {"documents": [v[0] for _, v in ordered]}
        total_tokens = sum(v[1] for _, v in ordered)
        caption = f"Documents written per {title} (largest {len(ordered)} of {len(values)} values)"
        if total_tokens:
            total_docs = sum(v[0] for v in values.values())
            all_tokens = sum(v[1] for v in values.values())
            series = {
                "share of documents": [v[0] / total_docs for _, v in ordered],
                "share of tokens": [v[1] / all_tokens for _, v in ordered],
            }
            caption += "; documents and tokens as shares of the output, which differ when lengths differ"
        blocks.append(
            _plot(
                f"composition-{field_name}",
                plots.bars(labels, series, f"output by {title}", percent=bool(total_tokens)),
                caption + ".",
            )
        )
    routes = (record.summary or {}).get("routes", {})
    if len(routes) > 1:
        blocks.append(
            _table(
                "routes",
                [
                    ("route", "output folder"),
                    ("files", "output files"),
                    ("documents", "documents written"),
                    ("tokens", "token_count summed"),
                ],
                [[route, _n(e["files"]), _n(e["documents"]), _n(e["tokens"])] for route, e in routes.items()],
            )
        )
    lengths = output.get("length_chars")
    if lengths and any(lengths["counts"]):
        blocks.append(
            _plot(
                "length-chars",
                plots.histogram({"characters": lengths}, "document length", "characters (log scale)"),
                "Length of every written document in characters.",
            )
        )
    tokens = output.get("length_tokens")
    if tokens and any(tokens["counts"]):
        blocks.append(
            _plot(
                "length-tokens",
                plots.histogram({"tokens": tokens}, "document length in tokens", "token_count (log scale)"),
                "token_count of every written document that has one.",
            )
        )
    blocks += _scores_by_domain(record)
    if not blocks:
        return None
    return _section(
        "composition",
        "Composition",
        "What the output is made of: languages, domains, topics, lengths and quality.",
        blocks,
    )


def _scores_by_domain(record: RunRecord) -> list[dict[str, Any]]:
    sample = record.sample
    blocks = []
    ranges = {
        metric["field"]: (metric["low"], metric["high"])
        for stage in record.observations.get("stages", [])
        for metric in stage.get("metrics", [])
    }
    fields = [key for key in (sample[0] if sample else {}) if key.endswith("score") and key != "language_score"]
    for field_name in fields:
        values = [
            (row.get("domain"), row[field_name]) for row in sample if isinstance(row.get(field_name), int | float)
        ]
        if not values:
            continue
        low, high = ranges.get(field_name, (min(v for _, v in values), max(v for _, v in values)))
        if high <= low:
            high = low + 1.0
        by_domain: dict[str, list[int]] = {}
        for domain, value in values:
            counts = by_domain.setdefault(str(domain) if domain is not None else "(none)", [0] * SCORE_BINS)
            index = int((value - low) / (high - low) * SCORE_BINS)
            counts[min(max(index, 0), SCORE_BINS - 1)] += 1
        largest = sorted(by_domain.items(), key=lambda item: -sum(item[1]))[:DOMAINS_SHOWN]
        series = {
            name: {"low": low, "high": high, "bins": SCORE_BINS, "log": False, "counts": counts}
            for name, counts in largest
        }
        blocks.append(
            _plot(
                f"scores-by-domain-{field_name}",
                plots.histogram(series, f"{field_name} by domain", field_name, normalise=True),
                f"{field_name} per domain on a seeded sample of {len(sample):,} written documents (seed "
                f"{record.sample_seed}); each line is one domain's documents as shares of that domain.",
            )
        )
    return blocks


def _dedup(record: RunRecord) -> dict[str, Any] | None:
    stages = _stage_rows(record)
    removed = {}
    for stage in stages:
        for reason, kind in DEDUP_REASONS.items():
            if stage["dropped"].get(reason):
                removed[kind] = removed.get(kind, 0) + stage["dropped"][reason]
    if not removed and not record.duplicate_clusters:
        return None
    records_in = (record.summary or {}).get("totals", {}).get("records_in", 0)
    items = [
        (
            f"{kind} duplicates removed",
            f"{count:,} ({_pct(count / records_in if records_in else None)})",
            "share of all input records"
            + (
                ": identical text after normalisation"
                if kind == "exact"
                else ": MinHash similarity above the threshold"
            ),
        )
        for kind, count in removed.items()
    ]
    blocks: list[dict[str, Any]] = [{"kind": "figures", "items": items}] if items else []
    if removed:
        blocks.append(
            _plot(
                "dedup-share",
                plots.bars(
                    list(removed),
                    {"documents removed": list(removed.values())},
                    "duplicates removed, exact vs near",
                    "documents",
                ),
                "Documents removed as exact duplicates and as near duplicates.",
            )
        )
    for name, distribution in record.duplicate_clusters.items():
        if not distribution:
            continue
        clusters = sum(distribution.values())
        blocks.append(
            _plot(
                f"cluster-sizes-{name}",
                plots.sizes(distribution, f"{name}: duplicate-cluster sizes"),
                f"{clusters:,} clusters of duplicates found by {name}; a cluster of n documents keeps one and "
                "removes n - 1.",
            )
        )
    return _section("dedup", "Deduplication", "How much was duplicated, and how big the groups of copies were.", blocks)


def _performance(record: RunRecord) -> dict[str, Any] | None:
    stages = _stage_rows(record)
    if not stages:
        return None
    observed = _observed_stages(record)
    seconds = [stage["seconds"] for stage in stages]
    blocks = [
        _plot(
            "stage-seconds",
            plots.bars([s["name"] for s in stages], {"seconds": seconds}, "time per stage", "worker seconds"),
            "Each stage's own time, summed over shards and workers (a stage's time excludes the stages before it).",
        )
    ]
    rows = []
    for stage, seen in zip(stages, observed, strict=True):
        rate = stage["in"] / stage["seconds"] if stage["seconds"] > 0 else None
        rows.append(
            [
                stage["name"],
                f"{stage['seconds']:,.2f}",
                _n(round(rate)) if rate else "-",
                (seen or {}).get("device") or "",
            ]
        )
    blocks.append(
        _table(
            "stage-seconds",
            [
                ("stage", ""),
                ("seconds", "the stage's own worker seconds"),
                ("documents/s", "documents entering per worker second"),
                ("device", "where a model stage ran (cpu, cuda:0, ...)"),
            ],
            rows,
        )
    )
    global_stages = record.summary.get("global_stages") or {}
    if global_stages:
        blocks.append(
            _table(
                "global-stages",
                [
                    ("global stage", "a corpus-wide stage (dedup, topics)"),
                    ("waves", "rounds of parallel tasks"),
                    ("tasks", "corpus-wide tasks"),
                    ("seconds", "wall seconds of its waves in the last invocation"),
                ],
                [
                    [name, _n(g.get("waves")), _n(g.get("tasks")), _n(g.get("seconds"))]
                    for name, g in global_stages.items()
                ],
            )
        )
    return _section("performance", "Time and throughput", "Where the time went, per stage.", blocks)


def _topics(record: RunRecord) -> dict[str, Any] | None:
    topics = record.topics
    if not topics or not topics.get("topics"):
        return None
    ordered = sorted(topics["topics"], key=lambda t: (-t.get("documents", 0), t.get("id", 0)))
    rows = [
        [
            t.get("id"),
            t.get("name", ""),
            ", ".join(str(k) for k in t.get("keywords", [])[:8]),
            _n(t.get("documents")),
            _n(t.get("tokens")),
            _pct(t.get("share")),
        ]
        for t in ordered[:TOPICS_SHOWN]
    ]
    blocks = [
        {
            "kind": "figures",
            "items": [
                ("topics", _n(topics.get("k", len(ordered))), "clusters of the document embeddings (k-means)"),
                ("documents", _n(topics.get("documents")), "documents given a topic"),
                (
                    "low confidence",
                    _n(topics.get("low_confidence")),
                    "documents far from their topic's centre (topic_confidence < "
                    f"{topics.get('low_confidence_below')})",
                ),
            ],
        },
        _plot(
            "topic-sizes",
            plots.bars(
                [f"{t.get('id')} {t.get('name', '')}" for t in ordered],
                {"documents": [t.get("documents", 0) for t in ordered]},
                "topic sizes",
                "documents",
            ),
            f"Documents per topic, largest {min(len(ordered), plots.MAX_BARS)} of {len(ordered)}.",
        ),
        _table(
            "topics",
            [
                ("id", "topic id (topic_id)"),
                ("name", "name made from its keywords or by a model"),
                ("keywords", "words most typical of the topic"),
                ("documents", "documents"),
                ("tokens", "token_count summed"),
                ("share", "share of documents"),
            ],
            rows,
        ),
    ]
    return _section("topics", "Topics", "Topics found by clustering document embeddings (topics.json).", blocks)


def _mixture(record: RunRecord) -> dict[str, Any] | None:
    mixture = record.mixture
    if not mixture or not mixture.get("stages"):
        return None
    blocks = []
    for stage in mixture["stages"]:
        sources = stage.get("sources") or {}
        if not sources:
            continue
        names = list(sources)
        blocks.append(
            _plot(
                f"mixture-{stage['name']}",
                plots.bars(
                    names,
                    {
                        "requested share": [sources[n].get("requested_share", 0) for n in names],
                        "realised share": [sources[n].get("realised_share", 0) for n in names],
                    },
                    f"mixture stage {stage['name']}: target vs realised",
                    percent=True,
                ),
                f"Share of the stage's {stage.get('token_budget', 0):,}-token budget per source: asked for and "
                "delivered (tokens of the documents written, repeats counted).",
            )
        )
        blocks.append(
            _table(
                f"mixture-{stage['name']}",
                [
                    ("source", "the mixture's source"),
                    ("requested", "target share of the token budget"),
                    ("realised", "delivered share"),
                    ("error (pp)", "realised - requested, percentage points"),
                    ("tokens", "tokens delivered"),
                    ("documents", "documents written, repeats counted"),
                ],
                [
                    [
                        n,
                        _pct(s.get("requested_share")),
                        _pct(s.get("realised_share")),
                        f"{s.get('share_error_pp', 0):+.3f}",
                        _n(s.get("realised_tokens")),
                        _n(s.get("documents")),
                    ]
                    for n, s in sources.items()
                ],
            )
        )
    if not blocks:
        return None
    return _section(
        "mixture",
        "Training mixture",
        f"Mixture {mixture.get('name')!r} (mixture.json): token-exact targets against what was written.",
        blocks,
    )


def _synthetic(record: RunRecord) -> dict[str, Any] | None:
    rows = synth_yield(record.summary)
    if not rows:
        return None
    blocks = [
        _plot(
            "synth-yield",
            plots.bars(
                [r["step"] for r in rows],
                {"share of answers left": [r["of_answers"] or 0 for r in rows]},
                "synthetic-data yield per step",
                percent=True,
            ),
            "Share of the model's answers still standing after each filter step.",
        ),
        _table(
            "synth-yield",
            [
                ("step", "generation, then each filter in order"),
                ("in", "answers entering"),
                ("out", "answers kept"),
                ("kept", "out / in"),
                ("of answers", "out / answers generated"),
                ("dropped by reason", "why the filter removed answers"),
            ],
            [
                [
                    r["step"],
                    _n(r["in"]),
                    _n(r["out"]),
                    _pct(r["kept"]),
                    _pct(r["of_answers"]),
                    ", ".join(f"{k} {v:,}" for k, v in r["dropped"].items()),
                ]
                for r in rows
            ],
        ),
    ]
    ledger = record.synth_ledger
    if ledger:
        blocks.append(
            {
                "kind": "figures",
                "items": [
                    ("answered", _n(ledger.get("answered")), "requests with a committed answer in the request cache"),
                    ("failed", _n(ledger.get("failed")), "requests that failed after their retries"),
                    ("pending", _n(ledger.get("pending")), "requests in flight when the run stopped"),
                    (
                        "sends beyond the first",
                        _n(ledger.get("sends_beyond_first")),
                        "requests sent again (after a kill or a failure)",
                    ),
                ],
            }
        )
    return _section("synthetic", "Synthetic data", "Generated documents and how many each filter step kept.", blocks)


def _checks(record: RunRecord) -> dict[str, Any] | None:
    if not record.checks:
        return None
    blocks = []
    for run in record.checks:
        counts = run.get("counts", {})
        style = "good" if run.get("exit_code") == 0 else "bad"
        blocks.append(
            _text(
                f"{run.get('name')}: {counts.get('passed', 0)} passed, {counts.get('failed', 0)} failed, "
                f"{counts.get('warned', 0)} warnings, {counts.get('errors', 0)} errors "
                f"(exit code {run.get('exit_code')}); "
                f"{run.get('sample') or ''}",
                style,
            )
        )
        blocks.append(
            _table(
                f"checks-{run.get('name')}",
                [
                    ("check", "the check's name"),
                    ("metric", "what was measured"),
                    ("value", "the measured value"),
                    ("condition", "the condition it must meet"),
                    ("severity", "error fails the gate, warn only warns"),
                    ("result", "pass, fail, error, skipped"),
                ],
                [
                    [
                        r.get("name"),
                        r.get("metric"),
                        _value(r.get("value")),
                        f"{r.get('condition')} {r.get('threshold')}"
                        if r.get("threshold") is not None
                        else str(r.get("compare") or ""),
                        r.get("severity"),
                        r.get("status"),
                    ]
                    for r in run.get("results", [])
                ],
            )
        )
    return _section("checks", "Data-quality checks", "Results of curate check on this output.", blocks)


def _value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return _n(value)


def _examples(record: RunRecord) -> dict[str, Any] | None:
    groups = []
    for stage in record.observations.get("stages", []):
        for reason, items in sorted(stage.get("examples", {}).items()):
            groups.append(
                {
                    "title": f"{stage['name']}: {reason}",
                    "items": [
                        {
                            "head": f"id {item['id']} · {item['chars']:,} characters · "
                            + ", ".join(f"{k}={v}" for k, v in item.get("metadata", {}).items()),
                            "text": item["text"] + (" [...]" if item["chars"] > len(item["text"]) else ""),
                        }
                        for item in items[:EXAMPLES_SHOWN]
                    ],
                }
            )
    for reason, items in sorted(record.quarantine_examples.items()):
        groups.append(
            {
                "title": f"quarantine: {reason}",
                "items": [
                    {
                        "head": f"{item['source_file']} line {item.get('line')} byte {item.get('byte_offset')}: "
                        f"{item['detail']}",
                        "text": item["snippet"],
                    }
                    for item in items[:EXAMPLES_SHOWN]
                ],
            }
        )
    if not groups:
        return None
    return _section(
        "examples",
        "Examples",
        "The first documents dropped for each reason (text cut, shown as text), and quarantined records.",
        [{"kind": "examples", "groups": groups}],
    )


def _comparison(record: RunRecord, other: RunRecord) -> dict[str, Any]:
    a, b = f"A: {record.name}", f"B: {other.name}"
    blocks: list[dict[str, Any]] = []
    totals_a = (record.summary or {}).get("totals", {})
    totals_b = (other.summary or {}).get("totals", {})
    keys = [
        ("records_in", "input records"),
        ("kept", "documents written"),
        ("dropped", "documents dropped"),
        ("quarantined", "records quarantined"),
        ("worker_seconds", "worker seconds"),
    ]
    blocks.append(
        _table(
            "compare-totals",
            [("figure", ""), (a, record.path), (b, other.path), ("B - A", "difference")],
            [
                [
                    label,
                    _n(totals_a.get(key)),
                    _n(totals_b.get(key)),
                    _n(round(totals_b[key] - totals_a[key], 3)) if key in totals_a and key in totals_b else "-",
                ]
                for key, label in keys
            ],
        )
    )
    stages_a = {s["name"]: s for s in totals_a.get("stages", [])}
    stages_b = {s["name"]: s for s in totals_b.get("stages", [])}
    names = list(dict.fromkeys([*stages_a, *stages_b]))
    if names:
        blocks.append(
            _plot(
                "compare-funnel",
                plots.bars(
                    names,
                    {
                        a: [stages_a.get(n, {}).get("out", 0) for n in names],
                        b: [stages_b.get(n, {}).get("out", 0) for n in names],
                    },
                    "documents out of each stage",
                    "documents",
                ),
                "Documents leaving each stage in both runs (stages matched by name).",
            )
        )
    drops_a, drops_b = totals_a.get("dropped_by_reason", {}), totals_b.get("dropped_by_reason", {})
    reasons = sorted(set(drops_a) | set(drops_b), key=lambda r: -(drops_a.get(r, 0) + drops_b.get(r, 0)))
    if reasons:
        blocks.append(
            _plot(
                "compare-drops",
                plots.bars(
                    reasons,
                    {a: [drops_a.get(r, 0) for r in reasons], b: [drops_b.get(r, 0) for r in reasons]},
                    "drops by reason",
                    "documents",
                ),
                "Documents dropped per reason in both runs.",
            )
        )
    metrics_a = _metrics_by_key(record)
    metrics_b = _metrics_by_key(other)
    for key in [k for k in metrics_a if k in metrics_b]:
        ma, mb = metrics_a[key], metrics_b[key]
        if ma["histogram"]["bins"] != mb["histogram"]["bins"] or not (ma["observed"] and mb["observed"]):
            continue
        blocks.append(
            _plot(
                f"compare-{key[0]}-{key[1]}",
                plots.histogram(
                    {a: ma["histogram"], b: mb["histogram"]},
                    f"{key[0]}: {key[1]}",
                    key[1],
                    thresholds=[(f"A {t['parameter']}", t["value"]) for t in ma["thresholds"]],
                    normalise=True,
                ),
                f"{key[1]} entering {key[0]} in both runs, as shares of each run's documents; A's threshold dashed.",
            )
        )
    length_a = (record.observations.get("output") or {}).get("length_chars")
    length_b = (other.observations.get("output") or {}).get("length_chars")
    if length_a and length_b:
        blocks.append(
            _plot(
                "compare-length",
                plots.histogram({a: length_a, b: length_b}, "document length", "characters", normalise=True),
                "Length of written documents in both runs, as shares of each run's output.",
            )
        )
    comp_a = (record.observations.get("output") or {}).get("composition", {})
    comp_b = (other.observations.get("output") or {}).get("composition", {})
    for field_name in [f for f in comp_a if f in comp_b]:
        total_a = sum(v[0] for v in comp_a[field_name].values()) or 1
        total_b = sum(v[0] for v in comp_b[field_name].values()) or 1
        values = sorted(
            set(comp_a[field_name]) | set(comp_b[field_name]),
            key=lambda v: -(comp_a[field_name].get(v, [0])[0] / total_a),
        )
        blocks.append(
            _plot(
                f"compare-composition-{field_name}",
                plots.bars(
                    values,
                    {
                        a: [comp_a[field_name].get(v, [0])[0] / total_a for v in values],
                        b: [comp_b[field_name].get(v, [0])[0] / total_b for v in values],
                    },
                    f"output by {field_name}",
                    percent=True,
                ),
                f"Share of written documents per {field_name} in both runs.",
            )
        )
    return _section("compare", "Comparison", f"This run (A) beside {other.path} (B): counts and distributions.", blocks)


def _metrics_by_key(record: RunRecord) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (stage["name"], metric["field"]): metric
        for stage in record.observations.get("stages", [])
        for metric in stage.get("metrics", [])
    }
