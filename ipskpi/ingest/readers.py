"""Readers that turn one delivered table (a CSV file or a workbook sheet) into a DuckDB table.

Every value lands as text exactly as received (trimmed, empty = null) with the
row number a person would see in the file: the header is row 1, so the first
data row is row 2, in a CSV editor and in Excel alike. Typing and validation
happen afterwards, set-based, in SQL.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd


class StructureError(Exception):
    """A delivery that cannot be read as the contract's tables: it is refused whole."""


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def csv_to_table(con: duckdb.DuckDBPyConnection, path: Path, target: str) -> list[str]:
    """Read one CSV (UTF-8, BOM tolerated, comma, header first) into temp table ``target``.

    Returns the header as found (names trimmed). Raises StructureError for an
    empty or unreadable file.
    """
    if path.stat().st_size == 0:
        raise StructureError(f"{path.name} is empty (0 bytes): expected a header row")
    try:
        con.execute(
            f"""
            create or replace temp table {target} as
            select *, cast(row_number() over () + 1 as bigint) as _row_number
            from read_csv(?, all_varchar = true, header = true, delim = ',', quote = '"',
                          escape = '"', null_padding = true, auto_detect = true,
                          sample_size = -1)
            """,
            [str(path)],
        )
    except duckdb.Error as exc:
        raise StructureError(f"{path.name} could not be read as CSV: {exc}") from exc
    return [c for c in _columns(con, target) if c != "_row_number"]


def frame_to_table(
    con: duckdb.DuckDBPyConnection, frame: pd.DataFrame, target: str
) -> list[str]:
    """Register a frame of text cells (header already applied) as temp table ``target``."""
    frame = frame.copy()
    frame["_row_number"] = range(2, len(frame) + 2)
    con.register("_frame_view", frame)
    try:
        con.execute(f"create or replace temp table {target} as select * from _frame_view")
    finally:
        con.unregister("_frame_view")
    return [c for c in frame.columns if c != "_row_number"]


def normalise_columns(con: duckdb.DuckDBPyConnection, target: str, header: list[str]) -> dict[str, str]:
    """Trim values, turn empty strings into nulls; map trimmed header names to raw ones."""
    mapping: dict[str, str] = {}
    selects = []
    for raw_name in header:
        clean = raw_name.strip().lstrip("\ufeff").strip()
        mapping[clean] = raw_name
        selects.append(
            f"nullif(trim(cast({_quote_ident(raw_name)} as varchar)), '') as {_quote_ident(clean)}"
        )
    selects.append("_row_number")
    con.execute(f"create or replace temp table {target} as select {', '.join(selects)} from {target}")
    return mapping


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    return [row[0] for row in con.execute(f"describe {table}").fetchall()]


_OLE2_SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")  # what Excel writes for an encrypted .xlsx


def read_workbook(path: Path) -> dict[str, pd.DataFrame]:
    """Read every sheet of an XLSX/ODS workbook into frames of text cells.

    Dates become ISO text, whole numbers lose their ``.0``; the first row is the
    header. python-calamine reads the cached values of formula cells; a
    password-protected or truncated workbook raises StructureError.
    """
    from python_calamine import CalamineWorkbook

    with path.open("rb") as handle:
        signature = handle.read(8)
    if signature == _OLE2_SIGNATURE:
        raise StructureError(
            f"{path.name} is not an XLSX (zip) workbook but an OLE2 compound file: most likely a "
            "password-protected (encrypted) workbook, or an old .xls renamed to .xlsx; "
            "remove the password and save it as .xlsx"
        )
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        sheets = {}
        for name in workbook.sheet_names:
            rows = workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
            sheets[name] = _rows_to_frame(rows)
    except Exception as exc:  # calamine raises its own error types for bad zips / encryption
        raise StructureError(
            f"{path.name} could not be opened as a workbook "
            f"(corrupt, truncated or password-protected?): {exc}"
        ) from exc
    return sheets


def _rows_to_frame(rows: list[list[object]]) -> pd.DataFrame:
    if not rows:
        return pd.DataFrame()
    header = [str(h).strip() if h not in (None, "") else f"_blank_{i}" for i, h in enumerate(rows[0])]
    body = pd.DataFrame(rows[1:], columns=header, dtype=object) if len(rows) > 1 else None
    if body is None:
        return pd.DataFrame({h: pd.Series(dtype=object) for h in header})
    return body.apply(_cells_to_text)


def _cells_to_text(column: pd.Series) -> pd.Series:
    """Column-wise conversion of calamine cell values to the text a CSV would carry."""
    import datetime as dt

    def convert(value: object) -> object:
        if value is None or value == "":
            return None
        if isinstance(value, dt.datetime):
            return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
        if isinstance(value, dt.date):
            return value.isoformat()
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)

    return column.map(convert)
