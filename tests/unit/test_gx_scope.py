"""Great Expectations keeps what dbt cannot do; it does not repeat dbt's tests.

dbt build runs every data test before the audit and a failed build blocks publishing, so a
GX expectation that re-checks a key, a not-null column, an accepted-values list or a rule a
dbt generic test already holds is a second copy that can drift from the first. The audit
keeps volume (a mart is not empty), plausibility ranges of single KPIs, the published column
order, reconciliations across marts, drift and continuity against the last publication,
freshness, the landing's raw values and the public scorecard's disclosure gate.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
SUITES = sorted((ROOT / "expectations").glob("*.json"))


def dbt_tests() -> dict[str, dict[str, set]]:
    """Per model: the columns dbt tests not_null / accepted_values, its unique keys, its generic tests."""
    found: dict[str, dict[str, set]] = {}
    for path in (ROOT / "models").rglob("*.yml"):
        for model in (yaml.safe_load(path.read_text()) or {}).get("models", []) or []:
            entry = found.setdefault(
                model["name"], {"not_null": set(), "accepted_values": set(), "keys": set(), "tests": set()}
            )
            for test in model.get("data_tests", []) or []:
                name = test if isinstance(test, str) else next(iter(test))
                entry["tests"].add(name)
                if name == "unique_combination":
                    entry["keys"].add(tuple(test[name]["arguments"]["columns"]))
            for column in model.get("columns", []) or []:
                for test in column.get("data_tests", []) or []:
                    name = test if isinstance(test, str) else next(iter(test))
                    if name in ("not_null", "accepted_values"):
                        entry[name].add(column["name"])
                    if name == "unique":
                        entry["keys"].add((column["name"],))
    return found


def suite_model(suite: dict) -> str | None:
    """The mart a suite reads when its query is a plain select from one mart."""
    match = re.fullmatch(r"select \* from marts\.(\w+)", suite.get("meta", {}).get("query", "").strip())
    return match.group(1) if match else None


def test_no_suite_repeats_a_dbt_test_of_the_mart_it_reads():
    tests = dbt_tests()
    repeats = []
    for path in SUITES:
        suite = json.loads(path.read_text())
        model = suite_model(suite)
        if model is None or model not in tests:
            continue
        held = tests[model]
        for expectation in suite["expectations"]:
            kwargs = expectation.get("kwargs", {})
            if "row_condition" in kwargs:
                continue  # a rule for some KPIs only: not what a column-wide dbt test holds
            kind, column = expectation["type"], kwargs.get("column")
            if (
                (kind == "expect_column_values_to_not_be_null" and column in held["not_null"])
                or (kind == "expect_column_values_to_be_in_set" and column in held["accepted_values"])
                or (
                    kind == "expect_compound_columns_to_be_unique"
                    and tuple(kwargs["column_list"]) in held["keys"]
                )
            ):
                repeats.append((path.name, kind, column or kwargs.get("column_list")))
    assert not repeats, f"GX repeats dbt tests: {repeats}"


def test_every_kpi_rule_a_suite_dropped_is_a_dbt_test_of_the_scorecard():
    """The scorecard is the union of every section fact: its dbt tests hold for every KPI."""
    held = dbt_tests()["fct_kpi_scorecard"]
    assert {"unique_combination", "rates_are_fractions", "counts_are_not_negative"} <= held["tests"]
    assert {"org_code", "org_level", "period_type", "kpi_code"} <= held["not_null"]
    assert {"org_level", "period_type", "target_status"} <= held["accepted_values"]


def test_the_section_suites_keep_only_what_dbt_cannot_do():
    kept = {}
    for name in ("fct_caseload", "fct_equality", "fct_intake", "fct_job_outcomes", "fct_value_for_money"):
        suite = json.loads((ROOT / "expectations" / f"{name}.json").read_text())
        kept[name] = {e["type"] for e in suite["expectations"]}
    for name, kinds in kept.items():
        assert "expect_table_row_count_to_be_between" in kinds, name
        assert not kinds & {"expect_compound_columns_to_be_unique", "expect_column_values_to_not_be_null"}, (
            name
        )
