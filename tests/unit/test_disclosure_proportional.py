"""The differencing check in proportion to what changed (ipskpi.disclosure.check_in_proportion).

Each night is a real DuckDB file holding small hand-made scorecards (four providers and
England, two financial years of months, quarters and years); the night before is
attached read-only as the previous release, with the facts its check recorded. The
check in proportion must give exactly the full check's leaks (``find_leaks``).
"""

from __future__ import annotations

import datetime as dt
import math
import random
from pathlib import Path

import duckdb
import pandas as pd

from ipskpi import sql
from ipskpi.disclosure import AUDIT_SCHEMA, DisclosureReport, check_in_proportion, find_leaks, write_state

PROVIDERS = ("P1", "P2", "P3", "P4")
YEARS = (2022, 2023, 2024)
# kpi_code -> unit, is_numerator_a_count, is_denominator_a_count, is_value_a_count
KPIS = {
    "job_starts": ("count", True, False, True),
    "referrals": ("count", True, False, True),
    "job_rate": ("rate", True, True, False),
}
PARTS = len(KPIS) * len(YEARS)  # (KPI, financial year)
COLUMNS = (
    "org_code varchar, org_level varchar, period_type varchar, period_start date, period_end date, "
    "kpi_code varchar, breakdown_type varchar, breakdown_value varchar, numerator decimal(18, 6), "
    "denominator decimal(18, 6), value decimal(18, 6), is_suppressed boolean"
)

NAMES = [column.split()[0] for column in COLUMNS.replace("(18, 6)", "").split(", ")]


def _month_end(start: dt.date) -> dt.date:
    following = dt.date(start.year + (start.month == 12), start.month % 12 + 1, 1)
    return following - dt.timedelta(days=1)


def _periods() -> list[tuple[str, dt.date, dt.date]]:
    periods = []
    for year in YEARS:
        months = [dt.date(year + (m < 4), m, 1) for m in (*range(4, 13), 1, 2, 3)]
        periods += [("month", m, _month_end(m)) for m in months]
        periods += [("quarter", months[q], _month_end(months[q + 2])) for q in (0, 3, 6, 9)]
        periods.append(("financial_year", months[0], _month_end(months[-1])))
    return periods


PERIODS = _periods()
MONTHS = [p[1] for p in PERIODS if p[0] == "month"]


def quiet_values() -> dict[tuple[str, str, dt.date], tuple[int, int]]:
    """Every count 10 of 20 (so no relation pins anything): a background for planted patterns."""
    return {(kpi, provider, month): (10, 20) for kpi in KPIS for provider in PROVIDERS for month in MONTHS}


def base_values(rng: random.Random) -> dict[tuple[str, str, dt.date], tuple[int, int]]:
    """(kpi, provider, month) -> (numerator, denominator): quiet counts (10 of 20) with a
    few small ones, so that some parts leak and others do not."""
    values = quiet_values()
    for key in values:
        if rng.random() < 0.03:
            numerator = rng.choice((0, 1, 2, 3, 5, 6, 7, 8, 12))
            values[key] = (numerator, numerator + rng.choice((0, 3, 5, 8)))
    return values


def _published(count: int, zeros: bool) -> int | None:
    if count == 0:
        return 0 if zeros else None
    if count <= 4:
        return None
    return int(math.floor(count / 5 + 0.5) * 5)


def scorecards(values, *, breaks=None, zeros=False, drop=(), hide=()):
    """The restricted and public scorecard rows; ``breaks`` adds to a row's numerator, so a
    relation no longer holds there; ``drop`` leaves rows out of both scorecards and ``hide``
    hides them in the public one (org, period type, start, KPI). The public rates are the
    true ratios (a leaky rule, on purpose)."""
    breaks = breaks or {}
    restricted, public = [], []
    for kpi, (unit, *_) in KPIS.items():
        for period_type, start, end in PERIODS:
            for org in (*PROVIDERS, "ENG"):
                members = PROVIDERS if org == "ENG" else (org,)
                cells = [values[(kpi, p, m)] for p in members for m in MONTHS if start <= m <= end]
                numerator = sum(c[0] for c in cells) + breaks.get((org, period_type, start, kpi), 0)
                denominator = sum(c[1] for c in cells)
                level = "england" if org == "ENG" else "provider"
                key = (org, level, period_type, start, end, kpi, None, None)
                if (org, period_type, start, kpi) in drop:
                    continue
                if unit == "count":
                    pub = _published(numerator, zeros)
                    restricted.append((*key, numerator, None, numerator, False))
                    public.append((*key, pub, None, pub, pub is None))
                else:
                    ratio = numerator / denominator if denominator else None
                    pub_n, pub_d = _published(numerator, zeros), _published(denominator, zeros)
                    hidden = pub_n is None or pub_d is None
                    shown = None if hidden or ratio is None else round(ratio, 6)
                    restricted.append((*key, numerator, denominator, ratio, False))
                    public.append((*key, pub_n, pub_d, shown, hidden))
                if (org, period_type, start, kpi) in hide:
                    public[-1] = (*key, None, None, None, True)
    return restricted, public


def night(
    path: Path,
    values,
    *,
    previous: Path | None = None,
    breaks=None,
    zeros: bool = False,
    parents: dict[str, str] | None = None,
    drop=(),
    hide=(),
    flags=None,
) -> tuple[DisclosureReport, DisclosureReport]:
    """One night: the scorecards in ``path``, checked in proportion against ``previous`` and
    in full; the check in proportion is recorded (as the audit does) for the next night."""
    restricted, public = scorecards(values, breaks=breaks, zeros=zeros, drop=drop, hide=hide)
    con = duckdb.connect(str(path))
    try:
        for table, rows in (("fct_kpi_scorecard", restricted), ("fct_kpi_scorecard_public", public)):
            con.execute(f"create table {table} ({COLUMNS})")
            frame = pd.DataFrame(rows, columns=NAMES, dtype=object)  # one insert, not a row at a time
            con.register("new_rows", frame)
            con.execute(f"insert into {table} select * from new_rows")
            con.unregister("new_rows")
        con.execute(
            "create table dim_kpis (kpi_code varchar, unit varchar, is_numerator_a_count boolean, "
            "is_denominator_a_count boolean, is_value_a_count boolean, public_value varchar)"
        )
        con.executemany(
            "insert into dim_kpis values (?, ?, ?, ?, ?, 'rounded')",
            [(kpi, *kpi_flags) for kpi, kpi_flags in (flags or KPIS).items()],
        )
        con.execute("create table dim_organisations (org_code varchar, parent_org_code varchar)")
        parents = parents if parents is not None else {p: "ENG" for p in PROVIDERS}
        con.executemany("insert into dim_organisations values (?, ?)", [*parents.items(), ("ENG", None)])
        if previous is not None:
            con.execute(sql.attach("previous", previous, "read_only"))
        proportional = check_in_proportion(con, previous="previous" if previous else None)
        full = find_leaks(con)
        write_state(con, proportional)
    finally:
        con.close()
    return proportional, full


def leaks(report: DisclosureReport) -> list[dict]:
    return [leak.as_dict() for leak in report.leaks]


def leaks_in(report: DisclosureReport, kpi: str, year: int) -> list[dict]:
    fy_start, fy_end = dt.date(year, 4, 1), dt.date(year + 1, 3, 31)
    return [
        leak
        for leak in leaks(report)
        if leak["kpi_code"] == kpi and fy_start <= leak["period_start"] <= fy_end
    ]


def plant_pinned_month(values, kpi: str, month: dt.date) -> None:
    """Four providers' 7 (published 5: 5-7) beside England's 28 (published 30: 28-32): with
    England = the sum of its providers, every one of them is pinned at 7."""
    for provider in PROVIDERS:
        values[(kpi, provider, month)] = (7, 7)


def test_the_check_in_proportion_equals_the_full_check_over_random_edits(tmp_path):
    read_less = 0
    for seed in range(10):
        rng = random.Random(seed)
        values, breaks, zeros = base_values(rng), {}, rng.random() < 0.5
        previous = None
        for number in range(3):
            if number:
                for _ in range(rng.randint(1, 3)):
                    edit = rng.choice(("value", "value", "break", "fives", "zeros"))
                    kpi, provider, month = rng.choice(list(values))
                    if edit == "value":
                        numerator = rng.choice((0, 1, 2, 3, 4, 5, 7, 9, 10, 13))
                        values[(kpi, provider, month)] = (numerator, numerator + rng.choice((0, 2, 5)))
                    elif edit == "break":
                        period = rng.choice([p for p in PERIODS if p[0] != "month"])
                        org_period = (rng.choice(("ENG", provider)), period[0], period[1], kpi)
                        breaks[org_period] = 0 if org_period in breaks else rng.choice((1, 3))
                    elif edit == "fives":  # a KPI-year whose every count becomes a multiple of 5
                        year = month.year - (month.month < 4)
                        for key, (n, d) in list(values.items()):
                            if key[0] == kpi and key[2].year - (key[2].month < 4) == year:
                                values[key] = (5 * round(n / 5), 5 * round(d / 5))
                    else:
                        zeros = not zeros
            path = tmp_path / f"seed{seed}_night{number}.duckdb"
            proportional, full = night(path, values, previous=previous, breaks=breaks, zeros=zeros)
            assert leaks(proportional) == leaks(full), (seed, number, proportional.describe_mode())
            assert proportional.mode == ("proportional" if number else "full")
            read_less += proportional.parts_read < proportional.parts_total
            previous = path
    assert read_less >= 5  # it reads in proportion, not everything every time


def test_a_family_failing_only_in_an_unread_year_is_still_not_credited(tmp_path):
    # England's FY 2023 April is not the sum of its providers: the organisations family of
    # job_starts fails there, so an attacker is credited with it nowhere, and FY 2024's
    # pattern that it would pin stays unpinned, though only FY 2024 is read.
    values = quiet_values()
    plant_pinned_month(values, "job_starts", dt.date(2024, 6, 1))
    breaks = {("ENG", "month", dt.date(2023, 4, 1), "job_starts"): 1}
    night(tmp_path / "one.duckdb", values, breaks=breaks)
    values[("job_starts", "P1", dt.date(2024, 9, 1))] = (15, 15)  # FY 2024 changes

    proportional, full = night(
        tmp_path / "two.duckdb", values, previous=tmp_path / "one.duckdb", breaks=breaks
    )

    assert proportional.mode == "proportional"
    assert (proportional.parts_read, proportional.parts_total) == (1, PARTS)  # job_starts FY 2024 only
    assert leaks(proportional) == leaks(full) == []
    # Without the break the same month is pinned: the family is what protects it.
    _, unbroken = night(tmp_path / "three.duckdb", values)
    assert {leak["org_code"] for leak in leaks_in(unbroken, "job_starts", 2024)} == {*PROVIDERS, "ENG"}


def test_a_year_corrected_so_a_family_holds_everywhere_rechecks_the_kpis_unchanged_years(tmp_path):
    # FY 2023 holds the pinnable pattern, but FY 2024's break keeps the organisations family
    # uncredited. Correcting FY 2024 credits it everywhere: FY 2023, unchanged, is re-read
    # and its pinned providers are found, as the full check finds them.
    values = quiet_values()
    plant_pinned_month(values, "job_starts", dt.date(2023, 6, 1))
    breaks = {("ENG", "quarter", dt.date(2024, 7, 1), "job_starts"): 3}
    first, _ = night(tmp_path / "one.duckdb", values, breaks=breaks)
    assert leaks(first) == []

    proportional, full = night(tmp_path / "two.duckdb", values, previous=tmp_path / "one.duckdb")

    assert proportional.mode == "proportional"
    assert (proportional.parts_read, proportional.parts_total) == (len(YEARS), PARTS)  # every year
    assert leaks(proportional) == leaks(full)
    assert {leak["org_code"] for leak in leaks_in(proportional, "job_starts", 2023)} == {*PROVIDERS, "ENG"}


def test_a_kpi_whose_counts_stop_being_all_multiples_of_5_is_checked_in_every_year(tmp_path):
    # job_rate's counts are all multiples of 5 (read as exact: nothing rounded to give
    # back). One count of 7 in FY 2024 makes every count of the KPI a rounded one, and
    # FY 2023's true ratios beside their rounded parts (10 / 15: 8-12 / 13-17) now pin
    # them: FY 2023, unchanged, is re-read. And back: all multiples of 5 re-reads every year.
    values = quiet_values()
    for provider in PROVIDERS:
        values[("job_rate", provider, dt.date(2023, 6, 1))] = (10, 15)
    first, _ = night(tmp_path / "one.duckdb", values)
    assert leaks(first) == []
    values[("job_rate", "P1", dt.date(2024, 5, 1))] = (7, 15)

    proportional, full = night(tmp_path / "two.duckdb", values, previous=tmp_path / "one.duckdb")

    assert proportional.mode == "proportional"
    assert (proportional.parts_read, proportional.parts_total) == (len(YEARS), PARTS)  # every year
    assert leaks(proportional) == leaks(full)
    assert leaks_in(proportional, "job_rate", 2023)

    values[("job_rate", "P1", dt.date(2024, 5, 1))] = (10, 20)
    back, full = night(tmp_path / "three.duckdb", values, previous=tmp_path / "two.duckdb")
    assert (back.mode, back.parts_read) == ("proportional", len(YEARS))
    assert leaks(back) == leaks(full) == []


def test_a_zero_published_in_another_kpi_rechecks_every_part(tmp_path):
    # FY 2023 June: every provider's job starts are 1 and England's 4, all hidden. While the
    # scorecard publishes no 0 a hidden count may be 0-4 and nothing is pinned; a 0 shown
    # anywhere (referrals, FY 2024) says hidden means 1-4, and England = 4 pins them all.
    values = quiet_values()
    for provider in PROVIDERS:
        values[("job_starts", provider, dt.date(2023, 6, 1))] = (1, 1)
    first, _ = night(tmp_path / "one.duckdb", values, zeros=True)
    assert leaks(first) == []
    values[("referrals", "P1", dt.date(2024, 5, 1))] = (0, 0)

    proportional, full = night(tmp_path / "two.duckdb", values, previous=tmp_path / "one.duckdb", zeros=True)

    assert (proportional.mode, proportional.parts_read) == ("proportional", PARTS)
    assert leaks(proportional) == leaks(full)
    assert {leak["org_code"] for leak in leaks_in(proportional, "job_starts", 2023)} == {*PROVIDERS, "ENG"}


def test_a_row_removed_or_changed_only_in_the_public_scorecard_is_a_change(tmp_path):
    # June 2024, its quarter and its year are hidden (a secondary suppression of every
    # organisation): nothing pinned. Showing them again changes the public scorecard
    # only; their part is read and leaks.
    values = quiet_values()
    plant_pinned_month(values, "job_starts", dt.date(2024, 6, 1))
    june = {
        (org, period_type, start, "job_starts")
        for org in (*PROVIDERS, "ENG")
        for period_type, start in (
            ("month", dt.date(2024, 6, 1)),
            ("quarter", dt.date(2024, 4, 1)),
            ("financial_year", dt.date(2024, 4, 1)),
        )
    }
    first, _ = night(tmp_path / "one.duckdb", values, hide=june)
    assert leaks(first) == []
    shown, full = night(tmp_path / "two.duckdb", values, previous=tmp_path / "one.duckdb")
    assert (shown.mode, shown.parts_read) == ("proportional", 1)
    assert leaks(shown) == leaks(full) and leaks_in(shown, "job_starts", 2024)

    # FY 2024's broken England quarter keeps the organisations family uncredited; dropping
    # that row (from both scorecards) credits it, and FY 2023's pattern is pinned.
    values = quiet_values()
    plant_pinned_month(values, "job_starts", dt.date(2023, 6, 1))
    quarter = ("ENG", "quarter", dt.date(2024, 7, 1), "job_starts")
    night(tmp_path / "three.duckdb", values, breaks={quarter: 3})
    dropped, full = night(
        tmp_path / "four.duckdb", values, previous=tmp_path / "three.duckdb", drop={quarter}
    )
    assert (dropped.mode, dropped.parts_read) == ("proportional", len(YEARS))
    assert leaks(dropped) == leaks(full) and leaks_in(dropped, "job_starts", 2023)


def test_a_kpi_whose_registry_flags_change_is_read_in_every_year(tmp_path):
    # The same rows; job_starts' numerator becomes a count (dim_kpis): every year of it is read.
    values = quiet_values()
    plant_pinned_month(values, "job_starts", dt.date(2023, 6, 1))
    uncounted = dict(KPIS, job_starts=("count", False, False, False))
    first, _ = night(tmp_path / "one.duckdb", values, flags=uncounted)
    assert leaks(first) == []

    counted, full = night(tmp_path / "two.duckdb", values, previous=tmp_path / "one.duckdb")

    assert (counted.mode, counted.parts_read) == ("proportional", len(YEARS))
    assert leaks(counted) == leaks(full) and leaks_in(counted, "job_starts", 2023)


def test_a_changed_hierarchy_checker_or_rounding_falls_back_to_the_full_check(tmp_path):
    values = quiet_values()
    plant_pinned_month(values, "job_starts", dt.date(2023, 6, 1))
    first, _ = night(tmp_path / "one.duckdb", values)
    assert (first.mode, first.mode_reason) == ("full", "no previous release with recorded facts")
    same, _ = night(tmp_path / "same.duckdb", values, previous=tmp_path / "one.duckdb")
    assert (same.mode, same.parts_read) == ("proportional", 1)  # only the part that leaked

    # P4 leaves England's hierarchy: England is no longer the sum of the providers the
    # recorded facts were judged with.
    moved = {"P1": "ENG", "P2": "ENG", "P3": "ENG"}
    hierarchy, full = night(tmp_path / "two.duckdb", values, previous=tmp_path / "one.duckdb", parents=moved)
    assert (hierarchy.mode, hierarchy.mode_reason) == ("full", "the organisation hierarchy changed")
    assert hierarchy.parts_read == hierarchy.parts_total == PARTS
    assert leaks(hierarchy) == leaks(full)

    for column, value, reason in (
        ("fingerprint", "'an older checker'", "the checker (ipskpi.disclosure) changed"),
        ("rounding_base", "10", "the hidden range or the rounding base changed"),
        ("suppressed_high", "9", "the hidden range or the rounding base changed"),
    ):
        changed = tmp_path / f"changed_{column}.duckdb"
        changed.write_bytes((tmp_path / "one.duckdb").read_bytes())
        con = duckdb.connect(str(changed))
        con.execute(f"update {AUDIT_SCHEMA}.checker set {column} = {value}")
        con.close()
        report, full = night(tmp_path / f"after_{column}.duckdb", values, previous=changed)
        assert (report.mode, report.mode_reason, report.parts_read) == ("full", reason, PARTS)
        assert leaks(report) == leaks(full)
