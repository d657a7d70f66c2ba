"""No output of a build names a patient or a centre: no patient identifier, no birth date (in any
way a date could be printed) and no centre identifier of the registry export, in any file.

Every output file is read whole: the PDFs' page text, metadata and raw bytes; every part of
the Word zips (document, headers, footers, core properties, images' text chunks), as XML
and with the tags removed (a Word run can split a text); results.json, shown_in.json,
provenance.json; the figures' PNG text chunks and SVG text. The scanner finds candidates by
shape (the identifiers' own shapes, the usual date layouts) and then looks each up in the
export, so it is fast and cannot miss an identifier written in a known layout.
"""

from __future__ import annotations

import io
import json
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import docx
import pandas as pd
import pytest
from PIL import Image, PngImagePlugin
from pypdf import PdfReader

from example_study import DATA, EXAMPLE
from reportgen.build import build


@dataclass(frozen=True)
class Identifiers:
    """What names a patient or a centre in the export: identifiers (upper case) and birth dates."""

    ids: frozenset[str]
    birth_dates: frozenset[date]

    @classmethod
    def of_export(cls, folder: Path) -> "Identifiers":
        patients = pd.read_csv(folder / "patients.csv", dtype=str, keep_default_na=False)
        ids = {value.strip().upper() for column in ("patient_id", "center_id") for value in patients[column]}
        births = {date.fromisoformat(value.strip()) for value in patients["birth_date"] if value.strip()}
        return cls(frozenset(ids - {""}), frozenset(births))

    def id_pattern(self) -> re.Pattern[str]:
        """The identifiers' shapes ('SYN-00001' → SYN-\\d\\d\\d\\d\\d), not glued to a letter or digit on either side."""
        shapes = {"".join(r"\d" if char.isdigit() else re.escape(char) for char in value) for value in self.ids}
        alternatives = "|".join(sorted(shapes, key=len, reverse=True))
        return re.compile(rf"(?<![0-9A-Za-z])(?:{alternatives})(?![0-9])", re.IGNORECASE)


MONTH = r"[A-Za-z]{3,9}\.?"
#: Date layouts a birth date could be printed in, each with the strptime formats that read it.
DATE_LAYOUTS: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = tuple(
    (re.compile(pattern), formats) for pattern, formats in (
        (r"(?<!\d)\d{4}-\d{1,2}-\d{1,2}(?!\d)", ("%Y-%m-%d",)),                       # 1959-03-21
        (r"(?<!\d)\d{4}/\d{1,2}/\d{1,2}(?!\d)", ("%Y/%m/%d",)),                       # 1959/03/21
        (r"(?<!\d)\d{1,2}[/.\-]\d{1,2}[/.\-]\d{4}(?!\d)", ("%d/%m/%Y", "%m/%d/%Y")),  # 21/03/1959, 03/21/1959
        (r"(?<![0-9A-Za-z])\d{8}(?![0-9A-Za-z])", ("%Y%m%d", "%d%m%Y")),              # 19590321
        (rf"(?<![A-Za-z]){MONTH} \d{{1,2}},? \d{{4}}(?!\d)", ("%b %d %Y", "%B %d %Y")),   # Mar 21, 1959
        (rf"(?<!\d)\d{{1,2}} {MONTH},? \d{{4}}(?!\d)", ("%d %b %Y", "%d %B %Y")),         # 21 March 1959
    ))


def _read_date(text: str, formats: tuple[str, ...]) -> set[date]:
    normal = re.sub(r"[/.\-]", "/", text.replace(",", "")) if "/" in formats[0] else text.replace(",", "")
    normal = re.sub(r"(?<=[A-Za-z])\.", "", normal)
    found = set()
    for layout in formats:
        try:
            found.add(datetime.strptime(normal, layout).date())
        except ValueError:
            pass
    return found


def find_identifiers(text: str, known: Identifiers) -> set[str]:
    """Every identifier and birth date of ``known`` in ``text``, as written there."""
    found = {match.group(0) for match in known.id_pattern().finditer(text) if match.group(0).upper() in known.ids}
    for pattern, formats in DATE_LAYOUTS:
        found |= {match.group(0) for match in pattern.finditer(text)
                  if _read_date(match.group(0), formats) & known.birth_dates}
    return found


def _png_texts(data: bytes) -> list[str]:
    """The text chunks (tEXt, zTXt, iTXt) of a PNG: keyword and text."""
    texts, position = [], 8
    while position + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        body = data[position + 8:position + 8 + length]
        if kind == b"tEXt":
            texts.append(body.decode("latin-1"))
        elif kind == b"zTXt":
            keyword, _, rest = body.partition(b"\0")
            texts.append(keyword.decode("latin-1") + " " + zlib.decompress(rest[1:]).decode("latin-1"))
        elif kind == b"iTXt":
            keyword, _, rest = body.partition(b"\0")
            compressed, rest = rest[0], rest[2:]
            _, _, rest = rest.partition(b"\0")  # language tag
            _, _, rest = rest.partition(b"\0")  # translated keyword
            texts.append(keyword.decode("latin-1") + " " + (zlib.decompress(rest) if compressed else rest).decode("utf-8"))
        position += 12 + length
    return texts


def _part_texts(name: str, data: bytes) -> list[str]:
    """What a reader (or a program) could read in one file or zip part."""
    suffix = Path(name).suffix.lower()
    if suffix == ".png":
        return _png_texts(data)
    if suffix in (".jpg", ".jpeg", ".emf", ".wmf", ".bin"):
        return [data.decode("latin-1")]
    text = data.decode("utf-8", errors="replace")
    if suffix in (".xml", ".rels", ".svg", ".html"):
        return [text, re.sub(r"<[^>]+>", "", text)]  # a Word run can split a text in two
    return [text]


def output_texts(path: Path, name: str) -> list[tuple[str, str]]:
    """(where, text) for everything readable in one output file, ``name`` being where it is."""
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        reader = PdfReader(str(path))
        texts = [(f"{name} page {number}", page.extract_text() or "")
                 for number, page in enumerate(reader.pages, 1)]
        texts.append((f"{name} metadata", repr(dict(reader.metadata or {}))))
        texts.append((f"{name} bytes", path.read_bytes().decode("latin-1")))
        return texts
    if suffix == ".docx":
        with zipfile.ZipFile(path) as archive:
            return [(f"{name}:{part}", text) for part in archive.namelist()
                    for text in _part_texts(part, archive.read(part))]
    return [(name, text) for text in _part_texts(name, path.read_bytes())]


def scan(folder: Path, known: Identifiers) -> dict[str, set[str]]:
    """Where each identifier found under ``folder`` is: {place: identifiers}."""
    leaks: dict[str, set[str]] = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        for where, text in output_texts(path, path.relative_to(folder).as_posix()):
            found = find_identifiers(text, known)
            if found:
                leaks.setdefault(where, set()).update(found)
    return leaks


@pytest.fixture(scope="module")
def known() -> Identifiers:
    return Identifiers.of_export(DATA)


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("identifiers") / "output"
    build(EXAMPLE, out)
    return out


def test_the_export_has_identifiers_to_look_for(known):
    assert len(known.ids) > 1500 and len(known.birth_dates) > 1000
    assert {"SYN-00001", "SYN-C01"} <= known.ids and date(1959, 3, 21) in known.birth_dates


def test_the_build_writes_what_is_scanned(outputs):
    names = {path.relative_to(outputs).as_posix() for path in outputs.rglob("*") if path.is_file()}
    assert {"manuscript.pdf", "manuscript.docx", "supplement.pdf", "supplement.docx", "results.json",
            "shown_in.json", "provenance.json", "figures/flowchart.png", "figures/flowchart.svg"} <= names
    with zipfile.ZipFile(outputs / "manuscript.docx") as archive:
        parts = archive.namelist()
    assert "word/document.xml" in parts and "docProps/core.xml" in parts
    assert any(part.startswith("word/header") for part in parts) and any(part.startswith("word/footer") for part in parts)


def test_no_output_names_a_patient_a_birth_date_or_a_centre(outputs, known):
    assert scan(outputs, known) == {}


def test_the_scanner_reads_the_build_itself(outputs):
    """A positive control on the real outputs: what is in them (the regimen's name, the build date) is found
    in each kind of file, so an empty scan above means nothing was there, not that nothing was read."""
    build_date = date.fromisoformat(json.loads((outputs / "provenance.json").read_text(encoding="utf-8"))["build_date"])
    found = scan(outputs, Identifiers(frozenset({"TAFA-LEN"}), frozenset({build_date})))
    assert {"manuscript.pdf page 1", "supplement.pdf page 1", "results.json", "shown_in.json",
            "manuscript.docx:word/document.xml", "manuscript.docx:word/header1.xml", "figures/flowchart.svg",
            "figures/vs_len_survival.svg"} <= set(found)
    assert build_date.isoformat() in found["provenance.json"] & found["supplement.docx:docProps/core.xml"]


# --- the scanner can fail --------------------------------------------------------------------------------------


@pytest.mark.parametrize("text, expected", [
    ("patient SYN-00001 relapsed", {"SYN-00001"}),
    ("centre syn-c01.", {"syn-c01"}),
    ("born 1959-03-21T00:00:00", {"1959-03-21"}),
    ("born 21/03/1959", {"21/03/1959"}),
    ("born 03/21/1959", {"03/21/1959"}),
    ("born 21.3.1959", {"21.3.1959"}),
    ("born Mar 21, 1959", {"Mar 21, 1959"}),
    ("born 21 March 1959", {"21 March 1959"}),
    ("born 19590321", {"19590321"}),
])
def test_the_scanner_finds_a_planted_identifier(text, expected, known):
    assert find_identifiers(text, known) == expected


def test_the_scanner_ignores_what_only_looks_like_one(known):
    assert find_identifiers("SYN-99999 SYN-000012 ASYN-00001 2024-08-20 Mar 21, 2059 0.195903214 "
                            "sha 7797743c229c0b9cb658719aa2e87ad0fbc", known) == set()


def test_the_scanner_reads_every_kind_of_output_file(tmp_path, known):
    planted = tmp_path / "planted"
    (planted / "figures").mkdir(parents=True)
    (planted / "notes.json").write_text('{"note": "SYN-00001"}', encoding="utf-8")
    (planted / "figures" / "f.svg").write_text("<svg><text>Mar 21, 1959</text></svg>", encoding="utf-8")
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "SYN-C01")
    info.add_itxt("Comment", "21/03/1959", zip=True)
    Image.new("RGB", (4, 4)).save(planted / "figures" / "f.png", pnginfo=info)
    document = docx.Document()
    paragraph = document.add_paragraph("Patient SYN-")
    paragraph.add_run("00002")  # split across two runs, as Word may write it
    document.core_properties.author = "SYN-C04"
    document.save(str(planted / "d.docx"))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:  # the scanner reads any zip part, not only known ones
        archive.writestr("word/footer1.xml", "<w:ftr><w:t>1956-10-13</w:t></w:ftr>")
    (planted / "extra.docx").write_bytes(buffer.getvalue())
    leaks = scan(planted, known)
    assert leaks == {
        "notes.json": {"SYN-00001"},
        "figures/f.svg": {"Mar 21, 1959"},
        "figures/f.png": {"SYN-C01", "21/03/1959"},
        "d.docx:word/document.xml": {"SYN-00002"},
        "d.docx:docProps/core.xml": {"SYN-C04"},
        "extra.docx:word/footer1.xml": {"1956-10-13"},
    }


def test_the_scanner_reads_pdf_text(tmp_path, known):
    """A PDF whose page text holds a birth date is caught (the build's own writer makes it)."""
    from reportgen.document.model import Document, Paragraph, Run
    from reportgen.format.style import HouseStyle
    from reportgen.render.pdf import write_pdf

    path = tmp_path / "leak.pdf"
    write_pdf(Document("A title", (Paragraph((Run("Born on Mar 21, 1959, patient SYN-00001."),)),)), path,
              css_path=HouseStyle().css, base_dir=tmp_path, allowed_dirs=(tmp_path,))
    assert {"Mar 21, 1959", "SYN-00001"} <= set().union(*scan(tmp_path, known).values())
