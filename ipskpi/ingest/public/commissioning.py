"""Commissioner returns: ``commissioning_<YYYY>.csv`` against ipskpi.contract.COMMISSIONER_RETURN."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from ipskpi.contract import COMMISSIONER_RETURN
from ipskpi.ingest.column_checks import column_checks
from ipskpi.ingest.public.common import (
    ROWS,
    Context,
    RawTable,
    Staged,
    create_rejected,
    read_csv_text,
    reject,
)
from ipskpi.ingest.readers import StructureError
from ipskpi.sql import literal as lit

COMMISSIONING = RawTable(
    "commissioner_returns",
    "commissioning",
    (("financial_year", "varchar"), *((name, "varchar") for name in COMMISSIONER_RETURN.column_names)),
    key=("financial_year", "la_code"),
    grain="One row per local authority per financial year.",
)

COMMISSIONING_NAME = re.compile(r"^commissioning_(?P<year>\d{4})\.csv$", re.IGNORECASE)


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
        for condition, rule, reason in column_checks(column, "date '9999-12-31'"):
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
