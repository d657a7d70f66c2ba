"""Contract: every style role exists as a CSS class in house.css and a Word style in reference.docx."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import docx
import pytest
from docx.enum.style import WD_STYLE_TYPE
from docx.shared import Cm

from reportgen.document.model import CELL_ROLES, PARAGRAPH_ROLES
from reportgen.format.style import TEMPLATES
from reportgen.render.docx import REQUIRED_STYLES, TABLE_STYLE
from reportgen.render.pdf import SANS_FAMILY, SERIF_FAMILY

ROLES = (*PARAGRAPH_ROLES, *CELL_ROLES)


def _css_classes(css: str) -> set[str]:
    """Class names used in selectors (comments and declaration blocks removed)."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    selectors = re.sub(r"\{[^{}]*\}", "", re.sub(r"\{[^{}]*\{[^{}]*\}[^{}]*\}", "", css))
    return set(re.findall(r"\.([A-Za-z_][\w-]*)", selectors))


@pytest.mark.parametrize("role", ROLES)
def test_role_is_a_css_class(role: str) -> None:
    assert role in _css_classes((TEMPLATES / "house.css").read_text(encoding="utf-8"))


@pytest.mark.parametrize("role", ROLES)
def test_role_is_a_paragraph_style_in_reference_docx(role: str) -> None:
    style = docx.Document(str(TEMPLATES / "reference.docx")).styles[role]
    assert style.type == WD_STYLE_TYPE.PARAGRAPH


def test_writer_styles_exist_in_reference_docx() -> None:
    styles = docx.Document(str(TEMPLATES / "reference.docx")).styles
    for name in REQUIRED_STYLES:
        assert styles[name] is not None
    assert styles[TABLE_STYLE].type == WD_STYLE_TYPE.TABLE


def test_no_two_styles_differ_only_in_case() -> None:
    """Word compares style names without case: "title" beside "Title" would be ambiguous."""
    with zipfile.ZipFile(TEMPLATES / "reference.docx") as package:
        names = re.findall(r'<w:style [^>]*>\s*<w:name w:val="([^"]+)"', package.read("word/styles.xml").decode())
    lowered = [name.lower() for name in names]
    assert len(lowered) == len(set(lowered))


def test_reference_page_is_a4_with_25mm_margins() -> None:
    section = docx.Document(str(TEMPLATES / "reference.docx")).sections[0]
    def close(length, cm: float) -> bool:  # Word stores twentieths of a point: allow that rounding
        return abs(length - Cm(cm)) < Cm(0.01)

    assert close(section.page_width, 21.0) and close(section.page_height, 29.7)
    assert all(close(margin, 2.5) for margin in (section.left_margin, section.right_margin,
                                                 section.top_margin, section.bottom_margin))


def test_css_asks_for_the_fonts_the_pdf_writer_declares() -> None:
    css = (TEMPLATES / "house.css").read_text(encoding="utf-8")
    assert f'"{SERIF_FAMILY}"' in css and f'"{SANS_FAMILY}"' in css
    assert "@font-face" not in re.sub(r"/\*.*?\*/", "", css, flags=re.S)  # machine paths never committed


def test_committed_reference_docx_matches_its_script(tmp_path: Path) -> None:
    """reportgen/templates/make_reference_docx.py is the source of truth; the .docx must be its current output."""
    fresh = tmp_path / "reference.docx"
    subprocess.run([sys.executable, str(TEMPLATES / "make_reference_docx.py"), str(fresh)], check=True,
                   capture_output=True)
    assert fresh.read_bytes() == (TEMPLATES / "reference.docx").read_bytes(), (
        "reportgen/templates/reference.docx is stale: run python reportgen/templates/make_reference_docx.py")
