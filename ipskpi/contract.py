"""The provider-return input contract (../shared/spec/provider-return.md, v1) as data.

One place states every table, column, type and code list; the loader builds its
set-based validation SQL from it, and the dbt staging YAML documents the same
contract for analysts (a project-health test checks the two agree).
"""

from __future__ import annotations

from dataclasses import dataclass, field

YNU = ("Y", "N", "U")
YN = ("Y", "N")
RECORD_STATUS = ("active", "deleted")

ETHNIC_CATEGORIES = tuple("ABCDEFGHJKLMNPRS") + ("Z", "99")
EMPLOYMENT_STATUS = ("01", "02", "03", "04", "05", "06", "07", "08", "ZZ")
SIC_SECTIONS = tuple("ABCDEFGHIJKLMNOPQRSTU")


MAX_LENGTH = 255
"""Most characters any provider-return cell may hold (ids, codes, dates, numbers): rule ``too_long``.

No column of the return is free text; a free-text column, if one is ever added, would
set its own ``max_length`` (e.g. 4000).
"""

CONTROL_CHARACTERS = "[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f]"
"""The characters no cell may hold (rule ``control_character``), as a regular expression.

C0 control characters and DEL (NUL included) except tab, line feed and carriage return,
which a quoted CSV value may carry.
"""


@dataclass(frozen=True)
class Column:
    """One column of a contract table.

    kind: text | date | int | decimal | month (YYYY-MM) | year (YYYY).
    codes: the allowed values (None = free text).
    pattern: a regular expression the value must match.
    minimum/maximum: inclusive numeric range; exclusive_minimum for "> 0".
    required: the value may not be empty (keys are always required).
    max_length: most characters the value may hold (after trimming).
    """

    name: str
    kind: str = "text"
    codes: tuple[str, ...] | None = None
    pattern: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: bool = False
    required: bool = False
    optional_column: bool = False
    description: str = ""
    max_length: int = MAX_LENGTH


@dataclass(frozen=True)
class Table:
    """One table of the provider return: its columns, key and foreign keys."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    grain: str
    references_referrals: bool = False
    date_columns_not_after_return: tuple[str, ...] = field(default_factory=tuple)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required_columns(self) -> tuple[str, ...]:
        """Columns that must be present in the file header (all but optional ones)."""
        return tuple(c.name for c in self.columns if not c.optional_column)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


PROVIDER_CODE = Column(
    "provider_code",
    pattern=r"^[A-Z0-9]{3,5}$",
    required=True,
    description="ODS code of the employment provider",
)
RECORD_STATUS_COLUMN = Column(
    "record_status",
    codes=RECORD_STATUS,
    optional_column=True,
    description="active (default) or deleted: a deleted record is withdrawn",
)


def _key(name: str, description: str = "key") -> Column:
    return Column(name, required=True, description=description)


def _referral_fk() -> Column:
    return Column("referral_id", required=True, description="must exist in referrals")


PROVIDER_TABLES: tuple[Table, ...] = (
    Table(
        "referrals",
        grain="One row per referral (episode of IPS support).",
        key=("provider_code", "referral_id"),
        date_columns_not_after_return=("referral_date", "vocational_profile_date", "closure_date"),
        columns=(
            PROVIDER_CODE,
            _key("referral_id"),
            Column("client_id", required=True, description="pseudonymised person id"),
            Column("team_code", description="clinical team the employment specialist works in"),
            Column(
                "team_type",
                codes=("cmht", "eip", "primary_care", "forensic", "rehab", "other"),
            ),
            Column("referral_date", "date", required=True),
            Column(
                "referral_source",
                codes=("secondary_mh_team", "primary_care", "self", "jobcentre", "other"),
            ),
            Column("in_secondary_mh_care", codes=YNU),
            Column("accepted", codes=YN, required=True),
            Column(
                "rejection_reason",
                codes=(
                    "does_not_want_work",
                    "not_eligible",
                    "could_not_contact",
                    "referred_elsewhere",
                    "other",
                ),
            ),
            Column("vocational_profile_date", "date"),
            Column("age_at_referral", "int", minimum=14, maximum=100),
            Column("gender", codes=("1", "2", "9", "X")),
            Column("ethnic_category", codes=ETHNIC_CATEGORIES),
            Column(
                "highest_qualification",
                codes=("none", "level_1", "level_2", "level_3", "level_4_plus", "unknown"),
            ),
            Column("employment_status", codes=EMPLOYMENT_STATUS),
            Column("employed_detail", codes=("off_sick", "at_work_job_at_risk", "at_work_other")),
            Column(
                "last_paid_work",
                codes=("current", "lt_6m", "6m_2y", "2y_5y", "gt_5y", "never", "unknown"),
            ),
            Column("held_job_12m_plus", codes=YNU),
            Column(
                "benefit",
                codes=(
                    "esa",
                    "incapacity_benefit",
                    "uc_health",
                    "uc_other",
                    "other",
                    "none",
                    "unknown",
                ),
            ),
            Column("care_plan_employment_action", codes=YNU),
            Column("care_plan_retention_action", codes=YNU),
            Column("living_situation", codes=("settled", "supported", "homeless", "other", "unknown")),
            Column("residence_la_code", pattern=r"^E0[6-9][0-9]{6}$"),
            Column("closure_date", "date"),
            Column(
                "closure_reason",
                codes=(
                    "in_work",
                    "no_longer_wants_work",
                    "became_unwell",
                    "disengaged",
                    "moved_away",
                    "transferred",
                    "other",
                ),
            ),
            Column(
                "retention_outcome",
                codes=(
                    "same_job_same_employer",
                    "different_job_same_employer",
                    "same_job_different_employer",
                    "different_job_different_employer",
                    "not_in_work",
                ),
            ),
            RECORD_STATUS_COLUMN,
        ),
    ),
    Table(
        "contacts",
        grain="One row per contact.",
        key=("provider_code", "contact_id"),
        references_referrals=True,
        date_columns_not_after_return=("contact_date",),
        columns=(
            PROVIDER_CODE,
            _key("contact_id"),
            _referral_fk(),
            Column("contact_date", "date", required=True),
            Column(
                "contact_type",
                required=True,
                codes=(
                    "client_face_to_face",
                    "client_remote",
                    "employer_face_to_face",
                    "employer_remote",
                    "clinical_team",
                    "jobcentre",
                ),
            ),
            Column("employment_specialist_id", description="pseudonymised staff id"),
            Column("competitive_job", codes=YN),
            RECORD_STATUS_COLUMN,
        ),
    ),
    Table(
        "jobs",
        grain="One row per job held or gained during a referral.",
        key=("provider_code", "job_id"),
        references_referrals=True,
        date_columns_not_after_return=("start_date", "end_date"),
        columns=(
            PROVIDER_CODE,
            _key("job_id"),
            _referral_fk(),
            Column("start_date", "date", required=True),
            Column("end_date", "date"),
            Column("worked_4_hours", codes=YN, required=True),
            Column("hours_per_week", "decimal", minimum=0, exclusive_minimum=True, maximum=80),
            Column(
                "contract_type",
                codes=("permanent", "temporary", "casual", "zero_hours", "self_employed"),
            ),
            Column("is_retained_job", codes=YN, required=True),
            Column("placement_scheme", codes=YN),
            Column("sector", codes=SIC_SECTIONS),
            Column("hourly_pay_gbp", "decimal", minimum=0, exclusive_minimum=True),
            Column(
                "evidence",
                codes=("payslip", "offer_letter", "timesheet", "employer_confirmation", "self_report"),
            ),
            Column("hmrc_registered", codes=YN),
            Column("has_business_plan", codes=YN),
            RECORD_STATUS_COLUMN,
        ),
    ),
    Table(
        "education",
        grain="One row per course started on the way to work.",
        key=("provider_code", "education_id"),
        references_referrals=True,
        date_columns_not_after_return=("start_date",),
        columns=(
            PROVIDER_CODE,
            _key("education_id"),
            _referral_fk(),
            Column("start_date", "date", required=True),
            Column(
                "setting",
                codes=(
                    "fe_college",
                    "university",
                    "training",
                    "recovery_college",
                    "volunteering",
                    "other",
                ),
            ),
            Column("level", codes=("1", "2", "3", "4", "5", "6", "7", "8", "none")),
            RECORD_STATUS_COLUMN,
        ),
    ),
    Table(
        "staff",
        grain="One row per employment specialist per month.",
        key=("provider_code", "employment_specialist_id", "month"),
        columns=(
            PROVIDER_CODE,
            _key("employment_specialist_id", "pseudonymised staff id"),
            Column("month", "month", required=True),
            Column("wte", "decimal", minimum=0, exclusive_minimum=True, maximum=1.0, required=True),
            Column("role", codes=("employment_specialist", "team_leader"), required=True),
            RECORD_STATUS_COLUMN,
        ),
    ),
    Table(
        "finance",
        grain="One row per service component per financial year.",
        key=("provider_code", "financial_year", "component"),
        columns=(
            PROVIDER_CODE,
            Column("financial_year", "year", required=True),
            Column(
                "component",
                required=True,
                codes=("ips", "employment_preparation", "self_employment_support", "sheltered_work"),
            ),
            Column("contract_value_gbp", "decimal", minimum=0, required=True),
            RECORD_STATUS_COLUMN,
        ),
    ),
    Table(
        "fidelity_reviews",
        grain="One row per IPS fidelity review (25-item scale).",
        key=("provider_code", "review_id"),
        date_columns_not_after_return=("review_date",),
        columns=(
            PROVIDER_CODE,
            _key("review_id"),
            Column("review_date", "date", required=True),
            Column("review_type", codes=("external", "self"), required=True),
            *(Column(f"item_{i:02d}", "int", minimum=1, maximum=5, required=True) for i in range(1, 26)),
            RECORD_STATUS_COLUMN,
        ),
    ),
    Table(
        "quality_assessments",
        grain="One row per provider per section C self-assessment (yearly).",
        key=("provider_code", "assessment_date"),
        date_columns_not_after_return=("assessment_date",),
        columns=(
            PROVIDER_CODE,
            Column("assessment_date", "date", required=True),
            *(
                Column(name, "int", minimum=1, maximum=5)
                for name in (
                    "paid_work_focus",
                    "client_preference",
                    "rapid_job_search",
                    "benefits_advice",
                    "mh_team_integration",
                    "jobcentre_relationship",
                )
            ),
            Column("fidelity_audit", "int", minimum=0, maximum=3),
            Column("client_feedback_audit", "int", minimum=0, maximum=3),
            RECORD_STATUS_COLUMN,
        ),
    ),
)

TABLES_BY_NAME: dict[str, Table] = {t.name: t for t in PROVIDER_TABLES}

COMMISSIONER_RETURN = Table(
    "commissioning",
    grain="One row per local authority per financial year.",
    key=("la_code",),
    columns=(
        Column("la_code", pattern=r"^E0[6-9][0-9]{6}$", required=True),
        *(
            Column(name, codes=YNU)
            for name in (
                "comprehensive_range",
                "multi_agency_forum",
                "primary_care_onsite_2_sessions",
                "primary_care_gp_response_5_days",
                "primary_care_gp_joint_working",
                "primary_care_therapist_joint_working",
                "primary_care_employer_contact",
                "primary_care_benefits_advice",
            )
        ),
        Column("nhs_trust_code", pattern=r"^[A-Z0-9]{3,5}$"),
        Column("nhs_new_recruits", "int", minimum=0),
        Column("nhs_recruits_declaring_mh_condition", "int", minimum=0),
    ),
)
