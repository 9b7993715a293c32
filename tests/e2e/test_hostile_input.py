"""Hostile paths and odd cells through the real ``ipskpi refresh`` (issue 13, items 2 and 4).

The landing and warehouse folders are named with quotes, spaces and shell and glob
metacharacters, beside a decoy folder that the landing's name matches as a glob; one
provider return carries a NUL, a 1 MB value and a Windows-1252 byte. The refresh must
publish, read only the landing's own files, reject exactly those three rows (the rest
of the file loads), and keep every stored or reported value escaped.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import duckdb
import pytest

from ipskpi.config import SAMPLE_LANDING
from tests.conftest import run_cli

pytestmark = pytest.mark.e2e

BASE_NAME = 'it\'s "q" $(touch pwned); a&b|c `id` *[x]'
LANDING_NAME = "landing ?*[1] 'x'"
DECOY_NAME = "landing _Z1 'x'"  # what LANDING_NAME matches when read as a glob


def _hostile_contacts(path: Path) -> dict[str, int]:
    """Append three bad contacts (copies of the first row) to a contacts.csv; their byte offsets."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        columns = list(reader.fieldnames or [])
        first = next(reader)
    rows = [
        {**first, "contact_id": "HOSTILE-NUL", "employment_specialist_id": "ES\x00; rm -rf /"},
        {**first, "contact_id": "L" * 1_000_000},
        {**first, "contact_id": "HOSTILE-CP1252", "employment_specialist_id": "ES-POUND"},
    ]
    with path.open("a", newline="", encoding="utf-8") as handle:
        csv.DictWriter(handle, fieldnames=columns, lineterminator="\n").writerows(rows)
    data = path.read_bytes()
    offset = data.index(b"ES-POUND") + 3
    path.write_bytes(data[:offset] + b"\xa3" + data[offset + 1 :])  # "ES-£OUND" saved as Windows-1252
    return {"pound_offset": offset, "pound_line": data[:offset].count(b"\n") + 1}


@pytest.fixture(scope="module")
def hostile_refresh(tmp_path_factory, prefect_server):
    base = tmp_path_factory.mktemp("hostile") / BASE_NAME
    landing, decoy = base / LANDING_NAME, base / DECOY_NAME
    shutil.copytree(SAMPLE_LANDING, landing)
    shutil.copytree(SAMPLE_LANDING, decoy)  # were it read, every row would come twice
    returns = sorted(p for p in (landing / "provider_returns").iterdir() if p.is_dir())
    target = returns[-1] / "contacts.csv"
    where = _hostile_contacts(target)
    good_rows = sum(1 for _ in target.open(encoding="utf-8", errors="replace")) - 1 - 3
    warehouse = base / "ware house 'w' $(id)"
    result = run_cli(["refresh", "--landing", str(landing), "--warehouse", str(warehouse)], prefect_server)
    return base, warehouse, returns[-1].name, good_rows, where, result


def test_refresh_with_hostile_paths_and_cells_publishes(hostile_refresh):
    base, warehouse, _, _, _, result = hostile_refresh
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "PUBLISHED" in result.stdout
    assert "0 refused" in result.stdout
    for rule in ("contacts.control_character", "contacts.too_long", "contacts.invalid_encoding"):
        assert f"1 rejected: {rule}" in result.stdout
    assert not list(base.rglob("pwned")) and not Path("pwned").exists()
    con = duckdb.connect(str(warehouse / "public" / "public.duckdb"), read_only=True)
    assert con.execute("select count(*) from fct_kpi_scorecard_public").fetchone()[0] > 0
    assert (warehouse / "public" / "exports" / "fct_kpi_scorecard_public.parquet").exists()
    assert (warehouse / "restricted" / "restricted.duckdb").exists()


def test_only_the_three_bad_rows_are_rejected_and_the_rest_of_their_file_loads(hostile_refresh):
    _, warehouse, return_id, good_rows, where, _ = hostile_refresh
    con = duckdb.connect(str(warehouse / "raw.duckdb"), read_only=True)
    rejected = con.execute(
        "select row_number, column_name, value, rule, reason from ingest.rejected_rows order by row_number"
    ).fetchall()
    assert [(c, r) for _, c, _, r, _ in rejected] == [
        ("employment_specialist_id", "control_character"),
        ("contact_id", "too_long"),
        ("employment_specialist_id", "invalid_encoding"),
    ]
    assert rejected[0][2] == "ES\\x00; rm -rf /"
    assert rejected[1][2] == "L" * 100 + "… (1000000 characters)"
    assert rejected[2][2] == "ES-\\xA3OUND"
    assert f"line {where['pound_line']}, byte offset {where['pound_offset']}: byte 0xA3" in rejected[2][4]
    for _, _, value, _, reason in rejected:
        assert len(value) < 200 and len(reason) < 600
        assert not any(ord(ch) < 0x20 for ch in value + reason)
    loaded = con.execute(
        "select count(*), count(distinct contact_id) from provider_returns.contacts where _load_id = "
        "(select load_id from ingest.load_ledger where return_id = ?)",
        [return_id],
    ).fetchone()
    assert loaded == (good_rows, good_rows)


def test_decoy_folder_matching_the_landing_as_a_glob_is_never_read(hostile_refresh):
    base, warehouse, _, _, _, _ = hostile_refresh
    con = duckdb.connect(str(warehouse / "raw.duckdb"), read_only=True)
    ledger = con.execute(
        "select file_path, rows_loaded + rows_rejected from ingest.load_ledger "
        "where source = 'provider_returns' and file_format = 'csv'"
    ).fetchall()
    assert ledger and not any("_Z1" in path for path, _ in ledger)
    # Every row of every CSV return is accounted for, read from the landing's own files (a
    # glob read would take the decoy's files instead, whose rows belong to no delivery).
    for path, rows in ledger:
        files = (base / LANDING_NAME / path).glob("*.csv")
        in_files = sum(len(f.read_bytes().splitlines()) - 1 for f in files)
        assert rows == in_files, path
    duplicates = con.execute(
        "select count(*) from ingest.rejected_rows where rule = 'duplicate_key'"
    ).fetchone()[0]
    assert duplicates == 0


def test_a_warehouse_path_with_a_question_mark_is_refused_at_once(tmp_path):
    warehouse = tmp_path / "ware?house"
    result = run_cli(["refresh", "--warehouse", str(warehouse)], timeout=120)
    assert result.returncode == 2
    assert "contains '?'" in result.stderr and "write-ahead log" in result.stderr
    assert not warehouse.exists()
