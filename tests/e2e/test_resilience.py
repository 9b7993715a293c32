"""Yesterday's published marts survive any bad night: crashes at every stage, readers
holding the file open, and two refreshes started at once. Real processes, real files."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from ipskpi.config import SAMPLE_LANDING, WarehouseLayout
from tests.conftest import run_cli

pytestmark = pytest.mark.e2e


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def scorecard_rows(published: Path) -> int:
    con = duckdb.connect(str(published), read_only=True)
    try:
        return con.execute("select count(*) from fct_kpi_scorecard").fetchone()[0]
    finally:
        con.close()


def refresh(warehouse: Path, env: dict[str, str], landing: Path = SAMPLE_LANDING):
    return run_cli(["refresh", "--landing", str(landing), "--warehouse", str(warehouse)], env)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory, prefect_server):
    folder = tmp_path_factory.mktemp("resilient")
    result = refresh(folder, prefect_server)
    assert result.returncode == 0, result.stdout + result.stderr
    return folder


@pytest.mark.parametrize("crash_at", ["during_ingest", "during_dbt", "during_audit", "before_swap"])
def test_refresh_killed_mid_run_leaves_previous_published_file_intact(
    warehouse, prefect_server, crash_at, tmp_path
):
    published = WarehouseLayout(warehouse).restricted_db
    before = sha256(published)
    rows_before = scorecard_rows(published)
    landing = tmp_path / "landing"
    if crash_at == "during_ingest":
        # A new return must be arriving for the ingest to be mid-transaction when killed.
        import shutil

        shutil.copytree(SAMPLE_LANDING, landing)
        last = sorted((landing / "provider_returns").glob("RX4_*"))[-1]
        copy = last.with_name("RX4_2026-04" + last.suffix)
        (shutil.copytree if last.is_dir() else shutil.copy)(last, copy)
    else:
        landing = SAMPLE_LANDING
    result = refresh(warehouse, dict(prefect_server, IPSKPI_CRASH_AT=crash_at), landing)
    assert result.returncode == -9, (
        f"expected SIGKILL at {crash_at}: {result.stdout[-2000:]}{result.stderr[-2000:]}"
    )
    assert sha256(published) == before
    assert scorecard_rows(published) == rows_before
    raw = duckdb.connect(str(warehouse / "raw.duckdb"), read_only=True)
    half_loaded = raw.execute(
        "select count(*) from provider_returns.referrals where _return_month = '2026-04'"
    ).fetchone()[0]
    raw.close()
    assert half_loaded == 0, "a killed ingest must leave no half-loaded return"


def test_next_refresh_after_crashes_succeeds(warehouse, prefect_server):
    result = refresh(warehouse, prefect_server)
    assert result.returncode == 0, result.stdout + result.stderr
    assert not list((warehouse / "build").glob("*.duckdb*")), "killed runs' build files are cleaned up"
    assert not list((warehouse / "generations").glob("*.tmp"))


READER = """
import duckdb, sys, time
con = duckdb.connect(sys.argv[1], read_only=True)
first = con.execute("select count(*), max(as_of_date) from fct_kpi_scorecard").fetchone()
print("ready", flush=True)
sys.stdin.readline()
second = con.execute("select count(*), max(as_of_date) from fct_kpi_scorecard").fetchone()
print("same" if first == second else f"changed {first} {second}", flush=True)
"""


def test_reader_keeps_a_consistent_view_while_a_refresh_publishes(warehouse, prefect_server):
    published = WarehouseLayout(warehouse).restricted_db
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(published)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert reader.stdout.readline().strip() == "ready"
    before = sha256(published)
    result = refresh(warehouse, prefect_server)
    assert result.returncode == 0, result.stdout + result.stderr
    out, _ = reader.communicate("go\n", timeout=60)
    assert out.strip() == "same", "the open reader saw the swap mid-query"
    assert sha256(published) != before
    con = duckdb.connect(str(published), read_only=True)
    assert con.execute("select count(*) from refresh_runs where status = 'published'").fetchone()[0] >= 2


def test_two_refreshes_started_at_once_one_runs_and_one_refuses(warehouse, prefect_server):
    exe = str(Path(sys.executable).with_name("ipskpi"))
    import os

    env = dict(os.environ, **prefect_server)
    args = [exe, "refresh", "--landing", str(SAMPLE_LANDING), "--warehouse", str(warehouse)]
    first = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(0.5)
    second = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    outputs = [p.communicate(timeout=900) for p in (first, second)]
    codes = sorted([first.returncode, second.returncode])
    assert codes == [0, 3], outputs
    refused = outputs[0] if first.returncode == 3 else outputs[1]
    assert "another refresh is already running" in refused[1]
    assert scorecard_rows(WarehouseLayout(warehouse).restricted_db) > 0
