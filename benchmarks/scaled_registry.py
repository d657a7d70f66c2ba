"""What the benchmarks share: the SYNTHETIC registry generator at a given size, and the reportgen command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GENERATOR = ROOT / "examples" / "synthetic-registry" / "generate.py"
#: A fresh reportgen process (a cold start: imports included).
REPORTGEN = [sys.executable, "-m", "reportgen"]


def generated_registry(folder: Path, patients: int) -> Path:
    """Write a SYNTHETIC registry export of ``patients`` patients into ``folder``/data (the example's
    generator and seed, scaled); the export's folder."""
    data = folder / "data"
    subprocess.run([sys.executable, str(GENERATOR), "--out", str(data), "--patients", str(patients)],
                   check=True, capture_output=True)
    return data
