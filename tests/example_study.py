"""A copy of the example study for tests that change its spec.

The copy reads the registry export where it is (its relative data and lock paths made
absolute), so only the spec and the templates are copied.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "tafa-len"
DATA = ROOT / "examples" / "synthetic-registry" / "data"


def example_copy(folder: Path, extra_yaml: str = "", data: Path = DATA, locked: bool = True) -> Path:
    """Copy the example study into ``folder``/study (without its outputs) and append ``extra_yaml`` to its spec;
    it reads the export in ``data``, under the example's lock unless ``locked`` is false."""
    study = folder / "study"
    shutil.copytree(EXAMPLE, study, ignore=shutil.ignore_patterns("output", ".reportgen-cache"))
    spec = study / "study.yaml"
    text = spec.read_text(encoding="utf-8")
    assert "../synthetic-registry/data" in text, "the example spec no longer names its data as the copy expects"
    if not locked:
        text = re.sub(r"(?m)^  lock: .*\n", "", text)
    spec.write_text(text.replace("../synthetic-registry/data", data.as_posix()) + extra_yaml, encoding="utf-8")
    return study


def docx_rows(table) -> list[tuple[str, ...]]:
    """Rows of a Word table as text, merged cells counted once."""
    rows = []
    for row in table.rows:
        cells, seen = [], set()
        for cell in row.cells:
            if id(cell._tc) not in seen:
                seen.add(id(cell._tc))
                cells.append(cell.text.strip())
        rows.append(tuple(cells))
    return rows
