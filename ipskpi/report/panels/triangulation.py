"""Triangulation (NHS England's word): a provider's own count of people accessing IPS beside
MHSDS MHS116, from ``fct_ips_access_triangulation_public``. Provider pages only: the mart
has no ICB, region or England rows."""

from __future__ import annotations

from markupsafe import Markup

from ipskpi.report import labels as lb
from ipskpi.report.data import Triangulation
from ipskpi.report.panels.common import (
    Block,
    PageContext,
    Panel,
    cell,
    head,
    note_block,
    num_head,
    row,
    table_block,
)

PANEL_ID = "triangulation"
HEADING = "Access: the return beside MHSDS"
MONTHS_SHOWN = 12
NOT_PUBLISHED_HTML = Markup(
    '<span class="no-figure" data-not-published="true" '
    'title="NHS Digital publishes no MHS116 figure under this provider\'s code">not published</span>'
)
MHSDS_STAR_HTML = Markup(
    '<span class="suppressed" data-suppressed="true" title="MHSDS shows * (fewer than 5)">'
    '<span aria-hidden="true">—</span><span class="visually-hidden">suppressed</span>'
    '<a class="fn" href="#fn-suppressed" aria-label="suppressed, see footnote">*</a></span>'
)
EXPLANATION = (
    "Both columns count people who accessed IPS in the 12 months to the month's end, but they are "
    "counted differently, so they are not expected to agree. The return's count is worked from this "
    "provider's monthly return: its referrals with at least one direct client contact (face to face, "
    "phone or video) in those 12 months. MHSDS MHS116 is NHS Digital's figure from the Mental Health "
    "Services Data Set, a rolling 12 months, for the NHS trust's own code: it counts what the trust "
    "submits to MHSDS, under NHS England's own rules for an attended contact, and its data can arrive "
    "later or be recorded differently. A voluntary-sector provider does not submit to MHSDS under its "
    "own code, so it has no MHS116 figure (not published, never 0). A large or growing gap is a prompt "
    "to check recording in both places, not a measure of performance. The return's count is hidden "
    "from 0 to 4 and rounded to the nearest 5; MHS116 is shown as NHS Digital publishes it (rounded "
    "to 5, * under 5)."
)


def _count(value: float | None) -> Markup:
    return Markup('<span class="num">{}</span>').format(lb.format_value(value, "count"))


def _return_html(r: Triangulation) -> Markup:
    if r.is_return_suppressed:
        return lb.SUPPRESSED_HTML
    if r.return_access_12m is None:
        return lb.NO_FIGURE_HTML
    return _count(r.return_access_12m)


def _mhsds_html(r: Triangulation) -> Markup:
    if not r.has_mhsds_row:
        return NOT_PUBLISHED_HTML
    if r.mhsds_access_12m is None:
        return MHSDS_STAR_HTML
    return _count(r.mhsds_access_12m)


def _difference_html(r: Triangulation) -> Markup:
    if r.access_difference is None:
        return lb.NO_FIGURE_HTML
    sign = "+" if r.access_difference > 0 else ""
    return Markup('<span class="num">{}{}</span>').format(sign, lb.format_value(r.access_difference, "count"))


def triangulation_panel(ctx: PageContext) -> Panel | None:
    """The panel on a provider page; None on England's, an ICB's or a region's page."""
    data = ctx.data
    if ctx.org_code not in data.provider_codes():
        return None
    lead = (
        "How many people accessed IPS in the last 12 months, by the provider's own return and by "
        "NHS Digital's MHSDS (MHS116), month by month: NHS England calls this comparison triangulation."
    )
    base: Panel = {"id": PANEL_ID, "heading": HEADING, "lead": lead, "definitions": [], "unavailable": None}
    if not data.has_triangulation:
        return base | {
            "blocks": [],
            "unavailable": "The comparison (fct_ips_access_triangulation_public) is not in the published "
            "data yet. This panel fills in by itself at the first refresh that publishes it.",
        }
    rows = data.triangulation(ctx.org_code)[-MONTHS_SHOWN:]
    blocks: list[Block] = []
    if not rows:
        blocks.append(note_block(f"No comparison is published for {ctx.org_short} yet."))
    else:
        header = [
            [
                head("12 months to the end of"),
                num_head("The return's count"),
                num_head("MHSDS MHS116"),
                num_head("Return minus MHS116"),
            ]
        ]
        body = [
            row(
                lb.month_label(r.period_start),
                [
                    cell(_return_html(r), "num"),
                    cell(_mhsds_html(r), "num"),
                    cell(_difference_html(r), "num"),
                ],
            )
            for r in reversed(rows)
        ]
        blocks.append(
            table_block(
                f"People accessing IPS in the rolling 12 months, {ctx.org_short}: the return and MHSDS",
                header,
                body,
                note="Latest month first. The difference is worked from the published figures.",
            )
        )
        if not any(r.has_mhsds_row for r in rows):
            blocks.append(
                note_block(
                    f"MHSDS publishes no MHS116 figure under {ctx.org_short}'s code (not published, not 0): "
                    "a voluntary-sector provider does not submit to MHSDS itself."
                )
            )
    blocks.append(note_block(EXPLANATION))
    return base | {"blocks": blocks}
