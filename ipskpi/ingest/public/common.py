"""What every public-source layout shares: the raw-table and staging types, the shared
layout constants (and the headers the generator writes), SQL helpers and file readers.

Each publisher's module (:mod:`ipskpi.ingest.public.nomis`, ``dwp``, ``cqc``, ``mhsds``,
``commissioning``) builds its stager from these; values are quoted by :mod:`ipskpi.sql`.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

import duckdb
import pandas as pd

from ipskpi.ingest.readers import StructureError, normalise_columns
from ipskpi.sql import file_pattern, ident
from ipskpi.sql import literal as lit

ROWS = "_pub_rows"
REJECTED = "_pub_rejected"

LINEAGE_DDL = (
    "_load_id varchar not null",
    "_source_file varchar not null",
    "_file_hash varchar not null",
    "_row_number bigint not null",
    "_loaded_at timestamp not null",
    "_is_superseded boolean not null",
)


@dataclass(frozen=True)
class RawTable:
    """One raw table of a public source: its typed columns and the grain a later load replaces."""

    source: str
    name: str
    columns: tuple[tuple[str, str], ...]
    key: tuple[str, ...]
    grain: str

    @property
    def qualified(self) -> str:
        return f"{self.source}.{self.name}"

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.columns)

    def ddl(self) -> str:
        columns = [f"{name} {kind}" for name, kind in self.columns] + list(LINEAGE_DDL)
        return f"create table if not exists {self.qualified} ({', '.join(columns)})"


# --- layout constants shared by several sources (public-sources.md) -------------------------

# The full NM_17_5 header; the generator (ipskpi/generator/public.py) writes this list too.
NOMIS_FULL_COLUMNS = (
    "DATE", "DATE_NAME", "DATE_CODE", "DATE_TYPE", "DATE_TYPECODE", "DATE_SORTORDER", "GEOGRAPHY",
    "GEOGRAPHY_NAME", "GEOGRAPHY_CODE", "GEOGRAPHY_TYPE", "GEOGRAPHY_TYPECODE", "GEOGRAPHY_SORTORDER",
    "VARIABLE", "VARIABLE_NAME", "VARIABLE_CODE", "VARIABLE_TYPE", "VARIABLE_TYPECODE",
    "VARIABLE_SORTORDER", "MEASURES", "MEASURES_NAME", "OBS_VALUE", "OBS_STATUS", "OBS_STATUS_NAME",
    "OBS_CONF", "OBS_CONF_NAME", "URN", "RECORD_OFFSET", "RECORD_COUNT",
)  # fmt: skip
# OBS_STATUS codes; the select layout carries only OBS_STATUS_NAME, so the code is found from it.
SUPPRESSED_STATUSES = ("!", "*", "~", "-")
# GSS codes of the geographies NOMIS returns for section A (public-sources.md).
GSS_PATTERN = "(E0[6-9]|E1[02])[0-9]{6}|E92000001"
GSS_DESCRIPTION = "a GSS code E06/E07/E08/E09/E10/E12 + 6 digits or E92000001 (England)"
# The MHSDS monthly CSV header, also the one the generator writes.
MHSDS_COLUMNS = (
    "REPORTING_PERIOD_START", "REPORTING_PERIOD_END", "STATUS", "BREAKDOWN", "PRIMARY_LEVEL",
    "PRIMARY_LEVEL_DESCRIPTION", "SECONDARY_LEVEL", "SECONDARY_LEVEL_DESCRIPTION", "MEASURE_ID",
    "MEASURE_NAME", "MEASURE_VALUE",
)  # fmt: skip

PEEK_LINES = 60


@dataclass
class Staged:
    """One file staged into ``_pub_rows`` / ``_pub_rejected``, ready for the raw table."""

    table: RawTable
    source_file: str  # the file name (``book.xlsx[sheet]`` for a workbook sheet)
    file_format: str
    warnings: list[tuple[str | None, str, str]] = field(default_factory=list)  # column, rule, message
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Context:
    """What a stager may need besides the file: where the reference seeds are."""

    seeds_dir: Path


# --- small SQL helpers ------------------------------------------------------------------------


def whole_number(expr: str) -> str:
    """SQL: ``expr`` as a bigint when it is written as a whole number (``12``, ``12.0``), else null.

    DuckDB's own cast would round ``12.5`` to 13; a count must not be rounded silently.
    """
    return (
        f"case when regexp_full_match(trim({expr}), '-?[0-9]+(\\.0*)?') "
        f"then cast(cast(trim({expr}) as double) as bigint) end"
    )


class Header:
    """The trimmed header of a staged input table, looked up case-insensitively."""

    def __init__(self, names: list[str]) -> None:
        self.names = names
        self.by_key = {self.key(n): n for n in names}

    @staticmethod
    def key(name: str) -> str:
        return name.strip().lstrip("\ufeff").strip().upper()

    def has(self, name: str) -> bool:
        return self.key(name) in self.by_key

    def col(self, name: str) -> str:
        """The column as SQL, or a typed null when the file does not carry it."""
        found = self.by_key.get(self.key(name))
        return ident(found) if found else "cast(null as varchar)"

    def first(self, *names: str) -> str | None:
        return next((n for n in names if self.has(n)), None)


def create_rejected(con: duckdb.DuckDBPyConnection, parts: list[str]) -> None:
    """Create ``_pub_rejected`` from SELECTs of (row_number, item, column_name, value, rule, reason)."""
    empty = (
        "select cast(null as bigint) as row_number, cast(null as varchar) as item, "
        "cast(null as varchar) as column_name, cast(null as varchar) as value, "
        "cast(null as varchar) as rule, cast(null as varchar) as reason where false"
    )
    union = " union all ".join([empty, *parts])
    con.execute(f"create or replace temp table {REJECTED} as select * from ({union})")


def reject(
    source: str,
    condition: str,
    rule: str,
    column_label: str,
    value_sql: str,
    reason_sql: str,
    item: str = "null",
) -> str:
    """A SELECT of one rejection kind: rows of ``source`` where ``condition`` holds."""
    return (
        f"select _row_number, cast({item} as varchar), {lit(column_label)}, "
        f"cast({value_sql} as varchar), {lit(rule)}, {reason_sql} from {source} where {condition}"
    )


# --- readers ----------------------------------------------------------------------------------


def peek_csv(path: Path, lines: int = PEEK_LINES) -> list[list[str]]:
    """The first ``lines`` rows of a CSV as cells (for finding its header and title block)."""
    if path.stat().st_size == 0:
        raise StructureError(f"{path.name} is empty (0 bytes): expected a header row")
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return [[c.strip() for c in row] for row in islice(csv.reader(handle), lines)]
    except (UnicodeDecodeError, csv.Error) as exc:
        raise StructureError(f"{path.name} could not be read as UTF-8 CSV: {exc}") from exc


def read_csv_text(con: duckdb.DuckDBPyConnection, path: Path, target: str, header_line: int = 1) -> Header:
    """Read a CSV whose header is on line ``header_line`` into ``target`` as trimmed text.

    ``_row_number`` is the file's line number (header = ``header_line``).
    """
    if path.stat().st_size == 0:
        raise StructureError(f"{path.name} is empty (0 bytes): expected a header row")
    try:
        con.execute(
            f"""
            create or replace temp table {target} as
            select *, cast(row_number() over () + {header_line} as bigint) as _row_number
            from read_csv(?, all_varchar = true, header = true, delim = ',', quote = '"',
                          escape = '"', null_padding = true, auto_detect = true,
                          sample_size = -1, skip = {header_line - 1})
            """,
            [file_pattern(path)],
        )
    except duckdb.Error as exc:
        raise StructureError(f"{path.name} could not be read as CSV: {exc}") from exc
    names = [r[0] for r in con.execute(f"describe {target}").fetchall() if r[0] != "_row_number"]
    mapping = normalise_columns(con, target, names)
    return Header(list(mapping))


def read_sheets(path: Path) -> dict[str, list[list[object]]]:
    """Every sheet of an XLSX/ODS workbook as rows of cells (row 1 of the sheet first)."""
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
        return {
            name: workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
            for name in workbook.sheet_names
        }
    except Exception as exc:  # calamine raises its own error types for bad zips / encryption
        raise StructureError(
            f"{path.name} could not be opened as a workbook "
            f"(corrupt, truncated or password-protected?): {exc}"
        ) from exc


def _cell_text(value: object) -> object:
    if value is None or value == "":
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def rows_to_table(
    con: duckdb.DuckDBPyConnection, rows: list[list[object]], header_index: int, target: str
) -> Header:
    """Turn sheet rows (header on ``rows[header_index]``) into ``target``: one DataFrame, no row loop.

    ``_row_number`` is the sheet row (1-based) each data row sits on.
    """
    width = max((len(r) for r in rows[header_index:]), default=0)
    header: list[str] = []
    for i, cell in enumerate(rows[header_index] + [None] * (width - len(rows[header_index]))):
        name = str(cell).strip() if cell not in (None, "") else f"_blank_{i}"
        header.append(name if name not in header else f"{name}_{i}")
    body = pd.DataFrame(rows[header_index + 1 :], dtype=object)
    body = body.reindex(columns=range(width))
    body.columns = header
    body = body.apply(lambda column: column.map(_cell_text)) if len(body) else body.astype(object)
    body["_row_number"] = range(header_index + 2, header_index + 2 + len(body))
    con.register("_sheet_view", body)
    try:
        con.execute(f"create or replace temp table {target} as select * from _sheet_view")
    finally:
        con.unregister("_sheet_view")
    mapping = normalise_columns(con, target, header)
    return Header(list(mapping))


def load_seed(con: duckdb.DuckDBPyConnection, ctx: Context, name: str, target: str) -> None:
    """Read a reference seed CSV from the repository's seeds folder into a temp table (text)."""
    path = ctx.seeds_dir / f"{name}.csv"
    con.execute(
        f"create or replace temp table {target} as "
        "select * from read_csv(?, all_varchar = true, header = true)",
        [file_pattern(path)],
    )


def month_from_text_sql(column: str) -> str:
    """SQL: 'Jan 2024-Dec 2024' or 'November 2016' -> '2024-12' / '2016-11' (null if neither)."""
    tail = f"regexp_extract({column}, '([A-Za-z]{{3,9}} [0-9]{{4}})\\s*$', 1)"
    return f"strftime(coalesce(try_strptime({tail}, '%b %Y'), try_strptime({tail}, '%B %Y')), '%Y-%m')"
