"""Section A, local context: the area's labour market, benefits, survey and MHSDS figures."""

from __future__ import annotations

from collections.abc import Sequence

from ipskpi.report import labels as lb
from ipskpi.report import svg
from ipskpi.report.data import Cell, PublishedData
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
    unavailable,
)

LOCAL_CONTEXT_KPIS = ("employment_rate", "mhsds_employed_rate")
OTHER_CONTEXT_KPIS = (
    "unemployment_rate",
    "inactivity_rate",
    "context_nvq2_plus_rate",
    "esa_mental_health_share",
    "survey_in_paid_work_rate",
    "survey_help_with_work_rate",
    "survey_wanted_help_rate",
    "mhsds_ips_access_12m",
)


def _context_codes(data: PublishedData) -> list[str]:
    """The two headline context KPIs, then every other section A KPI that is published."""
    others = [k.kpi_code for k in data.catalogue if k.section == "A" and k.kpi_code not in LOCAL_CONTEXT_KPIS]
    others += [k for k in OTHER_CONTEXT_KPIS if k not in others]
    return [*LOCAL_CONTEXT_KPIS, *(k for k in others if data.has_kpi(k))]


def local_context_panel(ctx: PageContext) -> Panel:
    data = ctx.data
    panel_id = "local-context"
    heading = "Local context"
    lead = (
        "The employment rate of the local population (Annual Population Survey) beside the employment "
        "rate of adults in contact with mental health services (MHSDS): the gap IPS works to close."
    )
    if not any(data.has_kpi(k) for k in LOCAL_CONTEXT_KPIS):
        return unavailable(
            panel_id,
            heading,
            lead,
            not_yet(LOCAL_CONTEXT_KPIS, "the local context indicators"),
            data,
            LOCAL_CONTEXT_KPIS,
        )
    codes = _context_codes(data)
    blocks: list[Block] = []
    absent = [k for k in LOCAL_CONTEXT_KPIS if not data.has_kpi(k)]
    if absent:
        blocks.append(not_yet_block(absent, "these indicators"))
    names = {
        "employment_rate": "Local population (APS)",
        "mhsds_employed_rate": "In contact with mental health services (MHSDS)",
    }
    starts = data.period_starts("financial_year")
    labels = [lb.financial_year_label(s) for s in starts]
    columns = [
        (names[k], [ctx.fy(ctx.org_code, k, s) for s in starts], "rate")
        for k in LOCAL_CONTEXT_KPIS
        if data.has_kpi(k)
    ]
    if any_value(*(c for _, c, _ in columns)):
        chart = svg.bar_chart(
            labels,
            [
                svg.Series(n, [point(c, lab) for lab, c in zip(labels, cells, strict=True)])
                for n, cells, _ in columns
            ],
            title=f"Employment rate by financial year, {ctx.org_short}: local population and "
            "people in contact with mental health services",
            desc="The local rate is the Annual Population Survey, 12 months to December, summed over the "
            "catchment; the mental health services rate is MHSDS AMH17e (adults 18 to 69) at the year's "
            "last month, which NHS Digital publishes for England, sub-ICB, ICB and region but not per "
            "provider. No bar: no figure (e.g. a catchment area suppressed, or MHSDS on a provider page).",
            y_format=lb.axis_formatter("rate"),
            y_ticks=(0.0, 0.2, 0.4, 0.6, 0.8, 1.0),
            kind="local-context",
            width=HALF_WIDTH,
        )
        figures = figures_table("Employment rate: the figures", labels, columns)
        blocks.append(
            chart_block(
                chart,
                "Employment rate: local population and people in contact with mental health services",
                figures,
                any_suppressed(*(c for _, c, _ in columns)),
                wide=False,
            )
        )
    else:
        blocks.append(note_block(f"No employment rate is published for {ctx.org_short} yet."))
    gap = _employment_gap(ctx)
    if gap:
        blocks.append(note_block(gap, "summary"))
    level_note = _mhsds_level_note(ctx)
    if level_note:
        blocks.append(note_block(level_note))
    latest_local = ctx.fy(ctx.org_code, "employment_rate", ctx.latest_fy)
    if data.has_kpi("employment_rate") and (latest_local is None or latest_local.value is None):
        blocks.append(
            note_block(
                f"No local employment rate is published for {ctx.org_short} in "
                f"{lb.financial_year_label(ctx.latest_fy) if ctx.latest_fy else 'the latest year'}: "
                "a catchment figure needs every local authority in the catchment to have one "
                "(see the table by local authority, where there is one)."
            )
        )
    blocks.append(kpi_values_table(ctx, panel_id, codes, "Local context by financial year"))
    by_area = _by_local_authority(ctx, panel_id, codes)
    if by_area:
        blocks.append(by_area)
    return {
        "id": panel_id,
        "heading": heading,
        "lead": lead,
        "blocks": blocks,
        "definitions": definitions(data, codes),
        "unavailable": None,
    }


def _mhsds_level_note(ctx: PageContext) -> str:
    """Which MHSDS employment rate the page shows: NHS Digital publishes AMH17e% for England,
    each ICB and each region, never per provider, so each page shows its own level's figure."""
    if not ctx.data.has_kpi("mhsds_employed_rate"):
        return ""
    if ctx.is_england:
        return ""
    level = next((lvl for lvl in ("icb", "region") if ctx.org_code in ctx.data.area_codes(lvl)), "")
    if level:
        what = "ICB" if level == "icb" else "NHS England commissioning region"
        return (
            f"The mental health services rate is the figure NHS Digital publishes for {ctx.org_short} "
            f"(MHSDS AMH17e%, the {what} breakdown), not England's and not a sum of its providers; "
            "a year MHSDS has no figure for shows n/a. The local population rate (APS) is published "
            "per provider catchment and for England."
        )
    return (
        "NHS Digital does not publish the mental health services rate (MHSDS AMH17e%) per provider: "
        "see the provider's ICB and region pages for theirs."
    )


def _employment_gap(ctx: PageContext) -> str:
    """One sentence on the gap between the two employment rates in the latest year with both."""
    for start in reversed(ctx.data.period_starts("financial_year")):
        local = ctx.fy(ctx.org_code, "employment_rate", start)
        in_care = ctx.fy(ctx.org_code, "mhsds_employed_rate", start)
        if all(c is not None and c.value is not None and not c.is_suppressed for c in (local, in_care)):
            points = (local.value - in_care.value) * 100  # type: ignore[union-attr, operator]
            return (
                f"In {lb.financial_year_label(start)} the employment rate of adults in contact with mental "
                f"health services ({lb.format_value(in_care.value, 'rate')}) was {points:.1f} percentage "  # type: ignore[union-attr, arg-type]
                f"points below the local rate ({lb.format_value(local.value, 'rate')})."  # type: ignore[union-attr, arg-type]
            )
    return ""


def _by_local_authority(ctx: PageContext, panel_id: str, codes: Sequence[str]) -> Block | None:
    """Context KPIs by local authority of the catchment, latest financial year."""
    if ctx.latest_fy is None:
        return None
    areas: dict[str, dict[str, Cell]] = {}
    shown: list[str] = []
    for code in codes:
        for c in ctx.data.cells(ctx.org_code, code, "financial_year", breakdown_type="local_authority"):
            if c.period_start == ctx.latest_fy and c.breakdown_value:
                areas.setdefault(c.breakdown_value, {})[code] = c
                if code not in shown:
                    shown.append(code)
    if not areas:
        return None
    header = [[head("Local authority (GSS code)"), *(num_head(ctx.data.kpi(k).kpi_name) for k in shown)]]
    rows = [
        row(area, [cell(lb.display(areas[area].get(k), ctx.data.kpi(k).unit), "num") for k in shown])
        for area in sorted(areas)
    ]
    return table_block(
        f"By local authority in the catchment, {lb.financial_year_label(ctx.latest_fy)}",
        header,
        rows,
        note="A catchment figure is published only when every local authority in it has one.",
    )
