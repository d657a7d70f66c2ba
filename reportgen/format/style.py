"""The house style: every formatting decision in one explicit object, passed as an argument."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

#: The packaged house look (house.css, reference.docx), installed with the package.
TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


@dataclass(frozen=True)
class HouseStyle:
    """Decimals, P value rule, separators, labels and the paths of the CSS and reference .docx.

    Defaults reproduce the registry's house style (HOUSE-STYLE.md).

    ``suppress_below`` is small-cell suppression for documents that leave the registry:
    a count of patients from 1 to ``suppress_below - 1`` prints as ``suppressed_text``
    ("<5"), and so does anything that would give it away (its percentage); 0 is off.
    A build takes it from the study spec's ``disclosure`` section.

    ``journal_*`` size the figures exported for journal submission (``reportgen build
    --journal-figures``): a figure goes to the single column or across the page (the double
    column) by its own width (:func:`reportgen.format.journal.journal_widths`), and is redrawn
    at that width, its TIFF at ``journal_dpi``. The defaults are typical column widths (85 mm
    and 175 mm); set the target journal's own from its instructions for authors.
    """

    percent_decimals: int = 1
    survival_decimals: int = 1
    survival_drop_zeros: bool = True
    p_small_below: float = 0.05
    p_small_decimals: int = 4
    p_large_decimals: int = 2
    p_floor: float = 0.0001
    p_drop_trailing_zeros: bool = True
    p_leading_zero: bool = False
    ci_separator: str = "-"
    range_separator: str = "; "
    missing_text: str = "NA"
    not_reached_text: str = "not reached"
    missing_label: str = "Missing"
    group_header: str = "N = {n}"
    subgroup_header: str = "n = {n}"
    subset_header: str = "n = {n}/{total}"
    ratio_decimals: int = 2
    smd_decimals: int = 2
    weight_decimals: int = 2
    suppress_below: int = 0
    suppressed_text: str = "<{n}"
    css: Path = TEMPLATES / "house.css"
    reference_docx: Path = TEMPLATES / "reference.docx"
    journal_column_width_mm: float = 85.0
    journal_double_column_width_mm: float = 175.0
    journal_dpi: int = 600
