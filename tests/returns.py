"""Build small, valid provider returns by hand, so a test can break exactly one thing."""

from __future__ import annotations

import csv
from pathlib import Path

from ipskpi.contract import PROVIDER_TABLES, TABLES_BY_NAME


def referral(referral_id: str = "R1", **overrides: str) -> dict[str, str]:
    row = {
        "referral_id": referral_id,
        "client_id": f"C-{referral_id}",
        "team_code": "T01",
        "team_type": "cmht",
        "referral_date": "2024-04-02",
        "referral_source": "secondary_mh_team",
        "in_secondary_mh_care": "Y",
        "accepted": "Y",
        "vocational_profile_date": "2024-04-10",
        "age_at_referral": "34",
        "gender": "2",
        "ethnic_category": "A",
        "highest_qualification": "level_2",
        "employment_status": "03",
        "last_paid_work": "6m_2y",
        "held_job_12m_plus": "Y",
        "benefit": "uc_health",
        "care_plan_employment_action": "Y",
        "care_plan_retention_action": "U",
        "living_situation": "settled",
        "residence_la_code": "E09000007",
        "record_status": "active",
    }
    row.update(overrides)
    return row


def contact(contact_id: str = "K1", referral_id: str = "R1", **overrides: str) -> dict[str, str]:
    row = {
        "contact_id": contact_id,
        "referral_id": referral_id,
        "contact_date": "2024-04-15",
        "contact_type": "client_face_to_face",
        "employment_specialist_id": "ES1",
        "record_status": "active",
    }
    row.update(overrides)
    return row


def job(job_id: str = "J1", referral_id: str = "R1", **overrides: str) -> dict[str, str]:
    row = {
        "job_id": job_id,
        "referral_id": referral_id,
        "start_date": "2024-04-20",
        "worked_4_hours": "Y",
        "hours_per_week": "20",
        "contract_type": "permanent",
        "is_retained_job": "N",
        "placement_scheme": "N",
        "sector": "G",
        "hourly_pay_gbp": "11.50",
        "evidence": "payslip",
        "record_status": "active",
    }
    row.update(overrides)
    return row


def staff(es_id: str = "ES1", month: str = "2024-04", **overrides: str) -> dict[str, str]:
    row = {"employment_specialist_id": es_id, "month": month, "wte": "1.0", "role": "employment_specialist"}
    row.update(overrides)
    return row


def write_csv_return(
    folder: Path,
    provider: str = "TST01",
    month: str = "2024-04",
    tables: dict[str, list[dict[str, str]]] | None = None,
    omit_tables: tuple[str, ...] = (),
) -> Path:
    """Write ``<folder>/<provider>_<month>/<table>.csv`` with every contract column."""
    tables = tables or {}
    target = folder / f"{provider}_{month}"
    target.mkdir(parents=True, exist_ok=True)
    for table in PROVIDER_TABLES:
        if table.name in omit_tables:
            continue
        rows = tables.get(table.name, [])
        write_table_csv(target / f"{table.name}.csv", table.name, rows, provider)
    return target


def write_table_csv(path: Path, table_name: str, rows: list[dict[str, str]], provider: str) -> None:
    columns = list(TABLES_BY_NAME[table_name].column_names)
    extra = [k for row in rows for k in row if k not in columns]
    columns += list(dict.fromkeys(extra))
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({"provider_code": provider, **row})
