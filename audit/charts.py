"""The IG dashboard's charts: server-drawn SVG from plain figures, no database.

Charts are drawn with matplotlib's object API (no pyplot, so no global figure state between
requests) into SVG. Pages show them as `<img src="data:image/svg+xml;base64,...">` with alt text:
matplotlib's SVG carries a `<style>` element and `style` attributes, which our CSP
(`style-src 'self'`) would block if the SVG were inlined into the page, while an image document
is not subject to the page's policy (`img-src` allows `data:`). The PDF exports embed the same
data URIs. Every chart has a table of the same figures next to it for screen readers.
"""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import matplotlib
import numpy
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

matplotlib.use("Agg")

# Labels are people's and agencies' names: never mathtext (a "$" would be parsed), text as
# <text> rather than glyph paths (smaller, searchable), and a fixed salt so output is stable.
_RC = {
    "svg.fonttype": "none",
    "svg.hashsalt": "singleview",
    "text.parse_math": False,
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
# GOV.UK colour palette, in an order that keeps neighbours distinguishable.
PALETTE = (
    "#1d70b8",
    "#d4351c",
    "#00703c",
    "#f47738",
    "#4c2c92",
    "#28a197",
    "#d53880",
    "#505a5f",
    "#912b88",
    "#85994b",
)
# More series than this are drawn as the largest ones and "Everything else".
MAX_SERIES = len(PALETTE) - 1
OTHER = "Everything else"


@dataclass(frozen=True)
class Series:
    """One line of a daily chart: a name and a count for each day."""

    name: str
    counts: tuple[int, ...]

    @property
    def total(self) -> int:
        return sum(self.counts)


def top_series(series: Sequence[Series], *, limit: int = MAX_SERIES) -> list[Series]:
    """The `limit` largest series by total, then the rest added together as "Everything else"."""
    ranked = sorted(series, key=lambda one: (-one.total, one.name))
    if len(ranked) <= limit + 1:
        return ranked
    kept, rest = ranked[:limit], ranked[limit:]
    summed = tuple(sum(counts) for counts in zip(*(one.counts for one in rest), strict=True))
    return [*kept, Series(name=OTHER, counts=summed)]


def _svg(figure: Figure) -> str:
    buffer = io.StringIO()
    with matplotlib.rc_context(_RC):
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    svg = buffer.getvalue()
    # Nothing in the image needs the stylesheet matplotlib adds (line joins only).
    return re.sub(r"<style[^>]*>.*?</style>", "", svg, flags=re.DOTALL)


def daily_chart(*, title: str, days: Sequence[date], series: Sequence[Series]) -> str:
    """A line per series over the days, as SVG text."""
    with matplotlib.rc_context(_RC):
        figure = Figure(figsize=(8, 3.2), layout="constrained")
        axes = figure.add_subplot()
        when = numpy.array(list(days), dtype="datetime64[D]")
        for colour, one in zip(PALETTE, top_series(series), strict=False):
            axes.plot(when, list(one.counts), label=one.name, color=colour, linewidth=1.8)
        axes.set_title(title, loc="left")
        axes.set_ylabel("Events")
        axes.set_ylim(bottom=0)
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        figure.autofmt_xdate()
        if series:
            axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
        else:
            axes.text(0.5, 0.5, "No events", transform=axes.transAxes, ha="center")
        return _svg(figure)


def bar_chart(*, title: str, labels: Sequence[str], values: Sequence[int]) -> str:
    """Horizontal bars, largest at the top, as SVG text."""
    with matplotlib.rc_context(_RC):
        height = max(1.6, 0.35 * len(labels) + 0.9)
        figure = Figure(figsize=(8, height), layout="constrained")
        axes = figure.add_subplot()
        positions = list(range(len(labels)))
        axes.barh(positions, list(values), color=PALETTE[0])
        axes.set_yticks(positions, list(labels))
        axes.invert_yaxis()
        axes.set_title(title, loc="left")
        axes.set_xlabel("Events")
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        if not labels:
            axes.text(0.5, 0.5, "No events", transform=axes.transAxes, ha="center")
        return _svg(figure)


def data_uri(svg: str) -> str:
    """An SVG as a data URI for `<img src>` (page and PDF alike)."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode("ascii")
