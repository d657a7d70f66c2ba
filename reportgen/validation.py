"""``reportgen validate``: every problem of a study's data, grouped and counted.

Reading, typing and checking collect problems instead of stopping at the first, so
one run shows them all: each with its file, patient, column and value. They are
grouped by (severity, file, column, message) and counted, for the terminal, for an
HTML report, and for a CSV with one row per problem, to sort and filter.

A build runs the same validation: errors stop it; warnings go into its log and, as
counts by file, column and message only (never a patient or a value), into the
provenance page.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from reportgen.document.model import Document, Heading, Paragraph, Run
from reportgen.errors import DataValidationError, Problem, errors_of
from reportgen.files import write_atomically
from reportgen.format.style import HouseStyle
from reportgen.format.table_model import simple_table
from reportgen.render.html import document_html
from reportgen.spec import StudySpec

if TYPE_CHECKING:
    from reportgen.data.load import Registry
    from reportgen.data.sources import RawExport

#: Patients (with their values) listed per group on the terminal; the reports list all.
EXAMPLES = 5


@dataclass(frozen=True)
class Group:
    """Problems of one kind: where (file, column), what, how many, and the first few patients."""

    severity: str
    file: str
    column: str
    message: str
    count: int
    examples: tuple[Problem, ...]


@dataclass(frozen=True)
class Validation:
    """The outcome of validating a study's data source."""

    origin: str
    problems: tuple[Problem, ...]
    registry: Registry | None
    as_of: date
    raw: RawExport

    @property
    def errors(self) -> tuple[Problem, ...]:
        return errors_of(self.problems)

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(problem for problem in self.problems if problem.severity == "warning")

    @property
    def patients(self) -> int | None:
        return None if self.registry is None else int(self.registry["patients"]["patient_id"].nunique())


def validate_data(spec: StudySpec, as_of: date) -> Validation:
    """Read, type and check the spec's data; dates after ``as_of`` (the lock's date, or today) are errors."""
    # the data modules (pandas, pyarrow) are imported here, not at load: a cached build needs only Validation
    from reportgen.data.load import read_registry
    from reportgen.data.ready import read_ready
    from reportgen.data.validate import check_registry

    if spec.data.form == "patients":  # analysis-ready: typed by the spec's declarations, checked while typed
        loaded = read_ready(spec)
        problems = list(loaded.problems)
    else:
        loaded = read_registry(spec.data, spec.data_path)
        problems = list(loaded.problems)
        if loaded.registry is not None:
            problems += check_registry(loaded.registry, as_of)
    origin = loaded.raw.origin if spec.data.source == "sql" else f"{spec.data.path} ({spec.data.source})"
    return Validation(origin, tuple(problems), loaded.registry, as_of, loaded.raw)


def checked_registry(validation: Validation) -> Registry:
    """The registry of a validation without errors; else DataValidationError listing them, grouped."""
    if validation.errors or validation.registry is None:
        raise DataValidationError(terminal_text(validation, warnings=False), validation.errors)
    return validation.registry


def _summary(validation: Validation) -> str:
    """'1562 patients; 2 error(s), 0 warning(s)'."""
    patients = "" if validation.patients is None else f"{validation.patients} patients; "
    return f"{patients}{len(validation.errors)} error(s), {len(validation.warnings)} warning(s)"


def groups(problems: tuple[Problem, ...] | list[Problem]) -> list[Group]:
    """Problems grouped by severity, file, column and message; errors first, then by file and count."""
    members: dict[tuple[str, str, str, str], list[Problem]] = {}
    for problem in problems:
        members.setdefault((problem.severity, problem.file, problem.column, problem.message), []).append(problem)
    ordered = sorted(members.items(), key=lambda item: (item[0][0] != "error", item[0][1], -len(item[1]), item[0]))
    return [Group(*key, len(found), tuple(found[:EXAMPLES])) for key, found in ordered]


def _where(file: str, column: str) -> str:
    return f"{file}, column {column}" if column else file


def _example(problem: Problem) -> str:
    who = f"patient {problem.patient}" if problem.patient else ""
    value = f"value {problem.value!r}" if problem.value != "" else ""
    return " ".join(part for part in (who, value) if part)


def terminal_text(validation: Validation, warnings: bool = True) -> str:
    """Every group with its count and first patients, errors first; a summary line on top."""
    shown = validation.problems if warnings else validation.errors
    lines = [f"{validation.origin}: {_summary(validation)}"]
    for group in groups(shown):
        rows = f" — {group.count} {'row' if group.count == 1 else 'rows'}" if group.examples[0].patient else ""
        lines.append(f"  {group.severity.upper()} {_where(group.file, group.column)}: {group.message}{rows}")
        examples = [_example(problem) for problem in group.examples]
        lines += [f"      {example}" for example in examples if example]
        if group.count > len(group.examples) and any(examples):
            lines.append(f"      … and {group.count - len(group.examples)} more (see the CSV report)")
    if validation.registry is None:
        lines.append("  (The checks across tables — ids, orphans, dates in order — run once every table can be read.)")
    elif not validation.problems:
        lines.append("  No problems found.")
    return "\n".join(lines)


def problems_csv(validation: Validation) -> str:
    """One row per problem: severity, file, patient, column, value, message."""
    stream = io.StringIO()
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(("severity", "file", "patient", "column", "value", "message"))
    for problem in _sorted(validation.problems):
        writer.writerow(tuple(_inert(text) for text in (problem.severity, problem.file, problem.patient,
                                                         problem.column, problem.value, problem.message)))
    return stream.getvalue()


def _sorted(problems: tuple[Problem, ...]) -> list[Problem]:
    """Errors first, then by file, column and message; patients in the order of the file."""
    return sorted(problems, key=lambda p: (p.severity != "error", p.file, p.column, p.message))


def _inert(text: str) -> str:
    """A cell a spreadsheet will not run as a formula (a value from the data may start with = or @)."""
    if text[:1] in ("=", "+", "@", "\t", "\r") or (text[:1] == "-" and not text[1:2].isdigit()):
        return "'" + text
    return text


def report_document(validation: Validation) -> Document:
    """The HTML report: a summary, the groups with counts, then every problem."""
    title = "Validation of the registry export"
    blocks: list = [Heading(1, (Run(title),)),
                    Paragraph((Run("Source: ", bold=True), Run(validation.origin))),
                    Paragraph((Run(_summary(validation)),))]
    found = groups(validation.problems)
    if found:
        blocks.append(simple_table("groups", "Problems by file, column and message",
                                   ("Severity", "File", "Column", "Problem", "Rows"),
                                   [(g.severity, g.file, g.column, g.message, str(g.count)) for g in found],
                                   (0.09, 0.2, 0.19, 0.44, 0.08), number=1))
        rows = [(p.severity, p.file, p.patient, p.column, p.value, p.message) for p in _sorted(validation.problems)]
        blocks.append(simple_table("problems", "Every problem", ("Severity", "File", "Patient", "Column", "Value",
                                                                 "Problem"), rows,
                                   (0.08, 0.19, 0.12, 0.18, 0.13, 0.30), number=2))
    else:
        blocks.append(Paragraph((Run("No problems found."),)))
    return Document(title, tuple(blocks))


def write_reports(validation: Validation, folder: Path) -> tuple[Path, Path]:
    """``validation.html`` and ``validation.csv`` in ``folder``, each written atomically."""
    folder.mkdir(parents=True, exist_ok=True)
    html = write_atomically(folder / "validation.html", document_html(report_document(validation), HouseStyle().css))
    table = write_atomically(folder / "validation.csv", problems_csv(validation))
    return html, table


def warning_counts(validation: Validation) -> tuple[tuple[str, int], ...]:
    """Warnings as (file, column: message) with counts, no patient and no value: for the provenance page."""
    counted = Counter(f"{_where(problem.file, problem.column)}: {problem.message}" for problem in validation.warnings)
    return tuple(sorted(counted.items()))
