"""reportgen diff: every number that moved between two builds, and only those."""

import dataclasses
import shutil
from pathlib import Path

import pandas as pd
import pytest

from reportgen.analysis.results import Result
from reportgen.build import analyse_study
from reportgen.document.model import Table
from reportgen.diff import Difference, compare_results, report_document, terminal_text
from reportgen.spec import load_spec

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "tafa-len"
#: A TL-post patient who progressed (PFS2 event at 3.9 months) and died later (OS2 at 7.9).
PATIENT = "SYN-00241"


def _records(*records: Result) -> dict[str, Result]:
    return {record.key: record for record in records}


def test_compare_lists_changed_added_and_removed_with_displays_and_places():
    old = _records(Result("os2.median", 7.9, "median", unit="months", lower=5.2, upper=11.0),
                   Result("tl_post.male", 30, "count", n=52), Result("gone", 1, "n"),
                   Result("flow.tl_post.n", 52, "n"), Result("os2.p", 0.0138, "P"))
    new = _records(Result("os2.median", 8.3, "median", unit="months", lower=5.2, upper=11.0),
                   Result("tl_post.male", 30, "count", n=52), Result("new", 2, "n"),
                   Result("flow.tl_post.n", 52, "n"), Result("os2.p", 0.01380000001, "P"))
    changed, added, removed, sizes = compare_results(old, new, {"os2.median": ("Figure 2", "Table 3")})
    assert [(c.key, c.old, c.new, c.shown_in) for c in changed] == [
        ("os2.median", "7.9 (5.2-11)", "8.3 (5.2-11)", ("Figure 2", "Table 3")),
        ("os2.p", "P = .0138", "P = .0138", ())]
    assert [c.visible for c in changed] == [True, False]
    assert [c.key for c in added] == ["new"] and [c.key for c in removed] == ["gone"]
    assert [(s.key, s.old, s.new) for s in sizes] == [("flow.tl_post.n", "52", "52")]
    text = terminal_text(Difference("old", "new", changed, added, removed, sizes, ()))
    assert "os2.median: 7.9 (5.2-11) → 8.3 (5.2-11)   [Figure 2; Table 3]" in text
    assert "(same at display precision)" in text
    assert "tl_post.male" not in text
    document = report_document(Difference("old", "new", changed, added, removed, sizes, ()))
    assert [block.title for block in document.blocks if isinstance(block, Table)] == [
        "Analysis set sizes", "Numbers that changed", "Keys added", "Keys removed"]


@pytest.fixture(scope="module")
def moved_death(tmp_path_factory):
    """The example analysed as it is, and again after one patient's death date moves 45 days."""
    spec = load_spec(EXAMPLE)
    data = tmp_path_factory.mktemp("registry") / "data"
    shutil.copytree(spec.data_path, data)
    follow_up = pd.read_csv(data / "follow_up.csv", dtype=str, keep_default_na=False)
    row = follow_up["patient_id"] == PATIENT
    assert follow_up.loc[row, "vital_status"].item() == "dead"
    later = (pd.Timestamp(follow_up.loc[row, "death_date"].item()) + pd.Timedelta(days=45)).strftime("%Y-%m-%d")
    follow_up.loc[row, ["death_date", "last_contact_date"]] = later
    follow_up.to_csv(data / "follow_up.csv", index=False)
    moved = dataclasses.replace(spec, data=dataclasses.replace(spec.data, path=str(data), lock=""))
    return spec, analyse_study(spec).results, analyse_study(moved).results


def test_one_death_date_moves_exactly_the_survival_numbers_it_enters(moved_death):
    spec, old, new = moved_death
    old, new = dict(old.items()), dict(new.items())
    changed, added, removed, sizes = compare_results(old, new, {})
    listed = {change.key for change in changed}
    # exactly the records that differ, no more and no fewer
    assert listed == {key for key in old if dataclasses.asdict(old[key]) != dataclasses.asdict(new[key])}
    assert not added and not removed and all(size.old == size.new for size in sizes)
    # and they are overall-survival numbers only: the patient's progression, and so PFS, did not move
    survival = {name for name, endpoint in spec.endpoints.items() if endpoint.kind in ("os", "os2")}
    assert listed and all(set(key.split(".")) & survival for key in listed), sorted(listed)
    assert any(key.startswith("os2.") for key in listed)
    assert not any(set(key.split(".")) & {"pfs", "pfs2", "dor2", "pfs_pre"} for key in listed)
