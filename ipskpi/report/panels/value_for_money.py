"""Section E, value for money and equality of outcomes."""

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
    cell,
    chart_block,
    definitions,
    figures_table,
    head,
    kpi_values_table,
    not_yet,
    not_yet_block,
    note_block,
    num_head,
    point,
    row,
    table_block,
    trend_line,
    unavailable,
)

EQUALITY_KPIS = ("equality_accepted_share", "equality_engagement_rate", "equality_into_work_per_engaged")
VALUE_FOR_MONEY_KPIS = (
    "job_outcomes",
    "job_outcome_rate",
    "cost_per_job_outcome",
    "active_clients_per_wte",
    "job_starts_per_wte",
    "new_referrals_per_wte",
    "carried_over",
)


def equality_panel(ctx: PageContext) -> Panel:
    data = ctx.data
    panel_id = "equality"
    heading = "Equality of access and outcome"
    lead = "By ethnic group and by gender: who is accepted, who engages, and who gets into work" + (
        ", beside England." if ctx.compare else "."
    )
    if not any(data.has_kpi(k) for k in EQUALITY_KPIS):
        return unavailable(
            panel_id, heading, lead, not_yet(EQUALITY_KPIS, "the equality indicators"), data, EQUALITY_KPIS
        )
    blocks: list[Block] = []
    fy_name = lb.financial_year_label(ctx.latest_fy) if ctx.latest_fy else ""
    for btype in ("ethnic_group", "gender"):
        if ctx.latest_fy is None:
            break
        values = lb.category_order(
            btype,
            sorted(
                {
                    v
                    for k in EQUALITY_KPIS
                    for v in data.breakdown_values(k, btype, "financial_year", ctx.latest_fy)
                }
            ),
        )
        if not values:
            continue
        orgs = [ctx.org_code] + ([ctx.compare] if ctx.compare else [])
        org_names = [ctx.org_short] + (["England"] if ctx.compare else [])
        header_top = [head(lb.breakdown_label(btype), rowspan=2 if ctx.compare else 1)]
        header_sub: list[dict] = []
        for k in EQUALITY_KPIS:
            kpi = data.kpi(k)
            header_top.append(
                head(kpi.kpi_name, colspan=len(orgs), scope="colgroup" if ctx.compare else "col")
            )
            header_sub += [num_head(n) for n in org_names]
        rows = []
        for v in values:
            cells = []
            for k in EQUALITY_KPIS:
                unit = data.kpi(k).unit
                for org in orgs:
                    cells.append(cell(lb.display(ctx.fy(org, k, ctx.latest_fy, btype, v), unit), "num"))
            rows.append(row(lb.category_label(btype, v), cells))
        header = [header_top, header_sub] if ctx.compare else [header_top]
        blocks.append(table_block(f"{lb.breakdown_label(btype)}, {fy_name}", header, rows))
        for k in ("equality_engagement_rate", "equality_into_work_per_engaged"):
            kpi = data.kpi(k)
            labels = [lb.category_label(btype, v) for v in values]
            columns = [
                (n, [ctx.fy(o, k, ctx.latest_fy, btype, v) for v in values], kpi.unit)
                for o, n in zip(orgs, org_names, strict=True)
            ]
            if not any_value(*(c for _, c, _ in columns)):
                continue
            chart = svg.bar_chart(
                labels,
                [
                    svg.Series(n, [point(c, lab) for lab, c in zip(labels, cells, strict=True)])
                    for n, cells, _ in columns
                ],
                title=f"{kpi.kpi_name} by {lb.breakdown_label(btype).lower()}, "
                f"{' and '.join(org_names)}, {fy_name}",
                desc=f"{kpi.definition}.",
                y_format=lb.axis_formatter(kpi.unit),
                horizontal=True,
                y_max=1.0 if kpi.unit == "rate" else None,
                width=HALF_WIDTH,
                kind=f"{k}-{btype}",
            )
            blocks.append(
                chart_block(
                    chart,
                    f"{kpi.kpi_name} by {lb.breakdown_label(btype).lower()}",
                    None,
                    any_suppressed(*(c for _, c, _ in columns)),
                    wide=False,
                )
            )
    return {
        "id": panel_id,
        "heading": heading,
        "lead": lead,
        "blocks": blocks,
        "definitions": definitions(data, EQUALITY_KPIS),
        "unavailable": None,
    }


def value_for_money_panel(ctx: PageContext) -> Panel:
    data = ctx.data
    panel_id = "value-for-money"
    heading = "Value for money"
    lead = (
        "Job outcomes and their cost against the NDTi ranges (best-practice cost £2,818 to £4,024 "
        "per job outcome; job outcome rates below 30% or above 61% are worth looking into), "
        "and output per employment specialist."
    )
    if not any(data.has_kpi(k) for k in VALUE_FOR_MONEY_KPIS):
        return unavailable(
            panel_id,
            heading,
            lead,
            not_yet(VALUE_FOR_MONEY_KPIS, "the value-for-money indicators"),
            data,
            VALUE_FOR_MONEY_KPIS,
        )
    blocks: list[Block] = [
        kpi_values_table(ctx, panel_id, VALUE_FOR_MONEY_KPIS, "Value for money by financial year")
    ]
    absent = [k for k in VALUE_FOR_MONEY_KPIS if not data.has_kpi(k)]
    if absent:
        blocks.append(not_yet_block(absent, "these indicators"))
    if data.has_kpi("cost_per_job_outcome"):
        kpi = data.kpi("cost_per_job_outcome")
        starts = data.period_starts("financial_year")
        labels = [lb.financial_year_label(s) for s in starts]
        columns = [(ctx.org_short, [ctx.fy(ctx.org_code, kpi.kpi_code, s) for s in starts], "gbp")]
        if ctx.compare:
            columns.append(("England", [ctx.fy(ctx.compare, kpi.kpi_code, s) for s in starts], "gbp"))
        if any_value(*(c for _, c, _ in columns)):
            chart = svg.bar_chart(
                labels,
                [
                    svg.Series(n, [point(c, lab) for lab, c in zip(labels, cells, strict=True)])
                    for n, cells, _ in columns
                ],
                title=f"Cost per job outcome by financial year, {' and '.join(n for n, _, _ in columns)}",
                desc="Contract value for IPS over job outcomes; "
                "the band is the NDTi best-practice range £2,818 to £4,024.",
                y_format=lb.axis_formatter("gbp"),
                band=svg.Band(
                    kpi.target_min or 2818, kpi.target_max or 4024, "NDTi best practice: £2,818 to £4,024"
                ),
                kind="cost-per-job-outcome",
                width=HALF_WIDTH,
            )
            figures = figures_table("Cost per job outcome: the figures", labels, columns)
            blocks.append(
                chart_block(
                    chart,
                    "Cost per job outcome",
                    figures,
                    any_suppressed(*(c for _, c, _ in columns)),
                    wide=False,
                )
            )
        else:
            blocks.append(
                note_block(
                    "No cost per job outcome is published for this organisation yet "
                    "(it needs the year's IPS contract value)."
                )
            )
    if data.has_kpi("job_outcome_rate"):
        line = trend_line(
            ctx,
            "job_outcome_rate",
            "quarter",
            kind="job-outcome-rate",
            title=f"Job outcome rate by quarter, {ctx.org_short}",
            y_max=1.0,
            band=svg.Band(0.30, 0.61, "NDTi range: 30% to 61%"),
            width=HALF_WIDTH,
        )
        if line:
            blocks.append(line)
    return {
        "id": panel_id,
        "heading": heading,
        "lead": lead,
        "blocks": blocks,
        "definitions": definitions(data, VALUE_FOR_MONEY_KPIS),
        "unavailable": None,
    }
