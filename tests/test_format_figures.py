"""Kaplan-Meier figures with many distinct times are drawn from a bounded number of points, unchanged."""

from __future__ import annotations

import re

import matplotlib.image as image
import numpy as np
import pytest

from reportgen.assemble import Drawing, draw
from reportgen.errors import RenderError
from reportgen.format import figures
from reportgen.format.figures import (CURVE_COLUMNS, Curve, Panel, bounded_marks, bounded_step, km_figure,
                                      save_figure)
from reportgen.format.flowchart import FlowBox, flowchart

TICKS = (0.0, 6.0, 12.0, 18.0, 24.0, 30.0)


def _continuous_curve(patients: int, seed: int) -> Curve:
    """A Kaplan-Meier-like step curve with ``patients`` distinct (continuous) times, a third censored."""
    rng = np.random.default_rng(seed)
    time = np.sort(rng.exponential(14.0, patients))
    censored = rng.random(patients) < 0.33
    at_risk = patients - np.arange(patients)
    survival = np.cumprod(np.where(censored, 1.0, 1.0 - 1.0 / at_risk))
    return Curve(f"group {seed}", time, survival, censored, ("n",) * len(TICKS), "median")


def _panel(patients: int) -> tuple[Panel, ...]:
    return (Panel("", "OS (%)", (_continuous_curve(patients, 1), _continuous_curve(patients // 3, 2)), "P = .5"),)


def test_bounded_step_keeps_each_columns_first_and_last_point():
    curve = _continuous_curve(50_000, 3)
    times, levels = bounded_step(curve.time, curve.survival, 30.0)
    assert len(times) <= 2 * CURVE_COLUMNS + 2 < 50_000
    def value(at: np.ndarray, times: np.ndarray, levels: np.ndarray) -> np.ndarray:
        return np.r_[1.0, levels][np.searchsorted(times, at, side="right")]

    edges = np.arange(CURVE_COLUMNS) * 30.0 / CURVE_COLUMNS
    inside = np.random.default_rng(5).uniform(0, 30, 20_000)
    # the same at every column edge; between them it lags by less than one column
    assert np.array_equal(value(edges, times, levels), value(edges, curve.time, curve.survival))
    assert np.all(value(inside, times, levels) >= value(inside, curve.time, curve.survival))
    assert np.all(value(inside, times, levels) <= value(np.floor(inside / 30.0 * CURVE_COLUMNS) * 30.0 / CURVE_COLUMNS,
                                                        curve.time, curve.survival))
    assert times[0] == curve.time[0] and np.all(np.diff(times) > 0)
    short = _continuous_curve(100, 4)
    assert np.array_equal(bounded_step(short.time, short.survival, short.time[-1] + 1)[0], short.time)


def test_bounded_marks_draw_each_spot_once():
    times = np.array([1.0, 1.0001, 1.0002, 5.0, 40.0])
    levels = np.array([0.9, 0.9, 0.9, 0.5, 0.1])
    kept_times, kept_levels = bounded_marks(times, levels, 30.0)
    assert kept_times.tolist() == [1.0, 5.0] and kept_levels.tolist() == [0.9, 0.5]


def test_many_distinct_times_draw_the_same_from_bounded_points(tmp_path, monkeypatch):
    """60,000 distinct times: the SVG holds the bounded step points and two per censor mark kept (27,000
    in all, a quarter of the full drawing's), and the 300-dpi picture is the one
    drawn from every point: under 0.1 % of its pixels differ, by antialiasing along the edges where
    the two thick curves cross (checked by eye: the pictures look the same)."""
    panels = _panel(60_000)
    bounded = save_figure(km_figure(panels, TICKS, "Months"), tmp_path / "bounded.png")
    monkeypatch.setattr(figures.bounded_step, "__defaults__", (10**9,))
    monkeypatch.setattr(figures.bounded_marks, "__defaults__", (10**9,))
    full = save_figure(km_figure(panels, TICKS, "Months"), tmp_path / "full.png")
    vertices = lambda path: len(re.findall(r"[ML] ?-?[\d.]+[ ,]-?[\d.]+", path.with_suffix(".svg").read_text()))
    # each curve: at most 2 * columns + 2 step points, and two points per mark kept; the rest (axes) is small
    marks = sum(len(bounded_marks(c.time[c.censored], c.survival[c.censored] * 100, max(TICKS))[0])
                for c in panels[0].curves)
    assert vertices(bounded) < 2 * (2 * CURVE_COLUMNS + 2) + 2 * marks + 500
    assert vertices(bounded) * 4 < vertices(full)
    a, b = image.imread(bounded), image.imread(full)
    assert a.shape == b.shape
    changed = np.abs(a - b).max(axis=-1) > 0.25
    assert changed.sum() <= 0.001 * changed.size, f"{changed.sum()} pixels differ visibly"


def test_a_figure_that_cannot_be_drawn_is_an_error_naming_it(tmp_path):
    """A flowchart too wide for the page stops the build with a message naming the figure, not a traceback."""
    boxes = (FlowBox("all", "Registry\nn = 900", ""),
             *(FlowBox(f"set{i}", f"Analysis set number {i} with a long label\nn = 30", "all") for i in range(30)))
    drawing = Drawing("flowchart", flowchart, (boxes,), tmp_path / "flowchart.png", "Study flowchart", "")
    with pytest.raises(RenderError, match=r"figure 'flowchart' cannot be drawn: .*too many boxes side by side"):
        draw(drawing)


def test_censor_marks_are_one_path_that_draws_as_markers_do(tmp_path, monkeypatch):
    """The censor marks are one path per curve in the SVG (not one element per mark), and the 300-dpi
    picture is the one matplotlib's "|" markers of the same size draw: only pixels along the ticks'
    antialiased edges differ."""
    panels = _panel(3_000)
    drawn = save_figure(km_figure(panels, TICKS, "Months"), tmp_path / "path.png")
    def as_markers(ax, times, levels, colour):
        ax.plot(times, levels, linestyle="none", marker="|", markersize=figures.CENSOR_MARK,
                markeredgewidth=figures.CENSOR_STROKE, color=colour)
    monkeypatch.setattr(figures, "_draw_censor_marks", as_markers)
    markers = save_figure(km_figure(panels, TICKS, "Months"), tmp_path / "markers.png")
    uses = lambda path: path.with_suffix(".svg").read_text().count("<use")
    marks = sum(len(bounded_marks(c.time[c.censored], c.survival[c.censored] * 100, max(TICKS))[0])
                for c in panels[0].curves)
    assert marks > 500 and uses(markers) - uses(drawn) == marks
    a, b = image.imread(drawn), image.imread(markers)
    assert a.shape == b.shape
    changed = np.abs(a - b).max(axis=-1) > 0.25
    assert changed.sum() <= 0.002 * changed.size, f"{changed.sum()} pixels differ visibly"
