"""The differencing attack (ipskpi.disclosure) on small hand-made scorecards.

Each case is the restricted scorecard's rows with what the public scorecard publishes
for them; the attack must find exactly the cells a person could work out by hand, and
nothing once the publication follows the disclosure rule.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from ipskpi.disclosure import analyse, find_leaks

Q2 = (dt.date(2024, 7, 1), dt.date(2024, 9, 30))

# The KPI registry's flags (dim_kpis: is_numerator_a_count, is_denominator_a_count,
# is_value_a_count) of the catalogue's KPIs of each unit.
REGISTRY_FLAGS = {
    "count": (True, False, True),
    "rate": (True, True, False),
    "ratio": (True, True, False),
    "per_wte": (True, False, False),
    "mean": (False, True, False),
    "median_days": (False, True, False),
    "gbp": (False, True, False),
    "score": (False, False, False),
    "wte": (False, False, False),
}


def row(org, kpi, unit, true, public, *, suppressed=False, period=("quarter", *Q2), breakdown=(None, None)):
    """One joined row: true/public are (numerator, denominator, value)."""
    period_type, start, end = period
    as_decimal = [None if v is None else Decimal(str(v)) for v in (*true, *public)]
    return {
        "org_code": org,
        "org_level": "england" if org == "ENG" else "provider",
        "period_type": period_type,
        "period_start": start,
        "period_end": end,
        "kpi_code": kpi,
        "breakdown_type": breakdown[0],
        "breakdown_value": breakdown[1],
        "unit": unit,
        "is_numerator_a_count": REGISTRY_FLAGS[unit][0],
        "is_denominator_a_count": REGISTRY_FLAGS[unit][1],
        "is_value_a_count": REGISTRY_FLAGS[unit][2],
        "true_numerator": as_decimal[0],
        "true_denominator": as_decimal[1],
        "true_value": as_decimal[2],
        "public_numerator": as_decimal[3],
        "public_denominator": as_decimal[4],
        "public_value": as_decimal[5],
        "is_suppressed": suppressed,
    }


def test_the_issue_13_attack_an_exact_mean_beside_its_exact_sum_gives_back_the_count_and_then_the_hidden_provider():
    # The bundled sample's avg_hours_per_week, Q2 2024-25 (issue 13): England's exact sum
    # over its exact mean is 51 job starts; the visible providers' sum to 49; NQV02 is 2.
    providers = {"RX4": (244.5, 12), "RXT": (256, 14), "NQV01": (157, 10), "TAF": (251, 13)}
    rows = [
        row(org, "avg_hours_per_week", "mean", (s, n, s / n), (s, round(n / 5) * 5, round(s / n, 6)))
        for org, (s, n) in providers.items()
    ]
    rows.append(
        row("NQV02", "avg_hours_per_week", "mean", (57, 2, 28.5), (None, None, None), suppressed=True)
    )
    rows.append(row("ENG", "avg_hours_per_week", "mean", (965.5, 51, 965.5 / 51), (965.5, 50, 18.931373)))

    report = analyse(rows)

    recovered = {(leak.key[0], leak.column, leak.true_value) for leak in report.suppressed_recovered}
    exact = {(leak.key[0], leak.column, leak.true_value) for leak in report.exact_counts}
    assert recovered == {("NQV02", "denominator", 2)}
    assert ("ENG", "denominator", 51) in exact
    assert ("RXT", "denominator", 14) in exact


def test_the_same_figures_under_the_rule_mean_without_its_sum_and_to_one_decimal_give_nothing_back():
    providers = {"RX4": (244.5, 12), "RXT": (256, 14), "NQV01": (157, 10), "TAF": (251, 13)}
    rows = [
        row(org, "avg_hours_per_week", "mean", (s, n, s / n), (None, round(n / 5) * 5, round(s / n, 1)))
        for org, (s, n) in providers.items()
    ]
    rows.append(
        row("NQV02", "avg_hours_per_week", "mean", (57, 2, 28.5), (None, None, None), suppressed=True)
    )
    rows.append(row("ENG", "avg_hours_per_week", "mean", (965.5, 51, 965.5 / 51), (None, 50, 18.9)))

    report = analyse(rows)

    assert report.leaks == []


def test_england_minus_the_other_providers_pins_a_hidden_count_when_zeros_are_shown():
    # England 7 (published 5: 5-7), P1 5 (5-7), P2 and P3 hidden (1-4 each, as zeros are
    # shown): P2 + P3 <= 7 - 5 = 2, so both are 1. P4 publishes its 0.
    rows = [
        row("ENG", "job_starts", "count", (7, None, 7), (5, None, 5)),
        row("P1", "job_starts", "count", (5, None, 5), (5, None, 5)),
        row("P2", "job_starts", "count", (1, None, 1), (None, None, None), suppressed=True),
        row("P3", "job_starts", "count", (1, None, 1), (None, None, None), suppressed=True),
        row("P4", "job_starts", "count", (0, None, 0), (0, None, 0)),
    ]

    report = analyse(rows)

    assert sorted((leak.key[0], leak.true_value) for leak in report.suppressed_recovered) == [
        ("P2", 1),
        ("P3", 1),
    ]
    assert [(leak.key[0], leak.true_value) for leak in report.exact_counts] == [("ENG", 7), ("P1", 5)]


def test_hiding_zeros_and_a_secondary_cell_leaves_every_hidden_count_open():
    rows = [
        row("ENG", "job_starts", "count", (12, None, 12), (10, None, 10)),
        row("P1", "job_starts", "count", (6, None, 6), (None, None, None), suppressed=True),  # secondary
        row("P2", "job_starts", "count", (1, None, 1), (None, None, None), suppressed=True),
        row("P3", "job_starts", "count", (5, None, 5), (5, None, 5)),
        row("P4", "job_starts", "count", (0, None, 0), (None, None, None), suppressed=True),
    ]

    assert analyse(rows).leaks == []


def test_a_breakdown_forced_to_its_maximum_gives_back_both_hidden_categories():
    # Headline 8 (published 10: 8-12) with two hidden categories (0-4 each): both are 4.
    rows = [
        row("P1", "job_starts", "count", (8, None, 8), (10, None, 10)),
        row(
            "P1",
            "job_starts",
            "count",
            (4, None, 4),
            (None, None, None),
            suppressed=True,
            breakdown=("ct", "a"),
        ),
        row(
            "P1",
            "job_starts",
            "count",
            (4, None, 4),
            (None, None, None),
            suppressed=True,
            breakdown=("ct", "b"),
        ),
    ]

    report = analyse(rows, org_parents={})

    assert sorted(leak.key[5] for leak in report.suppressed_recovered) == ["a", "b"]


def test_periods_add_up_a_quarter_minus_its_visible_months_gives_the_hidden_month():
    months = [
        ("month", dt.date(2024, 7, 1), dt.date(2024, 7, 31), 0, 0),
        ("month", dt.date(2024, 8, 1), dt.date(2024, 8, 31), 2, None),
        ("month", dt.date(2024, 9, 1), dt.date(2024, 9, 30), 0, 0),
    ]
    rows = [
        row("P1", "job_starts", "count", (n, None, n), (p, None, p), suppressed=p is None, period=(t, s, e))
        for t, s, e, n, p in months
    ]
    rows.append(row("P1", "job_starts", "count", (2, None, 2), (None, None, None), suppressed=True))

    report = analyse(rows, org_parents={})

    # Zeros are shown, so the hidden month and quarter are 1-4 and equal: not pinned.
    assert report.leaks == []
    assert report.relations == {"periods": 1}


def test_an_exact_per_wte_figure_times_the_published_wte_gives_back_the_caseload():
    rows = [
        row("P1", "caseload_per_es", "per_wte", (62, 3, 62 / 3), (60, 3, 20.666667)),
    ]

    assert [(leak.column, leak.true_value) for leak in analyse(rows).exact_counts] == [("numerator", 62)]

    rows = [row("P1", "caseload_per_es", "per_wte", (62, 3, 62 / 3), (60, 3, 20))]

    assert analyse(rows).leaks == []


def test_a_median_ending_in_half_says_the_count_is_even():
    # 6 records published as 5 (5-7): a median of 12.5 days means an even count, so 6.
    rows = [row("P1", "days_to_first_employer_contact", "median_days", (None, 6, 12.5), (None, 5, 12.5))]

    assert [(leak.column, leak.true_value) for leak in analyse(rows).exact_counts] == [("denominator", 6)]

    rows = [row("P1", "days_to_first_employer_contact", "median_days", (None, 6, 12.5), (None, 5, 13))]

    assert analyse(rows).leaks == []


def test_a_relation_that_does_not_hold_exactly_is_never_credited_to_the_attacker():
    # active_caseload is at the period end: a quarter is not the sum of its months.
    months = [
        ("month", dt.date(2024, 7, 1), dt.date(2024, 7, 31), 7, 5),
        ("month", dt.date(2024, 8, 1), dt.date(2024, 8, 31), 5, 5),
        ("month", dt.date(2024, 9, 1), dt.date(2024, 9, 30), 3, None),
    ]
    rows = [
        row(
            "P1",
            "active_caseload",
            "count",
            (n, None, n),
            (p, None, p),
            suppressed=p is None,
            period=(t, s, e),
        )
        for t, s, e, n, p in months
    ]
    rows.append(row("P1", "active_caseload", "count", (3, None, 3), (None, None, None), suppressed=True))

    report = analyse(rows, org_parents={})

    assert report.relations == {}
    assert report.leaks == []


def test_a_generic_hierarchy_provider_icb_england_is_checked_at_every_level():
    # ICB Q1 = P1 + P2, ICB Q2 = P3, England = Q1 + Q2. Q1's 8 is published as 10 (8-12)
    # over two hidden providers (0-4 each): both must be 4. Only the ICB level shows it:
    # England (18, published 20) minus P3 (10) leaves P1 + P2 anywhere from 4 to 8.
    rows = [
        row("ENG", "job_starts", "count", (18, None, 18), (20, None, 20)),
        row("Q1", "job_starts", "count", (8, None, 8), (10, None, 10)),
        row("Q2", "job_starts", "count", (10, None, 10), (10, None, 10)),
        row("P1", "job_starts", "count", (4, None, 4), (None, None, None), suppressed=True),
        row("P2", "job_starts", "count", (4, None, 4), (None, None, None), suppressed=True),
        row("P3", "job_starts", "count", (10, None, 10), (10, None, 10)),
    ]
    for r in rows:
        r["org_level"] = {"ENG": "england", "Q1": "icb", "Q2": "icb"}.get(r["org_code"], "provider")

    report = analyse(rows, org_parents={"Q1": "ENG", "Q2": "ENG", "P1": "Q1", "P2": "Q1", "P3": "Q2"})

    assert report.relations == {"organisations": 3}
    assert sorted((leak.key[0], leak.true_value) for leak in report.suppressed_recovered) == [
        ("P1", 4),
        ("P2", 4),
    ]

    flat = [r for r in rows if r["org_level"] != "icb"]
    assert analyse(flat, org_parents={"P1": "ENG", "P2": "ENG", "P3": "ENG"}).suppressed_recovered == []
    with pytest.raises(ValueError, match="org_parents"):
        analyse(rows)  # a level the default hierarchy does not know is refused, not skipped


def test_find_leaks_reads_the_registry_flags_and_a_zero_filled_category_as_a_count_of_0():
    # The public scorecard has a row (hidden) for April's lt_5 band that the restricted
    # scorecard does not: a zero-filled category, read with a true count of 0. Which
    # columns are counts comes from dim_kpis, not from the unit ('odd' here).
    import duckdb

    con = duckdb.connect()
    con.execute(
        "create table dim_kpis as select 'job_starts' as kpi_code, 'odd' as unit, true as is_numerator_a_count, "
        "false as is_denominator_a_count, true as is_value_a_count, 'rounded_count' as public_value"
    )
    columns = (
        "org_code varchar, org_level varchar, period_type varchar, period_start date, period_end date, "
        "kpi_code varchar, breakdown_type varchar, breakdown_value varchar, numerator decimal(18, 6), "
        "denominator decimal(18, 6), value decimal(18, 6), is_suppressed boolean"
    )
    con.execute(f"create table fct_kpi_scorecard ({columns})")
    con.execute(f"create table fct_kpi_scorecard_public ({columns})")
    april = "'P1', 'provider', 'month', date '2024-04-01', date '2024-04-30', 'job_starts'"
    con.execute(
        f"insert into fct_kpi_scorecard values ({april}, null, null, 6, null, 6, false), "
        f"({april}, 'hours_band', 'gt_16', 6, null, 6, false)"
    )
    con.execute(
        f"insert into fct_kpi_scorecard_public values ({april}, null, null, 5, null, 5, false), "
        f"({april}, 'hours_band', 'gt_16', 5, null, 5, false), "
        f"({april}, 'hours_band', 'lt_5', null, null, null, true)"
    )

    report = find_leaks(con)

    assert (report.cells, report.suppressed_cells, report.rounded_cells) == (3, 1, 2), report.summary()
    assert report.relations == {"breakdowns": 1}, report.summary()
    assert report.leaks == [] and report.contradictions == []


def _scorecard_con(rows, organisations):
    """A DuckDB connection holding the scorecards of ``rows`` (org, level, true, public,
    suppressed: job starts, April 2024) and dim_organisations (org, level, parent)."""
    import duckdb

    con = duckdb.connect()
    con.execute(
        "create table dim_kpis as select 'job_starts' as kpi_code, 'count' as unit, true as is_numerator_a_count, "
        "false as is_denominator_a_count, true as is_value_a_count, 'rounded_count' as public_value"
    )
    columns = (
        "org_code varchar, org_level varchar, period_type varchar, period_start date, period_end date, "
        "kpi_code varchar, breakdown_type varchar, breakdown_value varchar, numerator decimal(18, 6), "
        "denominator decimal(18, 6), value decimal(18, 6), is_suppressed boolean"
    )
    con.execute(f"create table fct_kpi_scorecard ({columns})")
    con.execute(f"create table fct_kpi_scorecard_public ({columns})")
    april = ["month", dt.date(2024, 4, 1), dt.date(2024, 4, 30), "job_starts", None, None]
    for org, level, true, public, suppressed in rows:
        con.execute(
            "insert into fct_kpi_scorecard values (?, ?, ?, ?, ?, ?, ?, ?, ?, null, ?, false)",
            [org, level, *april, true, true],
        )
        con.execute(
            "insert into fct_kpi_scorecard_public values (?, ?, ?, ?, ?, ?, ?, ?, ?, null, ?, ?)",
            [org, level, *april, public, public, suppressed],
        )
    con.execute(
        "create table dim_organisations (org_code varchar, org_level varchar, parent_org_code varchar)"
    )
    con.executemany("insert into dim_organisations values (?, ?, ?)", organisations)
    return con


ICB_CHAIN = [
    ("P1", "provider", "Q1"),
    ("P2", "provider", "Q1"),
    ("P3", "provider", "Q1"),
    ("P4", "provider", "Q2"),
    ("Q1", "icb", "Y1"),
    ("Q2", "icb", "Y1"),
    ("Y1", "region", "ENG"),
    ("ENG", "england", None),
]


def test_an_icb_minus_its_one_visible_provider_pins_the_hidden_ones_and_dim_organisations_says_so():
    # Issue 15. ICB Q1 = P1 + P2 + P3: Q1's 7 is published as 5 (5-7), P1's 5 as 5 (5-7),
    # P2 and P3 are hidden (1-4, as P4's 0 is shown): Q1 minus P1 leaves P2 + P3 <= 2, so
    # both are 1. England (57, published 55) minus the rest leaves them open: only the ICB
    # level, read from dim_organisations' parents, shows it. A single-child region (Y1 =
    # Q1 + Q2) and a single-region England are groups of their own.
    rows = [
        ("ENG", "england", 57, 55, False),
        ("Y1", "region", 57, 55, False),
        ("Q1", "icb", 7, 5, False),
        ("Q2", "icb", 50, 50, False),
        ("P1", "provider", 5, 5, False),
        ("P2", "provider", 1, None, True),
        ("P3", "provider", 1, None, True),
        ("P4", "provider", 50, 50, False),
        ("P5", "provider", 0, 0, False),
    ]
    organisations = [*ICB_CHAIN, ("P5", "provider", "Q2")]

    report = find_leaks(_scorecard_con(rows, organisations))

    assert sorted((leak.key[0], leak.true_value) for leak in report.suppressed_recovered) == [
        ("P2", 1),
        ("P3", 1),
    ]
    assert report.relations == {"organisations": 4}, report.summary()

    # Hiding P1 too (the secondary suppression int_public_groups' ICB group asks for)
    # leaves every hidden count open; the flat provider -> England check never saw it.
    protected = [(o, lvl, t, None if o == "P1" else p, s or o == "P1") for o, lvl, t, p, s in rows]
    assert find_leaks(_scorecard_con(protected, organisations)).leaks == []
    flat = [r for r in rows if r[1] in ("provider", "england")]
    flat_parents = [(o, lvl, "ENG" if lvl == "provider" else None) for o, lvl, *_ in flat]
    assert find_leaks(_scorecard_con(flat, flat_parents)).suppressed_recovered == []


def test_a_scorecard_without_icb_rows_still_gets_provider_to_england_from_dim_organisations():
    # dim_organisations says P1 -> Q1 -> Y1 -> ENG, but the scorecard has providers and
    # England only: the nearest published ancestor (England) is each provider's parent, so
    # the England = providers relation is still used, never silently dropped.
    rows = [
        ("ENG", "england", 6, 5, False),
        ("P1", "provider", 5, 5, False),
        ("P2", "provider", 1, None, True),
        ("P3", "provider", 0, 0, False),
    ]
    organisations = [
        ("P1", "provider", "Q1"),
        ("P2", "provider", "Q1"),
        ("P3", "provider", "Q1"),
        *ICB_CHAIN[4:],
    ]

    report = find_leaks(_scorecard_con(rows, organisations))

    assert report.relations == {"organisations": 1}, report.summary()
