"""MHSDS monthly statistics: the long CSV of measures (public-sources.md)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from ipskpi.ingest.public.common import (
    MHSDS_COLUMNS,
    ROWS,
    Context,
    Header,
    RawTable,
    Staged,
    create_rejected,
    read_csv_text,
    reject,
)
from ipskpi.ingest.readers import StructureError
from ipskpi.sql import literal as lit

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
# The MHSDS measures the warehouse uses (public-sources.md); any other id is rejected.
MHSDS_MEASURE_IDS = ("MHS116", "MHS116a", "AMH16e%", "AMH17e", "AMH17e%")


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
