"""``reportgen init``: a new study folder that builds at once, to adapt rather than write from nothing.

A study folder holds its spec (``study.yaml``), its templates (``templates/``: the
documents' Jinja templates, and the house style files it overrides, file by file) and
its data (``data/``). ``init`` copies one of the example studies that ship with
reportgen, with the data it builds on:

- ``starter`` (the default): a short study on the SYNTHETIC registry: a flowchart,
  Table 1, a response table and Kaplan-Meier figures with log-rank P and hazard ratio;
- ``example``: the whole example manuscript and supplement (TAFA-LEN), on the same registry;
- ``gbsg2``: analysis-ready data (one row per patient): the public GBSG-2 trial data
  that the lifelines package ships.

It also copies the house style (``house.css``) into ``templates/``, where the study's
copy overrides the packaged one, and writes a README into ``data/`` that says what the
folder must hold.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import reportgen
from reportgen.errors import ReportgenError
from reportgen.format.style import TEMPLATES


def _examples_folder() -> Path:
    """The example studies: inside an installed package (a wheel maps the repository's examples/ to
    reportgen/examples), else the repository's examples/ beside the package's source."""
    package = Path(reportgen.__file__).resolve().parent
    installed = package / "examples"
    return installed if installed.is_dir() else package.parent / "examples"


EXAMPLES = _examples_folder()
#: init's starting points (``--from``): the example study folder each copies.
STARTING_POINTS = {"starter": "starter", "example": "tafa-len", "gbsg2": "gbsg2"}
REGISTRY = EXAMPLES / "synthetic-registry" / "data"

STYLE_HEADER = """/* This study's copy of the house style. reportgen uses it instead of the packaged house.css;
   edit it here, or delete it to follow the packaged style (reportgen.format.style.TEMPLATES). */
"""

REGISTRY_README = """# data/: the registry export this study is built from

It now holds a SYNTHETIC registry export (made-up patients, no real patient data), so that the
study builds at once. Replace it with your registry's export: one file per registry table
({tables}), named after the table, or map other names in `study.yaml` (`data.tables`,
`data.columns`, `data.codes`; see `reportgen spec --help-keys`).

After a new export arrives:

    reportgen validate ..        # every problem of the data, grouped and counted
    reportgen lock . --name NAME # freeze it: lock.json holds each file's SHA-256
    reportgen build ..

Remove `synthetic: true` from `study.yaml` when the data are real.
"""

READY_README = """# data/: the analysis-ready data this study is built from

One row per patient in `gbsg2.csv` (`data.tables.patients` in `study.yaml`): the public GBSG-2
trial data as the lifelines package ships them (686 women with node-positive breast cancer).
Replace it with your own file, one row per patient; declare its columns in `study.yaml`
(variables; endpoints with `time` and `event`, or `origin`, `end` and `event`). Long
time-to-event data in the CDISC ADaM ADTTE shape (USUBJID, PARAMCD, AVAL, CNSR) go in
`adtte.csv`, and an endpoint then names its `paramcd`.
"""


class ScaffoldError(ReportgenError):
    """``reportgen init`` cannot write the study folder."""


def _rewrite_data_paths(spec: Path) -> None:
    """Point the copied spec's data (and lock) at the study's own data/ folder."""
    text = spec.read_text(encoding="utf-8")
    text = re.sub(r"(?m)^(  path: ).*$", r"\1data", text, count=1)
    text = re.sub(r"(?m)^(  lock: ).*$", r"\1data/lock.json", text, count=1)
    spec.write_text(text, encoding="utf-8")


def _copy_data(source: str, data: Path) -> None:
    data.mkdir()
    if source == "gbsg2":
        import lifelines.datasets  # the public trial data ship inside lifelines, a dependency

        shutil.copy(Path(lifelines.datasets.__file__).parent / "gbsg2.csv", data / "gbsg2.csv")
        (data / "README.md").write_text(READY_README, encoding="utf-8")
        return
    from reportgen.data.schema import REGISTRY_TABLES

    for file in sorted(REGISTRY.iterdir()):
        shutil.copy(file, data / file.name)
    tables = ", ".join(schema.name for schema in REGISTRY_TABLES)
    (data / "README.md").write_text(REGISTRY_README.format(tables=tables), encoding="utf-8")  # not locked


def init_study(folder: str | Path, source: str = "starter") -> list[Path]:
    """Write a new study into ``folder`` (new, or empty) from the example ``source``; the files written."""
    folder = Path(folder)
    if source not in STARTING_POINTS:
        raise ScaffoldError(f"--from {source}: no such example (examples: {', '.join(STARTING_POINTS)})")
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise ScaffoldError(f"{folder}: already exists and is not an empty folder; init writes a new study")
    example = EXAMPLES / STARTING_POINTS[source]
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(example / "study.yaml", folder / "study.yaml")
    shutil.copytree(example / "templates", folder / "templates", ignore=shutil.ignore_patterns("*.pyc"))
    style = folder / "templates" / "house.css"
    style.write_text(STYLE_HEADER + (TEMPLATES / "house.css").read_text(encoding="utf-8"), encoding="utf-8")
    if source != "gbsg2":
        _rewrite_data_paths(folder / "study.yaml")
    _copy_data(source, folder / "data")
    return sorted(path for path in folder.rglob("*") if path.is_file())
