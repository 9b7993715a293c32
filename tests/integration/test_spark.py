"""The same dbt project on Spark: built from the same raw rows, Spark publishes the scorecard DuckDB does.

The Spark test runs the whole project (seeds, models, unit and data tests) on a local
Spark through dbt-spark's session method, and takes about six minutes on two idle cores.
It is part of the default test run (CI); deselect it with ``-m "not spark"``. It needs
Java 17 and the ``spark`` group (``uv run --all-groups`` installs it).
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import duckdb
import pytest

from ipskpi.spark import compare_scorecards, spark_check

SCORECARD_ROWS = """
    select * from (values
        ('P1', 'provider', 'month', date '2025-04-01', date '2025-04-30', 'job_starts',
         cast(null as varchar), cast(null as varchar), 3.0, null, 3.0, null, null, null, date '2025-06-30'),
        ('P1', 'provider', 'month', date '2025-04-01', date '2025-04-30', 'job_starts',
         'hours_band', 'gt_16', 2.0, null, 2.0, null, null, null, date '2025-06-30'),
        ('ENG', 'england', 'month', date '2025-04-01', date '2025-04-30', 'acceptance_rate',
         cast(null as varchar), cast(null as varchar), 1.0, 3.0, 0.333333, 0.5, null, 'not_met', date '2025-06-30')
    ) as t(org_code, org_level, period_type, period_start, period_end, kpi_code, breakdown_type,
           breakdown_value, numerator, denominator, value, target_min, target_max, target_status, as_of_date)
"""


def _scorecards(tmp_path: Path, spark_rows_sql: str) -> tuple[Path, Path]:
    """A DuckDB build with marts.fct_kpi_scorecard, and a Spark warehouse folder with another version."""
    build = tmp_path / "build.duckdb"
    con = duckdb.connect(str(build))
    con.execute("create schema marts")
    con.execute(f"create table marts.fct_kpi_scorecard as {SCORECARD_ROWS}")
    spark_dir = tmp_path / "spark"
    folder = spark_dir / "warehouse" / "marts.db" / "fct_kpi_scorecard"
    folder.mkdir(parents=True)
    con.execute(f"copy ({spark_rows_sql}) to '{folder / 'part-00000.parquet'}' (format parquet)")
    con.close()
    return build, spark_dir


def test_comparison_passes_identical_scorecards_and_numbers_within_the_tolerance(tmp_path):
    spark_rows = f"select * replace (value + 0.0000004 as value) from ({SCORECARD_ROWS})"
    build, spark_dir = _scorecards(tmp_path, spark_rows)

    comparison = compare_scorecards(build, spark_dir)

    assert comparison.equal, comparison.to_text()
    assert comparison.duckdb_rows == comparison.spark_rows == 3


def test_comparison_reports_a_changed_number_a_changed_status_and_a_missing_row(tmp_path):
    spark_rows = f"""
        select * replace (
            case when kpi_code = 'acceptance_rate' then 0.34 else value end as value,
            case when kpi_code = 'acceptance_rate' then 'met' else target_status end as target_status
        )
        from ({SCORECARD_ROWS})
        where breakdown_type is null
    """
    build, spark_dir = _scorecards(tmp_path, spark_rows)

    comparison = compare_scorecards(build, spark_dir)

    assert not comparison.equal
    assert (comparison.only_in_duckdb, comparison.only_in_spark) == (1, 0)
    assert comparison.differing_values == 2
    changed = {d.column for d in comparison.examples if d.column != "(row)"}
    assert changed == {"value", "target_status"}


@pytest.mark.spark
def test_spark_build_of_the_sample_publishes_the_same_scorecard_as_duckdb(tmp_path):
    # Part of the suite, so a missing engine is a failure, not a skip (deselect: -m "not spark").
    assert importlib.util.find_spec("pyspark") is not None, "needs the spark group: uv sync --all-groups"
    assert shutil.which("java") is not None, "needs Java 17 on PATH for the local Spark"
    check = spark_check(tmp_path, duckdb_tests=False)

    print(check.to_text())
    assert check.duckdb_build.ok, check.to_text()
    assert check.spark_build.ok, check.to_text()
    assert [c.table for c in check.comparisons] == ["fct_kpi_scorecard", "fct_kpi_scorecard_public"]
    assert check.comparisons[0].duckdb_rows > 1000
    assert all(c.equal for c in check.comparisons), check.to_text()
