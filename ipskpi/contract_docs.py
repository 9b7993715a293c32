"""Render the provider-return contract (ipskpi.contract) as dbt YAML.

The contract lives once, in Python, where the loader validates against it. This
module writes the dbt source and staging YAML from it - descriptions, grain,
allowed codes as accepted_values tests - so the documentation an analyst reads in
dbt docs is the contract the loader enforces. ``ipskpi contract-yaml`` rewrites the
files; a test fails when the committed YAML and the contract drift apart.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from ipskpi.config import PROJECT_DIR
from ipskpi.contract import MAX_LENGTH, PROVIDER_TABLES, Column, Table

STAGING_DIR = PROJECT_DIR / "models" / "staging" / "provider_returns"

HEADER = "# GENERATED from ipskpi/contract.py by `ipskpi contract-yaml` - edit the contract, not this file.\n"

# Meanings from ../shared/spec/provider-return.md for columns whose contract entry is only a code list.
MEANINGS: dict[str, str] = {
    "client_id": "Pseudonymised person id (never an NHS number or name); "
    "a person may have several referrals.",
    "team_code": "Clinical team the employment specialist works in.",
    "team_type": "Type of clinical team.",
    "referral_date": "Date the referral was received.",
    "referral_source": "Who referred.",
    "in_secondary_mh_care": "In contact with specialist mental health services at referral (Y/N/U).",
    "accepted": "Taken on to the books (Y/N).",
    "rejection_reason": "When accepted = N: why.",
    "vocational_profile_date": "Engagement: the day the vocational profile was started "
    "(null = never engaged).",
    "age_at_referral": "Age in years at referral, 14-100.",
    "gender": "Person Stated Gender: 1 male, 2 female, 9 indeterminate, X not known.",
    "ethnic_category": "NHS ethnic category A-S (no I/O/Q), Z not stated, 99 not known.",
    "highest_qualification": "Highest qualification (level 2 = NVQ2/GCSE A*-C).",
    "employment_status": "At referral, MHSDS EMPLOYMENT STATUS 01-08, ZZ (01 = employed).",
    "employed_detail": "When employment_status = 01: off sick, at work with the job at risk, or other.",
    "last_paid_work": "How recently the person was last in paid work.",
    "held_job_12m_plus": "Ever held any paid job for more than one year (Y/N/U).",
    "benefit": "Main benefit at referral.",
    "care_plan_employment_action": "Care plan has clear actions on getting paid work (Y/N/U).",
    "care_plan_retention_action": "Care plan has clear actions on keeping a job (Y/N/U).",
    "living_situation": "Living situation at referral.",
    "residence_la_code": "GSS code of the local authority of residence (E06-E09 + 6 digits).",
    "closure_date": "Date the referral closed; null while open.",
    "closure_reason": "Why the referral closed.",
    "retention_outcome": "For clients employed at referral, the outcome on closure.",
    "contact_date": "Date of the contact.",
    "contact_type": "Who the contact was with and how.",
    "employment_specialist_id": "Pseudonymised staff id.",
    "competitive_job": "Employer contacts: about a competitive (open-market) job (Y/N).",
    "start_date": "First day (of paid work, or of the course).",
    "end_date": "Last day of paid work; null while in work.",
    "worked_4_hours": "At least 4 hours' paid work done (a job start counts only when Y).",
    "hours_per_week": "Average hours a week, > 0 and <= 80.",
    "contract_type": "permanent, temporary (definite end under 4 weeks), casual (incl. seasonal), "
    "zero_hours or self_employed.",
    "is_retained_job": "The job the client held at referral (job retention).",
    "placement_scheme": "Gained through a job placement scheme (e.g. Kickstart).",
    "sector": "SIC 2007 section letter A-U.",
    "hourly_pay_gbp": "Gross hourly pay in pounds.",
    "evidence": "How the job was evidenced.",
    "hmrc_registered": "Self-employed only: registered with HMRC (Y/N).",
    "has_business_plan": "Self-employed only: has a business plan (Y/N).",
    "setting": "Where the course is.",
    "level": "RQF level 1-8, or none.",
    "month": "Reporting month of the staff row (YYYY-MM).",
    "wte": "Whole-time equivalent, 0 < wte <= 1.0.",
    "role": "employment_specialist or team_leader.",
    "financial_year": "Year the April-March financial year starts (YYYY).",
    "component": "Service component the money pays for.",
    "contract_value_gbp": "Total cost including management and overheads.",
    "review_date": "Date of the fidelity review.",
    "review_type": "external or self review.",
    "assessment_date": "Date of the section C self-assessment.",
    "fidelity_audit": "Section C: fidelity audit score 0-3.",
    "client_feedback_audit": "Section C: client feedback audit score 0-3.",
}


def column_description(column: Column) -> str:
    text = column.description if column.description not in ("", "key") else MEANINGS.get(column.name, "")
    if column.description == "key" and not text:
        text = "Key, unique within a provider."
    if column.name.startswith("item_"):
        text = f"IPS fidelity scale item {column.name[-2:]}, scored 1-5."
    if column.name in {
        "paid_work_focus",
        "client_preference",
        "rapid_job_search",
        "benefits_advice",
        "mh_team_integration",
        "jobcentre_relationship",
    }:
        text = f"Section C quality item '{column.name}', scored 1-5."
    if column.codes and len(column.codes) <= 12:
        text += f" Codes: {', '.join(column.codes)}."
    return text.strip()


def _source_table(table: Table) -> dict:
    return {
        "name": table.name,
        "description": f"{table.grain} Every version of every row as delivered, as text, with lineage "
        "(_load_id, _source_file, _file_hash, _row_number, _return_month, _loaded_at, _is_superseded).",
        "columns": [{"name": c.name, "description": column_description(c)} for c in table.columns],
    }


def sources_yaml() -> dict:
    return {
        "version": 2,
        "sources": [
            {
                "name": "provider_returns",
                "description": "Monthly client-level IPS returns from employment providers "
                "(../shared/spec/provider-return.md), loaded by the ingest flow after validation. "
                "Rows that broke the contract are in ingest.rejected_rows, not here. Besides each "
                "column's type and codes, every cell obeys the cell limits: at most "
                f"{MAX_LENGTH} characters (rule too_long), no control character other than tab and "
                "line breaks (control_character), and valid UTF-8 (invalid_encoding: only the row "
                "with the bad byte is rejected, naming its line and byte offset).",
                # Spark has a single catalog: there the source schema alone names the raw tables.
                "database": "{{ '' if target.type == 'spark' else var('raw_database') }}",
                "schema": "provider_returns",
                # No dbt source freshness: freshness comes from the periods in the rows
                # (models/marts/fct_source_freshness.sql, audited by freshness__sources).
                "tables": [_source_table(t) for t in PROVIDER_TABLES],
            }
        ],
    }


STAGED_NAMES = {"level": "rqf_level", "month": "staff_month"}


def _staging_model(table: Table) -> dict:
    columns = []
    for column in table.columns:
        staged = STAGED_NAMES.get(column.name, column.name)
        entry: dict = {"name": staged, "description": column_description(column)}
        tests: list = []
        if column.required and column.name not in ("record_status",):
            tests.append("not_null")
        if column.codes is not None:
            tests.append({"accepted_values": {"arguments": {"values": list(column.codes)}}})
        if tests:
            entry["data_tests"] = tests
        columns.append(entry)
    columns.append(
        {
            "name": "load_id",
            "description": "The load (ingest.load_ledger) this version of the row came from.",
            "data_tests": ["not_null"],
        }
    )
    columns.append(
        {"name": "source_row_number", "description": "Row of the row in its file (header = row 1)."}
    )
    key = ", ".join(table.key)
    return {
        "name": f"stg_provider_returns__{table.name}",
        "description": (
            f"Typed provider-return {table.name}: every version delivered in a current (not "
            f"superseded) return, so the same {key} appears once per monthly return that carried "
            f"it; int_ models pick the latest. One row per {table.name.rstrip('s')} per return "
            "that carried it."
        ),
        "data_tests": [{"unique_combination": {"arguments": {"columns": ["load_id", "source_row_number"]}}}],
        "columns": columns,
    }


def models_yaml() -> dict:
    return {"version": 2, "models": [_staging_model(t) for t in PROVIDER_TABLES]}


def render() -> dict[Path, str]:
    """The YAML files this module owns, path -> text."""
    dump = lambda data: HEADER + yaml.safe_dump(data, sort_keys=False, width=100)  # noqa: E731
    return {
        STAGING_DIR / "_provider_returns__sources.yml": dump(sources_yaml()),
        STAGING_DIR / "_provider_returns__models.yml": dump(models_yaml()),
    }


def write() -> list[Path]:
    written = []
    for path, text in render().items():
        path.write_text(text)
        written.append(path)
    return written
