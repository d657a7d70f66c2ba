"""Hand-built documents shared by the writer tests (not a test module itself).

``small_document`` exercises every node type once; ``table_one`` is a realistic
Table 1 in the registry's house style, long enough to run onto a second page.
"""

from __future__ import annotations

from pathlib import Path

from reportgen.document.model import (
    BulletList,
    Cell,
    Document,
    Figure,
    Heading,
    PageBreak,
    Paragraph,
    Run,
    Table,
    TableRow,
)

#: A data value that must print literally, never as markup or template code.
HOSTILE = "<b>{{ 7*7 }}</b>"


def tiny_png(path: Path) -> Path:
    """A small real PNG made with matplotlib (Agg), written at ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(3, 2), dpi=50)
    ax.step([0, 1, 2, 3, 4], [1.0, 0.8, 0.6, 0.5, 0.4], where="post")
    ax.set_xlabel("Months")
    fig.savefig(path)
    plt.close(fig)
    return path


def _header() -> tuple[TableRow, ...]:
    return (
        TableRow((Cell("", "header"), Cell("First progression after CAR T-cell therapy", "header", span=2)), role="header"),
        TableRow((Cell("", "header"), Cell("N = 52", "header", span=2)), role="header"),
    )


def _row(label: str, count: str, percent: str, role: str = "label", mark: str = "") -> TableRow:
    return TableRow((Cell(label, role, mark=mark), Cell(count, "count"), Cell(percent, "percent")))


def _heading_row(label: str, mark: str = "") -> TableRow:
    return TableRow((Cell(label, "label", mark=mark), Cell("", "count"), Cell("", "percent")))


def _stat_row(label: str, value: str, role: str = "level", mark: str = "") -> TableRow:
    return TableRow((Cell(label, role), Cell(value, "statistic", span=2, mark=mark)))


def small_table(number: int = 1) -> Table:
    """A four-row table: spanned header, a statistic over two columns, a level row."""
    return Table(
        key="baseline",
        title="Patient characteristics in the TL-post-CAR-T set",
        header=_header(),
        body=(
            _heading_row("Age (y)"),
            _stat_row("Median (min; max)", "65.5 (20; 81)"),
            _row("Sex, male", "30", "(57.7%)"),
            _heading_row("ECOG"),
            _row("0-1", "44", "(88.0%)", role="level"),
            _row(HOSTILE, "2", "", role="level", mark="*"),
        ),
        notes=("ECOG, Eastern Cooperative Oncology Group.", "*Up to 10 treatment lines can be collected."),
        number=number,
    )


def small_document(figure_path: Path, *, stamp: str = "CONFIDENTIAL - review copy") -> Document:
    """A document with one of every block type, a hostile string in text and table."""
    return Document(
        title="Tafasitamab-lenalidomide after CAR T-cell failure",
        running_title="TAFA-LEN after CAR T failure",
        stamp=stamp,
        blocks=(
            Paragraph((Run("Tafasitamab-lenalidomide after CAR T-cell failure"),), role="title"),
            Paragraph((Run("A. Author"), Run("1", superscript=True), Run(", B. Author"), Run("2", superscript=True)), role="authors"),
            Heading(1, (Run("Methods"),)),
            Heading(2, (Run("Statistical analysis"),)),
            Paragraph(
                (
                    Run("Survival was estimated by the "),
                    Run("Kaplan-Meier", italic=True),
                    Run(" method; "),
                    Run("P", italic=True),
                    Run(" = .0138 in "),
                    Run("bold", bold=True),
                    Run(" with a note"),
                    Run("a", superscript=True),
                    Run(". Data value: "),
                    Run(HOSTILE),
                ),
            ),
            BulletList(((Run("First key point"),), (Run("Second key point"),))),
            Paragraph((Run("Discussion to be written by the authors."),), role="to-write"),
            small_table(),
            Heading(3, (Run("Survival"),)),
            Figure(
                key="km",
                path=str(figure_path),
                title="Progression-free survival",
                caption=(Run("PFS since the first treatment for progression. "), Run("NA", italic=True), Run(", not available.")),
                number=2,
                width_inches=4.0,
            ),
            PageBreak(),
            Heading(1, (Run("References"),)),
            Paragraph((Run("1. Camus V, et al. Blood Adv. 2024."),), role="reference"),
        ),
    )


def table_one() -> Table:
    """A realistic Table 1 (about 45 rows), after the reference manuscript's layout."""
    rows: list[TableRow] = [
        _heading_row("Age (y)"),
        _stat_row("Median (min; max)", "65.5 (20; 81)"),
        _row("Age \u226565 y", "29", "(55.8%)"),
        _row("Sex, male", "30", "(57.7%)"),
        _heading_row("ECOG"),
        _row("0-1", "44", "(88.0%)", "level"),
        _row(">2", "6", "(12.0%)", "level"),
        _row("Missing", "2", "", "level"),
        _heading_row("LDH > normal"),
        _row("No", "21", "(41.2%)", "level"),
        _row("Yes", "30", "(58.8%)", "level"),
        _heading_row("Ann Arbor stage"),
        _row("I-II", "6", "(12.0%)", "level"),
        _row("III-IV", "44", "(88.0%)", "level"),
        _row("Missing", "2", "", "level"),
        _heading_row("aaIPI"),
        *(_row(k, n, p, "level") for k, n, p in (("0", "1", "(2.1%)"), ("1", "17", "(36.2%)"), ("2", "28", "(59.6%)"), ("3", "1", "(2.1%)"))),
        _row("Missing", "5", "", "level"),
        _heading_row("Histology"),
        _row("LBCL", "39", "(75.0%)", "level"),
        _row("Transformed FL or other indolent", "12", "(23.1%)", "level"),
        _row("PMBL", "1", "(1.9%)", "level"),
        _row("HCT-CI-comorbidity evaluated", "52", "(100.0%)"),
        _row("At least 1 HCT-CI-comorbidity", "25", "(48.1%)"),
        _heading_row("Nb of PLT before CAR T-cell therapy", mark="*"),
        _stat_row("Median (min; max)", "2.0 (1; 6)", mark="\u2020"),
        _row("Prior autologous transplant", "5", "(9.6%)"),
        _heading_row("Time from initial diagnosis to CAR T-cell therapy eligibility (y)"),
        _stat_row("Median (min; max)", "1.46 (0.2; 21.0)"),
        _heading_row("Disease status before leukapheresis"),
        _row("Refractory", "41", "(85.4%)", "level"),
        _row("Relapse", "7", "(14.6%)", "level"),
        _row("Missing", "4", "", "level"),
        _row("BT", "44", "(84.6%)"),
        _heading_row("Disease status before CAR T-cell infusion"),
        _row("CR", "3", "(6.8%)", "level"),
        _row("Partial response (PR)", "11", "(25.0%)", "level"),
        _row("Stable disease", "4", "(9.1%)", "level"),
        _row("Progressive disease", "25", "(56.8%)", "level"),
        _row("Not evaluated", "1", "(2.3%)", "level"),
        _heading_row("CAR T product administered"),
        _row("Tisa-cel", "21", "(40.4%)", "level"),
        _row("Axi-cel", "31", "(59.6%)", "level"),
        _heading_row("Bridging therapy response"),
        _stat_row("95% confidence interval", "(16.7%-76.6%)"),
    ]
    return Table(
        key="table1",
        title="Patient characteristics in the TL-post-CAR-T set at the time of enrollment in the DESCAR-T registry",
        header=_header(),
        body=tuple(rows),
        notes=(
            "ECOG, Eastern Cooperative Oncology Group; FL, follicular lymphoma; HCT-CI, hematopoietic stem cell "
            "transplant comorbidity index; LDH, lactate dehydrogenase; max, maximum; min, minimum; PMBL, primary "
            "mediastinal B-cell lymphoma.",
            "*Up to 10 treatment lines can be collected from the register.",
            "\u2020Ongoing query within the DESCAR-T registry for patients with only 1 line of prior treatment.",
        ),
        number=1,
    )


def manuscript_document(figure_path: Path) -> Document:
    """A short manuscript draft with text, the long Table 1 and a figure, for looking at."""
    body = (
        "The patient characteristics are summarized in Table 1. Briefly, the median age was 65 years, "
        "88% of patients had an ECOG score of 0 to 1 and 85.4% had refractory disease before leukapheresis. "
    )
    return Document(
        title="Outcomes after CAR T-cell failure (synthetic draft)",
        running_title="Outcomes after CAR T-cell failure",
        stamp="DRAFT - synthetic data - not for circulation",
        blocks=(
            Paragraph((Run("Outcomes of tafasitamab-lenalidomide after CAR T-cell failure: a registry study"),), role="title"),
            Paragraph((Run("A. Author"), Run("1", superscript=True), Run(", B. Author"), Run("1,2", superscript=True)), role="authors"),
            Paragraph((Run("1", superscript=True), Run("Hematology department, Somewhere University Hospital")), role="affiliations"),
            Heading(1, (Run("Key Points"),)),
            BulletList(((Run("Median PFS after TAFA-LEN was 3 months."),), (Run("Late failure had longer PFS."),))),
            Heading(1, (Run("Results"),)),
            Heading(2, (Run("Patients"),)),
            Paragraph((Run(body * 3),)),
            Paragraph((Run("The Discussion is to be written by the authors."),), role="to-write"),
            table_one(),
            Paragraph((Run(body * 2), Run("P", italic=True), Run(" = .0138.")),),
            Figure(
                key="km",
                path=str(figure_path),
                title="Outcomes based on timing of progression after CAR T-cell therapy",
                caption=(Run("PFS (A) and OS (B) since treatment for the first progression. CI, confidence interval; NA, not available."),),
                number=2,
                width_inches=5.5,
            ),
            PageBreak(),
            Heading(1, (Run("References"),)),
            Paragraph((Run("1. Camus V, et al. Tafasitamab-lenalidomide after CAR T-cell failure. Blood Adv. 2024."),), role="reference"),
        ),
    )
