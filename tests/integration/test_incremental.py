"""A nightly incremental build equals a full rebuild from the same raw layer.

Night 1 loads the sample without its last month and builds in full. Night 2 loads the
last month, a re-sent copy of one provider's previous month that no longer carries a
referral first sent in it, and a return that deletes a referral; it builds incrementally
on a copy of night 1's build, and, separately, in full from scratch. Every intermediate
and mart table must hold the same rows in both.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import duckdb
import pytest

from ipskpi.config import SAMPLE_LANDING
from ipskpi.dbt_runner import run_dbt
from ipskpi.ingest.provider_returns import load_provider_returns
from ipskpi.ingest.public_sources import load_public_sources

LAST_MONTH = "2026-03"
PREVIOUS_MONTH = "2026-02"
RESENT = "RX4"  # CSV returns, so the test can edit them
DELETES = "RXT"


def _rows(path: Path) -> tuple[list[str], list[dict]]:
    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def _write(path: Path, header: list[str], rows: list[dict]) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, header)
        writer.writeheader()
        writer.writerows(rows)


def _load(raw: Path, landing: Path, run_id: str) -> None:
    con = duckdb.connect(str(raw))
    try:
        results = load_provider_returns(con, landing / "provider_returns", run_id, landing)
        results += load_public_sources(con, landing, run_id)
    finally:
        con.close()
    refused = [r for r in results if r.status == "refused"]
    assert not refused, refused


def _build(build_db: Path, raw: Path, target: Path) -> None:
    result = run_dbt(["build"], build_db=build_db, raw_db=raw, target_path=target)
    assert result.ok, result.failures or result.log_tail[-3000:]


def _tables(db: Path) -> list[str]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return [
            f"{schema}.{name}"
            for schema, name in con.execute(
                """select schema_name, table_name from duckdb_tables()
                   where schema_name in ('intermediate', 'marts') order by 1, 2"""
            ).fetchall()
        ]
    finally:
        con.close()


@pytest.fixture(scope="module")
def nights(tmp_path_factory) -> dict[str, Path]:
    work = tmp_path_factory.mktemp("incremental")
    night1 = work / "night1"
    shutil.copytree(SAMPLE_LANDING, night1)
    for path in (night1 / "provider_returns").glob(f"*_{LAST_MONTH}*"):
        shutil.rmtree(path) if path.is_dir() else path.unlink()

    raw = work / "raw.duckdb"
    _load(raw, night1, "night1")
    base = work / "base.duckdb"
    _build(base, raw, work / "target-base")

    night2 = work / "night2"
    shutil.copytree(SAMPLE_LANDING, night2)
    # Re-sent: RX4's previous month again, without a referral that month's return sent first.
    resent = night2 / "provider_returns" / f"{RESENT}_{PREVIOUS_MONTH}"
    con = duckdb.connect(str(raw), read_only=True)
    dropped = con.execute(
        """select referral_id from provider_returns.referrals where provider_code = ?
           group by referral_id having min(_return_month) = ? order by referral_id limit 1""",
        [RESENT, PREVIOUS_MONTH],
    ).fetchone()[0]
    con.close()
    for table in ("referrals", "contacts", "jobs", "education"):
        header, rows = _rows(resent / f"{table}.csv")
        _write(resent / f"{table}.csv", header, [r for r in rows if r["referral_id"] != dropped])
    # ... and not in RX4's last month either, so nothing stands for it after night 2.
    last = night2 / "provider_returns" / f"{RESENT}_{LAST_MONTH}"
    for table in ("referrals", "contacts", "jobs", "education"):
        header, rows = _rows(last / f"{table}.csv")
        _write(last / f"{table}.csv", header, [r for r in rows if r["referral_id"] != dropped])
    # Deleted: RXT's last month withdraws one of its referrals.
    deleting = night2 / "provider_returns" / f"{DELETES}_{LAST_MONTH}"
    header, rows = _rows(deleting / "referrals.csv")
    deleted = rows[0]["referral_id"]
    rows[0]["record_status"] = "deleted"
    _write(deleting / "referrals.csv", header, rows)

    _load(raw, night2, "night2")
    incremental = work / "incremental.duckdb"
    shutil.copyfile(base, incremental)
    _build(incremental, raw, work / "target-incremental")
    full = work / "full.duckdb"
    _build(full, raw, work / "target-full")
    return {
        "base": base,
        "incremental": incremental,
        "full": full,
        "target": work / "target-incremental",
        "dropped": dropped,  # type: ignore[dict-item]
        "deleted": deleted,  # type: ignore[dict-item]
    }


def test_the_night_built_incrementally(nights):
    compiled = next((nights["target"] / "compiled").rglob("int_contacts_current.sql")).read_text()
    assert "watermark" in compiled, "night 2 should have selected only the changed records"
    executed = next((nights["target"] / "run").rglob("int_contacts_current.sql")).read_text()
    assert "delete from" in executed, "night 2 should have merged them with delete+insert"


def test_the_scenario_touched_history(nights):
    """The re-sent return withdrew a referral and a later return deleted one: both were current."""
    con = duckdb.connect(str(nights["base"]), read_only=True)
    before = con.execute(
        "select count(*) from intermediate.int_referrals_latest where referral_id in (?, ?)",
        [nights["dropped"], nights["deleted"]],
    ).fetchone()[0]
    con.close()
    assert before == 2
    for build in ("incremental", "full"):
        con = duckdb.connect(str(nights[build]), read_only=True)
        after = con.execute(
            "select referral_id, record_status from intermediate.int_referrals_current "
            "where referral_id in (?, ?) order by 1",
            [nights["dropped"], nights["deleted"]],
        ).fetchall()
        con.close()
        assert after == [(nights["deleted"], "deleted")], build


def test_incremental_build_equals_full_rebuild(nights):
    tables = _tables(nights["full"])
    assert tables == _tables(nights["incremental"])
    assert "intermediate.int_contacts_current" in tables and "marts.fct_kpi_scorecard" in tables
    con = duckdb.connect()
    con.execute(f"attach '{nights['incremental']}' as inc (read_only)")
    con.execute(f"attach '{nights['full']}' as full_build (read_only)")
    differing = {}
    for table in tables:
        only_inc = con.execute(
            f"select count(*) from (select * from inc.{table} except all select * from full_build.{table})"
        ).fetchone()[0]
        only_full = con.execute(
            f"select count(*) from (select * from full_build.{table} except all select * from inc.{table})"
        ).fetchone()[0]
        if only_inc or only_full:
            differing[table] = (only_inc, only_full)
    assert differing == {}
