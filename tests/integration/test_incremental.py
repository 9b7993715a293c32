"""A nightly incremental build equals a full rebuild from the same raw layer.

Night 1 loads the sample without its last month, without one provider's month from the
middle of the history and without one provider at all, and builds in full. Night 2 loads
the whole sample with these cases, all CSV returns the ingest accepts:

- the last month, for every provider;
- a re-sent copy of one provider's previous month that no longer carries a referral
  first sent in it (nor does its last month);
- a last-month return that deletes a referral;
- a correction two years back: a re-sent copy of one provider's first month (2024-04,
  the oldest month the sample has, 23 months before the last) in which one contact's
  type is corrected, so the published contacts_by_medium of that month changes;
- a late month: the held-back month (2025-11) arrives;
- an earlier month re-sent after a later one: RX4's 2025-09 re-sent with one job's hours
  edited, a job RX4's later returns (loaded on night 1) still carry, so the later
  return's version stays current (the latest return month wins, not the latest load);
- a new provider: every month of the provider absent from night 1 arrives.

Night 2 builds incrementally on a copy of night 1's build and, separately, in full from
scratch. Every intermediate and mart table must hold the same rows in both; the other
tests check each case really happened, so none can silently test nothing.
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
CORRECTS = "TAF"  # its 2024 returns are CSV
CORRECTED_MONTH = "2024-04"  # the sample's first month, 23 months before the last
LATE = "RXT"
LATE_MONTH = "2025-11"
NEW_PROVIDER = "NQV02"  # CSV throughout; in ref_providers and ref_provider_catchments
EDITED_MONTH = "2025-09"  # RX4's, re-sent on night 2 though later months were loaded on night 1


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
    held_back = [f"*_{LAST_MONTH}*", f"{LATE}_{LATE_MONTH}", f"{NEW_PROVIDER}_*"]
    for pattern in held_back:
        for path in (night1 / "provider_returns").glob(pattern):
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
    # A contact sent once only, in TAF's first return, and seen as a direct client contact.
    corrected = con.execute(
        """select contact_id from provider_returns.contacts where provider_code = ?
           group by contact_id
           having count(*) = 1 and min(_return_month) = ?
              and min(contact_type) = 'client_face_to_face'
           order by contact_id limit 1""",
        [CORRECTS, CORRECTED_MONTH],
    ).fetchone()[0]
    # A job RX4's EDITED_MONTH return carries with known hours and a later return loaded on
    # night 1 carries too (a job sent again after an edit or when it ends).
    edited_job = con.execute(
        """select job_id from provider_returns.jobs where provider_code = ?
           group by job_id
           having count(distinct _return_month) > 1
              and min(_return_month) = ?
              and min(hours_per_week) is not null
           order by job_id limit 1""",
        [RESENT, EDITED_MONTH],
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
    # Corrected two years back: TAF re-sends its first month, the contact's type corrected.
    # The incremental build finds it two ways, either enough (macros/current_versions.sql): its new
    # version was loaded after the watermark, and its current one came from a replaced load.
    correcting = night2 / "provider_returns" / f"{CORRECTS}_{CORRECTED_MONTH}"
    header, rows = _rows(correcting / "contacts.csv")
    for row in rows:
        if row["contact_id"] == corrected:
            row["contact_type"] = "clinical_team"
    _write(correcting / "contacts.csv", header, rows)
    # An earlier month re-sent: RX4's EDITED_MONTH again, the job's hours edited there only.
    editing = night2 / "provider_returns" / f"{RESENT}_{EDITED_MONTH}"
    header, rows = _rows(editing / "jobs.csv")
    for row in rows:
        if row["job_id"] == edited_job:
            row["hours_per_week"] = "2.5" if row["hours_per_week"] != "2.5" else "40"
    _write(editing / "jobs.csv", header, rows)
    # The late month and the new provider need nothing: night 2's landing is the whole sample.

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
        "corrected": corrected,  # type: ignore[dict-item]
        "edited_job": edited_job,  # type: ignore[dict-item]
        "raw": raw,
    }


def _query(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


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


def test_the_correction_two_years_back_changed_a_published_kpi(nights):
    """TAF's re-sent 2024-04 moved one contact from client_face_to_face to clinical_team."""
    contact = """select contact_type from intermediate.int_contacts_current
        where provider_code = ? and contact_id = ?"""
    scorecard = """select breakdown_value, numerator from marts.fct_kpi_scorecard
        where org_code = ? and kpi_code = 'contacts_by_medium' and period_type = 'month'
          and period_start = cast(? as date) and breakdown_type = 'contact_type'
          and breakdown_value in ('client_face_to_face', 'clinical_team') order by 1"""
    params = [CORRECTS, f"{CORRECTED_MONTH}-01"]
    assert _query(nights["base"], contact, [CORRECTS, nights["corrected"]]) == [("client_face_to_face",)]
    before = dict(_query(nights["base"], scorecard, params))
    assert set(before) == {"client_face_to_face", "clinical_team"}
    for build in ("incremental", "full"):
        assert _query(nights[build], contact, [CORRECTS, nights["corrected"]]) == [("clinical_team",)], build
        after = dict(_query(nights[build], scorecard, params))
        assert after == {
            "client_face_to_face": before["client_face_to_face"] - 1,
            "clinical_team": before["clinical_team"] + 1,
        }, build


def test_an_earlier_month_re_sent_does_not_override_a_later_months_version(nights):
    """RX4's re-sent EDITED_MONTH, loaded last, loses to the later return that carries the job."""
    job = nights["edited_job"]
    versions = _query(
        nights["raw"],
        """select _return_month, hours_per_week from provider_returns.jobs
           where provider_code = ? and job_id = ? and not _is_superseded
           order by _loaded_at desc, _return_month""",
        [RESENT, job],
    )
    # The re-sent month is the last load, and its hours differ from every later return's.
    assert versions[0][0] == EDITED_MONTH
    later = [hours for month, hours in versions if month > EDITED_MONTH]
    assert later and versions[0][1] not in later
    current = """select return_month, hours_per_week from intermediate.int_jobs_current
        where provider_code = ? and job_id = ?"""
    before = _query(nights["base"], current, [RESENT, job])
    assert len(before) == 1 and before[0][0] > EDITED_MONTH
    for build in ("incremental", "full"):
        assert _query(nights[build], current, [RESENT, job]) == before, build


def test_the_late_month_and_the_new_provider_arrived(nights):
    """Night 1 had neither RXT's 2025-11 nor NQV02; both night-2 builds have them."""
    late = """select count(*) from intermediate.int_contacts_current
        where provider_code = ? and cast(return_month as varchar) like ?"""
    late_params = [LATE, f"{LATE_MONTH}%"]
    new = "select count(*) from intermediate.int_referrals_current where provider_code = ?"
    published = "select count(*) from marts.fct_kpi_scorecard where org_code = ?"
    assert _query(nights["base"], late, late_params) == [(0,)]
    assert _query(nights["base"], new, [NEW_PROVIDER]) == [(0,)]
    assert _query(nights["base"], published, [NEW_PROVIDER]) == [(0,)]
    for build in ("incremental", "full"):
        assert _query(nights[build], late, late_params)[0][0] > 0, build
        assert _query(nights[build], new, [NEW_PROVIDER])[0][0] > 0, build
        assert _query(nights[build], published, [NEW_PROVIDER])[0][0] > 0, build


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
