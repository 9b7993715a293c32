"""The layouts of the public extracts (../shared/spec/public-sources.md) and how each is staged.

Each ``stage_*`` function reads one delivered file into two temp tables, set-based:

- ``_pub_rows``: the raw table's columns plus ``_row_number`` (the row a person sees in
  the file: the header is row 1 of a CSV or the row it sits on in a sheet) and ``_item``
  (which cell of a wide row an unpivoted long row came from; null for long files);
- ``_pub_rejected``: (row_number, item, column_name, value, rule, reason) for every value
  that breaks a layout rule (an item of null means the whole file row).

A file whose structure cannot be read as its layout raises StructureError and is refused
whole by :mod:`ipskpi.ingest.public_sources`, which owns the ledger and the transaction.
Python only looks at a file's header and title block; rows are handled in DuckDB SQL.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from pathlib import Path

import duckdb
import pandas as pd

from ipskpi.contract import COMMISSIONER_RETURN
from ipskpi.ingest.provider_returns import _column_checks
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


NOMIS_OBSERVATIONS = RawTable(
    "nomis_aps",
    "observations",
    (
        ("date_code", "varchar"),
        ("date_name", "varchar"),
        ("geography_code", "varchar"),
        ("geography_name", "varchar"),
        ("geography_type", "varchar"),
        ("variable_code", "integer"),
        ("variable_name", "varchar"),
        ("measure_code", "integer"),
        ("measure_name", "varchar"),
        ("obs_value", "double"),
        ("obs_status", "varchar"),
        ("obs_status_name", "varchar"),
        ("layout", "varchar"),
    ),
    key=("date_code", "geography_code", "variable_code", "measure_code"),
    grain="One row per date x geography x variable x measure.",
)
DWP_CLAIMANTS = RawTable(
    "dwp_esa",
    "claimants",
    (
        ("date_code", "varchar"),
        ("date_name", "varchar"),
        ("la_code", "varchar"),
        ("la_name", "varchar"),
        ("condition_code", "integer"),
        ("condition_name", "varchar"),
        ("sex", "varchar"),
        ("age", "varchar"),
        ("claimants", "bigint"),
        ("layout", "varchar"),
    ),
    key=("date_code", "la_code", "condition_name", "sex", "age"),
    grain="One row per month x local authority x ICDGP condition x sex x age.",
)
CQC_TRUST_RESULTS = RawTable(
    "cqc_cmh_survey",
    "trust_results",
    (
        ("survey_year", "integer"),
        ("trust_code", "varchar"),
        ("trust_name", "varchar"),
        ("respondents", "integer"),
        ("answer_column", "varchar"),
        ("value", "double"),
        ("sheet_name", "varchar"),
    ),
    key=("survey_year", "trust_code", "answer_column"),
    grain="One row per survey year x trust x answer column.",
)
MHSDS_MEASURES = RawTable(
    "mhsds",
    "measures",
    (
        ("reporting_period_start", "date"),
        ("reporting_period_end", "date"),
        ("status", "varchar"),
        ("breakdown", "varchar"),
        ("primary_level", "varchar"),
        ("primary_level_description", "varchar"),
        ("secondary_level", "varchar"),
        ("secondary_level_description", "varchar"),
        ("measure_id", "varchar"),
        ("measure_name", "varchar"),
        ("measure_value", "varchar"),
        ("measure_value_number", "double"),
    ),
    key=(
        "reporting_period_start",
        "reporting_period_end",
        "breakdown",
        "primary_level",
        "secondary_level",
        "measure_id",
    ),
    grain="One row per reporting period x breakdown x primary level x secondary level x measure.",
)
COMMISSIONING = RawTable(
    "commissioner_returns",
    "commissioning",
    (("financial_year", "varchar"), *((name, "varchar") for name in COMMISSIONER_RETURN.column_names)),
    key=("financial_year", "la_code"),
    grain="One row per local authority per financial year.",
)

# --- layout constants from public-sources.md -------------------------------------------------

NOMIS_FULL_COLUMNS = (
    "DATE", "DATE_NAME", "DATE_CODE", "DATE_TYPE", "DATE_TYPECODE", "DATE_SORTORDER", "GEOGRAPHY",
    "GEOGRAPHY_NAME", "GEOGRAPHY_CODE", "GEOGRAPHY_TYPE", "GEOGRAPHY_TYPECODE", "GEOGRAPHY_SORTORDER",
    "VARIABLE", "VARIABLE_NAME", "VARIABLE_CODE", "VARIABLE_TYPE", "VARIABLE_TYPECODE",
    "VARIABLE_SORTORDER", "MEASURES", "MEASURES_NAME", "OBS_VALUE", "OBS_STATUS", "OBS_STATUS_NAME",
    "OBS_CONF", "OBS_CONF_NAME", "URN", "RECORD_OFFSET", "RECORD_COUNT",
)  # fmt: skip
NOMIS_MEASURES = {"variable": 20599, "numerator": 21001, "denominator": 21002, "confidence": 21003}
# OBS_STATUS codes; the select layout carries only OBS_STATUS_NAME, so the code is found from it.
SUPPRESSED_STATUSES = ("!", "*", "~", "-")
NOMIS_STATUS_FROM_NAME = """case
    when {name} is null then null
    when lower({name}) = 'normal value' then 'A'
    when {name} like '%(0-2)%' then '!'
    when {name} like '%(3-9)%' then '*'
    when lower({name}) like '%less than 500%' then '~'
    when lower({name}) like '%missing%' then '-'
end"""
# GSS codes of the geographies NOMIS returns for section A (public-sources.md).
GSS_PATTERN = "(E0[6-9]|E1[02])[0-9]{6}|E92000001"
GSS_DESCRIPTION = "a GSS code E06/E07/E08/E09/E10/E12 + 6 digits or E92000001 (England)"
# ICDGP condition (ICD-10 chapter) of NM_134_1 and Stat-Xplore's ESA_Caseload; 0 = all conditions.
ICDGP_CONDITIONS = {
    "total": 0,
    "certain infectious and parasitic diseases": 1,
    "neoplasms": 2,
    "diseases of the blood and blood forming organs and certain disorders involving the immune mechanism": 3,
    "endocrine, nutritional and metabolic diseases": 4,
    "mental and behavioural disorders": 5,
    "diseases of the nervous system": 6,
    "diseases of the eye and adnexa": 7,
    "diseases of the ear and mastoid process": 8,
    "diseases of the circulatory system": 9,
    "diseases of the respiratory system": 10,
    "diseases of the digestive system": 11,
    "diseases of the skin and subcutaneous tissue": 12,
    "diseases of the musculoskeletal system and connective tissue": 13,
    "diseases of the genitourinary system": 14,
    "pregnancy, childbirth and the puerperium": 15,
    "certain conditions originating in the perinatal period": 16,
    "congenital malformations, deformations and chromosomal abnormalities": 17,
    "symptoms, signs and abnormal clinical and laboratory findings, not elsewhere classified": 18,
    "injury, poisoning and certain other consequences of external causes": 19,
    "factors influencing health status and contact with health services": 20,
    "unknown or missing": 21,
}
ESA_VALUE_MEASURE = "20100"
MHSDS_COLUMNS = (
    "REPORTING_PERIOD_START", "REPORTING_PERIOD_END", "STATUS", "BREAKDOWN", "PRIMARY_LEVEL",
    "PRIMARY_LEVEL_DESCRIPTION", "SECONDARY_LEVEL", "SECONDARY_LEVEL_DESCRIPTION", "MEASURE_ID",
    "MEASURE_NAME", "MEASURE_VALUE",
)  # fmt: skip
# The MHSDS measures the warehouse uses (public-sources.md); any other id is rejected.
MHSDS_MEASURE_IDS = ("MHS116", "MHS116a", "AMH16e%", "AMH17e", "AMH17e%")
CQC_TRUST_CODE_PATTERN = "[A-Z0-9]{3}"
COMMISSIONING_NAME = re.compile(r"^commissioning_(?P<year>\d{4})\.csv$", re.IGNORECASE)

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


def _year_month(text: str) -> str | None:
    """'May-24', 'May 2024', 'November 2016', '2024-05' -> '2024-05'."""
    for fmt in ("%b-%y", "%b %Y", "%B %Y", "%Y-%m", "%B-%y", "%b-%Y"):
        try:
            return datetime.strptime(text.strip(), fmt).strftime("%Y-%m")
        except ValueError:
            continue
    return None


def _file_month(path: Path) -> str | None:
    match = re.search(r"(?<!\d)(\d{4})-(0[1-9]|1[0-2])(?!\d)", path.name)
    return f"{match[1]}-{match[2]}" if match else None


def _month_from_text_sql(column: str) -> str:
    """SQL: 'Jan 2024-Dec 2024' or 'November 2016' -> '2024-12' / '2016-11' (null if neither)."""
    tail = f"regexp_extract({column}, '([A-Za-z]{{3,9}} [0-9]{{4}})\\s*$', 1)"
    return f"strftime(coalesce(try_strptime({tail}, '%b %Y'), try_strptime({tail}, '%B %Y')), '%Y-%m')"


# --- NOMIS NM_17_5 (Annual Population Survey) -------------------------------------------------


def stage_nomis(con: duckdb.DuckDBPyConnection, path: Path, ctx: Context) -> Staged:
    """NM_17_5 in the full 28-column layout or any ``select`` layout, quoted or not."""
    header = read_csv_text(con, path, "_pub_in")
    staged = Staged(NOMIS_OBSERVATIONS, path.name, "csv")
    date_col = header.first("DATE_CODE", "DATE", "DATE_NAME")
    variable_col = header.first("VARIABLE_CODE", "VARIABLE", "VARIABLE_NAME")
    measure_col = header.first("MEASURES", "MEASURES_NAME")
    missing = [
        label
        for label, ok in (
            ("GEOGRAPHY_CODE", header.has("GEOGRAPHY_CODE")),
            ("OBS_VALUE", header.has("OBS_VALUE")),
            ("DATE_CODE or DATE or DATE_NAME", date_col),
            ("VARIABLE_CODE or VARIABLE or VARIABLE_NAME", variable_col),
            ("MEASURES or MEASURES_NAME", measure_col),
        )
        if not ok
    ]
    if missing:
        raise StructureError(
            f"{path.name} is not a NOMIS NM_17_5 extract: header lacks {', '.join(missing)} "
            f"(found {', '.join(header.names[:8])}{'...' if len(header.names) > 8 else ''})"
        )
    layout = "full" if all(header.has(c) for c in NOMIS_FULL_COLUMNS) else "select"
    load_seed(con, ctx, "ref_nomis_variables", "_pub_nomis_variables")
    c = header.col
    date_text = c(date_col)
    date_code = date_text if date_col in ("DATE_CODE", "DATE") else _month_from_text_sql(date_text)
    code_col = header.first("VARIABLE_CODE", "VARIABLE")
    measure_text = c(measure_col)
    con.execute(
        f"""
        create or replace temp table _pub_src as
        select
            i._row_number,
            {date_text} as date_raw,
            {date_code} as date_code,
            {c("DATE_NAME")} as date_name,
            {c("GEOGRAPHY_CODE")} as geography_code,
            {c("GEOGRAPHY_NAME")} as geography_name,
            {c("GEOGRAPHY_TYPE")} as geography_type,
            {c(code_col) if code_col else "cast(null as varchar)"} as variable_code_raw,
            trim({c("VARIABLE_NAME")}) as variable_name,
            {measure_text} as measure_raw,
            {c("MEASURES_NAME")} as measure_name,
            {c("OBS_VALUE")} as obs_value_raw,
            coalesce({c("OBS_STATUS")}, {NOMIS_STATUS_FROM_NAME.format(name=c("OBS_STATUS_NAME"))})
                as obs_status,
            {c("OBS_STATUS_NAME")} as obs_status_name
        from _pub_in i
        """
    )
    measure_map = " ".join(f"when {lit(k)} then {v}" for k, v in NOMIS_MEASURES.items())
    measure_code = (
        "try_cast(measure_raw as integer)"
        if measure_col == "MEASURES"
        else f"case lower(measure_raw) {measure_map} end"
    )
    variable_code = (
        "try_cast(s.variable_code_raw as integer)" if code_col else "try_cast(v.variable_code as integer)"
    )
    join_on = (
        "try_cast(v.variable_code as integer) = try_cast(s.variable_code_raw as integer)"
        if code_col
        else "lower(trim(v.variable_name)) = lower(s.variable_name)"
    )
    suppressed = ", ".join(lit(s) for s in SUPPRESSED_STATUSES)
    con.execute(
        f"""
        create or replace temp table {ROWS} as
        select
            s.date_code, s.date_name, s.geography_code, s.geography_name, s.geography_type,
            {variable_code} as variable_code,
            coalesce(s.variable_name, trim(v.variable_name)) as variable_name,
            {measure_code} as measure_code,
            s.measure_name,
            case when s.obs_status in ({suppressed}) then null
                 else try_cast(s.obs_value_raw as double) end as obs_value,
            s.obs_status, s.obs_status_name,
            {lit(layout)} as layout,
            s._row_number,
            cast(null as varchar) as _item
        from _pub_src s
        left join (
            select variable_code, variable_name from _pub_nomis_variables where dataset_id = 'NM_17_5'
        ) v on {join_on}
        """
    )
    src = "_pub_src"
    parts = [
        reject(
            src,
            f"not regexp_full_match(coalesce(geography_code, ''), {lit(GSS_PATTERN)})",
            "bad_geography",
            "GEOGRAPHY_CODE",
            "geography_code",
            f"'GEOGRAPHY_CODE ''' || coalesce(geography_code, '') || ''' is not {GSS_DESCRIPTION}'",
        ),
        reject(
            src,
            "not regexp_full_match(coalesce(date_code, ''), '[0-9]{4}-(0[1-9]|1[0-2])')",
            "bad_date",
            date_col,
            "date_raw",
            f"'{date_col} ''' || coalesce(date_raw, '') || ''' does not give a month "
            "(YYYY-MM, or a DATE_NAME ending in a month such as Dec 2024)'",
        ),
        reject(
            src,
            "obs_value_raw is not null and try_cast(obs_value_raw as double) is null",
            "not_a_number",
            "OBS_VALUE",
            "obs_value_raw",
            "'OBS_VALUE ''' || obs_value_raw || ''' is not a number'",
        ),
    ]
    if measure_col == "MEASURES":
        parts.append(
            reject(
                src,
                "try_cast(measure_raw as integer) is null",
                "not_a_number",
                "MEASURES",
                "measure_raw",
                "'MEASURES ''' || coalesce(measure_raw, '') || ''' is not a measure code'",
            )
        )
    else:
        known = ", ".join(lit(k) for k in NOMIS_MEASURES)
        parts.append(
            reject(
                src,
                f"lower(coalesce(measure_raw, '')) not in ({known})",
                "unknown_measure",
                "MEASURES_NAME",
                "measure_raw",
                "'MEASURES_NAME ''' || coalesce(measure_raw, '') || ''' is not one of "
                "Variable, Numerator, Denominator, Confidence'",
            )
        )
    if code_col:
        parts.append(
            reject(
                src,
                "try_cast(variable_code_raw as integer) is null",
                "not_a_number",
                code_col,
                "variable_code_raw",
                f"'{code_col} ''' || coalesce(variable_code_raw, '') || ''' is not a variable code'",
            )
        )
    else:
        parts.append(
            "select s._row_number, null, 'VARIABLE_NAME', s.variable_name, 'unknown_variable', "
            "'VARIABLE_NAME ''' || coalesce(s.variable_name, '') || ''' is not in "
            "seeds/ref_nomis_variables.csv (matched on the trimmed name)' "
            f"from {src} s where s._row_number in "
            f"(select _row_number from {ROWS} where variable_code is null)"
        )
    create_rejected(con, parts)
    if layout == "select":
        staged.notes.append("NOMIS select layout: codes found from names")
    return staged


# --- DWP ESA by condition: NOMIS NM_134_1 and Stat-Xplore table exports -------------------------


def stage_dwp(con: duckdb.DuckDBPyConnection, path: Path, ctx: Context) -> Staged:
    """ESA claimants by ICDGP condition, from NM_134_1 or a Stat-Xplore CSV table export."""
    rows = peek_csv(path)
    first = [Header.key(c) for c in rows[0]] if rows else []
    if "GEOGRAPHY_CODE" in first or "OBS_VALUE" in first:
        return _stage_nm_134_1(con, path)
    header_index = _statxplore_header(rows)
    if header_index is None:
        raise StructureError(
            f"{path.name} is neither a NOMIS NM_134_1 extract (no GEOGRAPHY_CODE in the header) nor "
            "a Stat-Xplore table export (no header row of area + condition columns after a title block)"
        )
    return _stage_statxplore(con, path, ctx, rows, header_index)


def _stage_nm_134_1(con: duckdb.DuckDBPyConnection, path: Path) -> Staged:
    header = read_csv_text(con, path, "_pub_in")
    staged = Staged(DWP_CLAIMANTS, path.name, "csv")
    date_col = header.first("DATE_CODE", "DATE", "DATE_NAME")
    condition_col = header.first("ICDGP_CONDITION", "ICDGP_CONDITION_CODE")
    missing = [
        label
        for label, ok in (
            ("GEOGRAPHY_CODE", header.has("GEOGRAPHY_CODE")),
            ("OBS_VALUE", header.has("OBS_VALUE")),
            ("DATE_CODE or DATE or DATE_NAME", date_col),
            ("ICDGP_CONDITION or ICDGP_CONDITION_NAME", condition_col or header.has("ICDGP_CONDITION_NAME")),
        )
        if not ok
    ]
    if missing:
        raise StructureError(
            f"{path.name} is not a NOMIS NM_134_1 extract: header lacks {', '.join(missing)}"
        )
    c = header.col
    date_text = c(date_col)
    date_code = date_text if date_col in ("DATE_CODE", "DATE") else _month_from_text_sql(date_text)
    names = ", ".join(f"({lit(k)}, {v})" for k, v in ICDGP_CONDITIONS.items())
    suppressed = ", ".join(lit(s) for s in SUPPRESSED_STATUSES)
    con.execute(
        f"""
        create or replace temp table _pub_src as
        select
            i._row_number,
            {date_text} as date_raw,
            {date_code} as date_code,
            {c("DATE_NAME")} as date_name,
            {c("GEOGRAPHY_CODE")} as la_code,
            {c("GEOGRAPHY_NAME")} as la_name,
            {c(condition_col) if condition_col else "cast(null as varchar)"} as condition_raw,
            {c("ICDGP_CONDITION_NAME")} as condition_name,
            coalesce({c("SEX_NAME")}, 'Total') as sex,
            coalesce({c("AGE_NAME")}, 'Total') as age,
            {c("MEASURES")} as measure_raw,
            {c("OBS_STATUS")} as obs_status,
            {c("OBS_VALUE")} as obs_value_raw
        from _pub_in i
        """
    )
    con.execute(
        f"""
        create or replace temp table {ROWS} as
        select
            s.date_code, s.date_name, s.la_code, s.la_name,
            coalesce(try_cast(s.condition_raw as integer), n.code) as condition_code,
            s.condition_name, s.sex, s.age,
            case when s.obs_status in ({suppressed}) then null
                 else {whole_number("s.obs_value_raw")} end as claimants,
            'nm_134_1' as layout,
            s._row_number,
            cast(null as varchar) as _item
        from _pub_src s
        left join (values {names}) n(name, code) on n.name = lower(trim(s.condition_name))
        """
    )
    src = "_pub_src"
    create_rejected(
        con,
        [
            reject(
                src,
                f"not regexp_full_match(coalesce(la_code, ''), {lit(GSS_PATTERN)})",
                "bad_geography",
                "GEOGRAPHY_CODE",
                "la_code",
                f"'GEOGRAPHY_CODE ''' || coalesce(la_code, '') || ''' is not {GSS_DESCRIPTION}'",
            ),
            reject(
                src,
                "not regexp_full_match(coalesce(date_code, ''), '[0-9]{4}-(0[1-9]|1[0-2])')",
                "bad_date",
                date_col,
                "date_raw",
                f"'{date_col} ''' || coalesce(date_raw, '') || ''' does not give a month'",
            ),
            reject(
                src,
                f"obs_value_raw is not null and {whole_number('obs_value_raw')} is null",
                "not_a_number",
                "OBS_VALUE",
                "obs_value_raw",
                "'OBS_VALUE ''' || obs_value_raw || ''' is not a whole number of claimants'",
            ),
            reject(
                src,
                "condition_raw is not null and try_cast(condition_raw as integer) is null",
                "not_a_number",
                condition_col or "ICDGP_CONDITION",
                "condition_raw",
                "'ICDGP condition code ''' || condition_raw || ''' is not a number'",
            ),
            reject(
                src,
                "condition_raw is null and condition_name is null",
                "required",
                "ICDGP_CONDITION_NAME",
                "condition_name",
                "'the ICDGP condition is empty'",
            ),
            reject(
                src,
                f"measure_raw is not null and measure_raw <> {lit(ESA_VALUE_MEASURE)}",
                "unknown_measure",
                "MEASURES",
                "measure_raw",
                "'MEASURES ''' || measure_raw || ''' is not 20100 (the count of claimants), "
                "the only measure loaded'",
            ),
        ],
    )
    return staged


def _is_number(text: str) -> bool:
    try:
        float(text.replace(",", ""))
    except ValueError:
        return False
    return True


def _statxplore_header(rows: list[list[str]]) -> int | None:
    """Index of the header row: the first with an area label and at least two text column labels."""
    for i, row in enumerate(rows):
        cells = [c for c in row if c]
        labels = [c for c in row[1:] if c and not _is_number(c)]
        if row and row[0] and len(cells) >= 3 and len(labels) >= max(2, (len(cells) - 1) // 2):
            return i
    return None


def _stage_statxplore(
    con: duckdb.DuckDBPyConnection, path: Path, ctx: Context, rows: list[list[str]], header_index: int
) -> Staged:
    staged = Staged(DWP_CLAIMANTS, path.name, "csv")
    labels = rows[header_index]
    if not any(label.lower() in ICDGP_CONDITIONS for label in labels[1:]):
        raise StructureError(
            f"{path.name}: the table header (row {header_index + 1}) has no ICDGP condition columns "
            "(e.g. 'Mental and behavioural disorders'); not an ESA caseload by condition export"
        )
    title = {
        row[0].strip().rstrip(":").lower(): row[1] for row in rows[:header_index] if len(row) > 1 and row[0]
    }
    when_label = next((title[k] for k in ("quarter", "month", "date", "period") if title.get(k)), None)
    month = (_year_month(when_label) if when_label else None) or _file_month(path)
    if month is None:
        raise StructureError(
            f"{path.name}: cannot tell the month of this Stat-Xplore export (no Quarter/Month line in "
            "the title block that reads like May-24, and no YYYY-MM in the file name)"
        )
    if when_label and _year_month(when_label) is None:
        staged.warnings.append(
            (
                None,
                "month_from_file_name",
                f"title block date '{when_label}' not understood; used {month} from the name",
            )
        )
    width = len(labels)
    columns = {f"c{i}": "varchar" for i in range(width)}
    try:
        con.execute(
            f"""
            create or replace temp table _pub_in as
            select *, cast(row_number() over () as bigint) as _rn
            from read_csv(?, header = false, all_varchar = true, null_padding = true,
                          auto_detect = false, columns = ?, skip = {header_index + 1},
                          delim = ',', quote = '"', escape = '"')
            """,
            [file_pattern(path), columns],
        )
    except duckdb.Error as exc:
        raise StructureError(f"{path.name} could not be read as a Stat-Xplore table: {exc}") from exc
    value_cols = [f"c{i}" for i in range(1, width) if labels[i]]
    for i in range(1, width):
        if not labels[i]:
            staged.warnings.append(
                (
                    f"column {i + 1}",
                    "unlabelled_column",
                    f"column {i + 1} has no label in the header row; ignored",
                )
            )
    # The table ends at the first row with no numbers (the footnotes); rows are numbered as in the file.
    all_empty = " and ".join(f"nullif(trim({c}), '') is null" for c in value_cols)
    con.execute(
        f"""
        create or replace temp table _pub_src as
        select * exclude (_rn), _rn + {header_index + 1} as _row_number
        from _pub_in
        where _rn < coalesce((select min(_rn) from _pub_in where {all_empty}), 9223372036854775807)
        """
    )
    mapping = pd.DataFrame(
        {
            "col": value_cols,
            "condition_name": [labels[int(c[1:])] for c in value_cols],
            "condition_code": [ICDGP_CONDITIONS.get(labels[int(c[1:])].lower()) for c in value_cols],
        }
    )
    for name in mapping.loc[mapping["condition_code"].isna(), "condition_name"]:
        staged.warnings.append(
            (
                name,
                "unknown_condition",
                f"condition column '{name}' is not an ICDGP chapter; loaded with no code",
            )
        )
    con.register("_pub_condition_view", mapping)
    con.execute("create or replace temp table _pub_conditions as select * from _pub_condition_view")
    con.unregister("_pub_condition_view")
    totals = con.execute("select count(*) from _pub_src where lower(trim(c0)) = 'total'").fetchone()[0]
    if totals:
        staged.warnings.append(
            ("c0", "total_row_not_loaded", "the 'Total' row (sum of the areas in the table) was not loaded")
        )
    load_seed(con, ctx, "ref_local_authorities", "_pub_las")
    unpivot_cols = ", ".join(value_cols)
    con.execute(
        f"""
        create or replace temp table _pub_long as
        select
            u._row_number,
            trim(u.c0) as area_label,
            u.col,
            nullif(trim(u.raw_value), '') as raw_value
        from (from _pub_src where lower(trim(coalesce(c0, ''))) <> 'total')
            unpivot include nulls (raw_value for col in ({unpivot_cols})) u
        """
    )
    con.execute(
        f"""
        create or replace temp table {ROWS} as
        select
            {lit(month)} as date_code,
            {lit(when_label or month)} as date_name,
            coalesce(
                nullif(regexp_extract(l.area_label, '^({GSS_PATTERN})\\b', 1), ''), a.la_code
            ) as la_code,
            l.area_label as la_name,
            cast(k.condition_code as integer) as condition_code,
            k.condition_name,
            'Total' as sex,
            'Total' as age,
            {whole_number("replace(l.raw_value, ',', '')")} as claimants,
            'stat_xplore' as layout,
            l._row_number,
            l.col as _item
        from _pub_long l
        join _pub_conditions k on k.col = l.col
        left join _pub_las a on lower(trim(a.la_name)) = lower(l.area_label)
        """
    )
    create_rejected(
        con,
        [
            f"""select distinct r._row_number, null, 'area', r.la_name, 'unknown_area',
                       'area ''' || coalesce(r.la_name, '') || ''' is not a local authority in '
                       || 'seeds/ref_local_authorities.csv nor a GSS code'
                from {ROWS} r where r.la_code is null""",
            f"""select l._row_number, l.col, k.condition_name, l.raw_value, 'not_a_number',
                       k.condition_name || ' ''' || l.raw_value || ''' is not a whole number of claimants'
                from _pub_long l join _pub_conditions k on k.col = l.col
                where l.raw_value is not null
                  and {whole_number("replace(l.raw_value, ',', '')")} is null""",
        ],
    )
    staged.notes.append(f"Stat-Xplore export for {month}")
    return staged


# --- CQC community mental health survey -------------------------------------------------------


def _norm(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _cqc_header_row(rows: list[list[object]]) -> int | None:
    for i, row in enumerate(rows[:PEEK_LINES]):
        if any(isinstance(c, str) and _norm(c) == "trustcode" for c in row):
            return i
    return None


def _survey_year(path: Path, sheet: str | None) -> int | None:
    match = re.search(r"(?<!\d)(20\d{2})(?!\d)", path.stem)
    if match:
        return int(match[1])
    if sheet:
        match = re.search(r"CMH[ _-]?(\d{2})(?!\d)", sheet, re.IGNORECASE) or re.search(
            r"(?<!\d)(20\d{2})(?!\d)", sheet
        )
        if match:
            return int(match[1]) if len(match[1]) == 4 else 2000 + int(match[1])
    return None


def stage_cqc(con: duckdb.DuckDBPyConnection, path: Path, ctx: Context) -> Staged:
    """Trust-level survey results (XLSX, ODS or CSV) unpivoted to one row per trust x answer column."""
    fmt = path.suffix.lower().lstrip(".")
    sheet_name: str | None = None
    if fmt in ("xlsx", "ods"):
        sheets = read_sheets(path)
        found = []
        for name, rows in sheets.items():
            index = _cqc_header_row(rows)
            if index is not None and any(
                isinstance(c, str) and re.match(r"^q\d+", c.strip(), re.IGNORECASE) for c in rows[index]
            ):
                found.append((name, rows, index))
        if not found:
            raise StructureError(
                f"{path.name}: no sheet has a TrustCode header with question columns "
                f"(sheets: {', '.join(sheets)})"
            )
        sheet_name, rows, index = found[0]
        header = rows_to_table(con, rows, index, "_pub_in")
        source_file = f"{path.name}[{sheet_name}]"
        staged = Staged(CQC_TRUST_RESULTS, source_file, fmt)
        for other, _, _ in found[1:]:
            staged.warnings.append(
                (
                    None,
                    "sheet_ignored",
                    f"sheet '{other}' also has trust results; only '{sheet_name}' was loaded",
                )
            )
    elif fmt == "csv":
        peeked = peek_csv(path)
        index = _cqc_header_row(peeked)
        if index is None:
            raise StructureError(f"{path.name}: no TrustCode column in the first {PEEK_LINES} rows")
        header = read_csv_text(con, path, "_pub_in", header_line=index + 1)
        staged = Staged(CQC_TRUST_RESULTS, path.name, fmt)
    else:
        raise StructureError(f"{path.name}: the CQC survey is read from .xlsx, .ods or .csv files")
    year = _survey_year(path, sheet_name)
    if year is None:
        raise StructureError(
            f"{path.name}: cannot tell the survey year from the file name (e.g. cmh_survey_2023.csv) "
            "or the sheet name (e.g. CMH23_Trust_Scores)"
        )
    by_norm = {_norm(n): n for n in header.names}
    trust_col = by_norm["trustcode"]
    name_col = by_norm.get("trustname")
    n_col = by_norm.get("ntpat")
    questions = [n for n in header.names if re.match(r"^q\d+", n, re.IGNORECASE)]
    if not questions:
        raise StructureError(f"{staged.source_file}: no question columns (Q<number>...) beside TrustCode")
    for absent, label in ((name_col, "trustname"), (n_col, "n_tpat")):
        if absent is None:
            staged.warnings.append((label, "missing_column", f"column '{label}' is absent; loaded as null"))
    known = {trust_col, name_col, n_col, *questions}
    for extra in header.names:
        if extra not in known and not extra.startswith("_blank_"):
            staged.warnings.append(
                (extra, "unknown_column", f"column '{extra}' is not a question column; it was ignored")
            )
    everything = [trust_col, *([name_col] if name_col else []), *([n_col] if n_col else []), *questions]
    blank = " and ".join(f"{ident(c)} is null" for c in everything)
    con.execute(
        f"""
        create or replace temp table _pub_src as
        select
            _row_number,
            {ident(trust_col)} as trust_code,
            {ident(name_col) if name_col else "cast(null as varchar)"} as trust_name,
            {ident(n_col) if n_col else "cast(null as varchar)"} as respondents_raw,
            {", ".join(ident(q) for q in questions)}
        from _pub_in
        where not ({blank})
        """
    )
    con.execute(
        f"""
        create or replace temp table _pub_long as
        from _pub_src unpivot include nulls (
            raw_value for answer_column in ({", ".join(ident(q) for q in questions)})
        )
        """
    )
    con.execute(
        f"""
        create or replace temp table {ROWS} as
        select
            {year} as survey_year,
            trust_code,
            trust_name,
            cast({whole_number("respondents_raw")} as integer) as respondents,
            answer_column,
            try_cast(raw_value as double) as value,
            {lit(sheet_name) if sheet_name else "cast(null as varchar)"} as sheet_name,
            _row_number,
            answer_column as _item
        from _pub_long
        """
    )
    src = "_pub_src"
    create_rejected(
        con,
        [
            reject(
                src,
                f"not regexp_full_match(coalesce(trust_code, ''), {lit(CQC_TRUST_CODE_PATTERN)})",
                "bad_format",
                trust_col,
                "trust_code",
                f"'{trust_col} ''' || coalesce(trust_code, '') || ''' is not a three-character "
                "ODS trust code'",
            ),
            reject(
                src,
                f"respondents_raw is not null and {whole_number('respondents_raw')} is null",
                "not_a_number",
                n_col or "n_tpat",
                "respondents_raw",
                f"'{n_col} ''' || respondents_raw || ''' is not a whole number of respondents'",
            ),
            """select _row_number, answer_column, answer_column, raw_value, 'not_a_number',
                      answer_column || ' ''' || raw_value || ''' is not a number'
               from _pub_long where raw_value is not null and try_cast(raw_value as double) is null""",
        ],
    )
    return staged


# --- MHSDS monthly statistics -----------------------------------------------------------------


def stage_mhsds(con: duckdb.DuckDBPyConnection, path: Path, ctx: Context) -> Staged:
    """The long MHSDS monthly CSV; MEASURE_VALUE kept as text with a number beside it (null for '*')."""
    header = read_csv_text(con, path, "_pub_in")
    staged = Staged(MHSDS_MEASURES, path.name, "csv")
    missing = [c for c in MHSDS_COLUMNS if not header.has(c)]
    if missing:
        raise StructureError(f"{path.name} is not an MHSDS monthly CSV: header lacks {', '.join(missing)}")
    for extra in header.names:
        if Header.key(extra) not in MHSDS_COLUMNS:
            staged.warnings.append(
                (extra, "unknown_column", f"column '{extra}' is not in the MHSDS layout; ignored")
            )
    c = header.col

    def as_date(column: str) -> str:
        return (
            f"cast(coalesce(try_strptime({column}, '%Y-%m-%d'), try_strptime({column}, '%d/%m/%Y')) as date)"
        )

    con.execute(
        f"""
        create or replace temp table _pub_src as
        select
            _row_number,
            {c("REPORTING_PERIOD_START")} as start_raw,
            {c("REPORTING_PERIOD_END")} as end_raw,
            {c("STATUS")} as status,
            {c("BREAKDOWN")} as breakdown,
            {c("PRIMARY_LEVEL")} as primary_level,
            {c("PRIMARY_LEVEL_DESCRIPTION")} as primary_level_description,
            {c("SECONDARY_LEVEL")} as secondary_level,
            {c("SECONDARY_LEVEL_DESCRIPTION")} as secondary_level_description,
            {c("MEASURE_ID")} as measure_id,
            {c("MEASURE_NAME")} as measure_name,
            {c("MEASURE_VALUE")} as measure_value
        from _pub_in
        """
    )
    # A real monthly file carries hundreds of measures; those the warehouse does not use are
    # skipped and counted in one file warning, not rejected row by row.
    known = ", ".join(lit(m) for m in MHSDS_MEASURE_IDS)
    other = f"measure_id is not null and measure_id not in ({known})"
    skipped = con.execute(
        f"""select count(*), count(distinct measure_id),
                   string_agg(distinct measure_id, ', ' order by measure_id)
            from _pub_src where {other}"""
    ).fetchone()
    if skipped and skipped[0]:
        ids = skipped[2].split(", ")
        shown = ", ".join(ids[:10]) + (f" and {len(ids) - 10} more" if len(ids) > 10 else "")
        staged.warnings.append(
            (
                "MEASURE_ID",
                "other_measures_skipped",
                f"{skipped[0]} row(s) of {skipped[1]} measure(s) the warehouse does not use were skipped "
                f"({shown}); it uses {', '.join(MHSDS_MEASURE_IDS)}",
            )
        )
        con.execute(f"delete from _pub_src where {other}")
    con.execute(
        f"""
        create or replace temp table {ROWS} as
        select
            {as_date("start_raw")} as reporting_period_start,
            {as_date("end_raw")} as reporting_period_end,
            status, breakdown, primary_level, primary_level_description,
            secondary_level, secondary_level_description, measure_id, measure_name,
            measure_value,
            case when measure_value = '*' then null
                 else try_cast(measure_value as double) end as measure_value_number,
            _row_number,
            cast(null as varchar) as _item
        from _pub_src
        """
    )
    src = "_pub_src"
    parts = [
        reject(src, "measure_id is null", "required", "MEASURE_ID", "measure_id", "'MEASURE_ID is empty'"),
        reject(
            src,
            "measure_value is not null and measure_value <> '*' "
            "and try_cast(measure_value as double) is null",
            "not_a_number",
            "MEASURE_VALUE",
            "measure_value",
            "'MEASURE_VALUE ''' || measure_value || ''' is neither a number nor * (suppressed)'",
        ),
    ]
    for column, raw in (("REPORTING_PERIOD_START", "start_raw"), ("REPORTING_PERIOD_END", "end_raw")):
        parts.append(
            reject(
                src,
                f"{as_date(raw)} is null",
                "bad_date",
                column,
                raw,
                f"'{column} ''' || coalesce({raw}, '') || ''' is not a date (YYYY-MM-DD or DD/MM/YYYY)'",
            )
        )
    for column, value in (("BREAKDOWN", "breakdown"), ("PRIMARY_LEVEL", "primary_level")):
        parts.append(reject(src, f"{value} is null", "required", column, value, f"'{column} is empty'"))
    create_rejected(con, parts)
    return staged


# --- commissioner returns ---------------------------------------------------------------------


def stage_commissioning(con: duckdb.DuckDBPyConnection, path: Path, ctx: Context) -> Staged:
    """``commissioning_<YYYY>.csv`` validated against ipskpi.contract.COMMISSIONER_RETURN."""
    match = COMMISSIONING_NAME.match(path.name)
    if not match:
        raise StructureError(
            f"{path.name}: a commissioner return is named commissioning_<YYYY>.csv "
            "(YYYY = the year the April-March financial year starts)"
        )
    table = COMMISSIONER_RETURN
    header = read_csv_text(con, path, "_pub_in")
    staged = Staged(COMMISSIONING, path.name, "csv")
    found = {n: n for n in header.names}
    missing = [c for c in table.required_columns if c not in found]
    if missing:
        hint = ""
        if len(header.names) == 1 and ";" in header.names[0]:
            hint = " (the header looks semicolon-separated; the contract requires commas)"
        raise StructureError(f"{path.name}: missing required column(s) {', '.join(missing)}{hint}")
    for extra in sorted(set(found) - set(table.column_names)):
        staged.warnings.append(
            (extra, "unknown_column", f"{path.name}: column '{extra}' is not in the contract; it was ignored")
        )
        staged.notes.append(f"ignored unknown column {extra}")
    for absent in (c for c in table.column_names if c not in found):
        con.execute(f"alter table _pub_in add column {absent} varchar")
    parts = []
    for column in table.columns:
        for condition, rule, reason in _column_checks(column, "date '9999-12-31'"):
            parts.append(reject("_pub_in", condition, rule, column.name, column.name, reason))
    create_rejected(con, parts)
    columns = ", ".join(table.column_names)
    con.execute(
        f"""
        create or replace temp table {ROWS} as
        select {lit(match["year"])} as financial_year, {columns},
               _row_number, cast(null as varchar) as _item
        from _pub_in
        """
    )
    return staged


Stager = Callable[[duckdb.DuckDBPyConnection, Path, Context], Staged]

# Source folder -> (raw table, stager, file extensions it reads), in load order.
SOURCES: dict[str, tuple[RawTable, Stager, tuple[str, ...]]] = {
    "nomis_aps": (NOMIS_OBSERVATIONS, stage_nomis, (".csv",)),
    "dwp_esa": (DWP_CLAIMANTS, stage_dwp, (".csv",)),
    "cqc_cmh_survey": (CQC_TRUST_RESULTS, stage_cqc, (".xlsx", ".ods", ".csv")),
    "mhsds": (MHSDS_MEASURES, stage_mhsds, (".csv",)),
    "commissioner_returns": (COMMISSIONING, stage_commissioning, (".csv",)),
}
PUBLIC_TABLES = tuple(table for table, _, _ in SOURCES.values())
