"""Small, dependency-free SVG charts for the static commissioner reports.

Every chart is a self-contained ``<svg role="img">`` with a ``<title>`` and ``<desc>``
(its accessible name and description), axes with labelled ticks, an optional target
band, and data marks with class ``mark`` (each with its own ``<title>``, the tooltip
a browser shows on hover — no script). A missing or suppressed value is a gap: no
point, no line through it, never a zero-height bar. Suppressed values get a small
asterisk on the axis instead, explained under the chart.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from html import escape

# NHS identity colours; each passes 3:1 against white (WCAG non-text contrast), and the
# series also differ by line dash, marker shape and bar hatching, so colour is never
# the only cue.
SERIES_STYLES = (
    {"color": "#005EB8", "dash": "", "marker": "circle", "hatch": False},  # NHS blue
    {"color": "#425563", "dash": "7 4", "marker": "square", "hatch": True},  # NHS dark grey
    {"color": "#AE2573", "dash": "2 3", "marker": "diamond", "hatch": False},  # NHS dark pink
    {"color": "#006747", "dash": "10 3 2 3", "marker": "triangle", "hatch": True},  # NHS dark green
)
BAND_FILL = "#007F3B"
BAND_TEXT = "#00401E"
AXIS = "#425563"
GRID = "#D8DDE0"
TEXT = "#212B32"
FONT = "Arial, 'Helvetica Neue', Helvetica, sans-serif"


@dataclass
class Point:
    """One value of a series; ``y`` is None when there is no figure or it is suppressed."""

    x: date | str
    y: float | None
    suppressed: bool = False
    label: str = ""  # the x label used in tooltips


@dataclass
class Series:
    name: str
    points: list[Point] = field(default_factory=list)

    @property
    def has_values(self) -> bool:
        return any(p.y is not None for p in self.points)


@dataclass
class Band:
    """A target band; ``low`` or ``high`` may be None for a one-sided target."""

    low: float | None
    high: float | None
    label: str


_chart_counter = 0


def _next_id(prefix: str) -> str:
    global _chart_counter
    _chart_counter += 1
    return f"{prefix}-{_chart_counter}"


def reset_ids() -> None:
    """Restart chart ids (one page at a time, so output is deterministic)."""
    global _chart_counter
    _chart_counter = 0


def nice_ticks(low: float, high: float, count: int = 5, integer: bool = False) -> list[float]:
    """Round tick values covering low..high (``count`` is a hint); whole numbers for counts."""
    if high <= low:
        high = low + 1
    raw = (high - low) / max(count, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    steps = (1, 2, 5, 10) if integer else (1, 2, 2.5, 5, 10)
    step = next(m * magnitude for m in steps if m * magnitude >= raw)
    if integer:
        step = max(step, 1)
    first = math.floor(low / step + 1e-9) * step
    last = math.ceil(high / step - 1e-9) * step
    n = max(1, round((last - first) / step))
    return [round(first + i * step, 10) for i in range(n + 1)]


def _y_domain(
    values: Sequence[float],
    band: Band | None,
    y_min: float | None,
    y_max: float | None,
    y_ticks: Sequence[float] | None = None,
    integer: bool = False,
) -> tuple[float, float, list[float]]:
    if y_ticks:
        ticks = sorted(y_ticks)
        return ticks[0], max(ticks[-1], max(values or [ticks[-1]])), ticks
    candidates = list(values)
    if band is not None:
        candidates += [v for v in (band.low, band.high) if v is not None]
    low = min(candidates) if candidates else 0.0
    high = max(candidates) if candidates else 1.0
    low = min(low, 0.0) if y_min is None else y_min
    padded = high * 1.08 if high > 0 else 1.0
    high = min(padded, y_max) if y_max is not None and high <= y_max else padded
    ticks = nice_ticks(low, high, integer=integer)
    return ticks[0], ticks[-1], ticks


def _svg_open(chart_id: str, width: int, height: int, title: str, desc: str, kind: str) -> list[str]:
    return [
        f'<svg class="chart" data-chart="{escape(kind)}" '
        f'id="{chart_id}" role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'viewBox="0 0 {width} {height}" width="100%" preserveAspectRatio="xMinYMin meet" '
        f'font-family="{FONT}" font-size="12">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>',
    ]


def _hatch_defs(chart_id: str) -> list[str]:
    out = ["<defs>"]
    for i, style in enumerate(SERIES_STYLES):
        if style["hatch"]:
            out.append(
                f'<pattern id="{chart_id}-hatch-{i}" patternUnits="userSpaceOnUse" width="6" height="6" '
                f'patternTransform="rotate(45)"><rect width="6" height="6" fill="#ffffff"/>'
                f'<rect width="3.2" height="6" fill="{style["color"]}"/></pattern>'
            )
    out.append("</defs>")
    return out


def _fill(chart_id: str, index: int) -> str:
    style = SERIES_STYLES[index % len(SERIES_STYLES)]
    if style["hatch"]:
        return f"url(#{chart_id}-hatch-{index % len(SERIES_STYLES)})"
    return str(style["color"])


LEGEND_ROW = 20


def _text_width(text: str, size: float = 12) -> float:
    """Rough rendered width of Arial text (no font metrics offline)."""
    return 0.56 * size * len(text)


def _legend(
    series: Sequence[Series], band: Band | None, x: float, max_width: float, bars: bool, chart_id: str
) -> tuple[list[str], float]:
    """Legend entries (each series, then the target band), wrapped to the chart width.

    Returns the markup and the height it takes at the top of the chart.
    """
    entries: list[tuple[str, float]] = []
    for i, s in enumerate(series):
        style = SERIES_STYLES[i % len(SERIES_STYLES)]
        if bars:
            swatch = (
                f'<rect x="0" y="-9" width="14" height="10" fill="{_fill(chart_id, i)}" '
                f'stroke="{style["color"]}" stroke-width="1"/>'
            )
            label_x = 20
        else:
            swatch = (
                f'<line x1="0" y1="-4" x2="22" y2="-4" stroke="{style["color"]}" stroke-width="2.5" '
                f'stroke-dasharray="{style["dash"]}"/>' + _marker(style, 11, -4, "")
            )
            label_x = 28
        entries.append(
            (
                swatch + f'<text x="{label_x}" y="0" fill="{TEXT}">{escape(s.name)}</text>',
                label_x + _text_width(s.name),
            )
        )
    if band is not None:
        swatch = (
            f'<rect x="0" y="-10" width="22" height="12" fill="{BAND_FILL}" fill-opacity="0.13" '
            f'stroke="{BAND_FILL}" stroke-dasharray="4 2"/>'
        )
        entries.append(
            (
                swatch
                + f'<text x="28" y="0" fill="{BAND_TEXT}" font-weight="bold">{escape(band.label)}</text>',
                28 + _text_width(band.label) * 1.08,
            )
        )
    out = ['<g class="legend">']
    cx, row = 0.0, 0
    for markup, w in entries:
        if cx > 0 and cx + w > max_width:
            cx, row = 0.0, row + 1
        out.append(f'<g transform="translate({x + cx:.1f},{18 + row * LEGEND_ROW})">{markup}</g>')
        cx += w + 22
    out.append("</g>")
    return out, 18 + row * LEGEND_ROW + 8


def _marker(style: dict, cx: float, cy: float, tooltip: str, css: str = "") -> str:
    color = style["color"]
    tip = f"<title>{escape(tooltip)}</title>" if tooltip else ""
    cls = f' class="{css}"' if css else ""
    shape = style["marker"]
    if shape == "square":
        return (
            f'<rect{cls} x="{cx - 3.5:.1f}" y="{cy - 3.5:.1f}" width="7" height="7" '
            f'fill="{color}">{tip}</rect>'
        )
    if shape == "diamond":
        pts = (
            f"{cx:.1f},{cy - 4.5:.1f} {cx + 4.5:.1f},{cy:.1f} {cx:.1f},{cy + 4.5:.1f} {cx - 4.5:.1f},{cy:.1f}"
        )
        return f'<polygon{cls} points="{pts}" fill="{color}">{tip}</polygon>'
    if shape == "triangle":
        pts = f"{cx:.1f},{cy - 4.5:.1f} {cx + 4.5:.1f},{cy + 3.5:.1f} {cx - 4.5:.1f},{cy + 3.5:.1f}"
        return f'<polygon{cls} points="{pts}" fill="{color}">{tip}</polygon>'
    return f'<circle{cls} cx="{cx:.1f}" cy="{cy:.1f}" r="3.5" fill="{color}">{tip}</circle>'


def _band_rect(
    band: Band, x0: float, x1: float, y_of: Callable[[float], float], lo: float, hi: float, vertical: bool
) -> list[str]:
    """The target band across the plot (vertical: a horizontal strip; else a vertical strip)."""
    b_low = lo if band.low is None else max(band.low, lo)
    b_high = hi if band.high is None else min(band.high, hi)
    if b_high < b_low:
        return []
    out = ['<g class="target-band">']
    if vertical:
        top, bottom = y_of(b_high), y_of(b_low)
        out.append(
            f'<rect x="{x0:.1f}" y="{top:.1f}" width="{x1 - x0:.1f}" height="{max(bottom - top, 1):.1f}" '
            f'fill="{BAND_FILL}" fill-opacity="0.13"><title>{escape(band.label)}</title></rect>'
        )
        for edge in (band.low, band.high):
            if edge is not None and lo <= edge <= hi:
                y = y_of(edge)
                out.append(
                    f'<line x1="{x0:.1f}" y1="{y:.1f}" x2="{x1:.1f}" y2="{y:.1f}" stroke="{BAND_FILL}" '
                    f'stroke-width="1.5" stroke-dasharray="5 3"/>'
                )
    else:  # horizontal bars: the band is a vertical strip in value space
        left, right = y_of(b_low), y_of(b_high)
        out.append(
            f'<rect x="{left:.1f}" y="{x0:.1f}" width="{max(right - left, 1):.1f}" height="{x1 - x0:.1f}" '
            f'fill="{BAND_FILL}" fill-opacity="0.13"><title>{escape(band.label)}</title></rect>'
        )
    out.append("</g>")
    return out


def _x_position(x: date | str, order: dict) -> float:
    return order[x]


def line_chart(
    series: Sequence[Series],
    *,
    title: str,
    desc: str,
    y_format: Callable[[float], str],
    band: Band | None = None,
    y_min: float | None = None,
    y_max: float | None = None,
    x_label: Callable[[date | str], str] = str,
    y_ticks: Sequence[float] | None = None,
    kind: str = "line",
    width: int = 720,
    height: int = 300,
) -> str:
    """A line chart over dates (spaced in time) or ordered categories; gaps where y is None."""
    series = [s for s in series if s.points]
    chart_id = _next_id("chart")
    xs = sorted({p.x for s in series for p in s.points})
    if all(isinstance(x, date) for x in xs) and len(xs) > 1:
        first = xs[0].toordinal()
        span = xs[-1].toordinal() - first
        order = {x: (x.toordinal() - first) / span for x in xs}
    else:
        order = {x: (i / (len(xs) - 1) if len(xs) > 1 else 0.5) for i, x in enumerate(xs)}
    values = [p.y for s in series for p in s.points if p.y is not None]
    lo, hi, ticks = _y_domain(values, band, y_min, y_max, y_ticks)
    legend, legend_h = _legend(series, band, 64, width - 80, bars=False, chart_id=chart_id)
    height += int(legend_h) - 34
    left, right, top, bottom = 64, width - 16, int(legend_h) + 6, height - 40
    pad = 34  # room for the first and last x labels inside the plot
    plot_w = right - left

    def px(x: date | str) -> float:
        return left + pad + _x_position(x, order) * (plot_w - 2 * pad)

    def py(y: float) -> float:
        return bottom - (y - lo) / (hi - lo) * (bottom - top)

    out = _svg_open(chart_id, width, height, title, desc, kind)
    out.append(f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>')
    # grid and y axis
    out.append('<g class="axis y-axis">')
    for t in ticks:
        y = py(t)
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" stroke="{GRID}"/>')
        out.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="{TEXT}">'
            f"{escape(y_format(t))}</text>"
        )
    out.append("</g>")
    if band is not None:
        out += _band_rect(band, left, right, py, lo, hi, vertical=True)
    # x axis
    out.append('<g class="axis x-axis">')
    out.append(f'<line x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="{AXIS}"/>')
    step = max(1, math.ceil(len(xs) / max(2, (plot_w - 2 * pad) // 80)))
    for i, x in enumerate(xs):
        if i % step:
            continue
        x_pos = px(x)
        out.append(
            f'<line x1="{x_pos:.1f}" y1="{bottom}" x2="{x_pos:.1f}" y2="{bottom + 5}" stroke="{AXIS}"/>'
        )
        out.append(
            f'<text x="{x_pos:.1f}" y="{bottom + 18}" text-anchor="middle" fill="{TEXT}">'
            f"{escape(x_label(x))}</text>"
        )
    out.append("</g>")
    # series
    for i, s in enumerate(series):
        style = SERIES_STYLES[i % len(SERIES_STYLES)]
        out.append(f'<g class="series" data-series="{escape(s.name)}">')
        runs: list[list[Point]] = [[]]
        for p in sorted(s.points, key=lambda p: order[p.x]):
            if p.y is None:
                if runs[-1]:
                    runs.append([])
            else:
                runs[-1].append(p)
        for run in runs:
            if len(run) > 1:
                d = " ".join(
                    f"{'M' if j == 0 else 'L'}{px(p.x):.1f},{py(p.y):.1f}"  # type: ignore[arg-type]
                    for j, p in enumerate(run)
                )
                out.append(
                    f'<path class="mark line" d="{d}" fill="none" stroke="{style["color"]}" '
                    'stroke-width="2.5" '
                    f'stroke-dasharray="{style["dash"]}" stroke-linejoin="round"/>'
                )
        for p in s.points:
            label = p.label or x_label(p.x)
            if p.y is not None:
                out.append(
                    _marker(style, px(p.x), py(p.y), f"{s.name}, {label}: {y_format(p.y)}", "mark point")
                )
            elif p.suppressed:
                out.append(_suppressed_glyph(px(p.x), bottom - 4, f"{s.name}, {label}: suppressed"))
        out.append("</g>")
    out += legend
    out.append("</svg>")
    return "\n".join(out)


def _suppressed_glyph(x: float, y: float, tooltip: str) -> str:
    return (
        f'<text class="suppressed-mark" x="{x:.1f}" y="{y:.1f}" text-anchor="middle" fill="{AXIS}" '
        f'font-weight="bold">*<title>{escape(tooltip)}</title></text>'
    )


def bar_chart(
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    desc: str,
    y_format: Callable[[float], str],
    band: Band | None = None,
    horizontal: bool = False,
    y_min: float | None = None,
    y_max: float | None = None,
    y_ticks: Sequence[float] | None = None,
    integer: bool = False,
    kind: str = "bar",
    width: int = 720,
    height: int | None = None,
    label_step: int | None = None,
) -> str:
    """Grouped bars, one group per category; each series' points are in category order.

    No bar is drawn for a missing or suppressed value (a gap, not a zero-height bar);
    a suppressed value shows an asterisk where its bar would start.
    """
    chart_id = _next_id("chart")
    n_series = max(len(series), 1)
    values = [p.y for s in series for p in s.points if p.y is not None]
    lo, hi, ticks = _y_domain(values, band, y_min, y_max, y_ticks, integer=integer)
    legend_left = 64 if not horizontal else 12
    legend, legend_h = _legend(
        series, band, legend_left, width - legend_left - 16, bars=True, chart_id=chart_id
    )
    extra = int(legend_h) - 30
    if horizontal:
        label_w = max(90, min(240, 7 * max((len(c) for c in categories), default=8) + 12))
        row_h = 8 + 14 * n_series
        height = (height or int(44 + row_h * len(categories) + 30)) + extra
        left, right, top, bottom = label_w, width - 70, 30 + extra, height - 30
    else:
        height = (height or 300) + extra
        left, right, top, bottom = 64, width - 16, 34 + extra, height - 40
    out = _svg_open(chart_id, width, height, title, desc, kind)
    out += _hatch_defs(chart_id)
    out.append(f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>')

    if horizontal:

        def vx(v: float) -> float:
            return left + (v - lo) / (hi - lo) * (right - left)

        out.append('<g class="axis x-axis">')
        for t in ticks:
            x = vx(t)
            out.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{bottom}" stroke="{GRID}"/>')
            out.append(
                f'<text x="{x:.1f}" y="{bottom + 16}" text-anchor="middle" fill="{TEXT}">'
                f"{escape(y_format(t))}</text>"
            )
        out.append("</g>")
        if band is not None:
            out += _band_rect(band, top, bottom, vx, lo, hi, vertical=False)
        group_h = (bottom - top) / max(len(categories), 1)
        bar_h = min(14.0, (group_h - 8) / n_series)
        out.append('<g class="axis y-axis">')
        for ci, cat in enumerate(categories):
            y_mid = top + group_h * (ci + 0.5)
            out.append(
                f'<text x="{left - 8}" y="{y_mid + 4:.1f}" text-anchor="end" fill="{TEXT}">'
                f"{escape(cat)}</text>"
            )
        out.append(
            f'<line x1="{vx(max(lo, 0)):.1f}" y1="{top}" x2="{vx(max(lo, 0)):.1f}" y2="{bottom}" '
            f'stroke="{AXIS}"/>'
        )
        out.append("</g>")
        for si, s in enumerate(series):
            style = SERIES_STYLES[si % len(SERIES_STYLES)]
            out.append(f'<g class="series" data-series="{escape(s.name)}">')
            for ci, p in enumerate(s.points[: len(categories)]):
                y0 = top + group_h * ci + (group_h - bar_h * n_series) / 2 + bar_h * si
                label = p.label or categories[ci]
                base = vx(max(lo, 0))
                if p.y is not None:
                    x_end = vx(p.y)
                    x, w = min(base, x_end), abs(x_end - base)
                    out.append(
                        f'<rect class="mark bar" x="{x:.1f}" y="{y0:.1f}" width="{max(w, 0):.1f}" '
                        f'height="{bar_h - 1.5:.1f}" fill="{_fill(chart_id, si)}" stroke="{style["color"]}" '
                        f'stroke-width="1"><title>{escape(f"{s.name}, {label}: {y_format(p.y)}")}'
                        "</title></rect>"
                    )
                    out.append(
                        f'<text x="{x + w + 4:.1f}" y="{y0 + bar_h - 3.5:.1f}" fill="{TEXT}" font-size="11">'
                        f"{escape(y_format(p.y))}</text>"
                    )
                elif p.suppressed:
                    out.append(
                        f'<text class="suppressed-mark" x="{base + 4:.1f}" y="{y0 + bar_h - 3.5:.1f}" '
                        f'fill="{AXIS}" font-size="11" font-style="italic">* suppressed'
                        f"<title>{escape(f'{s.name}, {label}: suppressed')}</title></text>"
                    )
            out.append("</g>")
        out += legend
        out.append("</svg>")
        return "\n".join(out)

    def py(v: float) -> float:
        return bottom - (v - lo) / (hi - lo) * (bottom - top)

    out.append('<g class="axis y-axis">')
    for t in ticks:
        y = py(t)
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" stroke="{GRID}"/>')
        out.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="{TEXT}">'
            f"{escape(y_format(t))}</text>"
        )
    out.append("</g>")
    if band is not None:
        out += _band_rect(band, left, right, py, lo, hi, vertical=True)
    group_w = (right - left) / max(len(categories), 1)
    bar_w = min(28.0, (group_w * 0.8) / n_series)
    step = label_step or max(1, math.ceil(len(categories) / 12))
    out.append('<g class="axis x-axis">')
    base_y = py(max(lo, 0))
    out.append(f'<line x1="{left}" y1="{base_y:.1f}" x2="{right}" y2="{base_y:.1f}" stroke="{AXIS}"/>')
    for ci, cat in enumerate(categories):
        if ci % step:
            continue
        x_mid = left + group_w * (ci + 0.5)
        out.append(
            f'<text x="{x_mid:.1f}" y="{bottom + 18}" text-anchor="middle" fill="{TEXT}">{escape(cat)}</text>'
        )
    out.append("</g>")
    for si, s in enumerate(series):
        style = SERIES_STYLES[si % len(SERIES_STYLES)]
        out.append(f'<g class="series" data-series="{escape(s.name)}">')
        for ci, p in enumerate(s.points[: len(categories)]):
            x0 = left + group_w * ci + (group_w - bar_w * n_series) / 2 + bar_w * si
            label = p.label or categories[ci]
            if p.y is not None:
                y_end = py(p.y)
                y, h = min(base_y, y_end), abs(base_y - y_end)
                out.append(
                    f'<rect class="mark bar" x="{x0 + 0.5:.1f}" y="{y:.1f}" width="{bar_w - 1:.1f}" '
                    f'height="{h:.1f}" fill="{_fill(chart_id, si)}" stroke="{style["color"]}" '
                    'stroke-width="1">'
                    f"<title>{escape(f'{s.name}, {label}: {y_format(p.y)}')}</title></rect>"
                )
            elif p.suppressed:
                out.append(_suppressed_glyph(x0 + bar_w / 2, base_y - 3, f"{s.name}, {label}: suppressed"))
        out.append("</g>")
    out += legend
    out.append("</svg>")
    return "\n".join(out)
