"""BI-ready exports, what each published tree holds, and the published files' storage format.

Each tree's exports (``<warehouse>/public/exports/`` and ``<warehouse>/restricted/exports/``,
``<table>.parquet`` and ``.csv``) are written from the same new file that is swapped in as
that tree's database, so they must hold exactly the same rows. The public tree must hold
no restricted table, no restricted column, no identifier and no exact count (no count
from 0 to 4, every count rounded). The published files are written in DuckDB storage
format v1.0.0 so an older DuckDB opens them.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

from ipskpi.config import WarehouseLayout
from ipskpi.history import ensure_history
from ipskpi.publish import HISTORY_TABLES, publish, rollback

PUBLIC_TABLES = (
    "fct_kpi_scorecard_public",
    "dim_kpis",
    "dim_providers",
    "dim_organisations",
    "dim_periods",
    "fct_ips_access_triangulation_public",
)
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
    con.execute(
        f"""create table marts.fct_kpi_scorecard_public as
            select 'ENG' as org_code, 'jobs_started' as kpi_code, date '2025-04-01' as period_start,
                   cast({value * 5} as decimal(28, 6)) as value, false as is_suppressed"""
    )
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
    tables = assert_exports_match_published(layout.restricted_db, layout.restricted_exports)
    assert tables == ["dim_kpis", "fct_kpi_scorecard", "fct_kpi_scorecard_public"]
    public = assert_exports_match_published(layout.public_db, layout.public_exports)
    assert public == ["dim_kpis", "fct_kpi_scorecard_public"]
    assert not (layout.restricted_exports / "int_hidden.parquet").exists()
    assert not list(layout.generations_dir.glob("*.tmp"))


def test_a_new_publish_and_a_rollback_swap_the_exports_with_the_database(layout, tmp_path):
    publish(build_with(tmp_path, "b1", 1), layout.raw_db, layout, "run1")
    publish(build_with(tmp_path, "b2", 2), layout.raw_db, layout, "run2")

    def exported(tree: Path, table: str) -> int:
        return duckdb.execute(
            "select value from read_parquet(?)", [str(tree / "exports" / f"{table}.parquet")]
        ).fetchone()[0]

    assert exported(layout.restricted_dir, "fct_kpi_scorecard") == 2
    assert exported(layout.public_dir, "fct_kpi_scorecard_public") == 10
    assert_exports_match_published(layout.restricted_db, layout.restricted_exports)
    rollback(layout)
    assert exported(layout.restricted_dir, "fct_kpi_scorecard") == 1
    assert exported(layout.public_dir, "fct_kpi_scorecard_public") == 5
    assert_exports_match_published(layout.restricted_db, layout.restricted_exports)
    assert_exports_match_published(layout.public_db, layout.public_exports)


def test_published_file_uses_storage_version_readable_by_duckdb_0_10_and_later(layout, tmp_path):
    publish(build_with(tmp_path, "b1", 1), layout.raw_db, layout, "run1")
    # 64 is the storage version of DuckDB v0.10.x, v1.0.0 and v1.1.x.
    assert storage_version(layout.restricted_db) == 64
    assert storage_version(layout.public_db) == 64


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
        con = duckdb.connect({str(layout.restricted_db)!r}, read_only=True)
        print(con.execute("select value from fct_kpi_scorecard").fetchone()[0])
        con = duckdb.connect({str(layout.public_db)!r}, read_only=True)
        print(con.execute("select value from fct_kpi_scorecard_public").fetchone()[0])
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["3.000000", "15.000000"]


def test_sample_refresh_exports_match_and_public_exports_disclose_nothing(sample_warehouse):
    warehouse, _ = sample_warehouse
    layout = WarehouseLayout(Path(warehouse))
    restricted = assert_exports_match_published(layout.restricted_db, layout.restricted_exports)
    assert set(PUBLIC_TABLES) < set(restricted)
    public = assert_exports_match_published(layout.public_db, layout.public_exports)
    assert public == sorted(PUBLIC_TABLES)
    con = duckdb.connect()
    try:
        for table in PUBLIC_TABLES:
            for extension in ("parquet", "csv"):
                source = layout.public_exports / f"{table}.{extension}"
                columns = {
                    r[0]
                    for r in con.execute("describe select * from query_table(?)", [str(source)]).fetchall()
                }
                assert not columns & set(IDENTIFIER_COLUMNS), (table, extension)
        for extension in ("parquet", "csv"):
            scorecard = str(layout.public_exports / f"fct_kpi_scorecard_public.{extension}")
            kpis = str(layout.public_exports / f"dim_kpis.{extension}")
            (shown,) = con.execute(
                """select count(*) from query_table(?) as s left join query_table(?) as k on s.kpi_code = k.kpi_code
                    where (k.is_numerator_a_count and s.numerator between 0 and 4)
                       or (k.is_denominator_a_count and s.denominator between 0 and 4)
                       or (k.is_value_a_count and s.value between 0 and 4)""",
                [scorecard, kpis],
            ).fetchone()
            assert shown == 0, f"public {extension} export shows counts from 0 to 4"
            (rows,) = con.execute("select count(*) from query_table(?)", [scorecard]).fetchone()
            assert rows > 0
    finally:
        con.close()


def test_the_public_tree_alone_holds_nothing_restricted(sample_warehouse):
    """public/public.duckdb and public/exports: the public tables only, their columns only,
    no run history and no exact count (every count a multiple of 5, none from 0 to 4)."""
    warehouse, _ = sample_warehouse
    layout = WarehouseLayout(Path(warehouse))
    con = duckdb.connect(str(layout.public_db), read_only=True)
    try:
        tables = {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}
        assert tables == set(PUBLIC_TABLES)
        assert not tables & set(HISTORY_TABLES)
        columns = {
            r[0]
            for r in con.execute(
                "select column_name from information_schema.columns where table_name = 'fct_kpi_scorecard_public'"
            ).fetchall()
        }
        assert not columns & set(IDENTIFIER_COLUMNS)
        # Counts behind every published figure are rounded to 5: none is exact.
        (exact,) = con.execute(
            """select count(*) from fct_kpi_scorecard_public as s inner join dim_kpis as k using (kpi_code)
               where (k.is_numerator_a_count and s.numerator % 5 <> 0)
                  or (k.is_denominator_a_count and s.denominator % 5 <> 0)"""
        ).fetchone()
        assert exact == 0, "the public scorecard shows a count that is not rounded to 5"
        (rounded,) = con.execute(
            "select count(*) from fct_kpi_scorecard_public where numerator is not null"
        ).fetchone()
        assert rounded > 0
    finally:
        con.close()
    restricted_columns = duckdb.connect(str(layout.restricted_db), read_only=True)
    try:
        for table in PUBLIC_TABLES:  # the public copy has the columns of the public model, nothing more
            want = [r[0] for r in restricted_columns.execute(f"describe {table}").fetchall()]
            got = [
                r[0]
                for r in duckdb.execute(
                    "describe select * from read_parquet(?)",
                    [str(layout.public_exports / f"{table}.parquet")],
                ).fetchall()
            ]
            assert got == want, table
    finally:
        restricted_columns.close()
    assert sorted(p.name for p in layout.public_exports.iterdir()) == sorted(
        f"{t}.{e}" for t in PUBLIC_TABLES for e in ("parquet", "csv")
    )
    assert {p.name for p in layout.public_dir.iterdir()} == {"public.duckdb", "exports", "reports", "docs"}


PUBLIC_DASHBOARD_QUERY = """
    select providers.provider_name, kpis.kpi_name, scorecard.period_start, scorecard.value,
           scorecard.target_status, scorecard.is_suppressed
    from fct_kpi_scorecard_public as scorecard
    inner join dim_kpis as kpis on scorecard.kpi_code = kpis.kpi_code
    left join dim_providers as providers on scorecard.org_code = providers.provider_code
    where scorecard.period_type = 'financial_year' and scorecard.breakdown_type is null
"""


def test_a_copy_of_the_public_tree_alone_serves_a_dashboard_report_and_docs(sample_warehouse, tmp_path):
    """Copied whole (as to a web server), public/ answers the README's dashboard query and
    holds the commissioner report and dbt docs that describe the public models only."""
    warehouse, _ = sample_warehouse
    layout = WarehouseLayout(Path(warehouse))
    copy = tmp_path / "www"
    shutil.copytree(layout.public_dir, copy)  # follows the public -> current/public link
    con = duckdb.connect(str(copy / "public.duckdb"), read_only=True)
    try:
        rows = con.execute(PUBLIC_DASHBOARD_QUERY).fetchall()
    finally:
        con.close()
    assert rows and {r[0] for r in rows} >= {None}  # England (no provider) and the providers
    assert len({r[0] for r in rows}) > 2
    england = (copy / "reports" / "england.html").read_text()
    assert "England" in england
    docs = (copy / "docs" / "index.html").read_text()
    assert "model.ipskpi.fct_kpi_scorecard_public" in docs and "exposure.ipskpi.bi_dashboards" in docs
    for restricted in ('model.ipskpi.fct_kpi_scorecard"', "model.ipskpi.fct_intake", "source.ipskpi."):
        assert restricted not in docs, restricted
    full = (layout.restricted_docs).read_text()
    assert "model.ipskpi.fct_intake" in full


def test_sample_refresh_publishes_dbt_docs_and_lists_the_outputs(sample_warehouse):
    warehouse, result = sample_warehouse
    layout = WarehouseLayout(Path(warehouse))
    for docs in (layout.public_docs, layout.restricted_docs):
        assert docs.exists(), result.stdout[-2000:]
        assert "<html" in docs.read_text(errors="replace")[:5000].lower()
        assert f"dbt docs          {docs}" in result.stdout
    assert "dbt docs could not" not in result.stdout
    assert f"BI exports        {layout.public_exports}/" in result.stdout
    assert f"public tree         {layout.public_dir}/" in result.stdout
    assert f"restricted tree     {layout.restricted_dir}/" in result.stdout
    # the build's own run_results.json survives docs generate (the README points at it)
    import json

    run_results = next(Path(warehouse).glob("runs/*/dbt_target/run_results.json"))
    assert json.loads(run_results.read_text())["args"]["which"] == "build"
