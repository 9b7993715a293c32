"""The raw database's bookkeeping tables: the load ledger, rejected rows, file warnings.

Every file the pipeline looks at gets a ledger row (loaded, refused, superseded or
skipped because the same bytes were loaded before); every row that breaks the
contract is kept with its file, row number, column, value and a plain-English
reason. Nothing is dropped silently.

A delivery's hash is SHA-256 over its files' names and bytes. Reading every byte of a
national landing each night costs seconds, so :class:`HashCache` keeps the hash of each
delivery with what ``stat`` said of its files (path, size, modification and change
times, inode) when it was read, and reads the bytes again only when one of those has
changed. The change time (``ctime``) is set by the kernel on every write and cannot be
set back by a copy tool the way a modification time can, so a file rewritten with its
old size and modification time is still read again.
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
create table if not exists ingest.file_hash_cache (
    stat_key varchar primary key,
    file_hash varchar not null,
    recorded_at timestamp not null
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


def stat_key(paths: list[Path]) -> str:
    """What ``stat`` says of a delivery's files, as one key: changes whenever a file may have."""
    digest = hashlib.sha256()
    for path in sorted(paths):
        info = path.stat()
        fields = (str(path), info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino)
        digest.update("\x1f".join(str(field) for field in fields).encode() + b"\x1e")
    return digest.hexdigest()


class HashCache:
    """Delivery hashes by :func:`stat_key`, read once from ``ingest.file_hash_cache``.

    ``hash`` returns the stored hash when the files' ``stat`` is unchanged and reads the
    bytes otherwise (counted in ``files_read``); ``write`` stores the new hashes (call it
    inside the transaction that records the deliveries). A hash is stored only when the
    files' ``stat`` was the same before and after reading them, so a file still being
    written is read again next time.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        rows = con.execute("select stat_key, file_hash from ingest.file_hash_cache").fetchall()
        self.known: dict[str, str] = dict(rows)
        self.new: dict[str, str] = {}
        self.reused = 0
        self.read = 0

    def hash(self, paths: list[Path]) -> str:
        key = stat_key(paths)
        known = self.known.get(key) or self.new.get(key)
        if known is not None:
            self.reused += 1
            return known
        self.read += 1
        digest = hash_paths(paths)
        if stat_key(paths) == key:
            self.new[key] = digest
        return digest

    def write(self, con: duckdb.DuckDBPyConnection) -> None:
        """Store the hashes read since the last write (bound parameters, 500 rows a statement)."""
        items = list(self.new.items())
        for start in range(0, len(items), 500):
            chunk = items[start : start + 500]
            values = ", ".join(["(?, ?, current_timestamp)"] * len(chunk))
            con.execute(
                f"insert or replace into ingest.file_hash_cache values {values}",
                [value for item in chunk for value in item],
            )
        self.known.update(self.new)
        self.new = {}


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
