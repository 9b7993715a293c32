"""Load provider returns (CSV folders or XLSX workbooks) into the raw layer, set-based.

Steps for one return:
1. Find it: ``<PROVIDER>_<YYYY-MM>/`` (a folder of CSVs) or ``<PROVIDER>_<YYYY-MM>.xlsx``.
2. Hash its bytes; the same bytes loaded before change nothing (ledger status ``skipped``).
3. Read each table as text; refuse the whole return for a structural fault (missing
   table or required column, unreadable file, provider code different from the name).
4. Validate every row against the contract in SQL; rows breaking a rule go to
   ``ingest.rejected_rows`` with file, row, column, value and reason; the rest load.
5. A re-sent return for the same provider and month supersedes the earlier copy in full
   (its rows stay in raw for history, flagged ``_is_superseded``).
All of one return's writes happen in one transaction: a crash leaves no half return.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from ipskpi.contract import PROVIDER_TABLES, Column, Table
from ipskpi.failpoints import failpoint
from ipskpi.ingest.ledger import already_loaded, current_load, ensure_ledger, hash_paths
from ipskpi.ingest.readers import (
    StructureError,
    csv_to_table,
    frame_to_table,
    normalise_columns,
    read_workbook,
)

RETURN_NAME = re.compile(r"^(?P<provider>[A-Za-z0-9]+)_(?P<month>\d{4}-\d{2})$")
SOURCE = "provider_returns"
LINEAGE_COLUMNS = (
    "_load_id",
    "_source_file",
    "_file_hash",
    "_row_number",
    "_return_month",
    "_loaded_at",
    "_is_superseded",
)


@dataclass(frozen=True)
class ReturnDelivery:
    """One provider return as delivered: a CSV folder or a workbook."""

    path: Path
    provider_code: str
    return_month: str
    file_format: str  # csv | xlsx

    @property
    def return_id(self) -> str:
        return f"{self.provider_code}_{self.return_month}"

    def files(self) -> list[Path]:
        if self.file_format == "csv":
            return sorted(p for p in self.path.iterdir() if p.is_file())
        return [self.path]


@dataclass
class LoadResult:
    """What happened to one delivery."""

    return_id: str
    file_path: str
    status: str  # loaded | refused | skipped
    rows_loaded: int = 0
    rows_rejected: int = 0
    message: str = ""
    rejected_by_rule: dict[str, int] = field(default_factory=dict)
    source: str = SOURCE


def discover_returns(folder: Path) -> list[ReturnDelivery]:
    """Every provider return in a landing folder, oldest month first."""
    found: list[ReturnDelivery] = []
    if not folder.exists():
        return found
    for path in sorted(folder.iterdir()):
        stem = path.name[:-5] if path.suffix.lower() == ".xlsx" else path.name
        match = RETURN_NAME.match(stem)
        if path.is_dir() and match:
            fmt = "csv"
        elif path.is_file() and path.suffix.lower() == ".xlsx" and match:
            fmt = "xlsx"
        else:
            continue
        found.append(ReturnDelivery(path, match["provider"], match["month"], fmt))
    return sorted(found, key=lambda d: (d.return_month, d.provider_code, d.file_format))


def ensure_raw_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the raw tables: every contract column as text, plus lineage."""
    ensure_ledger(con)
    con.execute("create schema if not exists provider_returns")
    for table in PROVIDER_TABLES:
        columns = [f"{c.name} varchar" for c in table.columns]
        columns += [
            "_load_id varchar not null",
            "_source_file varchar not null",
            "_file_hash varchar not null",
            "_row_number bigint not null",
            "_return_month varchar not null",
            "_loaded_at timestamp not null",
            "_is_superseded boolean not null",
        ]
        con.execute(f"create table if not exists provider_returns.{table.name} ({', '.join(columns)})")


def load_provider_returns(
    con: duckdb.DuckDBPyConnection, folder: Path, run_id: str, landing_root: Path | None = None
) -> list[LoadResult]:
    """Load every return in ``folder``; one bad return never stops the others."""
    ensure_raw_tables(con)
    results = []
    for delivery in discover_returns(folder):
        results.append(load_return(con, delivery, run_id, landing_root or folder.parent))
    return results


def load_return(
    con: duckdb.DuckDBPyConnection, delivery: ReturnDelivery, run_id: str, landing_root: Path
) -> LoadResult:
    """Load one return in a single transaction and record it in the ledger."""
    rel_path = _relative(delivery.path, landing_root)
    files = delivery.files()
    file_hash = hash_paths(files)
    if already_loaded(con, delivery.return_id, file_hash):
        return LoadResult(delivery.return_id, rel_path, "skipped", message="same bytes loaded before")

    load_id = uuid.uuid4().hex
    loaded_at = datetime.now(UTC).replace(tzinfo=None)
    con.execute("begin transaction")
    try:
        result = _load_tables(con, delivery, load_id, run_id, rel_path, file_hash, loaded_at)
        previous = current_load(con, delivery.return_id)
        if previous:
            _supersede(con, previous, load_id)
            result.message = (result.message + " " if result.message else "") + (
                "re-sent return: replaces the earlier copy"
            )
        _ledger(con, load_id, run_id, delivery, rel_path, file_hash, result, loaded_at)
        con.execute("commit")
        return result
    except StructureError as exc:
        con.execute("rollback")
        result = LoadResult(delivery.return_id, rel_path, "refused", message=str(exc))
        con.execute("begin transaction")
        _ledger(con, load_id, run_id, delivery, rel_path, file_hash, result, loaded_at)
        con.execute(
            """insert into ingest.rejected_rows values (?, ?, ?, ?, ?, null, null, null,
               'return_refused', ?, ?)""",
            [load_id, run_id, SOURCE, rel_path, "*", str(exc), loaded_at],
        )
        con.execute("commit")
        return result
    except BaseException:
        con.execute("rollback")
        raise


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


def _read_tables(
    con: duckdb.DuckDBPyConnection, delivery: ReturnDelivery
) -> dict[str, tuple[str, list[str], str]]:
    """Read each contract table into a temp table; returns name -> (temp table, header, file)."""
    out: dict[str, tuple[str, list[str], str]] = {}
    if delivery.file_format == "csv":
        present = {p.stem: p for p in delivery.files() if p.suffix.lower() == ".csv"}
        missing = [t.name for t in PROVIDER_TABLES if t.name not in present]
        if missing:
            raise StructureError(
                f"return {delivery.return_id} is missing table(s) {', '.join(missing)} "
                f"(expected {', '.join(t.name + '.csv' for t in PROVIDER_TABLES)})"
            )
        for table in PROVIDER_TABLES:
            temp = f"_in_{table.name}"
            header = csv_to_table(con, present[table.name], temp)
            out[table.name] = (temp, header, present[table.name].name)
    else:
        sheets = read_workbook(delivery.path)
        missing = [t.name for t in PROVIDER_TABLES if t.name not in sheets]
        if missing:
            raise StructureError(f"workbook {delivery.path.name} is missing sheet(s) {', '.join(missing)}")
        for table in PROVIDER_TABLES:
            temp = f"_in_{table.name}"
            header = frame_to_table(con, sheets[table.name], temp)
            out[table.name] = (temp, header, f"{delivery.path.name}[{table.name}]")
        extra = sorted(name for name in sheets if name not in {t.name for t in PROVIDER_TABLES})
        out.update({f"__extra_sheet__{name}": ("", [], name) for name in extra})
    return out


def _load_tables(
    con: duckdb.DuckDBPyConnection,
    delivery: ReturnDelivery,
    load_id: str,
    run_id: str,
    rel_path: str,
    file_hash: str,
    loaded_at: datetime,
) -> LoadResult:
    tables = _read_tables(con, delivery)
    result = LoadResult(delivery.return_id, rel_path, "loaded")
    notes: list[str] = []
    for key in [k for k in tables if k.startswith("__extra_sheet__")]:
        sheet = tables.pop(key)[2]
        con.execute(
            "insert into ingest.file_warnings values (?, ?, ?, null, null, 'unknown_sheet', ?, ?)",
            [
                load_id,
                run_id,
                rel_path,
                f"{delivery.path.name}: sheet '{sheet}' is not a contract table; ignored",
                loaded_at,
            ],
        )
        notes.append(f"ignored unknown sheet {sheet}")
    # Structure first, for every table, so that nothing is validated in a return we refuse.
    for table in PROVIDER_TABLES:
        temp, header, file_label = tables[table.name]
        mapping = normalise_columns(con, temp, header)
        found = set(mapping)
        missing = [c for c in table.required_columns if c not in found]
        if missing:
            hint = ""
            if len(header) == 1 and ";" in header[0]:
                hint = " (the header looks semicolon-separated; the contract requires commas)"
            raise StructureError(f"{file_label}: missing required column(s) {', '.join(missing)}{hint}")
        for extra in sorted(found - set(table.column_names)):
            con.execute(
                "insert into ingest.file_warnings values (?, ?, ?, ?, ?, 'unknown_column', ?, ?)",
                [
                    load_id,
                    run_id,
                    rel_path,
                    table.name,
                    extra,
                    f"{file_label}: column '{extra}' is not in the contract; it was ignored",
                    loaded_at,
                ],
            )
            notes.append(f"ignored unknown column {table.name}.{extra}")
        for absent in (c for c in table.column_names if c not in found):
            con.execute(f"alter table {temp} add column {absent} varchar")
        _check_provider_code(con, temp, delivery, file_label)

    for table in PROVIDER_TABLES:
        temp, _, file_label = tables[table.name]
        rejected = _validate(con, table, temp, delivery)
        con.execute(
            f"""
            insert into ingest.rejected_rows
            select ?, ?, ?, ?, ?, row_number, column_name, value, rule,
                   ? || ' row ' || row_number || ': ' || reason, ?
            from {rejected}
            """,
            [load_id, run_id, SOURCE, rel_path, table.name, file_label, loaded_at],
        )
        columns = ", ".join(table.column_names)
        inserted = con.execute(
            f"""
            insert into provider_returns.{table.name}
            select {columns}, ?, ?, ?, _row_number, ?, ?, false
            from {temp}
            where _row_number not in (select row_number from {rejected})
            """,
            [load_id, file_label, file_hash, delivery.return_month, loaded_at],
        ).fetchone()
        result.rows_loaded += inserted[0] if inserted else 0
        failpoint("during_ingest")
        for rule, n_rows in con.execute(
            f"select rule, count(distinct row_number) from {rejected} group by rule"
        ).fetchall():
            result.rejected_by_rule[f"{table.name}.{rule}"] = n_rows
        result.rows_rejected += con.execute(f"select count(distinct row_number) from {rejected}").fetchone()[
            0
        ]
    result.message = "; ".join(notes)
    return result


def _check_provider_code(
    con: duckdb.DuckDBPyConnection, temp: str, delivery: ReturnDelivery, file_label: str
) -> None:
    wrong = con.execute(
        f"""select provider_code, min(_row_number) from {temp}
            where provider_code is not null and provider_code <> ? group by 1 order by 2 limit 1""",
        [delivery.provider_code],
    ).fetchone()
    if wrong:
        raise StructureError(
            f"{file_label} row {wrong[1]}: provider_code '{wrong[0]}' does not match the return "
            f"name {delivery.return_id} (provider {delivery.provider_code})"
        )


def _sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _column_checks(column: Column, month_end: str) -> list[tuple[str, str, str]]:
    """(condition, rule, reason-SQL) triples for one column; condition true = row breaks it."""
    col = column.name
    checks: list[tuple[str, str, str]] = []
    if column.required:
        checks.append((f"{col} is null", "required", _sql_str(f"{col} is required but empty")))
    present = f"{col} is not null"
    if column.kind == "date":
        checks.append(
            (
                f"{present} and try_strptime({col}, '%Y-%m-%d') is null",
                "date_format",
                _sql_str(f"{col} '") + f" || {col} || " + _sql_str("' is not an ISO date (YYYY-MM-DD)"),
            )
        )
    elif column.kind == "month":
        checks.append(
            (
                f"{present} and not regexp_full_match({col}, '[0-9]{{4}}-(0[1-9]|1[0-2])')",
                "month_format",
                _sql_str(f"{col} '") + f" || {col} || " + _sql_str("' is not a month (YYYY-MM)"),
            )
        )
    elif column.kind == "year":
        checks.append(
            (
                f"{present} and not regexp_full_match({col}, '[0-9]{{4}}')",
                "year_format",
                _sql_str(f"{col} '") + f" || {col} || " + _sql_str("' is not a year (YYYY)"),
            )
        )
    elif column.kind in ("int", "decimal"):
        cast_type = "bigint" if column.kind == "int" else "double"
        checks.append(
            (
                f"{present} and try_cast({col} as {cast_type}) is null",
                "not_a_number",
                _sql_str(f"{col} '")
                + f" || {col} || "
                + _sql_str(f"' is not {'a whole number' if column.kind == 'int' else 'a number'}"),
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
                    _sql_str(f"{col} ")
                    + f" || {col} || "
                    + _sql_str(f" is out of range (must be {' and '.join(expected)})"),
                )
            )
    if column.codes is not None:
        codes = ", ".join(_sql_str(c) for c in column.codes)
        shown = ", ".join(column.codes)
        checks.append(
            (
                f"{present} and {col} not in ({codes})",
                "unknown_code",
                _sql_str(f"{col} '") + f" || {col} || " + _sql_str(f"' is not a valid code ({shown})"),
            )
        )
    if column.pattern is not None:
        checks.append(
            (
                f"{present} and not regexp_full_match({col}, {_sql_str(column.pattern.strip('^$'))})",
                "bad_format",
                _sql_str(f"{col} '")
                + f" || {col} || "
                + _sql_str(f"' does not match the format {column.pattern}"),
            )
        )
    if column.kind == "date" and column.name in _not_after_columns:
        checks.append(
            (
                f"{present} and try_strptime({col}, '%Y-%m-%d') > date '{month_end}'",
                "future_date",
                _sql_str(f"{col} ")
                + f" || {col} || "
                + _sql_str(f" is after the end of the return month ({month_end})"),
            )
        )
    return checks


_not_after_columns: set[str] = {c for t in PROVIDER_TABLES for c in t.date_columns_not_after_return}


def _month_end(month: str) -> str:
    year, mon = (int(x) for x in month.split("-"))
    nxt = datetime(year + (mon == 12), mon % 12 + 1, 1)
    return (nxt.date().fromordinal(nxt.date().toordinal() - 1)).isoformat()


def _validate(con: duckdb.DuckDBPyConnection, table: Table, temp: str, delivery: ReturnDelivery) -> str:
    """Build temp table ``_rej_<table>`` of (row_number, column_name, value, rule, reason)."""
    month_end = _month_end(delivery.return_month)
    parts = []
    for column in table.columns:
        for condition, rule, reason in _column_checks(column, month_end):
            parts.append(
                f"select _row_number as row_number, {_sql_str(column.name)} as column_name, "
                f"cast({column.name} as varchar) as value, {_sql_str(rule)} as rule, "
                f"{reason} as reason from {temp} where {condition}"
            )
    key = ", ".join(table.key)
    key_label = " + ".join(k for k in table.key if k != "provider_code")
    parts.append(
        f"""select _row_number, {_sql_str(table.key[-1])}, cast({table.key[-1]} as varchar),
                   'duplicate_key',
                   'duplicate key: {key_label} ' || {table.key[-1]} || ' already appears in row '
                   || first_row
            from (select *, min(_row_number) over (partition by {key}) as first_row from {temp}
                  where {" and ".join(f"{k} is not null" for k in table.key)})
            where _row_number > first_row"""
    )
    parts.extend(_row_rules(table, temp, delivery))
    rejected = f"_rej_{table.name}"
    con.execute(
        f"create or replace temp table {rejected} as "
        f"select * from ({' union all '.join(parts)}) order by row_number"
    )
    return rejected


def _row_rules(table: Table, temp: str, delivery: ReturnDelivery) -> list[str]:
    """Rules that compare columns or tables: impossible dates and orphan referrals."""
    rules = []
    date = "try_strptime({}, '%Y-%m-%d')"
    if table.name == "jobs":
        rules.append(
            f"""select _row_number, 'end_date', end_date, 'ends_before_start',
                   'job ends (' || end_date || ') before it starts (' || start_date || ')'
                from {temp} where {date.format("end_date")} < {date.format("start_date")}"""
        )
    if table.name == "referrals":
        for col in ("vocational_profile_date", "closure_date"):
            rules.append(
                f"""select _row_number, '{col}', {col}, 'before_referral',
                       '{col} (' || {col} || ') is before the referral_date (' || referral_date || ')'
                    from {temp} where {date.format(col)} < {date.format("referral_date")}"""
            )
    if table.references_referrals:
        # Known referrals: this return's valid ones win over the latest earlier current load.
        known = f"""(select referral_id,
                            arg_max(referral_date, priority) as referral_date
                     from (select referral_id, try_strptime(referral_date, '%Y-%m-%d') as referral_date,
                                  _return_month as priority
                           from provider_returns.referrals
                           where provider_code = {_sql_str(delivery.provider_code)}
                             and not _is_superseded
                           union all
                           select referral_id, try_strptime(referral_date, '%Y-%m-%d'), '9999-99'
                           from _in_referrals
                           where _row_number not in (select row_number from _rej_referrals))
                     group by referral_id)"""
        rules.append(
            f"""select _row_number, 'referral_id', referral_id, 'orphan_referral',
                   'referral_id ' || referral_id || ' is not in this or any earlier referrals return'
                from {temp} t
                where referral_id is not null
                  and not exists (select 1 from {known} k where k.referral_id = t.referral_id)"""
        )
        if table.name == "contacts":
            rules.append(
                f"""select t._row_number, 'contact_date', t.contact_date, 'before_referral',
                       'contact on ' || t.contact_date || ' is before its referral was received ('
                       || strftime(k.referral_date, '%Y-%m-%d') || ')'
                    from {temp} t join {known} k on k.referral_id = t.referral_id
                    where {date.format("t.contact_date")} < k.referral_date"""
            )
    return rules


def _supersede(con: duckdb.DuckDBPyConnection, previous: str, load_id: str) -> None:
    for table in PROVIDER_TABLES:
        con.execute(
            f"update provider_returns.{table.name} set _is_superseded = true where _load_id = ?",
            [previous],
        )
    con.execute(
        "update ingest.load_ledger set status = 'superseded', superseded_by = ? where load_id = ?",
        [load_id, previous],
    )


def _ledger(
    con: duckdb.DuckDBPyConnection,
    load_id: str,
    run_id: str,
    delivery: ReturnDelivery,
    rel_path: str,
    file_hash: str,
    result: LoadResult,
    loaded_at: datetime,
) -> None:
    con.execute(
        "insert into ingest.load_ledger values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, null)",
        [
            load_id,
            run_id,
            SOURCE,
            delivery.return_id,
            delivery.provider_code,
            delivery.return_month,
            rel_path,
            delivery.file_format,
            file_hash,
            result.status,
            result.rows_loaded,
            result.rows_rejected,
            result.message,
            loaded_at,
        ],
    )
