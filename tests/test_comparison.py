"""Weighted comparisons: spec checks, cohort formation on the example registry, records, tables."""

import dataclasses

import numpy as np
import pandas as pd
import pytest

from reportgen import stats
from reportgen.analysis.comparison import fit_weights, weightings
from reportgen.analysis.study import analyse
from reportgen.data.derive import derive
from reportgen.data.load import load_registry
from reportgen.errors import SpecError
from reportgen.format.comparison_tables import comparison_tables
from reportgen.format.style import HouseStyle
from reportgen.format.text import TextFormatter
from reportgen.spec import load_spec
from test_end_to_end import EXAMPLE


@pytest.fixture(scope="module")
def example():
    spec = load_spec(EXAMPLE)
    derived = derive(load_registry(spec.data_path), spec)
    return spec, derived, analyse(derived, spec)


def test_cohorts_have_the_reference_sizes_and_mix(example):
    spec, derived, study = example
    results = study.results
    assert (results["vs_other.treated.n"].value, results["vs_other.control.n"].value) == (43, 354)
    assert (results["vs_len.treated.n"].value, results["vs_len.control.n"].value) == (43, 52)
    mix = {key.rsplit(".", 1)[1]: results[key].value for key in results if key.startswith("vs_other.control.mix.")}
    assert mix == {"immunomodulatory_drug": 167, "chemotherapy": 91, "cd3_cd20_bispecific_antibody": 35, "other": 61}
    assert results["flow.vs_other.arms.excluded"].value == 10  # loncastuximab, an anti-CD19 antibody
    # every patient of an arm is either kept or excluded with a reason
    for key in ("vs_other", "vs_len"):
        for arm in ("treated", "control"):
            assert (results[f"flow.{key}.{arm}_arm.n"].value
                    == results[f"flow.{key}.{arm}.n"].value + results[f"flow.{key}.{arm}.excluded"].value)
    assert results["flow.vs_other.treated.excluded"].value == 9


def test_comparison_data_is_complete_and_matches_the_arms(example):
    spec, derived, _ = example
    data = derived.comparisons["vs_len"].data
    assert set(data.loc[~data["treated"], "regimen"]) == {"LEN"}
    assert set(data.loc[data["treated"], "regimen"]) == {"TAFA-LEN"}
    covariates = [name for run in weightings(spec.comparisons["vs_len"]).values() for name in run.covariates]
    assert not data[covariates].isna().any().any()


def test_records_are_those_of_the_stats_functions(example):
    """The analysis layer only routes: recompute two numbers directly and compare."""
    spec, derived, study = example
    data = derived.comparisons["vs_other"].data
    weights = fit_weights(data, weightings(spec.comparisons["vs_other"])["main"], spec.conventions)
    treated = data["treated"].to_numpy()
    km = stats.kaplan_meier(data.loc[treated, "os2_time"], data.loc[treated, "os2_event"],
                            weights=weights.weight[treated])
    assert study.results["vs_other.os2.treated.median"].value == km.median.estimate
    cox = stats.cox_hazard_ratio(data["pfs2_time"], data["pfs2_event"], treated.astype(float),
                                 weights=weights.weight, robust=True)
    assert study.results["vs_other.pfs2.hr"].value == pytest.approx(cox.terms[0].hazard_ratio, rel=1e-12)
    assert study.results["vs_other.pfs2.p"].value == pytest.approx(cox.robust_score_p, rel=1e-12)
    # the unweighted number at risk is an integer count of patients
    assert study.results["vs_other.os2.control.at_risk.0"].value == 354


def test_runs_over_the_same_covariates_share_one_propensity_model(example):
    """Each run's weights, from the comparison's one fit per covariate set, are those of a fit of its own."""
    spec, derived, study = example
    data = derived.comparisons["vs_other"].data
    for run_key, weighting in weightings(spec.comparisons["vs_other"]).items():
        prefix = "vs_other" if run_key == "main" else f"vs_other.sensitivity.{run_key}"
        alone = fit_weights(data, weighting, spec.conventions)
        for summary in alone.summaries:
            for statistic in ("min", "max", "mean", "sum", "effective_n"):
                assert study.results[f"{prefix}.weights.{summary.group}.{statistic}"].value == getattr(summary, statistic)


def test_sensitivity_analyses_inherit_unset_settings(example):
    spec, _, study = example
    runs = weightings(spec.comparisons["vs_other"])
    assert runs["truncated"].scheme == "ate-stabilized" and runs["truncated"].truncate == (1.0, 99.0)
    assert runs["att"].covariates == spec.comparisons["vs_other"].covariates
    assert study.results["vs_other.sensitivity.att.weights.treated.max"].value == 1.0  # ATT: treated weigh 1
    low = study.results["vs_other.sensitivity.truncated.weights.truncation.low"].value
    high = study.results["vs_other.sensitivity.truncated.weights.truncation.high"].value
    assert low <= study.results["vs_other.sensitivity.truncated.weights.control.min"].value
    assert study.results["vs_other.sensitivity.truncated.weights.treated.max"].value <= high


def test_tables_are_rectangular_and_flag_imbalance(example):
    spec, _, study = example
    text = TextFormatter(study.results, HouseStyle())
    tables = comparison_tables(spec, lambda place: text)
    assert {"vs_other_balance", "vs_other_outcomes", "vs_other_sensitivity", "vs_len_formation",
            "vs_len_weights", "vs_other_mix"} <= tables.keys()
    balance = tables["vs_other_balance"]
    flagged = sum(cell.mark == "†" for row in balance.body for cell in row.cells)
    assert flagged == study.results["vs_other.smd.breaches"].value
    sensitivity = tables["vs_len_sensitivity"]
    assert len(sensitivity.body) == 1 + len(spec.comparisons["vs_len"].sensitivity)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"control": {"label": "x", "regimens": ["LEN"], "all_except": ["R2"]}}, "either regimens or all_except"),
        ({"covariates": ["age", "agee"]}, "did you mean 'age'"),
        ({"scheme": "overlap"}, "is not one of"),
        ({"truncate": [99, 1]}, "two percentiles"),
    ],
)
def test_spec_errors_name_the_place(tmp_path, change, message):
    import yaml

    raw = yaml.safe_load((EXAMPLE / "study.yaml").read_text(encoding="utf-8"))
    raw["comparisons"]["vs_len"].update(change)
    raw["data"]["path"] = str((EXAMPLE / raw["data"]["path"]).resolve())
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(SpecError, match=message) as error:
        load_spec(path)
    assert "comparisons.vs_len" in str(error.value)


def test_propensity_weights_schemes():
    rng = np.random.default_rng(7)
    x = pd.DataFrame({"age": rng.normal(60, 10, 200), "stage": rng.choice(["I-II", "III-IV"], 200)})
    treated = rng.random(200) < 1 / (1 + np.exp(-(x["age"] - 60) / 10))
    stabilized = stats.propensity_weights(treated, x)
    plain = stats.propensity_weights(treated, x, stabilized=False)
    att = stats.propensity_weights(treated, x, estimand="ATT")
    share = treated.mean()
    np.testing.assert_allclose(stabilized.weight[treated], share * plain.weight[treated])
    np.testing.assert_allclose(stabilized.weight[~treated], (1 - share) * plain.weight[~treated])
    np.testing.assert_allclose(att.weight[treated], 1.0)
    e = plain.score[~treated]
    np.testing.assert_allclose(att.weight[~treated], e / (1 - e))
    summary = stabilized.summaries[0]
    w = stabilized.weight[treated]
    assert summary.effective_n == pytest.approx(w.sum() ** 2 / (w ** 2).sum())
    with pytest.raises(ValueError, match="missing"):
        stats.propensity_weights(treated, x.assign(age=x["age"].where(x.index > 0)))
    with pytest.raises(ValueError, match="not stabilized"):
        stats.propensity_weights(treated, x, estimand="ATT", stabilized=True)
    assert not stabilized.weight.flags.writeable


def test_smd_uses_the_unweighted_pooled_sd():
    x = pd.DataFrame({"flag": [True, True, False, False, True, False]})
    treated = [1, 1, 1, 0, 0, 0]
    unweighted = stats.standardized_mean_differences(x, treated)[0]
    # treated 2/3, control 1/3; pooled sd sqrt((2/9 + 2/9) / 2)
    assert unweighted.smd == pytest.approx((2 / 3 - 1 / 3) / np.sqrt(2 / 9))
    weighted = stats.standardized_mean_differences(x, treated, [1, 1, 2, 1, 1, 1])[0]
    assert weighted.treated_mean == pytest.approx(0.5)
    assert weighted.smd == pytest.approx((0.5 - 1 / 3) / np.sqrt(2 / 9))


def test_a_build_without_comparisons_still_works(example):
    spec, derived, _ = example
    bare = dataclasses.replace(spec, comparisons={})
    study = analyse(dataclasses.replace(derived, comparisons={}), bare)
    assert not any(key.startswith("vs_") for key in study.results)
