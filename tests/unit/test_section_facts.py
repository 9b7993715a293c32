"""Section facts are thin: one macro shapes their rows into the scorecard's columns, each has
an enforced contract, and fct_kpi_scorecard unions them by column name, never by position."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
MARTS = ROOT / "models" / "marts"
SCORECARD_COLUMNS = {
    "org_code": "string",
    "org_level": "string",
    "period_type": "string",
    "period_start": "date",
    "period_end": "date",
    "kpi_code": "string",
    "breakdown_type": "string",
    "breakdown_value": "string",
    "numerator": "decimal(28,6)",
    "denominator": "decimal(28,6)",
    "value": "decimal(28,6)",
}


def section_facts() -> list[str]:
    """The facts fct_kpi_scorecard reads (its ref()s named fct_)."""
    sql = (MARTS / "fct_kpi_scorecard.sql").read_text()
    return sorted(set(re.findall(r"ref\('(fct_\w+)'\)", sql)))


def marts_yaml() -> dict[str, dict]:
    models: dict[str, dict] = {}
    for path in MARTS.glob("*.yml"):
        for model in yaml.safe_load(path.read_text()).get("models") or []:
            models[model["name"]] = model
    return models


def test_the_scorecard_reads_seven_section_facts():
    assert len(section_facts()) == 7


def test_each_section_fact_has_an_enforced_contract_with_the_scorecard_columns():
    models = marts_yaml()
    for name in section_facts():
        model = models[name]
        assert (model.get("config") or {}).get("contract", {}).get("enforced") is True, name
        columns = {c["name"]: c.get("data_type") for c in model["columns"]}
        assert columns == SCORECARD_COLUMNS, name


def test_section_facts_shape_their_rows_with_the_one_macro():
    for name in section_facts():
        sql = (MARTS / f"{name}.sql").read_text()
        assert "{{ scorecard_columns(" in sql, name
        assert not re.search(r"cast\(\s*org_code\s+as", sql), f"{name} repeats the scorecard casts"


def test_the_scorecard_unions_section_facts_by_column_name():
    sql = (MARTS / "fct_kpi_scorecard.sql").read_text()
    unioned = sql[sql.index("facts_unioned as (") :]
    unioned = unioned[: unioned.index("\n),")]
    assert "union all" in unioned
    assert "select *" not in unioned
    assert "scorecard_column_names()" in unioned


# Section facts whose KPI rules still live (partly) in the mart; issue 14 moves them into
# intermediate models one by one, and this set shrinks to nothing.
NOT_YET_THIN = {"fct_intake", "fct_value_for_money", "fct_equality"}


def test_thin_section_facts_write_no_kpi_code():
    """One rule, one model: a section fact only shapes the rows of the intermediate models
    holding its KPIs' rules, so no KPI code is written in its SQL."""
    codes = {
        line.split(",", 1)[0]
        for line in (ROOT / "seeds" / "kpi_catalogue.csv").read_text().splitlines()[1:]
        if line.strip()
    }
    written = {}
    for name in section_facts():
        if name in NOT_YET_THIN:
            continue
        sql = (MARTS / f"{name}.sql").read_text()
        found = sorted(c for c in codes if f"'{c}'" in sql)
        if found:
            written[name] = found
    assert not written
