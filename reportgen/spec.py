"""The study spec: a YAML file → frozen, validated settings.

The spec names the data, the analysis sets, the endpoints, the Table 1 variables,
the tables, the figures and the documents. Every key is checked: an unknown key is
an error that names its place in the file and the nearest valid key, so a typo
never silently drops a setting.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from reportgen.errors import SpecError


@dataclass(frozen=True)
class Author:
    """One author of the title page, in the order of the list."""

    name: str
    """The author's name as printed on the title page, e.g. "A. Investigator"."""
    affiliations: tuple[int, ...] = ()
    """The author's affiliations: numbers of entries of the top-level ``affiliations`` list, from 1."""


@dataclass(frozen=True)
class StudyInfo:
    """The study's title page: its title, running title, key points, and whether its data are synthetic."""

    title: str
    """The manuscript's full title, first on the title page."""
    running_title: str = ""
    """A short title for the title page and each page's header; empty for none."""
    synthetic: bool = False
    """True when the data are made up: every page is stamped SYNTHETIC DATA, and the title page says so."""
    key_points: tuple[str, ...] = ()
    """The key points, one bullet each, placed by ``blocks("key_points")`` in a template."""


@dataclass(frozen=True)
class DataSource:
    """Where the data are, how to read them, and the lock manifest they must match.

    ``form`` is ``registry`` (a relational registry export, one table per file, from
    which reportgen derives everything) or ``patients`` (analysis-ready data: one row per
    patient in the table ``patients``, and, when an endpoint names a ``paramcd``, long
    time-to-event rows in the CDISC ADaM ADTTE shape in the table ``adtte``: USUBJID,
    PARAMCD, AVAL, CNSR and optionally AVALU). In the ``patients`` form, times are in
    ``time_unit`` (days, weeks, months or years; ADTTE's AVALU wins where given), values
    in ``missing`` count as missing, and the patient id is the column ``patient_id``, else
    ``USUBJID``, else the row number.

    ``source`` names the format: files in the folder ``path`` (``csv``, ``parquet``,
    ``excel``, ``xpt``, ``sas7bdat``; one file per registry table, named after it; an
    Excel ``path`` may also be one workbook with a sheet per table), or ``sql``: a
    database at the SQLAlchemy ``url`` (``${NAME}`` in it is read from the environment,
    so passwords stay out of the spec). The registry adapter is ``tables`` (registry
    table → file stem, sheet or database table), ``columns`` (registry table →
    {registry column: export column}) and ``codes`` (registry table → column →
    {export value: registry code}).
    """

    path: str = "."
    """The data files' folder, from the spec's folder (for ``excel``, or one workbook with a sheet per table)."""
    source: str = "csv"
    """The data's format: files in ``path``, or ``sql`` for a database at ``url``."""
    form: str = "registry"
    """``registry``: a relational registry export; ``patients``: analysis-ready data, one row per patient."""
    lock: str = ""
    """The lock manifest (``reportgen lock``) the files must match, from the spec's folder; empty: unlocked, a draft."""
    url: str = ""
    """For ``sql``: the database's SQLAlchemy URL; ``${NAME}`` in it is read from the environment variable NAME."""
    schema: str = ""
    """For ``sql``: the database schema holding the tables; empty for the database's default."""
    encoding: str = "utf-8"
    """The text encoding of ``csv`` files (and of ``xpt`` and ``sas7bdat`` text), e.g. latin-1."""
    delimiter: str = ","
    """The one character separating the columns of ``csv`` files, e.g. ';'."""
    tables: dict[str, str] = field(default_factory=dict)
    """Registry table → its file stem, sheet or database table, where the export names it otherwise."""
    columns: dict[str, dict[str, str]] = field(default_factory=dict)
    """Registry table → {registry column: export column}, where the export names a column otherwise."""
    codes: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)
    """Registry table → column → {export value: registry code}, where the export codes a value otherwise."""
    time_unit: str = "days"
    """For analysis-ready data: the unit of the endpoints' ``time`` columns (ADTTE's AVALU wins where given)."""
    missing: tuple[str, ...] = ("", "NA", ".")
    """For analysis-ready data: the values that count as missing."""


@dataclass(frozen=True)
class ReviewSpec:
    """What the cover page of each scientific committee review copy says."""

    deadline: str = ""
    """The date by which the reviewers' comments are due, as printed on the cover page, e.g. "2026-12-15"."""
    instructions: tuple[str, ...] = ()
    """The review instructions on the cover page, one paragraph each."""


@dataclass(frozen=True)
class Conventions:
    """Statistical conventions; defaults follow SAS, the registry's validated tool."""

    days_per_month: float = 30.4375
    """Days in a month, to turn times in days into months (the unit of every time in the documents)."""
    days_per_year: float = 365.25
    """Days in a year, to turn times in days into years."""
    conf_level: float = 0.95
    """The level of every confidence interval, between 0 and 1."""
    km_conf_type: str = "log-log"
    """The transformation of Kaplan-Meier confidence intervals: ``log-log`` (SAS), ``log`` (R) or ``plain``."""
    quantile_definition: str = "sas5"
    """How medians and other quantiles are computed: SAS PCTLDEF 1 to 5 or R types 1 to 9."""
    early_failure_months: float = 6.0
    """An ``early_failure`` is a first treatment for progression within this many months of the CAR T infusion."""


@dataclass(frozen=True)
class Cohort:
    """The registry population every analysis set is drawn from."""

    label: str = "CAR T-cell therapy in third line or later"
    """The cohort's box in the study flowchart."""
    min_car_t_line: int = 3
    """The cohort's patients had CAR T-cell therapy in this line of treatment or later."""


@dataclass(frozen=True)
class AnalysisSet:
    """A population. ``rule`` says who is in it:

    - ``all``: every patient of the cohort (of the data, for analysis-ready data);
    - ``first_treatment_after_progression``: the first treatment for progression after
      CAR T is ``regimen``;
    - ``treated_before_car_t``: ``regimen`` was a prior or bridging line before infusion;
    - ``subset``: the patients of set ``of`` who meet ``where``: a binary variable
      (``early_failure``), its negation (``not early_failure``), or a categorical
      variable's registry code (``cd19_before_infusion = negative``). A missing value
      never meets the condition.
    """

    label: str
    """The set's name in table headers, figure legends and the flowchart, e.g. "TL-post-CAR-T set"."""
    rule: str
    """Who is in the set (see above)."""
    regimen: str = ""
    """For the rules ``first_treatment_after_progression`` and ``treated_before_car_t``: the regimen's code."""
    of: str = ""
    """For a ``subset``: the set it is drawn from, declared above it."""
    where: str = ""
    """For a ``subset``: the condition, e.g. ``early_failure``, ``not early_failure``, ``stage = III-IV``."""
    short_label: str = ""
    """A shorter label for figure legends and their number-at-risk tables; empty: ``label``."""
    in_flowchart: bool = True
    """Whether the set is drawn in the study flowchart (Figure 1)."""

    @property
    def condition(self) -> tuple[str, bool | str]:
        """The ``where`` variable and the value it must have (True, False or a code)."""
        return condition_of(self.where)


def condition_of(where: str) -> tuple[str, bool | str]:
    """A ``where`` condition's variable and the value it must have: True or False for a binary
    variable (``early_failure``, ``not early_failure``), a level code for a categorical one
    (``cd19_before_infusion = negative``)."""
    if "=" in where:
        name, code = where.split("=", 1)
        return name.strip(), code.strip()
    negated = where.startswith("not ")
    return (where[4:].strip() if negated else where.strip()), not negated


@dataclass(frozen=True)
class Endpoint:
    """A time-to-event endpoint over an analysis set.

    From a registry export, ``kind`` derives it from the dates: ``pfs``/``os`` from the
    infusion, ``pfs2``/``os2`` from the first treatment for progression, ``dor2`` from
    that treatment's response (responders only). From analysis-ready data, give either
    ``time`` and ``event`` (columns: the time in ``data.time_unit``, the event flag), or
    ``origin``, ``end`` and ``event`` (date columns and the flag), or ``paramcd`` (the
    ADTTE parameter, e.g. OS: AVAL and CNSR). The event flag is 1/0, true/false, yes/no or
    Y/N, unless ``event_values`` lists the codes that mean an event (e.g. [2] when the
    column codes 1 censored, 2 dead).

    ``groups`` names groupings of subsets of the set, each estimated apart and compared
    by the log-rank test; a grouping of two subsets also gets the Cox hazard ratio of the
    second against the first. ``landmarks`` are times (months) for survival rates.
    """

    label: str
    """Its abbreviation in tables and on figure axes, e.g. PFS2."""
    name: str
    """Its full name, for the text, e.g. "progression-free survival since the first treatment for progression"."""
    set: str
    """The analysis set it is estimated over."""
    kind: str = ""
    """From a registry export (required there): which endpoint the dates give."""
    time: str = ""
    """From analysis-ready data: the column of the time to event or censoring, in ``data.time_unit``."""
    event: str = ""
    """From analysis-ready data: the column of the event flag (with ``time``, or ``origin`` and ``end``)."""
    event_values: tuple[str, ...] = ()
    """The codes of the ``event`` column that mean an event, e.g. [2]; empty: 1/0, true/false, yes/no or Y/N."""
    origin: str = ""
    """From analysis-ready data: the date column the time starts from (with ``end`` and ``event``)."""
    end: str = ""
    """From analysis-ready data: the date column of the event or censoring (with ``origin`` and ``event``)."""
    paramcd: str = ""
    """From analysis-ready data: the ADTTE parameter (PARAMCD) whose AVAL and CNSR rows give it, e.g. OS."""
    groups: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Grouping → its subsets of ``set`` (two or more), each estimated apart, compared by the log-rank test."""
    landmarks: tuple[float, ...] = ()
    """Times (months) at which survival rates are estimated, e.g. [6, 12]."""

    @property
    def columns(self) -> tuple[str, ...]:
        """The analysis-ready data's columns it is made from."""
        return tuple(column for column in (self.time, self.event, self.origin, self.end) if column)


@dataclass(frozen=True)
class RateSpec:
    """A response rate under a categorical variable's levels: the share of patients whose
    level code is one of ``levels``, with its exact confidence interval."""

    label: str = ""
    """The rate's row label, e.g. bORR."""
    levels: tuple[str, ...] = ()
    """The level codes that count, e.g. [CR, PR]; empty: no rate."""
    mark: str = ""
    """A footnote mark printed after the label, e.g. "*"."""


@dataclass(frozen=True)
class Variable:
    """A table variable: a derived baseline column and how to show it.

    ``given`` names a binary variable: this one is then summarized only among the
    patients for whom that one is true (the "If yes, cause of death" block), so its
    percentages are over them. ``rate`` adds a response rate under the levels.
    ``missing_level`` (e.g. "Not assessed") counts missing values as a level, in every
    denominator (intention to treat), instead of apart.
    """

    label: str
    """The row label in tables, e.g. "Age (y)"."""
    column: str
    """The derived column (or, for analysis-ready data, the data's column) it summarizes."""
    type: str
    """How it is summarized: counts of levels, yes/no counts, or statistics of a number."""
    levels: dict[str, str] = field(default_factory=dict)
    """For a ``categorical`` variable (required there): level code → label, in the order shown (labels may repeat)."""
    decimals: int = 0
    """For a ``continuous`` variable: decimals of extremes and quantiles (mean and median one more, SD two more)."""
    statistics: tuple[str, ...] = ("median_range",)
    """For a ``continuous`` variable: the statistics shown, one row each, in this order."""
    mark: str = ""
    """A footnote mark printed after the label, e.g. "*"."""
    given: str = ""
    """A ``binary`` variable: this one is summarized only among the patients for whom that one is true."""
    rate: RateSpec = RateSpec()
    """For a ``categorical`` variable: a response rate under its levels, with its exact confidence interval."""
    missing_level: str = ""
    """The label of a level counting missing values, in every denominator, e.g. "Not assessed"; empty: shown apart."""

    @property
    def labels(self) -> tuple[str, ...]:
        """The distinct level labels in declared order (codes may share a label), then the
        ``missing_level`` label when missing values are shown as a level of their own."""
        return tuple(dict.fromkeys((*self.levels.values(), *((self.missing_level,) if self.missing_level else ()))))


@dataclass(frozen=True)
class TableSpec:
    """A characteristics table: one column per analysis set (``set``, or ``sets`` side by
    side, the overall set first), one block of rows per variable."""

    title: str
    """The table's title, after its number."""
    variables: tuple[str, ...]
    """The variables shown, in this order: names declared under ``variables``."""
    set: str = ""
    """The one analysis set of its column (give ``set`` or ``sets``)."""
    sets: tuple[str, ...] = ()
    """The analysis sets side by side, one column each, the overall set first (give ``set`` or ``sets``)."""
    column_label: str = ""
    """The header of the one column of ``set``; empty: the set's label."""
    column_labels: tuple[str, ...] = ()
    """The headers of the columns of ``sets``, one per set; empty: the sets' labels."""
    notes: tuple[str, ...] = ()
    """The notes under the table, one paragraph each (abbreviations, footnotes of the marks)."""

    @property
    def populations(self) -> tuple[str, ...]:
        return self.sets or (self.set,)


@dataclass(frozen=True)
class FigureSpec:
    """Kaplan-Meier panels, one per endpoint, of the whole set or, with ``grouping``, of
    the endpoints' groups of that name with their log-rank P."""

    title: str
    """The figure's title, after its number."""
    set: str
    """The analysis set of the curves; every endpoint must be over it."""
    endpoints: tuple[str, ...]
    """The endpoints, one panel each (A, B, ...), in this order."""
    caption: str = ""
    """The legend under the figure; empty for none."""
    grouping: str = ""
    """A grouping of every endpoint's ``groups``: one curve per group, with the log-rank P; empty: the whole set."""
    x_label: str = "Months"
    """The time axis's label."""
    risk_times: tuple[float, ...] = (0, 3, 6, 9, 12, 18, 24)
    """The times (months) of the axis's ticks and of the number at risk under it."""


@dataclass(frozen=True)
class Arm:
    """One arm of a comparison: from a registry export, patients whose first treatment for
    progression is one of ``regimens``, or, with ``all_except``, any regimen but those (and the
    other arm's); from analysis-ready data, the patients of the comparison's set who meet
    ``where``."""

    label: str
    """The arm's name in tables, figure legends and the text, e.g. "TAFA-LEN"."""
    regimens: tuple[str, ...] = ()
    """The regimen codes of the arm's first treatment for progression (give ``regimens`` or ``all_except``)."""
    all_except: tuple[str, ...] = ()
    """Any regimen but these and the other arm's (give ``regimens`` or ``all_except``; not for the treated arm)."""
    where: str = ""
    """From analysis-ready data: who is in the arm, as a subset's ``where`` (e.g. "hormonal_therapy = yes")."""


@dataclass(frozen=True)
class SensitivitySpec:
    """A re-run of a comparison with other weights; empty settings keep the main analysis's."""

    label: str
    """The analysis's name in the sensitivity table, e.g. "ATT weights"."""
    scheme: str = ""
    """The weights; empty: the comparison's ``scheme``."""
    truncate: tuple[float, ...] = ()
    """Two percentiles to winsorize the weights at, e.g. [1, 99]; empty: the comparison's ``truncate``."""
    covariates: tuple[str, ...] = ()
    """The weighting variables; empty: the comparison's ``covariates``."""


@dataclass(frozen=True)
class ComparisonSpec:
    """An inverse-probability-weighted comparison of two arms: from a registry export, among
    patients treated for their first progression after CAR T (the cohort's ``treated`` flow
    step); from analysis-ready data, among the patients of the analysis set ``set``, the arms
    given by ``where`` conditions (the weighted response rates then need a registry export).

    ``scheme`` is ``ate-stabilized`` (default), ``ate`` or ``att``; ``truncate`` two
    percentiles, e.g. [1, 99]; ``covariates`` name declared variables.
    """

    label: str
    """The comparison's name in titles and the text, e.g. "TAFA-LEN vs lenalidomide alone"."""
    treated: Arm
    """The treated arm (it must list its ``regimens``)."""
    control: Arm
    """The control arm."""
    covariates: tuple[str, ...]
    """The variables of the propensity score (at least one), declared under ``variables``."""
    endpoints: tuple[str, ...]
    """The endpoints compared, declared under ``endpoints``."""
    scheme: str = "ate-stabilized"
    """The weights: stabilized ATE, unstabilized ATE or ATT."""
    truncate: tuple[float, ...] = ()
    """Two percentiles to winsorize the weights at, low then high, e.g. [1, 99]; empty: none."""
    smd_threshold: float = 0.15
    """A covariate level whose absolute standardized mean difference after weighting reaches this is a warning."""
    landmarks: tuple[float, ...] = (6, 12)
    """Times (months) at which weighted survival rates are estimated."""
    risk_times: tuple[float, ...] = (0, 3, 6, 9, 12, 18, 24)
    """The times (months) of the survival figure's ticks and of the number at risk under it."""
    x_label: str = "Months since the first treatment for progression"
    """The survival figure's time axis label."""
    sensitivity: dict[str, SensitivitySpec] = field(default_factory=dict)
    """Name → a sensitivity analysis: the comparison re-run with other weights."""
    set: str = ""
    """From analysis-ready data: the analysis set the arms are drawn from."""


@dataclass(frozen=True)
class DocumentSpec:
    """One output document; ``numbering_prefix`` (e.g. "Supplemental ") goes before "Table 1"."""

    template: str
    """Its Markdown/Jinja template, in the study's ``templates/`` folder (or reportgen's), e.g. manuscript.md.j2."""
    numbering_prefix: str = ""
    """Text before its table and figure numbers, e.g. "Supplemental "; empty for none."""


@dataclass(frozen=True)
class Reference:
    """A reference entry (not read from the spec: ``references`` maps each key straight to its text)."""

    text: str
    """The reference's full text."""


@dataclass(frozen=True)
class Disclosure:
    """Small-cell suppression, for copies of the documents that leave the registry.

    With ``suppress_below`` N (0, the default, is off), every count of patients from 1 to
    N - 1 prints as "<N" (zero is not a small cell), in the tables, the text, the flowchart
    and the numbers at risk, and so does anything that would give it away: its percentage,
    and the exact confidence interval of a response count. Medians, hazard ratios and
    P values print as they are.
    """

    suppress_below: int = 0
    """Counts of patients from 1 to this number minus 1 print as "<N"; 0: off."""


@dataclass(frozen=True)
class StudySpec:
    """A whole study spec: a study folder's ``study.yaml``; relative paths in it are from that folder."""

    study: StudyInfo
    """The title page: title, running title, key points."""
    data: DataSource
    """Where the data are and how to read them."""
    analysis_sets: dict[str, AnalysisSet]
    """The populations analysed, by name; a subset after the set it is drawn from."""
    endpoints: dict[str, Endpoint]
    """The time-to-event endpoints, by name."""
    variables: dict[str, Variable]
    """The table variables (and comparison covariates), by name."""
    tables: dict[str, TableSpec]
    """The characteristics tables, by the key templates place them with (``table("table1")``)."""
    figures: dict[str, FigureSpec]
    """The Kaplan-Meier figures, by the key templates place them with (``figure("figure_survival")``)."""
    documents: dict[str, DocumentSpec]
    """The output documents (each a PDF and a Word file), by name, e.g. manuscript and supplement."""
    authors: tuple[Author, ...] = ()
    """The authors, in the title page's order."""
    affiliations: tuple[str, ...] = ()
    """The affiliations, numbered from 1 in this order (the numbers authors name)."""
    references: dict[str, str] = field(default_factory=dict)
    """Key → reference text, numbered in this order; templates cite them with ``cite("key")``."""
    comparisons: dict[str, ComparisonSpec] = field(default_factory=dict)
    """The inverse-probability-weighted comparisons of first treatments for progression, by name."""
    regimen_classes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Class label → regimen codes: how a comparison's table of the control arm's treatments groups them."""
    conventions: Conventions = Conventions()
    """The statistical conventions."""
    cohort: Cohort = Cohort()
    """The registry population every analysis set is drawn from."""
    review: ReviewSpec = ReviewSpec()
    """The cover page of the scientific committee's review copies (``reportgen review``)."""
    disclosure: Disclosure = Disclosure()
    """Small-cell suppression, for copies of the documents that leave the registry."""
    path: Path = field(default=Path("study.yaml"), metadata={"internal": True})
    """The spec file it was read from (set by ``load_spec``, not a key)."""

    @property
    def folder(self) -> Path:
        return self.path.parent

    @property
    def data_path(self) -> Path:
        return (self.folder / self.data.path).resolve()

    @property
    def lock_path(self) -> Path:
        return (self.folder / self.data.lock).resolve()


SET_RULES = ("all", "first_treatment_after_progression", "treated_before_car_t", "subset")
REGISTRY_SET_RULES = ("first_treatment_after_progression", "treated_before_car_t")
DATA_FORMS = ("registry", "patients")
TIME_UNITS = ("days", "weeks", "months", "years")
ENDPOINT_KINDS = ("pfs", "os", "pfs2", "os2", "dor2")
VARIABLE_TYPES = ("continuous", "categorical", "binary")
STATISTICS = ("median_range", "median_quartiles", "n", "missing", "mean_sd", "median", "quartiles", "p1_p99")
KM_CONF_TYPES = ("log-log", "log", "plain")
SOURCES = ("csv", "parquet", "excel", "xpt", "sas7bdat", "sql")
WEIGHT_SCHEMES = {"ate-stabilized": ("ATE", True), "ate": ("ATE", False), "att": ("ATT", None)}


def _convert(value: Any, annotation: Any, where: str) -> Any:
    """Convert a YAML value to ``annotation``, raising SpecError that names ``where``."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if dataclasses.is_dataclass(annotation):
        return _build(annotation, value, where)
    if origin is dict:
        if not isinstance(value, dict):
            raise SpecError(f"{where}: expected a mapping, got {type(value).__name__}")
        return {str(k): _convert(v, args[1], f"{where}.{k}") for k, v in value.items()}
    if origin is tuple:
        if not isinstance(value, list):
            raise SpecError(f"{where}: expected a list, got {type(value).__name__}")
        return tuple(_convert(v, args[0], f"{where}[{i}]") for i, v in enumerate(value))
    if annotation is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise SpecError(f"{where}: expected a number, got {value!r}")
        return float(value)
    if annotation is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise SpecError(f"{where}: expected a whole number, got {value!r}")
        return value
    if annotation is bool:
        if not isinstance(value, bool):
            raise SpecError(f"{where}: expected true or false, got {value!r}")
        return value
    if annotation is str:
        if isinstance(value, (dict, list)) or value is None:
            raise SpecError(f"{where}: expected text, got {value!r}")
        return str(value)
    raise TypeError(f"no conversion for {annotation!r}")


def _build(cls: type, mapping: Any, where: str) -> Any:
    """Build dataclass ``cls`` from a YAML mapping; unknown and missing keys are errors."""
    if not isinstance(mapping, dict):
        raise SpecError(f"{where or 'the spec'}: expected a mapping, got {type(mapping).__name__}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if not f.metadata.get("internal")}
    for key in mapping:
        if key not in fields:
            nearest = difflib.get_close_matches(str(key), fields, n=1)
            hint = f"; did you mean {nearest[0]!r}?" if nearest else f"; valid keys: {', '.join(fields)}"
            raise SpecError(f"{_join(where, key)}: unknown key{hint}")
    values = {}
    for name, f in fields.items():
        if name in mapping:
            values[name] = _convert(mapping[name], hints[name], _join(where, name))
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise SpecError(f"{_join(where, name)}: required key is missing")
    return cls(**values)


def _join(where: str, key: object) -> str:
    return f"{where}.{key}" if where else str(key)


def _choice(value: str, allowed: tuple[str, ...], where: str) -> None:
    if value not in allowed:
        raise SpecError(f"{where}: {value!r} is not one of {', '.join(allowed)}")


def _reference(name: str, known: dict[str, Any], where: str, kind: str) -> None:
    if name not in known:
        nearest = difflib.get_close_matches(name, known, n=1)
        hint = f"; did you mean {nearest[0]!r}?" if nearest else ""
        raise SpecError(f"{where}: unknown {kind} {name!r}{hint}")


def _check_references(spec: StudySpec) -> None:
    """Cross-checks: every name a table, figure or endpoint uses is declared."""
    _choice(spec.data.source, SOURCES, "data.source")
    _choice(spec.data.form, DATA_FORMS, "data.form")
    _choice(spec.data.time_unit, TIME_UNITS, "data.time_unit")
    if spec.data.source == "sql" and not spec.data.url:
        raise SpecError("data.url: a sql source needs the database's SQLAlchemy URL, e.g. "
                        "postgresql+psycopg://user@host/registry (a password as ${REGISTRY_DB_PASSWORD})")
    if len(spec.data.delimiter) != 1:
        raise SpecError(f"data.delimiter: one character, e.g. ',' or ';' (got {spec.data.delimiter!r})")
    _choice(spec.conventions.km_conf_type, KM_CONF_TYPES, "conventions.km_conf_type")
    if not 0 < spec.conventions.conf_level < 1:
        raise SpecError("conventions.conf_level: must be between 0 and 1")
    for name, variable in spec.variables.items():
        if variable.given:
            _binary(variable.given, spec, f"variables.{name}.given")
    _check_sets(spec)
    for name, endpoint in spec.endpoints.items():
        _check_endpoint_source(endpoint, spec.data.form, f"endpoints.{name}")
        _reference(endpoint.set, spec.analysis_sets, f"endpoints.{name}.set", "analysis set")
        for grouping, groups in endpoint.groups.items():
            where = f"endpoints.{name}.groups.{grouping}"
            if len(groups) < 2:
                raise SpecError(f"{where}: a grouping needs at least two subsets to compare")
            for i, group in enumerate(groups):
                _reference(group, spec.analysis_sets, f"{where}[{i}]", "analysis set")
                if spec.analysis_sets[group].of != endpoint.set:
                    raise SpecError(f"{where}[{i}]: {group!r} is not a subset of {endpoint.set!r}")
    for name, variable in spec.variables.items():
        _choice(variable.type, VARIABLE_TYPES, f"variables.{name}.type")
        for i, statistic in enumerate(variable.statistics):
            _choice(statistic, STATISTICS, f"variables.{name}.statistics[{i}]")
        if variable.type == "categorical" and not variable.levels:
            raise SpecError(f"variables.{name}.levels: a categorical variable needs its levels")
    for name, table in spec.tables.items():
        if bool(table.set) == bool(table.sets):
            raise SpecError(f"tables.{name}: give either set or sets")
        for i, population in enumerate(table.populations):
            _reference(population, spec.analysis_sets, f"tables.{name}.sets[{i}]" if table.sets
                       else f"tables.{name}.set", "analysis set")
        if table.column_labels and len(table.column_labels) != len(table.populations):
            raise SpecError(f"tables.{name}.column_labels: give one label per set")
        for i, variable in enumerate(table.variables):
            _reference(variable, spec.variables, f"tables.{name}.variables[{i}]", "variable")
    for name, figure in spec.figures.items():
        _reference(figure.set, spec.analysis_sets, f"figures.{name}.set", "analysis set")
        for i, endpoint in enumerate(figure.endpoints):
            _reference(endpoint, spec.endpoints, f"figures.{name}.endpoints[{i}]", "endpoint")
            if spec.endpoints[endpoint].set != figure.set:
                raise SpecError(f"figures.{name}.endpoints[{i}]: endpoint {endpoint!r} is not in set {figure.set!r}")
            if figure.grouping and figure.grouping not in spec.endpoints[endpoint].groups:
                raise SpecError(f"figures.{name}.grouping: endpoint {endpoint!r} has no grouping "
                                f"{figure.grouping!r}")


def _check_endpoint_source(endpoint: Endpoint, form: str, where: str) -> None:
    """A registry endpoint has a ``kind``; an analysis-ready one exactly one of: ``time`` and ``event``,
    ``origin``, ``end`` and ``event``, or ``paramcd``."""
    ready_keys = [key for key in ("time", "event", "origin", "end", "paramcd") if getattr(endpoint, key)]
    if form == "registry":
        if ready_keys:
            raise SpecError(f"{where}.{ready_keys[0]}: only for analysis-ready data (data.form: patients); "
                            f"from a registry export an endpoint has a kind ({', '.join(ENDPOINT_KINDS)})")
        if not endpoint.kind:
            raise SpecError(f"{where}.kind: required key is missing (one of {', '.join(ENDPOINT_KINDS)})")
        _choice(endpoint.kind, ENDPOINT_KINDS, f"{where}.kind")
        return
    if endpoint.kind:
        raise SpecError(f"{where}.kind: only for a registry export; analysis-ready data give time and event, "
                        "origin, end and event, or paramcd")
    shapes = {("event", "time"), ("end", "event", "origin"), ("paramcd",)}  # the keys given, sorted
    if tuple(sorted(ready_keys)) not in shapes:
        raise SpecError(f"{where}: give time and event (columns), or origin, end and event (date columns and the "
                        f"event flag), or paramcd (an ADTTE parameter); got {', '.join(ready_keys) or 'none'}")
    if endpoint.event_values and not endpoint.event:
        raise SpecError(f"{where}.event_values: only with an event column")


def _binary(name: str, spec: StudySpec, where: str) -> None:
    _reference(name, spec.variables, where, "variable")
    if spec.variables[name].type != "binary":
        raise SpecError(f"{where}: {name!r} must be a binary variable")


def _check_sets(spec: StudySpec) -> None:
    """Each set has what its rule needs; a subset's parent is declared before it."""
    declared: set[str] = set()
    for name, analysis_set in spec.analysis_sets.items():
        where = f"analysis_sets.{name}"
        _choice(analysis_set.rule, SET_RULES, f"{where}.rule")
        if analysis_set.rule == "subset":
            if not analysis_set.of or not analysis_set.where:
                raise SpecError(f"{where}: a subset needs 'of' (a set declared above) and 'where' (a binary variable)")
            if analysis_set.of not in declared:
                raise SpecError(f"{where}.of: {analysis_set.of!r} is not a set declared above this one")
            _check_condition(analysis_set.where, spec, f"{where}.where")
        elif analysis_set.rule in REGISTRY_SET_RULES:
            if spec.data.form != "registry":
                raise SpecError(f"{where}.rule: {analysis_set.rule!r} needs a registry export; analysis-ready data "
                                "take the rules all and subset")
            if not analysis_set.regimen:
                raise SpecError(f"{where}.regimen: the rule {analysis_set.rule!r} needs a regimen")
        declared.add(name)


def _check_condition(condition: str, spec: StudySpec, where: str) -> None:
    """A ``where`` condition names a declared binary variable, or a categorical one and one of its codes."""
    name, wanted = condition_of(condition)
    if isinstance(wanted, str):
        _reference(name, spec.variables, where, "variable")
        if spec.variables[name].type != "categorical" or wanted not in spec.variables[name].levels:
            raise SpecError(f"{where}: {wanted!r} is not a level code of the categorical variable {name!r}")
    else:
        _binary(name, spec, where)


def _check_weighting(scheme: str, truncate: tuple[float, ...], covariates: tuple[str, ...],
                     spec: StudySpec, where: str) -> None:
    if scheme:
        _choice(scheme, tuple(WEIGHT_SCHEMES), f"{where}.scheme")
    if truncate and not (len(truncate) == 2 and 0 <= truncate[0] < truncate[1] <= 100):
        raise SpecError(f"{where}.truncate: give two percentiles, low then high, e.g. [1, 99]")
    for i, name in enumerate(covariates):
        _reference(name, spec.variables, f"{where}.covariates[{i}]", "variable")


def _check_comparisons(spec: StudySpec) -> None:
    for name, comparison in spec.comparisons.items():
        where = f"comparisons.{name}"
        if spec.data.form == "registry":
            _check_registry_arms(comparison, where)
        else:
            _check_ready_arms(comparison, spec, where)
        if not comparison.covariates:
            raise SpecError(f"{where}.covariates: name at least one weighting variable")
        _check_weighting(comparison.scheme, comparison.truncate, comparison.covariates, spec, where)
        for i, endpoint in enumerate(comparison.endpoints):
            _reference(endpoint, spec.endpoints, f"{where}.endpoints[{i}]", "endpoint")
        for key, sensitivity in comparison.sensitivity.items():
            _check_weighting(sensitivity.scheme, sensitivity.truncate, sensitivity.covariates, spec,
                             f"{where}.sensitivity.{key}")
        if not 0 < comparison.smd_threshold:
            raise SpecError(f"{where}.smd_threshold: must be positive")


def _check_registry_arms(comparison: ComparisonSpec, where: str) -> None:
    """From a registry export, arms are first treatments: regimens, or all but some."""
    if comparison.set:
        raise SpecError(f"{where}.set: only for analysis-ready data; from a registry export the arms are drawn "
                        "from the patients treated for their first progression")
    for arm_name in ("treated", "control"):
        arm = getattr(comparison, arm_name)
        if arm.where:
            raise SpecError(f"{where}.{arm_name}.where: only for analysis-ready data; give regimens or all_except")
        if bool(arm.regimens) == bool(arm.all_except):
            raise SpecError(f"{where}.{arm_name}: give either regimens or all_except")
    if not comparison.treated.regimens:
        raise SpecError(f"{where}.treated.regimens: the treated arm must list its regimens")


def _check_ready_arms(comparison: ComparisonSpec, spec: StudySpec, where: str) -> None:
    """From analysis-ready data, arms are conditions on the patients of an analysis set."""
    if not comparison.set:
        raise SpecError(f"{where}.set: analysis-ready data need the analysis set the arms are drawn from")
    _reference(comparison.set, spec.analysis_sets, f"{where}.set", "analysis set")
    for arm_name in ("treated", "control"):
        arm = getattr(comparison, arm_name)
        if arm.regimens or arm.all_except or not arm.where:
            raise SpecError(f"{where}.{arm_name}: from analysis-ready data, an arm is a where condition "
                            "(e.g. \"hormonal_therapy = yes\"), not regimens")
        _check_condition(arm.where, spec, f"{where}.{arm_name}.where")


def _check_disclosure(spec: StudySpec) -> None:
    if spec.disclosure.suppress_below < 0:
        raise SpecError(f"disclosure.suppress_below: a whole number of patients, 0 (off) or more, e.g. 5 to print "
                        f"counts 1 to 4 as <5 (got {spec.disclosure.suppress_below})")


def _plain_yes_and_no(loader: type) -> type:
    """``loader`` reading only true and false as booleans, as YAML 1.2 does: a level code ``no`` or
    ``yes`` (``levels: {no: "No", yes: "Yes"}``), ``on``, ``off``, ``y`` or ``n`` stays text, as
    written. PyYAML follows YAML 1.1, where they are booleans and such a level would silently
    become "False"."""
    bool_tag = "tag:yaml.org,2002:bool"
    resolvers = {first: [(tag, pattern) for tag, pattern in pairs if tag != bool_tag]
                 for first, pairs in loader.yaml_implicit_resolvers.items()}
    plain = type(f"Plain{loader.__name__}", (loader,), {"yaml_implicit_resolvers": resolvers})
    plain.add_implicit_resolver(bool_tag, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
    return plain


#: libyaml's safe loader when PyYAML was built with it (ten times faster), else the Python one.
_FAST_LOADER = _plain_yes_and_no(getattr(yaml, "CSafeLoader", yaml.SafeLoader))
_PYTHON_LOADER = _plain_yes_and_no(yaml.SafeLoader)


def _parsed_yaml(text: str) -> object:
    """The YAML ``text`` parsed by ``_FAST_LOADER`` (0.004 s for the example's spec with libyaml, against
    0.04 s in Python); on a syntax error the Python parser reads it again, for its message, which
    quotes the wrong line with a caret under the place."""
    try:
        return yaml.load(text, Loader=_FAST_LOADER)
    except yaml.YAMLError:
        return yaml.load(text, Loader=_PYTHON_LOADER)


def _line_of(text: str, where: str) -> int | None:
    """The line (from 1) of the deepest part of the key path ``where`` ('endpoints.os2.kind',
    'tables.t1.sets[0]') found in the YAML ``text``; None when not even its first key is there."""
    node = yaml.compose(text, Loader=_FAST_LOADER)
    line = None
    for part in re.findall(r"\[\d+\]|[^.\[\]]+", where):
        if isinstance(node, yaml.MappingNode) and not part.startswith("["):
            found = next(((key, value) for key, value in node.value if str(key.value) == part), None)
            if found is None:
                break
            line, node = found[0].start_mark.line + 1, found[1]
        elif isinstance(node, yaml.SequenceNode) and part.startswith("[") and int(part[1:-1]) < len(node.value):
            node = node.value[int(part[1:-1])]
            line = node.start_mark.line + 1
        else:
            break
    return line


def load_spec(path: str | Path) -> StudySpec:
    """Read and validate a study spec. Raises SpecError naming the file and the key."""
    path = Path(path)
    if path.is_dir():
        path = path / "study.yaml"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise SpecError(f"{path}: cannot read the study spec ({error.strerror})") from None
    try:
        raw = _parsed_yaml(text)
    except yaml.YAMLError as error:
        raise SpecError(f"{path}: not valid YAML: {error}") from None
    try:
        spec = _build(StudySpec, raw, "")
        _check_references(spec)
        _check_comparisons(spec)
        _check_disclosure(spec)
    except SpecError as error:
        line = _line_of(text, str(error).split(": ", 1)[0])
        raise SpecError(f"{path}{f', line {line}' if line else ''}: {error}") from None
    return dataclasses.replace(spec, path=path.resolve())
