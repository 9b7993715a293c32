"""The synthetic landing folder: deterministic, contract-shaped, and with every planted scenario real.

One sample landing folder is generated per test session (and a second one for
the determinism check); the tests read it back the way a provider's file
would be read: CSVs as text, workbooks through python-calamine.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from pathlib import Path

import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from ipskpi.contract import PROVIDER_TABLES, TABLES_BY_NAME
from ipskpi.generator import generate

SEED = 20260331
TABLES = [t.name for t in PROVIDER_TABLES]


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("landing")
    manifest = generate("sample", SEED, out)
    return out, manifest


def _cell_text(value: object) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_return(path: Path) -> dict[str, pd.DataFrame]:
    if path.suffix == ".xlsx":
        book = CalamineWorkbook.from_path(str(path))
        sheets = {}
        for name in book.sheet_names:
            rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
            header = [str(h) for h in rows[0]]
            body = [[_cell_text(v) for v in row] for row in rows[1:]]
            sheets[name] = pd.DataFrame(body, columns=header, dtype=object)
        return sheets
    return {f.stem: pd.read_csv(f, dtype=str, keep_default_na=False) for f in sorted(path.glob("*.csv"))}


@pytest.fixture(scope="module")
def returns(landing: tuple[Path, dict]) -> dict[str, dict[str, pd.DataFrame]]:
    """Every return as {return name: {table: frame of text}}."""
    root = landing[0] / "provider_returns"
    out = {}
    for path in sorted(root.iterdir()):
        stem = path.name.removesuffix(".xlsx")
        out[stem] = _read_return(path)
    return out


@pytest.fixture(scope="module")
def stacked(returns: dict[str, dict[str, pd.DataFrame]]) -> dict[str, pd.DataFrame]:
    """Each table across all returns, with the return's month, in delivery order."""
    frames: dict[str, list[pd.DataFrame]] = {t: [] for t in TABLES}
    for stem, tables in returns.items():
        month = stem.split("_")[1]
        for name, frame in tables.items():
            frames[name].append(frame.assign(_month=month, _return=stem))
    return {name: pd.concat(parts, ignore_index=True) for name, parts in frames.items()}


def _latest(stacked: dict[str, pd.DataFrame], table: str) -> pd.DataFrame:
    key = list(TABLES_BY_NAME[table].key)
    frame = stacked[table].sort_values("_month", kind="stable").drop_duplicates(key, keep="last")
    return frame[frame["record_status"] != "deleted"]


def _hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_same_scale_and_seed_give_byte_identical_files(landing: tuple[Path, dict], tmp_path: Path) -> None:
    again = generate("sample", SEED, tmp_path / "again")
    assert again == landing[1]
    assert _hashes(tmp_path / "again") == _hashes(landing[0])


def test_landing_folder_has_every_source_in_its_layout(landing: tuple[Path, dict]) -> None:
    root, manifest = landing
    assert json.loads((root / "MANIFEST.json").read_text()) == manifest
    assert manifest["period"] == {
        "first_month": "2024-04",
        "last_month": "2026-03",
        "as_of_date": "2026-03-31",
        "financial_years": [2024, 2025],
    }
    assert sorted(p.name for p in (root / "commissioner_returns").iterdir()) == [
        "commissioning_2024.csv",
        "commissioning_2025.csv",
    ]
    assert {p.name for p in (root / "nomis_aps").iterdir()} == {"aps_2024_full.csv", "aps_2025_select.csv"}
    full = (root / "nomis_aps" / "aps_2024_full.csv").read_text().splitlines()
    assert full[0].startswith('"DATE","DATE_NAME","DATE_CODE"') and full[0].count(",") == 27
    select = (root / "nomis_aps" / "aps_2025_select.csv").read_text().splitlines()
    assert select[0] == (
        "DATE_NAME,GEOGRAPHY_NAME,GEOGRAPHY_CODE,VARIABLE_NAME,MEASURES_NAME,OBS_VALUE,OBS_STATUS_NAME"
    )
    assert any("Unemployment rate - aged 16-64 ," in line for line in select)
    aps = pd.read_csv(root / "nomis_aps" / "aps_2024_full.csv", dtype=str, keep_default_na=False)
    assert set(aps["OBS_STATUS"]) == {"A", "!", "*", "~", "-"}
    assert (aps.loc[aps["OBS_STATUS"] != "A", "OBS_VALUE"] == "").all()
    assert '"Jan 2024-Dec 2024"' in full[1] and ',20599,"Variable",' in full[1]
    assert {p.suffix for p in (root / "cqc_cmh_survey").iterdir()} == {".xlsx", ".ods", ".csv"}
    assert len(list((root / "mhsds").glob("mhsds_monthly_*.csv"))) == 24
    assert len(list((root / "dwp_esa").glob("esa_statxplore_*.csv"))) == 8
    assert len(list((root / "dwp_esa").glob("esa_nm_134_1_*.csv"))) == 3


def test_mhsds_counts_are_suppressed_under_5_and_rounded_to_5(landing: tuple[Path, dict]) -> None:
    frame = pd.concat(pd.read_csv(p, dtype=str) for p in sorted((landing[0] / "mhsds").glob("*.csv")))
    counts = frame[frame["MEASURE_ID"].isin(["MHS116", "AMH17e"])]["MEASURE_VALUE"]
    assert counts.map(lambda v: v == "*" or (v.isdigit() and int(v) % 5 == 0)).all()
    assert set(frame["SECONDARY_LEVEL"]) == {"NONE"}
    # England figures are neither rounded nor suppressed (public-sources.md)
    england = frame[(frame["BREAKDOWN"] == "England") & frame["MEASURE_ID"].isin(["MHS116", "AMH17e"])]
    assert (england["MEASURE_VALUE"] != "*").all()


def test_mhsds_measures_come_at_the_levels_nhs_digital_publishes_them(landing: tuple[Path, dict]) -> None:
    """MHS116 for England, each provider (trust) and sub-ICB; AMH16e%/AMH17e/AMH17e% for
    England, sub-ICB, ICB and commissioning region, never per provider."""
    frame = pd.concat(pd.read_csv(p, dtype=str) for p in sorted((landing[0] / "mhsds").glob("*.csv")))
    levels = frame.groupby("MEASURE_ID")["BREAKDOWN"].agg(set).to_dict()
    sub_icb, icb, region = (
        "Sub ICB - GP Practice or Residence",
        "ICB - GP Practice or Residence",
        "Commissioning Region",
    )
    assert levels["MHS116"] == {"England", "Provider", sub_icb}
    assert levels["MHS116a"] == {"England", sub_icb}
    for measure in ("AMH16e%", "AMH17e", "AMH17e%"):
        assert levels[measure] == {"England", sub_icb, icb, region}, measure
    regions = set(frame.loc[frame["BREAKDOWN"] == region, "PRIMARY_LEVEL"])
    assert regions and regions <= {"Y56", "Y58", "Y59", "Y60", "Y61", "Y62", "Y63"}
    assert all(
        re.fullmatch(r"Q[A-Z0-9]{2}", c) for c in frame.loc[frame["BREAKDOWN"] == icb, "PRIMARY_LEVEL"]
    )


def test_every_host_trust_has_its_place_in_nhs_englands_geography() -> None:
    from ipskpi.generator.geography import HOST_TRUST_GEOGRAPHY

    providers = pd.read_csv(Path(__file__).resolve().parents[2] / "seeds" / "ref_providers.csv", dtype=str)
    assert set(providers["host_trust_code"]) <= set(HOST_TRUST_GEOGRAPHY)


def test_every_return_has_all_eight_tables_with_exactly_the_contract_columns(
    returns: dict[str, dict[str, pd.DataFrame]],
) -> None:
    assert len(returns) == 24 * 4 + 23  # NQV02's service starts in 2024-05
    for stem, tables in returns.items():
        assert sorted(tables) == sorted(TABLES), stem
        for name, frame in tables.items():
            assert list(frame.columns) == list(TABLES_BY_NAME[name].column_names), (stem, name)


def test_csv_returns_are_plain_utf8_with_unix_newlines(landing: tuple[Path, dict]) -> None:
    some = sorted((landing[0] / "provider_returns").glob("RX4_*/referrals.csv"))[0].read_bytes()
    assert not some.startswith(b"\xef\xbb\xbf") and b"\r\n" not in some
    assert some.split(b"\n", 1)[0].decode() == ",".join(TABLES_BY_NAME["referrals"].column_names)


def test_sample_delivers_xlsx_from_one_provider_always_and_one_part_way(landing: tuple[Path, dict]) -> None:
    delivery = {p["provider_code"]: p["delivery"] for p in landing[1]["providers"]}
    assert sorted(delivery.values()) == ["csv", "csv", "csv", "csv_then_xlsx", "xlsx"]
    workbook = sorted((landing[0] / "provider_returns").glob("*.xlsx"))[0]
    sheet = CalamineWorkbook.from_path(str(workbook)).get_sheet_by_name("referrals").to_python()
    header = sheet[0]
    row = dict(zip(header, sheet[1], strict=True))
    assert isinstance(row["referral_date"], dt.date)  # a real Excel date
    assert isinstance(row["employment_status"], str) and len(row["employment_status"]) == 2  # "01"


def test_coded_columns_hold_only_contract_codes_and_use_every_code(
    stacked: dict[str, pd.DataFrame],
) -> None:
    for table in PROVIDER_TABLES:
        frame = stacked[table.name]
        for column in table.columns:
            values = set(frame[column.name].astype(str)) - {""}
            if column.codes is not None:
                assert values <= set(column.codes), (table.name, column.name, values - set(column.codes))
                planted_deletion = table.name in ("referrals", "contacts", "jobs")
                if table.name in ("referrals", "contacts", "jobs", "education", "staff") and (
                    column.name != "record_status" or planted_deletion
                ):
                    assert values == set(column.codes), (table.name, column.name, set(column.codes) - values)
            if column.pattern is not None:
                assert all(re.fullmatch(column.pattern, v) for v in values), (table.name, column.name)


def test_sample_has_between_100_and_600_referrals_per_provider(stacked: dict[str, pd.DataFrame]) -> None:
    counts = _latest(stacked, "referrals").groupby("provider_code").size()
    assert len(counts) == 5
    assert counts.between(100, 600).all(), counts.to_dict()


def test_distributions_are_plausible(stacked: dict[str, pd.DataFrame]) -> None:
    referrals = _latest(stacked, "referrals")
    accepted = referrals[referrals["accepted"] == "Y"]
    assert 0.8 <= len(accepted) / len(referrals) <= 0.9
    assert 0.7 <= (accepted["vocational_profile_date"] != "").mean() <= 0.9
    assert 0.1 <= (referrals["employment_status"] == "01").mean() <= 0.2
    hours = _latest(stacked, "jobs")["hours_per_week"].astype(float)
    assert (hours < 5).any() and hours.between(5, 16).any() and (hours > 16).any()


def test_a_return_carries_current_state_only(stacked: dict[str, pd.DataFrame]) -> None:
    ref = stacked["referrals"]
    month_end = pd.to_datetime(ref["_month"]) + pd.offsets.MonthEnd(0)
    for column in ("referral_date", "vocational_profile_date", "closure_date"):
        shown = ref[ref[column] != ""]
        assert (pd.to_datetime(shown[column]) <= month_end[shown.index]).all(), column
    closed = ref["closure_date"] != ""
    assert (ref.loc[~closed, "closure_reason"] == "").all()
    assert (ref.loc[~closed, "retention_outcome"] == "").all()
    jobs = stacked["jobs"]
    ended = jobs[jobs["end_date"] != ""]
    assert (
        pd.to_datetime(ended["end_date"]) <= pd.to_datetime(ended["_month"]) + pd.offsets.MonthEnd(0)
    ).all()


# --- planted scenarios --------------------------------------------------------------------------


def _jobs_of(stacked: dict[str, pd.DataFrame], referral_id: str) -> pd.DataFrame:
    jobs = _latest(stacked, "jobs")
    return jobs[(jobs["provider_code"] == "RX4") & (jobs["referral_id"] == referral_id)]


def _one(frame: pd.DataFrame, column: str, value: str) -> pd.Series:
    rows = frame[frame[column] == value]
    assert len(rows) == 1, (column, value, len(rows))
    return rows.iloc[0]


def _day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def _sustainment_date(jobs: pd.DataFrame, weeks: int, as_of: dt.date) -> dt.date | None:
    """The IPSG clock: days in work count once; a break of 42+ days resets it."""
    qualifying = jobs[(jobs["worked_4_hours"] == "Y") & (jobs["is_retained_job"] == "N")]
    days: set[dt.date] = set()
    for _, job in qualifying.iterrows():
        start = _day(job["start_date"])
        end = _day(job["end_date"]) if job["end_date"] else as_of
        days |= {start + dt.timedelta(d) for d in range((end - start).days + 1)}
    clock, previous = 0, None
    for day in sorted(days):
        if previous is not None and (day - previous).days - 1 >= 42:
            clock = 0
        clock += 1
        previous = day
        if clock == weeks * 7:
            return day
    return None


def _check(name: str, s: dict, stacked: dict[str, pd.DataFrame]) -> None:  # noqa: C901
    referrals = _latest(stacked, "referrals")
    mine = referrals[referrals["provider_code"] == s["provider_code"]]
    if "referral_id" in s and not name.startswith("deleted_referral"):
        referral = _one(mine, "referral_id", s["referral_id"])
    jobs = _jobs_of(stacked, s.get("referral_id", ""))
    by_id = jobs.set_index("job_id")

    if name == "several_jobs_per_person":
        assert len(jobs) >= 3
    elif name in ("job_break_41_days", "job_break_42_days"):
        first, second = (by_id.loc[j] for j in s["job_ids"])
        gap = (_day(second["start_date"]) - _day(first["end_date"])).days - 1
        assert gap == s["days_not_in_work"] == (41 if name.endswith("41_days") else 42)
    elif name == "second_job_not_new_person":
        job = by_id.loc[s["job_id"]]
        earlier = jobs[(jobs["start_date"] < job["start_date"]) & (jobs["is_retained_job"] == "N")]
        assert (earlier["worked_4_hours"] == "Y").any()
    elif name == "overlapping_jobs":
        first, second = (by_id.loc[j] for j in s["job_ids"])
        assert first["start_date"] <= second["start_date"] <= first["end_date"]
    elif name == "open_job_at_as_of":
        assert by_id.loc[s["job_id"], "end_date"] == ""
        assert s["job_id"] in set(stacked["jobs"][stacked["jobs"]["_month"] <= "2026-03"]["job_id"])
    elif name.startswith("sustained_13w_on_"):
        assert str(_sustainment_date(jobs, 13, dt.date(2026, 3, 31))) == s["sustainment_date_13w"]
    elif name == "job_worked_4_hours_n":
        assert by_id.loc[s["job_id"], "worked_4_hours"] == "N"
    elif name.startswith("retention_"):
        assert referral["employment_status"] == "01"
        assert referral["employed_detail"] == s["employed_detail"]
        assert referral["retention_outcome"] == s["retention_outcome"]
        assert by_id.loc[s["job_id"], "is_retained_job"] == "Y"
        for new in s["new_job_ids"]:
            assert by_id.loc[new, "is_retained_job"] == "N"
    elif name.startswith("self_employed_hmrc_"):
        job = by_id.loc[s["job_id"]]
        flag = name[-1].upper()
        assert (job["contract_type"], job["hmrc_registered"], job["has_business_plan"]) == (
            "self_employed",
            flag,
            flag,
        )
    elif name == "education_starts":
        education = _latest(stacked, "education")
        assert set(s["education_ids"]) <= set(
            education[education["referral_id"] == s["referral_id"]]["education_id"]
        )
    elif name.startswith("rejected_"):
        assert referral["accepted"] == "N"
        assert referral["rejection_reason"] == name.removeprefix("rejected_")
    elif name == "accepted_never_engaged":
        assert referral["accepted"] == "Y" and referral["vocational_profile_date"] == ""
        assert referral["closure_date"] != ""
    elif name == "carried_across_financial_year":
        assert referral["referral_date"] < "2025-04-01"
        assert referral["closure_date"] == "" or referral["closure_date"] >= "2025-04-01"
        sent = stacked["referrals"]
        assert ((sent["referral_id"] == s["referral_id"]) & (sent["_month"] == "2025-04")).any()
    elif name.startswith("deleted_"):
        table, key = {
            "deleted_referral": ("referrals", "referral_id"),
            "deleted_job": ("jobs", "job_id"),
            "deleted_contact": ("contacts", "contact_id"),
        }[name]
        sent = stacked[table]
        sent = sent[(sent["provider_code"] == "RX4") & (sent[key] == s[key])]
        assert list(sent["_month"]) == [s["sent_month"], s["deleted_month"]]
        assert list(sent["record_status"]) == ["active", "deleted"]
    elif name == "corrected_job_end_date":
        sent = stacked["jobs"]
        sent = sent[(sent["provider_code"] == "RX4") & (sent["job_id"] == s["job_id"])]
        by_month = dict(zip(sent["_month"], sent["end_date"], strict=True))
        assert by_month["2025-01"] == s["first_value"]
        assert by_month[s["corrected_in"]] == s["corrected_value"]
    elif name == "corrected_vocational_profile_date":
        sent = stacked["referrals"]
        sent = sent[(sent["provider_code"] == "RX4") & (sent["referral_id"] == s["referral_id"])]
        by_month = dict(zip(sent["_month"], sent["vocational_profile_date"], strict=True))
        assert by_month["2024-05"] == by_month["2024-06"] == s["first_value"]
        assert by_month[s["corrected_in"]] == referral["vocational_profile_date"] == s["corrected_value"]
    elif name.startswith("contact_2"):
        contacts = _latest(stacked, "contacts")
        contacts = contacts[
            (contacts["provider_code"] == "RX4") & (contacts["referral_id"] == s["referral_id"])
        ]
        client = contacts[contacts["contact_type"].str.startswith("client")]
        assert client["contact_date"].max() == s["last_contact_date"]
        assert contacts["contact_date"].max() == s["last_contact_date"]
        end = _day(s["period_end"])
        assert (end - _day(s["last_contact_date"])).days == int(name.split("_")[1])
        assert referral["vocational_profile_date"] <= s["period_end"] < referral["closure_date"]
    elif name == "staff_wte_change":
        staff = stacked["staff"]
        staff = staff[
            (staff["provider_code"] == "RX4")
            & (staff["employment_specialist_id"] == s["employment_specialist_id"])
        ]
        wte = dict(zip(staff["month"], staff["wte"].astype(float), strict=True))
        assert wte["2024-12"] == 1.0 and wte["2025-01"] == 0.8
    elif name == "finance_rows":
        finance = stacked["finance"]
        finance = finance[(finance["_return"] == "RX4_2026-03")]
        assert sorted(finance["component"]) == s["components"] and "ips" in s["components"]
        assert set(finance["financial_year"]) == {s["financial_year"]}
    elif name == "fidelity_reviews":
        reviews = stacked["fidelity_reviews"]
        reviews = reviews[reviews["provider_code"] == "RX4"]
        assert set(s["review_ids"]) == set(reviews["review_id"]) and len(reviews) >= 2
        totals = reviews[[f"item_{i:02d}" for i in range(1, 26)]].astype(int).sum(axis=1)
        assert totals.between(25, 125).all()
    elif name == "carried_over_into_first_return":
        assert referral["referral_date"] < f"{s['month']}-01"
        first = stacked["referrals"]
        in_first = (first["_return"] == f"RX4_{s['month']}") & (first["referral_id"] == s["referral_id"])
        assert in_first.any()
    elif name == "service_starts_in_window":
        assert referral["referral_date"] == s["service_start_date"]
        assert mine["referral_date"].min() == s["service_start_date"]
        months = stacked["referrals"][stacked["referrals"]["provider_code"] == s["provider_code"]]["_month"]
        assert min(months) == s["service_start_date"][:7]
    else:
        raise AssertionError(f"no check for scenario {name}")


def test_every_planted_scenario_is_in_the_files(
    landing: tuple[Path, dict], stacked: dict[str, pd.DataFrame]
) -> None:
    scenarios = landing[1]["scenarios"]
    names = [s["name"] for s in scenarios]
    assert len({(s["name"], s["provider_code"]) for s in scenarios}) == len(scenarios)
    expected = {
        "job_break_41_days",
        "job_break_42_days",
        "overlapping_jobs",
        "open_job_at_as_of",
        "sustained_13w_on_2025_03_31",
        "sustained_13w_on_2025_04_01",
        "deleted_referral",
        "deleted_job",
        "deleted_contact",
        "corrected_job_end_date",
        "contact_27_days_before_month_end",
        "contact_28_days_before_month_end",
        "staff_wte_change",
        "accepted_never_engaged",
        "service_starts_in_window",
    }
    assert expected <= set(names)
    for scenario in scenarios:
        assert scenario["what_it_shows"] and scenario["provider_code"]
        _check(scenario["name"], scenario, stacked)


def test_unknown_scale_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown scale"):
        generate("galactic", 1, tmp_path)
