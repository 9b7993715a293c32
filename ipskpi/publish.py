"""Write-audit-publish: two published trees, one for anyone and one restricted, swapped together.

Steps:
1. Stage a new generation in ``generations/<run>.tmp/`` from the build database's
   ``marts`` schema:
   - ``public/public.duckdb``: only the public tables (``PUBLIC_TABLES``: the disclosure-
     controlled scorecard and the dimensions), and ``public/exports/`` (Parquet and CSV of
     each), the commissioner reports (``public/reports/``) and dbt docs that describe
     only the public models (``public/docs/index.html``);
   - ``restricted/restricted.duckdb``: every fct_/dim_ mart (exact counts) plus the run
     history (``HISTORY_TABLES``: audit results name providers and rows, the load summary
     names files) and the audit's record of its differencing check (schema
     ``disclosure_check``: facts from true values, read by the next night's audit),
     ``restricted/exports/`` and the full dbt docs.
   Both databases are written in DuckDB storage format ``v1.0.0`` (STORAGE_VERSION), which
   every DuckDB from v0.10.0 on opens, so BI tools with an older embedded DuckDB read them.
   The exports are written from those same files, so exports and database never disagree.
2. Give every staged file the modes of its audience (``ipskpi.permissions``), fsync.
3. Rename the stage to ``generations/<run>/`` and swap ``current`` (a symlink to the
   published generation; ``public`` and ``restricted`` are symlinks into ``current``) with
   one ``os.replace``: atomic on one filesystem, so a reader sees the old trees or the new
   ones, never a mixture, and never a public tree of one run beside a restricted tree of
   another. A reader that already has a file open keeps its consistent view.
4. Keep the previous generations (``KEEP_GENERATIONS``) for ``rollback``, which swaps
   ``current`` back the same way.
No path or value is formatted into SQL: ``copy ... to ?`` takes a bind parameter, and
``attach`` (which cannot) and table names go through ``ipskpi.sql``.
Nothing here runs unless the audit passed.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from ipskpi.config import WarehouseLayout
from ipskpi.disclosure import AUDIT_SCHEMA
from ipskpi.failpoints import failpoint
from ipskpi.permissions import PASS_THROUGH, Modes, modes, secure, secure_release, secure_warehouse
from ipskpi.sql import ident as identifier
from ipskpi.sql import literal

KEEP_GENERATIONS = 5
# What anyone may see (README, "Who may read what"); every other mart is restricted.
PUBLIC_TABLES = (
    "fct_kpi_scorecard_public",
    "dim_kpis",
    "dim_providers",
    "dim_organisations",
    "dim_periods",
    "fct_ips_access_triangulation_public",
)
HISTORY_TABLES = ("refresh_runs", "audit_results", "load_summary")  # restricted
PUBLIC, RESTRICTED = "public", "restricted"
PUBLIC_DB, RESTRICTED_DB = "public.duckdb", "restricted.duckdb"
RELEASE_INFO = "published.json"
# The on-disk format of the published files: v1.0.0 is storage version 64, readable by
# DuckDB v0.10.0 and later (https://duckdb.org/docs/stable/internals/storage).
STORAGE_VERSION = "v1.0.0"
EXPORT_FORMATS = {"parquet": "(format parquet)", "csv": "(format csv, header true, delimiter ',')"}


@dataclass
class Publication:
    """What one publish wrote."""

    run_id: str
    release: Path
    public_tables: list[str]
    restricted_tables: list[str]
    reports: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    modes: Modes | None = None


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


def publish(
    build_db: Path, raw_db: Path, layout: WarehouseLayout, run_id: str, dbt_target: Path | None = None
) -> Publication:
    """Stage both trees of a new generation and swap them in together; returns what was written.

    ``dbt_target`` is the run's dbt target folder after ``dbt docs generate --static``: its
    docs are published (in full to the restricted tree, filtered to the public models in
    the public tree). Missing docs or a failed report never stop publishing; ``notes`` say so.
    """
    layout.check_path()
    _remove_leftovers(layout)
    layout.generations_dir.mkdir(parents=True, exist_ok=True)
    stage = layout.generations_dir / f"{run_id}.tmp"
    public, restricted = stage / PUBLIC, stage / RESTRICTED
    for folder in (public / "exports", restricted / "exports"):
        folder.mkdir(parents=True)
    tables = published_tables(build_db)
    public_tables = [t for t in PUBLIC_TABLES if t in tables]
    result = Publication(
        run_id, layout.generations_dir / run_id, public_tables, tables + list(HISTORY_TABLES)
    )
    con = duckdb.connect()  # in memory: the published files are attached with an explicit format
    try:
        version = f"(storage_version {literal(STORAGE_VERSION)})"
        con.execute(f"attach {literal(public / PUBLIC_DB)} as pub {version}")
        con.execute(f"attach {literal(restricted / RESTRICTED_DB)} as res {version}")
        con.execute(f"attach {literal(build_db)} as build (read_only)")
        con.execute(f"attach {literal(raw_db)} as raw (read_only)")
        for table in tables:
            _copy_table(con, f"build.marts.{identifier(table)}", "res", table)
        for table in public_tables:
            _copy_table(con, f"build.marts.{identifier(table)}", "pub", table)
        for table in HISTORY_TABLES:
            _copy_table(con, f"raw.ops.{identifier(table)}", "res", table)
        result.restricted_tables += _copy_audit_tables(con)
        con.execute("detach build")
        con.execute("detach raw")
        for catalog in ("pub", "res"):
            con.execute(f"checkpoint {catalog}")
        _write_exports(con, "pub", public_tables, public / "exports")
        _write_exports(con, "res", tables, restricted / "exports")
        con.execute("detach pub")
        con.execute("detach res")
    finally:
        con.close()
    if dbt_target is not None:
        result.notes += _write_docs(dbt_target, public / "docs", restricted / "docs", public_tables)
    result.reports, note = _write_reports(public)
    result.notes += note
    info = {"run_id": run_id, "published_at": datetime.now(UTC).isoformat(timespec="microseconds")}
    (stage / RELEASE_INFO).write_text(json.dumps(info) + "\n")
    result.modes = modes()
    secure_release(stage, result.modes)
    for folder in (layout.root, layout.generations_dir):  # the way through to public/
        secure(folder, PASS_THROUGH, result.modes)
    _fsync_tree(stage)
    failpoint("before_swap")
    os.replace(stage, result.release)
    result.reports = [result.release / path.relative_to(stage) for path in result.reports]
    _fsync_dir(layout.generations_dir)
    _point_current(layout, result.release)
    prune_generations(layout)
    return result


def _copy_table(con: duckdb.DuckDBPyConnection, source: str, catalog: str, table: str) -> None:
    con.execute(f"create table {catalog}.main.{identifier(table)} as select * from {source}")


def _copy_audit_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Copy the audit's record of its differencing check (``build.disclosure_check``) into the
    restricted database: the next night's check reads it (ipskpi.disclosure.check_in_proportion).
    Restricted only: the facts derive from true values."""
    tables = [
        row[0]
        for row in con.execute(
            "select table_name from duckdb_tables() where database_name = 'build' and schema_name = ? "
            "order by table_name",
            [AUDIT_SCHEMA],
        ).fetchall()
    ]
    if tables:
        con.execute(f"create schema res.{identifier(AUDIT_SCHEMA)}")
    for table in tables:
        source = f"build.{identifier(AUDIT_SCHEMA)}.{identifier(table)}"
        con.execute(
            f"create table res.{identifier(AUDIT_SCHEMA)}.{identifier(table)} as select * from {source}"
        )
    return [f"{AUDIT_SCHEMA}.{table}" for table in tables]


def _write_exports(con: duckdb.DuckDBPyConnection, catalog: str, tables: list[str], folder: Path) -> None:
    """COPY each table to ``folder/<table>.parquet`` and ``.csv`` (the path is a bind parameter)."""
    folder.mkdir(parents=True, exist_ok=True)
    for table in tables:
        for extension, options in EXPORT_FORMATS.items():
            target = folder / f"{table}.{extension}"
            con.execute(
                f"copy (select * from {catalog}.main.{identifier(table)}) to ? {options}", [str(target)]
            )


def _write_reports(public: Path) -> tuple[list[Path], list[str]]:
    """The commissioner reports, from the staged public database only."""
    from ipskpi.report import build_reports

    try:
        return build_reports(public / PUBLIC_DB, public / "reports"), []
    except Exception as exc:  # the data is published; a report failure must not hide that
        return [], [f"commissioner reports could not be built: {exc}"]


def _write_docs(
    dbt_target: Path, public_docs: Path, restricted_docs: Path, public_tables: list[str]
) -> list[str]:
    """Full dbt docs to the restricted tree; docs of the public models only to the public tree."""
    from ipskpi.public_docs import public_static_docs

    static = dbt_target / "static_index.html"
    if not static.exists():
        return ["dbt docs could not be published: no static_index.html in the run's dbt target"]
    notes = []
    restricted_docs.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(static, restricted_docs / "index.html")
    try:
        html = public_static_docs(dbt_target, public_tables)
    except (OSError, ValueError, KeyError) as exc:
        notes.append(f"public dbt docs could not be written: {exc}")
    else:
        public_docs.mkdir(parents=True, exist_ok=True)
        (public_docs / "index.html").write_text(html, encoding="utf-8")
    return notes


def _point_current(layout: WarehouseLayout, release: Path) -> None:
    """Swap ``current`` to ``release`` atomically; make sure ``public`` and ``restricted`` point into it."""
    link_tmp = layout.root / f"current.{release.name}.link.tmp"
    link_tmp.unlink(missing_ok=True)
    os.symlink(os.path.join(layout.generations_dir.name, release.name), link_tmp, target_is_directory=True)
    os.replace(link_tmp, layout.current_link)
    for name in (PUBLIC, RESTRICTED):
        live = layout.root / name
        wanted = os.path.join(layout.current_link.name, name)
        if live.is_symlink() and os.readlink(live) == wanted:
            continue
        tmp = layout.root / f"{name}.link.tmp"
        tmp.unlink(missing_ok=True)
        os.symlink(wanted, tmp, target_is_directory=True)
        os.replace(tmp, live)  # a plain file or an empty folder of that name would be replaced
    _fsync_dir(layout.root)


def current_release(layout: WarehouseLayout) -> Path | None:
    """The published generation (``current``'s target), or None before the first publish."""
    link = layout.current_link
    if not link.is_symlink():
        return None
    target = layout.root / os.readlink(link)
    return target if target.is_dir() else None


def _releases(layout: WarehouseLayout) -> list[Path]:
    """Every complete generation, oldest first (by when it was published)."""
    found = []
    if not layout.generations_dir.is_dir():
        return found
    for release in layout.generations_dir.iterdir():
        info = release / RELEASE_INFO
        if release.name.endswith(".tmp") or release.is_symlink() or not info.is_file():
            continue
        try:
            published_at = json.loads(info.read_text())["published_at"]
        except (OSError, ValueError, KeyError):
            continue
        found.append((published_at, release.name, release))
    return [r for _, _, r in sorted(found)]


def generations(layout: WarehouseLayout) -> list[Path]:
    """Kept earlier generations (not the published one), newest first."""
    live = current_release(layout)
    return [r for r in reversed(_releases(layout)) if r != live]


def prune_generations(layout: WarehouseLayout, keep: int = KEEP_GENERATIONS) -> None:
    """Keep the published generation and the ``keep`` before it."""
    for old in generations(layout)[keep:]:
        shutil.rmtree(old, ignore_errors=True)


def rollback(layout: WarehouseLayout) -> Path:
    """Put the newest kept generation back (one atomic swap of ``current``); returns it.

    The generation rolled back from is deleted, so a second rollback goes one further back.
    """
    kept = generations(layout)
    if not kept:
        raise FileNotFoundError(f"no earlier generation kept in {layout.generations_dir}")
    newest, abandoned = kept[0], current_release(layout)
    _point_current(layout, newest)
    if abandoned is not None:
        shutil.rmtree(abandoned, ignore_errors=True)
    secure_warehouse(layout)
    return newest


def _remove_leftovers(layout: WarehouseLayout) -> None:
    """Delete what a run killed mid-publish left behind (never a published generation)."""
    for leftover in layout.generations_dir.glob("*.tmp"):
        shutil.rmtree(leftover, ignore_errors=True)
    for leftover in layout.root.glob("*.link.tmp"):
        leftover.unlink(missing_ok=True)


def _fsync_tree(root: Path) -> None:
    for folder, _, files in os.walk(root):
        for name in files:
            with open(Path(folder) / name, "rb") as handle:
                os.fsync(handle.fileno())
        _fsync_dir(Path(folder))


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
