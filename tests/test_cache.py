"""The build cache: a rebuild reuses the analysis, figures and document files that cannot have
changed, recomputes what did, and writes the same bytes as a build without the cache.

The example is built under its lock, so its dates are the lock's and its bytes repeat
(a draft's are stamped with the build's moment, so its document files are rewritten)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

from example_study import DATA, example_copy
from reportgen import cache as cache_module
from reportgen.build import build
from reportgen.cache import CACHE_FOLDER, Cache, code_fingerprint


def _build(study: Path, out: Path, **options) -> tuple[int, int, list[str]]:
    """Build; the cache's (reused, made) counts and the progress lines."""
    lines: list[str] = []
    build(study, out, progress=lines.append, **options)
    counts = [re.fullmatch(r"cache: (\d+) items reused, (\d+) made", line) for line in lines]
    reused, made = next((int(m[1]), int(m[2])) for m in counts if m)
    return reused, made, lines


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def cold(tmp_path_factory):
    """The example built without the cache, on one process: the reference bytes."""
    folder = tmp_path_factory.mktemp("cold")
    study = example_copy(folder)
    build(study, folder / "out", workers=1, cache=False)
    assert not (study / CACHE_FOLDER).exists()
    return _files(folder / "out")


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    return example_copy(tmp_path_factory.mktemp("cached"))


def test_a_cached_rebuild_reuses_everything_and_writes_the_same_bytes(cold, study, tmp_path):
    reused, made, _ = _build(study, tmp_path / "first")
    assert (reused, made) == (0, 19)  # the analysis, 14 figures, 2 PDFs and 2 Word files
    reused, made, lines = _build(study, tmp_path / "second")
    assert (reused, made) == (19, 0)
    assert any(line.startswith("reusing the analysis") for line in lines)
    assert not any(line.startswith("computing statistics") for line in lines)
    assert _files(tmp_path / "first") == cold  # serial without cache = parallel filling it ...
    assert _files(tmp_path / "second") == cold  # ... = parallel from it


def test_a_template_text_edit_rewrites_only_what_shows_it(cold, study, tmp_path):
    _build(study, tmp_path / "before")
    template = study / "templates" / "manuscript.md.j2"
    original = template.read_text(encoding="utf-8")
    try:
        edited = original.replace("\n# Methods\n", "\n# Methods\n\nA sentence added for the cache test.\n", 1)
        assert edited != original
        template.write_text(edited, encoding="utf-8")
        subsets = sorted(study.glob(f"{CACHE_FOLDER}/*/font-subset-*"))
        reused, made, _ = _build(study, tmp_path / "after")
        build(study, tmp_path / "uncached", workers=1, cache=False)
    finally:
        template.write_text(original, encoding="utf-8")
    # the PDF's font subsets were reused (the sentence has no new glyph), and the bytes are a cold build's
    assert subsets and sorted(study.glob(f"{CACHE_FOLDER}/*/font-subset-*")) == subsets
    assert (tmp_path / "after" / "manuscript.pdf").read_bytes() == (tmp_path / "uncached" / "manuscript.pdf").read_bytes()
    # analysis, figures and the supplement reused (its provenance page lists its own template only);
    # the manuscript rewritten
    assert (reused, made) == (17, 2)
    text = " ".join(page.extract_text() for page in PdfReader(tmp_path / "after" / "manuscript.pdf").pages)
    assert "A sentence added for the cache test." in " ".join(text.split())
    before, after = _files(tmp_path / "before"), _files(tmp_path / "after")
    assert {name for name in before if before[name] != after[name]} == {
        "manuscript.pdf", "manuscript.docx", "provenance.json"}


def test_the_provenance_page_lists_the_templates_its_document_is_rendered_from(tmp_path):
    study = example_copy(tmp_path)
    (study / "templates" / "methods.md.j2").write_text("Methods written once, for both documents.\n",
                                                       encoding="utf-8")
    for name, heading in (("manuscript", "\n# Methods\n"), ("supplement", "\n# Supplemental Methods\n")):
        template = study / "templates" / f"{name}.md.j2"
        text = template.read_text(encoding="utf-8")
        assert heading in text
        template.write_text(text.replace(heading, heading + "\n{% include 'methods.md.j2' %}\n", 1), encoding="utf-8")
    build(study, tmp_path / "out", workers=1, cache=False)
    pages = {name: " ".join(" ".join(page.extract_text() for page in PdfReader(tmp_path / "out" / f"{name}.pdf").pages)
                            .split()) for name in ("manuscript", "supplement")}
    assert all("Methods written once, for both documents." in page for page in pages.values())
    provenance = pages["supplement"][pages["supplement"].index("Provenance of this build"):]
    assert "supplement.md.j2, SHA-256" in provenance and "methods.md.j2, SHA-256" in provenance
    assert "manuscript.md.j2" not in provenance  # the manuscript's template does not make the supplement
    recorded = json.loads((tmp_path / "out" / "provenance.json").read_text(encoding="utf-8"))["templates"]
    assert set(recorded) == {"manuscript.md.j2", "supplement.md.j2", "methods.md.j2"}


def test_a_changed_setting_is_recomputed(study, tmp_path):
    _build(study, tmp_path / "before")
    spec = study / "study.yaml"
    original = spec.read_text(encoding="utf-8")
    try:
        spec.write_text(original.replace("conf_level: 0.95", "conf_level: 0.9"), encoding="utf-8")
        _, _, lines = _build(study, tmp_path / "after")
    finally:
        spec.write_text(original, encoding="utf-8")
    assert any(line.startswith("computing statistics") for line in lines)
    assert (tmp_path / "before" / "results.json").read_bytes() != (tmp_path / "after" / "results.json").read_bytes()


def test_changed_data_are_recomputed(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    study = example_copy(tmp_path, data=data, locked=False)
    _build(study, tmp_path / "before")
    follow_up = data / "follow_up.csv"
    text = follow_up.read_text(encoding="utf-8")
    last = text.splitlines()[-1]
    assert last.endswith(",alive,,")
    # the last patient seen again: a later last contact
    follow_up.write_text(text.replace(last, f"{last.split(',')[0]},2024-06-30,alive,,"), encoding="utf-8")
    _, _, progress = _build(study, tmp_path / "after")
    assert any(line.startswith("computing statistics") for line in progress)
    assert (tmp_path / "before" / "provenance.json").read_bytes() != (tmp_path / "after" / "provenance.json").read_bytes()


def test_another_code_version_misses_every_item(study, tmp_path, monkeypatch):
    _build(study, tmp_path / "before")
    monkeypatch.setattr(cache_module, "code_fingerprint", lambda: "another reportgen")
    reused, made, _ = _build(study, tmp_path / "after")
    assert (reused, made) == (0, 19)


def test_the_code_fingerprint_covers_package_versions(monkeypatch):
    before = code_fingerprint()
    real = cache_module.metadata.version
    monkeypatch.setattr(cache_module.metadata, "version",
                        lambda name: "9.9" if name == "matplotlib" else real(name))
    assert code_fingerprint() != before


def test_an_unreadable_item_is_a_miss_and_the_cache_is_trimmed(tmp_path):
    cache = Cache(tmp_path / "cache", "code")
    key = cache.key("analysis", b"spec", ("file", "sha"))
    assert cache.key("analysis", b"spec", ("file", "sha")) == key != cache.key("analysis", b"spec", ("file", "sha2"))
    cache.store(key, {"value": 1})
    assert cache.load(key) == {"value": 1}
    (tmp_path / "cache" / key[-2:] / key / "value.pickle").write_bytes(b"not a pickle")
    assert cache.load(key) is None
    for index in range(5):
        cache.store(cache.key("figure", index), b"x" * 1000)
    cache.trim(max_bytes=2500)
    kept = [entry for shard in (tmp_path / "cache").iterdir() if shard.is_dir() for entry in shard.iterdir()]
    assert 1 <= len(kept) <= 2


def test_a_cached_build_imports_neither_pandas_nor_pyarrow(study, tmp_path):
    """It reuses the pickled analysis, so its process starts without them (half a second)."""
    _build(study, tmp_path / "first")
    code = ("import sys; from reportgen.build import build; build(sys.argv[1], sys.argv[2], workers=1); "
            "print(sorted({name.split('.')[0] for name in sys.modules} & {'pandas', 'pyarrow'}))")
    run = subprocess.run([sys.executable, "-c", code, str(study), str(tmp_path / "cached")],
                         capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "[]"
