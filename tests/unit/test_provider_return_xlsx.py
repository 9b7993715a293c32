"""XLSX provider returns: what a real workbook (dates, numbers, merged cells, formulas,
encryption, truncation, missing or extra sheets) gets from the loader.

Workbooks are written with openpyxl: one sheet per contract table named like the table,
header row first, so the row numbers in rejections are the ones Excel shows (header = row 1).
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path

import openpyxl
from openpyxl.utils import get_column_letter

from ipskpi.contract import PROVIDER_TABLES, TABLES_BY_NAME
from ipskpi.ingest.provider_returns import load_provider_returns
from tests.returns import contact, job, referral, staff

PROVIDER = "TST01"
MONTH = "2024-04"
WORKBOOK = f"{PROVIDER}_{MONTH}.xlsx"


def build_workbook(
    tables: dict[str, list[dict[str, object]]], omit_sheets: tuple[str, ...] = ()
) -> openpyxl.Workbook:
    """A workbook with a sheet per contract table (every contract column), rows as given."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for table in PROVIDER_TABLES:
        if table.name in omit_sheets:
            continue
        sheet = workbook.create_sheet(table.name)
        columns = list(table.column_names)
        sheet.append(columns)
        for row in tables.get(table.name, []):
            sheet.append([{"provider_code": PROVIDER, **row}.get(c) for c in columns])
    return workbook


def save(workbook: openpyxl.Workbook, tmp_path: Path) -> Path:
    folder = tmp_path / "provider_returns"
    folder.mkdir(exist_ok=True)
    path = folder / WORKBOOK
    workbook.save(path)
    return path


def cell(workbook: openpyxl.Workbook, table: str, row: int, column: str):
    """The cell of ``column`` in Excel row ``row`` of sheet ``table``."""
    index = TABLES_BY_NAME[table].column_names.index(column) + 1
    return workbook[table][f"{get_column_letter(index)}{row}"]


def set_cached_values(path: Path, cached: dict[str, str]) -> None:
    """Give formula cells a cached result, as Excel does on save (openpyxl writes none)."""
    original = path.read_bytes()
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as out, zipfile.ZipFile(path) as src:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                text = data.decode()
                for formula, value in cached.items():
                    text = text.replace(f"<f>{formula}</f><v />", f"<f>{formula}</f><v>{value}</v>")
                data = text.encode()
            out.writestr(item, data)
    tmp.replace(path)
    assert path.read_bytes() != original


def load(con, tmp_path: Path):
    (result,) = load_provider_returns(con, tmp_path / "provider_returns", "run", tmp_path)
    return result


def rejections(con) -> list[tuple]:
    return con.execute(
        "select table_name, row_number, column_name, value, rule, reason from ingest.rejected_rows "
        "order by table_name, row_number, column_name"
    ).fetchall()


def loaded(con, table: str, *columns: str) -> list[tuple]:
    return con.execute(
        f"select {', '.join(columns)} from provider_returns.{table} order by _row_number"
    ).fetchall()


def test_valid_workbook_loads_every_row_with_excel_row_numbers(raw_con, tmp_path):
    tables = {
        "referrals": [referral("R1"), referral("R2"), referral("R3")],
        "contacts": [contact("K1"), contact("K2", referral_id="R3")],
        "jobs": [job("J1")],
        "staff": [staff()],
    }
    save(build_workbook(tables), tmp_path)
    result = load(raw_con, tmp_path)
    assert (result.status, result.rows_loaded, result.rows_rejected) == ("loaded", 7, 0)
    assert rejections(raw_con) == []
    assert loaded(raw_con, "referrals", "referral_id", "_row_number", "_source_file") == [
        ("R1", 2, f"{WORKBOOK}[referrals]"),
        ("R2", 3, f"{WORKBOOK}[referrals]"),
        ("R3", 4, f"{WORKBOOK}[referrals]"),
    ]
    assert loaded(raw_con, "contacts", "contact_id", "_row_number") == [("K1", 2), ("K2", 3)]
    ledger = raw_con.execute("select file_format, status from ingest.load_ledger").fetchall()
    assert ledger == [("xlsx", "loaded")]


def test_row_numbers_in_rejections_are_the_excel_rows(raw_con, tmp_path):
    tables = {"referrals": [referral("R1"), referral("R2"), referral("R3", gender="7")]}
    save(build_workbook(tables), tmp_path)
    result = load(raw_con, tmp_path)
    assert (result.status, result.rows_loaded, result.rows_rejected) == ("loaded", 2, 1)
    assert rejections(raw_con) == [
        (
            "referrals",
            4,
            "gender",
            "7",
            "unknown_code",
            f"{WORKBOOK}[referrals] row 4: gender '7' is not a valid code (1, 2, 9, X)",
        )
    ]
    assert loaded(raw_con, "referrals", "referral_id") == [("R1",), ("R2",)]


def test_real_excel_date_cells_load_as_iso_dates(raw_con, tmp_path):
    tables = {
        "referrals": [
            referral("R1", referral_date=dt.date(2024, 4, 2), vocational_profile_date=dt.date(2024, 4, 10)),
            # Excel stores a date as a date-time at midnight: still a date.
            referral("R2", referral_date=dt.datetime(2024, 4, 3), vocational_profile_date=None),
            # A date with a time of day is not an ISO date: rejected, and says why.
            referral("R3", referral_date=dt.datetime(2024, 4, 3, 10, 30), vocational_profile_date=None),
        ],
        "jobs": [job("J1", start_date=dt.date(2024, 4, 20), end_date=dt.date(2024, 4, 30))],
    }
    workbook = build_workbook(tables)
    cell(workbook, "referrals", 2, "referral_date").number_format = "dd/mm/yyyy"  # as a UK user sees it
    path = save(workbook, tmp_path)
    assert openpyxl.load_workbook(path)["referrals"]["F2"].is_date
    result = load(raw_con, tmp_path)
    assert result.status == "loaded"
    assert loaded(raw_con, "referrals", "referral_id", "referral_date", "vocational_profile_date") == [
        ("R1", "2024-04-02", "2024-04-10"),
        ("R2", "2024-04-03", None),
    ]
    assert loaded(raw_con, "jobs", "start_date", "end_date") == [("2024-04-20", "2024-04-30")]
    assert rejections(raw_con) == [
        (
            "referrals",
            4,
            "referral_date",
            "2024-04-03T10:30:00",
            "date_format",
            f"{WORKBOOK}[referrals] row 4: referral_date '2024-04-03T10:30:00' "
            "is not an ISO date (YYYY-MM-DD)",
        )
    ]


def test_codes_and_numbers_stored_as_numbers(raw_con, tmp_path):
    """Whole numbers lose Excel's '.0': gender 1, ethnic category 99 and ages load. But
    employment_status '01' typed as the number 1 reads as '1', which is not a code: the
    contract requires text codes, so the row is rejected and the reason lists the codes."""
    tables = {
        "referrals": [
            referral("R1", gender=1, ethnic_category=99, age_at_referral=34, employment_status="01"),
            referral("R2", gender=2, age_at_referral=40.0, employment_status=1),
        ],
        "jobs": [job("J1", hours_per_week=20.5, hourly_pay_gbp=11.5)],
        "education": [
            {
                "education_id": "E1",
                "referral_id": "R1",
                "start_date": "2024-04-05",
                "setting": "training",
                "level": 3,
            }
        ],
        "staff": [staff(wte=1)],
    }
    save(build_workbook(tables), tmp_path)
    result = load(raw_con, tmp_path)
    assert (result.status, result.rows_loaded, result.rows_rejected) == ("loaded", 4, 1)
    assert rejections(raw_con) == [
        (
            "referrals",
            3,
            "employment_status",
            "1",
            "unknown_code",
            f"{WORKBOOK}[referrals] row 3: employment_status '1' is not a valid code "
            "(01, 02, 03, 04, 05, 06, 07, 08, ZZ)",
        )
    ]
    assert loaded(raw_con, "referrals", "referral_id", "gender", "ethnic_category", "age_at_referral") == [
        ("R1", "1", "99", "34")
    ]
    assert loaded(raw_con, "jobs", "hours_per_week", "hourly_pay_gbp") == [("20.5", "11.5")]
    assert loaded(raw_con, "education", "level") == [("3",)]
    assert loaded(raw_con, "staff", "wte") == [("1",)]


def test_truncated_workbook_is_refused_whole_naming_the_file(raw_con, tmp_path):
    path = save(build_workbook({"referrals": [referral("R1")]}), tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    result = load(raw_con, tmp_path)
    assert result.status == "refused"
    assert result.message.startswith(f"{WORKBOOK} could not be opened as a workbook (corrupt, truncated")
    assert raw_con.execute("select count(*) from provider_returns.referrals").fetchone() == (0,)
    refused = raw_con.execute("select file_path, rule, reason from ingest.rejected_rows").fetchall()
    assert refused == [(f"provider_returns/{WORKBOOK}", "return_refused", result.message)]


def test_password_protected_workbook_is_refused_saying_so(raw_con, tmp_path):
    """An encrypted .xlsx is not a zip but an OLE2 compound file (signature D0 CF 11 E0 A1 B1 1A E1)."""
    folder = tmp_path / "provider_returns"
    folder.mkdir()
    (folder / WORKBOOK).write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + bytes(504) + b"EncryptedPackage" * 64)
    result = load(raw_con, tmp_path)
    assert result.status == "refused"
    assert WORKBOOK in result.message
    assert "password-protected" in result.message
    assert "remove the password" in result.message
    assert raw_con.execute("select count(*) from provider_returns.referrals").fetchone() == (0,)


def test_workbook_missing_a_sheet_is_refused_naming_the_sheet(raw_con, tmp_path):
    save(build_workbook({"referrals": [referral("R1")]}, omit_sheets=("jobs",)), tmp_path)
    result = load(raw_con, tmp_path)
    assert result.status == "refused"
    assert result.message == f"workbook {WORKBOOK} is missing sheet(s) jobs"
    assert raw_con.execute("select count(*) from provider_returns.referrals").fetchone() == (0,)


def test_merged_cell_leaves_the_second_row_empty_and_it_is_rejected(raw_con, tmp_path):
    workbook = build_workbook({"referrals": [referral("R1"), referral("R2"), referral("R3")]})
    first = cell(workbook, "referrals", 2, "referral_date")
    second = cell(workbook, "referrals", 3, "referral_date")
    workbook["referrals"].merge_cells(f"{first.coordinate}:{second.coordinate}")
    save(workbook, tmp_path)
    result = load(raw_con, tmp_path)
    assert (result.status, result.rows_loaded, result.rows_rejected) == ("loaded", 2, 1)
    assert rejections(raw_con) == [
        (
            "referrals",
            3,
            "referral_date",
            None,
            "required",
            f"{WORKBOOK}[referrals] row 3: referral_date is required but empty",
        )
    ]
    assert loaded(raw_con, "referrals", "referral_id", "referral_date") == [
        ("R1", "2024-04-02"),
        ("R3", "2024-04-02"),
    ]


def test_formula_cells_with_a_cached_value_load_the_value(raw_con, tmp_path):
    workbook = build_workbook({"referrals": [referral("R1"), referral("R2")]})
    cell(workbook, "referrals", 2, "age_at_referral").value = "=30+4"
    date_cell = cell(workbook, "referrals", 3, "referral_date")
    date_cell.value = "=DATE(2024,4,3)"
    date_cell.number_format = "yyyy-mm-dd"
    path = save(workbook, tmp_path)
    set_cached_values(path, {"30+4": "34", "DATE(2024,4,3)": "45385"})  # 45385 = 2024-04-03
    result = load(raw_con, tmp_path)
    assert (result.status, result.rows_loaded, result.rows_rejected) == ("loaded", 2, 0)
    assert loaded(raw_con, "referrals", "referral_id", "age_at_referral", "referral_date") == [
        ("R1", "34", "2024-04-02"),
        ("R2", "34", "2024-04-03"),
    ]


def test_formula_without_a_cached_value_in_a_required_column_rejects_the_row(raw_con, tmp_path):
    """openpyxl (and other generators) write formulas without a result; the reader sees an empty
    cell. The row is rejected once, as a formula with no saved result (not also as an empty
    required cell), naming the sheet, row, column and cell."""
    workbook = build_workbook({"referrals": [referral("R1"), referral("R2")]})
    cell(workbook, "referrals", 3, "referral_date").value = "=DATE(2024,4,3)"
    path = save(workbook, tmp_path)
    sheet_xml = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml").decode()
    assert re.search(r"<f>DATE\(2024,4,3\)</f><v ?/>", sheet_xml)  # no cached value
    result = load(raw_con, tmp_path)
    assert (result.status, result.rows_loaded, result.rows_rejected) == ("loaded", 1, 1)
    assert rejections(raw_con) == [
        (
            "referrals",
            3,
            "referral_date",
            None,
            "formula_without_value",
            f"{WORKBOOK}[referrals] row 3: cell F3 holds a formula (=DATE(2024,4,3)) with no saved result, "
            "so its value is unknown; open the workbook in Excel and save it, or paste the values",
        )
    ]
    assert loaded(raw_con, "referrals", "referral_id") == [("R1",)]


def test_extra_unknown_sheet_is_ignored_reported_and_the_return_loads(raw_con, tmp_path):
    workbook = build_workbook({"referrals": [referral("R1")]})
    notes = workbook.create_sheet("notes", 0)  # first, as a cover sheet often is
    notes.append(["Submitted by", "A. Analyst"])
    notes.append(["referral_id", "R99"])
    save(workbook, tmp_path)
    result = load(raw_con, tmp_path)
    assert (result.status, result.rows_loaded, result.rows_rejected) == ("loaded", 1, 0)
    assert loaded(raw_con, "referrals", "referral_id") == [("R1",)]
    warnings = raw_con.execute("select rule, message from ingest.file_warnings").fetchall()
    assert warnings == [("unknown_sheet", f"{WORKBOOK}: sheet 'notes' is not a contract table; ignored")]
    assert result.message == "ignored unknown sheet notes"


def test_formula_without_a_cached_value_in_an_optional_column_is_not_silently_dropped(raw_con, tmp_path):
    """An empty optional cell is fine, but a formula with no saved result is not empty: its value
    is unknown, so the row is rejected rather than loaded with a silent null."""
    workbook = build_workbook({"referrals": [referral("R1"), referral("R2")]})
    cell(workbook, "referrals", 2, "closure_date").value = "=DATE(2024,4,20)"
    save(workbook, tmp_path)
    result = load(raw_con, tmp_path)
    assert (result.status, result.rows_loaded, result.rows_rejected) == ("loaded", 1, 1)
    assert [r[:5] for r in rejections(raw_con)] == [
        ("referrals", 2, "closure_date", None, "formula_without_value")
    ]
    assert loaded(raw_con, "referrals", "referral_id") == [("R2",)]
