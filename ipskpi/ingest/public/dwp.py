"""DWP ESA claimants by ICDGP condition: NOMIS NM_134_1 extracts and Stat-Xplore table exports."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd

from ipskpi.ingest.public.common import (
    GSS_DESCRIPTION,
    GSS_PATTERN,
    ROWS,
    SUPPRESSED_STATUSES,
    Context,
    Header,
    RawTable,
    Staged,
    create_rejected,
    load_seed,
    month_from_text_sql,
    peek_csv,
    read_csv_text,
    reject,
    whole_number,
)
from ipskpi.ingest.readers import StructureError
from ipskpi.sql import file_pattern
from ipskpi.sql import literal as lit

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
    date_code = date_text if date_col in ("DATE_CODE", "DATE") else month_from_text_sql(date_text)
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
