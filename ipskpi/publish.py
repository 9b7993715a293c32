"""Write-audit-publish: copy the audited marts into a new file and swap it into place.

Steps:
1. Build ``published.<run>.tmp.duckdb`` beside the live file from the build
   database's ``marts`` schema plus the run-history tables.
2. Keep the live file as a generation (hard link, so no copy) for rollback.
3. ``os.replace`` the new file over ``published.duckdb``: atomic on one filesystem,
   so a reader sees the old file or the new one, never a mixture; a reader that
   already has the old file open keeps its consistent view.
Nothing here runs unless the audit passed.
"""

from __future__ import annotations

import contextlib
import os
from datetime import datetime
from pathlib import Path

import duckdb

from ipskpi.config import WarehouseLayout
from ipskpi.failpoints import failpoint

KEEP_GENERATIONS = 5
HISTORY_TABLES = ("refresh_runs", "audit_results", "load_summary")


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
    """Swap a new published database into place; returns its path."""
    for leftover in layout.root.glob("published.*.tmp.duckdb*"):  # from a run killed mid-publish
        leftover.unlink(missing_ok=True)
    tmp = layout.root / f"published.{run_id}.tmp.duckdb"
    tables = published_tables(build_db)
    con = duckdb.connect(str(tmp))
    try:
        con.execute(f"attach '{build_db}' as build (read_only)")
        con.execute(f"attach '{raw_db}' as raw (read_only)")
        for table in tables:
            con.execute(f"create table main.{table} as select * from build.marts.{table}")
        for table in HISTORY_TABLES:
            con.execute(f"create table main.{table} as select * from raw.ops.{table}")
        con.execute("detach build")
        con.execute("detach raw")
        con.execute("checkpoint")
    finally:
        con.close()
    _fsync(tmp)
    keep_generation(layout)
    failpoint("before_swap")
    os.replace(tmp, layout.published_db)
    _fsync_dir(layout.root)
    prune_generations(layout)
    return layout.published_db


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
            import shutil

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
    import shutil

    shutil.copy2(newest, tmp)
    _fsync(tmp)
    os.replace(tmp, layout.published_db)
    _fsync_dir(layout.root)
    newest.unlink()
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
