"""BI-ready exports and the published file's storage format.

The exports (``<warehouse>/exports/<table>.parquet`` and ``.csv``) are written from the
same new file that is swapped in as ``published.duckdb``, so they must hold exactly the
same rows; the public ones must never show an identifier or a count from 1 to 4. The
published file is written in DuckDB storage format v1.0.0 so an older DuckDB opens it.
"""

from __future__ import annotations

import struct
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

from ipskpi.config import WarehouseLayout
from ipskpi.history import ensure_history
from ipskpi.publish import exports_dir, publish, rollback

PUBLIC_TABLES = ("fct_kpi_scorecard_public", "dim_kpis", "dim_providers", "dim_periods")
IDENTIFIER_COLUMNS = ("client_id", "referral_id", "staff_id", "job_id", "nhs_number", "person_id")
OLDEST_DUCKDB_TESTED = "1.1.3"  # an older embedded DuckDB, as in BI tools; storage v1.0.0 needs >= 0.10.0


def build_with(tmp_path: Path, name: str, value: int) -> Path:
    path = tmp_path / f"{name}.duckdb"
    con = duckdb.connect(str(path))
    con.execute("create schema marts")
    con.execute(
        f"""create table marts.fct_kpi_scorecard as
            select 'ENG' as org_code, 'jobs_started' as kpi_code, date '2025-04-01' as period_start,
                   cast({value} as decimal(28, 6)) as value, cast(null as varchar) as breakdown_type"""
    )
    con.execute("create table marts.dim_kpis as select 'jobs_started' as kpi_code, 'count' as unit")
    con.execute("create table marts.int_hidden as select 1 as x")
    con.close()
    return path


@pytest.fixture
def layout(tmp_path: Path) -> WarehouseLayout:
    layout = WarehouseLayout(tmp_path / "wh")
    layout.ensure()
    raw = duckdb.connect(str(layout.raw_db))
    ensure_history(raw)
    raw.close()
    return layout


def storage_version(path: Path) -> int:
    """The storage version number in a DuckDB file's header (docs: internals/storage)."""
    with open(path, "rb") as handle:
        magic, version = struct.Struct("<8x4sQ").unpack(handle.read(20))
    assert magic == b"DUCK"
    return version


def assert_exports_match_published(published: Path, exports: Path) -> list[str]:
    """Every fct_/dim_ table has a Parquet and a CSV export with exactly its rows."""
    con = duckdb.connect(str(published), read_only=True)
    try:
        tables = [
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables "
                "where table_name like 'fct%' or table_name like 'dim%' order by 1"
            ).fetchall()
        ]
        assert tables
        for table in tables:
            parquet = exports / f"{table}.parquet"
            csv = exports / f"{table}.csv"
            assert parquet.exists() and csv.exists(), table
            from_parquet = f"read_parquet('{parquet}')"
            for left, right in ((table, from_parquet), (from_parquet, table)):
                (extra,) = con.execute(
                    f"select count(*) from (select * from {left} except all select * from {right})"
                ).fetchone()
                assert extra == 0, f"{table}: parquet export differs from the table"
            columns = [r[0] for r in con.execute(f"describe {table}").fetchall()]
            (n_table,) = con.execute(f"select count(*) from {table}").fetchone()
            (n_csv,) = con.execute(f"select count(*) from read_csv('{csv}', header = true)").fetchone()
            assert n_csv == n_table, table
            csv_header = csv.read_text().splitlines()[0].split(",")
            assert csv_header == columns, table
            # Values survive the CSV round trip (compared as text, the way a BI tool reads them).
            cast_all = ", ".join(f'cast("{c}" as varchar)' for c in columns)
            csv_typed = f"read_csv('{csv}', header = true, all_varchar = true)"
            (diff,) = con.execute(
                f"select count(*) from (select {cast_all} from {table} except all select * from {csv_typed})"
            ).fetchone()
            assert diff == 0, f"{table}: csv export differs from the table"
    finally:
        con.close()
    return tables


def test_publish_writes_exports_that_match_the_published_tables(layout, tmp_path):
    publish(build_with(tmp_path, "b1", 7), layout.raw_db, layout, "run1")
    exports = exports_dir(layout)
    tables = assert_exports_match_published(layout.published_db, exports)
    assert tables == ["dim_kpis", "fct_kpi_scorecard"]
    assert not (exports / "int_hidden.parquet").exists()
    assert not list(layout.root.glob("*.tmp")) and not list(layout.root.glob("*.tmp.duckdb"))


def test_a_new_publish_and_a_rollback_swap_the_exports_with_the_database(layout, tmp_path):
    publish(build_with(tmp_path, "b1", 1), layout.raw_db, layout, "run1")
    publish(build_with(tmp_path, "b2", 2), layout.raw_db, layout, "run2")
    exports = exports_dir(layout)
    assert (
        duckdb.sql(f"select value from read_parquet('{exports}/fct_kpi_scorecard.parquet')").fetchone()[0]
        == 2
    )
    assert_exports_match_published(layout.published_db, exports)
    assert len(list(layout.root.glob("exports-*"))) == 1  # the previous folder is gone
    rollback(layout)
    assert (
        duckdb.sql(f"select value from read_parquet('{exports}/fct_kpi_scorecard.parquet')").fetchone()[0]
        == 1
    )
    assert_exports_match_published(layout.published_db, exports)


def test_published_file_uses_storage_version_readable_by_duckdb_0_10_and_later(layout, tmp_path):
    publish(build_with(tmp_path, "b1", 1), layout.raw_db, layout, "run1")
    # 64 is the storage version of DuckDB v0.10.x, v1.0.0 and v1.1.x.
    assert storage_version(layout.published_db) == 64


@pytest.fixture(scope="session")
def old_duckdb(tmp_path_factory) -> Path:
    """DuckDB 1.1.3 installed into a throwaway folder (skipped without the package registry)."""
    target = tmp_path_factory.mktemp("duckdb-old")
    uv = Path(sys.executable).with_name("uv")
    command = [
        str(uv) if uv.exists() else "uv",
        "pip",
        "install",
        "--quiet",
        "--python",
        sys.executable,
        "--target",
        str(target),
        f"duckdb=={OLDEST_DUCKDB_TESTED}",
    ]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"could not install duckdb {OLDEST_DUCKDB_TESTED}: {exc}")
    if done.returncode != 0:
        pytest.skip(f"could not install duckdb {OLDEST_DUCKDB_TESTED}: {done.stderr[-500:]}")
    return target


def test_an_older_duckdb_opens_the_published_file(layout, tmp_path, old_duckdb):
    publish(build_with(tmp_path, "b1", 3), layout.raw_db, layout, "run1")
    script = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(old_duckdb)!r})
        import duckdb
        assert duckdb.__version__ == {OLDEST_DUCKDB_TESTED!r}, duckdb.__version__
        con = duckdb.connect({str(layout.published_db)!r}, read_only=True)
        print(con.execute("select value from fct_kpi_scorecard").fetchone()[0])
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "3.000000"


def test_sample_refresh_exports_match_and_public_exports_disclose_nothing(sample_warehouse):
    warehouse, _ = sample_warehouse
    layout = WarehouseLayout(Path(warehouse))
    exports = exports_dir(layout)
    tables = assert_exports_match_published(layout.published_db, exports)
    assert set(PUBLIC_TABLES) <= set(tables)
    con = duckdb.connect()
    try:
        for table in PUBLIC_TABLES:
            for extension in ("parquet", "csv"):
                source = f"'{exports / f'{table}.{extension}'}'"
                columns = {r[0] for r in con.execute(f"describe select * from {source}").fetchall()}
                assert not columns & set(IDENTIFIER_COLUMNS), (table, extension)
        for extension in ("parquet", "csv"):
            scorecard = f"'{exports / f'fct_kpi_scorecard_public.{extension}'}'"
            kpis = f"'{exports / f'dim_kpis.{extension}'}'"
            (shown,) = con.execute(
                f"""select count(*) from {scorecard} as s left join {kpis} as k on s.kpi_code = k.kpi_code
                    where (k.unit in ('count', 'rate', 'ratio', 'per_wte') and s.numerator between 1 and 4)
                       or (k.unit in ('rate', 'ratio', 'mean', 'median_days', 'gbp') and s.denominator between 1 and 4)
                       or (k.unit = 'count' and s.value between 1 and 4)"""
            ).fetchone()
            assert shown == 0, f"public {extension} export shows counts from 1 to 4"
            (rows,) = con.execute(f"select count(*) from {scorecard}").fetchone()
            assert rows > 0
    finally:
        con.close()


def test_sample_refresh_publishes_dbt_docs_and_lists_the_outputs(sample_warehouse):
    warehouse, result = sample_warehouse
    docs = Path(warehouse) / "docs" / "index.html"
    assert docs.exists(), result.stdout[-2000:]
    assert "<html" in docs.read_text(errors="replace")[:5000].lower()
    assert "dbt docs could not" not in result.stdout
    assert f"dbt docs            {docs}" in result.stdout
    assert "BI exports" in result.stdout
    # the build's own run_results.json survives docs generate (the README points at it)
    import json

    run_results = next(Path(warehouse).glob("runs/*/dbt_target/run_results.json"))
    assert json.loads(run_results.read_text())["args"]["which"] == "build"
