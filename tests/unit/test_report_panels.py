"""Report panels read the KPI registry: a KPI that dim_kpis.report_panel places in a panel is
shown there without the panel's code changing."""

from __future__ import annotations

import re

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


def test_a_target_whose_framework_version_changed_shows_both_versions():
    """IPS Grow V8 raised the 13-week sustainment target from v4's 60% to 65%: the report's
    target cell says both (dim_kpis.previous_target_*), a target no version changed says one."""
    sustained = {
        **kpi_row("caseload_per_es", "caseload", "rate"),
        "target_min": 0.65,
        "target_framework": "IPS Grow V8",
        "previous_target_min": 0.6,
        "previous_target_framework": "IPS Grow v4",
    }
    unchanged = {**kpi_row("es_wte", "caseload", "rate"), "target_min": 0.5, "target_framework": "DWP"}
    kpis = pd.DataFrame([kpi_row("active_caseload", "caseload"), unchanged, sustained])
    fy = pd.Timestamp("2024-04-01").date()
    cells = [
        {
            **dict.fromkeys(CELL_COLUMNS),
            "org_code": "ENG",
            "org_level": "england",
            "kpi_code": code,
            "period_type": "financial_year",
            "period_start": fy,
            "period_end": pd.Timestamp("2025-03-31").date(),
            "value": 0.7,
            "target_min": target,
            "target_status": "met",
            "is_suppressed": False,
        }
        for code, target in (("caseload_per_es", 0.65), ("es_wte", 0.5))
    ]
    data = PublishedData(pd.DataFrame(cells), kpis, pd.DataFrame(), pd.DataFrame())
    panel = caseload_panel(PageContext(data, "ENG", "England", fy, None))
    table = next(b for b in panel["blocks"] if b["type"] == "table")
    text = {str(r["header"]): str(r["cells"]) for r in table["rows"]}
    versioned = next(v for k, v in text.items() if "Caseload per es" in k)
    assert "IPS Grow V8: at least 65% (v4: at least 60%)" in versioned
    plain = next(v for k, v in text.items() if "Es wte" in k)
    assert "at least 50%" in plain and "DWP" not in plain and "v4" not in plain


def test_a_provider_page_shows_its_access_count_beside_mhsds_and_not_published_without_it():
    # Issue 15: triangulation (fct_ips_access_triangulation_public) on the provider page:
    # the return's count as published (hidden 0-4, else rounded) beside MHS116; a provider
    # MHSDS has no row for shows "not published", never 0; no panel on England's page.
    import datetime as dt

    from ipskpi.report.build import _environment, render_org_page

    start, end = dt.date(2024, 4, 1), dt.date(2025, 3, 31)
    rows = [
        dict.fromkeys(CELL_COLUMNS)
        | {"org_code": org, "org_level": level, "kpi_code": "job_starts", "period_type": "financial_year",
           "period_start": start, "period_end": end, "numerator": 10.0, "value": 10.0, "is_suppressed": False}
        for org, level in (("P1", "provider"), ("P2", "provider"), ("ENG", "england"))
    ]  # fmt: skip
    month = {"period_start": dt.date(2025, 3, 1), "period_end": dt.date(2025, 3, 31)}
    triangulation = pd.DataFrame(
        [
            {"provider_code": "P1", **month, "return_access_12m": 415.0, "is_return_suppressed": False,
             "mhsds_access_12m": 385.0, "mhsds_status": "Performance", "has_mhsds_row": True,
             "access_difference": 30.0, "access_ratio": 415 / 385},
            {"provider_code": "P1", "period_start": dt.date(2025, 2, 1), "period_end": dt.date(2025, 2, 28),
             "return_access_12m": None, "is_return_suppressed": True, "mhsds_access_12m": 380.0,
             "mhsds_status": "Performance", "has_mhsds_row": True, "access_difference": None,
             "access_ratio": None},
            {"provider_code": "P2", **month, "return_access_12m": 120.0, "is_return_suppressed": False,
             "mhsds_access_12m": None, "mhsds_status": None, "has_mhsds_row": False,
             "access_difference": None, "access_ratio": None},
        ]
    )  # fmt: skip
    providers = pd.DataFrame(
        [
            {"provider_code": "P1", "provider_name": "Trust <b>one</b>", "provider_type": "nhs"},
            {"provider_code": "P2", "provider_name": "Charity two", "provider_type": "voluntary"},
        ]
    )
    data = PublishedData(
        pd.DataFrame(rows),
        pd.DataFrame([kpi_row("job_starts", "")]),
        providers,
        pd.DataFrame(),
        None,
        triangulation,
    )
    env = _environment()

    def panel(page: str) -> str:
        found = re.search(r'<section class="panel" id="triangulation".*?</section>', page, re.S)
        assert found, "no triangulation panel"
        return re.sub(r"<[^>]+>", "", found.group(0))

    p1 = panel(render_org_page(env, data, "P1"))
    assert re.search(r"Mar 2025\s*415\s*385\s*\+30", p1), p1
    assert re.search(r"Feb 2025\s*—suppressed\*\s*380", p1), p1
    assert "rolling 12 months" in p1 and "not expected to agree" in p1
    p2 = panel(render_org_page(env, data, "P2"))
    assert re.search(r"Mar 2025\s*120\s*not published", p2), p2
    assert not re.search(r"Mar 2025\s*120\s*0\b", p2)
    assert 'id="triangulation"' not in render_org_page(env, data, "ENG")
