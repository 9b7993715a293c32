"""The quality gate itself: a broken suite blocks publishing instead of being skipped."""

from __future__ import annotations

import duckdb

from ipskpi import sql
from ipskpi.audit import _suite_frame, load_suites, run_audit, suite_columns


def _build(tmp_path):
    path = tmp_path / "build.duckdb"
    con = duckdb.connect(str(path))
    con.execute("create schema marts")
    con.execute(
        "create table marts.t as select * from (values ('P1', 0.5), ('P2', 1.5)) as v(org_code, value)"
    )
    con.close()
    return path


def test_failing_critical_expectation_blocks_and_names_the_rows(tmp_path):
    suite = {
        "name": "rates",
        "meta": {"query": "select * from marts.t", "id_columns": ["org_code"]},
        "expectations": [
            {
                "type": "expect_column_values_to_be_between",
                "kwargs": {"column": "value", "min_value": 0, "max_value": 1},
                "severity": "critical",
            }
        ],
    }
    result = run_audit(_build(tmp_path), None, tmp_path / "gx", suites=[suite])
    assert not result.passed
    (error,) = result.errors
    assert error.unexpected_count == 1 and error.unexpected_rows[0]["org_code"] == "P2"


def test_warning_does_not_block(tmp_path):
    suite = {
        "name": "rates",
        "meta": {"query": "select * from marts.t", "id_columns": ["org_code"]},
        "expectations": [
            {
                "type": "expect_column_values_to_be_between",
                "kwargs": {"column": "value", "max_value": 1},
                "severity": "warning",
            }
        ],
    }
    result = run_audit(_build(tmp_path), None, tmp_path / "gx", suites=[suite])
    assert result.passed and len(result.warnings) == 1


def test_suite_with_unknown_expectation_or_bad_query_blocks_publishing(tmp_path):
    suites = [
        {
            "name": "typo",
            "meta": {"query": "select * from marts.t"},
            "expectations": [{"type": "expect_no_such_thing", "kwargs": {}}],
        },
        {"name": "bad_sql", "meta": {"query": "select * from marts.missing"}, "expectations": []},
    ]
    result = run_audit(_build(tmp_path), None, tmp_path / "gx", suites=suites)
    assert not result.passed
    assert {e.suite for e in result.errors} == {"typo", "bad_sql"}


def test_landing_suite_names_a_record_for_each_bad_value_in_the_raw_layer(tmp_path):
    """The shipped landing suite reads distinct values, yet still fails on one bad row and names it."""
    from ipskpi.audit import load_suites

    raw = tmp_path / "raw.duckdb"
    con = duckdb.connect(str(raw))
    con.execute("create schema provider_returns")
    con.execute(
        "create table provider_returns.referrals as select * from (values "
        "('RX4', 'R1', '30', 'Y', false), ('RX4', 'R2', '30', 'Y', false), ('RX4', 'R3', '120', 'Y', false), "
        "('RX4', 'R4', '150', 'N', true)) "
        "as v(provider_code, referral_id, age_at_referral, accepted, _is_superseded)"
    )
    con.execute(
        "create table provider_returns.jobs as select * from (values "
        "('RX4', 'J1', '16', 'Y', false), ('RX4', 'J2', '0', 'Y', false), ('RX4', null, '16', 'Y', false)) "
        "as v(provider_code, job_id, hours_per_week, worked_4_hours, _is_superseded)"
    )
    con.close()
    (suite,) = [s for s in load_suites() if s["name"] == "landing__provider_returns"]
    result = run_audit(_build(tmp_path), None, tmp_path / "gx", suites=[suite], raw_db=raw)
    failed = {e.column: e for e in result.errors}
    assert set(failed) == {"age", "hours", "record_id"}, failed
    assert [r["record_id"] for r in failed["age"].unexpected_rows] == ["R3"]  # R4 is superseded
    assert [r["record_id"] for r in failed["hours"].unexpected_rows] == ["J2"]
    assert failed["record_id"].unexpected_count == 1


def _scorecards(tmp_path, public_sum, public_mean):
    """The issue-13 avg_hours_per_week quarter: England 51 job starts, NQV02's 2 hidden."""
    path = tmp_path / "build.duckdb"
    con = duckdb.connect(str(path))
    con.execute("create schema marts")
    # The registry row of a mean: its denominator (job starts) is the count, the value
    # is published without its sum (dim_kpis, as seeds/kpi_catalogue.csv has it).
    con.execute(
        "create table marts.dim_kpis as select 'avg_hours_per_week' as kpi_code, 'mean' as unit, "
        "false as is_numerator_a_count, true as is_denominator_a_count, false as is_value_a_count, "
        "'mean_without_sum' as public_value"
    )
    figures = [("RX4", 244.5, 12), ("RXT", 256, 14), ("NQV01", 157, 10), ("TAF", 251, 13), ("NQV02", 57, 2)]
    figures.append(("ENG", sum(f[1] for f in figures), sum(f[2] for f in figures)))
    ddl = (
        "(org_code varchar, org_level varchar, period_type varchar, period_start date, period_end date,"
        " kpi_code varchar, breakdown_type varchar, breakdown_value varchar, numerator decimal(28,6),"
        " denominator decimal(28,6), value decimal(28,6), is_suppressed boolean)"
    )
    con.execute(f"create table marts.fct_kpi_scorecard {ddl}")
    con.execute(f"create table marts.fct_kpi_scorecard_public {ddl}")
    for org, hours, starts in figures:
        level = "england" if org == "ENG" else "provider"
        key = (org, level, "quarter", "2024-07-01", "2024-09-30", "avg_hours_per_week", None, None)
        hidden = starts < 5
        public = (
            None if hidden else public_sum(hours),
            None if hidden else round(starts / 5) * 5,
            None if hidden else public_mean(hours / starts),
        )
        con.execute(
            "insert into marts.fct_kpi_scorecard values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (*key, hours, starts, hours / starts, False),
        )
        con.execute(
            "insert into marts.fct_kpi_scorecard_public values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (*key, *public, hidden),
        )
    con.close()
    return path


def test_the_disclosure_suite_blocks_a_public_scorecard_that_gives_a_hidden_count_back(tmp_path):
    suite = next(s for s in load_suites() if s["name"] == "disclosure__differencing")
    build = _scorecards(tmp_path, public_sum=lambda hours: hours, public_mean=lambda mean: round(mean, 6))

    result = run_audit(build, None, tmp_path / "gx", suites=[suite])

    assert not result.passed
    (error,) = result.errors  # the hidden NQV02 recovered: critical
    assert [(row["org_code"], row["column"]) for row in error.unexpected_rows] == [("NQV02", "denominator")]
    (warning,) = result.warnings  # England's exact 51 (and the providers'): a warning
    assert ("ENG", "denominator") in {(row["org_code"], row["column"]) for row in warning.unexpected_rows}


def test_the_disclosure_suite_passes_a_mean_without_its_sum_and_to_one_decimal(tmp_path):
    suite = next(s for s in load_suites() if s["name"] == "disclosure__differencing")
    build = _scorecards(tmp_path, public_sum=lambda hours: None, public_mean=lambda mean: round(mean, 1))

    result = run_audit(build, None, tmp_path / "gx", suites=[suite])

    assert result.passed, [o.description for o in result.errors]
    assert {o.suite for o in result.outcomes} == {"disclosure__differencing"} and not result.warnings


def test_the_audit_records_its_differencing_check_and_the_next_night_checks_in_proportion(tmp_path):
    suite = next(s for s in load_suites() if s["name"] == "disclosure__differencing")
    build = _scorecards(tmp_path, public_sum=lambda hours: None, public_mean=lambda mean: round(mean, 1))
    first = run_audit(build, None, tmp_path / "gx", suites=[suite])
    assert first.disclosure_check.startswith("full check: 1 of 1 parts"), first.disclosure_check
    # The release as publish writes it: the marts in main, the audit's record beside them.
    published = tmp_path / "restricted.duckdb"
    con = duckdb.connect(str(published))
    con.execute(sql.attach("build", build, "read_only"))
    for table in ("dim_kpis", "fct_kpi_scorecard", "fct_kpi_scorecard_public"):
        con.execute(f"create table main.{table} as select * from build.marts.{table}")
    con.execute("create schema disclosure_check")
    for table in ("checker", "part_facts"):
        con.execute(f"create table disclosure_check.{table} as select * from build.disclosure_check.{table}")
    con.close()

    second = run_audit(build, published, tmp_path / "gx", suites=[suite])

    assert second.passed and second.disclosure_check.startswith("proportional check: 0 of 1 parts")


def test_an_audit_without_the_differencing_suite_drops_a_record_carried_from_the_last_build(tmp_path):
    # A build started from the last published one carries its disclosure_check: without
    # this night's check it would be published beside a scorecard it does not describe.
    suite = next(s for s in load_suites() if s["name"] == "disclosure__differencing")
    build = _scorecards(tmp_path, public_sum=lambda hours: None, public_mean=lambda mean: round(mean, 1))
    run_audit(build, None, tmp_path / "gx", suites=[suite])
    other = next(s for s in load_suites() if s["name"] == "fct_kpi_scorecard")

    result = run_audit(build, None, tmp_path / "gx", suites=[other])

    con = duckdb.connect(str(build), read_only=True)
    schemas = {row[0] for row in con.execute("select schema_name from duckdb_schemas()").fetchall()}
    con.close()
    assert result.disclosure_check is None and "disclosure_check" not in schemas


def test_a_suite_reads_only_the_columns_its_expectations_name(tmp_path):
    build = tmp_path / "build.duckdb"
    con = duckdb.connect(str(build))
    con.execute("create schema marts")
    con.execute(
        "create table marts.wide as select * from (values ('P1', 'k1', 0.5, 'long text', 7)) "
        "as v(org_code, kpi_code, value, note, other)"
    )
    rates = {
        "name": "rates",
        "meta": {"query": "select * from marts.wide;", "id_columns": ["org_code"]},
        "expectations": [
            {
                "type": "expect_column_values_to_be_between",
                "kwargs": {"column": "value", "max_value": 1, "row_condition": 'kpi_code=="k1"'},
            },
            {"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 1}},
        ],
    }
    shape = {
        "name": "shape",
        "meta": {"query": "select * from marts.wide"},
        "expectations": [
            {
                "type": "expect_table_columns_to_match_ordered_list",
                "kwargs": {"column_list": ["org_code", "kpi_code", "value", "note", "other"]},
            }
        ],
    }
    count_only = {
        "name": "count",
        "meta": {"query": "select * from marts.wide"},
        "expectations": [{"type": "expect_table_row_count_to_be_between", "kwargs": {"max_value": 1}}],
    }
    assert suite_columns(shape) is None
    assert list(_suite_frame(con, rates).columns) == ["org_code", "kpi_code", "value"]
    assert list(_suite_frame(con, shape).columns) == ["org_code", "kpi_code", "value", "note", "other"]
    assert list(_suite_frame(con, count_only).columns) == ["org_code"]
    con.close()
    result = run_audit(build, None, tmp_path / "gx", suites=[rates, shape, count_only])
    assert result.passed and len(result.outcomes) == 4


def test_a_column_an_expectation_names_but_the_query_lacks_is_reported_missing(tmp_path):
    suite = {
        "name": "missing",
        "meta": {"query": "select * from marts.t"},
        "expectations": [
            {
                "type": "expect_column_values_to_not_be_null",
                "kwargs": {"column": "absent"},
                "severity": "critical",
            }
        ],
    }
    result = run_audit(_build(tmp_path), None, tmp_path / "gx", suites=[suite])
    assert not result.passed
    (error,) = result.errors
    assert error.column == "absent"
