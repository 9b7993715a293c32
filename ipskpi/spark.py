"""The same dbt project on Spark, and a check that Spark and DuckDB publish the same scorecard.

DuckDB is the production engine; the models must also run on Spark and Databricks
(house style). This module makes that testable on one machine:

1. ``export_raw_to_parquet``: DuckDB copies the raw tables the dbt sources read
   (provider_returns.*, nomis_aps.*, dwp_esa.*, cqc_cmh_survey.*, mhsds.*,
   commissioner_returns.*) out of raw.duckdb to Parquet;
2. ``register_raw_tables``: a local Spark registers each Parquet folder as a table in a
   database named like its source schema (``provider_returns.referrals``), in the
   metastore the dbt ``spark`` target uses (profiles/profiles.yml);
3. ``build_on_spark`` / ``build_on_duckdb``: ``dbt build`` (seeds, models, unit and data
   tests) on each engine from the same raw rows;
4. ``compare_scorecards``: fct_kpi_scorecard row by row (same keys; numbers equal within a
   tolerance; text and dates exactly), and the public scorecard the same way.

``spark_check`` runs the four steps and times them; ``ipskpi spark-check`` is its
command, ``python -m ipskpi.spark register --raw-db ...`` prepares Spark for a plain
``dbt build --target spark``. Spark keeps its warehouse and embedded Derby metastore
under IPSKPI_SPARK_DIR. Derby admits one JVM at a time, so ``build_on_spark`` registers
the tables and runs dbt in one process of its own (dbt-spark's session method reuses the
SparkSession it finds). Needs the ``spark`` dependency group and Java 17.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import jinja2
import yaml

from ipskpi import sql
from ipskpi.config import PROFILES_DIR, PROJECT_DIR
from ipskpi.dbt_runner import DbtResult, dbt_args, dbt_env, process_result, run_dbt
from ipskpi.sql import file_pattern

# The raw schemas the dbt sources read (models/staging/<source>/_<source>__sources.yml).
SOURCE_SCHEMAS = (
    "provider_returns",
    "nomis_aps",
    "dwp_esa",
    "cqc_cmh_survey",
    "mhsds",
    "commissioner_returns",
    "ingest",  # the load ledger (stg_ingest__load_ledger); also rejected rows and file warnings
)
# The published marts compared, and their grain (the unique_combination test of each).
SCORECARDS = ("fct_kpi_scorecard", "fct_kpi_scorecard_public")
KEY_COLUMNS = ("org_code", "period_type", "period_start", "kpi_code", "breakdown_type", "breakdown_value")
DEFAULT_SPARK_DIR = "/tmp/ipskpi-spark"  # the profile's default for IPSKPI_SPARK_DIR


def spark_parameters(spark_dir: Path) -> dict[str, str]:
    """The Spark settings of the dbt ``spark`` target, rendered for ``spark_dir``.

    Read from profiles/profiles.yml so the registration and dbt share one warehouse and
    one metastore by construction; ANSI mode is off as dbt-spark sets it.
    """
    profile = yaml.safe_load((PROFILES_DIR / "profiles.yml").read_text())
    output = profile["ipskpi"]["outputs"]["spark"]
    env = dbt_env(spark_dir=spark_dir)

    def env_var(name: str, default: str | None = None) -> str:
        if name in env:
            return env[name]
        if default is None:
            raise KeyError(f"environment variable {name} is not set")
        return default

    jinja = jinja2.Environment(undefined=jinja2.StrictUndefined)
    rendered = {
        str(key): jinja.from_string(str(value)).render(env_var=env_var)
        for key, value in output.get("server_side_parameters", {}).items()
    }
    rendered["spark.sql.ansi.enabled"] = "false"
    return rendered


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    return con.execute(sql).fetchone()[0]


def export_raw_to_parquet(raw_db: Path, parquet_dir: Path) -> dict[str, int]:
    """Copy every table of the source schemas out of ``raw_db`` to ``parquet_dir/<schema>/<table>/``.

    Returns rows per table (``schema.table``). Types travel as Parquet types: text,
    integers, doubles, dates, booleans and timestamps (``_loaded_at``).
    """
    con = duckdb.connect(str(raw_db), read_only=True)
    try:
        tables = con.execute(
            "select schema_name, table_name from duckdb_tables() "
            f"where schema_name in ({', '.join('?' for _ in SOURCE_SCHEMAS)}) order by 1, 2",
            list(SOURCE_SCHEMAS),
        ).fetchall()
        rows: dict[str, int] = {}
        for schema, table in tables:
            folder = parquet_dir / schema / table
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            relation = f"{sql.ident(schema)}.{sql.ident(table)}"
            con.execute(
                f"copy (select * from {relation}) to ? (format parquet, compression zstd)",
                [str(folder / "part-0.parquet")],
            )
            rows[f"{schema}.{table}"] = _scalar(con, f"select count(*) from {relation}")
    finally:
        con.close()
    return rows


def spark_session(spark_dir: Path):
    """A local SparkSession with the dbt ``spark`` target's settings (Hive metastore in ``spark_dir``)."""
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName("ipskpi").enableHiveSupport()
    for key, value in spark_parameters(spark_dir).items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def _register(spark, parquet_dir: Path) -> list[str]:
    """Create one Spark database per source schema and one external Parquet table per file folder."""
    registered = []
    for schema_dir in sorted(p for p in parquet_dir.iterdir() if p.is_dir()):
        spark.sql(f"create database if not exists {schema_dir.name}")
        for table_dir in sorted(p for p in schema_dir.iterdir() if p.is_dir()):
            name = f"{schema_dir.name}.{table_dir.name}"
            spark.sql(f"drop table if exists {name}")
            # The location goes through Spark's catalog API, not pasted into a Spark SQL literal.
            spark.catalog.createTable(name, path=str(table_dir.resolve()), source="parquet")
            registered.append(name)
    return registered


def register_raw_tables(parquet_dir: Path, spark_dir: Path) -> list[str]:
    """Register the exported raw tables in the Spark metastore under ``spark_dir``, then stop Spark.

    Run it in a process that is not about to start dbt: the embedded Derby metastore
    admits one JVM at a time (``python -m ipskpi.spark register`` does that).
    """
    spark = spark_session(spark_dir)
    try:
        return _register(spark, parquet_dir)
    finally:
        spark.stop()


def _run_dbt_on_spark(parquet_dir: Path, spark_dir: Path, args: list[str]) -> int:
    """Register the raw tables and run dbt in this process, so both share one JVM (and one Derby)."""
    from dbt.cli.main import dbtRunner

    os.environ["IPSKPI_SPARK_DIR"] = str(spark_dir)
    spark = spark_session(spark_dir)
    try:
        _register(spark, parquet_dir)
        outcome = dbtRunner().invoke(dbt_args(args))
    finally:
        spark.stop()
    return 0 if outcome.success else 1


def build_on_spark(
    parquet_dir: Path,
    spark_dir: Path,
    target_path: Path,
    select: list[str] | None = None,
    exclude: list[str] | None = None,
) -> DbtResult:
    """Register the raw Parquet in Spark and ``dbt build --target spark``, in one process of its own."""
    build_args = ["build", "--target", "spark", "--target-path", str(target_path)]
    build_args += ["--log-path", str(target_path / "logs")]
    build_args += ["--select", *select] if select else []
    build_args += ["--exclude", *exclude] if exclude else []
    command = [
        sys.executable,
        "-m",
        "ipskpi.spark",
        "build",
        str(parquet_dir),
        str(spark_dir),
        "--",
        *build_args,
    ]
    (target_path / "run_results.json").unlink(missing_ok=True)
    env = dbt_env(spark_dir=spark_dir)
    completed = subprocess.run(command, cwd=PROJECT_DIR, env=env, capture_output=True, text=True)
    return process_result(command, completed, target_path / "run_results.json")


def build_on_duckdb(
    raw_db: Path,
    build_db: Path,
    target_path: Path,
    select: list[str] | None = None,
    with_tests: bool = True,
) -> DbtResult:
    """``dbt build --target duckdb`` (or only seeds and models) into a fresh ``build_db``."""
    build_db.unlink(missing_ok=True)
    args = ["build", "--target", "duckdb", "--log-path", str(target_path / "logs")]
    args += ["--select", *select] if select else []
    args += [] if with_tests else ["--exclude", "resource_type:test", "resource_type:unit_test"]
    return run_dbt(args, build_db=build_db, raw_db=raw_db, target_path=target_path)


def spark_table_files(spark_dir: Path, schema: str, table: str) -> str:
    """Glob of the Parquet files of a managed Spark table (the warehouse's ``<schema>.db/<table>``)."""
    folder = spark_dir / "warehouse" / f"{schema}.db" / table
    if not folder.is_dir():
        raise FileNotFoundError(f"Spark built no table {schema}.{table} (no folder {folder})")
    return file_pattern(folder) + "/*.parquet"


@dataclass
class Difference:
    key: tuple
    column: str
    duckdb_value: str | None
    spark_value: str | None


@dataclass
class Comparison:
    """How one mart built by DuckDB and by Spark differ."""

    table: str
    duckdb_rows: int
    spark_rows: int
    only_in_duckdb: int = 0
    only_in_spark: int = 0
    differing_values: int = 0
    missing_columns: list[str] = field(default_factory=list)
    examples: list[Difference] = field(default_factory=list)

    @property
    def equal(self) -> bool:
        return self.duckdb_rows == self.spark_rows and not (
            self.only_in_duckdb or self.only_in_spark or self.differing_values or self.missing_columns
        )

    def to_text(self) -> str:
        verdict = "SAME" if self.equal else "DIFFERENT"
        lines = [
            f"{self.table}: {verdict} ({self.duckdb_rows:,} rows on DuckDB, {self.spark_rows:,} on Spark; "
            f"{self.only_in_duckdb:,} keys only on DuckDB, {self.only_in_spark:,} only on Spark, "
            f"{self.differing_values:,} differing values)"
        ]
        if self.missing_columns:
            lines.append(f"    columns on one engine only: {', '.join(self.missing_columns)}")
        for d in self.examples:
            lines.append(f"    {d.key} {d.column}: duckdb={d.duckdb_value!r} spark={d.spark_value!r}")
        return "\n".join(lines)


def compare_scorecards(
    duckdb_build: Path,
    spark_dir: Path,
    table: str = "fct_kpi_scorecard",
    tolerance: float = 1e-6,
    examples: int = 20,
) -> Comparison:
    """Compare ``marts.<table>`` built on DuckDB and on Spark, row by row on the scorecard key.

    A key on one side only is a difference; for matched rows numbers must agree within
    ``tolerance`` (both null counts as equal, one null does not) and every other column
    exactly. Done in DuckDB over Spark's Parquet files, so no JVM is needed.
    """
    con = duckdb.connect()
    try:
        con.execute(sql.attach("duck", duckdb_build, "read_only"))
        files = spark_table_files(spark_dir, "marts", table)
        con.execute(f"create view spark_rows as select * from read_parquet({sql.literal(files)})")
        con.execute(f"create view duck_rows as select * from duck.marts.{table}")
        duck_cols = {r[0]: r[1] for r in con.execute("describe duck_rows").fetchall()}
        spark_cols = {r[0]: r[1] for r in con.execute("describe spark_rows").fetchall()}
        result = Comparison(
            table,
            duckdb_rows=_scalar(con, "select count(*) from duck_rows"),
            spark_rows=_scalar(con, "select count(*) from spark_rows"),
            missing_columns=sorted(set(duck_cols) ^ set(spark_cols)),
        )
        on = " and ".join(f"d.{k} is not distinct from s.{k}" for k in KEY_COLUMNS)
        key = ", ".join(f"coalesce(d.{k}, s.{k}) as {k}" for k in KEY_COLUMNS)
        con.execute(
            f"create temp table joined as select {key}, d._present as in_duckdb, s._present as in_spark, "
            + ", ".join(
                f"d.{c} as d_{c}, s.{c} as s_{c}"
                for c in duck_cols
                if c in spark_cols and c not in KEY_COLUMNS
            )
            + f" from (select *, true as _present from duck_rows) as d"
            f" full outer join (select *, true as _present from spark_rows) as s on {on}"
        )
        result.only_in_duckdb = _scalar(con, "select count(*) from joined where in_spark is null")
        result.only_in_spark = _scalar(con, "select count(*) from joined where in_duckdb is null")
        checks = []
        for column, kind in duck_cols.items():
            if column in KEY_COLUMNS or column not in spark_cols:
                continue
            d, s = f"d_{column}", f"s_{column}"
            if kind.startswith(("DECIMAL", "DOUBLE", "FLOAT", "INTEGER", "BIGINT", "HUGEINT", "SMALLINT")):
                differs = (
                    f"({d} is null) <> ({s} is null) "
                    f"or abs(cast({d} as double) - cast({s} as double)) > {tolerance!r} + 1e-12"
                )
            else:
                differs = f"{d} is distinct from {s}"
            checks.append(
                f"select {', '.join(KEY_COLUMNS)}, '{column}' as column_name, "
                f"cast({d} as varchar) as duckdb_value, cast({s} as varchar) as spark_value "
                f"from joined where in_duckdb and in_spark and ({differs})"
            )
        if checks:
            con.execute("create temp table differences as " + " union all ".join(checks))
            result.differing_values = _scalar(con, "select count(*) from differences")
            first = con.execute(f"select * from differences order by all limit {int(examples)}").fetchall()
            for row in first:
                result.examples.append(Difference(tuple(row[: len(KEY_COLUMNS)]), *row[len(KEY_COLUMNS) :]))
        for side, where in (("duckdb only", "in_spark is null"), ("spark only", "in_duckdb is null")):
            for row in con.execute(
                f"select {', '.join(KEY_COLUMNS)} from joined where {where} order by all limit 5"
            ).fetchall():
                result.examples.append(Difference(tuple(row), "(row)", side, None))
    finally:
        con.close()
    return result


@dataclass
class SparkCheck:
    """The outcome of building on both engines and comparing the scorecards."""

    work_dir: Path
    duckdb_build: DbtResult | None = None
    spark_build: DbtResult | None = None
    comparisons: list[Comparison] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    raw_rows: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return bool(
            self.duckdb_build
            and self.duckdb_build.ok
            and self.spark_build
            and self.spark_build.ok
            and self.comparisons
            and all(c.equal for c in self.comparisons)
        )

    def to_text(self) -> str:
        lines = [f"ipskpi spark-check: {'SAME' if self.ok else 'FAILED'} (work folder {self.work_dir})"]
        exported = sum(self.raw_rows.values())
        lines.append(f"  Raw       {len(self.raw_rows)} tables, {exported:,} rows exported to Parquet")
        for name, build in (("DuckDB", self.duckdb_build), ("Spark", self.spark_build)):
            if build is None:
                continue
            counts = ", ".join(f"{n} {s}" for s, n in sorted(build.counts.items()))
            lines.append(f"  dbt build on {name}: {'ok' if build.ok else 'FAILED'} ({counts})")
            for f in build.failures[:15]:
                lines.append(f"      {f['status'].upper()} {f['node']}: {(f['message'] or '')[:300]}")
            if not build.ok and not build.failures:
                lines.append("      " + build.log_tail[-3000:].replace("\n", "\n      "))
        for comparison in self.comparisons:
            lines.append("  " + comparison.to_text().replace("\n", "\n  "))
        lines.append("  Time      " + ", ".join(f"{k} {v:.1f}s" for k, v in self.seconds.items()))
        return "\n".join(lines)


def spark_check(
    work_dir: Path | None = None,
    *,
    landing: Path | None = None,
    raw_db: Path | None = None,
    select: list[str] | None = None,
    spark_exclude: list[str] | None = None,
    duckdb_tests: bool = True,
    tolerance: float = 1e-6,
) -> SparkCheck:
    """Build the project on DuckDB and on Spark from the same raw layer and compare the scorecards.

    The raw layer is ``raw_db`` when given, else ``landing`` (default: the bundled sample)
    loaded into a fresh raw database in ``work_dir``. ``select`` narrows both builds,
    ``spark_exclude`` the Spark one (e.g. ``test_type:data``); ``duckdb_tests=False``
    builds only seeds and models on DuckDB (its tests run in every refresh anyway).
    Everything is written under ``work_dir`` (a new temporary folder when none is
    given); Spark's warehouse and metastore are started afresh each time.
    """
    work_dir = Path(work_dir or tempfile.mkdtemp(prefix="ipskpi-spark-check-")).resolve()
    work_dir.mkdir(parents=True, exist_ok=True)
    check = SparkCheck(work_dir)

    def timed(step: str, started: float) -> None:
        check.seconds[step] = time.perf_counter() - started

    if raw_db is None:
        from ipskpi.config import SAMPLE_LANDING
        from ipskpi.ingest.provider_returns import load_provider_returns
        from ipskpi.ingest.public_sources import load_public_sources

        landing = Path(landing or SAMPLE_LANDING).resolve()
        raw_db = work_dir / "raw.duckdb"
        raw_db.unlink(missing_ok=True)
        started = time.perf_counter()
        con = duckdb.connect(str(raw_db))
        try:
            load_provider_returns(con, landing / "provider_returns", "spark-check", landing)
            load_public_sources(con, landing, "spark-check")
        finally:
            con.close()
        timed("ingest", started)
    raw_db = Path(raw_db).resolve()

    started = time.perf_counter()
    check.raw_rows = export_raw_to_parquet(raw_db, work_dir / "parquet")
    timed("export to parquet", started)

    started = time.perf_counter()
    duckdb_build = work_dir / "build.duckdb"
    check.duckdb_build = build_on_duckdb(
        raw_db, duckdb_build, work_dir / "target-duckdb", select, with_tests=duckdb_tests
    )
    timed("dbt build duckdb", started)

    spark_dir = work_dir / "spark"
    shutil.rmtree(spark_dir, ignore_errors=True)
    spark_dir.mkdir(parents=True)
    started = time.perf_counter()
    check.spark_build = build_on_spark(
        work_dir / "parquet", spark_dir, work_dir / "target-spark", select, spark_exclude
    )
    timed("spark: register + dbt build", started)

    started = time.perf_counter()
    for table in SCORECARDS:
        try:
            check.comparisons.append(compare_scorecards(duckdb_build, spark_dir, table, tolerance))
        except (FileNotFoundError, duckdb.Error) as exc:
            failed = Comparison(table, 0, 0, missing_columns=[f"(not comparable: {exc})"])
            check.comparisons.append(failed)
    timed("compare", started)
    return check


def main(argv: list[str] | None = None) -> int:
    """``python -m ipskpi.spark register|build``: the processes that hold a Spark JVM."""
    parser = argparse.ArgumentParser(prog="python -m ipskpi.spark", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    reg = sub.add_parser(
        "register",
        help="export a raw.duckdb to Parquet and register its source tables in the Spark metastore, "
        "ready for `dbt build --target spark`",
    )
    reg.add_argument("--raw-db", type=Path, required=True, help="the raw layer (e.g. warehouse/raw.duckdb)")
    reg.add_argument(
        "--spark-dir",
        type=Path,
        default=Path(os.environ.get("IPSKPI_SPARK_DIR", DEFAULT_SPARK_DIR)),
        help="Spark warehouse and metastore (IPSKPI_SPARK_DIR; the profile reads the same variable)",
    )
    build = sub.add_parser("build", help="(internal) register Parquet folders and run dbt in one JVM")
    build.add_argument("parquet_dir", type=Path)
    build.add_argument("spark_dir", type=Path)
    build.add_argument("dbt_args", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    if args.command == "build":
        forwarded = args.dbt_args[1:] if args.dbt_args[:1] == ["--"] else args.dbt_args
        return _run_dbt_on_spark(args.parquet_dir, args.spark_dir, forwarded)
    spark_dir = args.spark_dir.resolve()
    rows = export_raw_to_parquet(args.raw_db, spark_dir / "raw-parquet")
    for name in register_raw_tables(spark_dir / "raw-parquet", spark_dir):
        print(f"registered {name} ({rows.get(name, 0):,} rows)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
