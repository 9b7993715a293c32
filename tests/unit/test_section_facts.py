"""Section facts are thin: one macro shapes their rows into the scorecard's columns, each has
an enforced contract, and fct_kpi_scorecard unions them by column name, never by position."""

from __future__ import annotations

import csv
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


def test_section_facts_name_no_kpi_code():
    """A section fact only shapes rows: each KPI's figures come from the one intermediate
    model holding its rule, so no KPI code is written in a fact's SQL."""
    with (ROOT / "seeds" / "kpi_catalogue.csv").open(newline="") as handle:
        codes = [row["kpi_code"] for row in csv.DictReader(handle)]
    for name in section_facts():
        sql = (MARTS / f"{name}.sql").read_text()
        written = [code for code in codes if re.search(rf"'{re.escape(code)}'", sql)]
        assert not written, f"{name} writes KPI codes {written}: move their rule to an intermediate model"
