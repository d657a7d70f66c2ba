"""reportgen's own exceptions: what went wrong, said so that a user can act on it.

Every error the tool raises on purpose is a ``ReportgenError``; the CLI prints its
message (no traceback unless asked) and exits non-zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable


class ReportgenError(Exception):
    """Base class of every error reportgen raises on purpose."""


class SpecError(ReportgenError):
    """The study spec (YAML) is malformed, has unknown keys or invalid values."""


class DataValidationError(ReportgenError):
    """The registry export failed validation; ``problems`` lists every one found."""

    def __init__(self, message: str, problems: tuple["Problem", ...] = ()) -> None:
        super().__init__(message)
        self.problems = problems


class AnalysisError(ReportgenError):
    """An analysis could not be computed from the derived data."""


class RenderError(ReportgenError):
    """A template, table, figure or writer failed (for example an unknown results key)."""


@dataclass(frozen=True)
class Problem:
    """One problem in the input: where it is (file, patient, column), what, and how bad."""

    file: str
    patient: str
    column: str
    message: str
    value: str = ""
    severity: str = "error"

    def __str__(self) -> str:
        where = f"{self.file}"
        if self.patient:
            where += f", patient {self.patient}"
        if self.column:
            where += f", column {self.column}"
        shown = f" (value {self.value!r})" if self.value != "" else ""
        return f"{where}: {self.message}{shown}"


def errors_of(problems: Iterable["Problem"]) -> tuple[Problem, ...]:
    """The problems that are errors (the others are warnings)."""
    return tuple(problem for problem in problems if problem.severity == "error")


def summarize_problems(source: object, problems: list[Problem], shown: int = 20) -> str:
    """A readable list of problems for an error message: the first ``shown``, then a count."""
    lines = [f"{len(problems)} problem(s) in the registry export {source}:"]
    lines += [f"  - {problem}" for problem in problems[:shown]]
    if len(problems) > shown:
        lines.append(f"  ... and {len(problems) - shown} more")
    return "\n".join(lines)
