"""End to end: build the example study and read the outputs back as a reader would.

The PDF's text (pypdf) and the DOCX's tables (python-docx) must both carry every
count and percentage of the reference study's Tables 1 and 3, and the same cells.
"""

import hashlib
import json
import re
import shutil
from pathlib import Path

import docx
import pytest
from pypdf import PdfReader

from example_study import docx_rows
from reference_tables import (TABLE1_MISSING, TABLE1_ROWS, TABLE2_MISSING, TABLE2_ROWS, TABLE3_MISSING,
                              TABLE3_ROWS, TABLE4_MISSING, TABLE4_ROWS)
from reportgen.build import build

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "tafa-len"


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    out = tmp_path_factory.mktemp("build") / "output"
    build(EXAMPLE, out)
    return out


def _body_rows(rows: list[tuple[str, ...]]) -> list[tuple[str, tuple[str, ...]]]:
    return [(row[0], tuple(c for c in row[1:] if c)) for row in rows[2:]]


@pytest.fixture(scope="module")
def docx_tables(outputs):
    document = docx.Document(str(outputs / "manuscript.docx"))
    return [docx_rows(table) for table in document.tables]


@pytest.fixture(scope="module")
def pdf_text(outputs):
    reader = PdfReader(str(outputs / "manuscript.pdf"))
    return "\n".join(page.extract_text() for page in reader.pages)


def _expected_rows_in_order(actual, expected):
    """Every expected row appears, in the expected order, among the actual body rows."""
    position = 0
    for row in expected:
        while position < len(actual) and actual[position] != row:
            position += 1
        assert position < len(actual), f"row {row} missing (or out of order) in {actual}"
        position += 1


@pytest.mark.parametrize("index, expected, missing", [(0, TABLE1_ROWS, TABLE1_MISSING),
                                                      (1, TABLE2_ROWS, TABLE2_MISSING),
                                                      (2, TABLE3_ROWS, TABLE3_MISSING),
                                                      (3, TABLE4_ROWS, TABLE4_MISSING)])
def test_docx_tables_carry_the_published_counts(docx_tables, index, expected, missing):
    """Tables 1-4 of the manuscript, in order, carry every published count and percentage."""
    body = _body_rows(docx_tables[index])
    _expected_rows_in_order(body, expected)
    assert [int(cells[0]) for label, cells in body if label == "Missing"] == missing


def test_docx_table_headers(docx_tables):
    assert docx_tables[0][1][-1] == "N = 52"
    assert docx_tables[1][1][1:] == ("N = 52", "n = 42", "n = 10")
    assert docx_tables[2][1][-1] == "N = 15"
    assert docx_tables[3][1][-1] == "n = 11/15"


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_pdf_carries_the_same_cells_as_the_docx(docx_tables, pdf_text):
    pdf = _squash(pdf_text)
    for table in docx_tables:
        for row in table:
            assert _squash("".join(row)) in pdf, f"PDF lacks the row {row}"


def test_results_json_has_the_numbers_of_the_text(outputs, pdf_text):
    results = {r["key"]: r for r in json.loads((outputs / "results.json").read_text())["results"]}
    assert results["sets.tl_post.n"]["value"] == 52
    assert results["sets.tl_pre.n"]["value"] == 15
    median = results["pfs2.median"]
    assert median["method"].startswith("Kaplan-Meier")
    assert 2.5 <= median["value"] <= 3.5
    assert "95% confidence interval" in pdf_text


def test_outputs_exist(outputs):
    for name in ("manuscript.pdf", "manuscript.docx", "results.json", "figures/figure_survival.png"):
        assert (outputs / name).stat().st_size > 0


@pytest.fixture(scope="module")
def supplement(outputs):
    reader = PdfReader(str(outputs / "supplement.pdf"))
    pdf = "\n".join(page.extract_text() for page in reader.pages)
    tables = [docx_rows(table) for table in docx.Document(str(outputs / "supplement.docx")).tables]
    return pdf, tables


def test_supplement_carries_every_comparison_table_and_figure(outputs, supplement):
    pdf, tables = supplement
    for comparison in ("TAFA-LEN vs other treatments", "TAFA-LEN vs lenalidomide alone"):
        for title in ("Formation of the comparison cohort", "Inverse probability weights",
                      "Balance of the weighting variables", "Weighted outcomes", "Sensitivity analyses"):
            assert _squash(f"{title}, {comparison}") in _squash(pdf)
    assert "Supplemental Table 1." in pdf and "Supplemental Figure 2." in pdf
    for name in ("vs_other_love.png", "vs_other_survival.png", "vs_len_love.png", "vs_len_survival.png"):
        assert (outputs / "figures" / name).stat().st_size > 0
    # the formation tables end at the reference's comparison cohorts, in PDF and Word alike
    formation = [table for table in tables if table[0][0] == "Step"]
    assert [table[-1][-1] for table in formation] == ["354", "52"]
    assert [row[-1] for table in formation for row in table if row[0] == "TAFA-LEN, complete weighting variables"] \
        == ["43", "43"]


def test_manuscript_cites_the_supplement_and_places_the_weighted_figures(pdf_text):
    assert re.search(r"Supplemental Table \d+\)", pdf_text) and re.search(r"Supplemental Figure \d+", pdf_text)
    assert _squash("Weighted survival, TAFA-LEN vs other treatments") in _squash(pdf_text)
    assert "according to IPW" in pdf_text


def test_a_sample_of_the_text_matches_results_json(outputs, pdf_text):
    """Numbers of the text, recomputed from results.json by hand, appear where the text says them."""
    results = {r["key"]: r for r in json.loads((outputs / "results.json").read_text())["results"]}
    text = _squash(pdf_text)

    def value(key):
        return results[key]["value"]

    borr = results["tl_pre_evaluable.car_t_response.borr"]
    assert f"{100 * borr['value'] / borr['n']:.1f}%" == "45.5%"
    assert _squash("the best overall response rate after CAR T-cell infusion was 45.5%") in text
    ci = results["tl_pre_evaluable.car_t_response.borr.ci"]
    assert _squash(f"({100 * ci['lower']:.1f}%-{100 * ci['upper']:.1f}%)") in text
    assert _squash(f"TAFA-LEN was the first treatment for {value('sets.tl_post.n')} (the TL-post-CAR-T set)") in text
    assert _squash(f"The registry holds {value('flow.registry.n')} patients") in text
    deaths = results["tl_post.death_cause.progression"]
    assert _squash(f"{deaths['value']} ({100 * deaths['value'] / deaths['n']:.1f}%) died of progression") in text
    late, early = value("pfs2.tl_post_late.median"), value("pfs2.tl_post_early.median")
    assert _squash(f"median PFS2 {late:.1f}") in text and _squash(f"vs {early:.1f}") in text
    p = value("pfs2.timing.p")
    assert 0.0001 <= p < 0.05
    assert _squash(f"months (P = {f'{p:.4f}'.rstrip('0').lstrip('0')}) and median OS2") in text


def test_a_rebuild_of_the_same_inputs_is_byte_identical(outputs, tmp_path):
    """Same lock, same spec, figures and writers in parallel then serial without the cache: the same
    bytes, figures included (dates come from the lock). tests/test_cache.py compares cached builds."""
    again = tmp_path / "again"
    build(EXAMPLE, again, workers=1, cache=False)  # serial, all made again: the same bytes as the parallel build
    files = sorted(p.relative_to(outputs) for p in outputs.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file())
    different = [str(f) for f in files if (outputs / f).read_bytes() != (again / f).read_bytes()]
    assert different == []


def test_provenance_records_the_lock_the_inputs_and_the_versions(outputs, supplement):
    record = json.loads((outputs / "provenance.json").read_text())
    lock = json.loads((EXAMPLE.parent / "synthetic-registry" / "data" / "lock.json").read_text())
    assert (record["lock_name"], record["lock_date"]) == (lock["name"], lock["date"])
    assert record["build_date"] == lock["date"]
    assert record["inputs"] == lock["files"]
    assert record["spec_sha256"] == hashlib.sha256((EXAMPLE / "study.yaml").read_bytes()).hexdigest()
    assert record["packages"]["lifelines"] and record["reportgen_version"]
    for name in ("manuscript.pdf", "supplement.docx", "results.json"):
        assert record["outputs"][name] == hashlib.sha256((outputs / name).read_bytes()).hexdigest()
    # the supplement's last page says the same, and its PDF carries the lock date
    pdf, _ = supplement
    last = PdfReader(str(outputs / "supplement.pdf")).pages[-1].extract_text()
    assert "Provenance" in last and lock["name"] in _squash(last)
    assert lock["files"][0]["sha256"][:32] in _squash(last).replace(" ", "")
    created = PdfReader(str(outputs / "supplement.pdf")).metadata["/CreationDate"]
    assert created.startswith("D:" + lock["date"].replace("-", ""))
    assert "DRAFT" not in pdf  # locked data: no draft stamp


def test_shown_in_names_the_tables_figures_and_paragraphs(outputs):
    shown = json.loads((outputs / "shown_in.json").read_text())["shown_in"]
    assert "Table 1" in shown["tl_post.age.median"]
    assert any(place.startswith("Manuscript › Results") for place in shown["tl_post.age.median"])
    assert "Figure 2" in shown["pfs2.timing.p"]
    assert "Figure 1" in shown["flow.tl_post.n"]


def test_review_copies_of_the_locked_build(outputs, tmp_path):
    """Per reviewer and document: every PDF page stamped with that reviewer and line-numbered from 1;
    every Word section numbering its lines under a stamped header; a manifest with each copy's hash."""
    from docx.oxml.ns import qn

    from reportgen.render.review import page_line_numbers, stamp_text
    from reportgen.review import review_copies

    reviewers = tmp_path / "reviewers.txt"
    reviewers.write_text("# the committee\nDr Ana Example\n\nProf. B. Synthetic\n", encoding="utf-8")
    manifest_path = review_copies(outputs, reviewers, "2026-11-30", tmp_path / "review")
    manifest = json.loads(manifest_path.read_text())
    assert manifest_path.parent.name == manifest["lock_name"] and manifest["deadline"] == "2026-12-15"
    assert {(c["reviewer"], c["file"]) for c in manifest["copies"]} == {
        (name, f"{folder}/{document}{suffix}") for name, folder in (("Dr Ana Example", "dr-ana-example"),
                                                                  ("Prof. B. Synthetic", "prof-b-synthetic"))
        for document in ("manuscript", "supplement") for suffix in (".pdf", ".docx")}
    for copy in manifest["copies"]:
        path = manifest_path.parent / copy["file"]
        assert copy["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        stamp = stamp_text(copy["reviewer"], "2026-11-30")
        if path.suffix == ".pdf":
            pages = PdfReader(str(path)).pages
            source = PdfReader(str(outputs / f"{copy['document']}.pdf")).pages
            assert len(pages) == len(source) + 1
            assert "Comments due by 2026-12-15" in pages[0].extract_text()
            for number, page in enumerate(pages, start=1):
                assert _squash(stamp) in _squash(page.extract_text()), f"{path.name} page {number}: no stamp"
                lines = page_line_numbers(page)
                assert lines and lines == list(range(1, len(lines) + 1)), f"{path.name} page {number}: {lines}"
        else:
            document = docx.Document(str(path))
            for section in document.sections:
                numbering = section._sectPr.find(qn("w:lnNumType"))
                assert numbering is not None and numbering.get(qn("w:countBy")) == "1"
                assert stamp in [paragraph.text for paragraph in section.header.paragraphs]
            assert copy["reviewer"] in "\n".join(p.text for p in document.paragraphs[:8])


def test_review_refuses_an_altered_build(outputs, tmp_path):
    from reportgen.review import ReviewError, review_copies

    altered = tmp_path / "build"
    shutil.copytree(outputs, altered)
    (altered / "manuscript.docx").write_bytes(b"edited by hand")
    (tmp_path / "reviewers.txt").write_text("Dr Ana Example\n", encoding="utf-8")
    with pytest.raises(ReviewError, match="manuscript.docx is not the file the build wrote"):
        review_copies(altered, tmp_path / "reviewers.txt", "2026-11-30")
    assert not (altered / "review").exists()
