"""The CQC community mental health survey, trust level (XLSX, ODS or CSV; the layout changes by year)."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from ipskpi.ingest.public.common import (
    PEEK_LINES,
    ROWS,
    Context,
    RawTable,
    Staged,
    create_rejected,
    peek_csv,
    read_csv_text,
    read_sheets,
    reject,
    rows_to_table,
    whole_number,
)
from ipskpi.ingest.readers import StructureError
from ipskpi.sql import ident
from ipskpi.sql import literal as lit

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
CQC_TRUST_CODE_PATTERN = "[A-Z0-9]{3}"


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
