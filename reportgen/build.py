"""One build: study spec → registry → analyses → documents, written atomically.

The stages run in the data flow's order (load, validate, derive, analyse, format,
document, write); each takes the previous stage's result and nothing else. Outputs
are written to a scratch folder beside the output folder and moved into place only
when everything succeeded, so a failed build leaves the previous outputs intact.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from reportgen.analysis.study import StudyResults, analyse
from reportgen.data.derive import Derived, derive
from reportgen.data.load import load_registry
from reportgen.data.validate import validate
from reportgen.document.front import title_page
from reportgen.document.markdown import parse_markdown
from reportgen.document.model import Document, Figure, Run, Table
from reportgen.document.passes import number_blocks, resolve_references
from reportgen import stats
from reportgen.analysis.comparison import smd_breaches
from reportgen.format.comparison_tables import comparison_tables
from reportgen.format.figures import BalanceRow, Curve, Panel, km_figure, love_plot
from reportgen.errors import RenderError
from reportgen.format.style import TEMPLATES, HouseStyle
from reportgen.format.tables import characteristics_table
from reportgen.format.text import TextFormatter
from reportgen.render.docx import write_docx
from reportgen.render.pdf import write_pdf
from reportgen.render.templates import render_template
from reportgen.spec import StudySpec, load_spec

Progress = Callable[[str], None]


@dataclass(frozen=True)
class BuildOutputs:
    """Where a build wrote its files."""

    folder: Path
    files: tuple[Path, ...]


def _km_curve(label: str, key: str, km: stats.KaplanMeierResult, ticks: tuple[float, ...], text: TextFormatter,
              grouped: bool) -> Curve:
    """One curve with its number at risk and its median text, all read from the results store."""
    at_risk = tuple(int(text.record(f"{key}.at_risk.{t:g}").value) for t in ticks)
    median_key = f"{key}.median"
    median = (f"median {text.median_ci(median_key)}" if grouped
              else f"Median {text.median(median_key)} months (95% CI, {text.interval(median_key)})")
    return Curve(label, km, at_risk, median)


def _figures(spec: StudySpec, study: StudyResults, text: TextFormatter, folder: Path) -> dict[str, Figure]:
    """The spec's Kaplan-Meier figures: one panel per endpoint, of the set or of a grouping's groups."""
    figures = {}
    for key, figure in spec.figures.items():
        panels = []
        for letter, endpoint_key in zip("ABCDEFGH", figure.endpoints):
            endpoint = spec.endpoints[endpoint_key]
            if figure.grouping:
                groups = endpoint.groups[figure.grouping]
                curves = tuple(_km_curve(spec.analysis_sets[group].label, f"{endpoint_key}.{group}",
                                         study.curves[f"{endpoint_key}.{group}"], figure.risk_times, text, True)
                               for group in groups)
                p_text = f"Log-rank {text.p_value(f'{endpoint_key}.{figure.grouping}.p')}"
            else:
                curves = (_km_curve(spec.analysis_sets[figure.set].label, endpoint_key, study.curves[endpoint_key],
                                    figure.risk_times, text, False),)
                p_text = ""
            panels.append(Panel(letter if len(figure.endpoints) > 1 else "", f"{endpoint.label} (%)", curves,
                                p_text))
        path = km_figure(tuple(panels), figure.risk_times, figure.x_label, folder / f"{key}.png")
        figures[key] = Figure(key, str(path), figure.title, caption=(Run(figure.caption),) if figure.caption else (),
                              vector_path=str(path.with_suffix(".svg")))
    return figures


def _balance_label(spec: StudySpec, difference: stats.StandardizedDifference) -> str:
    variable = spec.variables[difference.variable]
    return variable.label if difference.level is None else f"{variable.label}: {difference.level}"


def _comparison_figures(spec: StudySpec, study: StudyResults, text: TextFormatter, folder: Path
                        ) -> dict[str, Figure]:
    """Per comparison: the weighted survival curves (``<c>_survival``) and the love plot (``<c>_love``)."""
    figures = {}
    for key, comparison in spec.comparisons.items():
        results = study.comparisons[key]
        method = text.record(f"{key}.weights.treated.mean").method
        panels = []
        for letter, endpoint_key in zip("ABCDEFGH", comparison.endpoints):
            prefix = f"{key}.{endpoint_key}"
            curves = []
            for arm, arm_spec in (("treated", comparison.treated), ("control", comparison.control)):
                at_risk = tuple(int(text.record(f"{prefix}.{arm}.at_risk.{t:g}").value) for t in comparison.risk_times)
                median = f"median {text.median_ci(f'{prefix}.{arm}.median')}"
                curves.append(Curve(arm_spec.label, results.curves[endpoint_key][arm], at_risk, median))
            p_text = f"HR {text.hazard_ratio(f'{prefix}.hr')}, {text.p_value(f'{prefix}.p')}"
            panels.append(Panel(letter, f"{spec.endpoints[endpoint_key].label} (%)", tuple(curves), p_text))
        path = km_figure(tuple(panels), comparison.risk_times, comparison.x_label, folder / f"{key}_survival.png")
        labels = " and ".join(f"{spec.endpoints[e].label} ({letter})" for letter, e in zip("ABCDEFGH", comparison.endpoints))
        caption = (f"{labels} of {comparison.treated.label} and {comparison.control.label}, by the Kaplan-Meier "
                   f"method weighted according to IPW ({method}); medians in months with 95% confidence intervals; "
                   "hazard ratio from the weighted Cox model with robust variance and P by its robust score test. "
                   "The number at risk under each panel is the unweighted number of patients.")
        figures[f"{key}_survival"] = Figure(f"{key}_survival", str(path), f"Weighted survival, {comparison.label}",
                                            caption=(Run(caption),), vector_path=str(path.with_suffix(".svg")))
        rows = tuple(BalanceRow(_balance_label(spec, before), before.smd, after.smd)
                     for before, after in zip(results.smd_before, results.smd_after))
        threshold = comparison.smd_threshold
        path = love_plot(rows, threshold, folder / f"{key}_love.png")
        caption = (f"Absolute standardized mean differences of the weighting variables before and after weighting "
                   f"({method}); the dashed line marks the balance threshold of {threshold:g}.")
        figures[f"{key}_love"] = Figure(f"{key}_love", str(path), f"Covariate balance, {comparison.label}",
                                        caption=(Run(caption),), vector_path=str(path.with_suffix(".svg")))
    return figures


def _tables(spec: StudySpec, study: StudyResults, text: TextFormatter, style: HouseStyle) -> dict[str, Table]:
    tables = {
        key: characteristics_table(key, table, spec.variables, study.results, spec.analysis_sets, style)
        for key, table in spec.tables.items()
    }
    return {**tables, **comparison_tables(spec, text)}


def compose_documents(spec: StudySpec, tables: dict[str, Table], figures: dict[str, Figure],
                      text: TextFormatter) -> dict[str, Document]:
    """Render every document's template, number its tables and figures, then resolve references.

    References resolve across documents, so the manuscript can cite "Supplemental Table 2".
    """
    folders = (spec.folder / "templates", TEMPLATES)
    context = {"study": spec.study, "sets": spec.analysis_sets, "endpoints": spec.endpoints,
               "comparisons": spec.comparisons, "variables": spec.variables,
               "regimen_classes": spec.regimen_classes, "references": spec.references}
    numbered: dict[str, tuple] = {}
    labels: dict[str, str] = {}
    for name, document in spec.documents.items():
        markdown = render_template(document.template, folders, text, context)
        blocks = parse_markdown(markdown, tables, figures, {"title_page": title_page(spec)})
        numbered[name], document_labels = number_blocks(blocks, document.numbering_prefix)
        for key in document_labels.keys() & labels.keys():
            raise RenderError(f"{key!r} is placed in two documents")
        labels.update(document_labels)
    stamp = "SYNTHETIC DATA" if spec.study.synthetic else ""
    return {name: Document(spec.study.title, resolve_references(blocks, labels), stamp=stamp,
                           running_title=spec.study.running_title)
            for name, blocks in numbered.items()}


def build(study_path: str | Path, out: str | Path, style: HouseStyle = HouseStyle(),
          progress: Progress = lambda message: None) -> BuildOutputs:
    """Build every document of a study into ``out``; on any error ``out`` is left as it was."""
    progress("reading the study spec")
    spec = load_spec(study_path)
    progress(f"loading the registry export ({spec.data.path})")
    registry = load_registry(spec.data_path)
    progress("validating the registry export")
    validate(registry)
    progress("deriving analysis sets and endpoints")
    derived: Derived = derive(registry, spec)
    progress("computing statistics")
    study = analyse(derived, spec)
    for key, comparison in spec.comparisons.items():
        for message in smd_breaches(key, comparison, study.comparisons[key]):
            progress(f"warning: {message}")
    text = TextFormatter(study.results, style)

    out = Path(out).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".reportgen-build-", dir=out.parent))
    try:
        progress("drawing figures")
        figures = {**_figures(spec, study, text, scratch / "figures"),
                   **_comparison_figures(spec, study, text, scratch / "figures")}
        tables = _tables(spec, study, text, style)
        (scratch / "results.json").write_text(study.results.to_json(), encoding="utf-8")
        written = [scratch / "results.json"]
        progress("composing " + ", ".join(spec.documents))
        for name, document in compose_documents(spec, tables, figures, text).items():
            progress(f"writing {name}.pdf")
            write_pdf(document, scratch / f"{name}.pdf", css_path=style.css, base_dir=scratch,
                      allowed_dirs=(scratch, spec.folder))
            progress(f"writing {name}.docx")
            write_docx(document, scratch / f"{name}.docx", reference_docx=style.reference_docx, base_dir=scratch)
            written += [scratch / f"{name}.pdf", scratch / f"{name}.docx"]
        return BuildOutputs(out, _move_into_place(scratch, out, written))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _move_into_place(scratch: Path, out: Path, files: list[Path]) -> tuple[Path, ...]:
    """Replace the outputs in ``out`` by the finished ones (each move atomic)."""
    out.mkdir(parents=True, exist_ok=True)
    placed = []
    figures = scratch / "figures"
    if figures.exists():
        old = out / "figures"
        if old.exists():
            shutil.rmtree(old)
        figures.replace(old)
        placed += sorted(old.iterdir())
    for file in files:
        target = out / file.name
        file.replace(target)
        placed.append(target)
    return tuple(placed)
