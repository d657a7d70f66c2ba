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
from reportgen.document.front import key_points, reference_list, title_page
from reportgen.document.markdown import parse_markdown
from reportgen.document.model import Document, Figure, Table
from reportgen.document.passes import number_blocks, resolve_references
from reportgen.analysis.comparison import smd_breaches
from reportgen.assemble import study_figures, study_tables
from reportgen.errors import RenderError
from reportgen.format.style import TEMPLATES, HouseStyle
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


def compose_documents(spec: StudySpec, tables: dict[str, Table], figures: dict[str, Figure],
                      text: TextFormatter) -> dict[str, Document]:
    """Render every document's template, number its tables and figures, then resolve references.

    References resolve across documents, so the manuscript can cite "Supplemental Table 2".
    """
    folders = (spec.folder / "templates", TEMPLATES)
    context = {"study": spec.study, "cohort": spec.cohort, "conventions": spec.conventions, "sets": spec.analysis_sets, "endpoints": spec.endpoints,
               "comparisons": spec.comparisons, "variables": spec.variables,
               "regimen_classes": spec.regimen_classes, "references": spec.references}
    numbered: dict[str, tuple] = {}
    labels: dict[str, str] = {}
    for name, document in spec.documents.items():
        markdown = render_template(document.template, folders, text, context, citations=tuple(spec.references))
        blocks = parse_markdown(markdown, tables, figures, {"title_page": title_page(spec), "key_points": key_points(spec),
                                                            "references": reference_list(spec)})
        numbered[name], document_labels = number_blocks(blocks, document.numbering_prefix)
        for key in document_labels.keys() & labels.keys():
            raise RenderError(f"{key!r} is placed in two documents")
        labels.update(document_labels)
    stamp = "SYNTHETIC DATA" if spec.study.synthetic else ""
    return {name: Document(spec.study.title, resolve_references(blocks, labels), stamp=stamp,
                           running_title=spec.study.running_title)
            for name, blocks in numbered.items()}


def analyse_study(spec: StudySpec, progress: Progress = lambda message: None) -> StudyResults:
    """Load, validate, derive and analyse: the study's results store and curves."""
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
    return study


def study_documents(spec: StudySpec, study: StudyResults, figure_folder: Path, style: HouseStyle = HouseStyle(),
                    progress: Progress = lambda message: None) -> dict[str, Document]:
    """Draw the figures into ``figure_folder``, build the tables, and compose every document."""
    text = TextFormatter(study.results, style)
    progress("drawing figures")
    figures = study_figures(spec, study, text, figure_folder)
    tables = study_tables(spec, study, text, style)
    progress("composing " + ", ".join(spec.documents))
    return compose_documents(spec, tables, figures, text)


def build(study_path: str | Path, out: str | Path, style: HouseStyle = HouseStyle(),
          progress: Progress = lambda message: None) -> BuildOutputs:
    """Build every document of a study into ``out``; on any error ``out`` is left as it was."""
    progress("reading the study spec")
    spec = load_spec(study_path)
    study = analyse_study(spec, progress)
    out = Path(out).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".reportgen-build-", dir=out.parent))
    try:
        documents = study_documents(spec, study, scratch / "figures", style, progress)
        (scratch / "results.json").write_text(study.results.to_json(), encoding="utf-8")
        written = [scratch / "results.json"]
        for name, document in documents.items():
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
