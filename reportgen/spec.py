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
    name: str
    affiliations: tuple[int, ...] = ()


@dataclass(frozen=True)
class StudyInfo:
    title: str
    running_title: str = ""
    synthetic: bool = False
    key_points: tuple[str, ...] = ()


@dataclass(frozen=True)
class DataSource:
    """Where the registry export is, how to read it, and the lock manifest it must match.

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
    source: str = "csv"
    lock: str = ""
    url: str = ""
    schema: str = ""
    encoding: str = "utf-8"
    delimiter: str = ","
    tables: dict[str, str] = field(default_factory=dict)
    columns: dict[str, dict[str, str]] = field(default_factory=dict)
    codes: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)


@dataclass(frozen=True)
class ReviewSpec:
    """What the cover page of each scientific committee review copy says."""

    deadline: str = ""
    instructions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Conventions:
    """Statistical conventions; defaults follow SAS, the registry's validated tool."""

    days_per_month: float = 30.4375
    days_per_year: float = 365.25
    conf_level: float = 0.95
    km_conf_type: str = "log-log"
    quantile_definition: str = "sas5"
    early_failure_months: float = 6.0


@dataclass(frozen=True)
class Cohort:
    """The registry population every analysis set is drawn from."""

    label: str = "CAR T-cell therapy in third line or later"
    min_car_t_line: int = 3


@dataclass(frozen=True)
class AnalysisSet:
    """A population. ``rule`` says who is in it:

    - ``first_treatment_after_progression``: the first treatment for progression after
      CAR T is ``regimen``;
    - ``treated_before_car_t``: ``regimen`` was a prior or bridging line before infusion;
    - ``subset``: the patients of set ``of`` who meet ``where``: a binary variable
      (``early_failure``), its negation (``not early_failure``), or a categorical
      variable's registry code (``cd19_before_infusion = negative``). A missing value
      never meets the condition.
    """

    label: str
    rule: str
    regimen: str = ""
    of: str = ""
    where: str = ""
    short_label: str = ""
    in_flowchart: bool = True  # drawn in the study flowchart (Figure 1)

    @property
    def condition(self) -> tuple[str, bool | str]:
        """The ``where`` variable and the value it must have (True, False or a code)."""
        if "=" in self.where:
            name, code = self.where.split("=", 1)
            return name.strip(), code.strip()
        negated = self.where.startswith("not ")
        return (self.where[4:].strip() if negated else self.where.strip()), not negated


@dataclass(frozen=True)
class Endpoint:
    """A time-to-event endpoint over an analysis set.

    ``kind``: ``pfs``/``os`` from the infusion, ``pfs2``/``os2`` from the first
    treatment for progression, ``dor2`` from that treatment's response (responders
    only). ``groups`` names groupings of subsets of the set, each estimated apart and
    compared by the log-rank test; ``landmarks`` are times (months) for survival rates.
    """

    label: str
    name: str
    set: str
    kind: str
    groups: dict[str, tuple[str, ...]] = field(default_factory=dict)
    landmarks: tuple[float, ...] = ()


@dataclass(frozen=True)
class RateSpec:
    """A response rate under a categorical variable's levels: the share of patients whose
    level code is one of ``levels``, with its exact confidence interval."""

    label: str = ""
    levels: tuple[str, ...] = ()
    mark: str = ""


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
    column: str
    type: str
    levels: dict[str, str] = field(default_factory=dict)
    decimals: int = 0
    statistics: tuple[str, ...] = ("median_range",)
    mark: str = ""
    given: str = ""
    rate: RateSpec = RateSpec()
    missing_level: str = ""

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
    variables: tuple[str, ...]
    set: str = ""
    sets: tuple[str, ...] = ()
    column_label: str = ""
    column_labels: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def populations(self) -> tuple[str, ...]:
        return self.sets or (self.set,)


@dataclass(frozen=True)
class FigureSpec:
    """Kaplan-Meier panels, one per endpoint, of the whole set or, with ``grouping``, of
    the endpoints' groups of that name with their log-rank P."""

    title: str
    set: str
    endpoints: tuple[str, ...]
    caption: str = ""
    grouping: str = ""
    x_label: str = "Months"
    risk_times: tuple[float, ...] = (0, 3, 6, 9, 12, 18, 24)


@dataclass(frozen=True)
class Arm:
    """One arm of a comparison: patients whose first treatment for progression is one of
    ``regimens``, or, with ``all_except``, any regimen but those (and the other arm's)."""

    label: str
    regimens: tuple[str, ...] = ()
    all_except: tuple[str, ...] = ()


@dataclass(frozen=True)
class SensitivitySpec:
    """A re-run of a comparison with other weights; empty settings keep the main analysis's."""

    label: str
    scheme: str = ""
    truncate: tuple[float, ...] = ()
    covariates: tuple[str, ...] = ()


@dataclass(frozen=True)
class ComparisonSpec:
    """An inverse-probability-weighted comparison of two arms among patients treated for
    their first progression after CAR T (the cohort's ``treated`` flow step).

    ``scheme`` is ``ate-stabilized`` (default), ``ate`` or ``att``; ``truncate`` two
    percentiles, e.g. [1, 99]; ``covariates`` name declared variables.
    """

    label: str
    treated: Arm
    control: Arm
    covariates: tuple[str, ...]
    endpoints: tuple[str, ...]
    scheme: str = "ate-stabilized"
    truncate: tuple[float, ...] = ()
    smd_threshold: float = 0.15
    landmarks: tuple[float, ...] = (6, 12)
    risk_times: tuple[float, ...] = (0, 3, 6, 9, 12, 18, 24)
    x_label: str = "Months since the first treatment for progression"
    sensitivity: dict[str, SensitivitySpec] = field(default_factory=dict)


@dataclass(frozen=True)
class DocumentSpec:
    """One output document; ``numbering_prefix`` (e.g. "Supplemental ") goes before "Table 1"."""

    template: str
    numbering_prefix: str = ""


@dataclass(frozen=True)
class Reference:
    text: str


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


@dataclass(frozen=True)
class StudySpec:
    """A whole study spec, read from ``path`` (relative paths in it are from its folder)."""

    study: StudyInfo
    data: DataSource
    analysis_sets: dict[str, AnalysisSet]
    endpoints: dict[str, Endpoint]
    variables: dict[str, Variable]
    tables: dict[str, TableSpec]
    figures: dict[str, FigureSpec]
    documents: dict[str, DocumentSpec]
    authors: tuple[Author, ...] = ()
    affiliations: tuple[str, ...] = ()
    references: dict[str, str] = field(default_factory=dict)
    comparisons: dict[str, ComparisonSpec] = field(default_factory=dict)
    regimen_classes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    conventions: Conventions = Conventions()
    cohort: Cohort = Cohort()
    review: ReviewSpec = ReviewSpec()
    disclosure: Disclosure = Disclosure()
    path: Path = field(default=Path("study.yaml"), metadata={"internal": True})

    @property
    def folder(self) -> Path:
        return self.path.parent

    @property
    def data_path(self) -> Path:
        return (self.folder / self.data.path).resolve()

    @property
    def lock_path(self) -> Path:
        return (self.folder / self.data.lock).resolve()


SET_RULES = ("first_treatment_after_progression", "treated_before_car_t", "subset")
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
        _choice(endpoint.kind, ENDPOINT_KINDS, f"endpoints.{name}.kind")
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
            name, wanted = analysis_set.condition
            if isinstance(wanted, str):
                _reference(name, spec.variables, f"{where}.where", "variable")
                if spec.variables[name].type != "categorical" or wanted not in spec.variables[name].levels:
                    raise SpecError(f"{where}.where: {wanted!r} is not a level code of the categorical "
                                    f"variable {name!r}")
            else:
                _binary(name, spec, f"{where}.where")
        elif not analysis_set.regimen:
            raise SpecError(f"{where}.regimen: the rule {analysis_set.rule!r} needs a regimen")
        declared.add(name)


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
        for arm_name in ("treated", "control"):
            arm = getattr(comparison, arm_name)
            if bool(arm.regimens) == bool(arm.all_except):
                raise SpecError(f"{where}.{arm_name}: give either regimens or all_except")
        if not comparison.treated.regimens:
            raise SpecError(f"{where}.treated.regimens: the treated arm must list its regimens")
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


def _check_disclosure(spec: StudySpec) -> None:
    if spec.disclosure.suppress_below < 0:
        raise SpecError(f"disclosure.suppress_below: a whole number of patients, 0 (off) or more, e.g. 5 to print "
                        f"counts 1 to 4 as <5 (got {spec.disclosure.suppress_below})")


#: libyaml's safe loader when PyYAML was built with it (ten times faster), else the Python one.
_FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _parsed_yaml(text: str) -> object:
    """The YAML ``text`` parsed by ``_FAST_LOADER`` (0.004 s for the example's spec with libyaml, against
    0.04 s in Python); on a syntax error the Python parser reads it again, for its message, which
    quotes the wrong line with a caret under the place."""
    try:
        return yaml.load(text, Loader=_FAST_LOADER)
    except yaml.YAMLError:
        return yaml.safe_load(text)


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
