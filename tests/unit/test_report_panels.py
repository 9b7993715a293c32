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
