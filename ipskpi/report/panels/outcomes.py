"""Section D, outcomes: job starts and how long jobs last."""

from __future__ import annotations

from ipskpi.report import labels as lb
from ipskpi.report import svg
from ipskpi.report.panels.common import (
    Block,
    PageContext,
    Panel,
    any_suppressed,
    any_value,
    breakdown_table,
    chart_block,
    definitions,
    figures_table,
    kpi_values_table,
    monthly_series,
    note_block,
    point,
    quarterly_series,
    trend_line,
)


def _starts_chart(ctx: PageContext, period_type: str) -> Block | None:
    """Job starts and people into work by month (or quarter) as grouped bars, with the figures."""
    getter = monthly_series if period_type == "month" else quarterly_series
    starts_at, starts = getter(ctx, ctx.org_code, "job_starts")
    _, people = getter(ctx, ctx.org_code, "people_into_work")
    if not any_value(starts, people):
        return None
    short = lb.short_month_label if period_type == "month" else lb.short_quarter_label
    long = lb.month_label if period_type == "month" else lb.quarter_label
    series = [
        svg.Series(name, [point(c, short(m), long(m)) for m, c in zip(starts_at, cells, strict=True)])
        for name, cells in (("Job starts", starts), ("People into work", people))
    ]
    by = "month" if period_type == "month" else "quarter"
    chart = svg.bar_chart(
        [short(m) for m in starts_at],
        series,
        title=f"Job starts and people into work by {by}, {ctx.org_short}",
        desc=f"Job starts (new jobs of 4 hours a week or more) and people into work (first new job) by {by}. "
        "Counts are rounded to the nearest 5; no bar means suppressed or no figure.",
        y_format=lb.axis_formatter("count"),
        integer=True,
        kind=f"job-starts-by-{by}",
        label_step=3 if period_type == "month" else 1,
    )
    figures = figures_table(
        f"Job starts and people into work by {by}: the figures",
        [long(m) for m in starts_at],
        [("Job starts", starts, "count"), ("People into work", people, "count")],
    )
    return chart_block(
        chart, f"Job starts and people into work by {by}", figures, any_suppressed(starts, people)
    )


# NHS England's IPS dashboard measures at discharge (closure): headline figures, and
# (KPI, breakdown) shares shown as a table of their categories.
DISCHARGE_HEADLINES = ("employed_at_discharge_rate",)
DISCHARGE_BREAKDOWNS = (
    ("hours_at_discharge", "discharge_hours_band"),
    ("time_in_service_from_referral", "service_band"),
    ("time_in_service_from_access", "service_band"),
)


def jobs_panel(ctx: PageContext) -> Panel:
    data = ctx.data
    panel_id = "jobs"
    blocks: list[Block] = [
        kpi_values_table(ctx, panel_id, ("job_starts", "people_into_work"), "Totals by financial year")
    ]
    monthly = _starts_chart(ctx, "month")
    if monthly is None:
        blocks.append(note_block("No monthly job starts are published for this organisation."))
    else:
        blocks.append(monthly)
    _, starts = monthly_series(ctx, ctx.org_code, "job_starts")
    suppressed = sum(1 for c in starts if c is not None and c.is_suppressed)
    if suppressed * 3 > len(starts):
        quarterly = _starts_chart(ctx, "quarter")
        if quarterly is not None:
            blocks.append(
                note_block(
                    f"{suppressed} of {len(starts)} months are suppressed (fewer than 5 job starts, "
                    "or hidden to protect such a month), "
                    "so the quarters below show the trend better."
                )
            )
            blocks.append(quarterly)
    blocks.append(
        kpi_values_table(ctx, panel_id, DISCHARGE_HEADLINES, "At discharge (closure), by financial year")
    )
    blocks += [b for code, btype in DISCHARGE_BREAKDOWNS if (b := breakdown_table(ctx, code, btype))]
    codes = ("job_starts", "people_into_work", *DISCHARGE_HEADLINES, *(c for c, _ in DISCHARGE_BREAKDOWNS))
    return {
        "id": panel_id,
        "heading": "Job starts and people into work",
        "lead": "New jobs started each month, and people starting their first job with the service.",
        "blocks": blocks,
        "definitions": definitions(data, codes),
        "unavailable": None,
    }


def sustainment_panel(ctx: PageContext) -> Panel:
    data = ctx.data
    panel_id = "sustainment"
    codes = ("people_into_work", "sustained_13w", "sustained_26w", "sustained_13w_rate")
    blocks: list[Block] = [kpi_values_table(ctx, panel_id, codes, "Sustainment by financial year")]
    rate = trend_line(
        ctx,
        "sustained_13w_rate",
        "quarter",
        kind="sustained-13w-rate",
        title=f"Share of people into work who sustained 13 weeks, by quarter, {ctx.org_short}",
        y_max=1.0,
    )
    if rate:
        blocks.append(rate)
    quarters, s13 = quarterly_series(ctx, ctx.org_code, "sustained_13w")
    _, s26 = quarterly_series(ctx, ctx.org_code, "sustained_26w")
    if any_value(s13, s26):
        labels = [lb.quarter_label(q) for q in quarters]
        chart = svg.bar_chart(
            labels,
            [
                svg.Series("Sustained 13 weeks", [point(c, x) for x, c in zip(labels, s13, strict=True)]),
                svg.Series("Sustained 26 weeks", [point(c, x) for x, c in zip(labels, s26, strict=True)]),
            ],
            title=f"People reaching 13 and 26 weeks in work, by quarter, {ctx.org_short}",
            desc="People whose 13-week or 26-week sustainment date fell in the quarter "
            "(breaks under 6 weeks pause the clock).",
            y_format=lb.axis_formatter("count"),
            integer=True,
            kind="sustained-counts",
        )
        figures = figures_table(
            "Sustained 13 and 26 weeks: the figures",
            labels,
            [("Sustained 13 weeks", s13, "count"), ("Sustained 26 weeks", s26, "count")],
        )
        blocks.append(
            chart_block(chart, "Sustained 13 and 26 weeks by quarter", figures, any_suppressed(s13, s26))
        )
    blocks.append(
        note_block(
            "The 13-week rate counts only people whose first job started at least 91 days before the "
            "as-of date, so the most recent quarter rests on few people."
        )
    )
    return {
        "id": panel_id,
        "heading": "Sustained employment (13 and 26 weeks)",
        "lead": "Whether people who start work stay in work: "
        "the IPS Grow target is at least 60% reaching 13 weeks.",
        "blocks": blocks,
        "definitions": definitions(data, codes),
        "unavailable": None,
    }
