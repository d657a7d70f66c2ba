"""The example study built from a real PostgreSQL server gives the CSV build's results, exactly.

The SYNTHETIC registry goes into PostgreSQL with native column types (DATE, BIGINT,
BOOLEAN, TEXT) in a schema of its own; the study spec names the database by a URL read
from the environment, so no credential is ever written in a spec.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from sqlalchemy import create_engine, text

from postgres import postgres_url  # noqa: F401  (a pytest fixture)
from reportgen.build import analyse_study
from reportgen.cli import main
from reportgen.data.load import load_registry
from reportgen.spec import load_spec

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "tafa-len"


def test_a_postgresql_backed_build_gives_the_results_of_the_csv_build(postgres_url, tmp_path, monkeypatch):
    registry = load_registry(load_spec(EXAMPLE).data_path)
    engine = create_engine(postgres_url)
    with engine.begin() as connection:
        connection.execute(text("CREATE SCHEMA export_2024"))
        for name, frame in registry.tables.items():
            frame.to_sql(f"rg_{name}", connection, schema="export_2024", index=False)
        types = connection.execute(text(
            "SELECT data_type FROM information_schema.columns WHERE table_schema = 'export_2024' "
            "AND table_name = 'rg_car_t' AND column_name IN ('infusion_date', 'ecog', 'ldh_elevated') "
            "ORDER BY column_name")).scalars().all()
    engine.dispose()
    assert types == ["bigint", "timestamp without time zone", "boolean"]

    study = tmp_path / "study"
    shutil.copytree(EXAMPLE, study, ignore=shutil.ignore_patterns("output"))
    tables = "".join(f"\n    {name}: rg_{name}" for name in registry.tables)
    source = f'data:\n  source: sql\n  url: "${{REGISTRY_DB_URL}}"\n  schema: export_2024\n  tables:{tables}\n'
    spec = study / "study.yaml"
    spec.write_text(re.sub(r"(?ms)^data:\n.*?(?=^\S)", source, spec.read_text(encoding="utf-8")), encoding="utf-8")
    monkeypatch.setenv("REGISTRY_DB_URL", postgres_url)
    out = tmp_path / "out"

    assert main(["build", str(study), "--out", str(out), "--quiet"]) == 0

    assert (out / "results.json").read_text(encoding="utf-8") == analyse_study(load_spec(EXAMPLE)).results.to_json()
    provenance = json.loads((out / "provenance.json").read_text(encoding="utf-8"))
    assert provenance["data_source"] == postgres_url  # no password in it to hide
    assert sorted(item["name"] for item in provenance["inputs"]) == sorted(
        f"database table export_2024.rg_{name}" for name in registry.tables)
    assert {item["rows"] for item in provenance["inputs"] if item["name"].endswith("rg_patients")} == {
        len(registry["patients"])}
