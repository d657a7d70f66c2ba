"""`pip install .` gives a working ``reportgen`` command, the house look (house.css, reference.docx) inside."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import reportgen

ROOT = Path(__file__).resolve().parent.parent


def test_the_wheel_installs_a_reportgen_command_that_builds_the_example(tmp_path: Path) -> None:
    """A wheel built from the project's files (copied, so the build leaves nothing in the repository)
    holds the templates and the example studies in the package; installed on its own (its dependencies
    are this environment's), its ``reportgen`` command starts a study from the packaged example
    (``init``) and builds it with the packaged templates."""
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    ignored = shutil.ignore_patterns("__pycache__", "output", ".reportgen-cache", "data")
    shutil.copytree(ROOT / "reportgen", source / "reportgen", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "examples", source / "examples", ignore=ignored)
    shutil.copytree(ROOT / "examples" / "synthetic-registry" / "data", source / "examples" / "synthetic-registry" / "data")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(tmp_path / "dist"),
                    str(source)], check=True, capture_output=True)
    (wheel,) = (tmp_path / "dist").glob(f"reportgen-{reportgen.__version__}-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    assert {"reportgen/templates/house.css", "reportgen/templates/reference.docx"} <= names
    assert not any(name.endswith("make_reference_docx.py") for name in names)  # a tool of the repository
    assert {"reportgen/examples/starter/study.yaml", "reportgen/examples/tafa-len/templates/manuscript.md.j2",
            "reportgen/examples/synthetic-registry/data/lock.json"} <= names  # what `reportgen init` copies
    listed = {name.rsplit("/", 1)[0].replace("/", ".") for name in names if name.endswith("/__init__.py")}
    assert listed == {path.parent.relative_to(ROOT).as_posix().replace("/", ".")
                      for path in (ROOT / "reportgen").rglob("__init__.py")}  # pyproject lists every package

    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(site), str(wheel)],
                   check=True, capture_output=True)
    env = {**os.environ, "PYTHONPATH": str(site)}
    where = subprocess.run([sys.executable, "-c", "import reportgen.format.style as s; print(s.TEMPLATES)"],
                           env=env, cwd=tmp_path, check=True, capture_output=True, text=True).stdout.strip()
    assert Path(where) == site / "reportgen" / "templates"  # the installed copy, not this repository
    command = str(site / "bin" / "reportgen")
    started = subprocess.run([command, "init", "study", "--from", "example"], env=env, cwd=tmp_path,
                             capture_output=True, text=True)
    assert started.returncode == 0, started.stderr
    built = subprocess.run([command, "build", "study", "--out", str(tmp_path / "out"), "--no-cache", "--quiet"],
                           env=env, cwd=tmp_path, capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    assert {"manuscript.pdf", "manuscript.docx", "supplement.pdf", "supplement.docx"} <= {
        path.name for path in (tmp_path / "out").iterdir()}


def test_the_newest_release_in_the_changelog_is_the_version() -> None:
    """CHANGELOG.md's newest release heading is ``reportgen.__version__`` (the wheel's version), in
    semantic versioning, and the releases are listed newest first."""
    releases = re.findall(r"^## \[(\d+)\.(\d+)\.(\d+)\] - \d{4}-\d{2}-\d{2}$",
                          (ROOT / "CHANGELOG.md").read_text(encoding="utf-8"), flags=re.M)
    versions = [tuple(int(part) for part in release) for release in releases]
    assert ".".join(map(str, versions[0])) == reportgen.__version__
    assert versions == sorted(versions, reverse=True) and len(set(versions)) == len(versions)
