"""Load provider returns (CSV folders or XLSX workbooks) into the raw layer, set-based.

Steps, for a batch of up to BATCH_SIZE returns (oldest month first):
1. Find each: ``<PROVIDER>_<YYYY-MM>/`` (a folder of CSVs) or ``<PROVIDER>_<YYYY-MM>.xlsx``
   (:mod:`ipskpi.ingest.landing` walks the folder: links, unknown provider codes, future
   months and names that are not returns get their own ledger rows and are never read).
2. Hash its bytes; the same bytes loaded before change nothing (ledger status ``skipped``).
3. Check its structure and refuse the whole return for a fault (missing table or required
   column, unreadable file, provider code different from the name); stage the rows of
   the others as text (one multi-file ``read_csv`` per table for the batch's CSVs).
4. Validate every staged row against the contract in SQL, one statement per rule for the
   whole batch; rows breaking a rule go to ``ingest.rejected_rows`` with file, row,
   column, value and reason; the rest load. Rules across returns (orphan referrals,
   contacts before their referral) see exactly what loading one return at a time would.
5. A re-sent return for the same provider and month supersedes the earlier copy in full
   (its rows stay in raw for history, flagged ``_is_superseded``).
All of a batch's writes happen in one transaction: a crash leaves no half return.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pandas as pd

from ipskpi.contract import PROVIDER_TABLES, TABLES_BY_NAME, Table
from ipskpi.failpoints import failpoint
from ipskpi.ingest.column_checks import column_checks
from ipskpi.ingest.landing import RETURN_NAME, record_entries, walk_provider_returns
from ipskpi.ingest.ledger import HashCache, already_loaded, current_load, ensure_ledger
from ipskpi.ingest.readers import (
    StructureError,
    clean_header,
    csv_header,
    frame_to_table,
    read_csv_rows,
    read_csv_sql,
    read_workbook,
    utf8_faults,
)
from ipskpi.sql import create_shown_macro, file_pattern, ident, literal, shown, shown_text

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
    notes: tuple[str, ...] = ()  # what the walk found in a return folder that is not read

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
    warnings: list[str] = field(default_factory=list)  # file warnings (ingest.file_warnings), in words


def discover_returns(
    folder: Path,
    landing_root: Path | None = None,
    known_providers: frozenset[str] | None = None,
    run_date: date | None = None,
) -> list[ReturnDelivery]:
    """Every provider return in a landing folder that the walk lets through, oldest month first."""
    return _deliveries(walk_provider_returns(folder, _root(folder, landing_root), known_providers, run_date))


def _root(folder: Path, landing_root: Path | None) -> Path:
    return (landing_root or folder.parent).resolve()


def _deliveries(walk) -> list[ReturnDelivery]:
    found: list[ReturnDelivery] = []
    for path in walk.deliveries:
        is_dir = path.is_dir()
        match = RETURN_NAME.match(path.name if is_dir else path.name[:-5])
        assert match is not None
        notes = tuple(walk.warnings.get(path, ()))
        found.append(
            ReturnDelivery(path, match["provider"], match["month"], "csv" if is_dir else "xlsx", notes)
        )
    return sorted(found, key=lambda d: (d.return_month, d.provider_code, d.file_format))


def ensure_raw_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the raw tables: every contract column as text, plus lineage."""
    ensure_ledger(con)
    create_shown_macro(con)
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


BATCH_SIZE = 256
"""Deliveries validated and written together, in one transaction (about four months of England's returns).

A batch's validation is one statement per table whose planning (binding, the optimiser)
costs about a second nationally whatever the batch holds, so fewer, larger batches cost
less: measured on eight national providers (434 returns), 64 a batch took 54-61 s and
256 took 26-39 s (benchmarks/README.md, "Ingest"); a batch of 256 holds about 0.6 M rows.
"""
CHECKPOINT_THRESHOLD = "1GB"
"""Write-ahead log size at which DuckDB checkpoints during a load (see load_provider_returns)."""


@dataclass
class _Pending:
    """A delivery read into the batch's staging tables, waiting to be validated and written."""

    seq: int
    delivery: ReturnDelivery
    rel_path: str
    file_hash: str
    load_id: str
    previous: str | None
    labels: dict[str, str]
    warnings: list[tuple[str | None, str | None, str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    result: LoadResult | None = None


def load_provider_returns(
    con: duckdb.DuckDBPyConnection,
    folder: Path,
    run_id: str,
    landing_root: Path | None = None,
    known_providers: frozenset[str] | None = None,
    run_date: date | None = None,
) -> list[LoadResult]:
    """Load every return in ``folder``; one bad return never stops the others.

    The walk (:func:`ipskpi.ingest.landing.walk_provider_returns`) comes first: entries that
    are not returns, links, returns of a provider code not in ``known_providers`` (when
    given; the refresh passes ``ref_providers``) and months after ``run_date`` (default
    today) get their ledger rows and results without being read.

    Returns are read one by one (a file at a time, as text) into staging tables, then
    validated and written in batches of up to ``BATCH_SIZE``: each rule is one SQL
    statement over the whole batch, so the cost per return is the reading, not the rules.
    A batch never holds two deliveries of the same return, so a re-sent return always
    follows the copy it replaces.
    """
    ensure_raw_tables(con)
    root = _root(folder, landing_root)
    walk = walk_provider_returns(folder, root, known_providers, run_date)
    results: list[LoadResult] = []
    batch: list[ReturnDelivery] = []
    # DuckDB checkpoints (folds the write-ahead log into the file) whenever the log passes
    # checkpoint_threshold, 16 MB by default: on a large raw layer that was most of the cost
    # of a batch. Checkpoint once at the end instead; every batch is still committed.
    hashes = HashCache(con)
    threshold = con.execute("select current_setting('checkpoint_threshold')").fetchone()[0]
    con.execute(f"set checkpoint_threshold = '{CHECKPOINT_THRESHOLD}'")
    try:
        for delivery in _deliveries(walk):
            if len(batch) >= BATCH_SIZE or any(b.return_id == delivery.return_id for b in batch):
                results.extend(load_batch(con, batch, run_id, root, hashes))
                batch = []
            batch.append(delivery)
        if batch:
            results.extend(load_batch(con, batch, run_id, root, hashes))
        results.extend(record_entries(con, walk.entries, run_id))
        con.execute("checkpoint")
    finally:
        con.execute(f"set checkpoint_threshold = '{threshold}'")
    return results


def load_batch(
    con: duckdb.DuckDBPyConnection,
    deliveries: list[ReturnDelivery],
    run_id: str,
    landing_root: Path,
    hashes: HashCache | None = None,
) -> list[LoadResult]:
    """Read, validate and write a batch of returns; all writes of the batch in one transaction.

    ``hashes`` reads a delivery's bytes only when its files' ``stat`` changed since they
    were last hashed (:class:`ipskpi.ingest.ledger.HashCache`); one is made if not given.
    """
    hashes = hashes or HashCache(con)
    _create_staging(con)
    loaded_at = datetime.now(UTC).replace(tzinfo=None)
    pending: list[_Pending] = []
    csv_reads: list[_CsvRead] = []
    results: dict[int, LoadResult] = {}
    for seq, delivery in enumerate(deliveries):
        rel_path = _relative(delivery.path, landing_root)
        file_hash = hashes.hash(delivery.files())
        if already_loaded(con, delivery.return_id, file_hash):
            results[seq] = LoadResult(
                delivery.return_id, rel_path, "skipped", message="same bytes loaded before"
            )
            continue
        item = _Pending(
            seq,
            delivery,
            rel_path,
            file_hash,
            uuid.uuid4().hex,
            current_load(con, delivery.return_id),
            labels={},
        )
        for note in delivery.notes:
            item.warnings.append((None, None, "not_read", note))
        try:
            csv_reads.extend(_stage(con, item))
        except StructureError as exc:
            _refuse_staged(con, item, str(exc))
        pending.append(item)
    _read_csvs(con, csv_reads, {item.seq: item for item in pending})
    _refuse_provider_mismatches(con, [p for p in pending if p.result is None])
    staged = [p for p in pending if p.result is None]
    con.execute("begin transaction")
    try:
        if staged:
            _write_batch(con, staged, run_id, loaded_at)
        for item in pending:
            if item.result is not None and item.result.status == "refused":
                _record_refusal(con, item, run_id, loaded_at)
        for item in pending:
            if item.result is not None:
                _ledger(con, item, run_id, loaded_at)
        hashes.write(con)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    for item in pending:
        item.result.warnings = [message for *_, message in item.warnings]  # type: ignore[union-attr]
        if item.result.status == "loaded" and item.result.rows_loaded == 0:  # type: ignore[union-attr]
            item.result.warnings.append(  # type: ignore[union-attr]
                f"no row of this return was loaded (0 rows loaded, {item.result.rows_rejected} rejected)"  # type: ignore[union-attr]
            )
        results[item.seq] = item.result  # type: ignore[assignment]
    return [results[seq] for seq in range(len(deliveries))]


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


def _create_staging(con: duckdb.DuckDBPyConnection) -> None:
    """Empty staging tables for one batch: contract columns as text, plus delivery and row."""
    for table in PROVIDER_TABLES:
        columns = ", ".join(f"{c} varchar" for c in table.column_names)
        con.execute(
            f"create or replace temp table _b_{table.name} ({columns}, _seq integer, _row_number bigint)"
        )
    con.execute(
        """create or replace temp table _b_formula_cells
           (_seq integer, table_name varchar, row_number bigint, column_name varchar, cell varchar,
            formula varchar)"""
    )
    con.execute(
        """create or replace temp table _b_cell_faults
           (_seq integer, table_name varchar, row_number bigint, column_name varchar, value varchar,
            rule varchar, reason varchar)"""
    )


def _refuse_staged(con: duckdb.DuckDBPyConnection, item: _Pending, message: str) -> None:
    """Refuse a delivery whole: its result says why, and none of its rows stay staged."""
    item.result = LoadResult(item.delivery.return_id, item.rel_path, "refused", message=message)
    for name in [*(f"_b_{t.name}" for t in PROVIDER_TABLES), "_b_formula_cells", "_b_cell_faults"]:
        con.execute(f"delete from {name} where _seq = {item.seq}")


@dataclass(frozen=True)
class _CsvRead:
    """One CSV file of a staged delivery, waiting to be read into its staging table."""

    seq: int
    table: str
    path: Path
    n_columns: int
    select: str  # the contract columns as SQL over c0, c1, ...


def _stage(con: duckdb.DuckDBPyConnection, item: _Pending) -> list[_CsvRead]:
    """Check one delivery's structure, then stage its rows (workbooks) or plan their reading (CSV).

    Raises StructureError, with nothing of the delivery staged, for a missing table or
    required column or an unreadable file.
    """
    delivery = item.delivery
    tables = _read_tables(con, delivery, item)
    # Structure first, for every table, so that nothing is staged from a return we refuse.
    selects: dict[str, str] = {}
    for table in PROVIDER_TABLES:
        source = tables[table.name]
        file_label = item.labels[table.name]
        mapping: dict[str, str] = {}
        for name, ref in zip(source.header, source.refs, strict=True):
            clean = name.strip().lstrip("\ufeff").strip()
            if clean in mapping:
                clean = f"{clean} (repeated)"
            mapping[clean] = ref
        missing = [c for c in table.required_columns if c not in mapping]
        if missing:
            hint = ""
            if len(source.header) == 1 and ";" in source.header[0]:
                hint = " (the header looks semicolon-separated; the contract requires commas)"
            raise StructureError(f"{file_label}: missing required column(s) {', '.join(missing)}{hint}")
        for extra in sorted(set(mapping) - set(table.column_names)):
            item.warnings.append(
                (
                    table.name,
                    shown_text(extra),
                    "unknown_column",
                    f"{file_label}: column '{shown_text(extra)}' is not in the contract; it was ignored",
                )
            )
            item.notes.append(f"ignored unknown column {table.name}.{shown_text(extra)}")
        selects[table.name] = ", ".join(
            f"nullif(trim(cast({mapping[c]} as varchar)), '')" if c in mapping else "null"
            for c in table.column_names
        )
    if delivery.file_format == "csv":
        return [
            _CsvRead(
                item.seq,
                table.name,
                tables[table.name].path,
                len(tables[table.name].header),
                selects[table.name],
            )
            for table in PROVIDER_TABLES
        ]
    for table in PROVIDER_TABLES:
        source = tables[table.name]
        con.execute(
            f"insert into _b_{table.name} select {selects[table.name]}, {item.seq}, "
            f"{source.row_number} from {source.relation}"
        )
    return []


def _csv_error(label: str, exc: duckdb.Error) -> str:
    """DuckDB's CSV error, short, without the offending line (a line of client data stays out of logs)."""
    lines = str(exc).split("Possible fixes")[0].removeprefix("Invalid Input Error: ").splitlines()
    detail = "; ".join(x.strip() for x in lines if x.strip() and not x.startswith("Original Line"))
    return f"{label} could not be read as CSV: {detail}"


def _read_csvs(con: duckdb.DuckDBPyConnection, reads: list[_CsvRead], items: dict[int, _Pending]) -> None:
    """Read the batch's CSV files into the staging tables: one multi-file read per table and layout.

    Files with the same columns in the same order are read by one ``read_csv`` (DuckDB reads
    them in parallel, in list order); each row keeps the row number it has in its own file.
    If a group fails, its files are read one by one, so that only the return with the broken
    file is refused (and its other tables unstaged).
    """
    groups: dict[tuple[str, int, str], list[_CsvRead]] = {}
    for read in reads:
        groups.setdefault((read.table, read.n_columns, read.select), []).append(read)
    for (table, n_columns, select), group in groups.items():
        group = [r for r in group if items[r.seq].result is None]
        if not group:
            continue
        try:
            _insert_csvs(con, table, n_columns, select, group)
        except duckdb.Error:
            for read in group:
                if items[read.seq].result is not None:
                    continue
                try:
                    _insert_csvs(con, table, n_columns, select, [read])
                except duckdb.Error as exc:
                    if not utf8_faults(read.path.read_bytes()):
                        _refuse_staged(con, items[read.seq], _csv_error(items[read.seq].labels[table], exc))
                        continue
                    try:
                        _insert_badly_encoded_csv(con, read)
                    except StructureError as error:
                        _refuse_staged(con, items[read.seq], str(error))


def _insert_badly_encoded_csv(con: duckdb.DuckDBPyConnection, read: _CsvRead) -> None:
    """Stage a CSV with bytes that are not UTF-8: its good rows, and a fault for each bad cell.

    DuckDB refuses such a file whole; read in Python instead (only these files, so the
    common path stays one multi-file read), a row with a bad byte in a contract column is
    rejected (rule ``invalid_encoding``, naming the line and byte offset) and the others load.
    """
    parsed = read_csv_rows(read.path, read.n_columns)
    columns = [f"c{i}" for i in range(read.n_columns)]
    frame = pd.DataFrame(parsed.rows, columns=columns, dtype=object)
    frame["_row_number"] = parsed.row_numbers
    con.register("_badly_encoded", frame)
    try:
        con.execute(
            f"insert into _b_{read.table} select {read.select}, {int(read.seq)}, _row_number "
            "from _badly_encoded"
        )
    finally:
        con.unregister("_badly_encoded")
    names = [name.strip().lstrip("\ufeff").strip() for name in csv_header(read.path)]
    contract = set(TABLES_BY_NAME[read.table].column_names)
    for row_number, position, cell, fault in parsed.faults:
        if names[position] not in contract:
            continue  # a column the contract ignores: nothing of it is loaded
        con.execute(
            "insert into _b_cell_faults values (?, ?, ?, ?, ?, 'invalid_encoding', ?)",
            [
                read.seq,
                read.table,
                row_number,
                names[position],
                cell,
                f"{names[position]}: {fault.describe()}",
            ],
        )


def _insert_csvs(
    con: duckdb.DuckDBPyConnection, table: str, n_columns: int, select: str, group: list[_CsvRead]
) -> None:
    """Append the rows of a group of same-layout CSVs of one table to its staging table."""
    files = {str(read.path): read.seq for read in group}
    # The paths are bound, never written into the SQL; each is read as exactly that file.
    con.execute(
        f"""
        insert into _b_{table}
        select {select}, _seq, _row_number
        from (
            select *,
                   list_extract($seqs, list_position($paths, filename)) as _seq,
                   cast(_scan_row - min(_scan_row) over (partition by filename) + 2 as bigint) as _row_number
            from (select *, row_number() over () as _scan_row from {read_csv_sql("$patterns", n_columns)})
        )
        """,
        {
            "seqs": list(files.values()),
            "paths": list(files),
            "patterns": [file_pattern(path) for path in files],
        },
    )


@dataclass(frozen=True)
class _Source:
    """Where one delivered table's rows come from, in SQL, and its header as written."""

    relation: str  # a table expression (a temp table); empty for a CSV, read later with its batch
    header: list[str]  # column names as found in the file
    refs: list[str]  # the SQL reference of each header column in ``relation``
    row_number: str  # SQL for the row number a person sees (header = row 1)
    path: Path | None = None  # the CSV file


def _read_tables(
    con: duckdb.DuckDBPyConnection, delivery: ReturnDelivery, item: _Pending
) -> dict[str, _Source]:
    """Locate each contract table of a delivery and read its header; rows are read when staged."""
    out: dict[str, _Source] = {}
    if delivery.file_format == "csv":
        present = {p.stem: p for p in delivery.files() if p.suffix.lower() == ".csv"}
        missing = [t.name for t in PROVIDER_TABLES if t.name not in present]
        if missing:
            raise StructureError(
                f"return {delivery.return_id} is missing table(s) {', '.join(missing)} "
                f"(expected {', '.join(t.name + '.csv' for t in PROVIDER_TABLES)})"
            )
        for table in PROVIDER_TABLES:
            path = present[table.name]
            item.labels[table.name] = path.name
            header = csv_header(path)
            out[table.name] = _Source("", header, [f"c{i}" for i in range(len(header))], "", path)
        return out
    workbook = read_workbook(delivery.path)
    sheets = workbook.sheets
    missing = [t.name for t in PROVIDER_TABLES if t.name not in sheets]
    if missing:
        raise StructureError(f"workbook {delivery.path.name} is missing sheet(s) {', '.join(missing)}")
    for table in PROVIDER_TABLES:
        temp = f"_in_{table.name}"
        item.labels[table.name] = f"{delivery.path.name}[{table.name}]"
        header = frame_to_table(con, sheets[table.name], temp)
        out[table.name] = _Source(temp, header, [ident(h) for h in header], "_row_number")
        mapping = clean_header(header)
        for row_number, raw_name, ref, formula in workbook.formulas_without_value.get(table.name, []):
            column = next((c for c, raw in mapping.items() if raw == raw_name), raw_name)
            con.execute(
                "insert into _b_formula_cells values (?, ?, ?, ?, ?, ?)",
                [item.seq, table.name, row_number, column, ref, formula],
            )
    for name in sorted(name for name in sheets if name not in {t.name for t in PROVIDER_TABLES}):
        item.warnings.append(
            (
                None,
                None,
                "unknown_sheet",
                f"{delivery.path.name}: sheet '{shown_text(name)}' is not a contract table; ignored",
            )
        )
        item.notes.append(f"ignored unknown sheet {shown_text(name)}")
    return out


def _refuse_provider_mismatches(con: duckdb.DuckDBPyConnection, staged: list[_Pending]) -> None:
    """Refuse every staged return whose rows carry a provider code other than its name's."""
    if not staged:
        return
    by_seq = {item.seq: item for item in staged}
    _register_batch(con, staged)
    first: dict[int, str] = {}
    for table in PROVIDER_TABLES:
        for seq, code, row_number in con.execute(
            f"""select t._seq, arg_min(t.provider_code, t._row_number), min(t._row_number)
                from _b_{table.name} t join _batch b on b._seq = t._seq
                where t.provider_code is not null and t.provider_code <> b._b_provider
                group by t._seq order by t._seq"""
        ).fetchall():
            if seq in first:
                continue
            item = by_seq[seq]
            first[seq] = table.name
            item.result = LoadResult(
                item.delivery.return_id,
                item.rel_path,
                "refused",
                message=(
                    f"{item.labels[table.name]} row {row_number}: provider_code '{shown_text(code)}' "
                    "does not match the "
                    f"return name {item.delivery.return_id} (provider {item.delivery.provider_code})"
                ),
            )
    if first:
        refused = ", ".join(str(seq) for seq in first)
        for table in PROVIDER_TABLES:
            con.execute(f"delete from _b_{table.name} where _seq in ({refused})")
        con.execute(f"delete from _b_formula_cells where _seq in ({refused})")
        con.execute(f"delete from _b_cell_faults where _seq in ({refused})")


def _register_batch(con: duckdb.DuckDBPyConnection, staged: list[_Pending]) -> None:
    """Temp tables ``_batch`` (one row per staged delivery) and ``_batch_labels`` (file per table).

    Written as one VALUES list each: DuckDB's executemany runs a statement per row.
    """

    def text(value: str | None) -> str:
        return "null" if value is None else literal(value)

    rows = ", ".join(
        f"({p.seq}, {text(p.load_id)}, {text(p.delivery.provider_code)}, {text(p.delivery.return_month)}, "
        f"date '{_month_end(p.delivery.return_month)}', {text(p.file_hash)}, {text(p.previous)}, "
        f"{text(p.rel_path)})"
        for p in staged
    )
    con.execute(
        f"""create or replace temp table _batch as
            select cast(_seq as integer) as _seq, cast(_b_load_id as varchar) as _b_load_id,
                   cast(_b_provider as varchar) as _b_provider, cast(_b_month as varchar) as _b_month,
                   cast(_b_month_end as date) as _b_month_end, cast(_b_hash as varchar) as _b_hash,
                   cast(_b_previous as varchar) as _b_previous, cast(_b_path as varchar) as _b_path
            from (values {rows}) as t(_seq, _b_load_id, _b_provider, _b_month, _b_month_end,
                                      _b_hash, _b_previous, _b_path)"""
    )
    labels = ", ".join(
        f"({p.seq}, {text(name)}, {text(label)})" for p in staged for name, label in p.labels.items()
    )
    con.execute(
        f"""create or replace temp table _batch_labels as
            select cast(_seq as integer) as _seq, cast(table_name as varchar) as table_name,
                   cast(file_label as varchar) as file_label
            from (values {labels}) as t(_seq, table_name, file_label)"""
    )


def _write_batch(
    con: duckdb.DuckDBPyConnection, staged: list[_Pending], run_id: str, loaded_at: datetime
) -> None:
    """Validate every staged table in SQL and write rejected rows, good rows and supersessions."""
    _register_batch(con, staged)
    by_seq = {item.seq: item for item in staged}
    for item in staged:
        item.result = LoadResult(item.delivery.return_id, item.rel_path, "loaded")
    for table in PROVIDER_TABLES:
        rejected = _validate(con, table)
        con.execute(
            f"""
            insert into ingest.rejected_rows
            select b._b_load_id, ?, ?, b._b_path, ?, r.row_number, r.column_name, r.value, r.rule,
                   l.file_label || ' row ' || r.row_number || ': ' || r.reason, ?
            from {rejected} r
            join _batch b on b._seq = r._seq
            join _batch_labels l on l._seq = r._seq and l.table_name = ?
            order by r._seq, r.row_number
            """,
            [run_id, SOURCE, table.name, loaded_at, table.name],
        )
        counts = con.execute(
            f"""
            select t._seq, count(*) filter (where r._seq is null), count(*) filter (where r._seq is not null)
            from _b_{table.name} t
            left join (select distinct _seq, row_number from {rejected}) r
              on r._seq = t._seq and r.row_number = t._row_number
            group by t._seq
            """
        ).fetchall()
        for seq, n_loaded, n_rejected in counts:
            by_seq[seq].result.rows_loaded += n_loaded  # type: ignore[union-attr]
            by_seq[seq].result.rows_rejected += n_rejected  # type: ignore[union-attr]
        for seq, rule, n_rows in con.execute(
            f"select _seq, rule, count(distinct row_number) from {rejected} group by all"
        ).fetchall():
            by_seq[seq].result.rejected_by_rule[f"{table.name}.{rule}"] = n_rows  # type: ignore[union-attr]
        columns = ", ".join(f"t.{c}" for c in table.column_names)
        con.execute(
            f"""
            insert into provider_returns.{table.name}
            select {columns}, b._b_load_id, l.file_label, b._b_hash, t._row_number, b._b_month, ?, false
            from _b_{table.name} t
            join _batch b on b._seq = t._seq
            join _batch_labels l on l._seq = t._seq and l.table_name = ?
            where not exists (
                select 1 from {rejected} r where r._seq = t._seq and r.row_number = t._row_number
            )
            order by t._seq, t._row_number
            """,
            [loaded_at, table.name],
        )
        failpoint("during_ingest")
    replaced = [item for item in staged if item.previous]
    if replaced:
        for table in PROVIDER_TABLES:
            con.execute(
                f"""update provider_returns.{table.name} set _is_superseded = true
                    where _load_id in (select _b_previous from _batch where _b_previous is not null)"""
            )
        con.execute(
            """update ingest.load_ledger set status = 'superseded',
                      superseded_by = (select _b_load_id from _batch where _b_previous = load_id)
               where load_id in (select _b_previous from _batch where _b_previous is not null)"""
        )
        for item in replaced:
            item.notes.append("re-sent return: replaces the earlier copy")
    for item in staged:
        for table_name, column, rule, message in item.warnings:
            con.execute(
                "insert into ingest.file_warnings values (?, ?, ?, ?, ?, ?, ?, ?)",
                [item.load_id, run_id, item.rel_path, table_name, column, rule, message, loaded_at],
            )
        item.result.message = "; ".join(item.notes)  # type: ignore[union-attr]


def _record_refusal(con: duckdb.DuckDBPyConnection, item: _Pending, run_id: str, loaded_at: datetime) -> None:
    con.execute(
        """insert into ingest.rejected_rows values (?, ?, ?, ?, ?, null, null, null,
           'return_refused', ?, ?)""",
        [item.load_id, run_id, SOURCE, item.rel_path, "*", item.result.message, loaded_at],  # type: ignore[union-attr]
    )


def _month_end(month: str) -> str:
    year, mon = (int(x) for x in month.split("-"))
    nxt = datetime(year + (mon == 12), mon % 12 + 1, 1)
    return (nxt.date().fromordinal(nxt.date().toordinal() - 1)).isoformat()


def _validate(con: duckdb.DuckDBPyConnection, table: Table) -> str:
    """Build temp table ``_rej_<table>`` of (_seq, row_number, column_name, value, rule, reason)."""
    staged = f"(select * from _b_{table.name} join _batch using (_seq))"
    parts = []
    for column in table.columns:
        for condition, rule, reason in column_checks(column, "_b_month_end"):
            parts.append(
                f"select _seq, _row_number as row_number, {literal(column.name)} as column_name, "
                f"{shown(column.name)} as value, {literal(rule)} as rule, "
                f"{reason} as reason from {staged} where {condition}"
            )
    key = ", ".join(table.key)
    key_label = " + ".join(k for k in table.key if k != "provider_code")
    parts.append(
        f"""select _seq, _row_number, {literal(table.key[-1])}, {shown(table.key[-1])},
                   'duplicate_key',
                   'duplicate key: {key_label} ' || {shown(table.key[-1])} || ' already appears in row '
                   || first_row
            from (select *, min(_row_number) over (partition by _seq, {key}) as first_row
                  from _b_{table.name}
                  where {" and ".join(f"{k} is not null" for k in table.key)})
            where _row_number > first_row"""
    )
    parts.append(
        f"""select _seq, row_number, column_name, cell_value, 'formula_without_value',
                   'cell ' || cell || ' holds a formula (=' || {shown("formula")}
                   || ') with no saved result, so its '
                   || 'value is unknown; open the workbook in Excel and save it, or paste the values'
            from (select *, cast(null as varchar) as cell_value from _b_formula_cells)
            where table_name = {literal(table.name)}"""
    )
    parts.append(
        f"""select _seq, row_number, column_name, value, rule, reason from _b_cell_faults
            where table_name = {literal(table.name)}"""
    )
    if table.name == "referrals":
        parts.extend(_referral_rules())
    if table.references_referrals:
        parts.extend(_referencing_rules(table))
    rejected = f"_rej_{table.name}"
    con.execute(
        f"create or replace temp table {rejected} as "
        f"select * from ({' union all '.join(parts)}) order by _seq, row_number"
    )
    # A formula cell with no saved result, or a cell that is not UTF-8, is reported as that,
    # not also as an empty required cell.
    con.execute(
        f"""delete from {rejected} r where rule = 'required' and exists (
                select 1 from (select _seq, table_name, row_number, column_name from _b_formula_cells
                               union all
                               select _seq, table_name, row_number, column_name from _b_cell_faults) f
                where f.table_name = {literal(table.name)} and f._seq = r._seq
                  and f.row_number = r.row_number and f.column_name = r.column_name)"""
    )
    if table.name == "referrals":
        _build_known_referrals(con)
    return rejected


_DATE = "try_strptime({}, '%Y-%m-%d')"


def _referral_rules() -> list[str]:
    """Impossible dates within a referral."""
    return [
        f"""select _seq, _row_number, '{col}', {shown(col)}, 'before_referral',
               '{col} (' || {shown(col)} || ') is before the referral_date ('
               || {shown("referral_date")} || ')'
            from _b_referrals where {_DATE.format(col)} < {_DATE.format("referral_date")}"""
        for col in ("vocational_profile_date", "closure_date")
    ]


def _build_known_referrals(con: duckdb.DuckDBPyConnection) -> None:
    """``_known``: for each staged delivery, the referrals its other tables may point at.

    That is this return's valid referrals, the valid referrals of the same provider's
    earlier returns in this batch, and the standing (not superseded) referrals already
    loaded for the provider, except copies this batch replaces by then. Where a referral
    appears more than once its latest referral_date wins (this return's above all).
    """
    con.execute(
        f"""
        create or replace temp table _known as
        select _seq, referral_id, arg_max(referral_date, priority) as referral_date
        from (
            select b._seq, r.referral_id, {_DATE.format("r.referral_date")} as referral_date,
                   r._return_month || '-0' as priority
            from provider_returns.referrals r
            join _batch b on r.provider_code = b._b_provider
            where not r._is_superseded
              and not exists (
                  select 1 from _batch p where p._b_previous = r._load_id and p._seq <= b._seq
              )
            union all
            select b._seq, v.referral_id, {_DATE.format("v.referral_date")},
                   case when vb._seq = b._seq then '9999-99-9' else vb._b_month || '-1' end
            from _b_referrals v
            join _batch vb on vb._seq = v._seq
            join _batch b on b._b_provider = vb._b_provider and vb._seq <= b._seq
            where v.referral_id is not null
              and not exists (
                  select 1 from _rej_referrals x where x._seq = v._seq and x.row_number = v._row_number
              )
        )
        group by _seq, referral_id
        """
    )


def _referencing_rules(table: Table) -> list[str]:
    """Rules across tables: orphan referrals, jobs ending before they start, early contacts."""
    rules = [
        f"""select t._seq, t._row_number, 'referral_id', {shown("t.referral_id")}, 'orphan_referral',
               'referral_id ' || {shown("t.referral_id")} || ' is not in this or any earlier referrals return'
            from _b_{table.name} t
            where t.referral_id is not null
              and not exists (
                  select 1 from _known k where k._seq = t._seq and k.referral_id = t.referral_id
              )"""
    ]
    if table.name == "jobs":
        rules.append(
            f"""select _seq, _row_number, 'end_date', {shown("end_date")}, 'ends_before_start',
                   'job ends (' || {shown("end_date")} || ') before it starts ('
                   || {shown("start_date")} || ')'
                from _b_jobs where {_DATE.format("end_date")} < {_DATE.format("start_date")}"""
        )
    if table.name == "contacts":
        rules.append(
            f"""select t._seq, t._row_number, 'contact_date', {shown("t.contact_date")}, 'before_referral',
                   'contact on ' || {shown("t.contact_date")} || ' is before its referral was received ('
                   || strftime(k.referral_date, '%Y-%m-%d') || ')'
                from _b_contacts t join _known k on k._seq = t._seq and k.referral_id = t.referral_id
                where {_DATE.format("t.contact_date")} < k.referral_date"""
        )
    return rules


def _ledger(con: duckdb.DuckDBPyConnection, item: _Pending, run_id: str, loaded_at: datetime) -> None:
    delivery, result = item.delivery, item.result
    assert result is not None
    con.execute(
        "insert into ingest.load_ledger values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, null)",
        [
            item.load_id,
            run_id,
            SOURCE,
            delivery.return_id,
            delivery.provider_code,
            delivery.return_month,
            item.rel_path,
            delivery.file_format,
            item.file_hash,
            result.status,
            result.rows_loaded,
            result.rows_rejected,
            result.message,
            loaded_at,
        ],
    )
