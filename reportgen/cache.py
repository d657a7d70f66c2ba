"""A study's build cache: results, figures and documents kept under the hash of what made them.

A rebuild after a text edit should not recompute statistics nor redraw figures that
cannot have changed. Each cached item is stored under a key that hashes everything it
was made from: the code (every file of the reportgen package, the Python version and the
versions of the packages that compute, draw and write), and the item's own inputs (for
the analysis: the study spec, the export's file hashes, the reference date; for a figure:
its drawing function and data; for a document file: the document model, its figures'
bytes and the style files). Change any of them and the key changes, so a cached item is
never stale; it is only ever missed. Items are written atomically; an unreadable one is
a miss. The folder is trimmed to :data:`MAX_BYTES`, least recently used first.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import platform
import shutil
import tempfile
from importlib import metadata
from pathlib import Path
from typing import Any

__all__ = ["Cache", "CACHE_FOLDER", "code_fingerprint"]

#: The cache's folder inside a study's folder.
CACHE_FOLDER = ".reportgen-cache"
#: The cache is trimmed to this size after each build (least recently used items go first).
MAX_BYTES = 2 * 1024**3
#: Packages whose version can change a number, a figure or a document's bytes.
_PACKAGES = ("numpy", "pandas", "pyarrow", "scipy", "statsmodels", "lifelines", "matplotlib", "pillow",
             "weasyprint", "pydyf", "fonttools", "python-docx", "jinja2", "markdown-it-py", "pyyaml")


def code_fingerprint() -> str:
    """The hash of the code a build runs: every file of the reportgen package, Python and the packages."""
    digest = hashlib.sha256(f"python {platform.python_version()}\n".encode())
    for package in _PACKAGES:
        try:
            digest.update(f"{package} {metadata.version(package)}\n".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{package} -\n".encode())
    root = Path(__file__).resolve().parent
    for path in sorted(root.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _bytes(part: Any) -> bytes:
    if isinstance(part, bytes):
        return part
    if isinstance(part, str):
        return part.encode()
    return pickle.dumps(part, protocol=5)


class Cache:
    """Items kept in ``folder`` (``None``: a cache that keeps nothing), keyed under ``fingerprint``."""

    def __init__(self, folder: Path | None, fingerprint: str = "") -> None:
        self.folder = folder
        self.fingerprint = fingerprint or (code_fingerprint() if folder else "")
        self.hits = 0
        self.misses = 0

    def key(self, kind: str, *parts: Any) -> str:
        """The key of a ``kind`` of item made from ``parts`` (bytes, text, or any picklable value)."""
        digest = hashlib.sha256(f"{self.fingerprint}\0{kind}\0".encode())
        for part in parts:
            data = _bytes(part)
            digest.update(len(data).to_bytes(8, "little") + data)
        return f"{kind}-{digest.hexdigest()}"

    def _entry(self, key: str) -> Path:
        assert self.folder is not None
        return self.folder / key[-2:] / key

    def _counted(self, found: bool) -> bool:
        if found:
            self.hits += 1
        else:
            self.misses += 1
        return found

    def load(self, key: str) -> Any | None:
        """The value stored under ``key``, or None."""
        if self.folder is None:
            return None
        entry = self._entry(key) / "value.pickle"
        try:
            value = pickle.loads(entry.read_bytes())
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, ValueError):
            self._counted(False)
            return None
        os.utime(entry.parent)
        self._counted(True)
        return value

    def store(self, key: str, value: Any) -> None:
        """Keep ``value`` under ``key``."""
        if self.folder is not None:
            self._write(key, {"value.pickle": pickle.dumps(value, protocol=5)})

    def restore(self, key: str, files: list[Path]) -> bool:
        """Copy the files kept under ``key`` to ``files`` (by name); False if any is missing."""
        if self.folder is None:
            return False
        entry = self._entry(key)
        if not all((entry / file.name).is_file() for file in files):
            return self._counted(False)
        for file in files:
            file.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(entry / file.name, file)
        os.utime(entry)
        return self._counted(True)

    def keep(self, key: str, files: list[Path]) -> None:
        """Keep copies of ``files`` under ``key``."""
        if self.folder is not None:
            self._write(key, {file.name: file.read_bytes() for file in files})

    def _write(self, key: str, contents: dict[str, bytes]) -> None:
        """Write an item's files into a scratch folder, then move it into place in one step."""
        entry = self._entry(key)
        scratch = None
        try:  # a cache that cannot be written (a read-only study folder) keeps nothing
            entry.parent.mkdir(parents=True, exist_ok=True)
            (self.folder / ".gitignore").write_text("*\n", encoding="utf-8")
            scratch = Path(tempfile.mkdtemp(prefix=".new-", dir=entry.parent))
            for name, data in contents.items():
                (scratch / name).write_bytes(data)
            shutil.rmtree(entry, ignore_errors=True)
            scratch.replace(entry)
        except OSError:
            if scratch is not None:
                shutil.rmtree(scratch, ignore_errors=True)

    def trim(self, max_bytes: int = MAX_BYTES) -> None:
        """Remove the least recently used items until the cache holds at most ``max_bytes``."""
        if self.folder is None or not self.folder.is_dir():
            return
        entries = [entry for shard in self.folder.iterdir() if shard.is_dir() for entry in shard.iterdir()]
        sizes = {entry: sum(file.stat().st_size for file in entry.iterdir()) for entry in entries}
        total = sum(sizes.values())
        for entry in sorted(entries, key=lambda entry: entry.stat().st_mtime):
            if total <= max_bytes:
                break
            shutil.rmtree(entry, ignore_errors=True)
            total -= sizes[entry]
