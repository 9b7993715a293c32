"""The floor: DuckDB alone loading the provider-return CSVs and running every model's
compiled SQL once, no validation, ledger, tests, audit or publish (:mod:`bench` reports
the pipeline's ratio to it).

``run_floor`` prepares it untimed (CSV copies of workbooks, ``dbt seed`` + ``compile``)
and times ``python benchmarks/floor.py _floor ...`` under /usr/bin/time, so the
measurement sees only the floor's own process.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb

HERE = Path(__file__).resolve().parent
PROJECT_DIR = HERE.parent
sys.path.insert(0, str(PROJECT_DIR))

from harness import COPIED_SCHEMAS, capped_env, timed_process  # noqa: E402

from ipskpi import sql  # noqa: E402
from ipskpi.config import duckdb_settings  # noqa: E402
from ipskpi.contract import PROVIDER_TABLES  # noqa: E402
from ipskpi.dbt_runner import dbt_args, dbt_env, dbt_executable  # noqa: E402
from ipskpi.ingest.provider_returns import discover_returns  # noqa: E402
from ipskpi.ingest.readers import clean_header, csv_header, read_csv_sql  # noqa: E402


def _csv_landing(landing: Path, out: Path) -> Path:
    """The provider returns as CSV folders: workbooks converted (before timing; the floor reads CSV)."""
    done = out / ".complete"
    if done.exists():
        return out
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    from python_calamine import CalamineWorkbook

    deliveries = discover_returns(landing / "provider_returns")
    if not deliveries:
        raise FileNotFoundError(f"no provider returns under {landing / 'provider_returns'}")
    for delivery in deliveries:
        if delivery.file_format == "csv":
            (out / delivery.path.name).symlink_to(delivery.path.resolve())
            continue
        folder = out / delivery.return_id
        folder.mkdir()
        book = CalamineWorkbook.from_path(str(delivery.path))
        for name in book.sheet_names:
            rows = book.get_sheet_by_name(name).to_python()
            with open(folder / f"{name}.csv", "w", encoding="utf-8", newline="") as f:
                writer = csv.writer(f, lineterminator="\n")
                for row in rows:
                    writer.writerow([_cell(v) for v in row])
    done.write_text("ok\n")
    return out


def _cell(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return "" if value is None else str(value)


def floor_load(csv_landing: Path, raw_db: Path) -> None:
    """DuckDB alone: each provider-return table read by one multi-file ``read_csv`` per header.

    The same read as the pipeline's (``read_csv_sql``: the contract's dialect, nothing
    sniffed, columns by position under the header read in Python), grouped by header so
    that no file is sniffed or unioned by name; lineage derived from the file name. No
    checks, no ledger, no supersession.
    """
    con = duckdb.connect(str(raw_db), config=duckdb_settings())
    try:
        con.execute("create schema if not exists provider_returns")
        for table in PROVIDER_TABLES:
            files = sorted(csv_landing.glob(f"*/{table.name}.csv"))
            if not files:
                raise FileNotFoundError(f"no {table.name}.csv under {csv_landing}")
            groups: dict[tuple[str, ...], list[Path]] = {}
            for path in files:
                groups.setdefault(tuple(clean_header(csv_header(path))), []).append(path)
            selects = []
            for header, paths in groups.items():
                listed = "[" + ", ".join(sql.literal(sql.file_pattern(p)) for p in paths) + "]"
                position = {name: i for i, name in enumerate(header)}
                columns = [
                    f"c{position[c.name]} as {c.name}"
                    if c.name in position
                    else f"cast(null as varchar) as {c.name}"
                    for c in table.columns
                ]
                selects.append(
                    f"select {', '.join(columns)}, filename, "
                    "row_number() over (partition by filename) + 1 as _row_number "
                    f"from {read_csv_sql(listed, len(header))}"
                )
            con.execute(
                f"""
                create or replace table provider_returns.{table.name} as
                select
                    {", ".join(c.name for c in table.columns)},
                    regexp_extract(filename, '([^/]+)/[^/]+$', 1) as _load_id,
                    filename as _source_file,
                    '' as _file_hash,
                    cast(_row_number as bigint) as _row_number,
                    regexp_extract(filename, '_(\\d{{4}}-\\d{{2}})/[^/]+$', 1) as _return_month,
                    cast(now() as timestamp) as _loaded_at,
                    false as _is_superseded
                from ({" union all ".join(selects)})
                """
            )
    finally:
        con.close()


def _topological(models: dict[str, dict]) -> list[str]:
    order: list[str] = []
    seen: set[str] = set()

    def visit(key: str) -> None:
        if key in seen:
            return
        seen.add(key)
        for dep in models[key]["depends_on"]["nodes"]:
            if dep in models:
                visit(dep)
        order.append(key)

    for key in sorted(models):
        visit(key)
    return order


def floor_models(manifest_path: Path, build_db: Path, raw_db: Path) -> int:
    """Run every model's compiled SQL once, in dependency order, in one DuckDB connection."""
    manifest = json.loads(manifest_path.read_text())
    models = {
        k: n for k, n in manifest["nodes"].items() if n["resource_type"] == "model" and n["config"]["enabled"]
    }
    con = duckdb.connect(str(build_db), config=duckdb_settings())
    try:
        con.execute(sql.attach("raw", raw_db, "read_only"))
        for schema in {n["schema"] for n in models.values()}:
            con.execute(f"create schema if not exists {schema}")
        for key in _topological(models):
            node = models[key]
            kind = "view" if node["config"]["materialized"] == "view" else "table"
            con.execute(f"create or replace {kind} {node['relation_name']} as {node['compiled_code']}")
    finally:
        con.close()
    return len(models)


def _floor_process(args: argparse.Namespace) -> int:
    """The timed part of the floor, in a process of its own so /usr/bin/time sees only it."""
    started = time.perf_counter()
    floor_load(Path(args.csv_landing), Path(args.raw_db))
    load = time.perf_counter() - started
    _copy_public(Path(args.public_raw), Path(args.raw_db))  # not timed: small, and not provider returns
    started = time.perf_counter()
    n = floor_models(Path(args.manifest), Path(args.build_db), Path(args.raw_db))
    print(
        json.dumps(
            {"load_s": round(load, 1), "models_s": round(time.perf_counter() - started, 1), "models": n}
        )
    )
    return 0


def _copy_public(pipeline_raw: Path, raw_db: Path) -> None:
    con = duckdb.connect(str(raw_db))
    try:
        con.execute(sql.attach("pipeline", pipeline_raw, "read_only"))
        for schema, table in con.execute(
            "select schema_name, table_name from duckdb_tables() where database_name = 'pipeline' "
            f"and schema_name in ({', '.join(repr(s) for s in COPIED_SCHEMAS)})"
        ).fetchall():
            con.execute(f"create schema if not exists {schema}")
            rows = "limit 0" if schema == "ingest" else ""  # the floor keeps no ledger: its columns only
            con.execute(
                f"create or replace table {schema}.{table} as select * from pipeline.{schema}.{table} {rows}"
            )
    finally:
        con.close()


def _dbt(args: list[str], build_db: Path, raw_db: Path, target: Path) -> None:
    env = dbt_env(build_db=build_db, raw_db=raw_db)
    subprocess.run(
        [dbt_executable(), *dbt_args(args, target="duckdb", target_path=target, log_path=target / "logs")],
        env=env,
        check=True,
        cwd=PROJECT_DIR,
        stdout=subprocess.DEVNULL,
    )


def run_floor(
    landing: Path, pipeline_raw: Path, work: Path, scale: int, label: str, memory_limit: str | None = None
) -> dict:
    """The floor once: fresh raw and build databases, dbt seed + compile untimed, then the timed process.

    ``memory_limit`` caps the timed DuckDB connections as ``IPSKPI_DUCKDB_MEMORY_LIMIT`` caps
    the pipeline's (the same variable, read by ``ipskpi.config.duckdb_settings``).
    """
    csv_landing = _csv_landing(landing, work / f"floor-csv-x{scale}")
    folder = work / "floor"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    raw_db, build_db, target = folder / "raw.duckdb", folder / "build.duckdb", folder / "target"
    duckdb.connect(str(raw_db)).close()
    _dbt(["seed"], build_db, raw_db, target)
    _dbt(["compile"], build_db, raw_db, target)
    result = timed_process(
        [
            sys.executable,
            str(Path(__file__).resolve()),
            "_floor",
            str(csv_landing),
            str(raw_db),
            str(build_db),
            str(target / "manifest.json"),
            str(pipeline_raw),
        ],
        capped_env(dict(os.environ), memory_limit),
        work / "logs" / f"{label}.log",
    )
    result["memory_limit"] = memory_limit
    output = result.pop("output")
    if result["exit_code"] != 0:
        raise RuntimeError(f"floor failed:\n{output[-3000:]}")
    timings = json.loads(output.strip().splitlines()[-1])
    result.update(timings)
    result["floor_s"] = round(timings["load_s"] + timings["models_s"], 1)
    print(
        f"    {label}: load {timings['load_s']:.0f}s + models {timings['models_s']:.0f}s, "
        f"peak {result['peak_rss_mb']} MB",
        flush=True,
    )
    return result


def main(argv: list[str]) -> int:
    """``floor.py _floor <csv_landing> <raw_db> <build_db> <manifest> <public_raw>``: the timed part."""
    floor = argparse.ArgumentParser(description="(internal) the timed part of the benchmark's floor")
    floor.add_argument("command", choices=["_floor"])
    for name in ("csv_landing", "raw_db", "build_db", "manifest", "public_raw"):
        floor.add_argument(name)
    return _floor_process(floor.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
