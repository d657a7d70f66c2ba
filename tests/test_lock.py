"""Data locks: a manifest of the export's files, verified before a build; the build date."""

import json
from datetime import date, datetime, timezone

import pytest

from reportgen.lock import LockError, build_moment, make_lock, read_lock, verify_lock, write_lock


@pytest.fixture
def export(tmp_path):
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "patients.csv").write_text('patient_id,note\nP1,"two\nlines"\nP2,x\n', encoding="utf-8")
    (folder / "follow_up.csv").write_text("patient_id,death_date\nP1,2024-01-02\n", encoding="utf-8")
    return folder


def test_manifest_records_every_file_with_hash_and_rows(export):
    lock = make_lock(export, "2026-Q4", "2026-11-20")
    assert (lock.name, lock.date) == ("2026-Q4", "2026-11-20")
    files = {file.name: file for file in lock.files}
    assert set(files) == {"patients.csv", "follow_up.csv"}
    assert files["patients.csv"].rows == 2  # a quoted newline is inside one record
    assert files["follow_up.csv"].rows == 1
    assert files["follow_up.csv"].bytes == (export / "follow_up.csv").stat().st_size
    import hashlib
    assert files["patients.csv"].sha256 == hashlib.sha256((export / "patients.csv").read_bytes()).hexdigest()


@pytest.mark.parametrize("content", [
    b"x,y\n1,2\n3,4\n", b"x,y\n1,2\n3,4", b"x,y\r\n1,2\r\n", b"x,y\r1,2\r", b'x,y\n"a\nb",2\n', b"", b"x\n",
    b"x\n\n1\n", b"x\n1\n\n", b"x,y\n1,\x002\n", "x,é\n1,ü\n".encode(), b"x\n" + b"1\n" * 700_000,  # past one read block
])
def test_rows_are_the_records_csv_reader_finds(tmp_path, content):
    """Rows counted from the bytes (plain CSVs) or by ``csv.reader`` (quotes, carriage returns, NULs) agree
    with ``csv.reader``, whichever way they were counted."""
    import csv

    (tmp_path / "t.csv").write_bytes(content)
    with open(tmp_path / "t.csv", newline="", encoding="utf-8") as stream:
        expected = max(sum(1 for _ in csv.reader(stream)) - 1, 0)
    (locked,) = make_lock(tmp_path, "v1", "2026-11-20").files
    assert locked.rows == expected


def test_manifest_round_trips_and_is_not_hashed_itself(export):
    path = write_lock(make_lock(export, "v1", "2026-11-20"), export / "lock.json")
    lock = read_lock(path)
    assert json.loads(path.read_text())["name"] == "v1"
    verify_lock(lock, export)  # the manifest in the folder is not an input file
    assert [file.name for file in lock.files] == ["follow_up.csv", "patients.csv"]


@pytest.mark.parametrize("change, message", [
    (lambda folder: (folder / "follow_up.csv").write_text("patient_id,death_date\nP1,2024-02-02\n"),
     "follow_up.csv has changed since the lock"),
    (lambda folder: (folder / "patients.csv").unlink(), "patients.csv is missing"),
    (lambda folder: (folder / "extra.csv").write_text("a\n1\n"), "extra.csv was added after the lock"),
])
def test_a_changed_export_is_refused_with_the_file_named(export, change, message):
    lock = make_lock(export, "v1", "2026-11-20")
    change(export)
    with pytest.raises(LockError, match=message) as error:
        verify_lock(lock, export, "lock.json")
    assert "'v1'" in str(error.value) and "reportgen lock" in str(error.value)


def test_bad_lock_input_is_named(export, tmp_path):
    with pytest.raises(LockError, match="not a date"):
        make_lock(export, "v1", "20/11/2026")
    with pytest.raises(LockError, match="does not exist"):
        make_lock(tmp_path / "nowhere", "v1")
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(LockError, match="not a reportgen lock manifest"):
        read_lock(tmp_path / "bad.json")


def test_build_date_from_source_date_epoch_then_lock_then_today(export, monkeypatch):
    lock = make_lock(export, "v1", "2026-11-20")
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    assert build_moment(lock) == datetime(2026, 11, 20, tzinfo=timezone.utc)
    assert build_moment(None, today=date(2026, 12, 1)) == datetime(2026, 12, 1, tzinfo=timezone.utc)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert build_moment(lock) == datetime.fromtimestamp(1700000000, tz=timezone.utc)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "soon")
    with pytest.raises(LockError, match="SOURCE_DATE_EPOCH"):
        build_moment(lock)
