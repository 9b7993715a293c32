"""The page-wide panels: the scorecard at a glance and, on England's page, the providers side by side."""

from __future__ import annotations

from markupsafe import Markup

from ipskpi.report import labels as lb
from ipskpi.report.data import ENGLAND
from ipskpi.report.panels.common import (
    Block,
    PageContext,
    Panel,
    cell,
    definitions,
    head,
    kpi_values_table,
    not_yet_block,
    note_block,
    num_head,
    provider_link,
    row,
    table_block,
)
from ipskpi.report.panels.referrals import INTAKE_RATES

COMPARISON_KPIS = (
    "referrals_received",
    "people_into_work",
    "job_starts",
    "sustained_13w_rate",
    "employment_rate_out_of_work",
    "caseload_per_es",
    "fidelity_total",
    "job_outcome_rate",
    "cost_per_job_outcome",
)


def scorecard_panel(ctx: PageContext) -> Panel:
    data = ctx.data
    panel_id = "scorecard"
    order = {k.kpi_code: i for i, k in enumerate(data.catalogue)}
    codes = [k.kpi_code for k in data.catalogue if k.has_target]
    codes += sorted(data.kpis_with_status - set(codes))
    codes.sort(key=lambda k: (data.kpi(k).section or "Z", order.get(k, 999)))
    blocks: list[Block] = []
    latest_cells = [ctx.fy(ctx.org_code, k, ctx.latest_fy) for k in codes]
    met = sum(1 for c in latest_cells if c is not None and c.target_status == "met")
    rated = sum(1 for c in latest_cells if c is not None and c.target_status in ("met", "not_met"))
    fy_name = lb.financial_year_label(ctx.latest_fy) if ctx.latest_fy else "the latest year"
    if rated:
        blocks.append(
            note_block(
                f"{ctx.org_name} met {met} of the {rated} targets that have a status in {fy_name}.", "summary"
            )
        )
    blocks.append(
        kpi_values_table(ctx, panel_id, codes, f"Indicators with a target, {fy_name} and the year before")
    )
    absent = [k for k in codes if not data.has_kpi(k)]
    if absent:
        blocks.append(not_yet_block(absent, "these indicators"))
    return {
        "id": panel_id,
        "heading": "Scorecard against targets",
        "lead": "Each indicator with a target or benchmark: the value, the target, and whether it was met.",
        "blocks": blocks,
        "definitions": definitions(data, codes),
        "unavailable": None,
    }


def comparison_panel(ctx: PageContext) -> Panel:
    """England page only: every provider beside England on the headline indicators."""
    data = ctx.data
    panel_id = "providers"
    present = [k for k in COMPARISON_KPIS if data.has_kpi(k)]
    absent = [k for k in COMPARISON_KPIS if not data.has_kpi(k)]
    fy_name = lb.financial_year_label(ctx.latest_fy) if ctx.latest_fy else ""
    header = [[head("Provider"), *(num_head(data.kpi(k).kpi_name) for k in present)]]
    rows = []
    orgs = [*data.provider_codes(), *([ENGLAND] if data.has_england() else [])]
    for org in orgs:
        cells = []
        for k in present:
            kpi = data.kpi(k)
            c = ctx.fy(org, k, ctx.latest_fy)
            if org == ENGLAND and not data.has_kpi(k, ENGLAND):
                cells.append(cell("per provider only", "muted"))
                continue
            html = lb.display(c, kpi.unit)
            if c is not None and c.target_status in lb.STATUS_HTML:
                html = Markup("{}<br>{}").format(html, lb.STATUS_HTML[c.target_status])
            cells.append(cell(html, "num"))
        header_cell = Markup("England") if org == ENGLAND else provider_link(data, org)
        rows.append(row(header_cell, cells, "england-row" if org == ENGLAND else ""))
    blocks: list[Block] = [table_block(f"Headline indicators by provider, {fy_name}", header, rows)]
    if absent:
        blocks.append(not_yet_block(absent, "these columns"))
    intake_codes = [k for k in INTAKE_RATES if data.has_kpi(k)]
    intake_header = [[head("Provider"), *(num_head(data.kpi(k).kpi_name) for k in intake_codes)]]
    intake_rows = []
    for org in orgs:
        cells = [
            cell(lb.display(ctx.fy(org, k, ctx.latest_fy), data.kpi(k).unit), "num") for k in intake_codes
        ]
        header_cell = Markup("England") if org == ENGLAND else provider_link(data, org)
        intake_rows.append(row(header_cell, cells, "england-row" if org == ENGLAND else ""))
    blocks.append(
        table_block(f"Intake by provider, {fy_name} (who each service takes on)", intake_header, intake_rows)
    )
    return {
        "id": panel_id,
        "heading": "Providers compared",
        "lead": "Each provider beside England on the headline indicators and on its intake.",
        "blocks": blocks,
        "definitions": definitions(data, [*present, *intake_codes]),
        "unavailable": None,
    }
