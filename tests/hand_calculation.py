"""An independent hand calculation of a few KPIs straight from the landing files.

Written the plain way a provider's analyst would do it in a spreadsheet - pandas,
a day-by-day walk for the sustainment clock - sharing no code with the dbt models,
so agreement between the two is evidence that the marts implement the catalogue.
Run it as a script to print the figures:

    uv run python -m tests.hand_calculation RX4 2024
"""

from __future__ import annotations

import sys
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from ipskpi.config import SAMPLE_LANDING


def read_table(landing: Path, provider: str, table: str) -> pd.DataFrame:
    """Every version of a table across the provider's CSV returns, oldest month first."""
    frames = []
    for folder in sorted((landing / "provider_returns").glob(f"{provider}_*")):
        if not folder.is_dir():
            raise NotImplementedError("this hand calculation reads CSV returns only")
        frame = pd.read_csv(folder / f"{table}.csv", dtype=str, keep_default_na=False)
        frame["return_month"] = folder.name.split("_")[1]
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def latest(frame: pd.DataFrame, key: list[str]) -> pd.DataFrame:
    """Latest return wins; a record whose latest version is deleted is withdrawn."""
    frame = frame.sort_values("return_month").drop_duplicates(key, keep="last")
    return frame[frame["record_status"] != "deleted"]


def sustainment_date(jobs: pd.DataFrame, as_of: date, target: int) -> date | None:
    """Walk the days in work one by one (kpi-catalogue.md, Sustainment)."""
    in_work: set[date] = set()
    for row in jobs.itertuples():
        start = date.fromisoformat(row.start_date)
        end = date.fromisoformat(row.end_date) if row.end_date else as_of
        day = start
        while day <= min(end, as_of):
            in_work.add(day)
            day += timedelta(days=1)
    clock, previous = 0, None
    for day in sorted(in_work):
        if previous is not None and (day - previous).days - 1 >= 42:
            clock = 0
        clock += 1
        if clock == target:
            return day
        previous = day
    return None


def calculate(provider: str, financial_year: int, landing: Path = SAMPLE_LANDING) -> dict[str, float]:
    as_of = date(2026, 3, 31)
    fy_start, fy_end = date(financial_year, 4, 1), date(financial_year + 1, 3, 31)
    referrals = latest(read_table(landing, provider, "referrals"), ["referral_id"])
    jobs = latest(read_table(landing, provider, "jobs"), ["job_id"])
    jobs = jobs[jobs["referral_id"].isin(referrals["referral_id"])]
    contacts = latest(read_table(landing, provider, "contacts"), ["contact_id"])
    contacts = contacts[contacts["referral_id"].isin(referrals["referral_id"])]
    staff = latest(read_table(landing, provider, "staff"), ["employment_specialist_id", "month"])

    new_jobs = jobs[(jobs["worked_4_hours"] == "Y") & (jobs["is_retained_job"] == "N")].copy()
    new_jobs["start"] = new_jobs["start_date"].map(date.fromisoformat)
    in_year = new_jobs[(new_jobs["start"] >= fy_start) & (new_jobs["start"] <= fy_end)]
    first_jobs = new_jobs.sort_values(["start", "job_id"]).drop_duplicates("referral_id")
    first_in_year = first_jobs[(first_jobs["start"] >= fy_start) & (first_jobs["start"] <= fy_end)]

    sustained_13w = 0
    for _, group in new_jobs.groupby("referral_id"):
        reached = sustainment_date(group, as_of, 91)
        if reached is not None and fy_start <= reached <= fy_end:
            sustained_13w += 1

    d = fy_end
    open_engaged = referrals[
        (referrals["accepted"] == "Y")
        & (referrals["referral_date"] <= d.isoformat())
        & ((referrals["closure_date"] == "") | (referrals["closure_date"] >= d.isoformat()))
        & (referrals["vocational_profile_date"] != "")
        & (referrals["vocational_profile_date"] <= d.isoformat())
    ]
    window_start = (d - timedelta(days=27)).isoformat()
    client_contacts = contacts[
        contacts["contact_type"].isin(["client_face_to_face", "client_remote"])
        & (contacts["contact_date"] >= window_start)
        & (contacts["contact_date"] <= d.isoformat())
    ]
    active = open_engaged[open_engaged["referral_id"].isin(client_contacts["referral_id"])]
    last_month = staff[(staff["month"] == d.strftime("%Y-%m")) & (staff["role"] == "employment_specialist")]
    es_wte = last_month["wte"].astype(float).sum()
    return {
        "job_starts": len(in_year),
        "people_into_work": len(first_in_year),
        "sustained_13w": sustained_13w,
        "active_caseload": len(active),
        "es_wte": round(es_wte, 3),
        "caseload_per_es": round(len(active) / es_wte, 6) if es_wte else float("nan"),
    }


if __name__ == "__main__":
    code, year = (sys.argv[1], int(sys.argv[2])) if len(sys.argv) > 2 else ("RX4", 2024)
    for name, value in calculate(code, year).items():
        print(f"{name:<18} {value}")
