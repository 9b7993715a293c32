"""Report panels read the KPI registry: a KPI that dim_kpis.report_panel places in a panel is
shown there without the panel's code changing."""

from __future__ import annotations

import pandas as pd

from ipskpi.report.data import CELL_COLUMNS, PublishedData
from ipskpi.report.panels.common import PageContext
from ipskpi.report.panels.quality import caseload_panel


def kpi_row(code: str, panel: str, unit: str = "count") -> dict[str, object]:
    return {
        "kpi_code": code,
        "kpi_name": code.replace("_", " ").capitalize(),
        "section": "C",
        "section_name": "Quality and fidelity",
        "unit": unit,
        "numerator_definition": f"{code} numerator",
        "denominator_definition": None,
        "target_min": None,
        "target_max": None,
        "target_source": None,
        "higher_is_better": None,
        "report_panel": panel,
    }


def test_a_kpi_the_registry_places_in_the_caseload_panel_is_shown_there():
    kpis = pd.DataFrame(
        [
            kpi_row("active_caseload", "caseload"),
            kpi_row("es_wte", "caseload", "wte"),
            kpi_row("caseload_per_es", "caseload", "per_wte"),
            kpi_row("a_new_caseload_share", "caseload", "rate"),
            kpi_row("fidelity_total", "fidelity", "score"),
        ]
    )
    scorecard = pd.DataFrame(columns=[*CELL_COLUMNS, "org_level"])
    data = PublishedData(scorecard, kpis, pd.DataFrame(), pd.DataFrame())
    panel = caseload_panel(PageContext(data, "ENG", "England", None, None))
    shown = [k.kpi_code for k in panel["definitions"]]
    # the panel's own three first, in its order; then the registry's other caseload KPIs
    assert shown == ["active_caseload", "es_wte", "caseload_per_es", "a_new_caseload_share"]
    table = next(b for b in panel["blocks"] if b["type"] == "table")
    assert any("A new caseload share" in str(r["header"]) for r in table["rows"])


def test_icb_and_region_pages_name_the_organisation_and_link_its_providers():
    # Issue 15: an ICB page and a region page beside the provider pages, named from
    # dim_organisations (an untrusted name is escaped), linking the providers it sums.
    import datetime as dt

    from ipskpi.report.build import _environment, render_index, render_org_page

    start, end = dt.date(2024, 4, 1), dt.date(2025, 3, 31)
    rows = []
    for org, level in (
        ("P1", "provider"),
        ("P2", "provider"),
        ("Q1", "icb"),
        ("Y1", "region"),
        ("ENG", "england"),
    ):
        rows.append(
            dict.fromkeys(CELL_COLUMNS)
            | {
                "org_code": org,
                "org_level": level,
                "kpi_code": "job_starts",
                "period_type": "financial_year",
                "period_start": start,
                "period_end": end,
                "numerator": 10.0,
                "value": 10.0,
                "is_suppressed": False,
            }
        )
    providers = pd.DataFrame(
        [
            {"provider_code": "P1", "provider_name": "Provider one", "provider_type": "nhs", "icb_code": "Q1",
             "nhs_region_code": "Y1"},
            {"provider_code": "P2", "provider_name": "Provider two", "provider_type": "nhs", "icb_code": "Q2",
             "nhs_region_code": "Y1"},
        ]
    )  # fmt: skip
    organisations = pd.DataFrame(
        [
            {"org_code": "Q1", "org_level": "icb", "org_name": "NHS Test <script>x</script> ICB", "parent_org_code": "Y1"},
            {"org_code": "Y1", "org_level": "region", "org_name": "Test Region", "parent_org_code": "ENG"},
        ]
    )  # fmt: skip
    data = PublishedData(
        pd.DataFrame(rows),
        pd.DataFrame([kpi_row("job_starts", "")]),
        providers,
        pd.DataFrame(),
        organisations,
    )
    env = _environment()

    assert data.area_codes("icb") == ["Q1"] and data.area_codes("region") == ["Y1"]
    icb_page = render_org_page(env, data, "Q1")
    assert "NHS Test &lt;script&gt;x&lt;/script&gt; ICB" in icb_page and "<script>x" not in icb_page
    assert "Integrated Care Board, Test Region" in icb_page
    assert 'href="P1.html"' in icb_page and 'href="P2.html"' not in icb_page  # P2 is in Q2
    region_page = render_org_page(env, data, "Y1")
    assert (
        "NHS England region" in region_page
        and 'href="P1.html"' in region_page
        and 'href="P2.html"' in region_page
    )
    index = render_index(
        env, data, {"Q1": "Q1.html", "Y1": "Y1.html", "P1": "P1.html", "ENG": "england.html"}
    )
    assert 'href="Q1.html"' in index and 'href="Y1.html"' in index
