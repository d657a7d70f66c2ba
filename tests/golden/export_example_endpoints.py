"""Write the example study's PFS2 and OS2 (months, event) for golden.R to check against R.

Run from the repository root before `Rscript tests/golden/golden.R`:
    python tests/golden/export_example_endpoints.py
"""

from pathlib import Path

import pandas as pd

from reportgen.data.derive import derive
from reportgen.data.load import load_registry
from reportgen.spec import load_spec

ROOT = Path(__file__).resolve().parent.parent.parent


def main() -> None:
    spec = load_spec(ROOT / "examples" / "tafa-len")
    derived = derive(load_registry(spec.data_path), spec)
    frames = [endpoint.data.assign(endpoint=name, event=endpoint.data["event"].astype(int))
              for name, endpoint in derived.endpoints.items()]
    table = pd.concat(frames).reset_index(drop=True)[["endpoint", "time", "event"]]
    table.to_csv(Path(__file__).parent / "example_endpoints.csv", index=False, float_format="%.17g")


if __name__ == "__main__":
    main()
