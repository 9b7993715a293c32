"""A plain pandas implementation of a fixed set of KPIs over every provider: the benchmark's peer.

    uv run --locked python benchmarks/pandas_peer.py --landing <landing> [--check <restricted.duckdb>]

The issue asks how the pipeline compares with what an analyst would write without it: read
every provider return with pandas, keep the latest version of each record, and compute a
few KPIs per provider and England for every financial year. This is that script, grown from
``tests/hand_calculation.py`` (the same rules, the same day-by-day sustainment walk) to all
providers, all financial years, CSV folders and workbooks. It shares no code with the dbt
models. It does less than the pipeline: no validation of any cell, no ledger, no
supersession of re-sent returns beyond "latest return month wins", no reporting windows, no
tests, audit, disclosure or publication. Its KPIs (catalogue codes):

- ``job_starts``: new jobs (4 hours worked, not a retained job) starting in the year;
- ``people_into_work``: referrals whose first such job starts in the year;
- ``sustained_13w``: referrals whose 91st day in work (breaks of 42 days or more reset the
  clock) falls in the year;
- ``active_caseload``: accepted referrals open and engaged (vocational profile) on the year's
  last day with a client contact in its last 28 days;
- ``es_wte`` and ``caseload_per_es``: employment specialist WTE in the year's last month, and
  the caseload per WTE.

``--check`` compares its provider-level figures with a restricted (or dbt build) database's
``fct_kpi_scorecard`` and prints how many agree; differences are expected only where the
pipeline refused a return or a row (the peer reads everything).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from ipskpi.sql import ident

# The day-by-day sustainment walk is the hand calculation's (tests/hand_calculation.py): one
# plain-Python reading of the catalogue's rule, shared by the test oracle and this peer, and
# by neither with the dbt models.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.hand_calculation import sustainment_date  # noqa: E402

TABLES = ("referrals", "contacts", "jobs", "staff")
KEYS = {
    "referrals": ["referral_id"],
    "contacts": ["contact_id"],
    "jobs": ["job_id"],
    "staff": ["employment_specialist_id", "month"],
}
RETURN = re.compile(r"^([A-Z0-9]{3,5})_(\d{4}-\d{2})(\.xlsx)?$")


def read_returns(landing: Path) -> dict[str, pd.DataFrame]:
    """Every version of the four tables across all providers' returns (CSV folders and workbooks)."""
    frames: dict[str, list[pd.DataFrame]] = {table: [] for table in TABLES}
    for entry in sorted((landing / "provider_returns").iterdir()):
        match = RETURN.match(entry.name)
        if not match:
            continue
        provider, month = match.group(1), match.group(2)
        if entry.is_dir():
            sheets = {
                table: pd.read_csv(entry / f"{table}.csv", dtype=str, keep_default_na=False)
                for table in TABLES
                if (entry / f"{table}.csv").is_file()
            }
        else:
            sheets = pd.read_excel(entry, sheet_name=list(TABLES), dtype=str, engine="calamine")
        for table, frame in sheets.items():
            frame = frame.fillna("")
            for column in [c for c in frame.columns if c.endswith("_date")]:
                frame[column] = frame[column].str[:10]  # a workbook's dates read as "2024-05-01 00:00:00"
            frame["provider_code"] = provider
            frame["return_month"] = month
            frames[table].append(frame)
    return {table: pd.concat(parts, ignore_index=True) for table, parts in frames.items()}


def latest(frame: pd.DataFrame, key: list[str]) -> pd.DataFrame:
    """Latest return wins, per provider; a record whose latest version is deleted is withdrawn."""
    frame = frame.sort_values("return_month", kind="stable").drop_duplicates(
        ["provider_code", *key], keep="last"
    )
    return frame[frame["record_status"] != "deleted"]


def financial_year(day: date) -> int:
    return day.year if day.month >= 4 else day.year - 1


def calculate(landing: Path) -> pd.DataFrame:
    """One row per provider (and England, ``ENG``), financial year and KPI."""
    raw = read_returns(landing)
    as_of = (pd.Timestamp(raw["referrals"]["return_month"].max() + "-01") + pd.offsets.MonthEnd(0)).date()
    referrals = latest(raw["referrals"], KEYS["referrals"])
    jobs = latest(raw["jobs"], KEYS["jobs"])
    contacts = latest(raw["contacts"], KEYS["contacts"])
    staff = latest(raw["staff"], KEYS["staff"])
    known = referrals[["provider_code", "referral_id"]]
    jobs = jobs.merge(known, on=["provider_code", "referral_id"])
    contacts = contacts.merge(known, on=["provider_code", "referral_id"])

    new_jobs = jobs[(jobs["worked_4_hours"] == "Y") & (jobs["is_retained_job"] == "N")].copy()
    new_jobs["start"] = new_jobs["start_date"].map(date.fromisoformat)
    new_jobs = new_jobs[new_jobs["start"] <= as_of]
    new_jobs["fy"] = new_jobs["start"].map(financial_year)
    rows: list[dict] = []

    def add(frame: pd.DataFrame, kpi: str) -> None:
        for (provider, fy), value in frame.items():
            rows.append({"org_code": provider, "financial_year": fy, "kpi_code": kpi, "value": float(value)})

    add(new_jobs.groupby(["provider_code", "fy"]).size(), "job_starts")
    first = new_jobs.sort_values(["start", "job_id"]).drop_duplicates(["provider_code", "referral_id"])
    add(first.groupby(["provider_code", "fy"]).size(), "people_into_work")

    reached = []
    for (provider, _), group in new_jobs.groupby(["provider_code", "referral_id"]):
        day = sustainment_date(group, as_of, 91)
        if day is not None:
            reached.append((provider, financial_year(day)))
    add(
        pd.DataFrame(reached, columns=["provider_code", "fy"]).groupby(["provider_code", "fy"]).size(),
        "sustained_13w",
    )

    years = range(
        financial_year(date.fromisoformat(raw["referrals"]["return_month"].min() + "-01")),
        financial_year(as_of) + 1,
    )
    client = contacts[contacts["contact_type"].isin(["client_face_to_face", "client_remote"])]
    for fy in years:
        end = min(date(fy + 1, 3, 31), as_of).isoformat()
        window_start = (date.fromisoformat(end) - timedelta(days=27)).isoformat()
        open_engaged = referrals[
            (referrals["accepted"] == "Y")
            & (referrals["referral_date"] <= end)
            & ((referrals["closure_date"] == "") | (referrals["closure_date"] >= end))
            & (referrals["vocational_profile_date"] != "")
            & (referrals["vocational_profile_date"] <= end)
        ]
        recent = client[(client["contact_date"] >= window_start) & (client["contact_date"] <= end)]
        active = open_engaged.merge(
            recent[["provider_code", "referral_id"]].drop_duplicates(), on=["provider_code", "referral_id"]
        )
        caseload = active.groupby("provider_code").size()
        month = staff[(staff["month"] == end[:7]) & (staff["role"] == "employment_specialist")]
        wte = month.assign(wte=month["wte"].astype(float)).groupby("provider_code")["wte"].sum()
        for provider in sorted(set(caseload.index) | set(wte.index)):
            count, es = float(caseload.get(provider, 0)), float(wte.get(provider, 0.0))
            rows.append(
                {"org_code": provider, "financial_year": fy, "kpi_code": "active_caseload", "value": count}
            )
            rows.append(
                {"org_code": provider, "financial_year": fy, "kpi_code": "es_wte", "value": round(es, 3)}
            )
            if es:
                rows.append(
                    {
                        "org_code": provider,
                        "financial_year": fy,
                        "kpi_code": "caseload_per_es",
                        "value": count / es,
                    }
                )
    result = pd.DataFrame(rows)
    result = result[result["financial_year"].isin(list(years))]  # the years returns cover
    england = (
        result[
            result["kpi_code"].isin(
                ["job_starts", "people_into_work", "sustained_13w", "active_caseload", "es_wte"]
            )
        ]
        .groupby(["financial_year", "kpi_code"], as_index=False)["value"]
        .sum()
        .assign(org_code="ENG")
    )
    return pd.concat([result, england], ignore_index=True)


def check(figures: pd.DataFrame, database: Path) -> dict:
    """How many provider-level figures agree with the pipeline's fct_kpi_scorecard (to 1e-6)."""
    import duckdb

    con = duckdb.connect(str(database), read_only=True)
    table = "fct_kpi_scorecard"
    schemas = [
        r[0]
        for r in con.execute(
            "select table_schema from information_schema.tables where table_name = ?", [table]
        ).fetchall()
    ]
    published = con.execute(
        f"""select org_code, cast(extract(year from period_start) as integer) as financial_year, kpi_code,
                   cast(value as double) as value
            from {ident(schemas[0])}.{ident(table)}
            where period_type = 'financial_year' and breakdown_type is null and org_level = 'provider'
              and kpi_code in (select unnest(?))""",
        [sorted(set(figures["kpi_code"]))],
    ).df()
    con.close()
    mine = figures[figures["org_code"] != "ENG"]
    both = mine.merge(
        published, on=["org_code", "financial_year", "kpi_code"], how="inner", suffixes=("", "_pipeline")
    )
    agree = (both["value"] - both["value_pipeline"].fillna(float("nan"))).abs() <= 1e-6
    differing = both[~agree]
    return {
        "compared": len(both),
        "agree": int(agree.sum()),
        "differ_by_provider": differing.groupby("org_code")
        .size()
        .sort_values(ascending=False)
        .head(10)
        .to_dict(),
        "only_in_peer": len(mine) - len(both),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--landing", type=Path, required=True)
    parser.add_argument("--check", type=Path, help="a restricted or build DuckDB file with fct_kpi_scorecard")
    parser.add_argument("--json", type=Path, help="write the timing (and check) here")
    args = parser.parse_args()
    started = time.perf_counter()
    figures = calculate(args.landing)
    seconds = time.perf_counter() - started
    record: dict = {"wall_s": round(seconds, 1), "figures": len(figures)}
    print(f"pandas peer: {len(figures)} figures in {seconds:.1f} s", flush=True)
    if args.check:
        record["check"] = check(figures, args.check)
        print(f"check against {args.check}: {json.dumps(record['check'])}")
    if args.json:
        args.json.write_text(json.dumps(record, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
