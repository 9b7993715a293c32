"""The panels of a report page, as plain data for the templates.

A panel is a dict: ``id``, ``heading``, ``lead`` (one sentence on what it answers),
``blocks`` (tables, charts and notes, rendered in order), ``definitions`` (the KPIs it
shows, so each carries its catalogue definition) and ``unavailable`` (a note when its
KPIs are not in the published scorecard yet: the panel then shows only the note, and
fills in by itself once the rows are published).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from markupsafe import Markup, escape

from ipskpi.report import labels as lb
from ipskpi.report import svg
from ipskpi.report.data import ENGLAND, Cell, Kpi, PublishedData

Block = dict[str, Any]
Panel = dict[str, Any]

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
INTAKE_RATES = (
    "employed_at_referral_rate",
    "long_term_benefit_rate",
    "nvq2_plus_rate",
    "held_job_12m_plus_rate",
    "in_secondary_mh_care_rate",
    "referrals_from_secondary_mh_rate",
    "acceptance_rate",
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
HALF_WIDTH = 540  # charts shown two to a row on a wide screen (about 1:1 scale)


@dataclass
class PageContext:
    """What every panel of one page needs: the data, the organisation and the periods."""

    data: PublishedData
    org_code: str
    org_name: str
    latest_fy: date | None
    previous_fy: date | None

    @property
    def is_england(self) -> bool:
        return self.org_code == ENGLAND

    @property
    def compare(self) -> str | None:
        """England, for a provider page; nothing on England's own page."""
        return None if self.is_england or not self.data.has_england() else ENGLAND

    @property
    def org_short(self) -> str:
        return "England" if self.is_england else self.org_code

    def fy(self, org: str, kpi: str, start: date | None, btype: str | None = None, bvalue: str | None = None):
        if start is None:
            return None
        return self.data.cell(org, kpi, "financial_year", start, btype, bvalue)


# --- small builders ------------------------------------------------------------------------


def cell(html: Markup | str, cls: str = "", colspan: int = 1) -> dict[str, Any]:
    return {"html": html if isinstance(html, Markup) else escape(html), "cls": cls, "colspan": colspan}


def head(text: str, colspan: int = 1, rowspan: int = 1, scope: str = "col", cls: str = "") -> dict[str, Any]:
    return {"text": text, "colspan": colspan, "rowspan": rowspan, "scope": scope, "cls": cls}


def num_head(text: str, colspan: int = 1) -> dict[str, Any]:
    """A column heading over numbers (right-aligned, like the numbers)."""
    return head(text, colspan, cls="num")


def kpi_label(kpi: Kpi, panel_id: str) -> Markup:
    """The KPI's name with its definition as a tooltip and a link to the panel's footnote."""
    return Markup(
        '<span class="kpi-name" title="{title}">{name}</span>'
        '<a class="fn def-link" href="#def-{panel}-{code}" aria-label="definition of {name}">i</a>'
    ).format(title=kpi.definition, name=kpi.kpi_name, panel=panel_id, code=kpi.kpi_code)


def table_block(caption: str, header_rows: list[list[dict]], rows: list[dict], note: str = "") -> Block:
    return {"type": "table", "caption": caption, "head": header_rows, "rows": rows, "note": note}


def row(header: Markup | str, cells: Sequence[dict[str, Any]], cls: str = "") -> dict[str, Any]:
    return {
        "header": header if isinstance(header, Markup) else escape(header),
        "cells": list(cells),
        "cls": cls,
    }


def note_block(text: str, cls: str = "note") -> Block:
    return {"type": "note", "text": text, "cls": cls}


def not_yet_block(kpis: Sequence[str], what: str) -> Block:
    return {"type": "not_yet", "text": not_yet(kpis, what)}


def not_yet(kpis: Sequence[str], what: str) -> str:
    """Why a panel or row is empty; the page shows it after a bold "Not yet available"."""
    return (
        f"{what[0].upper()}{what[1:]} ({', '.join(kpis)}) "
        "are not in the published scorecard yet. This panel fills in by itself at the first "
        "refresh that publishes them."
    )


def point(c: Cell | None, x: date | str, label: str = "") -> svg.Point:
    if c is None or c.is_suppressed or c.value is None:
        return svg.Point(x, None, bool(c is not None and c.is_suppressed), label)
    return svg.Point(x, c.value, False, label)


def chart_block(
    svg_markup: str,
    caption: str,
    figures: Block | None,
    suppressed_any: bool,
    wide: bool = True,
) -> Block:
    note = "* suppressed (a count of 1 to 4): shown as a gap, not as zero." if suppressed_any else ""
    return {
        "type": "chart",
        "svg": Markup(svg_markup),
        "caption": caption,
        "figures": figures,
        "note": note,
        "wide": wide,
    }


def figures_table(
    caption: str, x_labels: Sequence[str], columns: Sequence[tuple[str, Sequence[Cell | None], str]]
) -> Block:
    """The numbers behind a chart (each column: heading, cells, unit)."""
    header = [[head("Period" if columns else ""), *(num_head(name) for name, _, _ in columns)]]
    rows = [
        row(x, [cell(lb.display(cells[i], unit)) for _, cells, unit in columns])
        for i, x in enumerate(x_labels)
    ]
    return table_block(caption, header, rows)


def any_suppressed(*cell_lists: Sequence[Cell | None]) -> bool:
    return any(c is not None and c.is_suppressed for cells in cell_lists for c in cells)


def any_value(*cell_lists: Sequence[Cell | None]) -> bool:
    return any(
        c is not None and not c.is_suppressed and c.value is not None for cells in cell_lists for c in cells
    )


def by_start(cells: Sequence[Cell]) -> dict[date, Cell]:
    return {c.period_start: c for c in cells}


def band_for(kpi: Kpi, label_prefix: str = "Target") -> svg.Band | None:
    if not kpi.has_target:
        return None
    return svg.Band(
        kpi.target_min,
        kpi.target_max,
        f"{label_prefix}: {lb.target_text(kpi.target_min, kpi.target_max, kpi.unit)}",
    )


def fy_headers(ctx: PageContext) -> list[str]:
    out = []
    if ctx.previous_fy is not None:
        out.append(lb.financial_year_label(ctx.previous_fy))
    if ctx.latest_fy is not None:
        out.append(lb.financial_year_label(ctx.latest_fy))
    return out


def fy_starts(ctx: PageContext) -> list[date]:
    return [d for d in (ctx.previous_fy, ctx.latest_fy) if d is not None]


def kpi_values_table(ctx: PageContext, panel_id: str, kpi_codes: Sequence[str], caption: str) -> Block:
    """KPI rows by financial year (previous, latest), with England's latest beside."""
    data = ctx.data
    header = [head("Indicator"), *(num_head(h) for h in fy_headers(ctx))]
    with_target = any(data.kpi(k).has_target for k in kpi_codes)
    if with_target:
        header += [
            head("Target"),
            head(f"Status {lb.financial_year_label(ctx.latest_fy)}" if ctx.latest_fy else "Status"),
        ]
    if ctx.compare:
        header.append(
            num_head(f"England {lb.financial_year_label(ctx.latest_fy)}" if ctx.latest_fy else "England")
        )
    rows = []
    for code in kpi_codes:
        kpi = data.kpi(code)
        cells: list[dict[str, Any]] = []
        if ctx.is_england and data.has_kpi(code) and not data.has_kpi(code, ENGLAND):
            continue  # published per provider only (e.g. fidelity): see the provider comparison
        if not data.has_kpi(code):
            span = len(header) - 1
            rows.append(row(kpi_label(kpi, panel_id), [cell("Not yet available", "not-yet", span)]))
            continue
        for start in fy_starts(ctx):
            cells.append(cell(lb.display(ctx.fy(ctx.org_code, code, start), kpi.unit), "num"))
        latest = ctx.fy(ctx.org_code, code, ctx.latest_fy)
        if with_target:
            if kpi.has_target or (latest is not None and latest.target_status):
                tmin, tmax = lb.cell_target(latest, kpi)
                cells.append(cell(lb.target_text(tmin, tmax, kpi.unit)))
                cells.append(cell(lb.status_html(latest)))
            else:
                cells += [cell("no target", "muted"), cell("", "muted")]
        if ctx.compare:
            cells.append(cell(lb.display(ctx.fy(ctx.compare, code, ctx.latest_fy), kpi.unit), "num"))
        rows.append(row(kpi_label(kpi, panel_id), cells))
    return table_block(caption, [header], rows)


def definitions(data: PublishedData, codes: Sequence[str]) -> list[Kpi]:
    seen: list[Kpi] = []
    for code in codes:
        if code not in {k.kpi_code for k in seen}:
            seen.append(data.kpi(code))
    return seen


def monthly_series(ctx: PageContext, org: str, kpi: str) -> tuple[list[date], list[Cell | None]]:
    months = ctx.data.period_starts("month")
    found = by_start(ctx.data.cells(org, kpi, "month"))
    return months, [found.get(m) for m in months]


def quarterly_series(ctx: PageContext, org: str, kpi: str) -> tuple[list[date], list[Cell | None]]:
    quarters = ctx.data.period_starts("quarter")
    found = by_start(ctx.data.cells(org, kpi, "quarter"))
    return quarters, [found.get(q) for q in quarters]


def trend_line(
    ctx: PageContext,
    kpi_code: str,
    period_type: str,
    *,
    kind: str,
    title: str,
    y_min: float | None = None,
    y_max: float | None = None,
    band: svg.Band | None = None,
    with_england: bool = True,
    y_ticks: Sequence[float] | None = None,
    width: int = 720,
) -> Block | None:
    """A line over months or quarters for the organisation (and England), with the target band."""
    kpi = ctx.data.kpi(kpi_code)
    getter = monthly_series if period_type == "month" else quarterly_series
    starts, own = getter(ctx, ctx.org_code, kpi_code)
    columns = [(ctx.org_short, own, kpi.unit)]
    if with_england and ctx.compare:
        _, eng = getter(ctx, ctx.compare, kpi_code)
        if any_value(eng):
            columns.append(("England", eng, kpi.unit))
    if not any_value(*(c for _, c, _ in columns)):
        return None
    x_label = lb.short_month_label if period_type == "month" else lb.short_quarter_label
    long_label = lb.month_label if period_type == "month" else lb.quarter_label
    series = [
        svg.Series(name, [point(c, s, long_label(s)) for s, c in zip(starts, cells, strict=True)])
        for name, cells, _ in columns
    ]
    band = band if band is not None else band_for(kpi)
    chart = svg.line_chart(
        series,
        title=title,
        desc=f"{kpi.kpi_name} by {period_type.replace('_', ' ')} for {', '.join(n for n, _, _ in columns)}"
        + (f"; {band.label}" if band else "")
        + ". Gaps are months with no figure or a suppressed figure.",
        y_format=lb.axis_formatter(kpi.unit),
        band=band,
        y_min=y_min,
        y_max=y_max,
        x_label=x_label,
        y_ticks=y_ticks,
        kind=kind,
        width=width,
    )
    figures = figures_table(f"{kpi.kpi_name}: the figures", [long_label(s) for s in starts], columns)
    return chart_block(
        chart, title, figures, any_suppressed(*(c for _, c, _ in columns)), wide=width > HALF_WIDTH
    )


# --- panels ---------------------------------------------------------------------------------


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
    return {
        "id": panel_id,
        "heading": "Job starts and people into work",
        "lead": "New jobs started each month, and people starting their first job with the service.",
        "blocks": blocks,
        "definitions": definitions(data, ("job_starts", "people_into_work")),
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


def caseload_panel(ctx: PageContext) -> Panel:
    data = ctx.data
    panel_id = "caseload"
    codes = ("active_caseload", "es_wte", "caseload_per_es")
    blocks: list[Block] = [
        kpi_values_table(ctx, panel_id, codes, "Caseload at the end of each financial year")
    ]
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
        return _unavailable(
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
                    _provider_link(data, code),
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
    codes = ["referrals_received", "referrals_accepted", *INTAKE_RATES, "intake_profile"]
    blocks: list[Block] = [
        kpi_values_table(
            ctx, panel_id, [c for c in codes if c != "intake_profile"], "Intake by financial year"
        )
    ]
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


def equality_panel(ctx: PageContext) -> Panel:
    data = ctx.data
    panel_id = "equality"
    heading = "Equality of access and outcome"
    lead = "By ethnic group and by gender: who is accepted, who engages, and who gets into work" + (
        ", beside England." if ctx.compare else "."
    )
    if not any(data.has_kpi(k) for k in EQUALITY_KPIS):
        return _unavailable(
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
        return _unavailable(
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
        return _unavailable(
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
            "catchment; the mental health services rate is MHSDS AMH17e (adults 18 to 69) for the "
            "host trust, at the year's last month. No bar: no figure (e.g. a catchment area suppressed).",
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
        header_cell = Markup("England") if org == ENGLAND else _provider_link(data, org)
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
        header_cell = Markup("England") if org == ENGLAND else _provider_link(data, org)
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


def _provider_link(data: PublishedData, code: str) -> Markup:
    info = data.provider(code)
    return Markup('<a href="{file}">{name}</a> <span class="code">({code})</span>').format(
        file=f"{code}.html", name=info["name"], code=code
    )


def _unavailable(
    panel_id: str, heading: str, lead: str, note: str, data: PublishedData, codes: Sequence[str]
) -> Panel:
    return {
        "id": panel_id,
        "heading": heading,
        "lead": lead,
        "blocks": [],
        "definitions": definitions(data, codes),
        "unavailable": note,
    }


def page_panels(ctx: PageContext) -> list[Panel]:
    panels = [
        scorecard_panel(ctx),
        *([comparison_panel(ctx)] if ctx.is_england else []),
        jobs_panel(ctx),
        sustainment_panel(ctx),
        caseload_panel(ctx),
        fidelity_panel(ctx),
        intake_panel(ctx),
        equality_panel(ctx),
        value_for_money_panel(ctx),
        local_context_panel(ctx),
    ]
    return panels
