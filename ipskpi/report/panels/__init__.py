"""The panels of a report page, as plain data for the templates.

A panel is a dict: ``id``, ``heading``, ``lead`` (one sentence on what it answers),
``blocks`` (tables, charts and notes, rendered in order), ``definitions`` (the KPIs it
shows, so each carries its catalogue definition) and ``unavailable`` (a note when its
KPIs are not in the published scorecard yet: the panel then shows only the note, and
fills in by itself once the rows are published).

One module per section of the frameworks: ``local_context`` (A), ``referrals`` (B),
``quality`` (C), ``outcomes`` (D), ``value_for_money`` (E, with equality), plus
``overview`` (the scorecard, England's providers side by side) and ``triangulation``
(a provider's access count beside MHSDS MHS116) over ``common`` (the page
context and the table, chart and note builders). ``page_panels`` puts them in page order.
"""

from __future__ import annotations

from ipskpi.report.panels.common import PageContext, Panel
from ipskpi.report.panels.local_context import local_context_panel
from ipskpi.report.panels.outcomes import jobs_panel, sustainment_panel
from ipskpi.report.panels.overview import comparison_panel, scorecard_panel
from ipskpi.report.panels.quality import caseload_panel, fidelity_panel
from ipskpi.report.panels.referrals import intake_panel
from ipskpi.report.panels.triangulation import triangulation_panel
from ipskpi.report.panels.value_for_money import equality_panel, value_for_money_panel

__all__ = ["PageContext", "Panel", "page_panels"]


def page_panels(ctx: PageContext) -> list[Panel]:
    panels = [
        scorecard_panel(ctx),
        *([comparison_panel(ctx)] if ctx.is_england else []),
        jobs_panel(ctx),
        sustainment_panel(ctx),
        caseload_panel(ctx),
        fidelity_panel(ctx),
        intake_panel(ctx),
        *([panel] if (panel := triangulation_panel(ctx)) else []),
        equality_panel(ctx),
        value_for_money_panel(ctx),
        local_context_panel(ctx),
    ]
    return panels
