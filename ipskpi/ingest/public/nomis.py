"""NOMIS NM_17_5 (Annual Population Survey) extracts, full or ``select`` layout (public-sources.md)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from ipskpi.ingest.public.common import (
    GSS_DESCRIPTION,
    GSS_PATTERN,
    NOMIS_FULL_COLUMNS,
    ROWS,
    SUPPRESSED_STATUSES,
    Context,
    RawTable,
    Staged,
    create_rejected,
    load_seed,
    month_from_text_sql,
    read_csv_text,
    reject,
)
from ipskpi.ingest.readers import StructureError
from ipskpi.sql import literal as lit

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
NOMIS_MEASURES = {"variable": 20599, "numerator": 21001, "denominator": 21002, "confidence": 21003}
# The select layout carries only OBS_STATUS_NAME, so the OBS_STATUS code is found from it.
NOMIS_STATUS_FROM_NAME = """case
    when {name} is null then null
    when lower({name}) = 'normal value' then 'A'
    when {name} like '%(0-2)%' then '!'
    when {name} like '%(3-9)%' then '*'
    when lower({name}) like '%less than 500%' then '~'
    when lower({name}) like '%missing%' then '-'
end"""


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
    date_code = date_text if date_col in ("DATE_CODE", "DATE") else month_from_text_sql(date_text)
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
