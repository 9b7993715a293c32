"""Load the public extracts and commissioner returns from the landing folder into the raw layer.

Steps for each file in ``nomis_aps/``, ``dwp_esa/``, ``cqc_cmh_survey/``, ``mhsds/`` and
``commissioner_returns/`` (layouts in ../shared/spec/public-sources.md), and for each member
of a ``.zip`` there (read from a temporary folder, :mod:`ipskpi.ingest.archives`):
1. Hash its bytes; the same bytes loaded before change nothing (ledger status ``skipped``).
2. Stage it set-based in DuckDB (:mod:`ipskpi.ingest.public`): recognise the layout,
   normalise it to the raw table's long shape, and list every value that breaks a layout rule.
   A file whose structure cannot be read is refused whole; the other files still load.
3. Within the file, a second row with the same key (the raw table's grain) is rejected.
4. Insert the good rows with lineage (``_load_id, _source_file, _file_hash, _row_number,
   _loaded_at, _is_superseded``); rejected values go to ``ingest.rejected_rows`` with the file,
   row, column, value and a plain-English reason; notes to ``ingest.file_warnings``.
5. Latest wins: a changed file with the same name supersedes its earlier load in full, and
   rows of other, earlier files with the same key are superseded too (a re-fetched NOMIS
   extract replaces the overlapping observations of an older one). History stays in raw,
   flagged ``_is_superseded``; a load with no current rows left is ``superseded`` in the ledger.
Every write of one file happens in one transaction: a crash leaves no half file.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from ipskpi.config import PROJECT_DIR
from ipskpi.ingest.archives import archive_members
from ipskpi.ingest.landing import Entry, record_entries, rel, walk_public_folder
from ipskpi.ingest.ledger import HashCache, ensure_ledger, hash_paths
from ipskpi.ingest.provider_returns import LoadResult
from ipskpi.ingest.public import PUBLIC_TABLES, SOURCES
from ipskpi.ingest.public.common import REJECTED, ROWS, Context, RawTable, Staged
from ipskpi.ingest.readers import StructureError
from ipskpi.sql import create_shown_macro, ident, literal, shown

PUBLIC_SOURCES = tuple(SOURCES)
DEFAULT_SEEDS_DIR = PROJECT_DIR / "seeds"


def ensure_public_raw_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the ledger and every public raw table (empty tables too, so staging always builds)."""
    ensure_ledger(con)
    create_shown_macro(con)
    for table in PUBLIC_TABLES:
        con.execute(f"create schema if not exists {table.source}")
        con.execute(table.ddl())


def load_public_sources(
    con: duckdb.DuckDBPyConnection,
    landing: Path,
    run_id: str,
    seeds_dir: Path | None = None,
) -> list[LoadResult]:
    """Load every file of the five public-source folders in ``landing``; one bad file never stops the rest.

    The walk (:func:`ipskpi.ingest.landing.walk_public_folder`) comes first: links, sub-folders
    and hidden or partial files get their own ledger rows and are never read. A ``.zip`` is
    read member by member (:mod:`ipskpi.ingest.archives`), each member a ledger entry.
    """
    ensure_public_raw_tables(con)
    ctx = Context(seeds_dir or DEFAULT_SEEDS_DIR)
    hashes = HashCache(con)
    root = landing.resolve()
    results: list[LoadResult] = []
    for source in SOURCES:
        walk = walk_public_folder(root / source, root, source)
        for path in walk.deliveries:
            if path.suffix.lower() == ".zip":
                results.extend(load_public_zip(con, source, path, run_id, root, ctx))
            else:
                results.append(load_public_file(con, source, path, run_id, root, ctx, hashes=hashes))
        results.extend(record_entries(con, walk.entries, run_id))
    return results


def load_public_zip(
    con: duckdb.DuckDBPyConnection, source: str, path: Path, run_id: str, root: Path, ctx: Context
) -> list[LoadResult]:
    """Load every member of a zipped download as a file of its own (``<zip>/<member>``)."""
    results: list[LoadResult] = []
    archive_rel = rel(path, root)
    with archive_members(path) as archive:
        if archive.error:
            return record_entries(
                con, [Entry(source, path.name, archive_rel, "refused", archive.error)], run_id
            )
        for member in archive.members:
            name = f"{path.name}/{member.name}"
            if member.error:
                entry = Entry(source, name, f"{archive_rel}/{member.name}", "refused", member.error)
                results.extend(record_entries(con, [entry], run_id))
                continue
            assert member.path is not None
            results.append(
                load_public_file(
                    con,
                    source,
                    member.path,
                    run_id,
                    root,
                    ctx,
                    name=name,
                    rel_path=f"{archive_rel}/{member.name}",
                )
            )
    return results


def load_public_file(
    con: duckdb.DuckDBPyConnection,
    source: str,
    path: Path,
    run_id: str,
    landing: Path,
    ctx: Context,
    name: str | None = None,
    rel_path: str | None = None,
    hashes: HashCache | None = None,
) -> LoadResult:
    """Load one file in a single transaction and record it in the ledger.

    ``name`` and ``rel_path`` name a file extracted from a zip (``<zip>/<member>``);
    by default the file's own name and its path in the landing. ``hashes`` reuses the
    hash of a file whose ``stat`` is unchanged (not passed for a zip's members, which are
    extracted afresh each time).
    """
    table, stager, extensions = SOURCES[source]
    name = name or path.name
    rel_path = rel_path or _relative(path, landing)
    if hashes is None:
        file_hash = hash_paths([path])
    else:
        file_hash = hashes.hash([path])
        hashes.write(con)
    if _already_loaded(con, source, name, file_hash):
        return LoadResult(name, rel_path, "skipped", message="same bytes loaded before", source=source)

    load_id = uuid.uuid4().hex
    loaded_at = datetime.now(UTC).replace(tzinfo=None)
    file_format = path.suffix.lower().lstrip(".") or "unknown"
    con.execute("begin transaction")
    try:
        if path.suffix.lower() not in extensions:
            raise StructureError(
                f"{path.name}: {source} files are read from {', '.join(extensions)} files only"
            )
        staged = stager(con, path, ctx)
        file_format = staged.file_format
        result = _insert(con, staged, source, load_id, run_id, rel_path, file_hash, loaded_at)
        result.return_id = name
        previous = _current_load(con, source, name)
        if previous:
            _supersede_load(con, table, previous, load_id)
            result.message = _join(result.message, "changed file: replaces the earlier load of this name")
        overlapped = _supersede_overlaps(con, table, load_id)
        if overlapped:
            result.message = _join(result.message, f"replaces {overlapped} row(s) of earlier files")
        _ledger(con, load_id, run_id, source, name, rel_path, file_format, file_hash, result, loaded_at)
        con.execute("commit")
        return result
    except StructureError as exc:
        con.execute("rollback")
        result = LoadResult(name, rel_path, "refused", message=str(exc), source=source)
        con.execute("begin transaction")
        _ledger(con, load_id, run_id, source, name, rel_path, file_format, file_hash, result, loaded_at)
        con.execute(
            """insert into ingest.rejected_rows values (?, ?, ?, ?, ?, null, null, null,
               'return_refused', ?, ?)""",
            [load_id, run_id, source, rel_path, table.name, str(exc), loaded_at],
        )
        con.execute("commit")
        return result
    except BaseException:
        con.execute("rollback")
        raise


def _join(first: str, second: str) -> str:
    return f"{first}; {second}" if first else second


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


def _already_loaded(con: duckdb.DuckDBPyConnection, source: str, name: str, file_hash: str) -> bool:
    row = con.execute(
        """
        select 1 from ingest.load_ledger
        where source = ? and return_id = ? and file_hash = ?
          and status in ('loaded', 'superseded', 'refused')
        limit 1
        """,
        [source, name, file_hash],
    ).fetchone()
    return row is not None


def _current_load(con: duckdb.DuckDBPyConnection, source: str, name: str) -> str | None:
    """The earlier load standing for a file of this name (excluding the one being written)."""
    row = con.execute(
        """
        select load_id from ingest.load_ledger
        where source = ? and return_id = ? and status = 'loaded'
        order by loaded_at desc limit 1
        """,
        [source, name],
    ).fetchone()
    return row[0] if row else None


def _insert(
    con: duckdb.DuckDBPyConnection,
    staged: Staged,
    source: str,
    load_id: str,
    run_id: str,
    rel_path: str,
    file_hash: str,
    loaded_at: datetime,
) -> LoadResult:
    """Reject in-file duplicates of the key, write rejections and warnings, insert the rest."""
    table = staged.table
    _reject_duplicate_keys(con, table)
    con.execute(
        f"""
        insert into ingest.rejected_rows
        select ?, ?, ?, ?, ?, row_number, column_name, {shown("value")}, rule,
               ? || ' row ' || row_number || ': ' || {shown("reason", 1000)}, ?
        from {REJECTED}
        order by row_number, item, column_name
        """,
        [load_id, run_id, source, rel_path, table.name, staged.source_file, loaded_at],
    )
    for column, rule, message in staged.warnings:
        con.execute(
            "insert into ingest.file_warnings values (?, ?, ?, ?, ?, ?, ?, ?)",
            [load_id, run_id, rel_path, table.name, column, rule, message, loaded_at],
        )
    columns = ", ".join(table.column_names)
    inserted = con.execute(
        f"""
        insert into {table.qualified}
        select {columns}, ?, ?, ?, _row_number, ?, false
        from {ROWS} r
        where not exists (
            select 1 from {REJECTED} j
            where j.row_number = r._row_number and (j.item is null or j.item = r._item)
        )
        order by _row_number, _item
        """,
        [load_id, staged.source_file, file_hash, loaded_at],
    ).fetchone()
    result = LoadResult("", rel_path, "loaded", source=source)
    result.rows_loaded = inserted[0] if inserted else 0
    result.rows_rejected = con.execute(
        f"select count(*) from {ROWS} r where exists (select 1 from {REJECTED} j "
        "where j.row_number = r._row_number and (j.item is null or j.item = r._item))"
    ).fetchone()[0]
    # A file row rejected before it became any raw row (e.g. a wide row with no values) still counts.
    result.rows_rejected += con.execute(
        f"select count(distinct row_number) from {REJECTED} j where not exists "
        f"(select 1 from {ROWS} r where r._row_number = j.row_number)"
    ).fetchone()[0]
    for rule, n_rows in con.execute(
        f"select rule, count(distinct (row_number, item)) from {REJECTED} group by rule order by rule"
    ).fetchall():
        result.rejected_by_rule[f"{table.name}.{rule}"] = n_rows
    result.message = "; ".join(staged.notes)
    result.warnings = [message for _, _, message in staged.warnings]
    if result.rows_loaded == 0:
        result.warnings.append(
            "no row of this file was used (0 rows loaded"
            + (f", {result.rows_rejected} rejected)" if result.rows_rejected else ")")
        )
    return result


def _reject_duplicate_keys(con: duckdb.DuckDBPyConnection, table: RawTable) -> None:
    """A later row of the file with the same key as an earlier (good) row is rejected."""
    key = ", ".join(ident(k) for k in table.key)
    last = table.key[-1]
    label = " + ".join(table.key)
    con.execute(
        f"""
        insert into {REJECTED}
        select _row_number, _item, {literal(last)}, cast({ident(last)} as varchar), 'duplicate_key',
               'duplicate key: {label} already appears in row ' || first_row
        from (
            select *,
                   row_number() over (partition by {key} order by _row_number, _item) as nth,
                   first_value(_row_number) over (partition by {key} order by _row_number, _item)
                       as first_row
            from {ROWS} r
            where not exists (
                select 1 from {REJECTED} j
                where j.row_number = r._row_number and (j.item is null or j.item = r._item)
            )
        )
        where nth > 1
        """
    )


def _supersede_load(con: duckdb.DuckDBPyConnection, table: RawTable, previous: str, load_id: str) -> None:
    con.execute(f"update {table.qualified} set _is_superseded = true where _load_id = ?", [previous])
    con.execute(
        "update ingest.load_ledger set status = 'superseded', superseded_by = ? where load_id = ?",
        [load_id, previous],
    )


def _supersede_overlaps(con: duckdb.DuckDBPyConnection, table: RawTable, load_id: str) -> int:
    """Flag current rows of other loads whose key this load now carries; retire emptied loads."""
    match = " and ".join(f"n.{ident(k)} is not distinct from t.{ident(k)}" for k in table.key)
    touched = [
        r[0]
        for r in con.execute(
            f"""
            select distinct t._load_id from {table.qualified} t
            where not t._is_superseded and t._load_id <> ?
              and exists (select 1 from {table.qualified} n where n._load_id = ? and {match})
            """,
            [load_id, load_id],
        ).fetchall()
    ]
    if not touched:
        return 0
    updated = con.execute(
        f"""
        update {table.qualified} t set _is_superseded = true
        where not t._is_superseded and t._load_id <> ?
          and exists (select 1 from {table.qualified} n where n._load_id = ? and {match})
        """,
        [load_id, load_id],
    ).fetchone()
    for previous in touched:
        remaining = con.execute(
            f"select count(*) from {table.qualified} where _load_id = ? and not _is_superseded",
            [previous],
        ).fetchone()[0]
        if remaining == 0:
            con.execute(
                "update ingest.load_ledger set status = 'superseded', superseded_by = ? "
                "where load_id = ? and status = 'loaded'",
                [load_id, previous],
            )
    return updated[0] if updated else 0


def _ledger(
    con: duckdb.DuckDBPyConnection,
    load_id: str,
    run_id: str,
    source: str,
    name: str,
    rel_path: str,
    file_format: str,
    file_hash: str,
    result: LoadResult,
    loaded_at: datetime,
) -> None:
    month = re.search(r"(?<!\d)(\d{4}-(0[1-9]|1[0-2]))(?!\d)", name)
    con.execute(
        "insert into ingest.load_ledger values (?, ?, ?, ?, null, ?, ?, ?, ?, ?, ?, ?, ?, ?, null)",
        [
            load_id,
            run_id,
            source,
            name,
            month[1] if month else None,
            rel_path,
            file_format,
            file_hash,
            result.status,
            result.rows_loaded,
            result.rows_rejected,
            result.message,
            loaded_at,
        ],
    )
