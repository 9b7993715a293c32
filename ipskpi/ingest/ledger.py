"""The raw database's bookkeeping tables: the load ledger, rejected rows, file warnings.

Every file the pipeline looks at gets a ledger row (loaded, refused, superseded or
skipped because the same bytes were loaded before); every row that breaks the
contract is kept with its file, row number, column, value and a plain-English
reason. Nothing is dropped silently.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb

LEDGER_DDL = """
create schema if not exists ingest;
create table if not exists ingest.load_ledger (
    load_id varchar primary key,
    run_id varchar not null,
    source varchar not null,
    return_id varchar not null,
    provider_code varchar,
    return_month varchar,
    file_path varchar not null,
    file_format varchar not null,
    file_hash varchar not null,
    status varchar not null,
    rows_loaded bigint not null,
    rows_rejected bigint not null,
    message varchar,
    loaded_at timestamp not null,
    superseded_by varchar
);
create table if not exists ingest.rejected_rows (
    load_id varchar not null,
    run_id varchar not null,
    source varchar not null,
    file_path varchar not null,
    table_name varchar not null,
    row_number bigint,
    column_name varchar,
    value varchar,
    rule varchar not null,
    reason varchar not null,
    loaded_at timestamp not null
);
create table if not exists ingest.file_warnings (
    load_id varchar not null,
    run_id varchar not null,
    file_path varchar not null,
    table_name varchar,
    column_name varchar,
    rule varchar not null,
    message varchar not null,
    loaded_at timestamp not null
);
"""


def ensure_ledger(con: duckdb.DuckDBPyConnection) -> None:
    """Create the bookkeeping tables if this raw database is new."""
    con.execute(LEDGER_DDL)


def hash_paths(paths: list[Path]) -> str:
    """SHA-256 over the names and bytes of one delivery (a file, or a folder's files in order)."""
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(path.name.encode())
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


def already_loaded(con: duckdb.DuckDBPyConnection, return_id: str, file_hash: str) -> str | None:
    """The load_id of an earlier load of exactly these bytes for this return, if any."""
    row = con.execute(
        """
        select load_id from ingest.load_ledger
        where return_id = ? and file_hash = ? and status in ('loaded', 'superseded', 'refused')
        order by loaded_at desc limit 1
        """,
        [return_id, file_hash],
    ).fetchone()
    return row[0] if row else None


def current_load(con: duckdb.DuckDBPyConnection, return_id: str) -> str | None:
    """The load_id currently standing for a return (the one not superseded)."""
    row = con.execute(
        "select load_id from ingest.load_ledger where return_id = ? and status = 'loaded'",
        [return_id],
    ).fetchone()
    return row[0] if row else None
