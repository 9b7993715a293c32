"""Monthly operations (issue 12, models side), through the real ``ipskpi refresh``.

One landing carries several providers' defects at once, as a real night does:

- RX4 2025-01 is missing mid-history (and arrives late, after later months loaded, in the
  second refresh);
- RXT starts late (no return before 2024-07) and its 2025-06 return is refused (a folder
  without ``jobs.csv``);
- TAF's 2024-09 ``referrals.csv`` is header-only;
- NQV02 stops after 2025-12 (no declared end, so its later months are expected and missing);
- in the second refresh every MHSDS file is re-sent with rows the models do not read.

None of them may block England: the night publishes, every reconciliation holds, and the
months are flagged in ``fct_return_completeness`` and on every scorecard row.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import duckdb
import pytest

from ipskpi.config import SAMPLE_LANDING
from tests.conftest import run_cli

pytestmark = pytest.mark.e2e

COVERAGE = ["months_expected", "months_with_return", "providers_expected", "providers_reporting"]


def refresh(landing: Path, warehouse: Path, env: dict[str, str]):
    return run_cli(["refresh", "--landing", str(landing), "--warehouse", str(warehouse)], env)


def defective_landing(folder: Path) -> Path:
    landing = folder / "landing"
    shutil.copytree(SAMPLE_LANDING, landing)
    returns = landing / "provider_returns"
    shutil.move(returns / "RX4_2025-01", folder / "RX4_2025-01")  # held back: arrives late
    for month in ("2024-04", "2024-05", "2024-06"):
        shutil.rmtree(returns / f"RXT_{month}")
    (returns / "RXT_2025-06" / "jobs.csv").unlink()
    referrals = returns / "TAF_2024-09" / "referrals.csv"
    referrals.write_text(referrals.read_text().splitlines()[0] + "\n")
    for month in ("2026-01", "2026-02", "2026-03"):
        shutil.rmtree(returns / f"NQV02_{month}")
    return landing


@pytest.fixture(scope="module")
def night(tmp_path_factory, prefect_server):
    folder = tmp_path_factory.mktemp("monthly-ops")
    landing = defective_landing(folder)
    warehouse = folder / "warehouse"
    result = refresh(landing, warehouse, prefect_server)
    return folder, landing, warehouse, result


def published(warehouse: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(warehouse / "restricted" / "restricted.duckdb"), read_only=True)


def test_defective_months_do_not_block_england(night):
    _, _, _, result = night
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-3000:]
    assert "PUBLISHED" in result.stdout
    assert "REFUSED" in result.stdout and "RXT_2025-06" in result.stdout


def test_completeness_table_says_what_happened_to_each_month(night):
    _, _, warehouse, _ = night
    con = published(warehouse)
    states = {
        (p, m): (state, reason)
        for p, m, state, reason in con.execute(
            "select provider_code, return_month, return_state, refusal_reason from fct_return_completeness"
        ).fetchall()
    }
    assert states[("RX4", "2025-01")] == ("missing", None)
    assert states[("RX4", "2024-12")][0] == "accepted"
    assert states[("RXT", "2025-06")][0] == "refused"
    assert "jobs" in states[("RXT", "2025-06")][1]
    assert states[("TAF", "2024-09")][0] == "no_referrals"
    assert min(m for p, m in states if p == "RXT") == "2024-07", "RXT is expected from its first return"
    for month in ("2026-01", "2026-02", "2026-03"):
        assert states[("NQV02", month)] == ("missing", None)
    accepted = sum(1 for state, _ in states.values() if state == "accepted")
    assert accepted == 119 - 1 - 3 - 1 - 1 - 3


def test_england_equals_its_providers_and_shares_stay_within_0_1(night):
    _, _, warehouse, _ = night
    con = published(warehouse)
    differences = con.execute(
        """
        with counts as (
            select * from fct_kpi_scorecard
            where breakdown_type is null and denominator is null
                and kpi_code in (select kpi_code from dim_kpis where section <> 'A')
        )
        select england.period_type, england.period_start, england.kpi_code,
               england.value - coalesce(sum(providers.value), 0) as difference
        from counts as england
        left join counts as providers
            on providers.org_level = 'provider'
            and providers.period_type = england.period_type
            and providers.period_start = england.period_start
            and providers.kpi_code = england.kpi_code
        where england.org_level = 'england'
        group by 1, 2, 3, england.value
        having england.value <> coalesce(sum(providers.value), 0)
        """
    ).fetchall()
    assert differences == []
    worst = con.execute(
        "select max(value), min(value) from fct_intake where kpi_code = 'intake_profile'"
    ).fetchone()
    assert worst[1] >= 0 and worst[0] <= 1
    # The missing month still has figures, computed from what later returns carry.
    rx4 = con.execute(
        """select value from fct_kpi_scorecard where org_code = 'RX4' and kpi_code = 'referrals_received'
           and period_type = 'month' and period_start = date '2025-01-01' and breakdown_type is null"""
    ).fetchone()
    assert rx4 is not None and rx4[0] > 0


def test_every_scorecard_row_says_what_it_rests_on(night):
    _, _, warehouse, _ = night
    con = published(warehouse)

    def coverage(table: str, org: str, period_type: str, start: str) -> tuple:
        return con.execute(
            f"""select distinct {", ".join(COVERAGE)}, is_incomplete, is_provisional from {table}
                where org_code = ? and period_type = ? and period_start = cast(? as date)""",
            [org, period_type, start],
        ).fetchall()

    # England, January 2025: five providers expected, RX4's return missing.
    assert coverage("fct_kpi_scorecard", "ENG", "month", "2025-01-01") == [(5, 4, 5, 4, True, False)]
    # May 2024: RXT is not expected yet (first return 2024-07), NQV02 is (first return 2024-05).
    assert coverage("fct_kpi_scorecard", "ENG", "month", "2024-05-01") == [(4, 4, 4, 4, False, False)]
    # RX4's financial year 2024 rests on 11 of 12 months; TAF's on 11 of 12 (header-only September).
    assert coverage("fct_kpi_scorecard", "RX4", "financial_year", "2024-04-01") == [
        (12, 11, 1, 0, True, False)
    ]
    assert coverage("fct_kpi_scorecard", "TAF", "financial_year", "2024-04-01") == [
        (12, 11, 1, 0, True, False)
    ]
    # RXT's FY 2024 starts with its first return (July): 9 months, one refused later (FY 2025).
    assert coverage("fct_kpi_scorecard", "RXT", "financial_year", "2024-04-01") == [
        (9, 9, 1, 1, False, False)
    ]
    # NQV02 stopped after December 2025: its December stays provisional (no later return), and
    # so does England's; England's November is final.
    assert coverage("fct_kpi_scorecard", "NQV02", "month", "2025-12-01") == [(1, 1, 1, 1, False, True)]
    assert coverage("fct_kpi_scorecard", "ENG", "month", "2025-12-01")[0][-1] is True
    assert coverage("fct_kpi_scorecard", "ENG", "month", "2025-11-01")[0][-1] is False
    assert coverage("fct_kpi_scorecard", "ENG", "month", "2026-03-01") == [(5, 4, 5, 4, True, True)]
    # The public scorecard carries the same columns, unsuppressed (they are not counts of people).
    assert coverage("fct_kpi_scorecard_public", "ENG", "month", "2025-01-01") == [(5, 4, 5, 4, True, False)]


def unusable_mhsds(landing: Path) -> None:
    """Re-send every MHSDS file with its rows under a breakdown the models do not read."""
    for path in sorted((landing / "mhsds").glob("*.csv")):
        with path.open(newline="") as handle:
            rows = list(csv.reader(handle))
        for row in rows[1:]:
            row[3] = "Sub ICB of Residence"
        with path.open("w", newline="") as handle:
            csv.writer(handle, lineterminator="\n").writerows(rows)


def test_second_night_late_month_wins_per_record_and_nothing_is_lost_quietly(
    night, prefect_server, sample_warehouse
):
    """RX4 2025-01 arrives after later months loaded; MHSDS is re-sent in a layout whose rows
    all go unused, so its KPIs leave the scorecard: warnings, never silence."""
    folder, landing, warehouse, first = night
    assert first.returncode == 0
    shutil.move(folder / "RX4_2025-01", landing / "provider_returns" / "RX4_2025-01")
    unusable_mhsds(landing)
    result = refresh(landing, warehouse, prefect_server)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-3000:]
    assert "PUBLISHED" in result.stdout
    # The differencing check read only what changed since the first night's release.
    assert "differencing proportional check: " in result.stdout, result.stdout[-3000:]
    assert "differencing full check: " in first.stdout
    con = published(warehouse)
    state = con.execute(
        "select return_state from fct_return_completeness where provider_code = 'RX4' and return_month = '2025-01'"
    ).fetchone()
    assert state == ("accepted",)
    assert con.execute(
        f"""select distinct {", ".join(COVERAGE)} from fct_kpi_scorecard
            where org_code = 'RX4' and period_type = 'financial_year' and period_start = date '2024-04-01'"""
    ).fetchall() == [(12, 12, 1, 1)]
    # Every RX4 figure from its returns now equals the full sample's: the late 2025-01 return,
    # loaded after the 2025-02 one, did not replace the records 2025-02 re-sent (the later
    # reporting month wins per record). Section A (public sources) is left out: MHSDS changed.
    query = """select period_type, period_start, kpi_code, coalesce(breakdown_type, ''),
                      coalesce(breakdown_value, ''), numerator, denominator, value
               from fct_kpi_scorecard
               where org_code = 'RX4' and kpi_code in (select kpi_code from dim_kpis where section <> 'A')
               order by all"""
    sample = duckdb.connect(str(sample_warehouse[0] / "restricted" / "restricted.duckdb"), read_only=True)
    assert con.execute(query).fetchall() == sample.execute(query).fetchall()
    # Nothing lost quietly: the MHSDS KPIs that left the scorecard, and the source whose rows
    # all went unused, are audit warnings naming the KPI, the source and the files.
    warned = con.execute(
        """select suite, sample_unexpected from audit_results
           where run_id = (select max(run_id) from refresh_runs) and not success"""
    ).fetchall()
    suites = {suite for suite, _ in warned}
    assert {"continuity__kpis_against_published", "landing__sources_used"} <= suites, warned
    text = " ".join(str(rows) for _, rows in warned)
    assert "mhsds_employed_rate" in text and "mhsds/mhsds_monthly_2025-01.csv" in text
    assert "WARNING continuity__kpis_against_published" in result.stdout
    assert "WARNING landing__sources_used" in result.stdout
