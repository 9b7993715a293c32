"""Readers that turn one delivered table (a CSV file or a workbook sheet) into a DuckDB table.

Every value lands as text exactly as received (trimmed, empty = null) with the
row number a person would see in the file: the header is row 1, so the first
data row is row 2, in a CSV editor and in Excel alike. Typing and validation
happen afterwards, set-based, in SQL.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

import duckdb
import pandas as pd

from ipskpi.sql import ident, shown_text


class StructureError(Exception):
    """A delivery that cannot be read as the contract's tables: it is refused whole."""


def csv_header(path: Path) -> list[str]:
    """The header row of a CSV (UTF-8, BOM tolerated, comma, quotes) as written.

    Only the header is decoded here: a wrongly encoded byte further down is a fault of
    its row (``read_csv_rows``), not of the file. Raises StructureError for an empty or
    unreadable file, or a header that is not UTF-8 (naming the line and byte offset).
    """
    if path.stat().st_size == 0:
        raise StructureError(f"{path.name} is empty (0 bytes): expected a header row")
    try:
        with path.open(newline="", encoding="utf-8-sig", errors="surrogateescape") as handle:
            header = next(csv.reader(handle), None)
    except csv.Error as exc:
        raise StructureError(f"{path.name} could not be read as CSV: {shown_text(exc)}") from exc
    if not header:
        raise StructureError(f"{path.name} has no header row")
    if any(_BAD_BYTE.search(name) for name in header):
        fault = utf8_faults(path.read_bytes())[0]
        raise StructureError(f"{path.name}: the header row is not UTF-8 ({fault.describe()})")
    return header


_BAD_BYTE = re.compile("[\udc80-\udcff]")  # a byte that is not UTF-8, as surrogateescape decodes it


@dataclass(frozen=True)
class Utf8Fault:
    """One byte of a file that is not UTF-8: where it is, as a person and a hex editor count."""

    byte: int
    offset: int  # from the start of the file, counting from 0
    line: int  # physical line, counting from 1
    char_index: int  # in the text decoded with surrogateescape

    def describe(self) -> str:
        return (
            f"line {self.line}, byte offset {self.offset}: byte 0x{self.byte:02X} is not UTF-8; "
            "the file looks saved as Windows-1252/Latin-1 (a £ or an accented letter from "
            "Excel's plain CSV); save it as CSV UTF-8 and resend"
        )


def utf8_faults(data: bytes) -> list[Utf8Fault]:
    """Every byte of ``data`` that is not part of valid UTF-8, in order."""
    text = data.decode("utf-8", errors="surrogateescape")
    faults: list[Utf8Fault] = []
    offset, line, previous = 0, 1, 0
    for match in _BAD_BYTE.finditer(text):
        before = text[previous : match.start()]
        offset += len(before.encode("utf-8", errors="surrogateescape"))
        line += before.count("\n")
        faults.append(Utf8Fault(ord(match.group()) - 0xDC00, offset, line, match.start()))
        offset += 1
        previous = match.end()
    return faults


def shown_cell(cell: str) -> str:
    """A cell decoded with surrogateescape, safe to show: each bad byte as ``\\xNN``."""
    return shown_text(_BAD_BYTE.sub(lambda m: f"\\x{ord(m.group()) - 0xDC00:02X}", cell))


@dataclass
class CsvRows:
    """The records of a CSV read in Python, for a file DuckDB cannot decode (bad bytes).

    ``rows`` have exactly ``n_columns`` cells (short rows padded with None); a cell that
    held a byte that is not UTF-8 is None, and ``faults`` says where: (row number, column
    position, the shown cell, the first bad byte of the record).
    """

    rows: list[list[str | None]]
    row_numbers: list[int]
    faults: list[tuple[int, int, str, Utf8Fault]]


def read_csv_rows(path: Path, n_columns: int) -> CsvRows:
    """Read a CSV with bytes that are not UTF-8, numbering rows as DuckDB's reader does.

    The header is row 1 and blank lines are not rows. A record with more fields than the
    header raises StructureError (as the DuckDB read refuses it), naming the line.
    """
    data = path.read_bytes()
    faults = utf8_faults(data)
    text = data.decode("utf-8", errors="surrogateescape")
    start = 1 if text.startswith("\ufeff") else 0
    out = CsvRows([], [], [])
    reader = csv.reader(io.StringIO(text[start:], newline=""))
    limit = csv.field_size_limit(2**31 - 1)  # a cell longer than 128 KiB is too_long, not unreadable
    try:
        _read_records(path, reader, n_columns, faults, out)
    except csv.Error as exc:
        raise StructureError(f"{path.name} could not be read as CSV: {shown_text(exc)}") from exc
    finally:
        csv.field_size_limit(limit)
    return out


def _read_records(path: Path, reader, n_columns: int, faults: list[Utf8Fault], out: CsvRows) -> None:
    row_number = 1
    first_line = 1
    header_seen = False
    for record in reader:
        lines = (first_line, reader.line_num)
        first_line = reader.line_num + 1
        if not record:
            continue
        if not header_seen:
            header_seen = True
            continue
        row_number += 1
        if len(record) > n_columns:
            raise StructureError(
                f"{path.name} could not be read as CSV: line {lines[0]} has {len(record)} fields, "
                f"more than the {n_columns} of the header"
            )
        cells: list[str | None] = [*record, *([None] * (n_columns - len(record)))]
        for position, cell in enumerate(record):
            if _BAD_BYTE.search(cell):
                first = next((f for f in faults if lines[0] <= f.line <= lines[1]), faults[0])
                out.faults.append((row_number, position, shown_cell(cell), first))
                cells[position] = None
        out.rows.append(cells)
        out.row_numbers.append(row_number)


def read_csv_sql(files_sql: str, n_columns: int) -> str:
    """DuckDB ``read_csv`` of CSVs as text, headers skipped, columns named c0, c1, ... by position.

    ``files_sql`` is the SQL of a list of file patterns, normally a bound parameter (``?`` or
    ``$name``) holding ``ipskpi.sql.file_pattern`` of each path; the result has ``filename``.
    A row with more fields than the header makes the read fail (the return is refused,
    naming the line); a row with fewer is padded with empty values.
    """
    columns = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(n_columns))
    # The dialect is the contract's, so nothing is sniffed: that halves the cost of a read.
    return (
        f"read_csv({files_sql}, header = true, delim = ',', quote = '\"', escape = '\"', "
        f"null_padding = true, auto_detect = false, columns = {{{columns}}}, filename = true)"
    )


def frame_to_table(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame, target: str) -> list[str]:
    """Register a frame of text cells (header already applied) as temp table ``target``."""
    frame = frame.copy()
    frame["_row_number"] = range(2, len(frame) + 2)
    con.register("_frame_view", frame)
    try:
        con.execute(f"create or replace temp table {target} as select * from _frame_view")
    finally:
        con.unregister("_frame_view")
    return [c for c in frame.columns if c != "_row_number"]


def clean_header(header: list[str]) -> dict[str, str]:
    """Map each header name, trimmed and without a byte-order mark, to the name as found."""
    return {raw.strip().lstrip("\ufeff").strip(): raw for raw in header}


def normalise_columns(con: duckdb.DuckDBPyConnection, target: str, header: list[str]) -> dict[str, str]:
    """Trim values, turn empty strings into nulls; map trimmed header names to raw ones."""
    mapping = clean_header(header)
    selects = [
        f"nullif(trim(cast({ident(raw_name)} as varchar)), '') as {ident(clean)}"
        for clean, raw_name in mapping.items()
    ]
    selects.append("_row_number")
    con.execute(f"create or replace temp table {target} as select {', '.join(selects)} from {target}")
    return mapping


_OLE2_SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")  # what Excel writes for an encrypted .xlsx


@dataclass
class Workbook:
    """A workbook's sheets as frames of text cells, and its formula cells that have no saved result.

    ``formulas_without_value`` maps a sheet name to (row number, header name, cell, formula)
    for each formula cell the workbook holds no calculated value for (files written by
    programs that do not calculate, such as openpyxl). The reader sees those cells as empty;
    the loader rejects their rows instead of loading a silent null.
    """

    sheets: dict[str, pd.DataFrame]
    formulas_without_value: dict[str, list[tuple[int, str, str, str]]] = field(default_factory=dict)


def read_workbook(path: Path) -> Workbook:
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
        formulas = _formulas_without_value(path, sheets)
    except Exception as exc:  # calamine raises its own error types for bad zips / encryption
        raise StructureError(
            f"{path.name} could not be opened as a workbook "
            f"(corrupt, truncated or password-protected?): {exc}"
        ) from exc
    return Workbook(sheets, formulas)


_CELL_REF = re.compile(r"^([A-Z]+)([0-9]+)$")
_MAIN_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


def _formulas_without_value(
    path: Path, sheets: dict[str, pd.DataFrame]
) -> dict[str, list[tuple[int, str, str, str]]]:
    """Formula cells with no cached result, per sheet, read from the XLSX's sheet XML."""
    if not zipfile.is_zipfile(path):
        return {}  # ODS and others: calamine has read them; only XLSX is checked here
    found: dict[str, list[tuple[int, str, str, str]]] = {}
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        if "xl/workbook.xml" not in names:
            return {}
        targets = {}
        if "xl/_rels/workbook.xml.rels" in names:
            rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
            targets = {rel.get("Id"): rel.get("Target", "") for rel in rels}
        book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        for sheet in book.iter(f"{_MAIN_NS}sheet"):
            target = targets.get(sheet.get(f"{_REL_NS}id"), "")
            member = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            name = sheet.get("name", "")
            if member not in names or name not in sheets:
                continue
            xml = archive.read(member)
            if b"<f" not in xml and b":f" not in xml:
                continue  # no formulas at all: the common case, and cheap
            header = list(sheets[name].columns)
            for cell in ElementTree.fromstring(xml).iter(f"{_MAIN_NS}c"):
                formula = cell.find(f"{_MAIN_NS}f")
                value = cell.find(f"{_MAIN_NS}v")
                if formula is None or (value is not None and (value.text or "") != ""):
                    continue
                match = _CELL_REF.match(cell.get("r", ""))
                if not match:
                    continue
                column = _column_index(match[1])
                if int(match[2]) < 2 or column >= len(header):
                    continue
                found.setdefault(name, []).append(
                    (int(match[2]), header[column], match[0], formula.text or "")
                )
    return found


def _column_index(letters: str) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - ord("A") + 1
    return index - 1


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
