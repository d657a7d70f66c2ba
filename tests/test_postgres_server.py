"""The throwaway PostgreSQL server and the psycopg driver work: a table survives a round trip."""

from datetime import date

import pandas as pd
from sqlalchemy import create_engine, inspect

from postgres import postgres_url  # noqa: F401  (a pytest fixture)


def test_a_table_round_trips_exactly(postgres_url):
    frame = pd.DataFrame({
        "patient_id": pd.array(["P1", "P2", "P3"], dtype="string"),
        "centre": pd.array(["Zürich", None, "Saint-Étienne ≥65"], dtype="string"),
        "age": pd.array([65, None, 20], dtype="Int64"),
        "diagnosed": pd.to_datetime(["2024-01-02 00:00", None, "2023-12-31 08:30"]),
        "born": [date(1960, 5, 1), None, date(2004, 2, 29)],
    })
    engine = create_engine(postgres_url)
    try:
        frame.to_sql("patients", engine, index=False)
        columns = {column["name"]: str(column["type"]) for column in inspect(engine).get_columns("patients")}
        back = pd.read_sql_table("patients", engine, dtype_backend="numpy_nullable")
    finally:
        engine.dispose()

    assert columns == {"patient_id": "TEXT", "centre": "TEXT", "age": "BIGINT",
                       "diagnosed": "TIMESTAMP", "born": "DATE"}
    back = back.sort_values("patient_id", ignore_index=True)[list(frame.columns)]
    expected = frame.assign(born=pd.to_datetime(frame["born"]))  # pandas reads a DATE column as datetime64
    pd.testing.assert_frame_equal(back, expected, check_exact=True)
