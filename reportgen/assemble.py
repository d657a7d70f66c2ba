"""A study's tables and figures, assembled from its spec and its results store.

Between the format layer (which draws a table or a figure from what it is given) and
the documents (which place them): this module decides which tables and figures a
study has, under which keys, and feeds them numbers read from the results store by
key, so a figure's annotations and a table's cells match the text exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Collection

import numpy as np

from reportgen import stats
from reportgen.analysis.results import StudyResults
from reportgen.document.model import Figure, Run, Table
from reportgen.errors import RenderError
from reportgen.format.comparison_tables import comparison_tables
from reportgen.format.figures import (BalanceRow, Curve, Panel, display_width, km_figure, love_plot, png_inches,
                                      save_figure)
from reportgen.format.flowchart import FlowBox, flowchart
from reportgen.format.journal import JOURNAL_SUFFIXES, journal_widths, write_journal_figure
from reportgen.format.style import HouseStyle
from reportgen.format.tables import characteristics_table
from reportgen.format.text import TextFormatter
from reportgen.spec import StudySpec

if TYPE_CHECKING:
    import matplotlib.figure

#: A formatter whose reads are noted under a place (a table's or figure's key), for ``reportgen diff``.
Reader = Callable[[str], TextFormatter]


@dataclass(frozen=True, eq=False)
class Drawing:
    """A figure to draw: the function that builds it (a matplotlib figure, at its natural width or at
    a ``width`` in inches given as a keyword) and its arguments (plain data, every number already
    read from the results store, so any process can draw it), the PNG it is saved as (with an SVG
    beside it), and the title and caption the document shows it with."""

    key: str
    draw: Callable[..., matplotlib.figure.Figure]
    arguments: tuple
    path: Path
    title: str
    caption: str

    @property
    def vector_path(self) -> Path:
        return self.path.with_suffix(".svg")

    @property
    def files(self) -> list[Path]:
        return [self.path, self.vector_path]


def _built(drawing: Drawing, width: float | None = None) -> matplotlib.figure.Figure:
    """The drawing's figure, at its natural width or ``width`` inches. A figure that cannot be drawn (a
    flowchart too wide for the page) is a RenderError naming it."""
    try:
        return drawing.draw(*drawing.arguments) if width is None else drawing.draw(*drawing.arguments, width=width)
    except ValueError as error:
        raise RenderError(f"figure {drawing.key!r} cannot be drawn: {error}") from None


def figure_object(drawing: Drawing) -> matplotlib.figure.Figure:
    """The drawing's matplotlib figure, as the build saves it, without writing any file.

    The figure is not registered with pyplot (nothing to close); a figure that cannot be drawn
    is a RenderError naming it."""
    return _built(drawing)


def draw(drawing: Drawing) -> Path:
    """Draw one figure and save it as its PNG and SVG; the PNG's path."""
    return save_figure(figure_object(drawing), drawing.path)


@dataclass(frozen=True)
class JournalFigure:
    """A drawn figure to export for journal submission: redrawn at the first of ``widths`` (inches, a
    journal's columns) it can be drawn at, saved as ``folder/<key>.tif``, ``.pdf`` and ``.svg``."""

    drawing: Drawing
    widths: tuple[float, ...]
    dpi: int
    folder: Path

    @property
    def files(self) -> list[Path]:
        return [self.folder / f"{self.drawing.key}{suffix}" for suffix in JOURNAL_SUFFIXES]


def journal_figure(drawing: Drawing, folder: Path, style: HouseStyle) -> JournalFigure:
    """The journal export of a figure already drawn (its PNG's width picks the column: see
    :func:`reportgen.format.journal.journal_widths`)."""
    return JournalFigure(drawing, journal_widths(png_inches(drawing.path)[0], style), style.journal_dpi, folder)


def _first_fitting(drawing: Drawing, widths: tuple[float, ...]) -> matplotlib.figure.Figure:
    """The figure drawn at the first of ``widths`` it can be drawn at (the last one's error if none)."""
    for width in widths[:-1]:
        try:
            return _built(drawing, width)
        except RenderError:
            pass
    return _built(drawing, widths[-1])


def export_journal_figure(job: JournalFigure) -> list[Path]:
    """Redraw the figure at its journal column's width (the next column if it cannot be drawn that narrow)
    and write its TIFF, PDF and SVG; their paths."""
    return list(write_journal_figure(_first_fitting(job.drawing, job.widths), tuple(job.files), job.dpi))


def _placed(drawing: Drawing) -> Figure:
    """A drawn figure as a document figure: the PNG for Word, its SVG for the PDF, shown at its own size."""
    return Figure(drawing.key, str(drawing.path), drawing.title,
                  caption=(Run(drawing.caption),) if drawing.caption else (),
                  vector_path=str(drawing.vector_path), width_inches=display_width(drawing.path))


def _km_curve(label: str, key: str, km: stats.KaplanMeierResult, ticks: tuple[float, ...], text: TextFormatter,
              grouped: bool) -> Curve:
    """One curve with its number at risk and its median text, all read from the results store."""
    at_risk = tuple(text.count(f"{key}.at_risk.{t:g}") for t in ticks)
    median_key = f"{key}.median"
    median = (f"median {text.median_ci(median_key)}" if grouped
              else f"Median {text.median(median_key)} months (95% CI, {text.interval(median_key)})")
    return _curve(label, km, at_risk, median)


def _curve(label: str, km: stats.KaplanMeierResult, at_risk: tuple[str, ...], median_text: str) -> Curve:
    """A Kaplan-Meier estimate as the figure draws it: its steps and censorings."""
    return Curve(label, np.asarray(km.time, dtype=float), np.asarray(km.survival, dtype=float),
                 np.asarray(km.n_censor) > 0, at_risk, median_text)


def _short(spec: StudySpec, name: str) -> str:
    """A set's short label for legends and risk tables (its label when it has none)."""
    return spec.analysis_sets[name].short_label or spec.analysis_sets[name].label


def _figures(spec: StudySpec, study: StudyResults, reader: Reader, folder: Path) -> list[Drawing]:
    """The spec's Kaplan-Meier figures: one panel per endpoint, of the set or of a grouping's groups."""
    figures = []
    for key, figure in spec.figures.items():
        text = reader(key)
        panels = []
        for letter, endpoint_key in zip("ABCDEFGH", figure.endpoints):
            endpoint = spec.endpoints[endpoint_key]
            if figure.grouping:
                groups = endpoint.groups[figure.grouping]
                curves = tuple(_km_curve(_short(spec, group), f"{endpoint_key}.{group}",
                                         study.curves[f"{endpoint_key}.{group}"], figure.risk_times, text, True)
                               for group in groups)
                p_text = f"Log-rank {text.p_value(f'{endpoint_key}.{figure.grouping}.p')}"
            else:
                curves = (_km_curve(spec.analysis_sets[figure.set].label, endpoint_key, study.curves[endpoint_key],
                                    figure.risk_times, text, False),)
                p_text = ""
            panels.append(Panel(letter if len(figure.endpoints) > 1 else "", f"{endpoint.label} (%)", curves,
                                p_text))
        figures.append(Drawing(key, km_figure, (tuple(panels), figure.risk_times, figure.x_label), folder / f"{key}.png",
                               figure.title, figure.caption))
    return figures


def _balance_label(spec: StudySpec, difference: stats.StandardizedDifference) -> str:
    variable = spec.variables[difference.variable]
    return variable.label if difference.level is None else f"{variable.label}: {difference.level}"


def _comparison_figures(spec: StudySpec, study: StudyResults, reader: Reader, folder: Path) -> list[Drawing]:
    """Per comparison: the weighted survival curves (``<c>_survival``) and the love plot (``<c>_love``)."""
    figures = []
    for key, comparison in spec.comparisons.items():
        text = reader(f"{key}_survival")
        results = study.comparisons[key]
        method = text.record(f"{key}.weights.treated.mean").method
        panels = []
        for letter, endpoint_key in zip("ABCDEFGH", comparison.endpoints):
            prefix = f"{key}.{endpoint_key}"
            curves = []
            for arm, arm_spec in (("treated", comparison.treated), ("control", comparison.control)):
                at_risk = tuple(text.count(f"{prefix}.{arm}.at_risk.{t:g}") for t in comparison.risk_times)
                median = f"median {text.median_ci(f'{prefix}.{arm}.median')}"
                curves.append(_curve(arm_spec.label, results.curves[endpoint_key][arm], at_risk, median))
            p_text = f"HR {text.hazard_ratio(f'{prefix}.hr')}, {text.p_value(f'{prefix}.p')}"
            panels.append(Panel(letter, f"{spec.endpoints[endpoint_key].label} (%)", tuple(curves), p_text))
        labels = " and ".join(f"{spec.endpoints[e].label} ({letter})" for letter, e in zip("ABCDEFGH", comparison.endpoints))
        caption = (f"{labels} of {comparison.treated.label} and {comparison.control.label}, by the Kaplan-Meier "
                   f"method weighted according to IPW ({method}); medians in months with 95% confidence intervals; "
                   "hazard ratio from the weighted Cox model with robust variance and P by its robust score test. "
                   "The number at risk under each panel is the unweighted number of patients.")
        figures.append(Drawing(f"{key}_survival", km_figure, (tuple(panels), comparison.risk_times, comparison.x_label),
                               folder / f"{key}_survival.png", f"Weighted survival, {comparison.label}", caption))
        rows = tuple(BalanceRow(_balance_label(spec, before), before.smd, after.smd)
                     for before, after in zip(results.smd_before, results.smd_after))
        threshold = comparison.smd_threshold
        caption = (f"Absolute standardized mean differences of the weighting variables before and after weighting "
                   f"({method}); the dashed line marks the balance threshold of {threshold:g}.")
        figures.append(Drawing(f"{key}_love", love_plot, (rows, threshold), folder / f"{key}_love.png",
                               f"Covariate balance, {comparison.label}", caption))
    return figures


def study_tables(spec: StudySpec, reader: Reader, style: HouseStyle) -> dict[str, Table]:
    """Every characteristics table of the spec and every comparison's tables, by key."""
    tables = {
        key: characteristics_table(key, table, spec.variables, reader(key).results, spec.analysis_sets, style)
        for key, table in spec.tables.items()
    }
    return {**tables, **comparison_tables(spec, reader)}


def _parent(key: str, text: TextFormatter) -> str:
    return str(text.record(f"flow.{key}.n").params["parent"])


def _splits(shown: list[str], spec: StudySpec, text: TextFormatter) -> set[str]:
    """Subsets that, with their shown siblings, split their parent exactly (early and late
    failures): drawn as a split, without side boxes that would only restate each other."""
    children: dict[str, list[str]] = {}
    for key in shown:
        if key in spec.analysis_sets and spec.analysis_sets[key].rule == "subset":
            children.setdefault(spec.analysis_sets[key].of, []).append(key)
    return {key for parent, keys in children.items() if len(keys) > 1
            and sum(text.record(f"flow.{k}.n").value for k in keys) == text.record(f"flow.{parent}.n").value
            for key in keys}


def _flow_box(key: str, text: TextFormatter, parent: str, split: bool = False) -> FlowBox:
    """A flowchart box and its side box of exclusions (none for a root or a split), every
    count read from the flow records."""
    record = text.record(f"flow.{key}.n")
    excluded = text.record(f"flow.{key}.excluded")
    exclusion = ""
    if excluded.value and parent and not split:
        reasons = [record for k, record in text.results.items()
                   if k.startswith(f"flow.{key}.excluded.") and record.value]
        lines = [f"{r.params['reason'][:1].upper()}{r.params['reason'][1:]}"
                 + (f": {text.count(r.key)}" if len(reasons) > 1 else "") for r in reasons]
        exclusion = "\n".join([f"Excluded (n = {text.count(excluded.key)})", *lines])
    return FlowBox(key, f"{record.params['label']}\nn = {text.count(record.key)}", parent, exclusion)


def _flowcharts(spec: StudySpec, reader: Reader, folder: Path) -> list[Drawing]:
    """Figure 1 (registry to the analysis sets) and one diagram per comparison's cohort."""
    text = reader("flowchart")
    steps = [key[len("flow."):-len(".n")] for key, record in text.results.items()
             if key.startswith("flow.") and "label" in record.params]  # the boxes, in the derivation's order
    comparison_steps = {key for key in steps if key.split(".")[0] in spec.comparisons}
    hidden = {name for name, analysis_set in spec.analysis_sets.items() if not analysis_set.in_flowchart}
    shown = [key for key in steps if key not in comparison_steps | hidden]
    splits = _splits(shown, spec, text)
    main = tuple(_flow_box(key, text, _parent(key, text), split=key in splits) for key in shown)
    source = "the registry" if spec.data.form == "registry" else "the data"
    caption = (f"Patients of {source} down to each analysis set; each side box gives the patients excluded at "
               "that step and why." + (" The cohorts of the weighted comparisons are drawn in the supplement."
                                       if spec.comparisons else ""))
    figures = [Drawing("flowchart", flowchart, (main,), folder / "flowchart.png", "Study flowchart", caption)]
    for name, comparison in spec.comparisons.items():
        text = reader(f"{name}_flow")
        own = [key for key in steps if key.startswith(f"{name}.")]
        root = _parent(own[0], text)  # the population the comparison's arms are formed in
        boxes = tuple(_flow_box(key, text, "" if key == root else _parent(key, text)) for key in (root, *own))
        split = ("patients treated for their first progression, split by that treatment" if spec.data.form == "registry"
                 else f"patients of the {spec.analysis_sets[comparison.set].label}, split by arm")
        caption = (f"Formation of the cohort of the comparison {comparison.label}: {split}, then those missing a "
                   "weighting variable excluded.")
        figures.append(Drawing(f"{name}_flow", flowchart, (boxes,), folder / f"{name}_flow.png",
                               f"Comparison cohort, {comparison.label}", caption))
    return figures


def study_drawings(spec: StudySpec, study: StudyResults, reader: Reader, folder: Path) -> list[Drawing]:
    """Every figure of the study, to draw: Kaplan-Meier figures, comparison figures, flowcharts."""
    return [*_figures(spec, study, reader, folder), *_comparison_figures(spec, study, reader, folder),
            *_flowcharts(spec, reader, folder)]


def study_figures(spec: StudySpec, study: StudyResults, reader: Reader, folder: Path,
                  draw_all: Callable[[list[Drawing]], None], keys: Collection[str] | None = None) -> dict[str, Figure]:
    """Draw the study's figures named in ``keys`` (None: all; a figure no document places is not drawn)
    into ``folder`` with ``draw_all`` (which may spread the drawings over processes, or reuse earlier
    ones); the document figures by key. A key the study does not define is a RenderError."""
    drawings = study_drawings(spec, study, reader, folder)
    if keys is not None:
        defined = {drawing.key for drawing in drawings}
        for key in keys:
            if key not in defined:
                raise RenderError(f"template asks for figure {key!r}, which the study does not define "
                                  f"(known: {', '.join(sorted(defined))})")
        drawings = [drawing for drawing in drawings if drawing.key in keys]
    draw_all(drawings)
    return {drawing.key: _placed(drawing) for drawing in drawings}
