"""What every panel of a report page shares: the page context and the small builders.

The panels of a page are plain data for the templates, one module per section of the frameworks.

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
    note = (
        "* suppressed (a count of 0 to 4, or hidden to protect one): shown as a gap, not as zero."
        if suppressed_any
        else ""
    )
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
        f"{label_prefix}: {lb.versioned_target_text(kpi.target_min, kpi.target_max, kpi)}",
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
                cells.append(cell(lb.versioned_target_text(tmin, tmax, kpi)))
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


def provider_link(data: PublishedData, code: str) -> Markup:
    info = data.provider(code)
    return Markup('<a href="{file}">{name}</a> <span class="code">({code})</span>').format(
        file=f"{code}.html", name=info["name"], code=code
    )


def unavailable(
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


def breakdown_table(ctx: PageContext, kpi_code: str, breakdown_type: str) -> Block | None:
    """A KPI's breakdown (a share of its population, or a count, by the KPI's unit) in the
    latest financial year, for the organisation and England; None when nothing is published."""
    data = ctx.data
    if ctx.latest_fy is None or not data.has_kpi(kpi_code):
        return None
    values = lb.category_order(
        breakdown_type, data.breakdown_values(kpi_code, breakdown_type, "financial_year", ctx.latest_fy)
    )
    if not values:
        return None
    kpi = data.kpi(kpi_code)
    orgs = [(ctx.org_short, ctx.org_code)] + ([("England", ctx.compare)] if ctx.compare else [])
    columns = [
        (name, [ctx.fy(code, kpi_code, ctx.latest_fy, breakdown_type, v) for v in values], kpi.unit)
        for name, code in orgs
    ]
    table = figures_table(
        f"{kpi.kpi_name}, {lb.financial_year_label(ctx.latest_fy)}",
        [lb.category_label(breakdown_type, v) for v in values],
        columns,
    )
    table["head"][0][0] = head(lb.breakdown_label(breakdown_type))
    return table
