"""Build the static commissioner reports from the public marts of a published database.

Steps:
1. Read the public scorecard and the dimensions (``data.load_public``; read-only, and
   never the restricted scorecard).
2. Work out the latest financial year published and the one before it.
3. For England, each NHS England region, each ICB and each provider in the scorecard,
   build the panels (``panels``) with their inline SVG charts (``svg``) and render
   ``templates/org.html`` (an ICB's or region's page is its own figures, computed from
   its providers' records, beside England's, with links to its providers).
4. Write ``england.html``, ``<REGION>.html``, ``<ICB>.html``, ``<PROVIDER>.html`` and
   ``index.html``: each file is written
   beside its final name and moved into place (``os.replace``), so a reader never sees
   half a page; pages this module wrote earlier for organisations no longer published
   are removed.
Every page is self-contained: inline CSS and SVG, no script, no external URL.
"""

from __future__ import annotations

import os
import re
from datetime import date
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from ipskpi.report import labels as lb
from ipskpi.report import svg
from ipskpi.report.data import AREA_LEVELS, ENGLAND, PublishedData, load_public
from ipskpi.report.panels import PageContext, page_panels

TEMPLATES = Path(__file__).parent / "templates"
GENERATOR = "ipskpi-report"
ENGLAND_PAGE = "england.html"
INDEX_PAGE = "index.html"
# An organisation code names a file only if it is a plain ODS-style code (never a path).
SAFE_CODE = re.compile(r"[A-Za-z0-9]{1,16}")


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=lambda value: "" if value is None else value,
    )
    env.globals["css"] = (TEMPLATES / "report.css").read_text(encoding="utf-8")
    env.globals["generator"] = GENERATOR
    return env


def _financial_years(data: PublishedData) -> tuple[date | None, date | None]:
    years = data.period_starts("financial_year")
    latest = years[-1] if years else None
    previous = years[-2] if len(years) > 1 else None
    return latest, previous


def _write(path: Path, text: str) -> Path:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


def _page_meta(
    data: PublishedData, latest: date | None, org_code: str = ENGLAND, by_providers: bool | None = None
) -> dict:
    fy_label = lb.financial_year_label(latest) if latest else "no financial year published"
    complete = latest is None or data.period_complete("financial_year", latest)
    fy_end = data.period_end("financial_year", latest) if latest else None
    coverage = data.coverage(org_code, "financial_year", latest) if latest else None
    return {
        "fy_label": fy_label,
        "fy_note": "" if complete else f"year to date, to {lb.long_date(data.as_of_date)}",
        "fy_end": lb.long_date(fy_end) if fy_end else "",
        "as_of": lb.long_date(data.as_of_date),
        "coverage_note": lb.coverage_note(
            coverage, org_code == ENGLAND if by_providers is None else by_providers
        ),
        "is_incomplete": bool(coverage and coverage.is_incomplete),
    }


def render_org_page(env: Environment, data: PublishedData, org_code: str) -> str:
    """One organisation's page (England, an NHS England region, an ICB or a provider)."""
    svg.reset_ids()
    latest, previous = _financial_years(data)
    is_area = any(org_code in data.area_codes(level) for level in AREA_LEVELS)
    if org_code == ENGLAND:
        org = {"code": ENGLAND, "name": "England", "type": "", "region": ""}
    elif is_area:
        org = data.organisation(org_code)
    else:
        org = data.provider(org_code)
    members = [data.provider(code) | {"file": f"{code}.html"} for code in data.area_providers(org_code)]
    ctx = PageContext(data, org_code, org["name"], latest, previous)
    panels = page_panels(ctx)
    template = env.get_template("org.html")
    return template.render(
        org=org,
        is_england=org_code == ENGLAND,
        members=members if is_area else [],
        panels=panels,
        meta=_page_meta(data, latest, org_code, by_providers=org_code == ENGLAND or is_area),
        title=f"IPS employment service report: {org['name']}",
    )


def render_index(env: Environment, data: PublishedData, pages: dict[str, str]) -> str:
    latest, _ = _financial_years(data)
    providers = [
        data.provider(code) | {"file": pages[code]} for code in data.provider_codes() if code in pages
    ]
    areas = {
        level: [data.organisation(c) | {"file": pages[c]} for c in data.area_codes(level) if c in pages]
        for level in AREA_LEVELS
    }
    return env.get_template("index.html").render(
        providers=providers,
        icbs=areas["icb"],
        regions=areas["region"],
        england=pages.get(ENGLAND),
        meta=_page_meta(data, latest),
        title="IPS employment service reports",
    )


def _remove_stale(out_dir: Path, keep: set[str]) -> None:
    """Delete pages this module wrote before for organisations no longer published."""
    marker = f'<meta name="generator" content="{GENERATOR}">'
    for page in out_dir.glob("*.html"):
        if page.name in keep:
            continue
        try:
            head = page.read_text(encoding="utf-8", errors="ignore")[:2000]
        except OSError:
            continue
        if marker in head:
            page.unlink(missing_ok=True)


def build_reports(published_db: Path, out_dir: Path) -> list[Path]:
    """Write england.html, one <CODE>.html per NHS England region, ICB and provider, and
    index.html; returns their paths.

    Built only from the public marts (fct_kpi_scorecard_public and dim_ tables).
    """
    published_db, out_dir = Path(published_db), Path(out_dir)
    data = load_public(published_db)
    env = _environment()
    out_dir.mkdir(parents=True, exist_ok=True)
    pages: dict[str, str] = {}
    written: list[Path] = []
    if data.has_england():
        written.append(_write(out_dir / ENGLAND_PAGE, render_org_page(env, data, ENGLAND)))
        pages[ENGLAND] = ENGLAND_PAGE
    for code in [*data.area_codes("region"), *data.area_codes("icb"), *data.provider_codes()]:
        if code in pages or not SAFE_CODE.fullmatch(code):
            continue  # a code that could name a path, or a second level with the same code
        name = f"{code}.html"
        written.append(_write(out_dir / name, render_org_page(env, data, code)))
        pages[code] = name
    written.append(_write(out_dir / INDEX_PAGE, render_index(env, data, pages)))
    _remove_stale(out_dir, {p.name for p in written})
    return written


def report_dir(warehouse: Path) -> Path:
    """Where the refresh publishes the reports: ``<warehouse>/public/reports`` (the public tree)."""
    return Path(warehouse) / "public" / "reports"


def build_warehouse_reports(warehouse: Path, out_dir: Path) -> list[Path]:
    """Reports of a warehouse's published public database (``<warehouse>/public/public.duckdb``)
    written to ``out_dir``. The refresh itself writes them into each new public tree
    before it is swapped in (ipskpi.publish)."""
    return build_reports(Path(warehouse) / "public" / "public.duckdb", out_dir)
