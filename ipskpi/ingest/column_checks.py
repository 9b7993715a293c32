"""The contract's per-column rules as SQL, shared by the provider-return and public loaders.

:func:`column_checks` turns one :class:`ipskpi.contract.Column` into (condition, rule,
reason-SQL) triples that a loader runs set-based over a staged text table; every value in a
reason is escaped and cut by :func:`ipskpi.sql.shown`.
"""

from __future__ import annotations

from ipskpi.contract import CONTROL_CHARACTERS, PROVIDER_TABLES, Column
from ipskpi.sql import literal, shown

# Date columns that may not fall after the end of the return month.
NOT_AFTER_COLUMNS: set[str] = {c for t in PROVIDER_TABLES for c in t.date_columns_not_after_return}


def column_checks(column: Column, month_end: str) -> list[tuple[str, str, str]]:
    """(condition, rule, reason-SQL) triples for one column; condition true = row breaks it.

    ``month_end`` is an SQL date expression: the last day of the return month.
    """
    col = column.name
    checks: list[tuple[str, str, str]] = []
    if column.required:
        checks.append((f"{col} is null", "required", literal(f"{col} is required but empty")))
    present = f"{col} is not null"
    # Cell limits first: a value that breaks them is shown escaped and cut in every reason.
    checks.append(
        (
            f"{present} and regexp_matches({col}, {literal(CONTROL_CHARACTERS)})",
            "control_character",
            literal(f"{col} ")
            + f" || {shown(col)} || "
            + literal(" holds a control character (shown as \\xNN); only tab and line breaks may be in text"),
        )
    )
    checks.append(
        (
            f"{present} and length({col}) > {int(column.max_length)}",
            "too_long",
            literal(f"{col} is ")
            + f" || length({col}) || "
            + literal(f" characters long, more than the {column.max_length} allowed: ")
            + f" || {shown(col)}",
        )
    )
    if column.kind == "date":
        checks.append(
            (
                f"{present} and try_strptime({col}, '%Y-%m-%d') is null",
                "date_format",
                literal(f"{col} '") + f" || {shown(col)} || " + literal("' is not an ISO date (YYYY-MM-DD)"),
            )
        )
    elif column.kind == "month":
        checks.append(
            (
                f"{present} and not regexp_full_match({col}, '[0-9]{{4}}-(0[1-9]|1[0-2])')",
                "month_format",
                literal(f"{col} '") + f" || {shown(col)} || " + literal("' is not a month (YYYY-MM)"),
            )
        )
    elif column.kind == "year":
        checks.append(
            (
                f"{present} and not regexp_full_match({col}, '[0-9]{{4}}')",
                "year_format",
                literal(f"{col} '") + f" || {shown(col)} || " + literal("' is not a year (YYYY)"),
            )
        )
    elif column.kind in ("int", "decimal"):
        cast_type = "bigint" if column.kind == "int" else "double"
        checks.append(
            (
                f"{present} and try_cast({col} as {cast_type}) is null",
                "not_a_number",
                literal(f"{col} '")
                + f" || {shown(col)} || "
                + literal(f"' is not {'a whole number' if column.kind == 'int' else 'a number'}"),
            )
        )
        bounds = []
        if column.minimum is not None:
            op = "<=" if column.exclusive_minimum else "<"
            bounds.append(f"try_cast({col} as double) {op} {column.minimum}")
        if column.maximum is not None:
            bounds.append(f"try_cast({col} as double) > {column.maximum}")
        if bounds:
            low = "above" if column.exclusive_minimum else "at least"
            expected = []
            if column.minimum is not None:
                expected.append(f"{low} {column.minimum:g}")
            if column.maximum is not None:
                expected.append(f"at most {column.maximum:g}")
            checks.append(
                (
                    f"{present} and ({' or '.join(bounds)})",
                    "out_of_range",
                    literal(f"{col} ")
                    + f" || {shown(col)} || "
                    + literal(f" is out of range (must be {' and '.join(expected)})"),
                )
            )
    if column.codes is not None:
        codes = ", ".join(literal(c) for c in column.codes)
        code_list = ", ".join(column.codes)
        checks.append(
            (
                f"{present} and {col} not in ({codes})",
                "unknown_code",
                literal(f"{col} '")
                + f" || {shown(col)} || "
                + literal(f"' is not a valid code ({code_list})"),
            )
        )
    if column.pattern is not None:
        checks.append(
            (
                f"{present} and not regexp_full_match({col}, {literal(column.pattern.strip('^$'))})",
                "bad_format",
                literal(f"{col} '")
                + f" || {shown(col)} || "
                + literal(f"' does not match the format {column.pattern}"),
            )
        )
    if column.kind == "date" and column.name in NOT_AFTER_COLUMNS:
        checks.append(
            (
                f"{present} and try_strptime({col}, '%Y-%m-%d') > {month_end}",
                "future_date",
                literal(f"{col} ")
                + f" || {shown(col)} || "
                + literal(" is after the end of the return month (")
                + f" || strftime({month_end}, '%Y-%m-%d') || ')'",
            )
        )
    return checks
