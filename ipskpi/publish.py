"""Write-audit-publish: copy the audited marts into a new file and swap it into place.

Steps:
1. Build ``published.<run>.tmp.duckdb`` beside the live file from the build
   database's ``marts`` schema plus the run-history tables. The file is written in
   DuckDB storage format ``v1.0.0`` (STORAGE_VERSION), which every DuckDB from v0.10.0
   on can open, so BI tools with an older embedded DuckDB can read it.
2. Export every published mart as Parquet and CSV into ``exports.<run>.tmp/`` from
   that same new file, so the exports and the database never disagree.
3. Keep the live file as a generation (hard link, so no copy) for rollback.
4. ``os.replace`` the new file over ``published.duckdb``: atomic on one filesystem,
   so a reader sees the old file or the new one, never a mixture; a reader that
   already has the old file open keeps its consistent view. Then swap the exports
   folder into place the same way (``exports`` is a symlink to ``exports-<run>/``,
   replaced atomically by ``os.replace``).
Nothing here runs unless the audit passed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from datetime import datetime
from pathlib import Path

import duckdb

from ipskpi import sql
from ipskpi.config import WarehouseLayout
from ipskpi.failpoints import failpoint

KEEP_GENERATIONS = 5
HISTORY_TABLES = ("refresh_runs", "audit_results", "load_summary")
# The on-disk format of published.duckdb: v1.0.0 is storage version 64, readable by
# DuckDB v0.10.0 and later (https://duckdb.org/docs/stable/internals/storage).
STORAGE_VERSION = "v1.0.0"
EXPORT_FORMATS = {"parquet": "(format parquet)", "csv": "(format csv, header true, delimiter ',')"}


def published_tables(build_db: Path) -> list[str]:
    """The mart tables (fct_/dim_) in a build database."""
    con = duckdb.connect(str(build_db), read_only=True)
    try:
        rows = con.execute(
            """select table_name from information_schema.tables
               where table_schema = 'marts' and (table_name like 'fct\\_%' escape '\\'
                     or table_name like 'dim\\_%' escape '\\')
               order by table_name"""
        ).fetchall()
    finally:
        con.close()
    return [r[0] for r in rows]


def publish(build_db: Path, raw_db: Path, layout: WarehouseLayout, run_id: str) -> Path:
    """Swap a new published database (and its exports) into place; returns its path."""
    _remove_leftovers(layout)
    tmp = layout.root / f"published.{run_id}.tmp.duckdb"
    exports_tmp = layout.root / f"exports.{run_id}.tmp"
    tables = published_tables(build_db)
    con = duckdb.connect()  # in memory: the published file is attached with an explicit format
    try:
        con.execute(sql.attach("pub", tmp, f"storage_version {sql.literal(STORAGE_VERSION)}"))
        con.execute(sql.attach("build", build_db, "read_only"))
        con.execute(sql.attach("raw", raw_db, "read_only"))
        for table in tables:
            con.execute(f"create table pub.main.{table} as select * from build.marts.{table}")
        for table in HISTORY_TABLES:
            con.execute(f"create table pub.main.{table} as select * from raw.ops.{table}")
        con.execute("detach build")
        con.execute("detach raw")
        con.execute("checkpoint pub")
        _write_exports(con, "pub", tables, exports_tmp)
        con.execute("detach pub")
    finally:
        con.close()
    _fsync(tmp)
    keep_generation(layout)
    failpoint("before_swap")
    os.replace(tmp, layout.published_db)
    _swap_exports(layout, exports_tmp, run_id)
    _fsync_dir(layout.root)
    prune_generations(layout)
    return layout.published_db


def exports_dir(layout: WarehouseLayout) -> Path:
    """``<warehouse>/exports/``: one ``<table>.parquet`` and ``<table>.csv`` per published mart."""
    return layout.root / "exports"


def _remove_leftovers(layout: WarehouseLayout) -> None:
    """Delete what a run killed mid-publish left behind (never the live file or folder)."""
    for leftover in layout.root.glob("published.*.tmp.duckdb*"):
        leftover.unlink(missing_ok=True)
    for leftover in layout.root.glob("exports.*.tmp"):
        shutil.rmtree(leftover, ignore_errors=True)
    live = exports_dir(layout)
    live_target = live.resolve() if live.is_symlink() else None
    for old in layout.root.glob("exports-*"):
        if old.is_dir() and old.resolve() != live_target:
            shutil.rmtree(old, ignore_errors=True)


def _write_exports(con: duckdb.DuckDBPyConnection, catalog: str, tables: list[str], folder: Path) -> None:
    """COPY each table to ``folder/<table>.parquet`` and ``.csv``."""
    folder.mkdir(parents=True, exist_ok=True)
    for table in tables:
        for extension, options in EXPORT_FORMATS.items():
            target = folder / f"{table}.{extension}"
            con.execute(f"copy (select * from {catalog}.main.{table}) to ? {options}", [str(target)])
            _fsync(target)
    _fsync_dir(folder)


def _swap_exports(layout: WarehouseLayout, exports_tmp: Path, run_id: str) -> None:
    """Put a finished exports folder in place: ``exports`` -> ``exports-<run>/``, replaced atomically.

    A reader resolves ``exports/<table>.parquet`` to the old folder or the new one, never
    a mixture. The previous folder is removed after the swap.
    """
    live = exports_dir(layout)
    final = layout.root / f"exports-{run_id}"
    os.replace(exports_tmp, final)
    previous = live.resolve() if live.is_symlink() else None
    if live.exists() and not live.is_symlink():  # a plain folder (older layout): move it aside
        aside = layout.root / f"exports-before-{run_id}"
        os.replace(live, aside)
        previous = aside
    link_tmp = layout.root / f"exports.{run_id}.link.tmp"
    link_tmp.unlink(missing_ok=True)
    os.symlink(final.name, link_tmp, target_is_directory=True)
    os.replace(link_tmp, live)
    if previous is not None and previous != final.resolve():
        shutil.rmtree(previous, ignore_errors=True)


def refresh_exports(layout: WarehouseLayout, run_id: str) -> Path:
    """Rewrite the exports from the live published file (after a rollback)."""
    exports_tmp = layout.root / f"exports.{run_id}.tmp"
    shutil.rmtree(exports_tmp, ignore_errors=True)
    con = duckdb.connect()
    try:
        con.execute(sql.attach("pub", layout.published_db, "read_only"))
        rows = con.execute(
            """select table_name from information_schema.tables
               where table_catalog = 'pub' and table_schema = 'main'
                 and (table_name like 'fct\\_%' escape '\\' or table_name like 'dim\\_%' escape '\\')
               order by table_name"""
        ).fetchall()
        _write_exports(con, "pub", [r[0] for r in rows], exports_tmp)
        con.execute("detach pub")
    finally:
        con.close()
    _swap_exports(layout, exports_tmp, run_id)
    return exports_dir(layout)


def keep_generation(layout: WarehouseLayout) -> Path | None:
    """Hard-link the live published file into generations/ before it is replaced."""
    live = layout.published_db
    if not live.exists():
        return None
    layout.generations_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.fromtimestamp(live.stat().st_mtime).strftime("%Y%m%dT%H%M%S%f")
    target = layout.generations_dir / f"published-{stamp}.duckdb"
    if not target.exists():
        try:
            os.link(live, target)
        except OSError:  # filesystems without hard links: copy instead
            shutil.copy2(live, target)
    return target


def prune_generations(layout: WarehouseLayout, keep: int = KEEP_GENERATIONS) -> None:
    for old in sorted(layout.generations_dir.glob("published-*.duckdb"))[:-keep]:
        old.unlink(missing_ok=True)


def generations(layout: WarehouseLayout) -> list[Path]:
    """Kept generations, newest first."""
    return sorted(layout.generations_dir.glob("published-*.duckdb"), reverse=True)


def rollback(layout: WarehouseLayout) -> Path:
    """Put the newest kept generation back as the published file (atomically)."""
    kept = generations(layout)
    if not kept:
        raise FileNotFoundError(f"no earlier generation kept in {layout.generations_dir}")
    newest = kept[0]
    tmp = layout.root / "published.rollback.tmp.duckdb"
    shutil.copy2(newest, tmp)
    _fsync(tmp)
    os.replace(tmp, layout.published_db)
    _fsync_dir(layout.root)
    newest.unlink()
    # The exports follow the database back, so the two never disagree.
    refresh_exports(layout, "rollback-" + datetime.now().strftime("%Y%m%dT%H%M%S%f"))
    return newest


def _fsync(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
