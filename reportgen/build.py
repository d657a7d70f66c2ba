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
from reportgen.format.figures import Curve, Panel, km_figure
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


def _figures(spec: StudySpec, study: StudyResults, text: TextFormatter, folder: Path) -> dict[str, Figure]:
    figures = {}
    for key, figure in spec.figures.items():
        panels = []
        for letter, endpoint_key in zip("ABCDEFGH", figure.endpoints):
            endpoint = spec.endpoints[endpoint_key]
            at_risk = tuple(int(text.record(f"{endpoint_key}.at_risk.{t:g}").value) for t in figure.risk_times)
            median_key = f"{endpoint_key}.median"
            median = f"Median {text.median(median_key)} months (95% CI, {text.interval(median_key)})"
            curve = Curve(spec.analysis_sets[figure.set].label, study.curves[endpoint_key], at_risk, median)
            panels.append(Panel(letter, f"{endpoint.label} (%)", (curve,)))
        path = km_figure(tuple(panels), figure.risk_times, figure.x_label, folder / f"{key}.png")
        figures[key] = Figure(key, str(path), figure.title, caption=(Run(figure.caption),) if figure.caption else ())
    return figures


def _tables(spec: StudySpec, study: StudyResults, style: HouseStyle) -> dict[str, Table]:
    return {
        key: characteristics_table(key, table, spec.variables, study.results,
                                   spec.analysis_sets[table.set].label, style)
        for key, table in spec.tables.items()
    }


def compose_document(name: str, spec: StudySpec, tables: dict[str, Table], figures: dict[str, Figure],
                     text: TextFormatter) -> Document:
    """Render one document's template and turn it into a numbered, cross-referenced Document."""
    folders = (spec.folder / "templates", TEMPLATES)
    context = {"study": spec.study, "sets": spec.analysis_sets, "endpoints": spec.endpoints,
               "references": spec.references}
    markdown = render_template(spec.documents[name].template, folders, text, context)
    blocks = parse_markdown(markdown, tables, figures, {"title_page": title_page(spec)})
    blocks, labels = number_blocks(blocks)
    blocks = resolve_references(blocks, labels)
    stamp = "SYNTHETIC DATA" if spec.study.synthetic else ""
    return Document(spec.study.title, blocks, stamp=stamp, running_title=spec.study.running_title)


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
    text = TextFormatter(study.results, style)

    out = Path(out).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".reportgen-build-", dir=out.parent))
    try:
        progress("drawing figures")
        figures = _figures(spec, study, text, scratch / "figures")
        tables = _tables(spec, study, style)
        (scratch / "results.json").write_text(study.results.to_json(), encoding="utf-8")
        written = [scratch / "results.json"]
        for name in spec.documents:
            progress(f"composing {name}")
            document = compose_document(name, spec, tables, figures, text)
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
