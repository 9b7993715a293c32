"""The refresh end to end, as a user runs it: the real ``ipskpi`` command in a subprocess,
real Prefect, dbt, Great Expectations and DuckDB, on the bundled sample landing folder."""

from __future__ import annotations

import fcntl
import hashlib
import json
import shutil
from pathlib import Path

import duckdb
import pytest

from ipskpi.config import EXPECTATIONS_DIR, SAMPLE_LANDING, WarehouseLayout
from ipskpi.publish import generations
from tests.conftest import run_cli

pytestmark = pytest.mark.e2e


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def published_warehouse(sample_warehouse):
    """The session's warehouse after one successful refresh of the sample data."""
    return sample_warehouse


def suites_with(tmp_path: Path, extra: dict) -> Path:
    folder = tmp_path / "expectations"
    shutil.copytree(EXPECTATIONS_DIR, folder)
    (folder / f"{extra['name']}.json").write_text(json.dumps(extra))
    return folder


def job_starts_suite(severity: str) -> dict:
    """A deliberately impossible rule: every provider had no job starts in any financial year."""
    return {
        "name": f"test_no_job_starts_{severity}",
        "meta": {
            "query": "select org_code, period_start, value from marts.fct_kpi_scorecard "
            "where kpi_code = 'job_starts' and breakdown_type is null "
            "and period_type = 'financial_year' and org_level = 'provider'",
            "id_columns": ["org_code", "period_start"],
        },
        "expectations": [
            {
                "type": "expect_column_values_to_be_between",
                "kwargs": {"column": "value", "max_value": 0},
                "severity": severity,
                "meta": {"description": "no provider has any job start"},
            }
        ],
    }


def test_refresh_publishes_scorecard_with_provider_and_england_rows(published_warehouse):
    warehouse, result = published_warehouse
    assert "PUBLISHED" in result.stdout
    assert "restricted tree" in result.stdout and "public tree" in result.stdout
    con = duckdb.connect(str(WarehouseLayout(warehouse).restricted_db), read_only=True)
    levels = dict(con.execute("select org_level, count(*) from fct_kpi_scorecard group by 1").fetchall())
    assert levels["provider"] > 0 and levels["england"] > 0
    # Issue 15: the ICB and NHS England region levels, each summed from its own providers.
    assert (
        set(levels) == {"provider", "icb", "region", "england"} and levels["icb"] > 0 and levels["region"] > 0
    )
    columns = [r[0] for r in con.execute("describe fct_kpi_scorecard").fetchall()]
    assert columns == [
        "org_code",
        "org_level",
        "period_type",
        "period_start",
        "period_end",
        "kpi_code",
        "breakdown_type",
        "breakdown_value",
        "numerator",
        "denominator",
        "value",
        "target_min",
        "target_max",
        "target_status",
        "target_framework",
        "as_of_date",
        "months_expected",
        "months_with_return",
        "providers_expected",
        "providers_reporting",
        "is_incomplete",
        "is_provisional",
    ]
    runs = con.execute("select status from refresh_runs").fetchall()
    assert runs == [("published",)]


def test_failed_audit_blocks_publishing_and_leaves_published_file_untouched(
    published_warehouse, tmp_path, prefect_server
):
    warehouse, _ = published_warehouse
    before = sha256(WarehouseLayout(warehouse).restricted_db)
    env = dict(
        prefect_server, IPSKPI_EXPECTATIONS_DIR=str(suites_with(tmp_path, job_starts_suite("critical")))
    )
    result = run_cli(["refresh", "--landing", str(SAMPLE_LANDING), "--warehouse", str(warehouse)], env)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "BLOCKED (audit failed)" in result.stdout
    assert "yesterday's published data is untouched" in result.stdout
    assert sha256(WarehouseLayout(warehouse).restricted_db) == before
    report = next(p for p in sorted((warehouse / "runs").glob("*/report.md")) if "blocked" in p.read_text())
    text = report.read_text()
    assert "test_no_job_starts_critical" in text and "no provider has any job start" in text
    con = duckdb.connect(str(WarehouseLayout(warehouse).restricted_db), read_only=True)
    provider = con.execute(
        "select min(org_code) from fct_kpi_scorecard where org_level = 'provider'"
    ).fetchone()[0]
    assert provider in text
    # The blocked night's build is kept, named in the summary, and can be queried.
    layout = WarehouseLayout(warehouse)
    kept = sorted(layout.blocked_dir.glob("*.duckdb"))
    assert len(kept) == 1 and f"blocked build       {kept[0]}" in result.stdout
    con = duckdb.connect(str(kept[0]), read_only=True)
    assert con.execute("select count(*) from marts.fct_kpi_scorecard").fetchone()[0] > 0
    con.close()


def test_warning_only_night_publishes_and_reports_the_warning(published_warehouse, tmp_path, prefect_server):
    warehouse, _ = published_warehouse
    before = sha256(WarehouseLayout(warehouse).restricted_db)
    env = dict(
        prefect_server, IPSKPI_EXPECTATIONS_DIR=str(suites_with(tmp_path, job_starts_suite("warning")))
    )
    result = run_cli(["refresh", "--landing", str(SAMPLE_LANDING), "--warehouse", str(warehouse)], env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "PUBLISHED" in result.stdout and "WARNING test_no_job_starts_warning" in result.stdout
    assert sha256(WarehouseLayout(warehouse).restricted_db) != before
    con = duckdb.connect(str(WarehouseLayout(warehouse).restricted_db), read_only=True)
    warned = con.execute(
        "select count(*) from audit_results where severity = 'warning' and not success"
    ).fetchone()[0]
    assert warned >= 1
    assert generations(WarehouseLayout(warehouse))
    # Same project, same tables and columns: the docs are copied, not regenerated.
    assert "dbt docs reused from run " in result.stdout
    layout = WarehouseLayout(warehouse)
    kept = (layout.state_dir / "docs" / "static_index.html").read_bytes()
    assert (layout.restricted_dir / "docs" / "index.html").read_bytes() == kept
    assert (layout.public_dir / "docs" / "index.html").exists()


def test_second_refresh_on_the_same_warehouse_refuses_while_one_runs(published_warehouse, prefect_server):
    warehouse, _ = published_warehouse
    before = sha256(WarehouseLayout(warehouse).restricted_db)
    with open(warehouse / "refresh.lock", "a+") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        result = run_cli(
            ["refresh", "--landing", str(SAMPLE_LANDING), "--warehouse", str(warehouse)], prefect_server
        )
    assert result.returncode == 3
    assert "another refresh is already running" in result.stderr
    assert sha256(WarehouseLayout(warehouse).restricted_db) == before


def test_the_benchmarks_pandas_peer_agrees_with_every_provider_and_year(published_warehouse):
    """benchmarks/pandas_peer.py is the benchmark's peer: its figures must be the pipeline's."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "pandas_peer", Path(__file__).resolve().parents[2] / "benchmarks" / "pandas_peer.py"
    )
    peer = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(peer)
    warehouse, _ = published_warehouse
    figures = peer.calculate(SAMPLE_LANDING)
    checked = peer.check(figures, WarehouseLayout(warehouse).restricted_db)
    assert checked["compared"] >= 50 and checked["only_in_peer"] == 0
    assert checked["agree"] == checked["compared"], checked["differ_by_provider"]


@pytest.mark.parametrize(("provider", "financial_year"), [("RX4", 2024), ("RXT", 2025)])
def test_marts_match_an_independent_hand_calculation(published_warehouse, provider, financial_year):
    from tests.hand_calculation import calculate

    warehouse, _ = published_warehouse
    expected = calculate(provider, financial_year)
    con = duckdb.connect(str(WarehouseLayout(warehouse).restricted_db), read_only=True)
    rows = con.execute(
        "select kpi_code, value from fct_kpi_scorecard where org_code = ? and period_type = 'financial_year' "
        "and period_start = ? and breakdown_type is null",
        [provider, f"{financial_year}-04-01"],
    ).fetchall()
    published = {code: float(value) for code, value in rows if code in expected}
    assert published == pytest.approx(expected, abs=1e-6)
