"""Section C, quality of the service: caseload, employer contact and IPS fidelity."""

from __future__ import annotations

from datetime import date

from markupsafe import Markup, escape

from ipskpi.report import labels as lb
from ipskpi.report import svg
from ipskpi.report.panels.common import (
    Block,
    PageContext,
    Panel,
    breakdown_table,
    cell,
    definitions,
    fy_headers,
    fy_starts,
    head,
    kpi_values_table,
    not_yet,
    note_block,
    num_head,
    provider_link,
    row,
    table_block,
    trend_line,
    unavailable,
)


def caseload_panel(ctx: PageContext) -> Panel:
    data = ctx.data
    panel_id = "caseload"
    # The registry's other caseload KPIs (dim_kpis.report_panel) join the table by themselves.
    codes = data.panel_kpis(panel_id, first=("active_caseload", "es_wte", "caseload_per_es"))
    blocks: list[Block] = [
        kpi_values_table(ctx, panel_id, codes, "Caseload at the end of each financial year")
    ]
    # NHS England's contacts by type and medium: the year's contacts by contact_type.
    by_medium = breakdown_table(ctx, "contacts_by_medium", "contact_type")
    if by_medium:
        blocks.append(by_medium)
    line = trend_line(
        ctx,
        "caseload_per_es",
        "month",
        kind="caseload-per-es",
        title=f"Active caseload per employment specialist by month, {ctx.org_short}",
        band=svg.Band(20, 25, "IPS Grow band: 20 to 25"),
    )
    if line:
        blocks.append(line)
    return {
        "id": panel_id,
        "heading": "Caseload per employment specialist",
        "lead": "Active clients per full-time employment specialist at each month end, "
        "against the IPS Grow band of 20 to 25.",
        "blocks": blocks,
        "definitions": definitions(data, codes),
        "unavailable": None,
    }


def fidelity_panel(ctx: PageContext) -> Panel:
    data = ctx.data
    panel_id = "fidelity"
    codes = ("fidelity_total", "fidelity_band")
    heading = "IPS fidelity"
    lead = (
        "The 25-item IPS fidelity score (25 to 125) of the latest review, and its history; "
        "IPS Grow target at least 100."
    )
    if not data.has_kpi("fidelity_total"):
        return unavailable(
            panel_id, heading, lead, not_yet(["fidelity_total"], "fidelity scores"), data, codes
        )
    blocks: list[Block] = []
    if ctx.is_england:
        blocks.append(
            note_block(
                "Fidelity is scored for each service, so England has no single score. "
                "Each provider's latest score and band:"
            )
        )
        header = [[head("Provider"), *(num_head(h) for h in fy_headers(ctx)), head("Band"), head("Status")]]
        rows = []
        for code in data.provider_codes():
            latest = ctx.fy(code, "fidelity_total", ctx.latest_fy)
            rows.append(
                row(
                    provider_link(data, code),
                    [
                        *(
                            cell(lb.display(ctx.fy(code, "fidelity_total", s), "score"), "num")
                            for s in fy_starts(ctx)
                        ),
                        cell(_band_text(ctx, code, ctx.latest_fy)),
                        cell(lb.status_html(latest)),
                    ],
                )
            )
        blocks.append(table_block("Fidelity score by provider", header, rows))
    else:
        latest = ctx.fy(ctx.org_code, "fidelity_total", ctx.latest_fy)
        facts = [
            ("Latest score", lb.display(latest, "score")),
            ("Band", Markup(escape(_band_text(ctx, ctx.org_code, ctx.latest_fy)))),
            ("Target", Markup("at least 100 (good or exemplary)")),
            ("Status", lb.status_html(latest)),
        ]
        blocks.append({"type": "facts", "items": facts})
        line = trend_line(
            ctx,
            "fidelity_total",
            "month",
            kind="fidelity-total",
            title=f"IPS fidelity score at each month end, {ctx.org_short}",
            y_min=25,
            y_max=125,
            band=svg.Band(100, 125, "Target: at least 100"),
            with_england=False,
            y_ticks=(25, 50, 75, 100, 125),
        )
        if line:
            blocks.append(line)
        else:
            blocks.append(
                note_block("No fidelity review in the last 24 months is published for this provider.")
            )
    blocks.append(
        note_block("Bands: exemplary 115 to 125, good 100 to 114, fair 74 to 99, not IPS 25 to 73.")
    )
    return {
        "id": panel_id,
        "heading": heading,
        "lead": lead,
        "blocks": blocks,
        "definitions": definitions(data, codes),
        "unavailable": None,
    }


def _band_text(ctx: PageContext, org: str, start: date | None) -> str:
    if start is None:
        return "no review"
    for c in ctx.data.cells(org, "fidelity_band", "financial_year", breakdown_type="band"):
        if c.period_start == start and c.breakdown_value:
            return lb.category_label("band", c.breakdown_value)
    return "no review"
