"""No published number gives back a hidden count (issue 13): the differencing attack of
``ipskpi.disclosure`` over the whole public scorecard of a real refresh of the sample.
"""

from __future__ import annotations

import re

import duckdb
import pytest

from ipskpi.disclosure import find_leaks


@pytest.fixture(scope="module")
def published(sample_warehouse):
    warehouse, _ = sample_warehouse
    con = duckdb.connect(str(warehouse / "restricted" / "restricted.duckdb"), read_only=True)
    yield con
    con.close()


def test_the_public_scorecard_of_the_sample_gives_no_hidden_or_rounded_count_back(published):
    report = find_leaks(published)

    # The attack really runs on every level the scorecard has (provider, ICB, region and
    # England, the parents of dim_organisations), over periods and breakdowns too, and the
    # cells it works on are there.
    assert {"organisations", "periods", "breakdowns"} <= set(report.relations), report.summary()
    assert report.suppressed_cells > 1000 and report.rounded_cells > 1000, report.summary()
    assert report.contradictions == []
    assert [leak.as_dict() for leak in report.suppressed_recovered[:10]] == [], report.summary()
    assert [leak.as_dict() for leak in report.exact_counts[:10]] == [], report.summary()


def test_the_issue_13_query_no_longer_gives_the_count_of_job_starts(published):
    rows = published.execute(
        """
        select org_code, is_suppressed, numerator, denominator, value
        from fct_kpi_scorecard_public
        where kpi_code = 'avg_hours_per_week' and breakdown_type is null
            and period_type = 'quarter' and period_start = date '2024-07-01'
        order by org_code
        """
    ).fetchall()

    providers = {"NQV01", "NQV02", "RX4", "RXT", "TAF"}
    icbs_and_regions = {"QHL", "QHM", "QKK", "QMJ", "Y56", "Y60", "Y63"}  # issue 15's levels
    assert {org for org, *_ in rows} == {"ENG", *providers, *icbs_and_regions}
    for org, suppressed, numerator, denominator, value in rows:
        assert numerator is None, org  # the sum behind the mean is not published
        if not suppressed:
            assert denominator % 5 == 0 and value == round(value, 1), (org, denominator, value)


def test_the_audit_ran_the_differencing_suite_and_published(sample_warehouse):
    warehouse, result = sample_warehouse
    # The fixture's own run: other tests add nights to the session's warehouse.
    run_id = re.search(r"IPS KPI refresh (\S+): PUBLISHED", result.stdout).group(1)
    con = duckdb.connect(str(warehouse / "restricted" / "restricted.duckdb"), read_only=True)
    try:
        outcomes = con.execute(
            "select success from audit_results where suite = 'disclosure__differencing' and run_id = ?",
            [run_id],
        ).fetchall()
    finally:
        con.close()
    assert outcomes == [(True,), (True,)], result.stdout[-2000:]  # critical and warning
