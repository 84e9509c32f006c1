"""The report's plots: matplotlib figures written as SVG text, ready to inline in one HTML page.

Every plot is drawn from aggregates (bin counts, counts per label), never from one point per document, so
its size does not grow with the corpus. Text stays text in the SVG (``svg.fonttype: none``), labels are
never read as mathtext (``text.parse_math: False``; a ``$`` in a label is a dollar sign), matplotlib escapes
them as XML, and each figure's element ids get a prefix of their own so several figures can share a page.
"""

from __future__ import annotations

import io
import itertools
import re
from collections.abc import Sequence
from typing import Any

PALETTE = ("#3b6ea8", "#e07b39", "#5a9e5a", "#c44e52", "#8172b2", "#937860", "#da8bc3", "#8c8c8c")
WIDTH, HEIGHT = 7.0, 2.6
MAX_BARS = 25
MAX_LABEL = 40
_counter = itertools.count()
_STYLE = {
    "svg.fonttype": "none",
    "svg.hashsalt": "curation-report",
    "text.parse_math": False,
    "font.size": 8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 9,
    "axes.titleweight": "bold",
}


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def _figure(height: float = HEIGHT, width: float = WIDTH, label_chars: int = 8):
    """A figure with fixed margins in inches (room for ``label_chars`` characters of y tick labels): cheaper than
    ``tight_layout``, which draws the whole figure once more to measure it."""
    plt = _pyplot()
    with plt.rc_context(_STYLE):
        figure, axes = plt.subplots(figsize=(width, height))
    left = min(0.3 + 0.062 * label_chars, width / 2)
    figure.subplots_adjust(left=left / width, right=1 - 0.15 / width, bottom=0.5 / height, top=1 - 0.3 / height)
    return figure, axes


def to_svg(figure) -> str:
    """The figure as an ``<svg>`` element (no XML prolog), its ids made unique on the page; closes the figure."""
    plt = _pyplot()
    buffer = io.StringIO()
    with plt.rc_context(_STYLE):
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    plt.close(figure)
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :]
    prefix = f"p{next(_counter)}-"
    svg = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{prefix}{m.group(1)}"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}{m.group(1)})", svg)
    return re.sub(r'href="#([^"]+)"', lambda m: f'href="#{prefix}{m.group(1)}"', svg)


def short(label: Any, limit: int = MAX_LABEL) -> str:
    text = str(label).replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _styled(draw):
    """Run ``draw`` under the report's matplotlib style (rcParams apply when artists are created)."""

    def wrapper(*args, **kwargs):
        with _pyplot().rc_context(_STYLE):
            return draw(*args, **kwargs)

    wrapper.__doc__ = draw.__doc__
    wrapper.__name__ = draw.__name__
    return wrapper


@_styled
def funnel(stages: list[dict[str, Any]], title: str) -> str:
    """Horizontal bars: documents out of each stage, with the documents it dropped stacked after them."""
    names = [short(s["name"]) for s in stages]
    out = [s["out"] for s in stages]
    dropped = [sum(s["dropped"].values()) for s in stages]
    figure, axes = _figure(height=0.8 + 0.2 * len(stages), label_chars=max(map(len, names), default=8))
    positions = range(len(stages))
    axes.barh(positions, out, color=PALETTE[0], label="out")
    axes.barh(positions, dropped, left=out, color=PALETTE[3], label="dropped")
    axes.set_yticks(list(positions), names)
    axes.invert_yaxis()
    axes.set_xlabel("documents")
    axes.set_title(title)
    axes.legend(loc="lower right", frameon=False)
    return to_svg(figure)


@_styled
def bars(
    labels: Sequence[Any],
    series: dict[str, Sequence[float]],
    title: str,
    xlabel: str = "",
    log: bool = False,
    percent: bool = False,
) -> str:
    """Horizontal bars, one group per label, one bar per series (two series: side by side comparison)."""
    labels = [short(label) for label in labels][:MAX_BARS]
    count = len(series)
    figure, axes = _figure(
        height=0.8 + 0.2 * max(1, len(labels)) * max(1, count) ** 0.5, label_chars=max(map(len, labels), default=8)
    )
    height = 0.8 / max(1, count)
    for index, (name, values) in enumerate(series.items()):
        values = list(values)[: len(labels)]
        offsets = [i + (index - (count - 1) / 2) * height for i in range(len(labels))]
        axes.barh(offsets, values, height=height, color=PALETTE[index % len(PALETTE)], label=short(name))
    axes.set_yticks(range(len(labels)), labels)
    axes.invert_yaxis()
    if log:
        axes.set_xscale("log")
        _plain_log_ticks(axes.xaxis)
    if percent:
        axes.xaxis.set_major_formatter(_percent_formatter())
    axes.set_xlabel(xlabel)
    axes.set_title(title)
    if count > 1:
        axes.legend(loc="best", fontsize=7)
    return to_svg(figure)


def _plain_log_ticks(axis) -> None:
    """Log-scale tick labels as plain numbers (mathtext is off, so the default ``10^{n}`` labels would show raw)."""
    from matplotlib.ticker import FuncFormatter, NullLocator

    axis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,.0f}" if value >= 1 else f"{value:g}"))
    axis.set_minor_locator(NullLocator())


def _percent_formatter():
    from matplotlib.ticker import PercentFormatter

    return PercentFormatter(1.0)


@_styled
def histogram(
    series: dict[str, dict[str, Any]],
    title: str,
    xlabel: str,
    thresholds: Sequence[tuple[str, float]] = (),
    normalise: bool = False,
) -> str:
    """Step histograms of binned counts (``{"low","high","bins","log","counts"}``), one line per series, with
    thresholds drawn as labelled vertical lines. ``normalise``: each series as shares of its own total."""
    from curation.report.observe import edges

    figure, axes = _figure()
    log = False
    for index, (name, histogram_) in enumerate(series.items()):
        counts = list(histogram_["counts"])
        total = sum(counts)
        if normalise and total:
            counts = [count / total for count in counts]
        bin_edges = edges(histogram_)
        log = log or bool(histogram_.get("log"))
        color = PALETTE[index % len(PALETTE)]
        axes.stairs(counts, bin_edges, fill=len(series) == 1, color=color, alpha=0.85, label=short(name))
    for name, value in thresholds:
        axes.axvline(value, color="#222222", linestyle="--", linewidth=1)
        axes.annotate(
            short(f"{name} = {value:g}", 30),
            (value, 1),
            xycoords=("data", "axes fraction"),
            rotation=90,
            va="top",
            ha="right",
            fontsize=7,
        )
    if log:
        axes.set_xscale("log")
        _plain_log_ticks(axes.xaxis)
    axes.set_xlabel(xlabel)
    axes.set_ylabel("share of documents" if normalise else "documents")
    axes.set_title(title)
    if len(series) > 1:
        axes.legend(loc="upper right", frameon=False, fontsize=7)
    return to_svg(figure)


@_styled
def sizes(distribution: dict[int, int], title: str) -> str:
    """Bars of how many clusters have each size (log count axis)."""
    figure, axes = _figure()
    keys = sorted(distribution)
    axes.bar([str(k) for k in keys][:60], [distribution[k] for k in keys][:60], color=PALETTE[1])
    if max(distribution.values()) > 50 * min(distribution.values()):
        axes.set_yscale("log")
        _plain_log_ticks(axes.yaxis)
    axes.set_xlabel("documents in the cluster (the kept one included)")
    axes.set_ylabel("clusters")
    axes.set_title(title)
    if len(keys) > 20:
        axes.tick_params(axis="x", labelrotation=90)
    return to_svg(figure)
