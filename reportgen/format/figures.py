"""Kaplan-Meier figures in the house style, with the number at risk aligned under the ticks.

The risk table is drawn in its own axes that share the curve's x axis, and each count
is placed at its tick's data coordinate, so counts and ticks cannot drift apart
(the failure users report most for survminer and lifelines). Counts are those of the
results store (patients whose time is >= t), passed in already formatted (a small cell
under suppression reads "<5"), never recounted here.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from reportgen.format.fit import Measure, fitted, text_measure

if TYPE_CHECKING:
    import matplotlib.figure
    import matplotlib.pyplot as plt

#: Curve colours, distinct for colour-blind readers (Okabe-Ito).
PALETTE = ("#000000", "#0072B2", "#D55E00", "#009E73", "#CC79A7")
#: Each colour's line, so that the curves of a panel stay apart in greyscale too: the first two colours
#: differ in lightness (CIE L* 0 and 46) and keep solid lines; the next three (L* 54, 58, 61) are close to
#: the second and to each other, so each has its own dash pattern (in multiples of the line width).
LINE_STYLES = ("solid", "solid", (0, (4, 1.5)), (0, (1, 1.2)), (0, (5, 1.5, 1, 1.5)))
DPI = 300
#: Shared look of every figure; a fixed SVG hash salt keeps the vector files reproducible. Text stays
#: text in the SVG (``svg.fonttype: none``): the PDF sets it in the bundled DejaVu Sans, searchable, and
#: WeasyPrint draws a figure twice as fast as from glyph outlines.
RC = {"font.family": "DejaVu Sans", "font.size": 8, "axes.linewidth": 0.8, "svg.hashsalt": "reportgen",
      "svg.fonttype": "none", "path.simplify": False}


def pyplot():
    """matplotlib's pyplot on the Agg backend, imported on first use: figures are drawn on the build's
    workers, so the main process (and a build whose figures are all cached) never loads matplotlib."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot

    return matplotlib.pyplot


def png_inches(path: Path) -> tuple[float, float]:
    """The size (inches wide, high) a PNG saved by :func:`save_figure` was drawn at, read from its header."""
    with open(path, "rb") as image:
        width, height = struct.unpack(">II", image.read(24)[16:24])  # the PNG IHDR chunk
    return width / DPI, height / DPI


def display_width(path: Path, max_width: float = 6.5, max_height: float = 8.3) -> float:
    """The width (inches) to show a saved PNG at: its own size, so its 8-pt text stays 8 pt,
    shrunk only to fit the text block of the page (``max_width`` by ``max_height``)."""
    inches_wide, inches_high = png_inches(path)
    return round(min(inches_wide, max_width, max_height * inches_wide / inches_high), 2)


def new_figure(width: float, height: float, dpi: float | None = None) -> matplotlib.figure.Figure:
    """An empty figure of ``width`` by ``height`` inches on the Agg canvas (which can measure text).

    It is not registered with pyplot, so whoever holds it owns it: nothing to close, and no
    figure is left open when a caller of :func:`reportgen.assemble.figure_object` drops it."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=dpi)
    FigureCanvasAgg(figure)
    return figure


def save_figure(figure: matplotlib.figure.Figure, path: Path) -> Path:
    """Save ``figure`` as a PNG at ``path`` (300 dpi, for Word) and an SVG beside it (vector, for the PDF).

    Saved under the house settings (:data:`RC`), which the SVG writer reads as it writes. The PNG is
    compressed at zlib level 3, not Pillow's 6: encoding took longer than drawing, and level 3 encodes
    the example's 14 figures in 0.8 s of CPU instead of 1.4 s, for files 14% larger (measured)."""
    import matplotlib

    path.parent.mkdir(parents=True, exist_ok=True)
    with matplotlib.rc_context(RC):
        figure.savefig(path, dpi=DPI, metadata={"Software": None}, pil_kwargs={"compress_level": 3})
        figure.savefig(path.with_suffix(".svg"), metadata={"Date": None, "Creator": None})
    return path


#: Columns a curve is reduced to across the x axis: over twice the pixels of the widest panel at 300 dpi,
#: so a curve with tens of thousands of distinct times draws the same from a few thousand points.
CURVE_COLUMNS = 2048


@dataclass(frozen=True, eq=False)
class Curve:
    """One group's survival curve as drawn: its label, the step function (the times, ascending, the
    survival just after each, and which times have a censoring), the number at risk per tick
    (formatted) and its median text."""

    label: str
    time: np.ndarray
    survival: np.ndarray
    censored: np.ndarray
    at_risk: tuple[str, ...]
    median_text: str


@dataclass(frozen=True)
class Panel:
    """One panel (A, B, …): an endpoint's curves, the y label and an optional P value text."""

    letter: str
    y_label: str
    curves: tuple[Curve, ...]
    p_text: str = ""


def _step(curve: Curve) -> tuple[np.ndarray, np.ndarray]:
    times = np.concatenate(([0.0], np.asarray(curve.time, dtype=float)))
    survival = np.concatenate(([1.0], np.asarray(curve.survival, dtype=float)))
    return times, survival * 100


def bounded_step(times: np.ndarray, levels: np.ndarray, x_max: float,
                 columns: int = CURVE_COLUMNS) -> tuple[np.ndarray, np.ndarray]:
    """The points of a non-increasing step curve that show on ``[0, x_max]`` at ``columns`` columns.

    Within one column a step curve only falls, so its first and last points there draw the
    same vertical run as all of them; two points past ``x_max`` keep the curve running, and
    its line joined, across the edge. At most ``2 * columns + 2`` points, whatever the number
    of distinct times; a curve with fewer points is returned as it is.
    """
    shown = int(np.searchsorted(times, x_max, side="right"))
    times, levels = times[:shown + 2], levels[:shown + 2]
    if len(times) <= 2 * columns:
        return times, levels
    column = np.minimum((times / x_max * columns).astype(np.int64), columns)
    first = np.r_[True, column[1:] != column[:-1]]
    last = np.r_[column[1:] != column[:-1], True]
    keep = first | last
    return times[keep], levels[keep]


def bounded_marks(times: np.ndarray, levels: np.ndarray, x_max: float,
                  columns: int = CURVE_COLUMNS) -> tuple[np.ndarray, np.ndarray]:
    """Censor marks on ``[0, x_max]``, one per column and level (to 0.05 %): marks that would be drawn
    over each other at 300 dpi are drawn once. Marks just past the edge are kept: their stroke shows."""
    inside = times <= x_max * 1.01
    times, levels = times[inside], levels[inside]
    cells = np.column_stack(((times / x_max * columns).astype(np.int64), np.round(levels * 20).astype(np.int64)))
    _, index = np.unique(cells, axis=0, return_index=True)
    index.sort()
    return times[index], levels[index]


#: Where the medians and P may go, in axes coordinates (x, y, horizontal and vertical alignment), in order of preference.
ANNOTATION_SPOTS = ((0.97, 0.97, "right", "top"), (0.97, 0.03, "right", "bottom"), (0.03, 0.03, "left", "bottom"),
                    (0.97, 0.55, "right", "center"))


def _annotate_clear_of_curves(ax: plt.Axes, text: str, steps: list[tuple[np.ndarray, np.ndarray]]) -> None:
    """Write the annotation at the first spot whose text box no curve crosses (else the least crossed).

    The text is measured by the renderer and tested against each step curve sampled densely, so a
    curve that stays high (a late-failure group) pushes the text below it. The axes' place is fixed
    by the figure's grid, so the text is measured without drawing the figure first (a third of a
    figure's time).
    """
    renderer = ax.figure.canvas.get_renderer()
    to_axes = ax.transAxes.inverted()
    x_max = ax.get_xlim()[1]
    samples = np.linspace(0, x_max, 400)
    points = []
    for times, survival in steps:
        index = np.searchsorted(times, samples, side="right") - 1
        level = survival[np.clip(index, 0, len(survival) - 1)]
        inside = samples <= times[-1]
        points.append(np.column_stack((samples[inside] / x_max, level[inside] / 102)))
    curve_points = np.concatenate(points) if points else np.empty((0, 2))
    best = None
    for x, y, ha, va in ANNOTATION_SPOTS:
        label = ax.text(x, y, text, transform=ax.transAxes, ha=ha, va=va, fontsize=7.5, linespacing=1.5)
        (x0, y0), (x1, y1) = to_axes.transform(label.get_window_extent(renderer))
        crossed = int(((curve_points[:, 0] >= x0 - 0.01) & (curve_points[:, 0] <= x1 + 0.01)
                       & (curve_points[:, 1] >= y0 - 0.02) & (curve_points[:, 1] <= y1 + 0.02)).sum())
        if best is None or crossed < best[0]:
            if best is not None:
                best[1].remove()
            best = (crossed, label)
        else:
            label.remove()
        if crossed == 0:
            break


#: Height of a censor mark (points) and its stroke width.
CENSOR_MARK = 6.0
CENSOR_STROKE = 1.0


def _draw_censor_marks(ax: plt.Axes, times: np.ndarray, levels: np.ndarray, colour: str) -> None:
    """A vertical tick ``CENSOR_MARK`` points tall at each censoring, all ticks one line (one path).

    A marker per mark would look the same, but the SVG would hold one ``<use>`` per mark, and
    WeasyPrint draws each as its own element: a curve of 150,000 patients has hundreds. The
    height in data units comes from the axes' height, fixed by the figure's grid, so call this
    after the y limits are set."""
    y_low, y_high = ax.get_ylim()
    points_high = ax.get_window_extent().height * 72 / ax.figure.dpi
    half = CENSOR_MARK / 2 * (y_high - y_low) / points_high
    gaps = np.full(len(times), np.nan)
    ax.plot(np.column_stack((times, times, gaps)).ravel(),
            np.column_stack((levels - half, levels + half, gaps)).ravel(),
            color=colour, linewidth=CENSOR_STROKE, solid_capstyle="butt")


def _draw_panel(curve_ax: plt.Axes, risk_ax: plt.Axes, panel: Panel, ticks: tuple[float, ...], x_label: str,
                legend: tuple[str, ...] | None = None, risk_label_gap: float = 0.0) -> None:
    """One panel: its curves and censor marks, the legend (``legend``: one entry per curve, by default each
    curve's "label: median") or the median text, the P value, and its risk table, whose labels end 5% of
    the axes' width left of the first tick, or ``risk_label_gap`` inches if more."""
    x_max = max(ticks)
    curve_ax.set_ylim(0, 102)
    curve_ax.set_xlim(0, x_max)
    for colour, line_style, curve in zip(PALETTE, LINE_STYLES, panel.curves):
        times, survival = bounded_step(*_step(curve), x_max)
        curve_ax.step(times, survival, where="post", color=colour, linestyle=line_style, linewidth=1.4,
                      label=curve.label)
        censored = np.asarray(curve.censored, dtype=bool)
        _draw_censor_marks(curve_ax, *bounded_marks(np.asarray(curve.time, dtype=float)[censored],
                                                    np.asarray(curve.survival, dtype=float)[censored] * 100, x_max),
                           colour)
    curve_ax.set_xticks(ticks)
    curve_ax.set_yticks(range(0, 101, 20))
    curve_ax.set_ylabel(panel.y_label)
    curve_ax.set_xlabel(x_label)
    curve_ax.spines[["top", "right"]].set_visible(False)
    curve_ax.text(-0.16, 1.04, panel.letter, transform=curve_ax.transAxes, fontsize=13, fontweight="bold",
                  va="bottom")
    grouped = len(panel.curves) > 1
    if grouped:  # one legend line per group, with its median, stacked above the plot: never over a curve
        handles = curve_ax.get_lines()[::2]  # each curve's step line (its censor marks follow it)
        entries = legend if legend is not None else [_legend_entry(curve) for curve in panel.curves]
        curve_ax.legend(handles, entries, loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=1, frameon=False,
                        fontsize=7.5, handlelength=1.5, borderaxespad=0.2)
    lines = [] if grouped else [panel.curves[0].median_text]
    if panel.p_text:
        lines.append(panel.p_text)
    if lines:
        _annotate_clear_of_curves(curve_ax, "\n".join(lines), [_step(curve) for curve in panel.curves])

    risk_ax.set_xlim(curve_ax.get_xlim())
    risk_ax.set_ylim(-0.5, len(panel.curves) - 0.5)
    risk_ax.axis("off")
    risk_ax.set_title("No. at risk", loc="left", fontsize=7.5, pad=2)
    # labels right-aligned left of the axis, in the margin km_figure reserves for them
    label_x = -max(0.05, risk_label_gap / (risk_ax.get_position().width * risk_ax.figure.get_figwidth()))
    for row, (colour, curve) in enumerate(zip(PALETTE, panel.curves)):
        y = len(panel.curves) - 1 - row
        for tick, count in zip(ticks, curve.at_risk):
            risk_ax.text(tick, y, str(count), ha="center", va="center", fontsize=7.5, color=colour)
        if len(panel.curves) > 1:
            risk_ax.text(label_x, y, curve.label, transform=risk_ax.get_yaxis_transform(), ha="right",
                         va="center", fontsize=7, color=colour)


#: Inches between a risk-table label and the widest count under the first tick, at a set width.
RISK_LABEL_SPACE = 0.06
#: Inches between the last tick's label and the figure's right edge, at least, at a set width.
EDGE_SPACE = 0.03
#: Inches a legend entry's line, and an x label's line, add to a figure's height.
LEGEND_LINE, X_LABEL_LINE = 0.14, 0.14
#: Inches of a legend entry taken by its handle, the space after it and the legend's padding (7.5-pt text).
LEGEND_HANDLE = (1.5 + 0.8 + 0.4 + 0.2) * 7.5 / 72


@dataclass(frozen=True)
class _KmTexts:
    """The texts of a Kaplan-Meier figure that are fitted to a set width: each panel's legend entries
    (one per curve, grouped panels only), the x label, and the inches the risk-table labels keep from the
    first tick (0: the natural figure's 5% of the axes' width)."""

    legends: tuple[tuple[str, ...], ...]
    x_label: str
    risk_label_gap: float = 0.0

    @property
    def legend_lines(self) -> int:
        return max(sum(entry.count("\n") + 1 for entry in legend) for legend in self.legends)

    @property
    def x_label_lines(self) -> int:
        return self.x_label.count("\n") + 1


def _legend_entry(curve: Curve, room: float | None = None, measure: Measure | None = None) -> str:
    """A grouped panel's legend entry, "label: median", as it is if it fits ``room`` inches of text (None: any
    width), else broken after the label ("label:", then the median on the next line), so a median is never
    split from its interval; each part is wrapped further only if still too wide."""
    whole = f"{curve.label}: {curve.median_text}"
    if room is None or measure(whole)[0] <= room:
        return whole
    return "\n".join(fitted(part, room, measure) for part in (f"{curve.label}:", curve.median_text))


def _km_texts(panels: tuple[Panel, ...], x_label: str, room: float | None) -> _KmTexts:
    """The legend entries and x label as they are (``room`` None: at the natural width, which is sized for
    them), or wrapped to ``room``: the inches the last panel's axes and right margin give them; then the
    risk-table labels also keep clear of the widest count under the first tick, the axes being narrower."""
    if room is None:
        return _KmTexts(tuple(tuple(_legend_entry(curve) for curve in panel.curves) for panel in panels), x_label)
    measure = text_measure(7.5, DPI)  # legends and risk tables
    first_counts = [str(curve.at_risk[0]) for panel in panels for curve in panel.curves if curve.at_risk]
    return _KmTexts(tuple(tuple(_legend_entry(curve, room - LEGEND_HANDLE, measure) for curve in panel.curves)
                          for panel in panels),
                    fitted(x_label, room, text_measure(RC["font.size"], DPI)),
                    max((measure(count)[0] / 2 for count in first_counts), default=0.0) + RISK_LABEL_SPACE)


def _fitted_right(ticks: tuple[float, ...], width: float) -> float:
    """The axes' right edge (a fraction of ``width`` inches) at a set width: a 2% margin, or more, so that the
    last tick's label, centred on that edge, ends :data:`EDGE_SPACE` inches inside the figure."""
    half_label = text_measure(RC["font.size"], DPI)(f"{max(ticks):g}")[0] / 2
    return 1 - max(0.02, (half_label + EDGE_SPACE) / width)


def _km_heights(rows: int, texts: _KmTexts) -> tuple[float, float, float]:
    """The figure's height (inches), the top of its axes and the space between curves and risk table (both
    as gridspec takes them): room above the axes for a grouped panel's stacked legend, and between them for
    an x label of several lines, the axes keeping their height."""
    lines = texts.legend_lines
    height = 3.3 + 0.17 * rows + (LEGEND_LINE * lines if rows > 1 else 0)
    top = 1 - (0.12 + LEGEND_LINE * lines) / height if rows > 1 else 0.9
    hspace = 0.45
    if texts.x_label_lines > 1:
        added = X_LABEL_LINE * (texts.x_label_lines - 1)
        axes = height * (top - 0.04) / (1 + hspace / 2)  # the two rows of axes together
        height += added
        top = 1 - (1 - top) * (height - added) / height  # the same inches above the axes
        hspace = 2 * (height * (top - 0.04) / axes - 1)
    return height, top, hspace


def km_figure(panels: tuple[Panel, ...], ticks: tuple[float, ...], x_label: str, *,
              width: float | None = None) -> matplotlib.figure.Figure:
    """Panels side by side with their risk tables, as a figure (save it with :func:`save_figure`).

    Its natural width (``width`` None) gives each panel room for its risk table's labels; a set
    ``width`` (inches: a journal's column) redraws the same layout narrower or wider, text at the
    same size: a legend entry or the x label too wide for its panel is wrapped, and the figure
    grows by the lines added."""
    rows = max(len(panel.curves) for panel in panels)
    labelled = [curve.label for panel in panels for curve in panel.curves] if rows > 1 else []
    label_inches = max((len(label) for label in labelled), default=0) * 7 * 0.62 / 72  # 7-pt text
    columns = len(panels)
    natural = width is None
    if width is None:
        width = (3.4 + label_inches) * columns
    gap = 0.55 + label_inches  # inches between panels: the next panel's y labels and risk labels
    import matplotlib

    with matplotlib.rc_context(RC):
        left, right = (0.5 + label_inches) / width, 0.98 if natural else _fitted_right(ticks, width)
        axis_width = (width * (right - left) - (columns - 1) * gap) / columns
        texts = _km_texts(panels, x_label, None if natural else axis_width + (1 - right) * width)
        height, top, hspace = _km_heights(rows, texts)
        figure = new_figure(width, height)
        grid = figure.add_gridspec(2, columns, height_ratios=(5.5, 0.55 + 0.3 * rows), hspace=hspace,
                                   wspace=gap / axis_width, left=left, right=right, top=top, bottom=0.04)
        for column, (panel, legend) in enumerate(zip(panels, texts.legends)):
            curve_ax = figure.add_subplot(grid[0, column])
            risk_ax = figure.add_subplot(grid[1, column], sharex=curve_ax)
            _draw_panel(curve_ax, risk_ax, panel, ticks, texts.x_label, legend, texts.risk_label_gap)
        return figure


@dataclass(frozen=True)
class BalanceRow:
    """One covariate (or level) of a love plot: its label and |SMD| before and after weighting."""

    label: str
    before: float
    after: float


def love_plot(rows: tuple[BalanceRow, ...], threshold: float, *, width: float | None = None
              ) -> matplotlib.figure.Figure:
    """Absolute SMD per covariate before (open circles) and after (filled) weighting, with the threshold,
    as a figure 6 inches wide (or ``width`` inches: a journal's column)."""
    import matplotlib

    with matplotlib.rc_context(RC):
        figure = new_figure(6.0 if width is None else width, 1.0 + 0.22 * len(rows))
        ax = figure.add_subplot()
        y = np.arange(len(rows))[::-1]
        before = np.array([abs(row.before) for row in rows])
        after = np.array([abs(row.after) for row in rows])
        ax.hlines(y, np.minimum(before, after), np.maximum(before, after), color="#BBBBBB", linewidth=0.8)
        ax.plot(before, y, linestyle="none", marker="o", markersize=5, markerfacecolor="white",
                markeredgecolor=PALETTE[2], label="Before weighting")
        ax.plot(after, y, linestyle="none", marker="o", markersize=5, color=PALETTE[1], label="After weighting")
        ax.axvline(threshold, color="#555555", linestyle="--", linewidth=0.8)
        ax.set_yticks(y, [row.label for row in rows])
        ax.set_xlim(0, max(threshold * 1.5, float(np.nanmax(np.concatenate((before, after)))) * 1.1))
        ax.set_ylim(-0.7, len(rows) - 0.3)
        ax.set_xlabel("Absolute standardized mean difference")
        ax.spines[["top", "right"]].set_visible(False)
        ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, frameon=False, fontsize=7.5)
        figure.tight_layout()
        return figure
