"""Words a commissioner reads in place of codes, and number formats by KPI unit."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date

from markupsafe import Markup, escape

from ipskpi.report.data import Cell, Kpi

BREAKDOWN_TYPES = {
    "age_band": "Age band",
    "gender": "Gender",
    "ethnic_group": "Ethnic group",
    "highest_qualification": "Highest qualification",
    "employment_status": "Employment status at referral",
    "last_paid_work": "Last paid work",
    "benefit": "Main benefit",
    "living_situation": "Living situation",
    "wait_band": "Days from referral to first contact",
    "discharge_hours_band": "Hours a week at discharge",
    "service_band": "Days in the service",
    "referral_source_group": "Referral source (NHS England's groups)",
    "contact_type": "Contact type and medium",
    "profile_field": "Profile field known",
}

# Category labels and their order (the contract's code order) per breakdown type.
CATEGORIES: dict[str, dict[str, str]] = {
    "age_band": {
        "under_18": "Under 18",
        "18_35": "18 to 35",
        "36_50": "36 to 50",
        "51_65": "51 to 65",
        "66_plus": "66 and over",
        "unknown": "Unknown",
    },
    "gender": {"1": "Male", "2": "Female", "9": "Indeterminate", "X": "Not known"},
    "ethnic_group": {
        "White": "White",
        "Mixed": "Mixed",
        "Asian": "Asian or Asian British",
        "Black": "Black or Black British",
        "Other": "Other ethnic group",
        "Not stated": "Not stated",
    },
    "highest_qualification": {
        "none": "No qualifications",
        "level_1": "Level 1",
        "level_2": "Level 2",
        "level_3": "Level 3",
        "level_4_plus": "Level 4 or above",
        "unknown": "Unknown",
    },
    "employment_status": {
        "01": "Employed",
        "02": "Unemployed, seeking work",
        "03": "Student",
        "04": "Long-term sick or disabled",
        "05": "Looking after family or home",
        "06": "Not working, no sickness benefit",
        "07": "Unpaid voluntary work",
        "08": "Retired",
        "ZZ": "Not stated",
    },
    "last_paid_work": {
        "current": "In work now",
        "lt_6m": "Under 6 months ago",
        "6m_2y": "6 months to 2 years",
        "2y_5y": "2 to 5 years",
        "gt_5y": "Over 5 years",
        "never": "Never worked",
        "unknown": "Unknown",
    },
    "benefit": {
        "esa": "ESA",
        "incapacity_benefit": "Incapacity Benefit",
        "uc_health": "Universal Credit (health)",
        "uc_other": "Universal Credit (other)",
        "other": "Other benefit",
        "none": "No benefit",
        "unknown": "Unknown",
    },
    "living_situation": {
        "settled": "Settled",
        "supported": "Supported accommodation",
        "homeless": "Homeless",
        "other": "Other",
        "unknown": "Unknown",
    },
    "wait_band": {
        "0_to_7_days": "0 to 7 days",
        "8_to_30_days": "8 to 30 days",
        "over_30_days": "Over 30 days",
    },
    "discharge_hours_band": {
        "30_plus_hours": "30 hours or more",
        "16_to_29_hours": "16 to 29 hours",
        "15_or_less_hours": "15 hours or less",
    },
    "service_band": {
        "0_to_90_days": "Up to 90 days",
        "91_to_180_days": "91 to 180 days",
        "over_180_days": "Over 180 days",
    },
    "referral_source_group": {
        "secondary_mental_health_care": "Secondary mental health care",
        "primary_health_care": "Primary health care",
        "self_referral": "Self referral",
        "other": "Other (incl. Jobcentre)",
        "not_recorded": "Not recorded",
    },
    "contact_type": {
        "client_face_to_face": "Client, face to face",
        "client_remote": "Client, phone or video",
        "employer_face_to_face": "Employer, face to face",
        "employer_remote": "Employer, remote",
        "clinical_team": "Clinical team",
        "jobcentre": "Jobcentre",
        "not_recorded": "Not recorded",
    },
    "profile_field": {
        "age": "Age",
        "gender": "Gender",
        "ethnic_category": "Ethnic category",
        "highest_qualification": "Highest qualification",
        "employment_status": "Employment status",
        "last_paid_work": "Last paid work",
        "held_job_12m_plus": "Held a job over a year",
        "benefit": "Benefit",
        "living_situation": "Living situation",
        "in_secondary_mh_care": "In secondary mental health care",
    },
    "band": {"exemplary": "Exemplary", "good": "Good", "fair": "Fair", "not_ips": "Not IPS"},
}

MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def category_label(breakdown_type: str, value: str) -> str:
    return CATEGORIES.get(breakdown_type, {}).get(value, value.replace("_", " "))


def category_order(breakdown_type: str, values: list[str]) -> list[str]:
    known = list(CATEGORIES.get(breakdown_type, {}))
    return sorted(values, key=lambda v: (known.index(v) if v in known else len(known), v))


def breakdown_label(breakdown_type: str) -> str:
    return BREAKDOWN_TYPES.get(breakdown_type, breakdown_type.replace("_", " ").capitalize())


def financial_year_label(start: date) -> str:
    return f"FY {start.year}-{(start.year + 1) % 100:02d}"


def month_label(start: date) -> str:
    return f"{MONTHS[start.month - 1]} {start.year}"


def short_month_label(start: date) -> str:
    return f"{MONTHS[start.month - 1]} {start.year % 100:02d}"


def quarter_label(start: date) -> str:
    end_month = (start.month + 1) % 12 + 1
    return f"{MONTHS[start.month - 1]}–{MONTHS[end_month - 1]} {start.year}"


def short_quarter_label(start: date) -> str:
    end_month = (start.month + 1) % 12 + 1
    return f"{MONTHS[start.month - 1]}–{MONTHS[end_month - 1]} {start.year % 100:02d}"


def period_label(period_type: str, start: date) -> str:
    if period_type == "financial_year":
        return financial_year_label(start)
    if period_type == "quarter":
        return quarter_label(start)
    if period_type == "month":
        return month_label(start)
    return start.isoformat()


def long_date(day: date | None) -> str:
    if day is None:
        return "not known"
    return f"{day.day} {MONTH_NAMES[day.month - 1]} {day.year}"


# --- numbers -----------------------------------------------------------------------------


def format_value(value: float, unit: str) -> str:
    """A published value as a commissioner reads it."""
    if unit == "rate":
        return f"{value * 100:.1f}%"
    if unit == "ratio":
        return f"{value:.2f}"
    if unit == "count":
        return f"{value:,.0f}"
    if unit in ("per_wte", "wte", "mean"):
        return f"{value:,.1f}"
    if unit == "median_days":
        return f"{value:,.0f} days"
    if unit == "score":
        return f"{value:,.0f}"
    if unit == "gbp":
        return f"£{value:,.0f}"
    return f"{value:,.2f}"


def _trim(number: float, decimals: int = 2) -> str:
    text = f"{number:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_target_number(value: float, unit: str) -> str:
    if unit == "rate":
        return f"{_trim(value * 100, 1)}%"
    if unit == "gbp":
        return f"£{value:,.0f}"
    if unit == "median_days":
        return f"{_trim(value)} days"
    return _trim(value)


def axis_formatter(unit: str) -> Callable[[float], str]:
    """Tick labels for a chart axis of this unit."""
    if unit == "rate":
        return lambda v: f"{_trim(v * 100, 1)}%"
    if unit == "gbp":
        return lambda v: f"£{v:,.0f}"
    return lambda v: _trim(v)


def target_text(target_min: float | None, target_max: float | None, unit: str) -> str:
    if target_min is not None and target_max is not None:
        return f"{format_target_number(target_min, unit)} to {format_target_number(target_max, unit)}"
    if target_min is not None:
        return f"at least {format_target_number(target_min, unit)}"
    if target_max is not None:
        return f"at most {format_target_number(target_max, unit)}"
    return "no target"


def versioned_target_text(target_min: float | None, target_max: float | None, kpi: Kpi) -> str:
    """The target in words; where it is the KPI's current target and an earlier version of
    its framework set a different one, both: "IPS Grow V8: at least 65% (v4: at least 60%)"."""
    text = target_text(target_min, target_max, kpi.unit)
    current = (target_min, target_max) == (kpi.target_min, kpi.target_max)
    if not (current and kpi.target_framework and kpi.previous_target_framework):
        return text
    if kpi.previous_target_min is None and kpi.previous_target_max is None:
        return text
    earlier = kpi.previous_target_framework
    common = os.path.commonprefix([kpi.target_framework, earlier])
    if " " in common:  # "IPS Grow V8" and "IPS Grow v4": the earlier one as "v4"
        earlier = earlier[common.rindex(" ") + 1 :]
    previous = target_text(kpi.previous_target_min, kpi.previous_target_max, kpi.unit)
    return f"{kpi.target_framework}: {text} ({earlier}: {previous})"


def cell_target(cell: Cell | None, kpi: Kpi) -> tuple[float | None, float | None]:
    """The target that applied to a cell (per row, e.g. service year 1), else the catalogue's."""
    if cell is not None and (cell.target_min is not None or cell.target_max is not None):
        return cell.target_min, cell.target_max
    return kpi.target_min, kpi.target_max


SUPPRESSED_HTML = Markup(
    '<span class="suppressed" data-suppressed="true"'
    ' title="Suppressed: fewer than 5, or hidden to protect such a figure">'
    '<span aria-hidden="true">—</span><span class="visually-hidden">suppressed</span>'
    '<a class="fn" href="#fn-suppressed" aria-label="suppressed, see footnote">*</a></span>'
)
NO_FIGURE_HTML = Markup(
    '<span class="no-figure" title="No figure published for this period">'
    'n/a<a class="fn" href="#fn-no-figure" aria-label="no figure, see footnote">†</a></span>'
)


INCOMPLETE_MARK = Markup(
    '<a class="fn mark-incomplete" data-incomplete="true" href="#fn-incomplete"'
    ' title="Some expected monthly returns are missing" aria-label="incomplete returns, see footnote">‡</a>'
)
PROVISIONAL_MARK = Markup(
    '<a class="fn mark-provisional" data-provisional="true" href="#fn-provisional"'
    ' title="Provisional: a later return may still correct it" aria-label="provisional, see footnote">p</a>'
)


def coverage_marks(cell: Cell | None) -> Markup:
    """The marks after a figure: ‡ when an expected monthly return is missing, p while provisional."""
    if cell is None:
        return Markup("")
    marks = Markup("")
    if cell.is_incomplete:
        marks += INCOMPLETE_MARK
    if cell.is_provisional:
        marks += PROVISIONAL_MARK
    return marks


def coverage_note(cell: Cell | None, is_england: bool) -> str:
    """What a page's figures for one period rest on, in words ('' when nothing is known)."""
    if cell is None or cell.months_expected is None:
        return ""
    if is_england:
        expected, reporting = cell.providers_expected or 0, cell.providers_reporting or 0
        text = f"based on {reporting} of {expected} providers' returns"
        if reporting < expected:
            text += (
                " (months without an accepted return are counted from the records"
                " the providers' other returns carry)"
            )
    else:
        expected, reporting = cell.months_expected or 0, cell.months_with_return or 0
        text = f"based on {reporting} of {expected} monthly returns"
        if reporting < expected:
            text += (
                " (months without an accepted return are counted from the records its other returns carry)"
            )
    if cell.is_provisional:
        text += "; provisional until next month's returns load"
    return text


def display(cell: Cell | None, unit: str) -> Markup:
    """A table cell's content: the value, 'suppressed' (never 0), or no figure, with coverage marks."""
    if cell is None:
        return NO_FIGURE_HTML
    if cell.is_suppressed:
        return SUPPRESSED_HTML + coverage_marks(cell)
    if cell.value is None:
        return NO_FIGURE_HTML + coverage_marks(cell)
    return Markup('<span class="num">{}</span>').format(format_value(cell.value, unit)) + coverage_marks(cell)


STATUS_HTML = {
    "met": Markup('<span class="status status-met"><span aria-hidden="true">✓</span> Met</span>'),
    "not_met": Markup('<span class="status status-not-met"><span aria-hidden="true">✗</span> Not met</span>'),
}


def status_html(cell: Cell | None) -> Markup:
    if cell is not None and cell.target_status in STATUS_HTML:
        return STATUS_HTML[cell.target_status]
    reason = "suppressed" if cell is not None and cell.is_suppressed else "no figure"
    return Markup('<span class="status status-none">No status ({})</span>').format(escape(reason))
