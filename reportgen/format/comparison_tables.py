"""Tables of a weighted comparison, built from the results store's records.

Balance (means and proportions with SMDs before and after weighting), the weights,
the control arm's treatments, the weighted outcomes and the sensitivity analyses.
Every number is a record of ``analysis.comparison``; here it only gets its format.
"""

from __future__ import annotations

from typing import Callable

from reportgen.analysis.comparison import ARMS, weightings
from reportgen.analysis.results import ResultSet, level_key
from reportgen.format.numbers import fmt_count, fmt_number, fmt_proportion, fmt_share, fmt_small_cell, is_small_cell
from reportgen.format.style import HouseStyle
from reportgen.format.table_model import Cell, Table, TableRow
from reportgen.format.text import TextFormatter
from reportgen.spec import ComparisonSpec, Endpoint, StudySpec, Variable

BREACH_MARK = "†"


def _header(first: str, comparison: ComparisonSpec, results: ResultSet, key: str, style: HouseStyle,
            extra: tuple[str, ...] = ()) -> tuple[TableRow, TableRow]:
    """Two header rows: the arms' labels, then their N (as Table 1 does)."""
    labels = [Cell(first, "header")] + [Cell(arm.label, "header") for arm in (comparison.treated, comparison.control)]
    sizes = [Cell("", "header")] + [Cell(style.group_header.format(n=fmt_count(results[f"{key}.{arm}.n"].value,
                                                                                 style)), "header") for arm in ARMS]
    labels += [Cell(text, "header") for text in extra]
    sizes += [Cell("", "header") for _ in extra]
    return TableRow(tuple(labels), role="header"), TableRow(tuple(sizes), role="header")


def _smd_cell(value: float, threshold: float | None, style: HouseStyle) -> Cell:
    mark = BREACH_MARK if threshold is not None and abs(value) >= threshold else ""
    return Cell(fmt_number(value, style.smd_decimals, style), "statistic", mark=mark)


def _summary_text(value: float, is_level: bool, variable: Variable, style: HouseStyle, n: int | None) -> str:
    """A mean, or a percentage of patients; before weighting (``n``: the arm's size) the percentage is a
    count over ``n``, suppressed when that count is a small cell."""
    if is_level:
        return fmt_share(value, n, style)
    return fmt_number(value, variable.decimals + 1, style)


def balance_table(key: str, comparison: ComparisonSpec, variables: dict[str, Variable], results: ResultSet,
                  style: HouseStyle) -> Table:
    """Means (continuous) or percentages (levels) per arm and the SMD, before and after weighting."""
    threshold = results[f"{key}.smd.threshold"].value
    top = TableRow((Cell("", "header"), Cell("Before weighting", "header", span=3),
                    Cell("After weighting", "header", span=3)), role="header")
    arms = (comparison.treated.label, comparison.control.label)
    second = TableRow((Cell("Weighting variable", "header"),
                       *(Cell(label, "header") for label in arms), Cell("SMD", "header"),
                       *(Cell(label, "header") for label in arms), Cell("SMD", "header")), role="header")
    body: list[TableRow] = []
    for name in comparison.covariates:
        variable = variables[name]
        levels = list(variable.labels) if variable.type == "categorical" else [None]
        if variable.type == "categorical":
            body.append(TableRow((Cell(variable.label, "label"), *(Cell("", "statistic") for _ in range(6))),
                                 role="variable"))
        for level in levels:
            suffix = "" if level is None else f".{level_key(level)}"
            if f"{key}.smd.{name}{suffix}.before" not in results:
                continue  # a level nobody in the comparison has
            cells = [Cell(variable.label if level is None else level, "label" if level is None else "level")]
            for moment in ("before", "after"):
                for arm in ARMS:
                    value = results[f"{key}.balance.{name}{suffix}.{arm}.{moment}"].value
                    is_level = level is not None or variable.type == "binary"
                    n = results[f"{key}.{arm}.n"].value if moment == "before" and style.suppress_below else None
                    cells.append(Cell(_summary_text(value, is_level, variable, style, n), "statistic"))
                smd = results[f"{key}.smd.{name}{suffix}.{moment}"].value
                cells.append(_smd_cell(smd, threshold if moment == "after" else None, style))
            body.append(TableRow(tuple(cells), role="single" if level is None else "level"))
    notes = (
        "Continuous variables: mean; categorical variables: percentage of patients. After weighting, "
        "means and percentages are weighted.",
        "SMD, standardized mean difference: the difference in (weighted) means, "
        f"{comparison.treated.label} minus {comparison.control.label}, over the pooled standard deviation of "
        "the two unweighted groups.",
        f"{BREACH_MARK} |SMD| at or above the balance threshold of {fmt_number(threshold, 2, style)}.",
    )
    small = fmt_small_cell(style) if style.suppress_below else ""
    if small and any(cell.text == small for row in body for cell in row.cells):
        notes += (f"{small}: a percentage of fewer than {style.suppress_below} patients, not shown "
                  "(small-cell suppression).",)
    return Table(key=f"{key}_balance", title=f"Balance of the weighting variables, {comparison.label}",
                 header=(top, second), body=tuple(body), notes=notes,
                 column_widths=(0.28, 0.12, 0.12, 0.09, 0.12, 0.12, 0.09))


def weights_table(key: str, comparison: ComparisonSpec, results: ResultSet, style: HouseStyle) -> Table:
    """The weights of each arm: N, range, mean, sum and effective sample size."""
    columns = (("min", "Minimum"), ("max", "Maximum"), ("mean", "Mean"), ("sum", "Sum"),
               ("effective_n", "Effective sample size"))
    header = TableRow((Cell("Arm", "header"), Cell("N", "header"), *(Cell(t, "header") for _, t in columns)),
                      role="header")
    body = []
    for arm, spec in zip(ARMS, (comparison.treated, comparison.control)):
        n = results[f"{key}.{arm}.n"].value
        cells = [Cell(fmt_number(results[f"{key}.weights.{arm}.{s}"].value, style.weight_decimals, style),
                      "statistic") for s, _ in columns]
        body.append(TableRow((Cell(spec.label, "label"), Cell(fmt_count(n, style), "statistic"), *cells),
                             role="single"))
    method = results[f"{key}.weights.treated.mean"].method
    return Table(key=f"{key}_weights", title=f"Inverse probability weights, {comparison.label}",
                 header=(header,), body=tuple(body), notes=(f"Weights: {method}.",
                                                             "Effective sample size: (sum of weights)² / sum of squared weights."),
                 column_widths=(0.25, 0.08, 0.12, 0.12, 0.11, 0.13, 0.19))


def mix_table(key: str, comparison: ComparisonSpec, spec: StudySpec, results: ResultSet, style: HouseStyle) -> Table:
    """The control arm's first treatments for progression, by regimen class."""
    n = results[f"{key}.control.n"].value
    header = (TableRow((Cell("First treatment for progression", "header"),
                        Cell(comparison.control.label, "header", span=2)), role="header"),
              TableRow((Cell("", "header"), Cell(style.group_header.format(n=fmt_count(n, style)), "header", span=2)),
                       role="header"))
    body = []
    for label in (*spec.regimen_classes, "Unclassified"):
        record_key = f"{key}.control.mix.{level_key(label)}"
        if record_key not in results or not results[record_key].value:
            continue
        record = results[record_key]
        percent = "" if is_small_cell(record.value, style) else f"({fmt_proportion(record.value / record.n, style)})"
        body.append(TableRow((Cell(label, "label"), Cell(fmt_count(record.value, style), "count"),
                              Cell(percent, "percent")), role="single"))
    notes = tuple(f"{label}: {', '.join(regimens)}." for label, regimens in spec.regimen_classes.items())
    return Table(key=f"{key}_mix", title=f"First treatment for progression in the {comparison.control.label.lower()} "
                 f"arm, {comparison.label}", header=header, body=tuple(body), notes=notes,
                 column_widths=(0.62, 0.16, 0.22))


def _rate_cell(text: TextFormatter, key: str) -> Cell:
    return Cell(f"{text.rate(key)} ({text.rate_interval(key)})", "statistic")


def _median_cell(text: TextFormatter, key: str) -> Cell:
    return Cell(text.median_ci(key), "statistic")


def outcomes_table(key: str, comparison: ComparisonSpec, endpoints: dict[str, Endpoint], text: TextFormatter
                   ) -> Table:
    """Weighted response rates, medians and landmark survival per arm, with P values and hazard ratios."""
    results, style = text.results, text.style
    header = _header("", comparison, results, key, style, ("Comparison",))
    responses = f"{key}.response.orr.treated" in results  # first treatments' responses: a registry's only
    level = text.level(f"{key}.response.orr.treated" if responses else f"{key}.{comparison.endpoints[0]}.hr")
    body = [TableRow((Cell("Effective sample size", "label"),
                      *(Cell(fmt_number(results[f"{key}.weights.{arm}.effective_n"].value, 1, style), "statistic")
                        for arm in ARMS), Cell("", "statistic")), role="single")]
    for name, label in (("orr", "Best overall response"), ("crr", "Best complete response")) if responses else ():
        body.append(TableRow((Cell(f"{label}, % ({level}% CI)", "label"),
                              *(_rate_cell(text, f"{key}.response.{name}.{arm}") for arm in ARMS),
                              Cell(text.p_value(f"{key}.response.{name}.p"), "statistic")), role="single"))
    for endpoint_key in comparison.endpoints:
        endpoint = endpoints[endpoint_key]
        prefix = f"{key}.{endpoint_key}"
        body.append(TableRow((Cell(endpoint.label, "label"), *(Cell("", "statistic") for _ in range(3))),
                             role="variable"))
        body.append(TableRow((Cell(f"Median, months ({level}% CI)", "level"),
                              *(_median_cell(text, f"{prefix}.{arm}.median") for arm in ARMS),
                              Cell(f"HR {text.hazard_ratio(f'{prefix}.hr')}", "statistic")), role="level"))
        for t in comparison.landmarks:
            body.append(TableRow((Cell(f"At {t:g} months, % ({level}% CI)", "level"),
                                  *(_rate_cell(text, f"{prefix}.{arm}.landmark.{t:g}") for arm in ARMS),
                                  Cell("", "statistic")), role="level"))
        body.append(TableRow((Cell("P (robust score test)", "level"), Cell("", "statistic"), Cell("", "statistic"),
                              Cell(text.p_value(f"{prefix}.p"), "statistic")), role="level"))
    notes = (
        f"All estimates are weighted: {results[f'{key}.weights.treated.mean'].method}.",
        *(("Response rates: not evaluated counts as no response; Korn-Graubard confidence intervals; P by the "
           "Rao-Scott corrected chi-square test.",) if responses else ()),
        "Medians and landmark rates by the weighted Kaplan-Meier method with robust (infinitesimal jackknife) "
        "variance and log-log confidence intervals. HR, hazard ratio (95% CI) of "
        f"{comparison.treated.label} versus {comparison.control.label} from a weighted Cox model with robust "
        "variance; P by its robust score test.",
    )
    return Table(key=f"{key}_outcomes", title=f"Weighted outcomes, {comparison.label}", header=header,
                 body=tuple(body), notes=notes, column_widths=(0.3, 0.24, 0.24, 0.22))


def sensitivity_table(key: str, comparison: ComparisonSpec, endpoints: dict[str, Endpoint], text: TextFormatter
                      ) -> Table:
    """Main and sensitivity analyses side by side: weights, balance and hazard ratios."""
    results, style = text.results, text.style
    header = TableRow((Cell("Analysis", "header"), Cell("Effective sample size", "header"),
                       Cell("Largest absolute SMD after weighting", "header"),
                       *(Cell(f"{endpoints[e].label} HR (95% CI); P", "header") for e in comparison.endpoints)),
                      role="header")
    body = []
    for run_key, weighting in weightings(comparison).items():
        prefix = key if run_key == "main" else f"{key}.sensitivity.{run_key}"
        ess = " / ".join(fmt_number(results[f"{prefix}.weights.{arm}.effective_n"].value, 1, style) for arm in ARMS)
        cells = [Cell(weighting.label, "label"), Cell(ess, "statistic"),
                 _smd_cell(results[f"{prefix}.smd.max_after"].value, comparison.smd_threshold, style)]
        cells += [Cell(f"{text.hazard_ratio(f'{prefix}.{e}.hr')}; {text.p_value(f'{prefix}.{e}.p')}", "statistic")
                  for e in comparison.endpoints]
        body.append(TableRow(tuple(cells), role="single"))
    notes = (
        f"Effective sample size: {comparison.treated.label} / {comparison.control.label}.",
        f"{BREACH_MARK} At or above the balance threshold of {fmt_number(comparison.smd_threshold, 2, style)}.",
        "HR, hazard ratio from a weighted Cox model with robust variance; P by its robust score test.",
    )
    widths = (0.34, 0.14, 0.12) + (0.4 / len(comparison.endpoints),) * len(comparison.endpoints)
    return Table(key=f"{key}_sensitivity", title=f"Sensitivity analyses, {comparison.label}", header=(header,),
                 body=tuple(body), notes=notes, column_widths=widths)


def formation_table(key: str, comparison: ComparisonSpec, results: ResultSet,
                    style: HouseStyle = HouseStyle()) -> Table:
    """How the comparison cohort was formed: each step's patients and who was excluded, and why."""
    header = TableRow((Cell("Step", "header"), Cell("Patients", "header")), role="header")
    root = f"flow.{results[f'flow.{key}.arms.n'].params['parent']}.n"  # the population the arms are formed in
    body = [TableRow((Cell(results[root].params["label"], "label"),
                      Cell(fmt_count(results[root].value, style), "statistic")), role="single")]
    for step in ("arms", "treated_arm", "treated", "control_arm", "control"):
        prefix = f"flow.{key}.{step}"
        for reason_key in results:
            if reason_key.startswith(f"{prefix}.excluded."):
                reason = results[reason_key]
                body.append(TableRow((Cell(f"Excluded: {reason.params['reason']}", "level"),
                                      Cell(fmt_count(reason.value, style), "statistic")), role="level"))
        body.append(TableRow((Cell(results[f"{prefix}.n"].params["label"], "label"),
                              Cell(fmt_count(results[f"{prefix}.n"].value, style), "statistic")), role="single"))
    notes = ("A patient missing several weighting variables is counted once, under the first one missing in "
             "the order the variables are listed.",)
    return Table(key=f"{key}_formation", title=f"Formation of the comparison cohort, {comparison.label}",
                 header=(header,), body=tuple(body), notes=notes, column_widths=(0.8, 0.2))


def comparison_tables(spec: StudySpec, reader: Callable[[str], TextFormatter]) -> dict[str, Table]:
    """Every table of every comparison, keyed ``<comparison>_formation``, ``_balance``, ``_weights``,
    ``_mix``, ``_outcomes`` and ``_sensitivity``; ``reader(table key)`` gives each its formatter."""
    makers = {
        "formation": lambda key, comparison, text: formation_table(key, comparison, text.results, text.style),
        "balance": lambda key, comparison, text: balance_table(key, comparison, spec.variables, text.results,
                                                               text.style),
        "weights": lambda key, comparison, text: weights_table(key, comparison, text.results, text.style),
        "mix": lambda key, comparison, text: mix_table(key, comparison, spec, text.results, text.style),
        "outcomes": lambda key, comparison, text: outcomes_table(key, comparison, spec.endpoints, text),
        "sensitivity": lambda key, comparison, text: sensitivity_table(key, comparison, spec.endpoints, text),
    }
    if spec.data.form != "registry":
        del makers["mix"]  # the control arm's first treatments by class: a registry's regimens only
    tables = {}
    for key, comparison in spec.comparisons.items():
        for name, make in makers.items():
            table = make(key, comparison, reader(f"{key}_{name}"))
            tables[table.key] = table
    return tables
