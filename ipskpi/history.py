"""Run history: every refresh, its audit results and what it loaded, as queryable tables.

Kept in the raw database's ``ops`` schema (which survives failed nights) and
copied into each restricted database (``restricted/restricted.duckdb``), so a
restricted dashboard can chart the gate's decisions and data quality over time. No
row-level values, but audit results name providers and rows and the load summary
names files, so the tables are never put in the public tree.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING

import duckdb

from ipskpi.sql import ident

if TYPE_CHECKING:
    from ipskpi.audit import AuditResult

HISTORY_DDL = """
create schema if not exists ops;
create table if not exists ops.refresh_runs (
    run_id varchar primary key,
    started_at timestamp not null,
    finished_at timestamp,
    status varchar not null,
    returns_loaded integer,
    returns_refused integer,
    returns_skipped integer,
    rows_loaded bigint,
    rows_rejected bigint,
    kpi_rows_published bigint,
    audit_errors integer,
    audit_warnings integer,
    message varchar
);
create table if not exists ops.audit_results (
    run_id varchar not null,
    suite varchar not null,
    expectation varchar not null,
    column_name varchar,
    severity varchar not null,
    success boolean not null,
    unexpected_count bigint,
    description varchar,
    expectation_kwargs varchar,
    sample_unexpected varchar
);
create table if not exists ops.load_summary (
    run_id varchar not null,
    source varchar not null,
    return_id varchar not null,
    file_path varchar not null,
    status varchar not null,
    rows_loaded bigint,
    rows_rejected bigint,
    message varchar
);
alter table ops.load_summary add column if not exists warnings varchar;
"""


def ensure_history(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(HISTORY_DDL)


def start_run(con: duckdb.DuckDBPyConnection, run_id: str, started_at: datetime) -> None:
    ensure_history(con)
    con.execute(
        "insert into ops.refresh_runs (run_id, started_at, status) values (?, ?, 'running')",
        [run_id, started_at],
    )


def finish_run(con: duckdb.DuckDBPyConnection, run_id: str, **fields: object) -> None:
    ensure_history(con)
    fields.setdefault("finished_at", datetime.now())
    assignments = ", ".join(f"{ident(k)} = ?" for k in fields)
    con.execute(f"update ops.refresh_runs set {assignments} where run_id = ?", [*fields.values(), run_id])


def record_loads(con: duckdb.DuckDBPyConnection, run_id: str, results: list) -> None:
    ensure_history(con)
    for r in results:
        con.execute(
            """insert into ops.load_summary (run_id, source, return_id, file_path, status, rows_loaded,
               rows_rejected, message, warnings) values (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [
                run_id,
                r.source,
                r.return_id,
                r.file_path,
                r.status,
                r.rows_loaded,
                r.rows_rejected,
                r.message,
                "; ".join(r.warnings) or None,
            ],
        )


def record_audit(con: duckdb.DuckDBPyConnection, run_id: str, audit: AuditResult) -> None:
    ensure_history(con)
    for o in audit.outcomes:
        con.execute(
            "insert into ops.audit_results values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                run_id,
                o.suite,
                o.expectation,
                o.column,
                o.severity,
                o.success,
                o.unexpected_count,
                o.description,
                json.dumps(o.kwargs, default=str),
                json.dumps(o.unexpected_rows[:5], default=str),
            ],
        )
