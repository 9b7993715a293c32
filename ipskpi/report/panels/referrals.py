"""Section B, referrals and intake: who is referred, accepted and engaged, and their profile."""

from __future__ import annotations

from ipskpi.report import labels as lb
from ipskpi.report import svg
from ipskpi.report.panels.common import (
    HALF_WIDTH,
    Block,
    PageContext,
    Panel,
    any_suppressed,
    any_value,
    breakdown_table,
    chart_block,
    definitions,
    figures_table,
    head,
    kpi_values_table,
    not_yet_block,
    point,
)

INTAKE_BREAKDOWNS = (
    "employment_status",
    "benefit",
    "highest_qualification",
    "age_band",
    "last_paid_work",
    "living_situation",
    "gender",
    "ethnic_group",
)
# NHS England's IPS dashboard measures (section B): headline figures in the year table,
# and (KPI, breakdown) shown as a table of their categories (shares or counts).
NHSE_HEADLINES = (
    "referrals_accessed",
    "referrals_accessed_carried_over",
    "referrals_accessed_in_year",
    "profile_completeness",
)
NHSE_BREAKDOWNS = (
    ("first_contact_wait", "wait_band"),
    ("referral_source_group", "referral_source_group"),
    ("profile_completeness", "profile_field"),
)
INTAKE_RATES = (
    "employed_at_referral_rate",
    "long_term_benefit_rate",
    "nvq2_plus_rate",
    "held_job_12m_plus_rate",
    "in_secondary_mh_care_rate",
    "referrals_from_secondary_mh_rate",
    "acceptance_rate",
)


def intake_panel(ctx: PageContext) -> Panel:
    data = ctx.data
    panel_id = "intake"
    heading = "Who the service takes on (intake profile)"
    compare = "beside England" if ctx.compare else "for England"
    fy_name = lb.financial_year_label(ctx.latest_fy) if ctx.latest_fy else "the year"
    lead = (
        f"The people accepted in {fy_name}, {compare}: a service far from England on employment "
        "status, benefits or qualifications may be choosing the people closest to work."
    )
    breakdown_only = [code for code, _ in NHSE_BREAKDOWNS if code not in NHSE_HEADLINES]
    codes = list(
        dict.fromkeys(
            [
                "referrals_received",
                "referrals_accepted",
                *NHSE_HEADLINES,
                *INTAKE_RATES,
                "intake_profile",
                *breakdown_only,
            ]
        )
    )
    blocks: list[Block] = [
        kpi_values_table(
            ctx,
            panel_id,
            [c for c in codes if c != "intake_profile" and c not in breakdown_only],
            "Intake by financial year",
        )
    ]
    blocks += [b for code, btype in NHSE_BREAKDOWNS if (b := breakdown_table(ctx, code, btype))]
    if not data.has_kpi("intake_profile"):
        blocks.append(not_yet_block(["intake_profile"], "intake profile shares"))
    elif ctx.latest_fy is not None:
        for btype in INTAKE_BREAKDOWNS:
            values = lb.category_order(
                btype, data.breakdown_values("intake_profile", btype, "financial_year", ctx.latest_fy)
            )
            if not values:
                continue
            labels = [lb.category_label(btype, v) for v in values]
            columns = [
                (
                    ctx.org_short,
                    [ctx.fy(ctx.org_code, "intake_profile", ctx.latest_fy, btype, v) for v in values],
                    "rate",
                )
            ]
            if ctx.compare:
                columns.append(
                    (
                        "England",
                        [ctx.fy(ctx.compare, "intake_profile", ctx.latest_fy, btype, v) for v in values],
                        "rate",
                    )
                )
            if not any_value(*(c for _, c, _ in columns)):
                continue
            series = [
                svg.Series(name, [point(c, lab) for lab, c in zip(labels, cells, strict=True)])
                for name, cells, _ in columns
            ]
            title = f"{lb.breakdown_label(btype)}: share of accepted referrals, {ctx.org_short}" + (
                " and England" if ctx.compare else ""
            )
            chart = svg.bar_chart(
                labels,
                series,
                title=title,
                desc=f"Share of accepted referrals in each {lb.breakdown_label(btype).lower()} category, "
                f"{lb.financial_year_label(ctx.latest_fy)}. Unknowns are shown, not dropped.",
                y_format=lb.axis_formatter("rate"),
                horizontal=True,
                y_max=1.0,
                width=HALF_WIDTH,
                kind=f"intake-{btype}",
            )
            figures = figures_table(f"{lb.breakdown_label(btype)}: the figures", labels, columns)
            figures["head"][0][0] = head(lb.breakdown_label(btype))
            blocks.append(
                chart_block(
                    chart,
                    lb.breakdown_label(btype),
                    figures,
                    any_suppressed(*(c for _, c, _ in columns)),
                    wide=False,
                )
            )
    return {
        "id": panel_id,
        "heading": heading,
        "lead": lead,
        "blocks": blocks,
        "definitions": definitions(data, codes),
        "unavailable": None,
    }
