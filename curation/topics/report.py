"""``topics.json`` (everything about every topic, for programs) and ``topics.md`` (a table for people)."""

from __future__ import annotations

import json
from typing import Any

from datatrove.io import DataFolder

from curation.dedup import storage

MD_KEYWORDS = 6
MD_REPRESENTATIVES = 3


def write_reports(folder: DataFolder, report: dict[str, Any]) -> None:
    """Write ``topics.json`` and ``topics.md`` into ``folder`` (each atomically)."""
    storage.write_bytes(folder, "topics.md", render_markdown(report).encode())
    storage.write_bytes(folder, "topics.json", json.dumps(report, indent=1, ensure_ascii=False).encode())


def _cell(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def render_markdown(report: dict[str, Any]) -> str:
    """Topics largest first: id, name, documents, tokens, share, keywords, nearest documents."""
    lines = [
        f"# Topics ({report['k']}) over {report['documents']:,} documents, {report['tokens']:,} tokens",
        "",
        f"Encoder `{report['encoder'].get('tag')}`; {report['low_confidence']:,} documents flagged low-confidence "
        f"(`topic_confidence` < {report['low_confidence_below']}).",
        "",
    ]
    if report.get("parents"):
        lines += ["## Parent topics", "", "| parent | name | documents | tokens | children |"]
        lines.append("|---:|---|---:|---:|---|")
        for parent in sorted(report["parents"], key=lambda p: -p["documents"]):
            children = ", ".join(str(c) for c in parent["children"])
            lines.append(
                f"| {parent['id']} | {_cell(parent['name'])} | {parent['documents']:,} | {parent['tokens']:,} | "
                f"{children} |"
            )
        lines += ["", "## Topics", ""]
    header = "| id | name | documents | tokens | share | keywords | nearest documents |"
    lines += [header, "|---:|---|---:|---:|---:|---|---|"]
    for topic in sorted(report["topics"], key=lambda t: (-t["documents"], t["id"])):
        keywords = ", ".join(topic["keywords"][:MD_KEYWORDS])
        nearest = ", ".join(f"`{_cell(i)}`" for i in topic["representatives"][:MD_REPRESENTATIVES])
        lines.append(
            f"| {topic['id']} | {_cell(topic['name'])} | {topic['documents']:,} | {topic['tokens']:,} | "
            f"{100 * topic['share']:.1f}% | {_cell(keywords)} | {nearest} |"
        )
    return "\n".join(lines) + "\n"
