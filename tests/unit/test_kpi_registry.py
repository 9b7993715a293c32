"""The KPI registry (seeds/kpi_catalogue.csv, exposed as dim_kpis) is the one place that says
what a KPI is: which of its figures are counts for disclosure, whether it is a rate, the model
holding its rule and the report panel showing it. These tests keep the other places reading it
instead of keeping their own lists."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "seeds" / "kpi_catalogue.csv"
UNITS = ("count", "rate", "ratio", "per_wte", "mean", "median_days", "score", "gbp", "wte")
# The panel ids of the HTML report (ipskpi/report/); empty = shown only in the scorecard table.
REPORT_PANELS = (
    "",
    "intake",
    "fidelity",
    "caseload",
    "jobs",
    "sustainment",
    "providers",
    "value-for-money",
    "equality",
    "local-context",
)
FLAGS = ("is_numerator_a_count", "is_denominator_a_count", "is_value_a_count", "is_rate")


def catalogue() -> list[dict[str, str]]:
    with CATALOGUE.open(newline="") as handle:
        return list(csv.DictReader(handle))


def model_files() -> dict[str, Path]:
    return {p.stem: p for p in (ROOT / "models").rglob("*.sql")}


def registry_models(row: dict[str, str]) -> list[str]:
    return [m.strip() for m in row["model"].split(";") if m.strip()]


def test_every_kpi_has_its_flags_a_model_and_a_known_panel():
    rows = catalogue()
    assert len(rows) > 50
    models = model_files()
    for row in rows:
        code = row["kpi_code"]
        assert row["unit"] in UNITS, code
        for flag in FLAGS:
            assert row[flag] in ("true", "false"), (code, flag, row[flag])
        assert registry_models(row), f"{code}: no model holds its rule"
        for model in registry_models(row):
            assert model in models, f"{code}: model {model} does not exist"
        assert row["report_panel"] in REPORT_PANELS, (code, row["report_panel"])


def test_a_rate_is_a_count_over_a_count_and_a_count_value_has_a_count_numerator():
    """The public scorecard recomputes a value from rounded counts exactly when both its
    numerator and denominator are counts; a rate must be one of those, or its exact value
    would be published beside rounded counts."""
    for row in catalogue():
        if row["is_rate"] == "true":
            assert row["is_numerator_a_count"] == row["is_denominator_a_count"] == "true", row["kpi_code"]
        if row["is_value_a_count"] == "true":
            assert row["is_numerator_a_count"] == "true", row["kpi_code"]


def test_employment_rate_out_of_work_is_a_rate_though_its_code_does_not_end_in_rate():
    rows = {r["kpi_code"]: r for r in catalogue()}
    assert rows["employment_rate_out_of_work"]["is_rate"] == "true"
    assert rows["equality_accepted_share"]["is_rate"] == "true"
    assert rows["equality_into_work_per_engaged"]["is_rate"] == "false"  # a ratio, may exceed 1


def test_a_kpi_code_in_a_model_is_in_the_registry_as_that_models_rule():
    """Where a KPI's code is written in a model's SQL, the registry's model column names
    that model: the registry says honestly where each rule (or each part of a split rule)
    lives. A mart that starts writing a KPI code must be registered for it."""
    sql = {name: path.read_text() for name, path in model_files().items()}
    unregistered = []
    for row in catalogue():
        literal = re.compile(rf"'{re.escape(row['kpi_code'])}'")
        holders = set(registry_models(row))
        for name, text in sql.items():
            if literal.search(text) and name.startswith(("fct_", "dim_")) and name not in holders:
                unregistered.append((row["kpi_code"], name))
    assert not unregistered


@pytest.mark.parametrize(
    "path",
    sorted(
        [
            *(ROOT / "models").rglob("*.sql"),
            *(ROOT / "tests" / "dbt").rglob("*.sql"),
            *(ROOT / "expectations").glob("*.json"),
            ROOT / "tests" / "integration" / "test_exports.py",
        ]
    ),
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_no_other_place_lists_which_units_are_counts_or_rates(path: Path):
    """Count units and rates are read from the registry's flags, never listed again (a list
    of units, or a rate guessed from a code ending in _rate)."""
    text = path.read_text()
    lists_units = re.search(r"unit\s+(?:not\s+)?in\s*[(\[]", text) or re.search(
        r"unit\s*(?:=|==|<>|!=)\s*'(?:count|rate|ratio|per_wte|mean|median_days|gbp)'", text
    )
    guesses_rates = re.search(r"like\s+'%_rate'|endswith\(\s*'_rate'\s*\)", text)
    assert not lists_units, f"{path.name} lists units: {lists_units.group(0)}"
    assert not guesses_rates, f"{path.name} guesses rates from the code: {guesses_rates.group(0)}"


def test_gx_suites_read_the_registry_flags_they_filter_on():
    """A suite filtering rows on a registry flag selects that flag from dim_kpis."""
    for path in sorted((ROOT / "expectations").glob("*.json")):
        suite = json.loads(path.read_text())
        query = suite.get("meta", {}).get("query", "")
        for expectation in suite["expectations"]:
            condition = expectation.get("kwargs", {}).get("row_condition", "")
            for flag in FLAGS:
                if flag in condition:
                    assert f"kpis.{flag}" in query and "marts.dim_kpis" in query, (path.name, flag)
