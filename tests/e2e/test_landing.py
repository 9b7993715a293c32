"""Every entry of the landing accounted for, through the real ``ipskpi refresh``: near-miss
names, unknown providers, future months, links out of the landing, a zipped MHSDS download
whose rows are all unused, and landings that are not landings at all."""

from __future__ import annotations

import os
import shutil
import zipfile
from pathlib import Path

import duckdb
import pytest

from ipskpi.config import SAMPLE_LANDING
from ipskpi.ingest.public import SOURCES
from ipskpi.ingest.public.common import MHSDS_COLUMNS
from tests.conftest import run_cli

pytestmark = pytest.mark.e2e

MHSDS_HEADER = ",".join(MHSDS_COLUMNS)
# The community mental health 4-week-waits release: measures the warehouse does not use.
WAITS = "\n".join(
    [MHSDS_HEADER]
    + [
        f"2024-09-01,2024-09-30,Performance,Provider,{org},{org} trust,NONE,NONE,MRS0{n},A wait measure,{n * 7}"
        for org in ("RX4", "RXT")
        for n in (1, 2, 3)
    ]
)


def hostile_landing(base: Path) -> Path:
    landing = base / "landing"
    shutil.copytree(SAMPLE_LANDING, landing)
    returns = landing / "provider_returns"
    outside = base / "outside"
    outside.mkdir()
    workbook = returns / "NQV01_2024-04.xlsx"
    for name in ("NQV01_2024-04_v2.xlsx", "NQV01 2024-04.xlsx", "NQV01_2024_04.xlsx", "NQV01_2024-04.xlsm"):
        shutil.copyfile(workbook, returns / name)
    (returns / "old returns").mkdir()
    shutil.copytree(returns / "RX4_2025-05", returns / "ZZZ99_2025-05")
    shutil.copytree(returns / "RXT_2025-05", returns / "RXT_2029-01")
    shutil.copytree(returns / "RX4_2025-05", outside / "RX4_2025-05")
    (returns / "RX4_2026-04").symlink_to(outside / "RX4_2025-05")
    inner = returns / "RX4_2026-05"
    shutil.copytree(returns / "RX4_2025-05", inner)
    (inner / "education.csv").unlink()
    (inner / "education.csv").symlink_to(outside / "RX4_2025-05" / "education.csv")
    (inner / "contacts.csv").unlink()
    (inner / "contacts.csv").symlink_to("/etc/passwd")
    (landing / "mhsds" / "mhsds_monthly_2026-04.csv").symlink_to("/etc/passwd")
    with zipfile.ZipFile(
        landing / "mhsds" / "MHSDS_4WW_SepPerf_2024.zip", "w", zipfile.ZIP_DEFLATED
    ) as archive:
        archive.writestr("MHSDS Data_4WW_SepPerf_2024.csv", WAITS)
        archive.writestr("../../escape.csv", MHSDS_HEADER)
    (landing / "downloads").mkdir()
    return landing


def entries_in(landing: Path) -> int:
    """What is in the landing, counted independently of the loader: one per entry, zips by member."""
    sources = {"provider_returns", *SOURCES}
    count = 0
    for top in landing.iterdir():
        if top.name not in sources or top.is_symlink():
            count += 1
            continue
        for entry in top.iterdir():
            if entry.suffix == ".zip" and not entry.is_symlink():
                count += len(zipfile.ZipFile(entry).namelist())
            else:
                count += 1
    return count


@pytest.fixture(scope="module")
def hostile_night(tmp_path_factory, prefect_server):
    base = tmp_path_factory.mktemp("hostile")
    landing = hostile_landing(base)
    warehouse = base / "warehouse"
    result = run_cli(["refresh", "--landing", str(landing), "--warehouse", str(warehouse)], prefect_server)
    return landing, warehouse, result


def test_every_entry_of_the_landing_gets_a_state_and_the_night_still_publishes(hostile_night):
    landing, warehouse, result = hostile_night
    out = result.stdout
    assert result.returncode == 0, out[-4000:] + result.stderr[-3000:]
    assert "PUBLISHED" in out
    assert f"({entries_in(landing)} in the landing)" in out
    for line in (
        "NOT RECOGNISED provider_returns/NQV01_2024-04_v2.xlsx: to be read it must be named NQV01_2024-04.xlsx",
        "NOT RECOGNISED provider_returns/NQV01 2024-04.xlsx: to be read it must be named NQV01_2024-04.xlsx",
        "NOT RECOGNISED provider_returns/NQV01_2024_04.xlsx: to be read it must be named NQV01_2024-04.xlsx",
        "NOT RECOGNISED provider_returns/NQV01_2024-04.xlsm: a .xlsm workbook is not read",
        "NOT RECOGNISED provider_returns/old returns: not a provider return",
        "NOT RECOGNISED downloads: not a source folder",
        "REFUSED provider_returns/ZZZ99_2025-05: provider code ZZZ99 is not in ref_providers",
        "REFUSED provider_returns/RXT_2029-01: held back: return month 2029-01 is after the run date",
        f"REFUSED provider_returns/RX4_2026-04: provider_returns/RX4_2026-04 is a symbolic link to "
        f"{landing.parent / 'outside' / 'RX4_2025-05'}, outside the landing; it was not opened",
        "REFUSED provider_returns/RX4_2026-05: provider_returns/RX4_2026-05/contacts.csv is a symbolic link "
        "to /etc/passwd, outside the landing",
        "REFUSED mhsds/mhsds_monthly_2026-04.csv: mhsds/mhsds_monthly_2026-04.csv is a symbolic link to "
        "/etc/passwd",
        "REFUSED mhsds/MHSDS_4WW_SepPerf_2024.zip/../../escape.csv: MHSDS_4WW_SepPerf_2024.zip/../../escape.csv:"
        " the member's path climbs out of the archive",
        "WARNING mhsds/MHSDS_4WW_SepPerf_2024.zip/MHSDS Data_4WW_SepPerf_2024.csv: no row of this file was used",
    ):
        assert line in out, line
    assert not (landing.parent / "escape.csv").exists() and not (landing / "escape.csv").exists()
    published = duckdb.connect(str(warehouse / "restricted" / "restricted.duckdb"), read_only=True)
    states = dict(
        published.execute(
            "select file_path, status from load_summary where file_path like 'provider_returns/%'"
        ).fetchall()
    )
    assert states["provider_returns/ZZZ99_2025-05"] == "refused"
    assert states["provider_returns/NQV01_2024-04_v2.xlsx"] == "not_recognised"
    assert states["provider_returns/NQV01_2024-04.xlsx"] == "loaded"
    (warnings,) = published.execute(
        "select warnings from load_summary where file_path like '%MHSDS Data_4WW_SepPerf_2024.csv'"
    ).fetchone()
    assert "MRS01, MRS02, MRS03" in warnings and "no row of this file was used" in warnings
    assert published.execute(
        "select count(*) from fct_kpi_scorecard where org_code in ('ZZZ99') or period_start >= '2026-04-01'"
    ).fetchone() == (0,)
    # A refused unknown code is not a provider England expects: no completeness rows, not counted.
    assert published.execute(
        "select count(*) from fct_return_completeness where provider_code = 'ZZZ99'"
    ).fetchone() == (0,)
    assert published.execute(
        "select max(providers_expected) from fct_kpi_scorecard where org_code = 'ENG'"
    ).fetchone() == (5,)
    raw = duckdb.connect(str(warehouse / "raw.duckdb"), read_only=True)
    assert raw.execute(
        "select count(*) from provider_returns.referrals where _return_month in ('2026-04', '2026-05', '2029-01') "
        "or provider_code = 'ZZZ99'"
    ).fetchone() == (0,)
    report = next((warehouse / "runs").glob("*/report.md")).read_text()
    assert "| provider_returns/NQV01_2024_04.xlsx | not_recognised |" in report
    assert "MRS01" in report.split("## Files")[1]


@pytest.mark.parametrize("case", ["returns_at_top", "empty"])
def test_landing_that_is_not_a_landing_is_refused_with_what_was_found(case, tmp_path, prefect_server):
    if case == "returns_at_top":
        landing = tmp_path / "provider_returns"
        shutil.copytree(SAMPLE_LANDING / "provider_returns", landing)
        expected = (
            f"the landing folder {landing} holds 119 provider return(s) at its top level "
            f"(NQV01_2024-04.xlsx, NQV01_2024-05.xlsx, NQV01_2024-06.xlsx, ...) and no provider_returns/ "
            f"folder: --landing must name the folder that contains provider_returns/"
        )
    else:
        landing = tmp_path / "landing"
        (landing / "provider_returns").mkdir(parents=True)
        expected = f"the landing folder {landing} holds nothing the refresh reads (found: provider_returns)"
    warehouse = tmp_path / "warehouse"
    result = run_cli(["refresh", "--landing", str(landing), "--warehouse", str(warehouse)], prefect_server)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "BLOCKED (landing not usable)" in result.stdout
    assert expected in " ".join(result.stdout.split()), result.stdout
    assert "dbt build" not in result.stdout
    assert not (warehouse / "restricted" / "restricted.duckdb").exists()
    assert os.listdir(warehouse / "build") == []
